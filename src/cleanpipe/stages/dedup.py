"""Dedup: cleaned texts in, clusters of copies of one article out.

Exact copies (same text) are grouped by hash first and never compared again.
One representative per exact group is signed with MinHash over word
shingles; LSH banding proposes candidate pairs; rapidfuzz verifies each pair
on the texts; union-find joins the verified pairs into clusters. The result
depends only on the texts, not on their order or on how many workers ran.

Nothing is dropped here: every index is in exactly one cluster (most alone).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt
import xxhash

from cleanpipe.config import DedupConfig
from cleanpipe.models import DuplicateCluster
from cleanpipe.sketch.lsh import band_hashes, optimal_bands
from cleanpipe.sketch.minhash import signatures_for_texts
from cleanpipe.sketch.unionfind import connected_components
from cleanpipe.stages.verify import verify_pair

# Texts signed per batch: large enough for the vectorised shingling and
# signing to run at full speed (their per-call overhead is amortised by a few
# thousand texts), small enough that a batch's shingle hashes (~1.5 KB a text)
# and signatures (512 B) stay a few tens of MB.
SIGN_BATCH = 8192


def cluster_labels(texts: Sequence[str], *, config: DedupConfig, near: bool = True) -> np.ndarray:
    """Label each text with the smallest index of its duplicate cluster.

    With ``near`` off, only exact copies are clustered (``--no-dedup``: ids
    stay unique, since they derive from the text). The steps are the ones the
    corpus engine runs over partitions on disk (``cleanpipe.corpus``), here on
    texts in memory.

    >>> a = "The Mekong Delta province of Ben Tre hopes to continue receiving support from Japan."
    >>> cluster_labels([a, "Something else entirely, about rice exports.", a],
    ...                config=DedupConfig()).tolist()
    [0, 1, 0]
    """
    n = len(texts)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    ids = np.arange(n, dtype=np.int64)
    digests = digest_array(texts)
    pairs, representatives = exact_edges(digests, ids)
    edges = [pairs]
    if near and len(representatives) > 1:
        keys = band_keys((texts[i] for i in representatives.tolist()), config=config)
        candidates = candidate_edges((keys[:, b] for b in range(keys.shape[1])), representatives)
        accepted = [verify_pair(texts[i], texts[j], config=config) for i, j in candidates.tolist()]
        edges.append(candidates[np.asarray(accepted, dtype=bool).reshape(-1)])
    return connected_components(n, np.concatenate(edges).reshape(-1, 2))


def digest_array(texts: Iterable[str]) -> npt.NDArray[np.uint64]:
    """The exact-copy digests of texts as ``(n, 2)`` uint64 (high and low halves).

    >>> digest_array(["a", "b", "a"])[[0, 2]].tolist() == [digest_array(["a"])[0].tolist()] * 2
    True
    """
    joined = b"".join(exact_digest(text) for text in texts)
    return np.frombuffer(joined, dtype=">u8").astype(np.uint64).reshape(-1, 2)


def exact_edges(
    digests: npt.NDArray[np.uint64], ids: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Join exact copies: each text to the smallest id with the same digest.

    Returns the edges ``(first, copy)`` and the representatives (the smallest
    id of each digest, ascending): only they are signed and compared.

    >>> d = np.array([[1, 2], [3, 4], [1, 2]], dtype=np.uint64)
    >>> edges, reps = exact_edges(d, np.array([10, 11, 12]))
    >>> edges.tolist(), reps.tolist()
    ([[10, 12]], [10, 11])
    """
    if len(ids) == 0:
        return np.zeros((0, 2), dtype=np.int64), np.zeros(0, dtype=np.int64)
    order = np.lexsort((ids, digests[:, 1], digests[:, 0]))
    hi, lo, sorted_ids = digests[order, 0], digests[order, 1], ids[order]
    new = np.ones(len(ids), dtype=bool)
    new[1:] = (hi[1:] != hi[:-1]) | (lo[1:] != lo[:-1])
    first = sorted_ids[new][np.cumsum(new) - 1]
    edges = np.stack([first[~new], sorted_ids[~new]], axis=1).astype(np.int64)
    return edges, np.sort(sorted_ids[new]).astype(np.int64)


def candidate_edges(
    bands: Iterable[npt.NDArray[np.uint64]], ids: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """Star candidate edges from the band keys of ``ids``, one band at a time.

    In each band, the members of a bucket are joined to its smallest id (see
    ``sketch.lsh``); the edges of all bands are deduplicated and sorted. Only
    one band's keys need be in memory at a time, and of the edges only the
    distinct ones so far: each pair is one int64 code ``u * span + v``, merged
    into the sorted distinct codes whenever the new ones outnumber them.

    >>> keys = [np.array([5, 5, 6], dtype=np.uint64), np.array([1, 2, 1], dtype=np.uint64)]
    >>> candidate_edges(keys, np.array([3, 7, 9])).tolist()
    [[3, 7], [3, 9]]
    """
    span = int(ids.max()) + 1 if len(ids) else 1
    if span > _MAX_SPAN:  # codes would overflow int64: pairs as rows (slower, as much memory)
        found = [star_edges(keys, ids) for keys in bands]
        stacked = np.concatenate(found) if found else np.zeros((0, 2), dtype=np.int64)
        return np.unique(stacked, axis=0) if len(stacked) else stacked.reshape(0, 2)
    distinct = np.zeros(0, dtype=np.int64)
    pending: list[npt.NDArray[np.int64]] = []
    waiting = 0
    for keys in bands:
        edges = star_edges(keys, ids)
        pending.append(sorted_distinct(edges[:, 0] * span + edges[:, 1]))
        waiting += len(pending[-1])
        if waiting > len(distinct):
            distinct = sorted_distinct(np.concatenate([distinct, *pending]))
            pending, waiting = [], 0
    if pending:
        distinct = sorted_distinct(np.concatenate([distinct, *pending]))
    return np.stack([distinct // span, distinct % span], axis=1)


# The largest id span whose pair codes u * span + v fit in an int64.
_MAX_SPAN = 3_037_000_499


def sorted_distinct(codes: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """The distinct values, sorted.

    A sort and a compare: numpy 2's hash-based ``np.unique`` of integers was
    several times slower on millions of pair codes.
    """
    codes = np.sort(codes)
    if len(codes) < 2:
        return codes
    keep = np.empty(len(codes), dtype=bool)
    keep[0] = True
    np.not_equal(codes[1:], codes[:-1], out=keep[1:])
    return codes[keep]


def star_edges(keys: npt.NDArray[np.uint64], ids: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """One band's star edges: each member of a bucket joined to the bucket's smallest id.

    The edges come in no particular order (``candidate_edges`` sorts them).

    >>> sorted(star_edges(np.array([4, 9, 4, 4], dtype=np.uint64), np.array([8, 1, 5, 2])).tolist())
    [[2, 5], [2, 8]]
    """
    if len(keys) == 0:
        return np.zeros((0, 2), dtype=np.int64)
    # Any order inside a bucket will do (its centre is its smallest id): an
    # unstable sort of the keys alone is ~3x faster than lexsort on (key, id).
    order = np.argsort(keys)
    sorted_keys, sorted_ids = keys[order], ids[order]
    new = np.ones(len(keys), dtype=bool)
    new[1:] = sorted_keys[1:] != sorted_keys[:-1]
    centre = np.minimum.reduceat(sorted_ids, np.flatnonzero(new))[np.cumsum(new) - 1]
    member = sorted_ids != centre
    return np.stack([centre[member], sorted_ids[member]], axis=1).astype(np.int64)


def exact_digest(text: str) -> bytes:
    """The key of the exact-copy fast path: a 128-bit hash of the text.

    >>> exact_digest("Rice.") == exact_digest("Rice.") != exact_digest("Rice!")
    True
    """
    return xxhash.xxh3_128_digest(text.encode("utf-8"))


def sign_texts(texts: Sequence[str], *, config: DedupConfig) -> npt.NDArray[np.uint32]:
    """MinHash signatures of texts with the configured shingles and permutations.

    >>> sign_texts(["Rice exports rose by five percent in May."], config=DedupConfig()).shape
    (1, 128)
    """
    return signatures_for_texts(
        texts, num_perm=config.num_perm, shingle_size=config.shingle_size, seed=config.seed
    )


def band_keys(texts: Iterable[str], *, config: DedupConfig) -> npt.NDArray[np.uint64]:
    """LSH bucket keys ``(n, bands)`` of texts, signed ``SIGN_BATCH`` texts at a time.

    Only the keys are kept (8 bytes per band per text, 224 bytes a document at
    the default 28 bands), not the signatures nor the shingle hashes.

    >>> band_keys(["Rice exports rose by five percent in May."], config=DedupConfig()).shape
    (1, 28)
    """
    bands, rows = optimal_bands(config.jaccard_threshold, config.num_perm)
    parts: list[npt.NDArray[np.uint64]] = []
    batch: list[str] = []
    for text in texts:
        batch.append(text)
        if len(batch) == SIGN_BATCH:
            parts.append(band_hashes(sign_texts(batch, config=config), bands=bands, rows=rows))
            batch = []
    if batch or not parts:
        parts.append(band_hashes(sign_texts(batch, config=config), bands=bands, rows=rows))
    return np.concatenate(parts)


def find_duplicates(
    texts: Sequence[str], *, config: DedupConfig | None = None
) -> list[DuplicateCluster]:
    """Find the clusters of two or more copies of one article among ``texts``.

    >>> a = "The Mekong Delta province of Ben Tre hopes to continue receiving support from Japan."
    >>> find_duplicates([a, "Rice exports rose.", a])
    [DuplicateCluster(members=(0, 2))]
    """
    labels = cluster_labels(texts, config=config or DedupConfig())
    groups: dict[int, list[int]] = {}
    for index, label in enumerate(labels.tolist()):
        groups.setdefault(label, []).append(index)
    return [
        DuplicateCluster(members=tuple(members))
        for _, members in sorted(groups.items())
        if len(members) > 1
    ]
