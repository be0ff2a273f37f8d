"""LSH banding: bucket keys and candidate pairs from MinHash signatures.

Takes a ``(n, num_perm)`` signature matrix; gives candidate pairs of row
indices. Nothing is dropped, but LSH is probabilistic: a pair of Jaccard
similarity ``s`` shares at least one bucket with probability
``1 - (1 - s**rows)**bands``.

Candidate edges are *stars*: the members of a bucket ``{m0 < m1 < ... < mk}``
give the edges ``(m0, m1), (m0, m2), ..., (m0, mk)``, not all ``k*(k+1)/2``
pairs. A bucket of a thousand boilerplate-only pages would otherwise give half
a million pairs to verify; stars keep the candidates linear in the corpus size.
Clustering then rests on transitivity (each member joins the bucket's smallest
member if verification accepts the pair), and each band offers another star,
usually with another centre. On the benchmark corpus (see
``benchmarks/README.md``) stars lose no measurable recall against all pairs.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import numpy.typing as npt

__all__ = ["band_hashes", "candidate_pairs", "candidate_pairs_from_keys", "optimal_bands"]

I64Array = npt.NDArray[np.int64]
U64Array = npt.NDArray[np.uint64]

_MUL = np.uint64(0x9E3779B97F4A7C15)
_FMIX64 = (np.uint64(33), np.uint64(0xFF51AFD7ED558CCD), np.uint64(0xC4CEB9FE1A85EC53))


def _gauss_legendre(count: int) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Nodes and weights of Gauss-Legendre quadrature on [-1, 1] (Golub-Welsch).

    The nodes are the eigenvalues of the Jacobi matrix of the Legendre
    polynomials and the weights twice the squared first components of its
    eigenvectors: ``numpy.polynomial.legendre.leggauss``'s result (to ~1e-15,
    tests/unit/test_sketch_lsh.py), without importing numpy.polynomial, a
    tenth of a second of every start.

    >>> nodes, weights = _gauss_legendre(3)
    >>> [round(float(x), 6) for x in nodes], round(float(weights.sum()), 12)
    ([-0.774597, 0.0, 0.774597], 2.0)
    """
    k = np.arange(1, count, dtype=np.float64)
    off = k / np.sqrt(4.0 * k * k - 1.0)
    jacobi = np.diag(off, 1) + np.diag(off, -1)
    nodes, vectors = np.linalg.eigh(jacobi)
    weights = 2.0 * vectors[0, :] ** 2
    return nodes, weights


@lru_cache(maxsize=64)
def optimal_bands(jaccard_threshold: float, num_perm: int) -> tuple[int, int]:
    r"""Choose ``(bands, rows)`` for a Jaccard threshold, as datasketch does.

    The pair of ``bands * rows <= num_perm`` minimising the sum of the
    false-positive area :math:`\int_0^t 1-(1-s^r)^b\,ds` and the false-negative
    area :math:`\int_t^1 (1-s^r)^b\,ds` (equal weights), scanned in the same
    order as ``datasketch.lsh._optimal_param``, so the choice is the same
    (``tests/unit/test_sketch_lsh.py`` compares the two over a grid).

    datasketch integrates with ``scipy.integrate.quad``; here both integrands
    are polynomials in ``s`` of degree ``bands * rows <= num_perm``, which
    Gauss-Legendre quadrature with ``num_perm // 2 + 1`` nodes integrates
    exactly, every pair at once (and without importing scipy, a quarter of a
    second of every command's start).

    Args:
        jaccard_threshold: The similarity above which pairs should be candidates.
        num_perm: The signature length.

    Returns:
        ``(bands, rows)``.

    Raises:
        ValueError: If the threshold is not in ``(0, 1)`` or ``num_perm`` < 1.

    >>> optimal_bands(0.7, 128)
    (14, 9)
    """
    if not 0.0 < jaccard_threshold < 1.0:
        msg = f"jaccard_threshold must be in (0, 1), got {jaccard_threshold}"
        raise ValueError(msg)
    if num_perm < 1:
        msg = f"num_perm must be at least 1, got {num_perm}"
        raise ValueError(msg)
    # Every (bands, rows) in datasketch's scan order: bands ascending, then rows.
    pairs = [(b, r) for b in range(1, num_perm + 1) for r in range(1, num_perm // b + 1)]
    bands = np.array([b for b, _ in pairs], dtype=np.float64)[:, None]
    rows = np.array([r for _, r in pairs], dtype=np.float64)[:, None]
    nodes, weights = _gauss_legendre(num_perm // 2 + 1)
    t = jaccard_threshold
    # Nodes and weights of [-1, 1] mapped onto [0, t] and onto [t, 1].
    low, low_weights = (nodes + 1.0) * (t / 2.0), weights * (t / 2.0)
    high, high_weights = t + (nodes + 1.0) * ((1.0 - t) / 2.0), weights * ((1.0 - t) / 2.0)
    false_positive = (1.0 - (1.0 - low[None, :] ** rows) ** bands) @ low_weights
    false_negative = ((1.0 - high[None, :] ** rows) ** bands) @ high_weights
    error = false_positive * 0.5 + false_negative * 0.5
    # argmin: the first of equal minima, as datasketch's strict "<" keeps.
    return pairs[int(np.argmin(error))]


def band_hashes(signatures: npt.NDArray[np.unsignedinteger], *, bands: int, rows: int) -> U64Array:
    """Hash each band of each signature to a 64-bit bucket key.

    Band ``j`` covers columns ``j*rows .. (j+1)*rows - 1``; its values are
    combined by Horner's rule in uint64 and avalanched (MurmurHash3 finalizer).
    Two signatures get the same key in band ``j`` when their band values are
    equal, and otherwise only by a 64-bit collision (about ``n**2 / 2**65``
    expected per band: nil for any corpus that fits in memory).

    Args:
        signatures: ``(n, num_perm)`` unsigned integers.
        bands: Number of bands.
        rows: Signature values per band; ``bands * rows <= num_perm``.

    Returns:
        ``(n, bands)`` uint64 keys.

    Raises:
        ValueError: If the bands do not fit in the signature.

    >>> sigs = np.array([[1, 2, 3, 4], [1, 2, 9, 9]], dtype=np.uint32)
    >>> keys = band_hashes(sigs, bands=2, rows=2)
    >>> bool(keys[0, 0] == keys[1, 0]), bool(keys[0, 1] == keys[1, 1])
    (True, False)
    """
    if bands < 1 or rows < 1 or bands * rows > signatures.shape[1]:
        msg = f"{bands} bands of {rows} rows do not fit in {signatures.shape[1]} values"
        raise ValueError(msg)
    values = signatures[:, : bands * rows].astype(np.uint64).reshape(-1, bands, rows)
    keys = np.zeros(values.shape[:2], dtype=np.uint64)
    for col in range(rows):  # a loop over the few rows of a band, not over documents
        keys = keys * _MUL + values[:, :, col]
    shift, mul1, mul2 = _FMIX64
    keys ^= keys >> shift
    keys *= mul1
    keys ^= keys >> shift
    keys *= mul2
    keys ^= keys >> shift
    return keys


def _star_edges(keys: U64Array) -> I64Array:
    """Star edges of one band's buckets: each member joined to the smallest member."""
    order = np.argsort(keys, kind="stable")  # stable: equal keys stay in index order
    sorted_keys = keys[order]
    new_bucket = np.ones(len(keys), dtype=bool)
    new_bucket[1:] = sorted_keys[1:] != sorted_keys[:-1]
    bucket_first = np.flatnonzero(new_bucket)
    bucket_of = np.cumsum(new_bucket) - 1
    centre = order[bucket_first][bucket_of]
    members = ~new_bucket
    return np.stack([centre[members], order[members]], axis=1).astype(np.int64)


def candidate_pairs(
    signatures: npt.NDArray[np.unsignedinteger], *, bands: int, rows: int
) -> I64Array:
    """Find candidate pairs: rows sharing a bucket in at least one band.

    Buckets are grouped by sorting each band's keys (no Python code per
    document); a bucket gives star edges from its smallest member to each other
    member (see the module docstring for why).

    Args:
        signatures: ``(n, num_perm)`` unsigned integers.
        bands: Number of bands.
        rows: Signature values per band.

    Returns:
        ``(m, 2)`` int64 pairs ``(i, j)`` with ``i < j``, unique, sorted
        lexicographically.

    >>> sigs = np.array([[1, 2, 3, 4], [7, 8, 3, 4], [1, 2, 5, 6], [0, 0, 0, 0]], dtype=np.uint32)
    >>> candidate_pairs(sigs, bands=2, rows=2).tolist()
    [[0, 1], [0, 2]]
    """
    return candidate_pairs_from_keys(band_hashes(signatures, bands=bands, rows=rows))


def candidate_pairs_from_keys(keys: U64Array) -> I64Array:
    """Find candidate pairs from precomputed bucket keys (see :func:`candidate_pairs`).

    A batch run keeps only the ``(n, bands)`` keys of each batch of signatures
    (8 bytes per band per document) and calls this once on their concatenation.

    Args:
        keys: ``(n, bands)`` bucket keys from :func:`band_hashes`.

    Returns:
        ``(m, 2)`` int64 pairs ``(i, j)`` with ``i < j``, unique, sorted
        lexicographically.

    >>> keys = np.array([[5, 1], [5, 2], [6, 1]], dtype=np.uint64)
    >>> candidate_pairs_from_keys(keys).tolist()
    [[0, 1], [0, 2]]
    """
    n, bands = keys.shape
    if n < 2 or bands == 0:
        return np.zeros((0, 2), dtype=np.int64)
    stacked = np.concatenate([_star_edges(np.ascontiguousarray(keys[:, b])) for b in range(bands)])
    # One int64 code per pair (i * n + j; n**2 < 2**63 for any n that fits in memory)
    # makes np.unique dedupe and sort lexicographically in one step.
    codes = np.unique(stacked[:, 0] * n + stacked[:, 1])
    return np.stack([codes // n, codes % n], axis=1)
