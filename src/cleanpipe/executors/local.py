"""The default executor: a local process pool (or the calling process for one worker)."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

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
            # language model) instead of importing them again.
            context = multiprocessing.get_context("fork")
            self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=context)
        yield from self._pool.map(fn, items)

    def close(self) -> None:
        """Shut the pool down."""
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def __enter__(self) -> LocalExecutor:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
