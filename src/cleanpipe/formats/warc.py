"""WARC and WARC.gz: a stream of records in, ``RawDocument`` per HTML page out.

Parsing is FastWARC's (``benchmarks/warc.py``: 4-10x faster than warcio on the
same file, and both raise on garbage). Two things are done here rather than
by the library, because the library loses data silently on them:

- **gzip** is inflated by ``_GunzipReader`` (zlib, member by member), so a
  truncated or corrupt member raises instead of ending the iteration early;
  FastWARC's ``auto_decode`` is off because it stops the iteration after a
  chunked, gzip-encoded HTTP body without an error.
- every record's block is read to its end and checked against its
  ``Content-Length``, so a file cut inside a record is seen as cut.

What becomes a document: a ``response`` with a 2xx status whose
``Content-Type`` is HTML (or absent and the body looks like HTML), and a
``resource`` record of HTML. Its origin is ``(format="warc", path, line=the
1-based index of the record in the file, sha256 of the decoded HTTP body)``,
with the record's ``WARC-Target-URI`` and ``WARC-Date``. Every other record
is a ``SkippedRecord`` (counted by kind in the report, not an input).

What may be dropped: nothing silently. A record over ``max_bytes`` is a
``too-large`` rejection; a body that does not decode is rejected as
``read.py`` rejects a file; damage to the container ends the file with one
``corrupt-archive`` rejection at the index of the record that could not be
read (the records before it are kept).
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import zlib
from collections.abc import Iterator
from typing import BinaryIO

from fastwarc.warc import ArchiveIterator, WarcRecord, WarcRecordPayloadReader, WarcRecordType

from cleanpipe.config import ReadConfig
from cleanpipe.models import Origin, RawDocument, Rejection, SkippedRecord

log = logging.getLogger(__name__)

WARC_SUFFIXES = (".warc", ".warc.gz")
"""File names read as WARC (any case)."""

WarcItem = RawDocument | Rejection | SkippedRecord

_GZIP_MAGIC = b"\x1f\x8b"
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_CHUNK = 1 << 16
# Header lines re-serialised by FastWARC may differ by a byte or two from the
# file (spacing after the colon); a gap this small between records is no damage.
_GAP_SLACK = 64
# The last bytes of the stream kept to tell a clean end from a cut record.
_TAIL_BYTES = 1 << 16


class CorruptWarcError(Exception):
    """Internal: the container cannot be read past this point."""


def is_warc_name(name: str) -> bool:
    """Say whether a file name is read as WARC.

    >>> is_warc_name("crawl/CC-MAIN-0001.warc.gz"), is_warc_name("page.html")
    (True, False)
    """
    return name.lower().endswith(WARC_SUFFIXES)


def iter_warc_documents(
    rel: str, data: bytes | BinaryIO, *, config: ReadConfig, records_before: int = 0
) -> Iterator[WarcItem]:
    """Read the records of one WARC (plain or gzipped) as documents, rejections and skips.

    Args:
        rel: The file's path relative to the dump folder (for origins).
        data: The file's bytes, or a binary stream over them (read once, in order).
        config: ``max_bytes`` bounds each record's block and decoded body.
        records_before: Records of the file before the stream's first (a piece of a
            file cut at ``record_cuts``): origins number records in the whole file.

    Yields:
        A ``RawDocument`` per HTML page, a ``Rejection`` per page that cannot
        be used (and one ``corrupt-archive`` for damage, after which nothing
        more is read), a ``SkippedRecord`` per record that holds no page.

    >>> http = b"HTTP/1.1 200 OK\\r\\nContent-Type: text/html\\r\\n\\r\\n<p>Rice exports rose.</p>"
    >>> record = (b"WARC/1.0\\r\\nWARC-Type: response\\r\\n"
    ...           b"WARC-Target-URI: https://a.example/x\\r\\nWARC-Date: 2023-10-13T08:00:00Z\\r\\n"
    ...           b"Content-Length: %d\\r\\n\\r\\n%s\\r\\n\\r\\n" % (len(http), http))
    >>> [doc] = iter_warc_documents("a.warc", record, config=ReadConfig())
    >>> doc.origin.line, doc.url, doc.date, doc.content
    (1, 'https://a.example/x', '2023-10-13T08:00:00Z', '<p>Rice exports rose.</p>')
    """
    stream: BinaryIO = io.BytesIO(data) if isinstance(data, bytes | bytearray) else data
    head = _peek(stream)
    # FastWARC only ever reads forward, but calls tell() first and panics (a
    # BaseException) on a stream that cannot tell, such as a pipe: _Reader can.
    gunzip = head.startswith(_GZIP_MAGIC)
    if not gunzip and not head.lstrip().startswith(b"WARC/"):
        what = "empty" if not head.strip() else "corrupt-archive"
        detail = (
            "the file holds no bytes" if what == "empty" else "not a WARC file (no WARC/ header)"
        )
        yield Rejection(detail=detail, line=None, path=rel, reason=what)
        return
    reader = _Reader(stream, gunzip=gunzip)
    index = records_before
    expected = 0  # where the next record should start, in the (inflated) stream
    try:
        # parse_http off: HTTP headers are parsed here, after the block is read
        # whole and its length checked (see the module docstring).
        for record in ArchiveIterator(reader, parse_http=False):
            if record.stream_pos - expected > _GAP_SLACK:
                # FastWARC skips bytes it cannot parse up to the next "WARC/" line:
                # a damaged record that would otherwise vanish without a word.
                detail = (
                    f"{record.stream_pos - expected} bytes before record {index + 1} are not "
                    "a readable WARC record (a damaged record); the records around them were kept"
                )
                yield Rejection(detail=detail, line=index + 1, path=rel, reason="corrupt-archive")
            if record.headers.get("Content-Length") is None:
                # Mandatory in every record; FastWARC parses a header cut short
                # (a truncated file) as a whole record without one.
                msg = f"record {index + 1} has no Content-Length (a damaged or truncated header)"
                raise CorruptWarcError(msg)
            index += 1
            yield _record_item(rel, index, record, config=config)
            expected = record.stream_pos + _header_size(record) + record.content_length + 4
        trailing = reader.tail(reader.tell() - expected)
        if trailing is None or trailing.strip():
            msg = (
                f"{reader.tell() - expected} bytes at the end are not a complete record (truncated)"
            )
            raise CorruptWarcError(msg)
    except (CorruptWarcError, OSError, ValueError) as exc:
        where = f"after record {index}" if index > records_before else "at the start"
        detail = f"corrupt WARC {where} ({exc}); the records after it cannot be read"
        log.warning("%s: %s", rel, detail)
        yield Rejection(detail=detail, line=index + 1, path=rel, reason="corrupt-archive")


def _header_size(record: WarcRecord) -> int:
    """Count the bytes of a record's header block as FastWARC writes it.

    The same as in the file for CRLF files with ``Name: value`` lines;
    ``_GAP_SLACK`` absorbs other spacing.
    """
    return record.headers.write(io.BytesIO())


def _record_item(rel: str, index: int, record: WarcRecord, *, config: ReadConfig) -> WarcItem:
    """Turn one record into a document, a rejection or a skip (reads its block to the end)."""
    rtype = str(record.record_type)
    headers = record.headers
    length = record.content_length
    wanted = record.record_type in (WarcRecordType.response, WarcRecordType.resource)
    block = _read_block(record.reader, length, keep=wanted and length <= config.max_bytes)
    if not wanted:
        return SkippedRecord(path=rel, line=index, kind=rtype)
    if length > config.max_bytes:
        detail = f"WARC record of {length} bytes, larger than max_bytes ({config.max_bytes} bytes)"
        return Rejection(detail=detail, line=index, path=rel, reason="too-large")
    url = headers.get("WARC-Target-URI") or None
    date = headers.get("WARC-Date") or None
    if rtype == "response":
        parsed = _parse_http(block)
        if parsed is None:
            return Rejection(
                detail="response record without a valid HTTP message",
                line=index,
                path=rel,
                reason="corrupt-archive",
            )
        status, http_headers, body = parsed
        if not 200 <= status < 300:
            return SkippedRecord(path=rel, line=index, kind=f"response:status-{status}")
        content_type = http_headers.get("content-type", "")
    else:
        body = block
        content_type = headers.get("Content-Type") or ""
        http_headers = {}
    mime = content_type.split(";", 1)[0].strip().lower()
    try:
        body = _decode_body(body, http_headers, max_bytes=config.max_bytes)
    except CorruptWarcError as exc:
        return Rejection(detail=str(exc), line=index, path=rel, reason="corrupt-archive")
    except _TooLargeError as exc:
        return Rejection(detail=str(exc), line=index, path=rel, reason="too-large")
    if mime not in _HTML_TYPES and not (not mime and _looks_html(body)):
        return SkippedRecord(path=rel, line=index, kind=f"{rtype}:{mime or 'unknown'}")
    return _document(rel, index, body, content_type, url=url, date=date, config=config)


def _document(
    rel: str,
    index: int,
    body: bytes,
    content_type: str,
    *,
    url: str | None,
    date: str | None,
    config: ReadConfig,
) -> RawDocument | Rejection:
    # decode_input decodes as read.py decodes a file (BOM, meta charset,
    # detection, never a silent replacement); imported here because read.py
    # imports this module.
    from cleanpipe.read import decode_input

    origin = Origin(format="warc", line=index, path=rel, sha256=hashlib.sha256(body).hexdigest())
    declared = _charset(content_type)
    if declared:
        try:
            text = body.decode(declared)
        except (LookupError, UnicodeDecodeError):
            log.debug("%s:%d: declared charset %s does not decode", rel, index, declared)
        else:
            content = text.replace("\r\n", "\n").replace("\r", "\n")
            if content.strip():
                return RawDocument(origin=origin, content=content, url=url, date=date)
    [decoded] = decode_input(f"{rel}#{index}.html", body, config=config)
    if isinstance(decoded, Rejection):
        return decoded.model_copy(update={"path": rel, "line": index})
    if not isinstance(decoded, RawDocument):  # a body that is itself a WARC: not a page
        detail = "the HTTP body is a WARC file, not a page"
        return Rejection(detail=detail, line=index, path=rel, reason="unsupported")
    return RawDocument(origin=origin, content=decoded.content, url=url, date=date)


def _read_block(reader: WarcRecordPayloadReader, length: int, *, keep: bool) -> bytes:
    """Read a record's block to its end; keep it only when asked (bounded memory)."""
    parts: list[bytes] = []
    got = 0
    while True:
        chunk = reader.read(_CHUNK)
        if not chunk:
            break
        got += len(chunk)
        if keep:
            parts.append(chunk)
    if got < length:
        msg = f"record cut short: {got} of {length} bytes (the file is truncated)"
        raise CorruptWarcError(msg)
    return b"".join(parts)


def _parse_http(block: bytes) -> tuple[int, dict[str, str], bytes] | None:
    """Split an HTTP response into status, lower-cased headers and body.

    >>> _parse_http(b"HTTP/1.1 404 Not Found\\r\\nContent-Type: text/html\\r\\n\\r\\nNo.")
    (404, {'content-type': 'text/html'}, b'No.')
    """
    head, sep, body = block.partition(b"\r\n\r\n")
    if not sep:
        head, sep, body = block.partition(b"\n\n")
        if not sep:
            return None
    lines = head.decode("latin-1").splitlines()
    parts = lines[0].split(None, 2) if lines else []
    if len(parts) < 2 or not parts[0].upper().startswith("HTTP/") or not parts[1].isdigit():
        return None
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if colon:
            headers[name.strip().lower()] = value.strip()
    return int(parts[1]), headers, body


class _TooLargeError(Exception):
    """Internal: a decoded body passes ``max_bytes``."""


def _decode_body(body: bytes, headers: dict[str, str], *, max_bytes: int) -> bytes:
    """Undo ``Transfer-Encoding: chunked`` and ``Content-Encoding`` (gzip, deflate, br).

    Crawlers (wget, warcio) often store the body as it came off the wire. A
    body that is not actually chunked or compressed, despite the header, is
    taken as it is: many archivers decode the body but keep the header.
    """
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = _dechunk(body)
    for coding in reversed(
        [c.strip().lower() for c in headers.get("content-encoding", "").split(",") if c.strip()]
    ):
        if coding in {"gzip", "x-gzip"} and body[:2] == _GZIP_MAGIC:
            body = _inflate(body, wbits=16 + zlib.MAX_WBITS, max_bytes=max_bytes)
        elif coding == "deflate" and body:
            try:
                body = _inflate(body, wbits=zlib.MAX_WBITS, max_bytes=max_bytes)
            except CorruptWarcError:
                body = _inflate(body, wbits=-zlib.MAX_WBITS, max_bytes=max_bytes)
        elif coding == "br" and body:
            body = _unbrotli(body, max_bytes=max_bytes)
    return body


def _dechunk(body: bytes) -> bytes:
    """Join the chunks of a chunked body; a body that is not chunked is returned as it is.

    >>> _dechunk(b"5\\r\\nHello\\r\\n1\\r\\n!\\r\\n0\\r\\n\\r\\n"), _dechunk(b"<html>")
    (b'Hello!', b'<html>')
    """
    out = bytearray()
    pos = 0
    while True:
        end = body.find(b"\r\n", pos)
        size_text = body[pos:end].split(b";", 1)[0].strip() if end >= 0 else b""
        try:
            size = int(size_text, 16)
        except ValueError:
            return body if not out else bytes(out)
        if size == 0:
            return bytes(out)
        start = end + 2
        out += body[start : start + size]
        pos = start + size + 2
        if pos > len(body):
            return bytes(out)


def _inflate(data: bytes, *, wbits: int, max_bytes: int) -> bytes:
    inflater = zlib.decompressobj(wbits=wbits)
    try:
        out = inflater.decompress(data, max_bytes + 1)
    except zlib.error as exc:
        msg = f"HTTP body does not decompress ({exc})"
        raise CorruptWarcError(msg) from exc
    if len(out) > max_bytes:
        msg = f"HTTP body decompresses to more than max_bytes ({max_bytes} bytes)"
        raise _TooLargeError(msg)
    return out


def _unbrotli(data: bytes, *, max_bytes: int) -> bytes:
    try:
        import brotli  # type: ignore[import-untyped,import-not-found,unused-ignore]
    except ImportError as exc:
        msg = "HTTP body is brotli-encoded and the brotli package is not installed"
        raise CorruptWarcError(msg) from exc
    try:
        out: bytes = brotli.decompress(data)
    except brotli.error as exc:
        msg = f"HTTP body does not decompress (brotli: {exc})"
        raise CorruptWarcError(msg) from exc
    if len(out) > max_bytes:
        msg = f"HTTP body decompresses to more than max_bytes ({max_bytes} bytes)"
        raise _TooLargeError(msg)
    return out


def _charset(content_type: str) -> str | None:
    for part in content_type.split(";")[1:]:
        name, _, value = part.partition("=")
        if name.strip().lower() == "charset" and value.strip(" \"'"):
            return value.strip(" \"'").lower()
    return None


def _looks_html(body: bytes) -> bool:
    head = body[:1024].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<body" in head


def _peek(stream: BinaryIO) -> bytes:
    """The first bytes of a stream, without consuming them."""
    if hasattr(stream, "peek"):
        head: bytes = stream.peek(16)[:16]
        if head:
            return head
    if stream.seekable():
        pos = stream.tell()
        head = stream.read(16)
        stream.seek(pos)
        return head
    msg = "WARC stream must be seekable or peekable"
    raise ValueError(msg)


class _Reader(io.RawIOBase):
    """Read a stream forward for FastWARC, inflating it when it is gzip.

    Gzip is inflated member by member with zlib, and a truncated or corrupt
    member raises ``CorruptWarcError`` instead of ending the stream early.
    """

    def __init__(self, raw: BinaryIO, *, gunzip: bool) -> None:
        super().__init__()
        self._raw = raw
        self._gunzip = gunzip
        self._inflater: zlib._Decompress | None = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        self._position = 0
        self._tail = b""

    def readable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def read(self, size: int | None = -1) -> bytes:
        want = _CHUNK if size is None or size < 0 else size
        while True:
            data = self._next(want) if self._gunzip else self._raw.read(want)
            if data or not self._gunzip or self._inflater is None:
                self._position += len(data)
                self._tail = (self._tail + data)[-_TAIL_BYTES:]
                return data

    def tail(self, size: int) -> bytes | None:
        """The last ``size`` bytes read, or None when more than are kept."""
        if size <= 0:
            return b""
        return self._tail[-size:] if size <= len(self._tail) else None

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        memoryview(buffer).cast("B")[: len(data)] = data
        return len(data)

    def _next(self, want: int) -> bytes:
        """Some inflated bytes (possibly none yet), or b"" with the inflater gone at the end."""
        inflater = self._inflater
        if inflater is None:
            return b""
        if inflater.eof:
            # A member that ended while the output was capped may leave the bytes
            # after it in unconsumed_tail rather than unused_data.
            rest = inflater.unused_data or inflater.unconsumed_tail or self._raw.read(_CHUNK)
            # Some writers pad the end of a gzip file with NUL bytes.
            rest = rest.lstrip(b"\x00")
            while not rest:
                more = self._raw.read(_CHUNK)
                if not more:
                    self._inflater = None
                    return b""
                rest = more.lstrip(b"\x00")
            if not rest.startswith(_GZIP_MAGIC[: len(rest)]):
                msg = "bytes after a gzip member that are not another member"
                raise CorruptWarcError(msg)
            self._inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
            return self._decompress(rest, want)
        if inflater.unconsumed_tail:
            return self._decompress(inflater.unconsumed_tail, want)
        data = self._raw.read(_CHUNK)
        if not data:
            msg = "truncated gzip data (the stream ends inside a member)"
            raise CorruptWarcError(msg)
        return self._decompress(data, want)

    def _decompress(self, data: bytes, want: int) -> bytes:
        if self._inflater is None:
            return b""
        try:
            return self._inflater.decompress(data, want)
        except zlib.error as exc:
            msg = f"corrupt gzip data ({exc})"
            raise CorruptWarcError(msg) from exc


# --- cut points: where a large WARC file can be split between workers -------------------

_HEADER_END = b"\r\n\r\n"
_MAX_HEADER = 1 << 16
_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length[ \t]*:[ \t]*(\d+)[ \t]*\r\n", re.I)


def record_cuts(stream: BinaryIO, *, gzipped: bool) -> Iterator[tuple[int, int]]:
    """The places a WARC file can be cut: ``(byte offset, records before it)``, in order.

    A plain file can be cut at every record: records are walked by their
    ``Content-Length`` (the header is read, the block skipped), never searched
    for. A gzipped file can be cut where a gzip member starts a record (a WARC
    writer gzips each record as a member of its own, so a reader can start
    there); every member is inflated to count the records in it. The walk
    stops at the first record it cannot parse, and nothing after that is a
    cut: the reader of that part reports the damage as usual.

    >>> import io
    >>> rec = b"WARC/1.0\\r\\nWARC-Type: resource\\r\\nContent-Length: 3\\r\\n\\r\\nabc\\r\\n\\r\\n"
    >>> list(record_cuts(io.BytesIO(rec * 3), gzipped=False))
    [(0, 0), (59, 1), (118, 2)]
    """
    if gzipped:
        yield from _member_cuts(stream)
        return
    position = records = 0
    while True:
        stream.seek(position)
        head = stream.read(_MAX_HEADER)
        if not head:
            return
        length = _record_length(head)
        if length is None:
            return
        yield position, records
        records += 1
        position += length


def _record_length(data: bytes) -> int | None:
    """The bytes of the record that ``data`` starts with (header, block, closing CRLFs)."""
    if not data.startswith(b"WARC/"):
        return None
    end = data.find(_HEADER_END)
    if end < 0:
        return None
    found = _CONTENT_LENGTH.search(data, 0, end + 2)
    if found is None:
        return None
    return end + len(_HEADER_END) + int(found.group(1)) + len(_HEADER_END)


def _member_cuts(stream: BinaryIO) -> Iterator[tuple[int, int]]:
    """Cut points of a gzipped WARC: members that start a record (see ``record_cuts``).

    Inflated a chunk at a time (bounded memory whatever a member inflates to);
    only the bytes from the next record's start are kept, until its header is read.
    """
    stream.seek(0)
    data = stream.read(_CHUNK)
    read = len(data)  # file offset just past what was read: data[0] is at read - len(data)
    inflated = 0  # bytes inflated so far
    next_record = records = 0
    pending = b""  # inflated bytes from next_record on (its header, being read)
    while data:
        # A member starts here: a cut if it starts a record too.
        if inflated == next_record:
            yield read - len(data), records
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        while True:
            try:
                out = inflater.decompress(data, _CHUNK)
            except zlib.error:
                return
            inflated += len(out)
            if next_record < inflated:
                pending = (pending + out)[-(inflated - next_record) :]
            while next_record < inflated and (
                _HEADER_END in pending[:_MAX_HEADER] or len(pending) >= _MAX_HEADER
            ):
                length = _record_length(pending[:_MAX_HEADER])
                if length is None:
                    return
                next_record += length
                records += 1
                pending = pending[length:] if next_record < inflated else b""
            if inflater.eof:
                data = inflater.unused_data
                break
            if inflater.unconsumed_tail:
                data = inflater.unconsumed_tail
                continue
            data = stream.read(_CHUNK)
            read += len(data)
            if not data:
                return  # cut inside a member
        while True:
            data = data.lstrip(b"\x00")  # some writers pad the end with NUL bytes
            if data:
                break
            data = stream.read(_CHUNK)
            read += len(data)
            if not data:
                return
