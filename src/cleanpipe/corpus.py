"""The corpus steps, on the compact columns of the artifacts: never on the corpus itself.

What the driver holds is a few integers per document: the exact-copy digest
(16 bytes), a dense id and its place (8 + 8 bytes), and one band of LSH keys of
the representatives at a time (8 bytes each). Texts stay on disk; candidate
pairs are verified, and clusters merged, by tasks that read back just the rows
they need (``cleanpipe.steps``).

1. ``repeated_lines``: the scoped line hashes of the first copy of each text
   (in walk order, as ``stages.repeated.count_lines`` counts them), counted with
   one ``np.unique``; those in ``repeated_line_min_docs`` documents or more.
2. ``DocTable``: every draft that survived step 1, ordered by ``(path, line)``
   (its dense id, the order of ``stages.dedup.cluster_labels``).
3. ``candidates``: exact copies by digest, then star edges band by band
   (``stages.dedup.exact_edges`` / ``candidate_edges``: the same functions as
   in memory).
4. ``clusters``: connected components of the exact and verified edges.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from cleanpipe.sketch.unionfind import connected_components
from cleanpipe.stages.dedup import candidate_edges, exact_edges, sorted_distinct
from cleanpipe.work import ArrayRows, PartSummary, load_array

__all__ = ["DocTable", "repeated_lines"]

_LINE_BITS = 32


def repeated_lines(
    parts: Sequence[Path], summaries: Sequence[PartSummary], *, min_docs: int
) -> npt.NDArray[np.uint64]:
    """The scoped line hashes seen in at least ``min_docs`` distinct texts, sorted."""
    digests: list[npt.NDArray[np.uint64]] = []
    seqs: list[npt.NDArray[np.int64]] = []
    for number, (part, summary) in enumerate(zip(parts, summaries, strict=True)):
        if summary.drafts:
            digests.append(np.asarray(load_array(part, "digest")))
            seqs.append((number << _LINE_BITS) + np.arange(summary.drafts, dtype=np.int64))
    if not digests:
        return np.zeros(0, dtype=np.uint64)
    digest = np.concatenate(digests)
    seq = np.concatenate(seqs)
    del digests, seqs
    order = np.lexsort((seq, digest[:, 1], digest[:, 0]))
    sorted_digest = digest[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = np.any(sorted_digest[1:] != sorted_digest[:-1], axis=1)
    first_seqs = np.sort(seq[order][first])
    del digest, seq, order, sorted_digest
    # Which rows of each partition are first copies (one byte a draft): this
    # partition's are one slice of the sorted sequence numbers, marked by row
    # (no sort per partition, as np.isin would).
    firsts: list[npt.NDArray[np.bool_]] = []
    total = 0
    for number, (part, summary) in enumerate(zip(parts, summaries, strict=True)):
        lo, hi = np.searchsorted(first_seqs, [number << _LINE_BITS, (number + 1) << _LINE_BITS])
        first = np.zeros(summary.drafts, dtype=bool)
        first[first_seqs[lo:hi] - (number << _LINE_BITS)] = True
        firsts.append(first)
        lrow = load_array(part, "lrow")
        total += int(np.count_nonzero(first[np.asarray(lrow)])) if len(lrow) else 0
    del first_seqs
    # Counted a slice of the hash space at a time (key % slices), so that the
    # driver never holds more than ~_COUNT_KEYS of them (12 a document: 96 MB
    # at 1M documents, as much again for the sort, in one np.unique).
    slices = max(1, -(-total // _COUNT_KEYS))
    found: list[npt.NDArray[np.uint64]] = []
    for piece in range(slices):
        keys: list[npt.NDArray[np.uint64]] = []
        for part, first in zip(parts, firsts, strict=True):
            lrow = load_array(part, "lrow")
            if not len(lrow):
                continue
            counted = np.asarray(load_array(part, "lkey"))[first[np.asarray(lrow)]]
            keys.append(counted if slices == 1 else counted[counted % slices == piece])
        if keys:
            unique, counts = np.unique(np.concatenate(keys), return_counts=True)
            found.append(unique[counts >= min_docs])
    if not found:
        return np.zeros(0, dtype=np.uint64)
    return np.sort(np.concatenate(found)).astype(np.uint64)


# Line hashes counted at once by repeated_lines (8 bytes each).
_COUNT_KEYS = 1 << 22


@dataclass
class _Part:
    folder: Path
    fix: Path | None
    alive: npt.NDArray[np.int64]
    """Rows of the partition still drafts after repeated-line removal."""
    fixed_rows: npt.NDArray[np.int64]
    fixed_alive: npt.NDArray[np.bool_]


class DocTable:
    """Every surviving draft of the corpus: dense id (the ``(path, line)`` order) and place."""

    def __init__(
        self, parts: Sequence[Path], fixes: Sequence[Path | None], paths: Sequence[Sequence[str]]
    ) -> None:
        rank = {path: r for r, path in enumerate(sorted({p for ps in paths for p in ps}))}
        self.parts: list[_Part] = []
        orders: list[npt.NDArray[np.int64]] = []
        places: list[npt.NDArray[np.int32]] = []
        for number, (folder, fix, names) in enumerate(zip(parts, fixes, paths, strict=True)):
            pathidx = load_array(folder, "pathidx")
            n = len(pathidx)
            alive_mask = np.ones(n, dtype=bool)
            fixed_rows = np.zeros(0, dtype=np.int64)
            fixed_alive = np.zeros(0, dtype=bool)
            if fix is not None:
                fixed_rows = np.load(fix / "rows.npy")
                fixed_alive = np.load(fix / "alive.npy")
                alive_mask[fixed_rows[~fixed_alive]] = False
            alive = np.flatnonzero(alive_mask).astype(np.int64)
            self.parts.append(_Part(folder, fix, alive, fixed_rows, fixed_alive))
            ranks = np.asarray([rank[name] for name in names], dtype=np.int64)
            line = np.asarray(load_array(folder, "line"))[alive]
            orders.append((ranks[np.asarray(pathidx)[alive]] << _LINE_BITS) | line)
            place = np.empty((len(alive), 2), dtype=np.int32)
            place[:, 0] = number
            place[:, 1] = alive
            places.append(place)
        order = np.concatenate(orders) if orders else np.zeros(0, dtype=np.int64)
        del orders
        # Stable: a tie in (path, line) keeps walk order, as the in-memory sort does.
        by_order = np.argsort(order, kind="stable")
        del order
        self.place = (np.concatenate(places) if places else np.zeros((0, 2), np.int32))[by_order]
        """``(part, row)`` of each dense id (int32: 8 bytes a document held by the driver)."""
        del places
        self.dense: list[npt.NDArray[np.int64]] = []
        """Per partition, the dense id of each surviving row (in ``alive`` order)."""
        dense_of = np.empty(len(by_order), dtype=np.int64)
        dense_of[by_order] = np.arange(len(by_order), dtype=np.int64)
        del by_order
        start = 0
        for part in self.parts:
            self.dense.append(dense_of[start : start + len(part.alive)])
            start += len(part.alive)

    def __len__(self) -> int:
        return len(self.place)

    def digests(self) -> npt.NDArray[np.uint64]:
        """The final exact-copy digest of each dense id."""
        out = np.zeros((len(self), 2), dtype=np.uint64)
        for part, dense in zip(self.parts, self.dense, strict=True):
            digest = np.array(load_array(part.folder, "digest"))
            if part.fix is not None and len(part.fixed_rows):
                fixed = np.load(part.fix / "digest.npy")
                digest[part.fixed_rows[part.fixed_alive]] = fixed
            out[dense] = digest[part.alive]
        return out

    def bands(self, ids: npt.NDArray[np.int64], count: int) -> Iterator[npt.NDArray[np.uint64]]:
        """The band keys of ``ids`` (sorted dense ids), one band at a time."""
        # What each partition gives, worked out once for all bands: which rows
        # of its band row go where among ``ids``, and the same for its fixed rows.
        sources: list[tuple[ArrayRows, npt.NDArray[np.int64], npt.NDArray[np.int64]]] = []
        fixed: list[tuple[ArrayRows, npt.NDArray[np.int64], npt.NDArray[np.int64]]] = []
        try:
            for part, dense in zip(self.parts, self.dense, strict=True):
                where = np.searchsorted(ids, dense)
                if len(ids):
                    hit = (where < len(ids)) & (ids[np.minimum(where, len(ids) - 1)] == dense)
                else:
                    hit = np.zeros(len(dense), dtype=bool)
                if not hit.any():
                    continue
                sources.append((ArrayRows(part.folder / "bands.npy"), part.alive[hit], where[hit]))
                if part.fix is not None and len(part.fixed_rows):
                    slot = np.searchsorted(part.alive, part.fixed_rows[part.fixed_alive])
                    chosen = hit[slot]
                    if chosen.any():
                        column = ArrayRows(part.fix / "bands.npy")
                        fixed.append((column, np.flatnonzero(chosen), where[slot[chosen]]))
            for band in range(count):
                keys = np.zeros(len(ids), dtype=np.uint64)
                for column, take, put in (*sources, *fixed):
                    keys[put] = column.row(band)[take]
                yield keys
        finally:
            for column, _, _ in (*sources, *fixed):
                column.close()

    def representatives(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """The exact-copy edges, and the ids that stand for each distinct text."""
        return exact_edges(self.digests(), np.arange(len(self), dtype=np.int64))

    def candidates(self, ids: npt.NDArray[np.int64], bands: int) -> npt.NDArray[np.int64]:
        """Star candidate edges among ``ids``, deduplicated and sorted."""
        return candidate_edges(self.bands(ids, bands), ids)


def clusters(
    edges: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The clusters of two or more ids: ``(members, sizes)``.

    ``members`` holds each cluster's ids ascending, cluster after cluster in
    the order of their smallest id, and ``sizes`` how many each has (flat
    arrays: a list of one small array a cluster cost more than the components).

    >>> members, sizes = clusters(np.array([[5, 2], [9, 7], [2, 4]]))
    >>> members.tolist(), sizes.tolist()
    ([2, 4, 5, 7, 9], [3, 2])
    """
    if len(edges) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    nodes = sorted_distinct(edges.ravel())
    labels = connected_components(len(nodes), np.searchsorted(nodes, edges))
    order = np.lexsort((nodes, labels))
    sorted_labels = labels[order]
    starts = np.flatnonzero(np.r_[True, sorted_labels[1:] != sorted_labels[:-1]])
    sizes = np.diff(np.r_[starts, len(order)])
    # Clusters ordered by their smallest id (the first of each, nodes ascending within).
    members = nodes[order]
    by_first = np.argsort(members[starts], kind="stable")
    offsets = np.r_[0, np.cumsum(sizes[by_first])]
    gather = np.repeat(starts[by_first] - offsets[:-1], sizes[by_first]) + np.arange(len(members))
    return members[gather].astype(np.int64), sizes[by_first].astype(np.int64)
