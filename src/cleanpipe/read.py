"""Read a dump folder: paths in, ``RawDocument`` or ``Rejection`` out.

The only module that reads files. It walks a folder in sorted order, gunzips
(bounded by ``max_bytes``, so a gzip bomb is rejected without inflating it),
sniffs the format from content and suffix, and decodes bytes to text without
ever replacing a character silently: bytes no encoding explains are a reject.
JSONL yields one document per line (a bad line is a reject, the others go on).

It may drop nothing: every file, and every JSONL line, ends as a document or
a rejection. Hostile dumps are expected: files are opened without blocking
and must still be regular files when opened (a file swapped for a FIFO, a
folder or a link after listing is a reject, not a hang); a link is never
followed out of the dump folder; reading and inflating are bounded by
``max_bytes``; a file name that is not valid UTF-8 is shown with ``\\xNN``
escapes (``Origin.path``) but still read.

Decoding bytes to text (byte-order marks, declared charsets, UTF-8, legacy
encodings) is ``cleanpipe.formats.decode``: pure functions this module calls.
"""

from __future__ import annotations

import codecs
import errno
import gzip
import hashlib
import io
import logging
import os
import stat
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, cast

from cleanpipe.config import ReadConfig
from cleanpipe.formats.decode import (
    GZIP_MAGIC,
    HTML_SNIFF,
    Rejected,
    decode_bytes,
    gunzip,
    normalize_newlines,
    sniff_format,
)
from cleanpipe.formats.jsonl import iter_jsonl_stream
from cleanpipe.formats.warc import WarcItem, is_warc_name, iter_warc_documents
from cleanpipe.models import Origin, RawDocument, Rejection

log = logging.getLogger(__name__)


_READ_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class InputEntry:
    """A file found in the dump folder (path relative to the root, / separated)."""

    rel_path: str


def list_inputs(root: Path, *, config: ReadConfig) -> tuple[list[InputEntry], list[Rejection]]:
    """List the files under ``root`` in sorted order, and the links that are refused.

    Symbolic links are followed only with ``follow_symlinks``, and never to a
    target outside ``root``; a folder seen twice (a link loop) is walked once.
    """
    entries: list[InputEntry] = []
    rejections: list[Rejection] = []
    real_root = root.resolve()
    seen_dirs: set[tuple[int, int]] = set()

    def walk(folder: Path) -> None:
        try:
            st = folder.stat()
        except OSError as exc:
            rejections.append(
                _reject(_rel(folder, root), "unreadable", f"cannot open folder: {exc}")
            )
            return
        key = (st.st_dev, st.st_ino)
        if key in seen_dirs:
            return
        seen_dirs.add(key)
        try:
            children = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            rejections.append(
                _reject(_rel(folder, root), "unreadable", f"cannot list folder: {exc}")
            )
            return
        for child in children:
            path = Path(child.path)
            rel = _rel(path, root)
            if child.is_symlink():
                if _is_link_loop(path):
                    rejections.append(_reject(rel, "unsupported", "symbolic link loop"))
                    continue
                if not config.follow_symlinks:
                    rejections.append(
                        _reject(
                            rel,
                            "symlink-outside"
                            if _points_outside(path, real_root)
                            else "unsupported",
                            "symbolic link not followed (set follow_symlinks to follow "
                            "links inside the dump folder)",
                        )
                    )
                    continue
                if _points_outside(path, real_root):
                    rejections.append(
                        _reject(
                            rel, "symlink-outside", "symbolic link points outside the dump folder"
                        )
                    )
                    continue
            try:
                is_dir = child.is_dir()
                is_file = child.is_file()
            except OSError as exc:
                rejections.append(_reject(rel, "unreadable", f"cannot stat: {exc}"))
                continue
            if is_dir:
                walk(path)
            elif is_file:
                entries.append(InputEntry(rel))
            else:
                rejections.append(_reject(rel, "unsupported", "not a regular file"))

    walk(root)
    return entries, rejections


def read_input(root: Path, entry: InputEntry, *, config: ReadConfig) -> list[WarcItem]:
    """Read one file of the dump into documents (one, or one per JSONL line) or a rejection.

    The whole file's items as a list; ``read_piece`` streams them.
    """
    return list(read_piece(root, entry.rel_path, config=config))


def read_piece(
    root: Path,
    rel: str,
    *,
    config: ReadConfig,
    start: int = 0,
    end: int | None = None,
    first_line: int = 1,
) -> Iterator[WarcItem]:
    """Stream the documents of one file, or of the byte range ``[start, end)`` of a JSONL file.

    ``max_bytes`` bounds one document, never a container: a JSONL or WARC file
    of any size is read as a stream, one line or record at a time, and one
    line or record over the limit is a ``too-large`` rejection of its own. A
    text, HTML or JSON file is one document, so over the limit it is rejected.
    The file is checked again when opened, since the dump may change after it
    was listed: it must be a regular file, and a link must not lead out of
    ``root`` (or be a link at all, unless ``follow_symlinks``).
    """
    shown = display_path(rel)
    path = root / rel
    name = rel.rsplit("/", 1)[-1].lower()
    try:
        if config.follow_symlinks and _points_outside(path, root.resolve()):
            raise Rejected("symlink-outside", "symbolic link points outside the dump folder")
        handle = _open_checked(path, follow=config.follow_symlinks)
    except Rejected as exc:
        yield _reject(shown, exc.reason, exc.detail)
        return
    with handle:
        try:
            if is_warc_name(rel):  # streamed record by record, each bounded by max_bytes
                stream = handle
                if start or end is not None:
                    stream = cast("BinaryIO", io.BufferedReader(_Range(handle, start, end)))
                yield from iter_warc_documents(
                    shown, stream, config=config, records_before=first_line - 1
                )
                return
            size = os.fstat(handle.fileno()).st_size
            whole = start == 0 and end is None
            if whole and not _streams(name, handle, size=size, max_bytes=config.max_bytes):
                data = _read_handle(handle, max_bytes=config.max_bytes)
                yield from decode_input(shown, data, config=config)
                return
            yield from _stream_jsonl(
                shown, handle, config=config, start=start, end=end, first_line=first_line
            )
        except Rejected as exc:
            yield _reject(shown, exc.reason, exc.detail)
        except OSError as exc:
            yield _reject(shown, "unreadable", f"cannot read: {exc.strerror or exc}")


class _Range(io.RawIOBase):
    """The bytes ``[start, end)`` of a file, as a stream of their own (a piece of a WARC)."""

    def __init__(self, raw: BinaryIO, start: int, end: int | None) -> None:
        super().__init__()
        self._raw, self._start, self._end = raw, start, end
        self._position = 0
        raw.seek(start)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence != io.SEEK_SET or offset < 0:
            msg = "a piece of a file seeks from its start only"
            raise OSError(errno.EINVAL, msg)
        self._raw.seek(self._start + offset)
        self._position = offset
        return offset

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        want = len(buffer)
        if self._end is not None:
            want = min(want, self._end - self._start - self._position)
        if want <= 0:
            return 0
        data = self._raw.read(want)
        memoryview(buffer).cast("B")[: len(data)] = data
        self._position += len(data)
        return len(data)


def open_input(path: Path, *, follow: bool = False) -> BinaryIO:
    """Open a dump file for reading under the reader's rules (see ``read_piece``).

    Raises:
        OSError: the file cannot be opened, or is not a regular file.
    """
    try:
        return _open_checked(path, follow=follow)
    except Rejected as exc:
        raise OSError(errno.EINVAL, exc.detail) from exc


_JSONL_NAMES = (".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz")
_SNIFF_BYTES = 1 << 16


def _streams(name: str, handle: BinaryIO, *, size: int, max_bytes: int) -> bool:
    """Whether a whole file is read as a JSONL stream rather than as one document.

    Gzipped JSONL always is (its inflated size is unknown); plain JSONL, and
    a ``.json`` file of JSON lines, when it is larger than one document may be.
    """
    if name.endswith((".jsonl.gz", ".ndjson.gz")):
        return True
    if size <= max_bytes:
        return False
    if name.endswith((".jsonl", ".ndjson")):
        return True
    head = handle.read(_SNIFF_BYTES)
    handle.seek(0)
    if head.startswith(_WIDE_BOMS) or head[:2] == GZIP_MAGIC:
        return False
    try:
        return sniff_format(name, head) == "jsonl"
    except Rejected:
        return False


def _stream_jsonl(
    rel: str,
    handle: BinaryIO,
    *,
    config: ReadConfig,
    start: int,
    end: int | None,
    first_line: int,
) -> Iterator[WarcItem]:
    whole = start == 0 and end is None
    head = handle.read(_SNIFF_BYTES)
    gzipped = head[:2] == GZIP_MAGIC
    if whole:
        if not head.strip():
            raise Rejected("empty", "the file holds no text")
        if not gzipped:
            sniff_format("x.jsonl", head)  # raises on a binary signature
            if head.startswith(_WIDE_BOMS):  # UTF-16/32 lines are not byte lines
                handle.seek(0)
                yield from decode_input(
                    rel, _read_handle(handle, max_bytes=config.max_bytes), config=config
                )
                return
    handle.seek(start)
    count = 0
    for item in iter_jsonl_stream(
        rel,
        handle,
        max_bytes=config.max_bytes,
        first_line=first_line,
        length=None if end is None else end - start,
        gzipped=gzipped,
    ):
        count += 1
        yield item
    if whole and not count:  # only a byte-order mark and blank lines: still accounted for
        raise Rejected("empty", "the file holds no JSON lines")


def display_path(rel: str) -> str:
    r"""The path as records and rejects show it: a name that is not UTF-8 gets ``\xNN`` escapes.

    Linux file names are bytes; Python carries the undecodable ones as lone
    surrogates, which no JSON (and no UTF-8 file) can hold.

    >>> display_path("caf\udce9.txt")
    'caf\\xe9.txt'
    >>> display_path("ok/é.txt")
    'ok/é.txt'
    """
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(rel).decode("utf-8", "backslashreplace")
    return rel


def decode_input(rel: str, data: bytes, *, config: ReadConfig) -> list[WarcItem]:
    """Turn the bytes of one input into documents, or a rejection saying why not.

    >>> docs = decode_input("a.txt", b"Title\\n\\nBody text.", config=ReadConfig())
    >>> docs[0].origin.format, docs[0].content
    ('text', 'Title\\n\\nBody text.')
    >>> decode_input("b.txt", b"", config=ReadConfig())[0].reason
    'empty'
    """
    name = rel.rsplit("/", 1)[-1].lower()
    if is_warc_name(name) or data.startswith(b"WARC/"):
        return list(iter_warc_documents(rel, data, config=config))
    sha = hashlib.sha256(data).hexdigest()
    try:
        if data[:2] == GZIP_MAGIC or name.endswith(".gz"):
            data = gunzip(data, max_bytes=config.max_bytes)
            name = name.removesuffix(".gz")
        if not data.strip():
            raise Rejected("empty", "the file holds no text")
        fmt = sniff_format(name, data)
        if fmt == "jsonl":
            lines: list[WarcItem]
            if data.startswith(_WIDE_BOMS):
                lines = list(_split_jsonl_text(rel, decode_bytes(data, html=False)))
            else:
                stream = io.BytesIO(data)  # the same line splitting as a streamed file
                lines = list(iter_jsonl_stream(rel, stream, max_bytes=config.max_bytes))
            if not lines:  # only a byte-order mark and blank lines: still accounted for
                raise Rejected("empty", "the file holds no JSON lines")
            return lines
        text = decode_bytes(data, html=fmt == "html")
    except Rejected as exc:
        return [_reject(rel, exc.reason, exc.detail)]
    if not text.strip():
        return [_reject(rel, "empty", "the file holds only whitespace")]
    if fmt == "text" and HTML_SNIFF.search(text[:2048]) and "</" in text:
        fmt = "html"
    origin = Origin(format=fmt, line=None, path=rel, sha256=sha)
    return [RawDocument(origin=origin, content=normalize_newlines(text))]


def _split_jsonl_text(rel: str, text: str) -> Iterator[RawDocument | Rejection]:
    """JSONL in a UTF-16/32 file: decoded whole (its lines are not byte lines)."""
    for number, line in enumerate(normalize_newlines(text).split("\n"), start=1):
        if not line.strip():
            continue
        sha = hashlib.sha256(line.encode("utf-8")).hexdigest()
        origin = Origin(format="jsonl", line=number, path=rel, sha256=sha)
        yield RawDocument(origin=origin, content=line)


def _open_checked(path: Path, *, follow: bool) -> BinaryIO:
    # O_NONBLOCK: a FIFO put where a file was would block open() forever.
    # O_NOFOLLOW: a file swapped for a link after listing is not followed.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    if not follow:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError as exc:
        raise Rejected("unreadable", "the file vanished before it could be read") from exc
    except OSError as exc:
        raise Rejected("unreadable", f"cannot open: {exc.strerror or exc}") from exc
    try:
        mode = os.fstat(fd).st_mode
    except OSError as exc:
        os.close(fd)
        raise Rejected("unreadable", f"cannot stat: {exc.strerror or exc}") from exc
    if not stat.S_ISREG(mode):
        os.close(fd)
        what = "a folder" if stat.S_ISDIR(mode) else "not a regular file"
        raise Rejected("unreadable", f"{what} when opened (the dump changed during the run)")
    return os.fdopen(fd, "rb")


def _read_handle(handle: BinaryIO, *, max_bytes: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    try:
        while size <= max_bytes:
            chunk = handle.read(min(_READ_CHUNK, max_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise Rejected("unreadable", f"cannot read: {exc.strerror or exc}") from exc
    if size > max_bytes:
        raise Rejected("too-large", f"larger than max_bytes ({max_bytes} bytes)")
    return b"".join(chunks)


_WIDE_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _is_link_loop(path: Path) -> bool:
    try:
        path.resolve(strict=True)
    except RuntimeError:
        return True
    except OSError as exc:
        return exc.errno == 40  # ELOOP
    return False


def _points_outside(path: Path, real_root: Path) -> bool:
    try:
        target = path.resolve()
    except (OSError, RuntimeError):
        return True
    return not target.is_relative_to(real_root)


def _reject(rel: str, reason: str, detail: str) -> Rejection:
    return Rejection(detail=detail, line=None, path=rel, reason=reason)


@dataclass(frozen=True, slots=True)
class OutputFiles:
    """The bytes of an output folder's three files; ``None`` for a file that is absent."""

    articles: bytes | None
    rejects: bytes | None
    report: bytes | None
    articles_file: str = "articles.jsonl"
    """The articles file found (``--format``); its records are given as canonical JSONL."""


def read_output(out: Path) -> OutputFiles:
    """Read ``articles.jsonl``, ``rejects.jsonl`` and ``report.json`` from an output folder.

    A missing file is ``None`` (``check`` reports it); a folder with none of
    the three is not an output folder.

    Raises:
        InputError: ``out`` is not a folder, holds none of the files, or one cannot be read.
    """
    # Imported here so this addition leaves the module's shared import block alone.
    from cleanpipe.errors import InputError
    from cleanpipe.write import ARTICLES_FILE, REJECTS_FILE, REPORT_FILE

    if not out.is_dir():
        msg = f"{out}: not a folder (give the output folder of cleanpipe run)"
        raise InputError(msg, path=str(out), reason="unreadable")
    from cleanpipe.write import ARTICLE_FILES

    # The records may be in any output format; the first one present is read.
    articles_file = next((n for n in ARTICLE_FILES if (out / n).exists()), ARTICLES_FILE)
    names = (articles_file, REJECTS_FILE, REPORT_FILE)
    # The files are links into the slot of the last run (see write.py): read all
    # three from the one slot they resolve to now, so that a run switching slots
    # meanwhile cannot hand us a mix of two runs.
    slots = {(out / name).resolve().parent for name in names if (out / name).is_symlink()}
    base = slots.pop() if len(slots) == 1 else out
    found: dict[str, bytes | None] = {}
    for name in names:
        path = base / name if (out / name).is_symlink() else out / name
        try:
            found[name] = path.read_bytes()
        except FileNotFoundError:
            found[name] = None
        except OSError as exc:
            msg = f"{path}: cannot read ({exc.strerror or exc}); check its permissions"
            raise InputError(msg, path=str(path), reason="unreadable") from exc
    if all(data is None for data in found.values()):
        msg = (
            f"{out}: holds no {ARTICLES_FILE}, {REJECTS_FILE} or {REPORT_FILE} "
            "(is it the output folder of cleanpipe run?)"
        )
        raise InputError(msg, path=str(out), reason="unreadable")
    articles = found[articles_file]
    if articles is not None and articles_file != ARTICLES_FILE:
        articles = _records_as_jsonl(articles, articles_file)
    return OutputFiles(
        articles=articles,
        rejects=found[REJECTS_FILE],
        report=found[REPORT_FILE],
        articles_file=articles_file,
    )


def _records_as_jsonl(data: bytes, name: str) -> bytes:
    """Turn ``articles.jsonl.gz`` or ``articles.parquet`` bytes into canonical JSONL."""
    from cleanpipe.errors import InputError
    from cleanpipe.formats.output import parse_articles
    from cleanpipe.write import jsonl_bytes

    if name.endswith(".gz"):
        try:
            return gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            msg = f"{name}: not a gzip file ({exc}); re-run cleanpipe run"
            raise InputError(msg, path=name, reason="corrupt-archive") from exc
    try:
        return jsonl_bytes(parse_articles(data, fmt="parquet"))
    except (ValueError, OSError) as exc:
        msg = f"{name}: cannot read the Parquet records ({exc}); re-run cleanpipe run"
        raise InputError(msg, path=name, reason="corrupt-archive") from exc
