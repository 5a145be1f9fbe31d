"""Old path of the safe expression language, kept for scripts that import it.

The language now lives in `pytorch_explorer.tensors.expressions` (evaluate, the torch backend)
and `pytorch_explorer.tensors.language` (parsing and the tree walker).
"""

from pytorch_explorer.tensors.expressions import UnsafeExpressionError, evaluate

__all__ = ["UnsafeExpressionError", "evaluate"]
