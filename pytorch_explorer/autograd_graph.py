"""Old path of the autograd graph tracer, kept for scripts that import it.

The tracer now lives in `pytorch_explorer.autograd.graph`.
"""

from pytorch_explorer.autograd.graph import trace

__all__ = ["trace"]
