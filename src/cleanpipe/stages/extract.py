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

import orjson

from cleanpipe.config import ExtractConfig
from cleanpipe.models import Draft, RawDocument, Rejection
from cleanpipe.stages.html import extract_html

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

    >>> split_paragraphs("One.\\nTwo.\\n\\nThree.")
    ('One.', 'Two.', 'Three.')
    """
    paragraphs: list[str] = []
    for block in re.split(r"\n\s*\n", text):
        lines = [line.strip() for line in block.split("\n") if line.strip()]
        if not lines:
            continue
        if (
            len(lines) > 1
            and all(_WRAP_MIN <= len(line) <= _WRAP_MAX for line in lines[:-1])
            and len(lines[-1]) <= _WRAP_MAX
        ):
            paragraphs.append(" ".join(lines))
        else:
            paragraphs.extend(lines)
    return tuple(paragraphs)


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
    text = text.lstrip("\ufeff")
    lines = text.split("\n")
    first_index = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first_index is None:
        return _no_content(doc, "no text")
    first = lines[first_index]
    header = _DATE_HEADER.match(first)
    if header is not None:
        date = date or header.group(1)
        title = title or header.group(2)
        body = "\n".join(lines[first_index + 1 :])
    elif (
        title is None
        and len(first.strip()) <= config.max_title_chars
        and first_index + 1 < len(lines)
        and not lines[first_index + 1].strip()
        and not first.rstrip().endswith((".", "!", "?", ":", ";", ","))
        and any(line.strip() for line in lines[first_index + 1 :])
    ):
        title = first.strip()
        body = "\n".join(lines[first_index + 1 :])
    else:
        body = "\n".join(lines[first_index:])
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


def _extract_html(
    doc: RawDocument,
    html: str,
    *,
    config: ExtractConfig,
    title: str | None,
    date: str | None,
    url: str | None,
) -> Draft | Rejection:
    found = extract_html(html, url=url, config=config)
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
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            value = ", ".join(value)
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _no_content(doc: RawDocument, detail: str) -> Rejection:
    return _reject(doc, "no-content", detail)


def _reject(doc: RawDocument, reason: str, detail: str) -> Rejection:
    return Rejection(detail=detail, line=doc.origin.line, path=doc.origin.path, reason=reason)
