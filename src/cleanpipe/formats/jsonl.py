"""JSONL as a stream: a binary stream in, one document (or rejection) per line out.

A JSONL file of any size is read in chunks; only one line is held at a time,
and a line is capped at ``max_bytes`` while it is read: a longer one becomes a
``too-large`` rejection for that line alone (its bytes are skipped, never
buffered), and the lines after it are read as usual. A gzip stream is inflated
chunk by chunk with a bounded output per call, so a gzip bomb inside one line
costs the time to inflate it but never its size in memory.

Lines are numbered as ``bytes.splitlines`` numbers them (``\\n``, ``\\r\\n`` and
a bare ``\\r`` each end a line), so a streamed file gives the same origins as
one read whole. Blank lines are skipped but counted.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterator
from typing import BinaryIO

from cleanpipe.formats.decode import Rejected, decode_bytes
from cleanpipe.models import Origin, RawDocument, Rejection

__all__ = ["iter_jsonl_stream"]

_CHUNK = 1 << 20


def iter_jsonl_stream(
    rel: str,
    stream: BinaryIO,
    *,
    max_bytes: int,
    first_line: int = 1,
    length: int | None = None,
    gzipped: bool = False,
) -> Iterator[RawDocument | Rejection]:
    r"""Read JSONL lines from ``stream`` as documents, one line in memory at a time.

    Args:
        rel: The file's path as origins show it.
        stream: A binary stream positioned at the first byte to read.
        max_bytes: The most bytes one line may hold (after inflating).
        first_line: The number of the first line read (a piece of a cut file).
        length: Bytes to read from ``stream`` (None: to its end).
        gzipped: Inflate the stream (gzip, any number of members).

    >>> import io
    >>> items = list(iter_jsonl_stream("a.jsonl", io.BytesIO(b'{"text": "x"}\n\n' + b"y" * 20),
    ...                                max_bytes=16))
    >>> [(type(i).__name__, i.origin.line if hasattr(i, "origin") else i.line) for i in items]
    [('RawDocument', 1), ('Rejection', 3)]
    """
    number = first_line - 1
    for raw_line, too_long in _lines(_chunks(stream, length=length, gzipped=gzipped), max_bytes):
        if isinstance(raw_line, Rejection):  # the container broke: nothing more can be read
            yield raw_line.model_copy(update={"path": rel, "line": number + 1})
            return
        for part in _split_carriage_returns(raw_line):
            number += 1
            if too_long:
                detail = f"line larger than max_bytes ({max_bytes} bytes)"
                yield Rejection(detail=detail, line=number, path=rel, reason="too-large")
                break
            if not part.strip():
                continue
            sha = hashlib.sha256(part).hexdigest()
            try:
                text = decode_bytes(part, html=False)
            except Rejected as exc:
                yield Rejection(detail=exc.detail, line=number, path=rel, reason=exc.reason)
                continue
            yield RawDocument(
                origin=Origin(format="jsonl", line=number, path=rel, sha256=sha), content=text
            )


def _split_carriage_returns(line: bytes) -> list[bytes]:
    """One ``\\n``-ended line as the lines ``bytes.splitlines`` sees in it."""
    if b"\r" not in line:
        return [line]
    return line.splitlines() or [b""]


def _chunks(stream: BinaryIO, *, length: int | None, gzipped: bool) -> Iterator[bytes | Rejection]:
    left = length
    if not gzipped:
        while left is None or left > 0:
            chunk = stream.read(_CHUNK if left is None else min(_CHUNK, left))
            if not chunk:
                return
            if left is not None:
                left -= len(chunk)
            yield chunk
        return
    inflater = zlib.decompressobj(wbits=31)
    pending = b""
    while True:
        if not pending:
            pending = stream.read(_CHUNK)
            if not pending:
                if not inflater.eof:
                    yield _corrupt("the gzip stream is truncated")
                return
        try:
            out = inflater.decompress(pending, _CHUNK)
        except zlib.error as exc:
            yield _corrupt(f"corrupt gzip data ({exc})")
            return
        pending = inflater.unconsumed_tail
        if out:
            yield out
        if inflater.eof:
            rest = inflater.unused_data + pending
            if not rest.strip(b"\0"):
                pending = stream.read(_CHUNK)
                if not pending.strip(b"\0"):
                    return
                rest = pending
            inflater = zlib.decompressobj(wbits=31)  # the next gzip member
            pending = rest


def _corrupt(detail: str) -> Rejection:
    return Rejection(
        detail=f"{detail}; the lines after it cannot be read",
        line=None,
        path="",
        reason="corrupt-archive",
    )


def _lines(
    chunks: Iterator[bytes | Rejection], max_bytes: int
) -> Iterator[tuple[bytes | Rejection, bool]]:
    """Split chunks at ``\\n``; a line past ``max_bytes`` is given once as ``(b"", True)``."""
    buffer = bytearray()
    skipping = False
    for chunk in chunks:
        if isinstance(chunk, Rejection):
            if buffer and not skipping:
                yield bytes(buffer), False
            yield chunk, False
            return
        start = 0
        while True:
            end = chunk.find(b"\n", start)
            if end < 0:
                if not skipping:
                    buffer += chunk[start:]
                    if len(buffer) > max_bytes:
                        buffer.clear()
                        skipping = True
                break
            if skipping:
                yield b"", True
                skipping = False
            else:
                buffer += chunk[start:end]
                if len(buffer) > max_bytes:
                    yield b"", True
                else:
                    yield bytes(buffer), False
                buffer.clear()
            start = end + 1
    if skipping:
        yield b"", True
    elif buffer:
        yield bytes(buffer), False
