"""The executor interface: map a pure function over partitions, in order."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Protocol, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Executor(Protocol):
    """Runs a pure, picklable function over a sequence of partitions.

    Results come back in the order of the partitions, whatever order they
    finished in, so a run's output never depends on scheduling.
    """

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
        """Apply ``fn`` to each item; yield the results in the items' order."""
        ...

    def close(self) -> None:
        """Release workers and any cluster resources."""
        ...
