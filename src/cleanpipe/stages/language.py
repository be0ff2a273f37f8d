"""Language: a text in, its ISO 639-1 code (py3langid's model) or ``None`` out.

py3langid scores a text by its byte n-gram features: an Aho-Corasick automaton
over the UTF-8 bytes marks at each byte the feature that ends there, and a
naive Bayes table turns the feature counts into a score per language. Its
automaton is walked one byte at a time in Python, which costs more than all
the rest of a document's cleaning. Here the same model is walked over many
texts at once with numpy: each text is cut into segments of ``_SEGMENT``
bytes, and all the segments of a batch take a step together, one table
look-up per byte. A segment that does not start its text needs the state
the walk is in at its start, and that state is known without walking what
comes before: it is the longest suffix of the text so far that is a node of
the trie, and no node is deeper than ``_WINDOW`` bytes, so it is the state
reached from the root over the window's bytes before the segment (a check
that the segment before ended there keeps the walk exact whatever the
model). The counts, their order and the scoring arithmetic are py3langid's
own, text by text, so the scores are bit-identical to ``py3langid.classify``
on the same text.

The model is loaded once per process, on first use; ``load_model`` does it
ahead of time, e.g. before forking workers. Built from py3langid's own file
it takes about a second (the file is LZMA compressed), so the arrays built
from it are kept in a cache folder (``cache_folder``: ``$CLEANPIPE_CACHE_DIR``,
else ``$XDG_CACHE_HOME/cleanpipe``, else ``~/.cache/cleanpipe``), keyed by a
digest of py3langid's model file and of this layout, and every later process
maps them in a few milliseconds (the pages are shared between processes). A
cache that cannot be written or read is skipped with a debug log line: the
model is then built in memory, as on the first run. It takes about 135 MB:
the transitions with each target's feature beside its row (78 MB) and the
feature table cast to float32 (57 MB).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import os
import shutil
import threading
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import xxhash

__all__ = [
    "cache_folder",
    "classify",
    "classify_batch",
    "load_model",
    "rank_batch",
    "release_model",
]

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
    mapped: bool = False  # read from the cache folder: mapping it again costs milliseconds


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
# Bytes of a segment, the bytes walked side by side (see _walk): the steps of a
# chunk, each a few numpy calls over its segments.
_SEGMENT = 64
# Segments enough to spread the per-call cost of numpy over a step: a text or
# two is cut into shorter segments than a chunk.
_LANES = 2048
# Bits of the int64 key that sorts a chunk's feature groups by first position
# with their feature and count packed beside it (a chunk under ~8 MB fits).
_PACKED_BITS = 63
_LOCK = threading.Lock()
_MODEL: list[_Model] = []


def load_model() -> None:
    """Load py3langid's model now rather than on the first ``classify``.

    >>> load_model()
    """
    _model()


def release_model() -> None:
    """Forget the model if it was mapped from the cache, giving its pages back.

    A worker that has told the languages of its partitions and moves on to
    the corpus steps holds ~100 MB of the model's pages it no longer needs;
    mapped again, it costs milliseconds. A model built in memory (no cache
    folder) is kept: building it again costs a second.

    >>> release_model()
    """
    with _LOCK:
        if _MODEL and _MODEL[0].mapped:
            _MODEL.clear()


def _model() -> _Model:
    if _MODEL:
        return _MODEL[0]
    with _LOCK:
        if not _MODEL:
            _MODEL.append(_cached_model())
    return _MODEL[0]


# Bump when _Model's arrays or their meaning change: the cache key.
_CACHE_LAYOUT = 1
_ARRAYS = ("moves", "root_pairs", "ptc", "pc")


def cache_folder() -> Path:
    """The folder where cleanpipe keeps what it derives from installed files.

    ``$CLEANPIPE_CACHE_DIR``, else ``$XDG_CACHE_HOME/cleanpipe``, else
    ``~/.cache/cleanpipe``.

    >>> cache_folder().name in {"cleanpipe", os.environ.get("CLEANPIPE_CACHE_DIR", "")} or True
    True
    """
    explicit = os.environ.get("CLEANPIPE_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "cleanpipe"


def _model_file() -> Path:
    from py3langid import langid

    path = Path(langid.MODEL_FILE)
    return path if path.is_absolute() else Path(langid.MODEL_DIR) / path


def _cache_path() -> Path:
    digest = xxhash.xxh3_64_hexdigest(_model_file().read_bytes())
    return cache_folder() / f"langid-{_CACHE_LAYOUT}-{digest}"


def _cached_model() -> _Model:
    """The model from the cache folder, or built and put there (see the module docstring)."""
    try:
        folder = _cache_path()
    except OSError as exc:
        log.debug("py3langid's model file cannot be read (%s)", exc)
        return _build_model()
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        return _read_cache(folder)
    model = _build_model()
    try:
        _write_cache(folder, model)
    except OSError as exc:
        log.debug("%s: language model not cached (%s)", folder, exc)
    return model


def _read_cache(folder: Path) -> _Model:
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    # Mapped, then seen as plain arrays over the same pages: an np.memmap would
    # make every result of an index or take a memmap too, with its bookkeeping.
    arrays = {name: np.asarray(np.load(folder / f"{name}.npy", mmap_mode="r")) for name in _ARRAYS}
    return _Model(
        moves=arrays["moves"],
        root=int(meta["root"]),
        root_pairs=arrays["root_pairs"],
        ptc=arrays["ptc"],
        pc=np.asarray(arrays["pc"]),
        classes=tuple(meta["classes"]),
        alias_pairs=tuple((int(a), int(b)) for a, b in meta["alias_pairs"]),
        floor=float(meta["floor"]),
        mapped=True,
    )


def _write_cache(folder: Path, model: _Model) -> None:
    """Write the model's arrays under a temporary name, then rename it into place."""
    if folder.is_dir():
        shutil.rmtree(folder)  # unreadable (it failed to load): write it again
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = folder.parent / f".{folder.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp"
    try:
        tmp.mkdir()
        for name in _ARRAYS:
            np.save(tmp / f"{name}.npy", getattr(model, name))
        meta = {
            "root": model.root,
            "classes": list(model.classes),
            "alias_pairs": [list(pair) for pair in model.alias_pairs],
            "floor": model.floor,
        }
        # meta.json last: a folder without it is incomplete and never read.
        (tmp / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
        tmp.rename(folder)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        if not (folder / "meta.json").is_file():  # another process may have won the race
            raise


def _build_model() -> _Model:
    from py3langid import langid  # a second of start-up, paid when the cache is cold

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
    walked = _walk(np.frombuffer(b"".join(datas), dtype=np.uint8).astype(np.intp), starts, lengths)
    # Sort (text, feature, position) as one key: a group per feature of a text,
    # its first element at the feature's first occurrence in that text.
    classes = len(model.ptc)
    bits = max(total.bit_length(), 1)
    low = (1 << bits) - 1
    plus_one = walked.moves & _OUT_MASK  # the feature + 1; 0: none, or past a segment's end
    key = plus_one + (walked.text * classes - 1)[None, :]
    key <<= bits
    key |= walked.at
    key = key[plus_one > 0]
    if not len(key):
        empty = np.zeros(0, dtype=np.intp)
        return _Features(empty, np.zeros(0, dtype=np.float32), np.zeros_like(starts))
    key.sort()
    group = key >> bits
    new = np.empty(len(key), dtype=bool)
    new[0] = True
    np.not_equal(group[1:], group[:-1], out=new[1:])
    firsts = np.flatnonzero(new)
    counts = np.diff(firsts, append=len(key))
    first = np.take(key, firsts)
    feature = (first >> bits) % classes
    position = first & low
    # The groups in order of first position: the order of py3langid's
    # Counter, text after text. Sorted as one packed key where it fits.
    feature_bits = max(classes - 1, 1).bit_length()
    if 2 * bits + feature_bits <= _PACKED_BITS:
        packed = position << (feature_bits + bits)
        packed |= feature << bits
        packed |= counts
        packed.sort()
        position = packed >> (feature_bits + bits)
        feature = (packed >> bits) & ((1 << feature_bits) - 1)
        counts = packed & low
    else:
        order = np.argsort(position)
        position, feature, counts = position[order], feature[order], counts[order]
    return _Features(
        features=feature.astype(np.intp),
        counts=counts.astype(np.float32),
        bounds=np.searchsorted(position, starts),
    )


@dataclass(frozen=True)
class _Walked:
    """The automaton's moves over a batch of texts, segment by segment (see ``_walk``)."""

    moves: npt.NDArray[np.int64]  # [step, segment]: the move at that byte (0 past the end)
    at: npt.NDArray[np.int64]  # [step, segment]: the byte's position, or the total past the end
    text: npt.NDArray[np.int64]  # [segment]: the text it is a segment of


def _walk(
    byte: npt.NDArray[np.intp], starts: npt.NDArray[np.intp], lengths: npt.NDArray[np.intp]
) -> _Walked:
    """Give the automaton's move at every byte of texts laid end to end.

    A text's walk starts at the root at its first byte (``starts``); the move
    at a byte packs the row offset and feature of the state it reaches.

    Each text is cut into segments of ``_SEGMENT`` bytes, and all segments
    are walked side by side, a byte of each per step: one table look-up per
    byte. A segment that does not start its text starts from the state the
    window's bytes before it reach from the root (the state the walk is in
    there, as the module's docstring explains); that the segment before it
    ended in that state is checked, whatever the model.
    """
    model = _model()
    total = len(byte)
    moves, shift = model.moves, _OUT_BITS
    lead = max(_WINDOW, 3) - 1  # bytes before a byte that decide the state it is read in
    # Segments of _SEGMENT bytes for a full chunk; for a few texts shorter ones
    # (fewer steps), but never shorter than the window before them.
    size = min(_SEGMENT, max(lead + 1, 8, -(-total // _LANES)))
    pieces = (lengths + size - 1) // size
    first = np.cumsum(pieces) - pieces  # each text's first segment
    text = np.repeat(np.arange(len(lengths)), pieces)
    rank = np.arange(len(text)) - first[text]  # a segment's place in its text
    begin = starts[text] + rank * size
    length = np.minimum(size, starts[text + 1] - begin)
    # The state each segment starts in: the root, or the one its window reaches.
    row = np.full(len(text), model.root, dtype=np.int64)
    inner = np.flatnonzero(rank > 0)
    if len(inner):
        warm = np.full(len(inner), model.root, dtype=np.int64)
        for back in range(lead, 0, -1):
            warm = moves[warm + byte[begin[inner] - back]] >> shift
        row[inner] = warm
    start_rows = row.copy()
    # Segments longest first, so the ones still walking at a step are a prefix.
    order = np.argsort(-length, kind="stable")
    begin, length, row = begin[order], length[order], row[order]
    walking = len(order) - np.cumsum(np.bincount(length, minlength=size + 1))
    # at[t, k]: the position of byte t of segment k, or `total` (a pad byte, a
    # slot for the moves past a segment's end) when the segment is shorter.
    at = begin[None, :] + np.arange(size)[:, None]
    at[np.arange(size)[:, None] >= length[None, :]] = total
    padded = np.zeros(total + 1, dtype=np.intp)
    padded[:total] = byte
    step_bytes = np.take(padded, at)
    step_moves = np.zeros(at.shape, dtype=np.int64)
    offset = np.empty(len(order), dtype=np.int64)
    for step in range(size):
        width = int(walking[step])
        if not width:
            break
        np.add(row[:width], step_bytes[step, :width], out=offset[:width])
        # mode="clip": no bounds check (every row offset + byte is a move).
        np.take(moves, offset[:width], out=step_moves[step, :width], mode="clip")
        np.right_shift(step_moves[step, :width], shift, out=row[:width])
    # Each segment after a text's first must start where the one before ended.
    ended = np.empty_like(row)
    ended[order] = row
    if len(inner) and (start_rows[inner] != ended[inner - 1]).any():
        # A trie deeper than the window: walk byte by byte.
        log.warning("py3langid's model is deeper than %d bytes: slow walk", _WINDOW)
        found = np.zeros(total + 1, dtype=np.int64)
        for low, high in itertools.pairwise(starts.tolist()):
            current = model.root
            for i in range(low, high):
                found[i] = moves[current + byte[i]]
                current = int(found[i] >> shift)
        step_moves = np.take(found, at)
    return _Walked(moves=step_moves, at=at, text=text[order])


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
    return [(code, score) for code, score, _margin in rank_batch(texts)]


def rank_batch(texts: Sequence[str]) -> list[tuple[str, float, float]]:
    """Give each text's language and score, as ``classify``, and the margin of its answer.

    The margin is the best score less the second best (both py3langid's raw
    log-probabilities): how much the text prefers its answer to the nearest
    other language. It grows with the length of the text.

    >>> code, score, margin = rank_batch(["Rice exports rose by five percent in May."])[0]
    >>> code, margin > 0
    ('en', True)
    """
    classes = _model().classes
    answers: list[tuple[str, float, float]] = []
    for start in range(0, len(texts), _CHUNK_TEXTS):
        found = _count_features([encode(text) for text in texts[start : start + _CHUNK_TEXTS]])
        bounds = found.bounds.tolist()
        for low, high in itertools.pairwise(bounds):
            result = _score(found.features[low:high], found.counts[low:high])
            best = int(result.argmax())
            top = float(result[best])
            result[best] = -np.inf
            answers.append((classes[best], top, top - float(result.max())))
    return answers
