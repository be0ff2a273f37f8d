"""MinHash signatures of many hash sets at once, bit-identical to datasketch 2.0.

Takes sets of 32-bit hash values (see :mod:`cleanpipe.sketch.shingles`); gives
a ``(n, num_perm)`` uint32 signature matrix. Nothing is dropped: an empty set
gets datasketch's empty signature (every value ``2**32 - 1``).

The scheme is datasketch 2.0's default, ``affine32``, reproduced bit for bit:

* permutation parameters from ``np.random.RandomState(seed)``: ``a`` =
  ``randint(0, 2**31, num_perm) * 2 + 1`` (odd, so a bijection), then ``b`` =
  ``randint(0, 2**32, num_perm)``, both uint32;
* each input hash is pre-mixed once with the 32-bit MurmurHash3 finalizer;
* value ``k`` of a signature is ``min(a_k * h + b_k mod 2**32)`` over the set.

So ``datasketch.MinHash(num_perm, seed, hashfunc=identity)`` fed the same hash
values holds the same ``hashvalues`` (a unit test shows it), and
:meth:`MinHasher.to_lean_minhash` hands a signature to datasketch's LSH and
storage backends.

Speed: the batch is processed as one flat array of hashes, in chunks of about
2**19 permuted values (2 MiB, cache-sized, and a memory bound), laid out
``(num_perm, chunk)`` so that both the affine step and the per-document
``np.minimum.reduceat`` run over contiguous memory. A document that straddles
two chunks gets the minimum of its two partial minima.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from cleanpipe.sketch.shingles import flat_shingle_hashes

if TYPE_CHECKING:
    from datasketch import LeanMinHash

__all__ = ["MinHasher", "signatures_for_texts"]

U32Array = npt.NDArray[np.uint32]
I64Array = npt.NDArray[np.int64]

_SCHEME = "affine32"
_EMPTY = np.uint32(0xFFFFFFFF)
_MAX_INPUT = (1 << 32) - 1
# Permuted values per chunk (4 MiB of uint32). Each chunk pays a fixed cost
# (searchsorted, a reduceat, a fancy-indexed minimum), so larger chunks win
# until the block falls out of cache: over 5,000 sets of ~385 hashes on one
# core, 2**20 and 2**21 were fastest (83-99k sets/s), 2**19 gave 64-69k and
# 2**22 44-63k (a throwaway sweep of _chunk, best of 3 per size).
_CHUNK_VALUES = 1 << 20
_FMIX32 = (
    np.uint32(16),
    np.uint32(0x85EBCA6B),
    np.uint32(13),
    np.uint32(0xC2B2AE35),
)


def _fmix32(values: U32Array) -> U32Array:
    """Apply datasketch's pre-mix: the 32-bit MurmurHash3 finalizer."""
    s16, mul1, s13, mul2 = _FMIX32
    values = values ^ (values >> s16)
    values = values * mul1
    values = values ^ (values >> s13)
    values = values * mul2
    return values ^ (values >> s16)


class MinHasher:
    """Compute MinHash signatures with fixed permutations (datasketch ``affine32``).

    Args:
        num_perm: Number of permutations, the signature length.
        seed: Seed of the permutations, as datasketch's ``seed``.

    Raises:
        ValueError: If ``num_perm`` is less than 1.

    >>> hasher = MinHasher(num_perm=4, seed=1)
    >>> sig = hasher.signature(np.array([1, 2, 3], dtype=np.uint32))
    >>> sig.shape, sig.dtype
    ((4,), dtype('uint32'))
    >>> hasher.signature(np.array([], dtype=np.uint32)).tolist()
    [4294967295, 4294967295, 4294967295, 4294967295]
    """

    __slots__ = ("_a", "_b", "_chunk", "num_perm", "seed")

    def __init__(self, *, num_perm: int = 128, seed: int = 1) -> None:
        if num_perm < 1:
            msg = f"num_perm must be at least 1, got {num_perm}"
            raise ValueError(msg)
        self.num_perm = num_perm
        self.seed = seed
        # Same draws, same order, same dtypes as datasketch.MinHash._init_permutations.
        gen = np.random.RandomState(seed)
        self._a: U32Array = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(
            2
        ) + np.uint32(1)
        self._b: U32Array = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
        self._chunk = max(256, _CHUNK_VALUES // num_perm)

    def __repr__(self) -> str:
        return f"MinHasher(num_perm={self.num_perm}, seed={self.seed})"

    def signatures_flat(
        self, hashes: npt.NDArray[np.unsignedinteger], offsets: I64Array
    ) -> U32Array:
        """Compute the signatures of hash sets given as one flat array.

        Args:
            hashes: All hash values, each below ``2**32``; set ``i`` is
                ``hashes[offsets[i]:offsets[i + 1]]``. Repeats are harmless.
            offsets: ``n + 1`` non-decreasing positions, starting at 0 and
                ending at ``len(hashes)``.

        Returns:
            A ``(n, num_perm)`` uint32 array, one signature per set.

        Raises:
            ValueError: If a hash does not fit in 32 bits or the offsets are invalid.

        >>> hasher = MinHasher(num_perm=2)
        >>> hasher.signatures_flat(np.array([5, 6, 7], dtype=np.uint32), np.array([0, 1, 3])).shape
        (2, 2)
        """
        offsets = np.asarray(offsets, dtype=np.int64)
        if (
            offsets.ndim != 1
            or len(offsets) < 1
            or offsets[0] != 0
            or offsets[-1] != len(hashes)
            or np.any(np.diff(offsets) < 0)
        ):
            msg = "offsets must start at 0, never decrease and end at len(hashes)"
            raise ValueError(msg)
        if hashes.size and int(hashes.max()) > _MAX_INPUT:
            msg = "hash values must fit in 32 bits (datasketch's affine32 scheme)"
            raise ValueError(msg)
        n_sets = len(offsets) - 1
        out = np.full((n_sets, self.num_perm), _EMPTY, dtype=np.uint32)
        if not hashes.size:
            return out
        mixed = _fmix32(hashes.astype(np.uint32))
        starts = offsets[:-1]
        nonempty = np.flatnonzero(offsets[1:] > starts)
        set_starts = starts[nonempty]
        a_col = self._a[:, None]
        b_col = self._b[:, None]
        buffer = np.empty((self.num_perm, self._chunk), dtype=np.uint32)
        for lo in range(0, len(mixed), self._chunk):
            hi = min(lo + self._chunk, len(mixed))
            block = buffer[:, : hi - lo]
            np.multiply(a_col, mixed[lo:hi], out=block)
            np.add(block, b_col, out=block)
            # Segments: the sets that start inside the chunk, plus the tail of the set
            # running in from the previous chunk.
            first = int(np.searchsorted(set_starts, lo, side="right")) - 1
            last = int(np.searchsorted(set_starts, hi, side="left"))
            seg_sets = nonempty[max(first, 0) : last]
            seg_starts = np.maximum(set_starts[max(first, 0) : last], lo) - lo
            minima = np.minimum.reduceat(block, seg_starts, axis=1).T
            out[seg_sets] = np.minimum(out[seg_sets], minima)
        return out

    def signatures(self, hash_sets: Sequence[npt.NDArray[np.unsignedinteger]]) -> U32Array:
        """Compute the signatures of many hash sets.

        Args:
            hash_sets: One array of hash values (each below ``2**32``) per set.

        Returns:
            A ``(len(hash_sets), num_perm)`` uint32 array, row ``i`` bit-identical
            to the ``hashvalues`` of ``datasketch.MinHash(num_perm, seed)`` updated
            with the values of set ``i``.

        >>> hasher = MinHasher(num_perm=3)
        >>> sigs = hasher.signatures([np.array([1, 2], dtype=np.uint32), np.array([2, 1])])
        >>> bool((sigs[0] == sigs[1]).all())
        True
        """
        offsets = np.zeros(len(hash_sets) + 1, dtype=np.int64)
        np.cumsum([len(h) for h in hash_sets], out=offsets[1:])
        if not hash_sets:
            return np.full((0, self.num_perm), _EMPTY, dtype=np.uint32)
        flat = np.concatenate([np.asarray(h).astype(np.uint64, copy=False) for h in hash_sets])
        if flat.size and (int(flat.min()) < 0 or int(flat.max()) > _MAX_INPUT):
            msg = "hash values must fit in 32 bits (datasketch's affine32 scheme)"
            raise ValueError(msg)
        return self.signatures_flat(flat, offsets)

    def signature(self, hashes: npt.NDArray[np.unsignedinteger]) -> U32Array:
        """Compute the signature of one hash set.

        Args:
            hashes: The hash values, each below ``2**32``.

        Returns:
            A ``(num_perm,)`` uint32 array.

        >>> MinHasher(num_perm=5).signature(np.array([42], dtype=np.uint32)).shape
        (5,)
        """
        row: U32Array = self.signatures([hashes]).reshape(self.num_perm)
        return row

    def to_lean_minhash(self, signature: npt.NDArray[np.uint32]) -> LeanMinHash:
        """Wrap a signature as a ``datasketch.LeanMinHash`` (for its LSH and storage).

        Args:
            signature: A ``(num_perm,)`` signature from this hasher.

        Returns:
            A LeanMinHash with this hasher's seed and scheme.

        Raises:
            ValueError: If the signature length is not ``num_perm``.

        >>> hasher = MinHasher(num_perm=8)
        >>> lean = hasher.to_lean_minhash(hasher.signature(np.array([1, 2, 3], dtype=np.uint32)))
        >>> lean.scheme, len(lean)
        ('affine32', 8)
        """
        if signature.shape != (self.num_perm,):
            msg = f"expected a signature of shape ({self.num_perm},), got {signature.shape}"
            raise ValueError(msg)
        # Imported here: datasketch pulls in scipy, a third of a second of every
        # start, and only this hand-over to datasketch needs it.
        from datasketch import LeanMinHash

        return LeanMinHash(seed=self.seed, hashvalues=signature, scheme=_SCHEME)


def signatures_for_texts(
    texts: Sequence[str], *, num_perm: int, shingle_size: int, seed: int = 1
) -> U32Array:
    """Compute the MinHash signatures of the word shingles of texts.

    Args:
        texts: The texts.
        num_perm: Signature length.
        shingle_size: Words per shingle.
        seed: Permutation seed.

    Returns:
        A ``(len(texts), num_perm)`` uint32 array.

    >>> sigs = signatures_for_texts(["a b c d e f", "a b c d e g", "x y"], num_perm=64,
    ...                             shingle_size=2)
    >>> sigs.shape
    (3, 64)
    >>> bool((sigs[0] == sigs[1]).mean() > 0.4)
    True
    """
    hashes, offsets = flat_shingle_hashes(texts, shingle_size=shingle_size)
    return MinHasher(num_perm=num_perm, seed=seed).signatures_flat(hashes, offsets)
