"""HTML → article body paragraphs and metadata, through trafilatura.

Takes one HTML page as a decoded string; gives an ``HtmlExtract``: the title,
the body split into paragraphs (never the headline), and the date, author,
URL and site name trafilatura found. A page with no recognisable article body
gives no paragraphs; the extract stage turns that into a ``no-content`` reject.

trafilatura never fetches anything here: it is handed the markup, never a URL
to download, and the markup is parsed by lxml's HTML parser, which neither
loads DTDs nor resolves external entities nor touches the network.
"""

from __future__ import annotations

import logging

import trafilatura
from pydantic import BaseModel, ConfigDict
from trafilatura.settings import Document

from cleanpipe.config import ExtractConfig

__all__ = ["HtmlExtract", "extract_html"]

logger = logging.getLogger(__name__)


class HtmlExtract(BaseModel):
    """What ``extract_html`` found in one page."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    title: str | None = None
    paragraphs: tuple[str, ...] = ()
    date: str | None = None
    author: str | None = None
    url: str | None = None
    sitename: str | None = None


def extract_html(html: str, *, url: str | None = None, config: ExtractConfig) -> HtmlExtract:
    """Extract the article body and metadata from one HTML page.

    Args:
        html: The page's markup, already decoded.
        url: Where the page came from, if known; used for metadata only, never fetched.
        config: The extract stage's options.

    Returns:
        The title, body paragraphs (headline excluded) and metadata; no
        paragraphs when the page holds no article.

    >>> page = ("<html><head><title>Rain in Hue</title></head><body><article>"
    ...         "<h1>Rain in Hue</h1><p>Heavy rain flooded the old town of Hue on "
    ...         "Monday, and schools stayed closed for a second day.</p><p>Officials "
    ...         "said the water would recede by the end of the week.</p></article>"
    ...         "</body></html>")
    >>> result = extract_html(page, config=ExtractConfig())
    >>> result.title
    'Rain in Hue'
    >>> len(result.paragraphs)
    2
    """
    document = trafilatura.bare_extraction(
        html,
        url=url,
        favor_precision=config.favor_precision,
        include_comments=False,
        include_tables=config.include_tables,
        with_metadata=True,
    )
    if not isinstance(document, Document):
        return HtmlExtract(url=url)
    title = _clean(document.title)
    paragraphs = tuple(
        line for line in (_clean(raw) for raw in (document.text or "").split("\n")) if line
    )
    if title and paragraphs and paragraphs[0] == title:
        paragraphs = paragraphs[1:]
    return HtmlExtract(
        title=title or None,
        paragraphs=paragraphs,
        date=document.date or None,
        author=_clean(document.author) or None,
        url=document.url or url,
        sitename=_clean(document.sitename) or None,
    )


def _clean(text: str | None) -> str:
    return " ".join(text.split()) if text else ""
