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
from cleanpipe.sketch.lsh import band_hashes, candidate_pairs_from_keys, optimal_bands
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
    stay unique, since they derive from the text).

    >>> a = "The Mekong Delta province of Ben Tre hopes to continue receiving support from Japan."
    >>> cluster_labels([a, "Something else entirely, about rice exports.", a],
    ...                config=DedupConfig()).tolist()
    [0, 1, 0]
    """
    n = len(texts)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    # Exact fast path: identical texts share a representative (the first index).
    first_of: dict[bytes, int] = {}
    exact_pairs: list[tuple[int, int]] = []
    representatives: list[int] = []
    for index, text in enumerate(texts):
        digest = exact_digest(text)
        first = first_of.setdefault(digest, index)
        if first == index:
            representatives.append(index)
        else:
            exact_pairs.append((first, index))
    pairs: list[tuple[int, int]] = list(exact_pairs)
    if near and len(representatives) > 1:
        keys = band_keys((texts[i] for i in representatives), config=config)
        for left, right in candidate_pairs_from_keys(keys).tolist():
            first, second = representatives[left], representatives[right]
            if verify_pair(texts[first], texts[second], config=config):
                pairs.append((first, second))
    edges = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    return connected_components(n, edges)


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

    Only the keys are kept (8 bytes per band per text, 200 bytes a document at
    the default 25 bands), not the signatures nor the shingle hashes: that is
    what keeps deduplicating a million documents in well under a gigabyte.

    >>> band_keys(["Rice exports rose by five percent in May."], config=DedupConfig()).shape
    (1, 25)
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
