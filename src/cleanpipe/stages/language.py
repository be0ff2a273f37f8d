"""Language: a text in, its ISO 639-1 code (py3langid's model) or ``None`` out.

py3langid scores a text by its byte n-gram features: an Aho-Corasick automaton
over the UTF-8 bytes marks at each byte the feature that ends there, and a
naive Bayes table turns the feature counts into a score per language. Its
automaton is walked one byte at a time in Python, which costs more than all
the rest of a document's cleaning. Here the same model is walked for every
byte at once with numpy: the automaton's state after a byte is the longest
suffix of the text so far that is a node of its trie, and no node is deeper
than ``_WINDOW`` bytes, so the state after byte ``i`` is the state reached
from the root over bytes ``i - _WINDOW + 1 .. i`` alone: a few vectorised
steps instead of one Python step per byte (and one more checks the result).
The counts, their order and the scoring arithmetic are py3langid's own, so
the scores are bit-identical to ``py3langid.classify`` on the same text.

The model is loaded once, on first use (about a second: it is LZMA
compressed), by py3langid's own loader; ``load_model`` does it ahead of
time, e.g. before forking workers. It takes about 100 MB: the transitions
(39 MB) and the feature table cast to float32 (57 MB).
"""

from __future__ import annotations

import logging
import threading
import unicodedata
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["classify", "load_model"]


@dataclass(frozen=True)
class _Model:
    """py3langid's identifier, with its automaton as numpy arrays."""

    nextmove: npt.NDArray[np.uint32]  # distinct 256-entry transition rows, raveled
    rowbase: npt.NDArray[np.int64]  # state -> offset of its row in nextmove
    output: npt.NDArray[np.int64]  # state -> the feature ending there, or -1
    root_pairs: npt.NDArray[np.int64]  # state after two bytes from the root, 65536 entries
    ptc: npt.NDArray[np.float32]  # feature x class log-probabilities (float16 in the file)
    pc: npt.NDArray[np.float32]  # class priors
    classes: tuple[str, ...]
    alias_pairs: tuple[tuple[int, int], ...]  # (first, dupe) columns of one label
    floor: float  # py3langid's score for a text without a feature


log = logging.getLogger(__name__)

# Bytes of text that decide the automaton's state: the depth of its deepest
# trie node (6 for py3langid 0.4's model; tests/unit/test_language.py measures
# it). A deeper model stays exact, through the check in feature_counts.
_WINDOW = 6
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
    nextmove = np.asarray(ident.tk_nextmove, dtype=np.uint32)
    rowbase = np.asarray(ident.tk_row, dtype=np.int64) << 8
    output = np.asarray(ident.tk_output, dtype=np.int64)
    first = nextmove[rowbase[0] + np.arange(256)].astype(np.int64)
    root_pairs = nextmove[rowbase[first][:, None] + np.arange(256)].astype(np.int64).ravel()
    return _Model(
        nextmove=nextmove,
        rowbase=rowbase,
        output=output,
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
    model = _model()
    size = len(data)
    if not size:
        return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.float32)
    byte = np.frombuffer(data, dtype=np.uint8).astype(np.intp)
    state = np.zeros(size, dtype=np.intp)
    nextmove, rowbase = model.nextmove, model.rowbase
    # Step `back` feeds byte i - back to the state of every position i >= back,
    # from the oldest byte of the window to byte i itself; a position nearer the
    # start than the window's width starts at byte 0, as the automaton does. The
    # first two steps of the full windows come from one table.
    back = _WINDOW - 1
    if size > back >= 2:
        state[back:] = model.root_pairs[(byte[: size - back] << 8) | byte[1 : size - back + 1]]
        state[back - 1] = nextmove[rowbase[0] + byte[0]]
        back -= 2
    for step in range(min(back, size - 1), -1, -1):
        state[step:] = nextmove[rowbase[state[step:]] + byte[: size - step]]
    # The walk is the automaton's own if every state follows from the one
    # before by its transition: one more step checks that, whatever the model.
    if size > 1 and (state[1:] != nextmove[rowbase[state[:-1]] + byte[1:]]).any():
        # A trie deeper than the window: walk byte by byte.
        log.warning("py3langid's model is deeper than %d bytes: slow walk", _WINDOW)
        current = 0
        for i in range(size):
            current = int(nextmove[rowbase[current] + byte[i]])
            state[i] = current
    found = model.output[state]
    found = found[found >= 0]
    if not len(found):
        return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.float32)
    # Sort (feature, position) pairs as one key: each feature's group starts
    # at its first occurrence, which orders the groups as py3langid's Counter.
    total = len(found)
    key = found * total
    key += np.arange(total)
    key.sort()
    feature = key // total
    new = np.empty(total, dtype=bool)
    new[0] = True
    np.not_equal(feature[1:], feature[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    ends = np.empty_like(starts)
    ends[:-1] = starts[1:]
    ends[-1] = total
    by_first = np.argsort(key[starts] % total)
    return feature[starts[by_first]], (ends - starts)[by_first].astype(np.float32)


def scores(text: str) -> npt.NDArray[np.float32]:
    """Give py3langid's raw score of ``text`` for every class of its model."""
    model = _model()
    features, counts = feature_counts(encode(text))
    if len(features):
        # py3langid's own expression, operand for operand: bit-identical scores.
        result: npt.NDArray[np.float32] = np.log1p(counts) @ model.ptc[features] + model.pc
    else:
        result = np.full(len(model.classes), model.floor, dtype=np.float32)
    for first, dupe in model.alias_pairs:
        result[first] = max(result[first], result[dupe])
        result[dupe] = model.floor
    return result


def classify(text: str) -> tuple[str, float]:
    """Give the language py3langid would give ``text``, with its score.

    >>> classify("The province hopes to continue receiving support from Japan.")[0]
    'en'
    """
    model = _model()
    result = scores(text)
    best = int(result.argmax())
    return model.classes[best], float(result[best])
