"""Plan a run: the dump's files in, partitions of about ``partition_bytes`` each out.

A partition is the unit of work of the prepare step and of its artifact on
disk (``cleanpipe.work``). Partitions are cut by size, never by file count:

- **Small files** are grouped in walk order. A group ends after a file whose
  path hashes to a boundary (content-defined cutting, as rsync and restic cut
  chunks), or when it reaches four times the budget; the boundary rate is
  chosen from the dump's mean file size so that groups average about the
  budget. A file added to or removed from the dump therefore changes the key
  of its own partition only, and an incremental run re-prepares just that.
- **A large splittable file** (plain JSONL) is cut at line boundaries into
  pieces of about the budget, so every worker shares it. The planner reads it
  once to find the cuts and to number the lines before each cut (the line
  numbers of origins stay those of the whole file).
- **A large WARC file** is cut at record boundaries the same way: a plain one
  at any record (walked by ``Content-Length``), a gzipped one where a gzip
  member starts a record (WARC writers gzip each record as a member of its
  own, as Common Crawl's files are).
- **What cannot be split** (one gzip stream, as most ``.jsonl.gz``) is one
  piece, read as a stream by one worker; its documents are still handled in
  bounded batches.

The budget is ``partition_bytes`` (16 MiB), or less for a small dump, so that
the workers share even a dump of a few files evenly: a sixteenth of the dump,
rounded down to a power of two, and at least 1 MiB (``partition_budget``).

Each partition has a **key**: a hash of its pieces' bytes (xxh3-128), the
settings its artifact depends on and the code version. The same key means the
same artifact, which is how a rerun resumes and an incremental run reuses.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import orjson
import xxhash

from cleanpipe.config import Config
from cleanpipe.errors import InputError
from cleanpipe.formats.decode import GZIP_MAGIC
from cleanpipe.formats.warc import WARC_SUFFIXES, record_cuts
from cleanpipe.models import Rejection
from cleanpipe.read import InputEntry, list_inputs, open_input

__all__ = ["Partition", "Piece", "Plan", "code_version", "partition_budget", "plan_run"]

_SPLIT_SUFFIXES = (".jsonl", ".ndjson")
_READ_CHUNK = 4 << 20
# A group of small files is cut at four times the budget whatever the hashes say.
_MAX_GROUP_FACTOR = 4
# A small dump is cut into about this many partitions (two workers then share a
# 50 MB file evenly: four partitions of 16 MiB left one worker a quarter of the
# dump alone), never smaller than _MIN_BUDGET (a few hundred documents: below
# that a partition's own costs, files and batches, start to show).
_MIN_PARTITIONS = 16
_MIN_BUDGET = 1 << 20


@dataclass(frozen=True, slots=True)
class Piece:
    """A file, or a byte range of one cut at line boundaries."""

    rel_path: str
    """The path relative to the dump folder (as listed; ``display_path`` for origins)."""
    start: int = 0
    end: int | None = None
    """End of the range (exclusive); None for the whole file."""
    first_line: int = 1
    """The number of the first line of the range in the whole file (JSONL)."""
    size: int = 0


@dataclass(frozen=True, slots=True)
class Partition:
    """The pieces one prepare task reads, in walk order, and the key of its artifact."""

    number: int
    pieces: tuple[Piece, ...]
    key: str
    size: int


@dataclass
class Plan:
    """What a run reads: the root, its partitions, and the inputs refused while listing."""

    root: Path
    partitions: list[Partition]
    rejections: list[Rejection]
    total_bytes: int
    files: int


def plan_run(raw: Path, *, config: Config, partition_bytes: int | None = None) -> Plan:
    """List ``raw`` (a folder, or one dump file) and cut it into partitions.

    ``partition_bytes`` defaults to ``config.partition_bytes``.

    Raises:
        InputError: ``raw`` is neither a folder nor a file.
    """
    if raw.is_dir():
        root = raw
        entries, rejections = list_inputs(raw, config=config.read)
    elif raw.is_file():
        root = raw.parent
        entries, rejections = [InputEntry(raw.name)], []
    else:
        msg = f"{raw}: no such folder or file (cleanpipe run takes a dump folder or a dump file)"
        raise InputError(msg, path=str(raw))
    fingerprint = settings_fingerprint(config)
    sized = [(entry, _size(root / entry.rel_path)) for entry in entries]
    total = sum(size for _, size in sized)
    partition_bytes = partition_budget(total, partition_bytes or config.partition_bytes)
    mean = total / len(sized) if sized else 0.0
    # Boundary rate: a file ends its group with probability 1/every.
    every = max(1, round(partition_bytes / mean)) if mean else 1
    partitions: list[Partition] = []
    group: list[tuple[Piece, str]] = []
    group_size = 0

    def close_group() -> None:
        nonlocal group, group_size
        if group:
            partitions.append(_partition(len(partitions), group, fingerprint))
        group, group_size = [], 0

    for entry, size in sized:
        name = entry.rel_path.lower()
        if size > partition_bytes and name.endswith((*_SPLIT_SUFFIXES, *WARC_SUFFIXES)):
            split = _split_file if name.endswith(_SPLIT_SUFFIXES) else _split_warc
            cuts = split(root, entry, budget=partition_bytes, follow=config.read.follow_symlinks)
            if len(cuts) > 1:
                close_group()
                for piece, digest in cuts:
                    partitions.append(_partition(len(partitions), [(piece, digest)], fingerprint))
                continue
        group.append(
            (
                Piece(entry.rel_path, size=size),
                _file_digest(root, entry, follow=config.read.follow_symlinks),
            )
        )
        group_size += size
        boundary = xxhash.xxh64_intdigest(entry.rel_path.encode("utf-8", "surrogateescape"))
        if boundary % every == 0 or group_size >= _MAX_GROUP_FACTOR * partition_bytes:
            close_group()
    close_group()
    return Plan(
        root=root, partitions=partitions, rejections=rejections, total_bytes=total, files=len(sized)
    )


def partition_budget(total: int, partition_bytes: int) -> int:
    """The input bytes per partition of a dump of ``total`` bytes (see the module docstring).

    A power of two, so that a dump growing by a few files (an incremental run)
    rarely changes it; ``partition_bytes`` is never exceeded.

    >>> partition_budget(48 * 2**20, 16 * 2**20) // 2**20  # a 48 MiB file: 2 MiB pieces
    2
    >>> partition_budget(10 * 2**30, 16 * 2**20) // 2**20
    16
    >>> partition_budget(100, 1024)
    1024
    """
    share = max(total // _MIN_PARTITIONS, 1)
    budget = max(1 << (share.bit_length() - 1), _MIN_BUDGET)
    return min(budget, partition_bytes)


def _partition(number: int, group: Sequence[tuple[Piece, str]], fingerprint: str) -> Partition:
    hasher = xxhash.xxh3_128()
    hasher.update(fingerprint.encode())
    for piece, digest in group:
        hasher.update(os.fsencode(piece.rel_path) + b"\0")
        hasher.update(orjson.dumps([piece.start, piece.end, piece.first_line, digest]))
    pieces = tuple(piece for piece, _ in group)
    return Partition(
        number=number, pieces=pieces, key=hasher.hexdigest(), size=sum(p.size for p in pieces)
    )


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _file_digest(root: Path, entry: InputEntry, *, follow: bool) -> str:
    """The xxh3-128 of a file's bytes; a file that cannot be read hashes by its error."""
    hasher = xxhash.xxh3_128()
    try:
        with open_input(root / entry.rel_path, follow=follow) as handle:
            while chunk := handle.read(_READ_CHUNK):
                hasher.update(chunk)
    except OSError as exc:
        return f"unreadable:{exc.errno}"
    return hasher.hexdigest()


def _split_file(
    root: Path, entry: InputEntry, *, budget: int, follow: bool
) -> list[tuple[Piece, str]]:
    """Cut a JSONL file after the first newline past each multiple of ``budget``.

    One sequential read finds the cuts, hashes each piece and counts the lines
    before it. A file with a bare carriage return (a line break ``bytes.splitlines``
    counts but a newline scan does not) is not cut: it stays one piece.
    """
    pieces: list[tuple[Piece, str]] = []
    start = 0  # where the current piece starts in the file
    start_lines = 0  # newlines before ``start``
    position = 0  # file offset of the current chunk
    seen_lines = 0  # newlines before ``position + offset``
    hasher = xxhash.xxh3_128()
    carriage_returns = crlf = 0
    tail = b""
    try:
        with open_input(root / entry.rel_path, follow=follow) as handle:
            while chunk := handle.read(_READ_CHUNK):
                returns = chunk.count(b"\r")
                if returns or tail == b"\r":
                    carriage_returns += returns
                    crlf += chunk.count(b"\r\n") + (tail == b"\r" and chunk[:1] == b"\n")
                tail = chunk[-1:]
                offset = 0
                while position + len(chunk) > start + budget:
                    cut = chunk.find(b"\n", max(offset, start + budget - position))
                    if cut < 0:
                        break
                    hasher.update(chunk[offset : cut + 1])
                    seen_lines += chunk.count(b"\n", offset, cut + 1)
                    end = position + cut + 1
                    piece = Piece(
                        entry.rel_path,
                        start=start,
                        end=end,
                        first_line=start_lines + 1,
                        size=end - start,
                    )
                    pieces.append((piece, hasher.hexdigest()))
                    hasher = xxhash.xxh3_128()
                    start, start_lines, offset = end, seen_lines, cut + 1
                hasher.update(chunk[offset:])
                seen_lines += chunk.count(b"\n", offset)
                position += len(chunk)
    except OSError:
        return []
    if carriage_returns != crlf:
        return []
    if position > start:
        last = Piece(
            entry.rel_path, start=start, end=None, first_line=start_lines + 1, size=position - start
        )
        pieces.append((last, hasher.hexdigest()))
    return pieces


def _split_warc(
    root: Path, entry: InputEntry, *, budget: int, follow: bool
) -> list[tuple[Piece, str]]:
    """Cut a WARC file (plain, or gzipped a record a member) at records, about ``budget`` apart.

    ``formats.warc.record_cuts`` gives where records start; a piece's
    ``first_line`` is the index its first record has in the whole file, so
    origins are those of the file read whole. A file that cannot be cut
    (one gzip stream, damage early on) stays one piece.
    """
    pieces: list[tuple[Piece, str]] = []
    try:
        with open_input(root / entry.rel_path, follow=follow) as handle:
            gzipped = handle.read(2) == GZIP_MAGIC
            chosen: list[tuple[int, int]] = []
            for offset, before in record_cuts(handle, gzipped=gzipped):
                if not chosen or offset >= chosen[-1][0] + budget:
                    chosen.append((offset, before))
            if len(chosen) < 2 or chosen[0][0] != 0:
                return []
            size = os.fstat(handle.fileno()).st_size
            handle.seek(0)
            bounds = [offset for offset, _ in chosen[1:]] + [size]
            start = 0
            for (_, before), end in zip(chosen, bounds, strict=True):
                hasher = xxhash.xxh3_128()
                left = end - start
                while left > 0:
                    chunk = handle.read(min(_READ_CHUNK, left))
                    if not chunk:
                        return []
                    hasher.update(chunk)
                    left -= len(chunk)
                last = end == size
                piece = Piece(
                    entry.rel_path,
                    start=start,
                    end=None if last else end,
                    first_line=before + 1,
                    size=end - start,
                )
                pieces.append((piece, hasher.hexdigest()))
                start = end
    except OSError:
        return []
    return pieces


def settings_fingerprint(config: Config) -> str:
    """What a partition's artifact depends on besides its bytes: settings and code version."""
    # The verification settings decide pairs, not what a partition's artifact holds.
    dedup = config.dedup.model_dump(mode="json", exclude=_VERIFY_ONLY)
    parts: list[object] = [
        code_version(),
        config.read.model_dump(mode="json"),
        config.extract.model_dump(mode="json"),
        config.strip.model_dump(mode="json"),
        config.normalize.model_dump(mode="json"),
        dedup,
        config.dedup_enabled,
    ]
    return hashlib.sha256(orjson.dumps(parts, option=orjson.OPT_SORT_KEYS)).hexdigest()[:32]


_VERIFY_ONLY = {
    "similarity_threshold",
    "min_length_ratio",
    "max_missing_words",
    "own_paragraph_words",
    "max_own_share",
}

_CODE_VERSION: list[str] = []


def code_version() -> str:
    """A hash of cleanpipe's own source files: an edit in a checkout changes it.

    >>> len(code_version())
    32
    """
    if not _CODE_VERSION:
        package = Path(__file__).resolve().parent
        hasher = xxhash.xxh3_128()
        for path in sorted(_sources(package)):
            hasher.update(path.relative_to(package).as_posix().encode())
            hasher.update(path.read_bytes())
        _CODE_VERSION.append(hasher.hexdigest())
    return _CODE_VERSION[0]


def _sources(package: Path) -> Iterable[Path]:
    for folder, _dirs, files in os.walk(package):
        for name in files:
            if name.endswith(".py"):
                yield Path(folder) / name
