"""The run store's files: atomic writes, and the owner locks that tell a live process from a dead one.

- `atomic_write(path, data)`: the bytes go to a temporary file beside `path`, are flushed to disk, then
  `os.replace` puts them in place: a reader (or a process started after a kill -9) sees the old file or
  the new one, never half of one. Temporary files are named `*.tmp` and cleaned up by `remove_temporaries`.
- `OwnerLock`: a process that is responsible for runs (the server for its queued runs, a worker for the
  run it trains) holds an exclusive lock on `owners/<token>.lock`. The OS drops the lock when the
  process dies, however it dies, so `owner_alive(token)` is true exactly while that process lives.
  (Where there is no fcntl, Windows, a token counts as alive only in the process that made it.)
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import IO

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

TMP_SUFFIX = ".tmp"


def atomic_write(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that no reader ever sees a partial file (temp file, fsync, os.replace)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}{TMP_SUFFIX}")
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def remove_temporaries(folder: Path) -> int:
    """Delete the `*.tmp` files a killed writer left in `folder`; returns how many."""
    if not folder.is_dir():
        return 0
    removed = 0
    for tmp in folder.glob(f"*{TMP_SUFFIX}"):
        tmp.unlink(missing_ok=True)
        removed += 1
    return removed


class OwnerLock:
    """An exclusive lock on owners/<token>.lock, held for as long as this object (and its process) lives."""

    def __init__(self, owners_dir: Path) -> None:
        owners_dir.mkdir(parents=True, exist_ok=True)
        self.token = f"{os.getpid()}-{secrets.token_hex(6)}"
        self.path = owners_dir / f"{self.token}.lock"
        self._handle: IO[bytes] | None = open(self.path, "wb")  # noqa: SIM115  (held open on purpose)
        if fcntl is not None:
            fcntl.flock(self._handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        _LIVE_TOKENS.add(self.token)

    def release(self) -> None:
        """Give the lock up (the owner's runs then count as abandoned) and remove its file."""
        if self._handle is not None:
            _LIVE_TOKENS.discard(self.token)
            self.path.unlink(missing_ok=True)
            self._handle.close()
            self._handle = None


_LIVE_TOKENS: set[str] = set()  # tokens locked by this process (the only check without fcntl)


def owner_alive(owners_dir: Path, token: str | None) -> bool:
    """Whether the process that took `token` still holds its lock (no token: nobody owns it, so False)."""
    if not token:
        return False
    if token in _LIVE_TOKENS:
        return True
    path = owners_dir / f"{token}.lock"
    if fcntl is None or not path.exists():
        return False
    with open(path, "ab") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    path.unlink(missing_ok=True)  # a dead owner's lock file
    return False
