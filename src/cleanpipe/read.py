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

Decoding, in order: a byte-order mark; a charset the HTML declares; UTF-8.
Bytes that hold valid multi-byte UTF-8 *and* invalid sequences are damaged
UTF-8 and a reject (guessing would silently garble them). Otherwise the text
is a legacy single-byte encoding: Vietnamese windows-1258 is recognised by its
combining tone marks after vowels; isolated high bytes among ASCII letters are
Western (windows-1252, the web's reading of latin-1); runs of high bytes
(Cyrillic, CJK) go to charset detection, which must also recognise a
language. Whatever none of these explains is ``undecodable``.
"""

from __future__ import annotations

import codecs
import gzip
import hashlib
import logging
import os
import re
import stat
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from charset_normalizer import from_bytes

from cleanpipe.config import ReadConfig
from cleanpipe.formats.warc import WarcItem, is_warc_name, iter_warc_documents
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
    (b"\xfd7zXZ\x00", "an xz archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"\x00\x00\x01\x00", "an ICO image"),
    (b"OggS", "an Ogg file"),
    (b"\x1f\x8b", "a gzip stream inside a gzip stream"),
    (b"\x00asm", "a WebAssembly module"),
    (b"\xca\xfe\xba\xbe", "a Java class or Mach-O file"),
    (b"wOFF", "a WOFF font"),
    (b"wOF2", "a WOFF2 font"),
)
# Signatures that begin with letters a text could begin with ("BZh", "ID3"),
# so they need their binary tail too.
_BINARY_PATTERNS: tuple[tuple[re.Pattern[bytes], str], ...] = (
    (re.compile(rb"BZh[1-9]1AY&SY"), "a bzip2 archive"),
    (re.compile(rb"ID3[\x02-\x04]\x00"), "an MP3 file"),
    (re.compile(rb"\x00\x00\x00[\x14-\x30]ftyp"), "an MP4/HEIC file"),
)
_GZIP_MAGIC = b"\x1f\x8b"
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""^<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""", re.I)
_HTML_SNIFF = re.compile(
    r"^\s*(?:<!doctype\s+html|<html|<head|<body|<!--)|<(?:p|div|article|body)[\s>]", re.I
)
# Vietnamese windows-1258 writes most tones as a combining byte after the vowel:
# grave 0xCC, hook 0xD2, tilde 0xDE, acute 0xEC, dot below 0xF2. In Western text
# these bytes (Ì Ò Þ ì ò) almost never follow a vowel, so two such pairs suffice.
_CP1258_TONE = re.compile(
    rb"[AEIOUYaeiouy\xc2\xc3\xca\xd4\xd5\xdd\xe2\xe3\xea\xf4\xf5\xfd][\xcc\xd2\xde\xec\xf2]"
)
_HIGH_RUN = re.compile(rb"[\x80-\xff]+")
_READ_CHUNK = 1 << 20
# Share of high bytes standing in runs of three or more: words in Cyrillic or
# CJK are such runs; accented letters in Western text stand alone or in pairs.
_MAX_WESTERN_RUN_SHARE = 0.3
# A detected encoding must also recognise a language (charset_normalizer's
# coherence); without one, a guess is as likely garbage as text.
_MIN_COHERENCE = 0.05
# Encodings that read every byte, which a declaration may name but which would
# then hide C1 control characters: read as the web does (WHATWG: windows-1252).
_WEB_LATIN1 = {"latin-1", "iso8859-1", "ascii", "us-ascii"}


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

    The file is checked again when opened, since the dump may change after it
    was listed: it must be a regular file, and a link must not lead out of
    ``root`` (or be a link at all, unless ``follow_symlinks``).
    """
    rel = entry.rel_path
    shown = display_path(rel)
    path = root / rel
    try:
        if config.follow_symlinks and _points_outside(path, root.resolve()):
            raise _Rejected("symlink-outside", "symbolic link points outside the dump folder")
        if is_warc_name(rel):  # streamed record by record, each bounded by max_bytes
            return _read_warc(path, shown, config=config)
        data = _read_bytes(path, max_bytes=config.max_bytes, follow=config.follow_symlinks)
    except _Rejected as exc:
        return [_reject(shown, exc.reason, exc.detail)]
    return decode_input(shown, data, config=config)


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
        if data[:2] == _GZIP_MAGIC or name.endswith(".gz"):
            data = _gunzip(data, max_bytes=config.max_bytes)
            name = name.removesuffix(".gz")
        if not data.strip():
            raise _Rejected("empty", "the file holds no text")
        fmt = _sniff_format(name, data)
        if fmt == "jsonl":
            lines: list[WarcItem]
            if data.startswith(_WIDE_BOMS):
                lines = list(_split_jsonl_text(rel, _decode(data, html=False)))
            else:
                lines = list(_split_jsonl(rel, data))
            if not lines:  # only a byte-order mark and blank lines: still accounted for
                raise _Rejected("empty", "the file holds no JSON lines")
            return lines
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


def _split_jsonl_text(rel: str, text: str) -> Iterator[RawDocument | Rejection]:
    """JSONL in a UTF-16/32 file: decoded whole (its lines are not byte lines)."""
    for number, line in enumerate(_newlines(text).split("\n"), start=1):
        if not line.strip():
            continue
        sha = hashlib.sha256(line.encode("utf-8")).hexdigest()
        origin = Origin(format="jsonl", line=number, path=rel, sha256=sha)
        yield RawDocument(origin=origin, content=line)


def _read_warc(path: Path, rel: str, *, config: ReadConfig) -> list[WarcItem]:
    # The same opening rules as _read_bytes; the file is then read as a stream.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    if not config.follow_symlinks:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError as exc:
        raise _Rejected("unreadable", "the file vanished before it could be read") from exc
    except OSError as exc:
        raise _Rejected("unreadable", f"cannot open: {exc.strerror or exc}") from exc
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise _Rejected("unreadable", "not a regular file when opened")
        return list(iter_warc_documents(rel, handle, config=config))


def _read_bytes(path: Path, *, max_bytes: int, follow: bool) -> bytes:
    # O_NONBLOCK: a FIFO put where a file was would block open() forever.
    # O_NOFOLLOW: a file swapped for a link after listing is not followed.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    if not follow:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError as exc:
        raise _Rejected("unreadable", "the file vanished before it could be read") from exc
    except OSError as exc:
        raise _Rejected("unreadable", f"cannot open: {exc.strerror or exc}") from exc
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            what = "a folder" if stat.S_ISDIR(mode) else "not a regular file"
            raise _Rejected("unreadable", f"{what} when opened (the dump changed during the run)")
        chunks: list[bytes] = []
        size = 0
        while size <= max_bytes:
            chunk = os.read(fd, min(_READ_CHUNK, max_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise _Rejected("unreadable", f"cannot read: {exc.strerror or exc}") from exc
    finally:
        os.close(fd)
    if size > max_bytes:
        raise _Rejected("too-large", f"larger than max_bytes ({max_bytes} bytes)")
    return b"".join(chunks)


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
    # Magic first, whatever the suffix: an image saved as .json is still an image.
    for magic, what in _BINARY_MAGIC:
        if data.startswith(magic):
            raise _Rejected("binary", f"binary content ({what})")
    for pattern, what in _BINARY_PATTERNS:
        if pattern.match(data):
            raise _Rejected("binary", f"binary content ({what})")
    if by_suffix in {"json", "jsonl"}:
        if by_suffix == "json" and head[:1] == b"{" and _looks_jsonl(data):
            return "jsonl"
        return by_suffix
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
            text = _try_decode(data, declared)
            if text is not None:
                return text
            log.debug("declared charset %s does not decode; detecting", declared)
        if _has_utf8_sequences(data):
            msg = (
                f"damaged UTF-8: invalid byte at {utf8_error.start} in text that is "
                "otherwise UTF-8 (re-encode or repair the file)"
            )
            raise _Rejected("undecodable", msg) from utf8_error
        text = _decode_legacy(data)
        if text is not None:
            return text
        msg = (
            f"not valid UTF-8 (byte {utf8_error.start}) and no other encoding fits "
            "(declare a charset or convert the file to UTF-8)"
        )
        raise _Rejected("undecodable", msg) from utf8_error


def _decode_legacy(data: bytes) -> str | None:
    """Decode bytes of a single-byte (or CJK) legacy encoding, or give None."""
    if len(_CP1258_TONE.findall(data, 0, 1 << 20)) >= 2:
        text = _try_decode(data, "cp1258")
        if text is not None:
            return text
    runs = [len(m.group()) for m in _HIGH_RUN.finditer(data, 0, 1 << 20)]
    high = sum(runs)
    in_long_runs = sum(n for n in runs if n >= 3)
    if high and in_long_runs / high <= _MAX_WESTERN_RUN_SHARE:
        return _try_decode(data, "cp1252")
    best = from_bytes(data[: 1 << 20]).best()
    if best is None or not best.encoding or best.coherence < _MIN_COHERENCE:
        return None
    return _try_decode(data, best.encoding)


def _try_decode(data: bytes, encoding: str) -> str | None:
    if encoding in _WEB_LATIN1:
        encoding = "cp1252"
    try:
        text = data.decode(encoding)
    except (LookupError, UnicodeDecodeError):
        return None
    # Decoders that map every byte still must not yield C0/C1 control characters.
    if _CONTROL.search(text):
        return None
    return text


def _has_utf8_sequences(data: bytes) -> bool:
    """Whether ``data`` holds at least one well-formed multi-byte UTF-8 character."""
    return _UTF8_MULTIBYTE.search(data, 0, 1 << 20) is not None


_WIDE_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)


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


def input_sha256(root: Path, entry: InputEntry, *, config: ReadConfig) -> str | None:
    """The SHA-256 of one input file's bytes, or None when it cannot be read now.

    The file is opened under ``read_input``'s rules (without blocking, a regular
    file, a link only with ``follow_symlinks``) and hashed in chunks, so memory
    stays bounded whatever its size. An incremental run compares the digest
    with the last run's to skip unchanged files; None makes it read the file,
    which then gives the rejection.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    if not config.follow_symlinks:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(root / entry.rel_path, flags)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        try:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                return None
            return hashlib.file_digest(handle, "sha256").hexdigest()
        except OSError:
            return None


def read_state(out: Path | str, name: str) -> bytes | None:
    """Read the state file ``name`` that the last run staged with ``OutputSwap.add_state``.

    State lives in the slot the output files link to (``OUT/.cleanpipe/current``,
    see write.py), or in ``OUT/.cleanpipe`` where links cannot be made. None
    when there is none (no run yet, or the last run kept no state).

    Raises:
        InputError: the file exists but cannot be read.
    """
    from cleanpipe.errors import InputError
    from cleanpipe.write import STATE_DIR

    state = Path(out) / STATE_DIR
    current = state / "current"  # write.py's link to the slot in view
    path = current / name if current.is_symlink() else state / name
    try:
        return path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        msg = f"{path}: cannot read ({exc.strerror or exc}); check its permissions"
        raise InputError(msg, path=str(path), reason="unreadable") from exc
