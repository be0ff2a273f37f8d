"""Giving freed memory back to the system (glibc's ``malloc_trim``).

A corpus step frees much more than it keeps: arrays sorted, joined and
dropped, texts decoded and let go. glibc keeps what was freed in the heap for
the next allocation, and a heap whose pages are interleaved with live ones is
never shrunk by itself, so a process's RSS stays at the high-water mark of its
largest step. ``trim`` hands the free pages back (madvise on every free run of
whole pages, not only at the top of the heap). Elsewhere than glibc it does
nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
from collections.abc import Callable

__all__ = ["resident_bytes", "trim"]


@functools.cache
def malloc_trim() -> Callable[[int], int] | None:
    """The C library's ``malloc_trim`` (glibc), or ``None`` where it has none."""
    name = ctypes.util.find_library("c")
    try:
        found: Callable[[int], int] = ctypes.CDLL(name).malloc_trim  # glibc only
    except (OSError, AttributeError, TypeError):
        return None
    return found


def trim(*, above: int = 0) -> bool:
    """Give the heap's free pages back if the process holds more than ``above`` bytes.

    Returns whether a trim ran.
    """
    found = malloc_trim()
    if found is None or (above and resident_bytes() <= above):
        return False
    found(0)
    return True


def resident_bytes() -> int:
    """The process's resident memory (Linux), or a large number where it cannot be read."""
    try:
        with open("/proc/self/statm", "rb") as statm:  # noqa: PTH123 - a procfs read, no Path
            pages = int(statm.read().split()[1])
    except (OSError, ValueError, IndexError):
        return 1 << 62
    return pages * _page_size()


@functools.cache
def _page_size() -> int:
    return int(os.sysconf("SC_PAGE_SIZE"))
