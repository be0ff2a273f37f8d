"""Union-find and connected components over integer ids.

Takes a number of items and pairs of their indices; gives one label per item.
A component's label is its smallest index, so labels depend only on the
partition, never on the order of the pairs, nor on how they were split among
workers: the merge of per-worker components is the components of the union of
their pairs.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["UnionFind", "connected_components"]

I64Array = npt.NDArray[np.int64]


class UnionFind:
    """A disjoint-set forest over ``0 .. n-1`` whose roots are the smallest members.

    Rooting each set at its smallest element (instead of union by rank) makes
    :meth:`find` return the same representative whatever the order of the
    unions; path halving keeps the trees shallow.

    Args:
        n: Number of items.

    >>> uf = UnionFind(5)
    >>> uf.union(3, 1)
    True
    >>> uf.union(4, 3)
    True
    >>> uf.union(1, 4)
    False
    >>> [uf.find(i) for i in range(5)]
    [0, 1, 2, 1, 1]
    """

    __slots__ = ("_parent",)

    def __init__(self, n: int) -> None:
        if n < 0:
            msg = f"n must not be negative, got {n}"
            raise ValueError(msg)
        self._parent = list(range(n))

    def __len__(self) -> int:
        return len(self._parent)

    def find(self, item: int) -> int:
        """Return the representative (smallest member) of the set holding ``item``.

        Args:
            item: An index in ``0 .. n-1``.

        Returns:
            The smallest index in ``item``'s set.

        >>> UnionFind(3).find(2)
        2
        """
        parent = self._parent
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    def union(self, first: int, second: int) -> bool:
        """Merge the sets of two items.

        Args:
            first: An index.
            second: Another index.

        Returns:
            True if they were in different sets.

        >>> uf = UnionFind(2)
        >>> uf.union(0, 1), uf.union(1, 0)
        (True, False)
        """
        root_a, root_b = self.find(first), self.find(second)
        if root_a == root_b:
            return False
        if root_a < root_b:
            self._parent[root_b] = root_a
        else:
            self._parent[root_a] = root_b
        return True

    def labels(self) -> I64Array:
        """Return every item's representative.

        Returns:
            ``(n,)`` int64 labels, each the smallest index of its set.

        >>> uf = UnionFind(4)
        >>> _ = uf.union(2, 3)
        >>> uf.labels().tolist()
        [0, 1, 2, 2]
        """
        return np.array([self.find(i) for i in range(len(self._parent))], dtype=np.int64)


def connected_components(n: int, pairs: npt.NDArray[np.integer]) -> I64Array:
    """Label the connected components of a graph given by its edges.

    Vectorised label propagation: every item takes the minimum label of its
    neighbours, then labels are pointer-jumped to their fixed point, until
    nothing changes. Each round is a few numpy passes over the edges; the
    number of rounds grows with the logarithm of the component diameter.

    Args:
        n: Number of items.
        pairs: ``(m, 2)`` integer indices in ``0 .. n-1``, in any order and
            either orientation; repeats and self-pairs are harmless.

    Returns:
        ``(n,)`` int64 labels, each the smallest index of its component.

    Raises:
        ValueError: If ``pairs`` is not ``(m, 2)`` or holds an index out of range.

    >>> connected_components(6, np.array([[4, 2], [1, 0], [2, 5]])).tolist()
    [0, 0, 2, 3, 2, 2]
    """
    pairs = np.asarray(pairs)
    if pairs.size == 0:
        return np.arange(n, dtype=np.int64)
    if pairs.ndim != 2 or pairs.shape[1] != 2:
        msg = f"pairs must have shape (m, 2), got {pairs.shape}"
        raise ValueError(msg)
    if int(pairs.min()) < 0 or int(pairs.max()) >= n:
        msg = f"pairs hold an index outside 0..{n - 1}"
        raise ValueError(msg)
    left = pairs[:, 0].astype(np.int64)
    right = pairs[:, 1].astype(np.int64)
    labels = np.arange(n, dtype=np.int64)
    while True:
        # Hook: each endpoint's label's label becomes the smaller of the two labels.
        low = np.minimum(labels[left], labels[right])
        new = labels.copy()
        np.minimum.at(new, labels[left], low)
        np.minimum.at(new, labels[right], low)
        # Shortcut: pointer jumping to the root of every tree.
        while True:
            jumped = new[new]
            if np.array_equal(jumped, new):
                break
            new = jumped
        if np.array_equal(new, labels):
            return labels
        labels = new
