"""The web server runs torch with one intra-op thread (pytorch_explorer.core.threads)."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT

from pytorch_explorer.core.threads import SERVER_THREADS

SCRIPT = """
import torch
torch.set_num_threads(2)
from pytorch_explorer.core.threads import use_server_threads
use_server_threads()
print(torch.get_num_threads())
"""


def test_the_server_sets_one_torch_thread():
    # in a process of its own: the setting is process-wide, and the tests' own process keeps torch's default
    out = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout.strip()) == SERVER_THREADS == 1


def test_the_app_asks_for_it_before_any_page_runs():
    source = (ROOT / "app.py").read_text(encoding="utf-8")
    assert source.index("use_server_threads()") < source.index("page.run()")
