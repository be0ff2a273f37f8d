"""Extract: ``RawDocument`` in, ``Draft`` (title, paragraphs, metadata) or ``Rejection`` out.

- HTML goes through trafilatura (``cleanpipe.stages.html``): main text, title,
  date, author, url; comments off; nothing is ever fetched.
- Plain text follows header conventions: `` date 2023-10-13 Title`` on the
  first line, or a short title line followed by a blank line. Each non-empty
  line is a paragraph, except hard-wrapped blocks, which are joined.
- JSON (a file or a JSONL line) is read through its fields: ``title``,
  ``text``/``body``/``content`` (or ``html``), ``date``/``published``, ``url``.

It drops a document (as a rejection) when a JSON input does not parse or
carries no text field, or when nothing is left to call an article.
"""

from __future__ import annotations

import re
from typing import Any

import ftfy
import orjson

from cleanpipe.config import ExtractConfig
from cleanpipe.models import Draft, RawDocument, Rejection

_C1_UTF8 = re.compile(b"\xc2[\x80-\x9f]")
# ftfy's encoding fixes only (mojibake and C1 controls): no HTML unescaping
# (the text may be HTML), no line-break or other changes (normalize does them).
_REPAIR_CONFIG = ftfy.TextFixerConfig(
    unescape_html=False,
    remove_terminal_escapes=False,
    fix_encoding=True,
    restore_byte_a0=True,
    replace_lossy_sequences=True,
    decode_inconsistent_utf8=True,
    fix_c1_controls=True,
    fix_latin_ligatures=False,
    fix_character_width=False,
    uncurl_quotes=False,
    fix_line_breaks=False,
    fix_surrogates=False,
    remove_control_chars=False,
    normalization=None,
    explain=False,
)
_DATE_HEADER = re.compile(r"^\s*date\s+(\d{4}-\d{2}-\d{2})\s+(.+?)\s*$", re.I)
_TEXT_FIELDS = ("text", "body", "content", "article", "articleBody", "maintext")
_HTML_FIELDS = ("html", "raw_html", "content_html")
_TITLE_FIELDS = ("title", "headline")
_DATE_FIELDS = ("date", "published", "date_published", "datePublished", "published_at", "pubdate")
_URL_FIELDS = ("url", "link", "source_url", "canonical_url")
_AUTHOR_FIELDS = ("author", "byline", "authors")
_SOURCE_FIELDS = ("source", "publisher", "agency", "sitename")
# A block whose lines all sit in this width band, but for the last, was wrapped
# by a tool (email, mbox, fixed-width dumps) and is one paragraph.
_WRAP_MIN, _WRAP_MAX = 40, 100


def extract(doc: RawDocument, *, config: ExtractConfig) -> Draft | Rejection:
    """Take the title, body paragraphs and metadata out of one document.

    >>> from cleanpipe.models import Origin
    >>> origin = Origin(format="text", path="a.txt", sha256="0" * 64)
    >>> draft = extract(RawDocument(origin=origin, content=" date 2023-10-13 A title\\nBody."),
    ...                 config=ExtractConfig())
    >>> draft.title, draft.date, draft.paragraphs
    ('A title', '2023-10-13', ('Body.',))
    """
    fmt = doc.origin.format
    if fmt in {"json", "jsonl"}:
        return _extract_json(doc, config=config)
    if fmt in {"html", "warc"}:
        return _extract_html(
            doc, doc.content, config=config, title=None, date=doc.date, url=doc.url
        )
    return _extract_text(doc, doc.content, config=config)


def split_paragraphs(text: str) -> tuple[str, ...]:
    """Split plain text into paragraphs: each non-empty line, hard-wrapped blocks joined.

    Blocks are the runs of lines with something but white space on them (the
    parts between ``\\n\\s*\\n``), walked line by line rather than split by
    that pattern: one C split instead of a regex over the whole text.

    >>> split_paragraphs("One.\\nTwo.\\n\\nThree.")
    ('One.', 'Two.', 'Three.')
    """
    paragraphs: list[str] = []
    block: list[str] = []
    for line in text.split("\n"):
        line = line.strip()
        if line:
            block.append(line)
            continue
        if block:
            _add_block(paragraphs, block)
            block = []
    if block:
        _add_block(paragraphs, block)
    return tuple(paragraphs)


def _add_block(paragraphs: list[str], lines: list[str]) -> None:
    """One block's paragraphs: its lines, or one paragraph if a tool hard-wrapped them."""
    if (
        len(lines) > 1
        and all(_WRAP_MIN <= len(line) <= _WRAP_MAX for line in lines[:-1])
        and len(lines[-1]) <= _WRAP_MAX
    ):
        paragraphs.append(" ".join(lines))
    else:
        paragraphs.extend(lines)


def _extract_text(
    doc: RawDocument,
    text: str,
    *,
    config: ExtractConfig,
    title: str | None = None,
    date: str | None = None,
    url: str | None = None,
    author: str | None = None,
    source: str | None = None,
) -> Draft | Rejection:
    text = repair_mojibake(text.lstrip("\ufeff"))
    # The first line with a character that is not white space, and the rest.
    start = 0
    while True:
        end = text.find("\n", start)
        first = text[start:] if end < 0 else text[start:end]
        if first.strip():
            break
        if end < 0:
            return _no_content(doc, "no text")
        start = end + 1
    rest = "" if end < 0 else text[end + 1 :]
    header = _DATE_HEADER.match(first)
    if header is not None:
        date = date or header.group(1)
        title = title or header.group(2)
        body = rest
    elif (
        title is None
        and len(first.strip()) <= config.max_title_chars
        and end >= 0
        and not _line_at(rest, 0).strip()
        and not first.rstrip().endswith((".", "!", "?", ":", ";", ","))
        and rest.strip()
    ):
        title = first.strip()
        body = rest
    else:
        body = text[start:]
    paragraphs = split_paragraphs(body)
    if not paragraphs:
        return _no_content(doc, "only a title, no body text")
    return Draft(
        origin=doc.origin,
        paragraphs=paragraphs,
        title=title,
        date=date,
        url=url,
        author=author,
        source=source,
    )


def _line_at(text: str, start: int) -> str:
    end = text.find("\n", start)
    return text[start:] if end < 0 else text[start:end]


def repair_mojibake(text: str) -> str:
    """Repair mojibake in a whole document, before anything splits it.

    Text that was encoded to UTF-8 and read back as Latin-1 (twice, say) holds
    C1 control characters, and one of them, U+0085, is a line break and white
    space to Python (``str.splitlines``, ``str.split``, ``str.strip``, ``\\s``):
    split first, and ``âœ\\x85`` (U+2705) would be cut in two and repaired
    wrong. So a document with a C1 control goes through ftfy's encoding fixes
    (line by line, as ftfy works) first; the rest of ftfy's fixes wait for
    normalize. Text without a C1 control is returned as it is.

    >>> repair_mojibake("Done \u00e2\u009c\u0085 today")
    'Done ✅ today'
    >>> repair_mojibake("caf\u00c3\u00a9")  # no C1 control: normalize repairs it
    'cafÃ©'
    """
    # A C1 control is \\xc2\\x80-\\xc2\\x9f in UTF-8: a bytes pattern with a
    # literal first byte is found by a fast scan (the str pattern tested every
    # character, ~17 us over a 2,500-character article).
    if text.isascii() or _C1_UTF8.search(text.encode("utf-8", "surrogatepass")) is None:
        return text
    return ftfy.fix_text(text, _REPAIR_CONFIG)


def _extract_html(
    doc: RawDocument,
    html: str,
    *,
    config: ExtractConfig,
    title: str | None,
    date: str | None,
    url: str | None,
) -> Draft | Rejection:
    # Imported on the first page: trafilatura and lxml are a tenth of a second
    # of every start, which a dump of text or JSON never needs.
    from cleanpipe.stages.html import extract_html

    found = extract_html(repair_mojibake(html), url=url, config=config)
    if not found.paragraphs:
        return _no_content(doc, "the HTML holds no main text")
    return Draft(
        origin=doc.origin,
        paragraphs=found.paragraphs,
        title=title or found.title,
        # A crawl's record date (WARC-Date) is when the page was fetched: the
        # page's own publication date comes first for crawled pages.
        date=(found.date or date) if doc.origin.format == "warc" else (date or found.date),
        url=url or found.url,
        author=found.author,
    )


def _extract_json(doc: RawDocument, *, config: ExtractConfig) -> Draft | Rejection:
    try:
        obj = orjson.loads(doc.content)
    except orjson.JSONDecodeError as exc:
        return _reject(doc, "malformed-json", f"invalid JSON ({exc})")
    if not isinstance(obj, dict):
        return _reject(doc, "malformed-json", f"a JSON {type(obj).__name__}, not an object")
    title = _field(obj, _TITLE_FIELDS)
    date = _field(obj, _DATE_FIELDS) or doc.date
    url = _field(obj, _URL_FIELDS) or doc.url
    author = _field(obj, _AUTHOR_FIELDS)
    source = _field(obj, _SOURCE_FIELDS)
    text = _field(obj, _TEXT_FIELDS)
    if text is not None:
        if text.lstrip().startswith("<") and "</" in text:
            return _extract_html(doc, text, config=config, title=title, date=date, url=url)
        return _extract_text(
            doc, text, config=config, title=title, date=date, url=url, author=author, source=source
        )
    html = _field(obj, _HTML_FIELDS)
    if html is not None:
        return _extract_html(doc, html, config=config, title=title, date=date, url=url)
    names = ", ".join(_TEXT_FIELDS + _HTML_FIELDS)
    return _reject(doc, "malformed-json", f"no text field (expected one of: {names})")


def _field(obj: dict[str, Any], names: tuple[str, ...]) -> str | None:
    for name in names:
        value = obj.get(name)
        if value is None:
            continue
        if type(value) is not str:
            value = _as_text(value)
            if value is None:
                continue
        value = value.strip()
        if value:
            return value
    return None


def _as_text(value: object) -> str | None:
    """Read a non-string field value as text: a list of strings or a number, else None."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return ", ".join(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _no_content(doc: RawDocument, detail: str) -> Rejection:
    return _reject(doc, "no-content", detail)


def _reject(doc: RawDocument, reason: str, detail: str) -> Rejection:
    return Rejection(detail=detail, line=doc.origin.line, path=doc.origin.path, reason=reason)
