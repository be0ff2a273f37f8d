"""Decode: the bytes of one input to text, or a reason it cannot be read.

Pure functions over bytes (no file is opened here: ``read.py`` reads the
files and hands their bytes over). Gunzip bounded by ``max_bytes``; sniff the
format from content and suffix; decode without ever replacing a character
silently.

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
import logging
import re
import zlib

from charset_normalizer import from_bytes

from cleanpipe.models import InputFormat

log = logging.getLogger(__name__)

_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)


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


GZIP_MAGIC = b"\x1f\x8b"


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)


_XML_ENCODING = re.compile(rb"""^<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""", re.I)


HTML_SNIFF = re.compile(
    r"^\s*(?:<!doctype\s+html|<html|<head|<body|<!--)|<(?:p|div|article|body)[\s>]", re.I
)


# Vietnamese windows-1258 writes most tones as a combining byte after the vowel:
# grave 0xCC, hook 0xD2, tilde 0xDE, acute 0xEC, dot below 0xF2. In Western text
# these bytes (Ì Ò Þ ì ò) almost never follow a vowel, so two such pairs suffice.
_CP1258_TONE = re.compile(
    rb"[AEIOUYaeiouy\xc2\xc3\xca\xd4\xd5\xdd\xe2\xe3\xea\xf4\xf5\xfd][\xcc\xd2\xde\xec\xf2]"
)


_HIGH_RUN = re.compile(rb"[\x80-\xff]+")


# Share of high bytes standing in runs of three or more: words in Cyrillic or
# CJK are such runs; accented letters in Western text stand alone or in pairs.
_MAX_WESTERN_RUN_SHARE = 0.3


# A detected encoding must also recognise a language (charset_normalizer's
# coherence); without one, a guess is as likely garbage as text.
_MIN_COHERENCE = 0.05


# Encodings that read every byte, which a declaration may name but which would
# then hide C1 control characters: read as the web does (WHATWG: windows-1252).
_WEB_LATIN1 = {"latin-1", "iso8859-1", "ascii", "us-ascii"}


class Rejected(Exception):
    """Internal: carries a rejection out of the decoding helpers."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def gunzip(data: bytes, *, max_bytes: int) -> bytes:
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
                    raise Rejected("too-large", msg)
                if inflater.eof:
                    break
                feed = inflater.unconsumed_tail
                if not feed and len(chunk) < room:
                    raise Rejected("corrupt-archive", "truncated gzip data (the stream ends early)")
        except zlib.error as exc:
            raise Rejected("corrupt-archive", f"corrupt gzip data: {exc}") from exc
        # A multi-member gzip goes on after the first member's end.
        pending = inflater.unused_data.lstrip(b"\x00")
    return bytes(out)


def sniff_format(name: str, data: bytes) -> InputFormat:
    r"""Tell the format of an input from its content and its name's suffix.

    >>> sniff_format("feed.json", b'{"a": 1}\n{"a": 2}\n{"a": 3}')
    'jsonl'
    >>> sniff_format("page", b"<!doctype html><p>x</p>")
    'html'

    Raises:
        Rejected: the bytes carry a binary file signature.
    """
    suffix = "." + name.rsplit(".", 1)[-1] if "." in name else ""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    by_suffix = TEXT_SUFFIXES.get(suffix)
    # Magic first, whatever the suffix: an image saved as .json is still an image.
    for magic, what in _BINARY_MAGIC:
        if data.startswith(magic):
            raise Rejected("binary", f"binary content ({what})")
    for pattern, what in _BINARY_PATTERNS:
        if pattern.match(data):
            raise Rejected("binary", f"binary content ({what})")
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


def decode_bytes(data: bytes, *, html: bool) -> str:
    """Decode bytes, trusting a BOM, then a declared charset, then UTF-8, then detection."""
    # Most inputs are UTF-8 without a mark: one byte tells that no mark is there.
    if data[:1] in _BOM_FIRST_BYTES:
        text = _decode_with_bom(data)
        if text is not None:
            return text
    if data.find(b"\x00", 0, 8192) >= 0:
        raise Rejected("binary", "binary content (NUL bytes)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as utf8_error:
        return _decode_not_utf8(data, utf8_error, html=html)


# Every byte-order mark starts with one of these bytes.
_BOM_FIRST_BYTES = frozenset({b"\xef", b"\xff", b"\xfe", b"\x00"})


def _decode_with_bom(data: bytes) -> str | None:
    """Decode bytes by their byte-order mark, or give None if they start with none.

    Raises:
        Rejected: a mark followed by bytes its encoding does not read.
    """
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
                raise Rejected("undecodable", msg) from exc
    return None


def _decode_not_utf8(data: bytes, utf8_error: UnicodeDecodeError, *, html: bool) -> str:
    """Decode bytes that are not UTF-8: a declared charset, then a legacy encoding."""
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
        raise Rejected("undecodable", msg) from utf8_error
    text = _decode_legacy(data)
    if text is not None:
        return text
    msg = (
        f"not valid UTF-8 (byte {utf8_error.start}) and no other encoding fits "
        "(declare a charset or convert the file to UTF-8)"
    )
    raise Rejected("undecodable", msg) from utf8_error


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


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


def _declared_charset(data: bytes) -> str | None:
    match = _XML_ENCODING.search(data[:1024]) or _META_CHARSET.search(data[:16384])
    if match is None:
        return None
    name = match.group(1).decode("ascii", "ignore").lower()
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def normalize_newlines(text: str) -> str:
    r"""Turn CRLF and CR line endings into LF.

    >>> normalize_newlines("a\r\nb\rc")
    'a\nb\nc'
    """
    return text.replace("\r\n", "\n").replace("\r", "\n")
