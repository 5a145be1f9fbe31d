"""Giving memory back: after a session's tensors are dropped, return the freed heap to the OS.

CPython and torch free a tensor's memory when its last reference goes, but glibc's allocator keeps
freed blocks below its mmap threshold in the process's heap, so a server that served large tensors
keeps their size in its resident memory after every session has gone. `release_freed_memory` runs the
garbage collector and asks glibc to hand free heap pages back (`malloc_trim`); elsewhere it only collects.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import os


def _statm(field: int) -> int:
    """A field of /proc/self/statm in bytes (0: the address space, 1: resident), 0 where unknown (not Linux)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[field]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def rss_bytes() -> int:
    """This process's resident memory now, 0 where unknown."""
    return _statm(1)


def address_space_bytes() -> int:
    """This process's virtual memory size now (what RLIMIT_AS limits), 0 where unknown."""
    return _statm(0)


def _malloc_trim() -> bool:
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        libc = ctypes.CDLL(name)
        return bool(libc.malloc_trim(0)) if hasattr(libc, "malloc_trim") else False
    except OSError:
        return False


def release_freed_memory() -> int:
    """Collect garbage and return free heap pages to the OS; the bytes of resident memory this gave back."""
    before = rss_bytes()
    gc.collect()
    _malloc_trim()
    return max(0, before - rss_bytes())
