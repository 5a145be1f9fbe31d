"""The optimizers page's one exception: a setting or formula a learner can fix (the message says how)."""

from pytorch_explorer.core.errors import ExplorerError


class OptimError(ExplorerError, ValueError):
    """A surface, optimizer, scheduler or start point that cannot be used; the message says what to do."""
