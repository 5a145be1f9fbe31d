"""The web server's torch threads: one per session's script thread, not a pool per core.

The torch work done inside the server is small (the playground's training slices and node pictures, the toy
networks, a probe's forward pass, a tensor a learner typed) and each session runs it in a script thread of its
own. torch's intra-op pool (one thread per core) only makes those threads wait for each other there: on this
2-core machine, with the other core busy, the Toy playground trained 4 epochs a second with 2 torch threads and
94 with 1 (`python -m pytorch_explorer bench playground --threads 2` against `--threads 1`). Training jobs run in worker
processes that set their own (`pytorch_explorer.jobs.worker`), as do the bounded checks (`core.bounded`).
"""

from __future__ import annotations

SERVER_THREADS = 1


def use_server_threads() -> None:
    """Set this process's torch intra-op threads to SERVER_THREADS (call it in the web server only)."""
    import torch

    if torch.get_num_threads() != SERVER_THREADS:
        torch.set_num_threads(SERVER_THREADS)
