"""Read a dump folder: paths in, ``RawDocument`` or ``Rejection`` out.

The only module that reads files. It walks a folder in sorted order, gunzips
(bounded by ``max_bytes``, so a gzip bomb is rejected without inflating it),
sniffs the format from content and suffix, and decodes bytes to text without
ever replacing a character silently: bytes no encoding explains are a reject.
JSONL yields one document per line (a bad line is a reject, the others go on).

It may drop nothing: every file, and every JSONL line, ends as a document or
a rejection.
"""

from __future__ import annotations

import codecs
import hashlib
import logging
import os
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from charset_normalizer import from_bytes

from cleanpipe.config import ReadConfig
from cleanpipe.models import InputFormat, Origin, RawDocument, Rejection

log = logging.getLogger(__name__)

TEXT_SUFFIXES: dict[str, InputFormat] = {
    ".txt": "text",
    ".text": "text",
    ".md": "text",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}

# File signatures of formats that are never article text.
_BINARY_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"PK\x05\x06", "an empty ZIP archive"),
    (b"\x7fELF", "an ELF executable"),
    (b"RIFF", "a RIFF (WebP/WAV/AVI) file"),
    (b"BZh", "a bzip2 archive"),
    (b"\xfd7zXZ\x00", "an xz archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"\x00\x00\x01\x00", "an ICO image"),
    (b"OggS", "an Ogg file"),
    (b"ID3", "an MP3 file"),
    (b"\x1f\x8b", "a gzip stream inside a gzip stream"),
)
_GZIP_MAGIC = b"\x1f\x8b"
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""^<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""", re.I)
_HTML_SNIFF = re.compile(
    r"^\s*(?:<!doctype\s+html|<html|<head|<body|<!--)|<(?:p|div|article|body)[\s>]", re.I
)
_READ_CHUNK = 1 << 20


class _Rejected(Exception):
    """Internal: carries a rejection out of the decoding helpers."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


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


def read_input(
    root: Path, entry: InputEntry, *, config: ReadConfig
) -> list[RawDocument | Rejection]:
    """Read one file of the dump into documents (one, or one per JSONL line) or a rejection."""
    rel = entry.rel_path
    try:
        data = _read_bytes(root / rel, max_bytes=config.max_bytes)
    except _Rejected as exc:
        return [_reject(rel, exc.reason, exc.detail)]
    return decode_input(rel, data, config=config)


def decode_input(rel: str, data: bytes, *, config: ReadConfig) -> list[RawDocument | Rejection]:
    """Turn the bytes of one input into documents, or a rejection saying why not.

    >>> docs = decode_input("a.txt", b"Title\\n\\nBody text.", config=ReadConfig())
    >>> docs[0].origin.format, docs[0].content
    ('text', 'Title\\n\\nBody text.')
    >>> decode_input("b.txt", b"", config=ReadConfig())[0].reason
    'empty'
    """
    name = rel.rsplit("/", 1)[-1].lower()
    sha = hashlib.sha256(data).hexdigest()
    try:
        if data[:2] == _GZIP_MAGIC or name.endswith(".gz"):
            data = _gunzip(data, max_bytes=config.max_bytes)
            name = name.removesuffix(".gz")
        if not data.strip():
            raise _Rejected("empty", "the file holds no text")
        fmt = _sniff_format(name, data)
        if fmt == "jsonl":
            return list(_split_jsonl(rel, data))
        text = _decode(data, html=fmt == "html")
    except _Rejected as exc:
        return [_reject(rel, exc.reason, exc.detail)]
    if not text.strip():
        return [_reject(rel, "empty", "the file holds only whitespace")]
    if fmt == "text" and _HTML_SNIFF.search(text[:2048]) and "</" in text:
        fmt = "html"
    origin = Origin(format=fmt, line=None, path=rel, sha256=sha)
    return [RawDocument(origin=origin, content=_newlines(text))]


def _split_jsonl(rel: str, data: bytes) -> Iterator[RawDocument | Rejection]:
    for number, raw_line in enumerate(data.splitlines(), start=1):
        if not raw_line.strip():
            continue
        sha = hashlib.sha256(raw_line).hexdigest()
        try:
            line_text = _decode(raw_line, html=False)
        except _Rejected as exc:
            yield Rejection(detail=exc.detail, line=number, path=rel, reason=exc.reason)
            continue
        origin = Origin(format="jsonl", line=number, path=rel, sha256=sha)
        yield RawDocument(origin=origin, content=line_text)


def _read_bytes(path: Path, *, max_bytes: int) -> bytes:
    try:
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except FileNotFoundError as exc:
        raise _Rejected("unreadable", "the file vanished before it could be read") from exc
    except OSError as exc:
        raise _Rejected("unreadable", f"cannot read: {exc.strerror or exc}") from exc
    if len(data) > max_bytes:
        raise _Rejected("too-large", f"larger than max_bytes ({max_bytes} bytes)")
    return data


def _gunzip(data: bytes, *, max_bytes: int) -> bytes:
    """Inflate gzip data, stopping as soon as the output passes ``max_bytes``."""
    out = bytearray()
    pending = data
    while pending:
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        feed = pending
        try:
            while True:
                room = max_bytes + 1 - len(out)
                chunk = inflater.decompress(feed, room)
                out += chunk
                if len(out) > max_bytes:
                    msg = f"decompresses to more than max_bytes ({max_bytes} bytes)"
                    raise _Rejected("too-large", msg)
                if inflater.eof:
                    break
                feed = inflater.unconsumed_tail
                if not feed and len(chunk) < room:
                    raise _Rejected(
                        "corrupt-archive", "truncated gzip data (the stream ends early)"
                    )
        except zlib.error as exc:
            raise _Rejected("corrupt-archive", f"corrupt gzip data: {exc}") from exc
        # A multi-member gzip goes on after the first member's end.
        pending = inflater.unused_data.lstrip(b"\x00")
    return bytes(out)


def _sniff_format(name: str, data: bytes) -> InputFormat:
    suffix = "." + name.rsplit(".", 1)[-1] if "." in name else ""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    by_suffix = TEXT_SUFFIXES.get(suffix)
    if by_suffix in {"json", "jsonl"}:
        if by_suffix == "json" and head[:1] == b"{" and _looks_jsonl(data):
            return "jsonl"
        return by_suffix
    for magic, what in _BINARY_MAGIC:
        if head.startswith(magic) and not head.startswith(b"<"):
            raise _Rejected("binary", f"binary content ({what})")
    if by_suffix is not None:
        return by_suffix
    if head[:1] == b"{":
        return "jsonl" if _looks_jsonl(data) else "json"
    if head[:1] == b"<":
        return "html"
    return "text"


def _looks_jsonl(data: bytes) -> bool:
    lines = [line for line in data.splitlines()[:3] if line.strip()]
    return len(lines) > 1 and all(line.lstrip()[:1] == b"{" for line in lines)


def _decode(data: bytes, *, html: bool) -> str:
    """Decode bytes, trusting a BOM, then a declared charset, then UTF-8, then detection."""
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as exc:
                msg = f"invalid {encoding} after a byte-order mark at byte {exc.start}"
                raise _Rejected("undecodable", msg) from exc
    if b"\x00" in data[:8192]:
        raise _Rejected("binary", "binary content (NUL bytes)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as utf8_error:
        declared = _declared_charset(data) if html else None
        if declared:
            try:
                return data.decode(declared)
            except (LookupError, UnicodeDecodeError):
                log.debug("declared charset %s does not decode; detecting", declared)
        best = from_bytes(data[: 1 << 20]).best()
        if best is not None and best.encoding and best.encoding != "utf_8":
            try:
                return data.decode(best.encoding)
            except (LookupError, UnicodeDecodeError):
                pass
        msg = f"not valid UTF-8 (byte {utf8_error.start}) and no other encoding fits"
        raise _Rejected("undecodable", msg) from utf8_error


def _declared_charset(data: bytes) -> str | None:
    match = _XML_ENCODING.search(data[:1024]) or _META_CHARSET.search(data[:16384])
    if match is None:
        return None
    name = match.group(1).decode("ascii", "ignore").lower()
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _points_outside(path: Path, real_root: Path) -> bool:
    try:
        target = path.resolve()
    except (OSError, RuntimeError):
        return True
    return not target.is_relative_to(real_root)


def _reject(rel: str, reason: str, detail: str) -> Rejection:
    return Rejection(detail=detail, line=None, path=rel, reason=reason)
