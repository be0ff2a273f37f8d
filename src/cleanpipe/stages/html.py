"""HTML → article body paragraphs and metadata, through trafilatura.

Takes one HTML page as a decoded string; gives an ``HtmlExtract``: the title,
the body split into paragraphs (never the headline), and the date, author,
URL and site name found in the page. A page with no recognisable article body
gives no paragraphs; the extract stage turns that into a ``no-content`` reject.

How, in three parts:

1. The raw tree is readied (``html_tree``): a body or a part of it whose class
   holds one of trafilatura's chrome words ("elementor-widget-…",
   "sidebar-layout", an embed between paragraphs) has those words taken out, a
   body that adverts split into containers of one class is joined, and link
   text is marked.
2. trafilatura finds the main content in its fast, recall-oriented mode and
   hands it back as a tree of blocks (headings, paragraphs, list items, quotes,
   table rows, images). Where that pass finds little of the page (its text is
   not in one article-like container), the page goes once more through
   trafilatura's full cascade, which costs twice as much and so runs only there
   (``_under_extracted``).
3. The tree is flattened into blocks (``html_blocks``), and page chrome that
   trafilatura keeps in that mode is dropped by structure, which plain text no
   longer shows: tables of contents, the headline and its deck (headings before
   the first paragraph), and headings and link lists after the last one.

Each step can be switched off (``HTML_STEPS``), so the extraction benchmark can
measure what it costs and buys on both dev sets. Text rules (bylines, "Read
more", captions, …) are the strip stage's job, so they apply to every format.

trafilatura never fetches anything here: it is handed the markup, never a URL
to download, and lxml's HTML parser neither loads DTDs nor resolves external
entities nor touches the network.
"""

from __future__ import annotations

import logging
from collections.abc import Collection

import trafilatura
from htmldate import find_date
from lxml.etree import _Element
from lxml.html import HtmlElement
from pydantic import BaseModel, ConfigDict
from trafilatura.settings import Document
from trafilatura.utils import load_html

from cleanpipe.config import ExtractConfig
from cleanpipe.stages.html_blocks import drop_chrome, drop_toc, squeeze, to_blocks
from cleanpipe.stages.html_tree import (
    join_split_bodies,
    mark_links,
    prose_stats,
    unmask_body,
    unmask_inner,
)

__all__ = ["HTML_STEPS", "HtmlExtract", "extract_html"]

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


# The steps of the HTML path that can be switched off one at a time (the
# extraction benchmark's ablation): what each costs and buys, measured.
HTML_STEPS: tuple[str, ...] = (
    "unmask_body",
    "unmask_inner",
    "join_split_bodies",
    "mark_links",
    "fast_mode",
    "favor_recall",
    "rescue",
    "layout_rows",
    "drop_toc",
    "drop_headline",
    "drop_trailing",
)


def extract_html(
    html: str,
    *,
    url: str | None = None,
    config: ExtractConfig,
    disabled_steps: Collection[str] = (),
) -> HtmlExtract:
    """Extract the article body and metadata from one HTML page.

    Args:
        html: The page's markup, already decoded.
        url: Where the page came from, if known; used for metadata only, never fetched.
        config: The extract stage's options.
        disabled_steps: Names from ``HTML_STEPS`` to skip (for measuring them).

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
    >>> result.paragraphs[0][:25]
    'Heavy rain flooded the ol'
    """
    tree = load_html(html)
    if tree is None:
        return HtmlExtract(url=url)
    # Metadata first: the extraction below consumes a copy of the tree, but link
    # marking changes the text of this one.
    meta = _metadata(tree, url)
    if not {"unmask_body", "unmask_inner"} <= set(disabled_steps):
        prose = prose_stats(tree)
        if "unmask_body" not in disabled_steps:
            unmask_body(tree, prose)
        if "unmask_inner" not in disabled_steps:
            unmask_inner(tree, prose)
    if "join_split_bodies" not in disabled_steps:
        join_split_bodies(tree)
    if "mark_links" not in disabled_steps:
        mark_links(tree)
    document = trafilatura.bare_extraction(
        tree,
        url=url,
        # fast: skip trafilatura's comparison with readability/jusText, which costs
        # half the time and, once the chrome rules below run, no longer pays.
        fast="fast_mode" not in disabled_steps,
        # recall: keep what trafilatura is unsure about; the rules below drop the
        # chrome by structure, with more to go on than trafilatura's thresholds.
        favor_recall="favor_recall" not in disabled_steps,
        include_comments=False,
        include_tables=config.include_tables,
    )
    body = document.body if isinstance(document, Document) else None
    if "rescue" not in disabled_steps and _under_extracted(body, tree):
        body = _rescue(tree, url=url, config=config, body=body)
    if body is None:
        return meta
    blocks = to_blocks(body, layout_rows="layout_rows" not in disabled_steps)
    if config.favor_precision and "drop_toc" not in disabled_steps:
        blocks = drop_toc(blocks)
    if config.favor_precision:
        blocks = drop_chrome(
            blocks,
            meta.title or "",
            headline="drop_headline" not in disabled_steps,
            trailing="drop_trailing" not in disabled_steps,
        )
    paragraphs = tuple(b.text for b in blocks if b.kind != "graphic")
    return meta.model_copy(update={"paragraphs": paragraphs})


# The fast, recall-oriented pass finds nothing or a fragment on pages whose text
# is not in one article-like container (reviews, guides, listings: measured on
# WCXB-dev, 25 of 709 pages under 20% recall, where trafilatura's default kept
# over 80%). That shows as an extraction under trafilatura's own escalation
# bounds: under 3,000 characters and under a fifth of the page's text. Only
# then is the page run again through trafilatura's full cascade (readability and
# jusText comparison, recall escalation), which costs twice the fast pass.
_RESCUE_MAX_CHARS = 3000
_RESCUE_PAGE_SHARE = 0.2


def _under_extracted(body: _Element | None, tree: HtmlElement) -> bool:
    chars = len(" ".join(body.itertext()).strip()) if body is not None else 0
    if chars >= _RESCUE_MAX_CHARS:
        return False
    return chars < _RESCUE_PAGE_SHARE * _page_text_chars(tree)


# What trafilatura's html2txt leaves out of a page's text (its basic cleaning, the
# class and id tests aside).
_UNSEEN_IN_PAGE = ("script", "style", "template", "svg", "noscript", "aside", "footer")


def _page_text_chars(tree: HtmlElement) -> int:
    """About the length of ``html2txt(tree)``, the page's text, without copying the tree.

    html2txt copies the tree and runs its cleaning expressions, a third of the
    fast pass's time; this count is within 3% of it on 9 pages in 10 of both dev sets.
    """
    body = tree.find(".//body")
    if body is None:
        body = tree
    chars = len(" ".join(body.text_content().split()))
    for elem in body.iter(_UNSEEN_IN_PAGE):
        if not any(outer.tag in _UNSEEN_IN_PAGE for outer in elem.iterancestors()):
            chars -= len(" ".join(elem.text_content().split())) + 1
    return max(chars, 0)


def _rescue(
    tree: HtmlElement, *, url: str | None, config: ExtractConfig, body: _Element | None
) -> _Element | None:
    """Extract again with trafilatura's full cascade; keep it where it found more text."""
    document = trafilatura.bare_extraction(
        tree,
        url=url,
        include_comments=False,
        include_tables=config.include_tables,
    )
    if not isinstance(document, Document) or document.body is None:
        return body
    found = document.body
    if body is None or _text_chars(found) > _text_chars(body):
        return found
    return body


def _text_chars(body: _Element) -> int:
    return sum(len(text.strip()) for text in body.itertext())


def _metadata(tree: HtmlElement, url: str | None) -> HtmlExtract:
    """Read title, date, author, site name and canonical URL from the page's head.

    trafilatura's own metadata pass (``with_metadata``) costs as much as half
    the extraction (categories, tags, licence, author heuristics over the whole
    tree); the head's meta tags and htmldate's quick search give what a record needs.
    """
    meta: dict[str, str] = {}
    for elem in tree.iterfind(".//meta"):
        key = (elem.get("property") or elem.get("name") or elem.get("itemprop") or "").lower()
        content = squeeze(elem.get("content"))
        if key and content and key not in meta:
            meta[key] = content
    title = meta.get("og:title") or meta.get("twitter:title") or meta.get("headline")
    if not title:
        headings = tree.xpath("//h1")
        if len(headings) == 1:
            title = squeeze(headings[0].text_content())
    if not title:
        title = squeeze(tree.findtext(".//title"))
    author = next(
        (
            meta[key]
            for key in ("author", "article:author", "parsely-author", "byl", "dc.creator")
            if key in meta and "://" not in meta[key]
        ),
        None,
    )
    canonical = tree.find('.//link[@rel="canonical"]')
    page_url = (canonical.get("href") if canonical is not None else None) or meta.get("og:url")
    # A tree, never a string: htmldate downloads a string that looks like a URL.
    date = find_date(tree, url=url, extensive_search=False, original_date=True)
    return HtmlExtract(
        title=title or None,
        date=date or None,
        author=author,
        url=page_url if page_url and page_url.startswith("http") else url,
        sitename=meta.get("og:site_name") or meta.get("application-name"),
    )
