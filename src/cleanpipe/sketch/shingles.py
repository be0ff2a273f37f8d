r"""Word tokens and hashed word shingles (character shingles in scripts without spaces).

Takes plain strings; gives lowercase tokens and 32-bit shingle hashes, the
input of :class:`cleanpipe.sketch.minhash.MinHasher`. Nothing is dropped: a text
with fewer tokens than ``shingle_size`` gives one shingle of all its tokens, an
empty text gives no shingle.

A token is a run of word characters (``\w+``), except in the scripts written
without spaces between words (Han, Hiragana, Katakana, Thai, Lao, Khmer,
Myanmar: ``_NO_SPACE``), where every character is a token of its own. A
Chinese clause is otherwise one ``\w+`` token, so a copy with one character
changed shared no shingle with its original; with one token per character the
shingles of such a run are its character n-grams (n = ``shingle_size``), the
rest of the text keeps word n-grams, and the choice is made per run, so a
mixed text (a Latin name in a Chinese story) gets both. No segmenter: none
with its dictionary in the wheel covers Chinese, Japanese and Thai at once, and
character n-grams need no dictionary (the usual choice for near-duplicates).

The tokens are always exactly :func:`tokenize`'s, ``_TOKEN.findall(text.lower())``.
The batch path (:func:`flat_shingle_hashes`) finds them with no
regex and no Python code per token or per character, because for ~400-word
texts tokenising in Python cost more than signing:

1. Each text is UTF-8 encoded (:func:`_encode_for_scan`). A non-ASCII text has
   its distinct non-ASCII characters judged once each, by the regex itself:
   those that are not word characters become spaces, and a character that
   ``str.lower`` would change sends that text through ``str.lower`` first.
2. The batch is joined with 0 bytes; one ``bytes.translate`` lowercases ASCII
   letters and turns every other ASCII byte that is not ``\w`` into 0. Bytes
   >= 0x80 now all belong to word characters and pass through.
3. A token is a run of nonzero bytes: its start and end come from one
   ``np.flatnonzero`` over the change points of the word mask.

How a shingle is hashed (and why this way):

1. A token's first 8 bytes are read from the buffer as one little-endian
   uint64 (an unaligned gather per token) masked to its length; a token never
   holds a 0 byte, so the zero fill is unambiguous and tokens of up to 8 bytes
   map one-to-one. A longer token folds in, by Horner's rule, its whole inner
   8-byte chunks, its last 8 bytes and its length (:func:`_token_hashes`);
   tokens over 64 bytes (rare) are hashed with xxh3-64 instead. The result is
   mixed by multiply-xorshift-multiply (a bijection, see :func:`_mix64_inplace`).
2. The token hashes of an n-gram are combined by Horner's rule,
   ``h = h * _COMBINE + t`` in uint64 (wraparound is the modulo 2^64), which is
   order-sensitive, over sliding windows of the batch's whole token array;
   windows that cross the end of a text are dropped.
3. The top 32 bits are kept: datasketch 2.0's default scheme (``affine32``)
   takes 32-bit input hashes, and the top bits of a sum of products of random
   64-bit values depend on all their bits (MinHasher mixes them again with
   fmix32), so no second finalizer is paid for.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from functools import lru_cache
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
import xxhash

__all__ = ["flat_shingle_hashes", "normalize_words", "shingle_hashes", "tokenize", "word_tokens"]

# Scripts written without spaces between words: Thai, Lao, Myanmar, Khmer, CJK
# radicals and symbols (U+3005 々, U+3006 〆 and U+3007 〇 are \w), Hiragana,
# Katakana (not the middle dot U+30FB, a separator), CJK Unified Ideographs with
# extension A, compatibility ideographs, halfwidth Katakana, and the ideograph
# planes 2 and 3. Thai and Lao vowel signs are not \w: inside these blocks every
# character counts, marks included.
_NO_SPACE = (
    "\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u2e80-\u2fdf\u3005-\u3007"
    "\u3040-\u30fa\u30fc-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
    "\uff66-\uff9f\U00020000-\U0003ffff"
)
_TOKEN = re.compile(f"[{_NO_SPACE}]|[^\\W{_NO_SPACE}]+")
_NO_SPACE_CHAR = re.compile(f"[{_NO_SPACE}]")
_ASCII_BYTES = bytes(range(128))

# ASCII word bytes lowercased, other ASCII bytes a space; bytes >= 0x80 (UTF-8 lead and
# continuation bytes) pass through so that multi-byte word characters stay in tokens.
_ASCII_WORD_TABLE = bytes(
    (ord(chr(c).lower()) if (chr(c).isalnum() or c == ord("_")) else ord(" ")) for c in range(128)
) + bytes(range(128, 256))

# The batch path's table: ASCII word bytes lowercased, other ASCII bytes 0 (a token is
# then a run of nonzero bytes); bytes >= 0x80 pass through to be judged per character.
_LOWER_WORD_TABLE = bytes(
    (ord(chr(c).lower()) if (chr(c).isalnum() or c == ord("_")) else 0) for c in range(128)
) + bytes(range(128, 256))
# Zero fill after a batch: an 8-byte read at any token start stays inside the buffer.
_TAIL = bytes(8)
# _PREFIX_MASKS[n] keeps the first n bytes of a little-endian uint64 (n = 0..8).
_PREFIX_MASKS = np.array(
    [0, *((1 << (8 * n)) - 1 for n in range(1, 8)), (1 << 64) - 1], dtype=np.uint64
)
# Tokens longer than this (run-together URLs, base64) are hashed one by one with xxh3;
# the rest fold in at most 7 further vectorised 8-byte steps.
_MAX_CHUNKED_BYTES = 64
# Texts per numpy pass: ~2.5 MB of 400-word texts plus their token arrays stay in
# cache; measured with benchmarks/dedup.py.
_BATCH_TEXTS = 1024

# Which uint32 of a native uint64 holds its top 32 bits.
_HIGH_HALF = 1 if sys.byteorder == "little" else 0

# An odd 64-bit multiplier (the golden-ratio constant): odd makes each Horner step a
# bijection in the running hash, so no information is lost between tokens.
_COMBINE = np.uint64(0x9E3779B97F4A7C15)
# MurmurHash3's fmix64 multipliers, with a 32-bit xorshift between them.
_MIX64 = (np.uint64(0xFF51AFD7ED558CCD), np.uint64(32), np.uint64(0xC4CEB9FE1A85EC53))

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
    >>> tokenize("新华社河内电 VNA报道")
    ['新', '华', '社', '河', '内', '电', 'vna', '报', '道']
    """
    return _TOKEN.findall(text.lower())


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


def word_tokens(text: str) -> list[bytes]:
    """Return :func:`tokenize`'s tokens as UTF-8 bytes: the words of :func:`normalize_words`.

    For comparing word lists (``stages.verify``): equal bytes are equal
    tokens, and nothing is joined or decoded.

    >>> word_tokens("Rice  exports\\nrose -- by 5%.")
    [b'rice', b'exports', b'rose', b'by', b'5']
    """
    return _token_bytes(text)


@lru_cache(maxsize=65536)
def _is_word_char(char: str) -> bool:
    return _TOKEN.fullmatch(char) is not None


@lru_cache(maxsize=65536)
def _is_no_space_char(char: str) -> bool:
    return _NO_SPACE_CHAR.fullmatch(char) is not None


@lru_cache(maxsize=65536)
def _changes_case(char: str) -> bool:
    return char.lower() != char


def _encode_for_scan(text: str) -> bytes:
    """Encode a text so that its tokens are its runs of ASCII word bytes and bytes >= 0x80.

    An ASCII text is only encoded: its case is left to ``bytes.translate``. In
    any other text each non-ASCII character that is not a word character (curly
    quotes, dashes) becomes a space, so the bytes >= 0x80 left all belong to word
    characters; and if a character would change under ``str.lower`` (``É``,
    ``Σ`` with its final-sigma rule, ``İ`` which becomes two characters, the
    Kelvin sign which becomes ASCII ``k``), the text is lowercased by
    ``str.lower`` first, which is the definition of :func:`tokenize`. Only
    non-ASCII texts do Python work here, and then per distinct character, never
    per character: ``str.lower`` on a text with one em dash costs ~9 ns per
    character, more than the whole byte path.
    """
    # surrogatepass: a lone surrogate is not \w, it only has to survive as a separator.
    encoded = text.encode("utf-8", "surrogatepass")
    if text.isascii():
        return encoded
    chars = set(encoded.translate(None, _ASCII_BYTES).decode("utf-8", "surrogatepass"))
    if any(map(_is_no_space_char, chars)):
        # One token per character in these runs: the regex itself, joined by spaces
        # (the tokens hold no ASCII separator, so the byte scan finds them again).
        return " ".join(_TOKEN.findall(text.lower())).encode("utf-8", "surrogatepass")
    if any(map(_changes_case, chars)):
        # str.lower is idempotent over all of Unicode: no character left changes case.
        encoded = text.lower().encode("utf-8", "surrogatepass")
        chars = set(encoded.translate(None, _ASCII_BYTES).decode("utf-8", "surrogatepass"))
    for char in chars:
        if not _is_word_char(char):
            # UTF-8 is self-synchronising: a character's bytes only match at its own place.
            encoded = encoded.replace(char.encode("utf-8", "surrogatepass"), b" ")
    return encoded


def _token_bytes(text: str) -> list[bytes]:
    """Return the UTF-8 bytes of :func:`tokenize`'s tokens, fast (one text).

    After :func:`_encode_for_scan`, ``bytes.translate`` (ASCII lowercase, other
    ASCII bytes to spaces) and ``bytes.split`` run in C at a few ns per
    character, about 4x faster than the Unicode regex.
    """
    return _encode_for_scan(text).translate(_ASCII_WORD_TABLE).split()


def _mix64_inplace(values: U64Array) -> None:
    """Mix uint64 values in place: multiply, xorshift, multiply (a bijection).

    Cheaper than the full MurmurHash3 finalizer (3 passes instead of 5, ~0.25 us
    per document) and enough here: the first multiply carries every bit upward,
    the xorshift brings the top bits down, the second multiply carries those up
    again, and Horner's rule over the shingle multiplies once more before the top
    32 bits are kept.
    """
    mul1, shift, mul2 = _MIX64
    values *= mul1
    values ^= values >> shift
    values *= mul2


class _TokenSpans(NamedTuple):
    """Where the tokens of a batch of texts are, in a lowercased byte buffer.

    ``buffer`` holds the texts' lowercased UTF-8 bytes with every byte that is
    not part of a word set to 0 (and 8 zero bytes at the end); token ``j`` is
    ``buffer[starts[j] + 1 : ends[j] + 1]``, and the tokens of text ``i`` are
    numbers ``offsets[i]`` to ``offsets[i + 1] - 1``.
    """

    buffer: bytearray
    starts: I64Array
    ends: I64Array
    offsets: I64Array


def _scan_tokens(texts: Sequence[str]) -> _TokenSpans:
    r"""Locate the tokens of many texts, exactly :func:`tokenize`'s, with numpy.

    The texts, prepared by :func:`_encode_for_scan`, are joined with 0 bytes;
    one ``bytes.translate`` lowercases ASCII and zeroes every other ASCII byte
    that is not ``\w``, so a token is a run of nonzero bytes, and its ends are
    where the word mask changes.
    """
    # The isascii test (O(1) on str) spares most texts a Python call.
    encoded = [text.encode() if text.isascii() else _encode_for_scan(text) for text in texts]
    buffer = bytearray(b"\x00").join([b"", *encoded, _TAIL]).translate(_LOWER_WORD_TABLE)
    lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
    # Text i is buffer[text_starts[i] : text_starts[i + 1] - 1], after a 0 byte.
    text_starts = np.ones(len(encoded) + 1, dtype=np.int64)
    np.cumsum(lengths + 1, out=text_starts[1:])
    text_starts[1:] += 1
    word = np.frombuffer(buffer, dtype=np.uint8) != 0
    # An edge i is a change between bytes i and i + 1; spans are kept in these edge
    # coordinates (token j is buffer[starts[j] + 1 : ends[j] + 1]) to save a pass.
    edges = np.flatnonzero(word[1:] != word[:-1])
    # The separator before text i is edge text_starts[i] - 1's byte: every edge below
    # it belongs to an earlier token, two per token.
    offsets = np.searchsorted(edges, text_starts - 1) // 2
    return _TokenSpans(buffer, edges[0::2], edges[1::2], offsets.astype(np.int64))


def _token_hashes(spans: _TokenSpans) -> U64Array:
    """Hash each token of a scan to a well-mixed uint64 (see the module docstring)."""
    buffer, starts, ends = spans.buffer, spans.starts, spans.ends
    # Every byte offset viewed as the start of a little-endian uint64 (unaligned reads),
    # from byte 1 on because spans are in edge coordinates (see _TokenSpans).
    words = np.ndarray(shape=(len(buffer) - 8,), dtype="<u8", buffer=buffer, offset=1, strides=(1,))
    lengths = ends - starts
    # Fancy indexing: np.take on an unaligned view is ~2x slower (but right for the
    # 9-entry mask table, where mode="clip" maps every length over 8 to all ones).
    hashes = words[starts].astype(np.uint64, copy=False)
    hashes &= np.take(_PREFIX_MASKS, lengths, mode="clip")
    long = np.flatnonzero(lengths > 8)
    if long.size:
        # A longer token is its first 8 bytes, the whole 8-byte chunks that end before
        # its last 8 bytes, and those last 8 bytes (overlapping, so nothing needs a
        # mask); with its length added, that sequence identifies the token.
        long_starts, long_lengths = starts[long], lengths[long]
        folded = hashes[long]
        longest = min(int(long_lengths.max()), _MAX_CHUNKED_BYTES)
        for offset in range(8, longest - 8, 8):
            inner = np.flatnonzero(long_lengths - 8 > offset)
            chunk = words[long_starts[inner] + offset].astype(np.uint64, copy=False)
            folded[inner] = folded[inner] * _COMBINE + chunk
        folded *= _COMBINE
        folded += words[ends[long] - 8]
        folded += long_lengths.astype(np.uint64)
        hashes[long] = folded
        for index in long[long_lengths > _MAX_CHUNKED_BYTES].tolist():
            token = bytes(buffer[int(starts[index]) + 1 : int(ends[index]) + 1])
            hashes[index] = xxhash.xxh3_64_intdigest(token)
    _mix64_inplace(hashes)
    return hashes


def _window_hashes(
    token_hashes: U64Array, token_offsets: I64Array, shingle_size: int
) -> tuple[U32Array, I64Array]:
    """Combine token hashes into the shingle hashes of each text (one batch)."""
    counts = np.diff(token_offsets)
    # A text with m >= k tokens has m - k + 1 shingles, one with 0 < m < k has one
    # shingle of all m tokens, an empty one none.
    num_shingles = np.where(counts >= shingle_size, counts - shingle_size + 1, counts > 0)
    windows = max(len(token_hashes) - shingle_size + 1, 0)
    combined = token_hashes
    if shingle_size > 1:  # Horner's rule: a pass per position in a shingle, not per shingle
        combined = token_hashes[:windows] * _COMBINE
        combined += token_hashes[1 : 1 + windows]
        for j in range(2, shingle_size):
            combined *= _COMBINE
            combined += token_hashes[j : j + windows]
    # A window that starts in the last k - 1 tokens of a text runs into the next one.
    crossing = token_offsets[1:, None] - np.arange(1, shingle_size, dtype=np.int64)
    crossing = crossing[(crossing >= token_offsets[:-1, None]) & (crossing < windows)]
    keep = np.ones(windows, dtype=bool)
    keep[crossing] = False
    # The top 32 bits of each uint64, read in place (one strided gather, no shift pass).
    hashes = combined.view(np.uint32)[_HIGH_HALF::2][keep]
    short = np.flatnonzero((counts > 0) & (counts < shingle_size))
    if short.size:
        firsts, lengths = token_offsets[:-1][short], counts[short]
        folded = token_hashes[firsts]
        for j in range(1, shingle_size - 1):
            step = folded * _COMBINE + token_hashes[np.minimum(firsts + j, len(token_hashes) - 1)]
            folded = np.where(j < lengths, step, folded)
        offsets = np.zeros(len(counts) + 1, dtype=np.int64)
        np.cumsum(num_shingles, out=offsets[1:])
        is_short = np.zeros(int(offsets[-1]), dtype=bool)
        is_short[offsets[:-1][short]] = True
        merged = np.empty(int(offsets[-1]), dtype=np.uint32)
        merged[is_short] = (folded >> np.uint64(32)).astype(np.uint32)
        merged[~is_short] = hashes
        hashes = merged
    return hashes, num_shingles


def flat_shingle_hashes(texts: Sequence[str], *, shingle_size: int) -> tuple[U32Array, I64Array]:
    """Hash the word shingles of many texts at once.

    The texts are processed in batches of ``_BATCH_TEXTS`` with numpy over
    whole byte buffers and token arrays; no Python code runs per token or per
    shingle. Repeated shingles of one text are kept (MinHash ignores them;
    :func:`shingle_hashes` removes them).

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
    parts: list[U32Array] = []
    counts: list[I64Array] = []
    for lo in range(0, len(texts), _BATCH_TEXTS):
        spans = _scan_tokens(texts[lo : lo + _BATCH_TEXTS])
        hashes, num_shingles = _window_hashes(_token_hashes(spans), spans.offsets, shingle_size)
        parts.append(hashes)
        counts.append(num_shingles)
    offsets = np.zeros(len(texts) + 1, dtype=np.int64)
    if not parts:
        return np.zeros(0, dtype=np.uint32), offsets
    np.cumsum(np.concatenate(counts), out=offsets[1:])
    return (parts[0] if len(parts) == 1 else np.concatenate(parts)), offsets


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
