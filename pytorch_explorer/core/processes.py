"""Starting worker processes from inside a Streamlit app.

Under Streamlit, `sys.modules["__main__"]` is the page script being run (under AppTest, a temporary
file). multiprocessing's spawn and forkserver start methods import the parent's `__main__` in the new
process, so a worker would run the page script again (or fail on a file that is gone). The workers of
this package need nothing from `__main__`: they start with it hidden.

A process has one forkserver, started by whichever code first starts a process with it, and it
imports its preload list then and never again. So the list has one owner, here: every user of the
forkserver (training jobs, the PNG decoders, the data-loading page's DataLoader workers) gets a
server that already imported what each of them needs.
"""

from __future__ import annotations

import multiprocessing
import sys
import types
from multiprocessing.context import BaseContext
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def main_module_hidden() -> Iterator[None]:
    """While processes start inside this block, they do not import the parent's `__main__`."""
    main = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        if main is not None:
            sys.modules["__main__"] = main


# imported once in the forkserver, so that a new process starts with them: the training job's worker (and torch),
# torch._dynamo (what an optimizer's first step imports lazily: a second and a half of sympy & co. otherwise),
# the PNG decoder, and the data-loading page's Dataset
FORKSERVER_PRELOAD = ["pytorch_explorer.jobs.worker", "torch._dynamo", "pytorch_explorer.digits.data.png_folder",
                      "pytorch_explorer.loading.datasets"]


def worker_context() -> BaseContext:
    """forkserver (safe from a threaded server such as Streamlit's, and fast: torch is preloaded) where the OS
    has it, else spawn."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(FORKSERVER_PRELOAD)
        return context
    return multiprocessing.get_context("spawn")
