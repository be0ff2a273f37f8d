"""The default executor: a local process pool (or the calling process for one worker)."""

from __future__ import annotations

import functools
import gc
import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

from cleanpipe.heap import trim as trim_heap

T = TypeVar("T")
R = TypeVar("R")


class LocalExecutor:
    """Map partitions over ``workers`` processes; with one worker, run in-process.

    >>> with LocalExecutor(workers=1) as executor:
    ...     list(executor.map(abs, [-1, 2, -3]))
    [1, 2, 3]
    """

    def __init__(self, *, workers: int = 1) -> None:
        self.workers = max(1, workers)
        self._pool: ProcessPoolExecutor | None = None

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
        """Apply ``fn`` to each item; yield results in the items' order."""
        if self.workers == 1 or len(items) <= 1:
            yield from map(fn, items)
            return
        if self._pool is None:
            # fork: the workers inherit the loaded modules (trafilatura, the
            # language model) instead of importing them again. What the driver
            # holds is frozen out of the cyclic collector first, so that its
            # passes in a worker never write to (and copy) the pages it shares.
            gc.freeze()
            context = multiprocessing.get_context("fork")
            self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=context)
        try:
            yield from self._pool.map(functools.partial(_call_and_trim, fn), items)
        except BaseException:
            # Ctrl-C (once or twice), a worker's error, or the caller giving up:
            # stop the workers now rather than wait for their queued partitions,
            # so the interpreter never hangs at exit joining them.
            self._abort()
            raise

    def close(self) -> None:
        """Shut the pool down, letting running partitions finish."""
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def _abort(self) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        # ProcessPoolExecutor has no public way to stop busy workers.
        processes = list(getattr(pool, "_processes", {}).values())
        for process in processes:
            process.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.join(timeout=5)

    def __enter__(self) -> LocalExecutor:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def _call_and_trim(fn: Callable[[T], R], item: T) -> R:
    """Run one task in a worker, then give the memory it freed back to the system.

    A task's texts are many small allocations; once freed, glibc keeps their
    pages in the process's heap, so without a trim a worker's RSS would stay at
    the high-water mark of the largest task it ever ran.
    """
    try:
        return fn(item)
    finally:
        trim_heap(above=_TRIM_ABOVE)


# A worker holding less than this keeps what it freed for its next task: a
# trim gave the pages back, the next task took them again (zeroed by the
# kernel), ~15% more system time on small dumps for no memory worth having.
_TRIM_ABOVE = 256 << 20
