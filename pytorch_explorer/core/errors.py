"""Exceptions whose messages a learner can act on; pages turn them into st.error."""


class ExplorerError(Exception):
    """Base class: the message says what went wrong and what to do."""


class DataError(ExplorerError, ValueError):
    """Digits could not be loaded: names the file (and row) and what to fix."""


class DeviceError(ExplorerError, RuntimeError):
    """The chosen device is not usable here."""


class CheckpointError(ExplorerError, ValueError):
    """A model file could not be loaded."""


class BudgetError(ExplorerError):
    """That would take too long or too much memory: one request may not stall or exhaust the server."""
