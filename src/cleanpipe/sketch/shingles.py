"""Word tokens and hashed word shingles.

Takes plain strings; gives lowercase word tokens and 32-bit shingle hashes, the
input of :class:`cleanpipe.sketch.minhash.MinHasher`. Nothing is dropped: a text
with fewer tokens than ``shingle_size`` gives one shingle of all its tokens, an
empty text gives no shingle.

How a shingle is hashed (and why this way):

1. Each token is hashed once with xxh3-64 over its UTF-8 bytes. Hashing every
   n-gram string instead would hash every token ``shingle_size`` times and
   build a Python string per shingle; hashing tokens once and combining their
   hashes in numpy has no per-shingle Python work at all.
2. The token hashes of an n-gram are combined by Horner's rule,
   ``h = h * _COMBINE + t`` in uint64 (wraparound is the modulo 2^64), which is
   order-sensitive, then avalanched with the MurmurHash3 64-bit finalizer.
3. The top 32 bits are kept: datasketch 2.0's default scheme (``affine32``)
   takes 32-bit input hashes, and the top bits are the best mixed ones.

Tokenising with ``re.findall`` is the slow step for ~400-word texts, so the
batch path uses an equivalent byte-level fast path (see :func:`_token_bytes`):
the same tokens, checked against the regex by a property test.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import numpy.typing as npt
import xxhash

__all__ = ["flat_shingle_hashes", "normalize_words", "shingle_hashes", "tokenize"]

_WORD = re.compile(r"\w+")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")

# ASCII bytes that are not \w become a space; bytes >= 0x80 (UTF-8 continuation and
# lead bytes) pass through so that multi-byte word characters stay inside tokens.
_ASCII_WORD_TABLE = bytes(
    (c if (chr(c).isalnum() or c == ord("_")) else ord(" ")) for c in range(128)
) + bytes(range(128, 256))

# An odd 64-bit multiplier (the golden-ratio constant): odd makes each Horner step a
# bijection in the running hash, so no information is lost between tokens.
_COMBINE = np.uint64(0x9E3779B97F4A7C15)
_FMIX64 = (
    np.uint64(33),
    np.uint64(0xFF51AFD7ED558CCD),
    np.uint64(0xC4CEB9FE1A85EC53),
)

U32Array = npt.NDArray[np.uint32]
U64Array = npt.NDArray[np.uint64]
I64Array = npt.NDArray[np.int64]


def tokenize(text: str) -> list[str]:
    r"""Split a text into lowercase word tokens (Unicode ``\w+`` runs).

    Args:
        text: Any text.

    Returns:
        The tokens in order, lowercased.

    >>> tokenize("HANOI (VNA) — Café prices rose 3.5% on Monday.")
    ['hanoi', 'vna', 'café', 'prices', 'rose', '3', '5', 'on', 'monday']
    """
    return _WORD.findall(text.lower())


def normalize_words(text: str) -> str:
    r"""Return the text's tokens joined by single spaces: the form to compare texts in.

    Case, punctuation, line breaks and spacing are gone, so re-flowed or
    re-punctuated copies compare equal; it is :func:`tokenize` joined, computed
    on the fast path.

    Args:
        text: Any text.

    Returns:
        The lowercase tokens separated by one space.

    >>> normalize_words("Rice  exports\nrose -- by 5%.")
    'rice exports rose by 5'
    """
    return b" ".join(_token_bytes(text)).decode("utf-8")


@lru_cache(maxsize=65536)
def _is_word_char(char: str) -> bool:
    return _WORD.fullmatch(char) is not None


def _token_bytes(text: str) -> list[bytes]:
    """Return the UTF-8 bytes of :func:`tokenize`'s tokens, fast.

    ``bytes.translate`` + ``bytes.split`` run in C at a few ns per character,
    about 4x faster than the Unicode regex. Non-ASCII characters that are not word
    characters (curly quotes, dashes) are first replaced by spaces; the remaining
    non-ASCII characters are word characters, and their UTF-8 bytes are all
    >= 0x80, which the translation table leaves alone and ``split`` never splits on.
    """
    lowered = text.lower()
    if not lowered.isascii():
        for char in set(_NON_ASCII.findall(lowered)):
            if not _is_word_char(char):
                lowered = lowered.replace(char, " ")
    return lowered.encode("utf-8").translate(_ASCII_WORD_TABLE).split()


def _fmix64(values: U64Array) -> U64Array:
    """Avalanche uint64 values with the MurmurHash3 finalizer (a bijection)."""
    shift, mul1, mul2 = _FMIX64
    values = values ^ (values >> shift)
    values = values * mul1
    values = values ^ (values >> shift)
    values = values * mul2
    return values ^ (values >> shift)


def flat_shingle_hashes(texts: Sequence[str], *, shingle_size: int) -> tuple[U32Array, I64Array]:
    """Hash the word shingles of many texts at once.

    The shingles of all texts are computed in one pass of numpy over the
    concatenated token hashes; no Python code runs per shingle. Repeated shingles
    of one text are kept (MinHash ignores them; :func:`shingle_hashes` removes them).

    Args:
        texts: The texts.
        shingle_size: Words per shingle (at least 1).

    Returns:
        ``(hashes, offsets)``: the uint32 shingle hashes of text ``i`` are
        ``hashes[offsets[i]:offsets[i + 1]]``; ``offsets`` has ``len(texts) + 1``
        entries.

    Raises:
        ValueError: If ``shingle_size`` is less than 1.

    >>> hashes, offsets = flat_shingle_hashes(["a b c d", "", "a b"], shingle_size=3)
    >>> offsets.tolist()
    [0, 2, 2, 3]
    >>> hashes.dtype
    dtype('uint32')
    """
    if shingle_size < 1:
        msg = f"shingle_size must be at least 1, got {shingle_size}"
        raise ValueError(msg)
    tokens = [_token_bytes(text) for text in texts]
    lengths = np.fromiter(map(len, tokens), dtype=np.int64, count=len(tokens))
    total = int(lengths.sum())
    # Each distinct token of the batch is hashed once: news vocabularies repeat a lot.
    flat_tokens = list(itertools.chain.from_iterable(tokens))
    distinct = set(flat_tokens)
    hash_of = dict(zip(distinct, map(xxhash.xxh3_64_intdigest, distinct), strict=True))
    token_hashes = np.fromiter(map(hash_of.__getitem__, flat_tokens), dtype=np.uint64, count=total)

    # Shingle i of a text starts at its token i; a text with m >= k tokens has m - k + 1
    # shingles, a text with 0 < m < k has one shingle of all m tokens, an empty one none.
    num_shingles = np.where(lengths >= shingle_size, lengths - shingle_size + 1, lengths > 0)
    offsets = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(num_shingles, out=offsets[1:])
    token_starts = np.zeros(len(texts), dtype=np.int64)
    np.cumsum(lengths[:-1], out=token_starts[1:])
    doc_of_shingle = np.repeat(np.arange(len(texts), dtype=np.int64), num_shingles)
    starts = token_starts[doc_of_shingle] + (
        np.arange(int(offsets[-1]), dtype=np.int64) - offsets[:-1][doc_of_shingle]
    )
    width = np.minimum(lengths[doc_of_shingle], shingle_size)

    padded = np.concatenate([token_hashes, np.zeros(shingle_size, dtype=np.uint64)])
    combined = np.zeros(len(starts), dtype=np.uint64)
    for j in range(shingle_size):  # a loop over positions in a shingle, not over shingles
        step = combined * _COMBINE + padded[starts + j]
        combined = step if j == 0 else np.where(j < width, step, combined)
    hashes = (_fmix64(combined) >> np.uint64(32)).astype(np.uint32)
    return hashes, offsets


def shingle_hashes(text: str, *, shingle_size: int) -> U32Array:
    """Hash the distinct word shingles of one text.

    Args:
        text: The text.
        shingle_size: Words per shingle (at least 1).

    Returns:
        The sorted distinct uint32 hashes of its shingles: one hash when the text
        has fewer than ``shingle_size`` tokens, none when it has no token.

    >>> len(shingle_hashes("the cat sat on the mat, the cat sat", shingle_size=2))
    6
    >>> shingle_hashes("Two words", shingle_size=5).shape
    (1,)
    >>> shingle_hashes("", shingle_size=5).shape
    (0,)
    """
    hashes, _ = flat_shingle_hashes([text], shingle_size=shingle_size)
    return np.unique(hashes)
