"""Starting worker processes from inside a Streamlit app.

Under Streamlit, `sys.modules["__main__"]` is the page script being run (under AppTest, a temporary
file). multiprocessing's spawn and forkserver start methods import the parent's `__main__` in the new
process, so a worker would run the page script again (or fail on a file that is gone). The workers of
this package need nothing from `__main__`: they start with it hidden.
"""

from __future__ import annotations

import sys
import types
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
