"""Language: a text in, its ISO 639-1 code (py3langid's model) or ``None`` out.

py3langid scores a text by its byte n-gram features: an Aho-Corasick automaton
over the UTF-8 bytes marks at each byte the feature that ends there, and a
naive Bayes table turns the feature counts into a score per language. Its
automaton is walked one byte at a time in Python, which costs more than all
the rest of a document's cleaning. Here the same model is walked for every
byte of many texts at once with numpy: the automaton's state after a byte is
the longest suffix of the text so far that is a node of its trie, and no node
is deeper than ``_WINDOW`` bytes, so the state after byte ``i`` is the state
reached from the root over bytes ``i - _WINDOW + 1 .. i`` of its own text
alone: a few vectorised steps over all the texts of a batch instead of one
Python step per byte (and one more checks the result). The counts, their order
and the scoring arithmetic are py3langid's own, text by text, so the scores
are bit-identical to ``py3langid.classify`` on the same text.

The model is loaded once, on first use (about a second: it is LZMA
compressed), by py3langid's own loader; ``load_model`` does it ahead of
time, e.g. before forking workers. It takes about 135 MB: the transitions
with each target's feature beside its row (78 MB) and the feature table cast
to float32 (57 MB).
"""

from __future__ import annotations

import itertools
import logging
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["classify", "classify_batch", "load_model"]

# A transition's target packs its row offset (row << 8, for the next byte to
# be added) above _OUT_BITS bits of its feature + 1 (0: no feature ends there).
_OUT_BITS = 20
_OUT_MASK = (1 << _OUT_BITS) - 1


@dataclass(frozen=True)
class _Model:
    """py3langid's identifier, with its automaton as numpy arrays."""

    # (row offset, byte) -> target's row offset << _OUT_BITS | target's feature + 1;
    # a row offset is the row's index << 8, so offset + byte indexes the table.
    moves: npt.NDArray[np.int64]
    root: int  # the root's row offset
    root_pairs: npt.NDArray[np.int64]  # row offset after two bytes from the root, 65536 entries
    ptc: npt.NDArray[np.float32]  # feature x class log-probabilities (float16 in the file)
    pc: npt.NDArray[np.float32]  # class priors
    classes: tuple[str, ...]
    alias_pairs: tuple[tuple[int, int], ...]  # (first, dupe) columns of one label
    floor: float  # py3langid's score for a text without a feature


@dataclass(frozen=True)
class _Features:
    """The features of a batch of texts: text ``k``'s are ``[bounds[k], bounds[k + 1])``."""

    features: npt.NDArray[np.intp]  # in order of first occurrence within each text
    counts: npt.NDArray[np.float32]
    bounds: npt.NDArray[np.intp]


log = logging.getLogger(__name__)

# Bytes of text that decide the automaton's state: the depth of its deepest
# trie node (6 for py3langid 0.4's model; tests/unit/test_language.py measures
# it). A deeper model stays exact, through the check in _walk. At least 3.
_WINDOW = 6
# Texts walked together: from a few hundred on the per-call cost of numpy is
# spread thin, and the arrays of a chunk (~40 bytes a byte of text) stay in
# the caches; larger chunks measured slower.
_CHUNK_TEXTS = 256
_LOCK = threading.Lock()
_MODEL: list[_Model] = []


def load_model() -> None:
    """Load py3langid's model now rather than on the first ``classify``.

    >>> load_model()
    """
    _model()


def _model() -> _Model:
    if _MODEL:
        return _MODEL[0]
    with _LOCK:
        if not _MODEL:
            _MODEL.append(_build_model())
    return _MODEL[0]


def _build_model() -> _Model:
    from py3langid import langid  # a second of start-up, paid on first use

    # An identifier of our own, not py3langid's shared one: only the arrays
    # below stay in memory (its float16 table and Python lists are dropped).
    ident = langid.LanguageIdentifier.from_model_file(langid.MODEL_FILE)
    nextmove = np.asarray(ident.tk_nextmove, dtype=np.intp)
    rowbase = np.asarray(ident.tk_row, dtype=np.int64) << 8
    output = np.asarray(ident.tk_output, dtype=np.int64)
    if output.max() + 1 > _OUT_MASK:
        msg = f"py3langid's model has more than {_OUT_MASK - 1} features"
        raise RuntimeError(msg)
    moves = (rowbase[nextmove] << _OUT_BITS) | (output[nextmove] + 1)
    del nextmove
    root = int(rowbase[0])
    first = moves[root + np.arange(256)] >> _OUT_BITS
    root_pairs = (moves[first[:, None] + np.arange(256)] >> _OUT_BITS).ravel()
    return _Model(
        moves=moves,
        root=root,
        root_pairs=root_pairs,
        # py3langid's matmul casts its float16 rows to float32 on every call;
        # casting the table once gives the same numbers (57 MB instead of 28 MB).
        ptc=np.asarray(ident.nb_ptc, dtype=np.float32),
        pc=ident.nb_pc,
        classes=tuple(ident.nb_classes),
        alias_pairs=tuple(ident._alias_pairs),
        floor=float(langid.RAW_FLOOR),
    )


def encode(text: str) -> bytes:
    """Give the bytes py3langid scores for ``text`` (its own preparation).

    >>> encode("ÉTÉ")
    b'\\xc3\\xa9t\\xc3\\xa9'
    """
    if text.isupper():
        text = text.lower()
    return unicodedata.normalize("NFC", text).encode("utf-8", errors="surrogatepass")


def feature_counts(data: bytes) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.float32]]:
    """Count the model's features in ``data``, in order of first occurrence.

    The same features and order as py3langid's ``visit_counts`` (a Counter).
    """
    found = _count_features([data])
    return found.features, found.counts


def _count_features(datas: Sequence[bytes]) -> _Features:
    """Count the features of each of ``datas``, as ``feature_counts`` does for one."""
    model = _model()
    lengths = np.fromiter(map(len, datas), dtype=np.intp, count=len(datas))
    starts = np.zeros(len(datas) + 1, dtype=np.intp)
    np.cumsum(lengths, out=starts[1:])
    total = int(starts[-1])
    if not total:
        empty = np.zeros(0, dtype=np.intp)
        return _Features(empty, np.zeros(0, dtype=np.float32), starts)
    byte = np.frombuffer(b"".join(datas), dtype=np.uint8).astype(np.intp)
    moves = _walk(byte, starts, lengths)
    feature = (moves & _OUT_MASK) - 1
    at = np.flatnonzero(feature >= 0)
    if not len(at):
        empty = np.zeros(0, dtype=np.intp)
        return _Features(empty, np.zeros(0, dtype=np.float32), np.zeros_like(starts))
    # Sort (text, feature, position) as one key: a group per feature of a text,
    # its first element at the feature's first occurrence in that text.
    bits = total.bit_length()
    key = np.take(np.repeat(np.arange(len(datas), dtype=np.int64) * len(model.ptc), lengths), at)
    key += np.take(feature, at)
    key <<= bits
    key |= at
    key.sort()
    group = key >> bits
    new = np.empty(len(key), dtype=bool)
    new[0] = True
    np.not_equal(group[1:], group[:-1], out=new[1:])
    firsts = np.flatnonzero(new)
    # Each group's count at its first position, read back in position order:
    # the order of py3langid's Counter, text after text.
    counts = np.zeros(total, dtype=np.float32)
    counts[np.take(key, firsts) & ((1 << bits) - 1)] = np.diff(firsts, append=len(key))
    positions = np.flatnonzero(counts)
    return _Features(
        features=np.take(feature, positions),
        counts=np.take(counts, positions),
        bounds=np.searchsorted(positions, starts),
    )


def _walk(
    byte: npt.NDArray[np.intp], starts: npt.NDArray[np.intp], lengths: npt.NDArray[np.intp]
) -> npt.NDArray[np.int64]:
    """Give the automaton's move at every byte of texts laid end to end.

    A text's walk starts at the root at its first byte (``starts``); the move
    at a byte packs the row offset and feature of the state it reaches.
    """
    model = _model()
    total = len(byte)
    moves, shift = model.moves, _OUT_BITS
    window = max(_WINDOW, 3)
    # before[i]: the row offset reached over the window's bytes before byte i,
    # i - window + 1 .. i - 1 (the first two from one table), for every i at
    # least that far from the start of all texts; a byte nearer its own text's
    # start is redone below, over its text's bytes alone.
    before = np.empty(total, dtype=np.int64)
    lead = window - 1
    if total > lead:
        span = total - lead
        row = byte[:span] << 8
        row |= byte[1 : span + 1]
        np.take(model.root_pairs, row, out=before[lead:], mode="clip")
        row, target = before[lead:], np.empty(span, dtype=np.int64)
        for back in range(lead - 2, 0, -1):
            row += byte[lead - back : total - back]
            # mode="clip": no bounds check (every offset + byte is a move).
            np.take(moves, row, out=target, mode="clip")
            np.right_shift(target, shift, out=row)
    # The first bytes of each text, all texts at once (one step per byte).
    head = starts[:-1]
    row = np.full(len(head), model.root, dtype=np.int64)
    for step in range(lead):
        alive = np.flatnonzero(lengths > step)
        if not len(alive):
            break
        at = head[alive] + step
        before[at] = row[alive]
        row[alive] = moves[row[alive] + byte[at]] >> shift
    found = np.take(moves, before + byte, mode="clip")
    # The walk is the automaton's own if every byte's row follows from the
    # state before it, within its text: one more comparison checks that,
    # whatever the model.
    wrong = (found[:-1] >> shift) != before[1:]
    inner = head[(head > 0) & (head < total)]
    wrong[inner - 1] = False
    if wrong.any():
        # A trie deeper than the window: walk byte by byte.
        log.warning("py3langid's model is deeper than %d bytes: slow walk", _WINDOW)
        for start, end in zip(head.tolist(), starts[1:].tolist(), strict=True):
            current = model.root
            for i in range(start, end):
                found[i] = moves[current + byte[i]]
                current = int(found[i] >> shift)
    return found


def _score(
    features: npt.NDArray[np.intp], counts: npt.NDArray[np.float32]
) -> npt.NDArray[np.float32]:
    model = _model()
    if len(features):
        # py3langid's own expression, operand for operand: bit-identical scores.
        result: npt.NDArray[np.float32] = (
            np.log1p(counts) @ np.take(model.ptc, features, axis=0) + model.pc
        )
    else:
        result = np.full(len(model.classes), model.floor, dtype=np.float32)
    for first, dupe in model.alias_pairs:
        result[first] = max(result[first], result[dupe])
        result[dupe] = model.floor
    return result


def scores(text: str) -> npt.NDArray[np.float32]:
    """Give py3langid's raw score of ``text`` for every class of its model."""
    features, counts = feature_counts(encode(text))
    return _score(features, counts)


def classify(text: str) -> tuple[str, float]:
    """Give the language py3langid would give ``text``, with its score.

    >>> classify("The province hopes to continue receiving support from Japan.")[0]
    'en'
    """
    return classify_batch([text])[0]


def classify_batch(texts: Sequence[str]) -> list[tuple[str, float]]:
    """Give ``classify(text)`` for each of ``texts``, walking them together.

    >>> texts = ["Rice exports rose by five percent in May.", "Xuất khẩu gạo tăng năm phần trăm."]
    >>> [code for code, _score in classify_batch(texts)]
    ['en', 'vi']
    """
    classes = _model().classes
    answers: list[tuple[str, float]] = []
    for start in range(0, len(texts), _CHUNK_TEXTS):
        found = _count_features([encode(text) for text in texts[start : start + _CHUNK_TEXTS]])
        bounds = found.bounds.tolist()
        for low, high in itertools.pairwise(bounds):
            result = _score(found.features[low:high], found.counts[low:high])
            best = int(result.argmax())
            answers.append((classes[best], float(result[best])))
    return answers
