"""Dedup: cleaned texts in, clusters of copies of one article out.

Exact copies (same text) are grouped by hash first and never compared again.
One representative per exact group is signed with MinHash over word
shingles; LSH banding proposes candidate pairs; rapidfuzz verifies each pair
on the texts; union-find joins the verified pairs into clusters. The result
depends only on the texts, not on their order or on how many workers ran.

Nothing is dropped here: every index is in exactly one cluster (most alone).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import xxhash
from rapidfuzz import fuzz

from cleanpipe.config import DedupConfig
from cleanpipe.models import DuplicateCluster
from cleanpipe.sketch.lsh import candidate_pairs, optimal_bands
from cleanpipe.sketch.minhash import signatures_for_texts
from cleanpipe.sketch.unionfind import connected_components


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
        rep_texts = [texts[i] for i in representatives]
        signatures = sign_texts(rep_texts, config=config)
        bands, rows = optimal_bands(config.jaccard_threshold, config.num_perm)
        for left, right in candidate_pairs(signatures, bands=bands, rows=rows).tolist():
            if verify_pair(rep_texts[left], rep_texts[right], config=config):
                pairs.append((representatives[left], representatives[right]))
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


def verify_pair(left: str, right: str, *, config: DedupConfig) -> bool:
    """Say whether two candidate texts are copies of one article (rapidfuzz).

    >>> verify_pair("Rice exports rose by 5% in May.", "Rice exports rose by 6% in May.",
    ...             config=DedupConfig())
    True
    """
    score = fuzz.ratio(left, right, score_cutoff=config.similarity_threshold)
    return bool(score >= config.similarity_threshold)


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
