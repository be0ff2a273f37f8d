"""The work folder: per-partition artifacts on disk, the contract between the steps.

Beside ``read.py`` (the dump) and ``write.py`` (the output), the only module
that touches files. A run keeps its work in ``OUT/.cleanpipe/work`` (or
``--work-dir``)::

    parts/<key>/            one prepared partition (complete once renamed into place)
        drafts.bin          one JSON array per draft: path, line, format, sha256, title, date,
        drafts.idx.npy      source, dateline, url, author, language, word count, text; and the
                            byte offset of each (uint64), so any row is read alone (one pread)
        pathidx.npy line.npy   per draft: index into meta's paths, line (0 for a file)
        digest.npy          per draft: the 128-bit exact-copy digest as two uint64
        bands.npy           the LSH band keys, (bands, drafts) uint64: a band is contiguous
        lrow.npy lkey.npy   per short paragraph: its draft, and the hash of (scope, line key)
        rejects.jsonl       the partition's rejections, in read order
        meta.json           counts: drafts, removals by rule, skipped WARC records, paths
    fix/<key>.<lines>/      the partition after removing the repeated lines whose hashes
                            digest to <lines> (complete once renamed into place):
        rows.npy alive.npy digest.npy bands.npy texts.bin texts.idx.npy rejects.jsonl
        summary.json        (a texts row: word count, text)
    verify/<task>.npy       the decisions of one block of candidate pairs
    runs/<task>.run         a sorted run of records (one merge task), and its summary
    runs/<task>.json        (written after the run: the pair is complete when it exists)
    tmp/                    the write step's scratch (runs merged in groups, the listing)

Everything under fix/, verify/ and runs/ is named by a hash of what it was
made from (the partition keys, the repeated lines, the pairs, the rows, the
settings), so a run that was killed half-way through the corpus steps finds
the blocks it had finished and does not do them again.

The drafts are JSON rows behind an offset index rather than Arrow or Parquet:
a task reads back single rows (candidate pairs, clusters), which this serves
with one slice and one ``orjson.loads``, and importing pyarrow costs a cold
start 0.65 s (2 s with the pandas it pulls in on first use) in every process.

A partition folder (and every other artifact) is written under a temporary
name and renamed when complete, so a killed run leaves only whole artifacts,
which the next run with the same keys (a resume, or ``--incremental``) takes
as they are. Partitions no key of the run names are removed when it starts
(``WorkFolder.open``); the whole folder is removed after a successful run,
or, kept for ``--incremental``, whatever that run did not use
(``WorkFolder.prune``): it never grows beyond one run's work and its leftovers.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson

from cleanpipe.errors import OutputError
from cleanpipe.models import Draft, Origin, Rejection
from cleanpipe.stages.merge import Copy

__all__ = ["DRAFT_FIELDS", "PartReader", "PartWriter", "WorkFolder", "work_error"]

DRAFT_FIELDS = ("title", "date", "source", "dateline", "url", "author", "language")
"""The optional metadata of a draft row, after the origin's fields and before ``text``."""

_META = "meta.json"


def work_error(path: Path, exc: OSError) -> OutputError:
    """The one-line error of a work folder that cannot be written (a full disk)."""
    why = exc.strerror or str(exc)
    return OutputError(
        f"{path}: cannot write the work folder ({why}); the previous output, if any, "
        "is untouched; free some space or choose another --work-dir"
    )


class WorkFolder:
    """The folder of one run's artifacts (see the module docstring)."""

    def __init__(self, path: Path) -> None:
        self.path = path.resolve()
        self.parts = self.path / "parts"
        self.fixes = self.path / "fix"
        self.verifies = self.path / "verify"
        self.runs = self.path / "runs"
        self.scratch = self.path / "tmp"

    def open(self, keep: Iterable[str]) -> set[str]:
        """Create the folder; remove what the keys ``keep`` do not name.

        Returns the paths of the inputs of the artifacts removed (an
        incremental run's files gone, or changed).
        """
        keep = set(keep)
        removed: set[str] = set()
        try:
            self.parts.mkdir(parents=True, exist_ok=True)
            for entry in list(self.parts.iterdir()):
                if entry.name in keep and (entry / _META).is_file():
                    continue
                if (entry / _META).is_file():
                    with contextlib.suppress(OSError, ValueError, KeyError):
                        removed.update(orjson.loads((entry / _META).read_bytes())["inputs"])
                _remove(entry)
            _remove(self.scratch)
            for folder in (self.fixes, self.verifies, self.runs, self.scratch):
                folder.mkdir(exist_ok=True)
                for entry in list(folder.glob(".*.tmp")):  # a killed run's unfinished writes
                    _remove(entry)
        except OSError as exc:
            raise work_error(self.path, exc) from exc
        return removed

    def prune(self, used: Iterable[Path]) -> None:
        """Remove the corpus steps' artifacts that are not in ``used`` (kept for the next run)."""
        keep = {path.resolve() for path in used}
        try:
            for folder in (self.fixes, self.verifies, self.runs):
                for entry in list(folder.iterdir()):
                    if entry.resolve() not in keep:
                        _remove(entry)
            _remove(self.scratch)
        except OSError as exc:
            raise work_error(self.path, exc) from exc

    def part(self, key: str) -> Path:
        """The folder of the partition artifact ``key``."""
        return self.parts / key

    def has(self, key: str) -> bool:
        """Whether a complete artifact of ``key`` is on disk."""
        return (self.parts / key / _META).is_file()

    def size_bytes(self) -> int:
        """The bytes the folder holds now."""
        total = 0
        for folder, _dirs, files in os.walk(self.path):
            for name in files:
                with contextlib.suppress(OSError):
                    total += (Path(folder) / name).stat().st_size
        return total

    def remove(self) -> None:
        """Remove the whole folder (after a successful run that keeps nothing)."""
        _remove(self.path)


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path)


@dataclass
class PartSummary:
    """What the driver learns of a prepared partition: counts, never documents."""

    key: str
    drafts: int = 0
    rejections: int = 0
    removed: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    paths: list[str] = field(default_factory=list)
    first_rejection: tuple[str, int, str, str] | None = None
    """(path, line, reason, detail) of the first rejection in (path, line) order."""


class PartWriter:
    """Write one partition's artifact under a temporary name; ``close`` puts it in place."""

    def __init__(self, folder: Path, key: str, *, bands: int) -> None:
        self.final = folder / key
        self.tmp = temporary(folder / key)
        self.tmp.mkdir(parents=True)
        self._bands = bands
        self._rows = _RowWriter(self.tmp / "drafts")
        self._paths: dict[str, int] = {}
        self._pathidx: list[npt.NDArray[np.uint32]] = []
        self._lines: list[npt.NDArray[np.int64]] = []
        self._digests: list[npt.NDArray[np.uint64]] = []
        self._band_keys: list[npt.NDArray[np.uint64]] = []
        self._lrows: list[npt.NDArray[np.int64]] = []
        self._lkeys: list[npt.NDArray[np.uint64]] = []
        self._rejects = (self.tmp / "rejects.jsonl").open("wb")
        self.summary = PartSummary(key=key)

    def add_drafts(
        self,
        drafts: Sequence[Draft],
        *,
        digests: npt.NDArray[np.uint64],
        bands: npt.NDArray[np.uint64],
        line_rows: npt.NDArray[np.int64],
        line_keys: npt.NDArray[np.uint64],
        words: Sequence[int],
    ) -> None:
        """Append a batch of drafts with their compact columns.

        ``line_rows`` are positions in this batch; ``words`` the word count of each text.
        """
        if not drafts:
            return
        pathidx = np.empty(len(drafts), dtype=np.uint32)
        lines = np.empty(len(drafts), dtype=np.int64)
        for i, (draft, count) in enumerate(zip(drafts, words, strict=True)):
            origin = draft.origin
            self._rows.add(
                [
                    origin.path,
                    origin.line,
                    origin.format,
                    origin.sha256,
                    *(getattr(draft, name) for name in DRAFT_FIELDS),
                    count,
                    draft.text,
                ]
            )
            pathidx[i] = self._paths.setdefault(origin.path, len(self._paths))
            lines[i] = origin.line or 0
        self._lrows.append(line_rows + self.summary.drafts)
        self._lkeys.append(line_keys)
        self.summary.drafts += len(drafts)
        self._pathidx.append(pathidx)
        self._lines.append(lines)
        self._digests.append(digests.reshape(-1, 2))
        self._band_keys.append(bands.reshape(len(drafts), self._bands))

    def add_rejection(self, rejection: Rejection) -> None:
        """Record one rejection (kept in read order)."""
        self._rejects.write(orjson.dumps(rejection.model_dump(mode="json")) + b"\n")
        self.summary.rejections += 1
        key = (rejection.path, rejection.line or 0, rejection.reason, rejection.detail)
        first = self.summary.first_rejection
        if first is None or key[:2] < first[:2]:
            self.summary.first_rejection = key

    def close(self, *, inputs: Sequence[str] = ()) -> PartSummary:
        """Write the columns and the meta file, and rename the folder into place.

        ``inputs`` names the files the partition was read from (as origins show them).
        """
        self._rows.close()
        self._rejects.close()
        arrays = {
            "pathidx": _concat(self._pathidx, np.uint32, (0,)),
            "line": _concat(self._lines, np.int64, (0,)),
            "digest": _concat(self._digests, np.uint64, (0, 2)),
            # (bands, drafts) in C order: a band is one contiguous row on disk.
            "bands": np.ascontiguousarray(_concat(self._band_keys, np.uint64, (0, self._bands)).T),
            "lrow": _concat(self._lrows, np.int64, (0,)),
            "lkey": _concat(self._lkeys, np.uint64, (0,)),
        }
        for name, array in arrays.items():
            np.save(self.tmp / f"{name}.npy", array, allow_pickle=False)
        summary = self.summary
        summary.paths = list(self._paths)
        meta = {
            "drafts": summary.drafts,
            "first_rejection": summary.first_rejection,
            "inputs": list(inputs),
            "paths": summary.paths,
            "rejections": summary.rejections,
            "removed": dict(summary.removed),
            "skipped": dict(summary.skipped),
        }
        (self.tmp / _META).write_bytes(orjson.dumps(meta, option=orjson.OPT_SORT_KEYS))
        _remove(self.final)
        self.tmp.replace(self.final)
        return summary

    def abort(self) -> None:
        """Drop the unfinished artifact."""
        with contextlib.suppress(OSError):
            self._rows.close()
        with contextlib.suppress(OSError):
            self._rejects.close()
        with contextlib.suppress(OSError):
            _remove(self.tmp)


def _concat(parts: list[Any], dtype: type, empty: tuple[int, ...]) -> npt.NDArray[Any]:
    if not parts:
        return np.zeros(empty, dtype=dtype)
    return np.ascontiguousarray(np.concatenate(parts), dtype=dtype)


def read_summary(folder: Path) -> PartSummary:
    """Read back the summary of a complete partition artifact."""
    meta = orjson.loads((folder / _META).read_bytes())
    first = meta["first_rejection"]
    return PartSummary(
        key=folder.name,
        drafts=int(meta["drafts"]),
        rejections=int(meta["rejections"]),
        removed=Counter({str(k): int(v) for k, v in meta["removed"].items()}),
        skipped=Counter({str(k): int(v) for k, v in meta["skipped"].items()}),
        paths=[str(p) for p in meta["paths"]],
        first_rejection=None if first is None else (first[0], first[1], first[2], first[3]),
    )


def load_array(folder: Path, name: str) -> npt.NDArray[Any]:
    """A column of an artifact, memory-mapped (read-only)."""
    array: npt.NDArray[Any] = np.load(folder / f"{name}.npy", mmap_mode="r", allow_pickle=False)
    return array


_NPY_MAGIC = b"\x93NUMPY"
_NPY_HEADER = re.compile(
    rb"\{'descr': '([<>|=][a-z]\d+)', 'fortran_order': (True|False), 'shape': \(([\d, ]*)\), *\}"
)


def _npy_layout(head: bytes) -> tuple[np.dtype[Any], tuple[int, ...], int] | None:
    """``(dtype, shape, data offset)`` of an ``.npy`` file that ``np.save`` wrote, from its head.

    ``None`` for a header of another shape (Fortran order, a structured
    dtype, or one longer than ``head``): the caller lets ``np.load`` read it.
    """
    if head[:6] != _NPY_MAGIC or head[6:7] not in {b"\x01", b"\x02", b"\x03"}:
        return None
    begin = 12 if head[6] > 1 else 10
    start = begin + int.from_bytes(head[8:begin], "little")
    if start > len(head):
        return None
    found = _NPY_HEADER.match(head, begin, start)
    if found is None or found.group(2) != b"False":
        return None
    shape = tuple(int(n) for n in found.group(3).split(b",") if n.strip())
    return np.dtype(found.group(1).decode()), shape, start


def read_npy(path: Path) -> npt.NDArray[Any]:
    """Read an ``.npy`` file that ``np.save`` wrote.

    The same array as ``np.load``, without its header parser
    (``ast.literal_eval``), which cost more than the read itself for the small
    columns a task opens by the hundred (every partition of a 1M-document run,
    once per task). A header of another shape goes to ``np.load``.
    """
    data = path.read_bytes()
    layout = _npy_layout(data)
    if layout is not None:
        dtype, shape, start = layout
        count = int(np.prod(shape))
        if len(data) - start == count * dtype.itemsize:
            return np.frombuffer(data, dtype=dtype, count=count, offset=start).reshape(shape)
    loaded: npt.NDArray[Any] = np.load(path, allow_pickle=False)
    return loaded


class ArrayRows:
    """The rows of a 2-D ``.npy`` file that ``np.save`` wrote, read one at a time (``pread``).

    For the band keys of a partition, ``(bands, drafts)``: the corpus steps
    read one band of every partition at a time, and a row read this way costs
    one call, where ``np.load`` of the file per band parsed its header each
    time (700 times at 25 partitions of 28 bands).
    """

    def __init__(self, path: Path) -> None:
        with path.open("rb") as handle:
            layout = _npy_layout(handle.read(512))
        if layout is None:
            array = np.load(path, allow_pickle=False)  # another header: read it whole
            self._array: npt.NDArray[Any] | None = array
            self.shape: tuple[int, ...] = tuple(array.shape)
            return
        self._array = None
        self._path = path
        self._dtype, self.shape, self._start = layout
        self._fd = os.open(path, os.O_RDONLY)

    def row(self, index: int) -> npt.NDArray[Any]:
        """Row ``index`` of the array."""
        if self._array is not None:
            return np.asarray(self._array[index])
        width = self.shape[1]
        size = width * self._dtype.itemsize
        data = os.pread(self._fd, size, self._start + index * size)
        if len(data) != size:
            msg = f"{self._path}: shorter than its header says"
            raise OSError(msg)
        return np.frombuffer(data, dtype=self._dtype)

    def close(self) -> None:
        """Close the file."""
        if self._array is None:
            os.close(self._fd)


def save_array(folder: Path, name: str, array: npt.NDArray[Any]) -> None:
    """Write a column of an artifact."""
    np.save(folder / f"{name}.npy", np.ascontiguousarray(array), allow_pickle=False)


def temporary(path: Path) -> Path:
    """A name beside ``path`` to write it under before renaming it into place."""
    return path.parent / f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp"


def write_file_atomic(path: Path, data: bytes) -> None:
    """Write ``path`` whole or not at all (a temporary name, then a rename)."""
    tmp = temporary(path)
    try:
        tmp.write_bytes(data)
        tmp.replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def iter_rejections(path: Path) -> Iterator[Rejection]:
    """The rejections of an artifact's ``rejects.jsonl``, in the order written."""
    if not path.is_file():
        return
    with path.open("rb") as handle:
        for line in handle:
            yield Rejection.model_construct(**orjson.loads(line))


class _RowWriter:
    """JSON rows appended to ``<stem>.bin``, their offsets to ``<stem>.idx.npy`` on close."""

    def __init__(self, stem: Path) -> None:
        self._stem = stem
        self._handle = stem.with_suffix(".bin").open("wb")
        self._offsets = [0]

    def add(self, row: list[Any]) -> None:
        data = orjson.dumps(row)
        self._handle.write(data)
        self._offsets.append(self._offsets[-1] + len(data))

    def close(self) -> None:
        if self._handle.closed:
            return
        self._handle.close()
        offsets = np.asarray(self._offsets, dtype=np.uint64)
        np.save(self._stem.with_suffix(".idx.npy"), offsets, allow_pickle=False)


def write_texts(stem: Path, texts: Sequence[str], words: Sequence[int]) -> None:
    """Write texts as rows of their word count and text (``<stem>.bin`` and ``<stem>.idx.npy``)."""
    writer = _RowWriter(stem)
    for text, count in zip(texts, words, strict=True):
        writer.add([count, text])
    writer.close()


class _Rows:
    """Random access to the JSON rows of ``<stem>.bin``, read with ``pread``.

    Not memory-mapped: a verification task reads a few rows of every
    partition, and each page fault of a map would bring its neighbours into
    the process's resident set too (fault-around), so that at 1M documents a
    task's RSS grew with the size of the work folder, not with what it read.
    Rows asked for together are read in file order, neighbours in one ``pread``.
    """

    def __init__(self, stem: Path) -> None:
        self._offsets = read_npy(stem.with_suffix(".idx.npy"))
        self._fd = os.open(stem.with_suffix(".bin"), os.O_RDONLY)

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def rows(self, indices: Sequence[int]) -> list[list[Any]]:
        """The rows at ``indices`` (any order, repeats allowed), decoded."""
        if not len(indices):
            return []
        wanted = np.asarray(indices, dtype=np.int64)
        if wanted.min() < 0 or wanted.max() >= len(self):
            msg = f"rows {wanted.min()}..{wanted.max()} of {len(self)}"
            raise IndexError(msg)
        order = np.argsort(wanted, kind="stable")
        starts = self._offsets[wanted[order]].astype(np.int64).tolist()
        ends = self._offsets[wanted[order] + 1].astype(np.int64).tolist()
        places = order.tolist()
        # Spans of rows close enough to read at once: a new span where the gap
        # from the previous row's end exceeds _GAP, or the span would pass _SPAN
        # (rows in file order end in file order too).
        found: list[Any] = [None] * len(places)
        first = 0
        for i in range(1, len(places) + 1):
            if i < len(places) and (
                starts[i] - ends[i - 1] <= _GAP and ends[i] - starts[first] <= _SPAN
            ):
                continue
            low, high = starts[first], ends[i - 1]
            data = os.pread(self._fd, high - low, low)
            if len(data) != high - low:
                msg = "a work folder file is shorter than its index"
                raise OSError(msg)
            view = memoryview(data)
            for j in range(first, i):
                found[places[j]] = orjson.loads(view[starts[j] - low : ends[j] - low])
            first = i
        return found

    def close(self) -> None:
        os.close(self._fd)


# Rows read together in one pread when the bytes between them are at most
# _GAP (reading a little more costs less than another call), up to _SPAN bytes.
_GAP = 16 << 10
_SPAN = 1 << 20
# Partitions a PartReader keeps open at once (two files each, at most).
_OPEN_PARTS = 256


class PartReader:
    """Random access to the drafts of prepared partitions.

    Only the rows asked for are read from disk, and so are the ``fixed`` texts
    (after repeated-line removal) that replace the prepared ones: a task that
    reads a few rows of every partition does not load every partition's fixed
    texts (at 1M documents that was ~150k texts per verification task).
    """

    def __init__(self, parts: Sequence[Path], fixes: Sequence[Path | None]) -> None:
        self._parts = list(parts)
        self._fixes = list(fixes)
        self._rows: dict[int, _Rows] = {}
        self._fixed: dict[int, _Fixed] = {}

    def _open(self, part: int) -> tuple[_Rows, _Fixed]:
        rows = self._rows.get(part)
        if rows is None:
            if len(self._rows) >= _OPEN_PARTS:
                # Bounded open files, whatever the number of partitions: the
                # partition opened first is closed (it is reopened if asked again).
                oldest = next(iter(self._rows))
                self._rows.pop(oldest).close()
                self._fixed.pop(oldest).close()
            rows = _Rows(self._parts[part] / "drafts")
            self._rows[part] = rows
            self._fixed[part] = _Fixed(self._fixes[part])
        return rows, self._fixed[part]

    def rows(self, part: int, rows: Sequence[int]) -> list[list[Any]]:
        """The rows of one partition as stored (``DRAFT_FIELDS`` order), with final texts.

        Each fixed text (and its word count) stands in place of the prepared one.
        """
        source, fixed = self._open(part)
        found = source.rows(rows)
        for position, changed in fixed.changed(rows):
            found[position][-2:] = changed
        return found

    def text(self, part: int, row: int) -> str:
        """The final text of one draft."""
        return self.texts(np.array([[part, row]], dtype=np.int64))[0]

    def texts(self, nodes: npt.NDArray[np.integer[Any]]) -> list[str]:
        """The final texts of the drafts ``nodes`` (rows of ``(part, row)``), in their order.

        The rows of each partition are read together, in file order.
        """
        found: list[str] = [""] * len(nodes)
        parts = nodes[:, 0]
        for part in np.unique(parts).tolist():
            where = np.flatnonzero(parts == part)
            rows = self.rows(part, nodes[where, 1].tolist())
            for position, row in zip(where.tolist(), rows, strict=True):
                found[position] = row[-1]
        return found

    def drafts(self, part: int, rows: Sequence[int] | None = None) -> list[Draft]:
        """Drafts of one partition (the rows asked for, or all), with their final texts."""
        source, _ = self._open(part)
        positions = list(range(len(source))) if rows is None else rows
        drafts = []
        for path, line, fmt, sha, *meta, _words, text in self.rows(part, positions):
            origin = Origin.model_construct(format=fmt, line=line, path=path, sha256=sha)
            drafts.append(
                Draft.model_construct(
                    origin=origin,
                    paragraphs=tuple(text.split("\n\n")),
                    removed=(),
                    **dict(zip(DRAFT_FIELDS, meta, strict=True)),
                )
            )
        return drafts

    def copies(self, part: int, rows: Sequence[int]) -> list[Copy]:
        """The rows asked for as the merge reads them (no models built), with final texts."""
        copies = []
        for row in self.rows(part, rows):
            path, line, fmt, sha, title, date, src, dateline, url, _author, lang, words, text = row
            copies.append(
                Copy(path, line, fmt, sha, title, date, src, dateline, url, lang, text, int(words))
            )
        return copies

    def close(self) -> None:
        """Close the files."""
        for rows in self._rows.values():
            rows.close()
        for fixed in self._fixed.values():
            fixed.close()
        self._rows.clear()
        self._fixed.clear()


class _Fixed:
    """The texts of one partition that repeated-line removal changed, read on demand."""

    def __init__(self, fix: Path | None) -> None:
        self._texts: _Rows | None = None
        # The rows whose text changed (and survived), ascending: the changed
        # texts are stored in this order.
        self._changed = np.zeros(0, dtype=np.int64)
        if fix is not None and (fix / "texts.bin").is_file():
            self._changed = read_npy(fix / "rows.npy")[read_npy(fix / "alive.npy")]
            self._texts = _Rows(fix / "texts")

    def changed(self, rows: Sequence[int]) -> list[tuple[int, list[Any]]]:
        """``(position in rows, [word count, text])`` of each of ``rows`` whose text changed."""
        if self._texts is None or not len(rows) or not len(self._changed):
            return []
        asked = np.asarray(rows, dtype=np.int64)
        slot = np.searchsorted(self._changed, asked)
        hit = self._changed[np.minimum(slot, len(self._changed) - 1)] == asked
        if not hit.any():
            return []
        texts = self._texts.rows(slot[hit].tolist())
        return list(zip(np.flatnonzero(hit).tolist(), texts, strict=True))

    def close(self) -> None:
        if self._texts is not None:
            self._texts.close()
