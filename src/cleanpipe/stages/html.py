"""HTML → article body paragraphs and metadata, through trafilatura.

Takes one HTML page as a decoded string; gives an ``HtmlExtract``: the title,
the body split into paragraphs (never the headline), and the date, author,
URL and site name found in the page. A page with no recognisable article body
gives no paragraphs; the extract stage turns that into a ``no-content`` reject.

How: trafilatura finds the main content in its fast, recall-oriented mode, and
hands back the content as a tree of blocks (headings, paragraphs, list items,
quotes, table rows, images). Where that pass finds little of the page (its
text is not in one article-like container), the page goes once more through
trafilatura's full cascade, which costs twice as much and so runs only there
(``_under_extracted``). A body that adverts split into several containers of
one class is joined first, since trafilatura would take the first part for
the whole. The tree is flattened into blocks; a table row whose cells hold
headings and paragraphs is page layout, and each of those is a block of its own.
Page chrome that trafilatura keeps in that mode is then dropped by structure,
which plain text no longer shows: tables of contents (lists of links to the
page's own sections), the headline and its deck (headings before
the first paragraph), and headings and link lists after the last one (a list
counts as links when its items together are mostly link text). Each of these
steps can be switched off (``HTML_STEPS``), so the extraction benchmark can
measure what it costs and buys on both dev sets.
Text rules (bylines, "Read more", captions, …) are the strip stage's job, so
they apply to every format.

trafilatura never fetches anything here: it is handed the markup, never a URL
to download, and lxml's HTML parser neither loads DTDs nor resolves external
entities nor touches the network.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from functools import cached_property, lru_cache
from itertools import count

import trafilatura
from htmldate import find_date
from lxml.etree import _Element
from lxml.html import HtmlElement
from pydantic import BaseModel, ConfigDict
from trafilatura.settings import Document
from trafilatura.utils import load_html
from trafilatura.xpaths import OVERALL_DISCARD_XPATH

from cleanpipe.config import ExtractConfig

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
        prose = _prose_stats(tree)
        if "unmask_body" not in disabled_steps:
            _unmask_body(tree, prose)
        if "unmask_inner" not in disabled_steps:
            _unmask_inner(tree, prose)
    if "join_split_bodies" not in disabled_steps:
        _join_split_bodies(tree)
    if "mark_links" not in disabled_steps:
        _mark_links(tree)
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
    blocks = _blocks(body, layout_rows="layout_rows" not in disabled_steps)
    if config.favor_precision and "drop_toc" not in disabled_steps:
        blocks = _drop_toc(blocks)
    if config.favor_precision:
        blocks = _drop_chrome(
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


# A paragraph of prose, for the tests below: this many words, and mostly not link text.
_MIN_PROSE_PARAGRAPH_WORDS = 15
_MAX_PROSE_PARAGRAPH_LINK_SHARE = 0.2
# A container holding at least this share of the page's prose is the article's body.
_MIN_BODY_PROSE_SHARE = 0.5
_DIGIT = re.compile(r"\d")
_CLASS_PART = re.compile(r"[-_]+")


@dataclass
class _Prose:
    """The prose paragraphs under one element: their words, and where the first and last stand."""

    words: int
    first: int  # the paragraphs' numbers, in document order
    last: int


def _unmask_body(tree: HtmlElement, prose: dict[HtmlElement, _Prose]) -> None:
    """Take the chrome words out of the class of a body that trafilatura would discard as chrome.

    trafilatura discards containers whose class or id holds a word of its
    boilerplate vocabulary, and matches those words inside longer names: a page
    builder's text widget ("elementor-widget-text-editor", "hs_cos_wrapper_widget"),
    a "sidebar-layout", "page1-footer", "listicle-slides", "barrons-article-wrap"
    (measured: whole articles lost, or only their first screen kept, on 30 pages
    of WCXB-dev and one of ScrapingHub). When one such container holds most of the
    page's prose, it is the article, not chrome: the parts of its class and id that
    trigger the vocabulary are removed (the rest, "post-content" among them, stays
    as a hint), and so are they in the containers of the same kind beside it (the
    other text widgets of the page builder) that hold prose. trafilatura's own
    guard undoes all of its discards only when they would take nearly all the text.
    """
    # Only the few elements that hold half the prose are tested (a chain from the
    # root down): running trafilatura's expressions over the whole raw tree would
    # cost a third of an extraction.
    total = prose[tree].words if tree in prose else 0
    bodies = [
        elem
        for elem, under in prose.items()
        if under.words >= _MIN_BODY_PROSE_SHARE * total and elem is not tree and _discarded(elem)
    ]
    if not bodies:
        return
    kinds = {_kind_of(elem) for elem in bodies}
    for elem in list(tree.iter({tag for tag, _, _ in kinds})):
        if elem in bodies or (_kind_of(elem) in kinds and elem in prose and _discarded(elem)):
            _take_out_chrome_words(elem)


def _unmask_inner(tree: HtmlElement, prose: dict[HtmlElement, _Prose]) -> None:
    """Take the chrome words out of the containers of prose that stand inside the article.

    The vocabulary also hits parts of an article: a table in a page builder's
    embed ("w-embed"), the slides of a listicle, the panes of an accordion, an
    embedded post. A container of prose with article prose before and after it
    (within the body, the deepest element holding half the page's prose) is part
    of the article; chrome (share bars, author boxes, related posts) stands at
    its ends. This is done only where every container of prose that the
    vocabulary hits in the body is such a part: trafilatura keeps all or
    nothing of its discards (see ``_unmask_body``), and unmasking some would let
    it discard the others.
    """
    total = prose[tree].words if tree in prose else 0
    body = max(
        (elem for elem, under in prose.items() if under.words >= _MIN_BODY_PROSE_SHARE * total),
        key=lambda elem: prose[elem].first - prose[elem].last,  # the narrowest
        default=None,
    )
    if body is None:
        return
    span = prose[body]
    masked = [
        elem
        for elem, under in prose.items()
        if span.first <= under.first
        and under.last <= span.last
        and elem is not body
        and body in elem.iterancestors()
        and _discarded(elem)
    ]
    inner = [
        elem for elem in masked if span.first < prose[elem].first and prose[elem].last < span.last
    ]
    if not inner or len(inner) < len(masked):
        return
    for elem in inner:
        _take_out_chrome_words(elem)


def _prose_stats(tree: HtmlElement) -> dict[HtmlElement, _Prose]:
    """The prose paragraphs under each element that holds any (the root included)."""
    prose: dict[HtmlElement, _Prose] = {}
    number = 0
    for paragraph in tree.iter("p", "li"):
        text = paragraph.text_content()
        count = len(text.split())
        if count < _MIN_PROSE_PARAGRAPH_WORDS:
            continue
        linked = sum(len(link.text_content()) for link in paragraph.iter("a"))
        if linked > _MAX_PROSE_PARAGRAPH_LINK_SHARE * len(text):
            continue
        number += 1
        for elem in (paragraph, *paragraph.iterancestors()):
            under = prose.get(elem)
            if under is None:
                prose[elem] = _Prose(count, number, number)
            else:
                under.words += count
                under.last = number
    return prose


def _kind_of(elem: HtmlElement) -> tuple[str, frozenset[str], str]:
    """Tag, class words and id, numbered parts aside: the same for the widgets of one kind."""
    classes = frozenset(c for c in (elem.get("class") or "").split() if not _DIGIT.search(c))
    ident = elem.get("id") or ""
    return (elem.tag, classes, "" if _DIGIT.search(ident) else ident)


def _take_out_chrome_words(elem: HtmlElement) -> None:
    """Remove from class and id the parts that trafilatura's discard vocabulary matches.

    Each class word is tried alone, then each of its dash-separated parts, against
    trafilatura's own XPath expressions (on a bare element of the same tag), so no
    vocabulary is copied here. Nothing changes when the element still matches
    without them (hidden by its style, say).
    """
    values = {key: elem.get(key) or "" for key in ("class", "id")}
    for key, value in values.items():
        kept = []
        for word in value.split():
            if not _discarded(elem, {key: word}):
                kept.append(word)
                continue
            parts = [part for part in _CLASS_PART.split(word) if part]
            rest = "-".join(part for part in parts if not _discarded(elem, {key: part}))
            if rest and not _discarded(elem, {key: rest}):
                kept.append(rest)
        values[key] = " ".join(kept)
    if _discarded(elem, {**_attributes(elem), **values}):
        return
    for key, value in values.items():
        if value:
            elem.set(key, value)
        elif key in elem.attrib:
            del elem.attrib[key]


def _discarded(elem: HtmlElement, attributes: dict[str, str] | None = None) -> bool:
    """Whether trafilatura's discard expressions match ``elem`` (with ``attributes`` instead)."""
    if attributes is None:
        attributes = _attributes(elem)
    return _discards(elem.tag, tuple(sorted(attributes.items())))


@lru_cache(maxsize=4096)
def _discards(tag: str, attributes: tuple[tuple[str, str], ...]) -> bool:
    # Cached: a site's widgets repeat their classes, and the expressions are
    # regular-expression tests run through Python.
    probe = _PROBE.makeelement("div")
    probe.append(_PROBE.makeelement(tag, dict(attributes)))
    return any(xpath(probe) for xpath in OVERALL_DISCARD_XPATH)


def _attributes(elem: HtmlElement) -> dict[str, str]:
    """The element's attributes that a copy can carry (not "@click" and the like)."""
    return {key: value for key, value in elem.attrib.items() if _XML_NAME.match(key)}


_PROBE = HtmlElement("div")
_XML_NAME = re.compile(r"[A-Za-z_][\w.-]*\Z")


# A container whose class names it the article's body ("article__body", "post-content",
# "StoryBodyCompanionColumn"), as opposed to a teaser's summary text.
_BODY_CLASS = re.compile(r"(?:article|story|entry|post)[\W_]*(?:body|content|text)", re.I)
# A part of a body holds at least one paragraph this long; a teaser's summary does not.
_MIN_BODY_PART_WORDS = 30


def _join_split_bodies(tree: HtmlElement) -> None:
    """Move the parts of an article body that ads split into several containers into the first.

    Some sites (wired.com) close the body container at every full-width advert
    and open a new one with the same class after it; trafilatura takes the first
    container as the article and loses the rest (measured: two benchmark pages
    kept 35-45% of their text). Parts are containers with one body-like class
    string, none inside another, each holding a paragraph of real length, so a
    list of teasers with short summaries is never joined to the article.
    """
    groups: dict[str, list[HtmlElement]] = {}
    for elem in tree.iter("div", "section"):
        cls = elem.get("class")
        if cls and _BODY_CLASS.search(cls):
            groups.setdefault(cls, []).append(elem)
    for parts in groups.values():
        parts = [part for part in parts if _has_long_paragraph(part)]
        if (
            len(parts) < 2
            or any(other in part.iterancestors() for part in parts for other in parts)
            or _words_between(tree, parts) > _MAX_WORDS_BETWEEN_PARTS
        ):
            continue
        first = parts[0]
        for part in parts[1:]:
            if part.text and part.text.strip():
                loose = first.makeelement("p")
                loose.text = part.text
                first.append(loose)
            for child in list(part):
                first.append(child)
            parent = part.getparent()
            if parent is not None:
                parent.remove(part)


# Between the parts of a split body stand adverts ("Advertisement"); more text
# there means the parts are not one run of article (and moving them would reorder it).
_MAX_WORDS_BETWEEN_PARTS = 10
_UNSEEN = {"script", "style", "noscript", "template"}


def _words_between(tree: HtmlElement, parts: list[HtmlElement]) -> int:
    """How many visible words stand outside the parts, between the first and the last."""
    inside = set(parts)
    between = pending = 0
    started = False
    for text in tree.xpath("//text()"):
        owner = text.getparent()
        if owner is not None and text.is_tail:
            owner = owner.getparent()
        if owner is None:
            continue
        chain = [owner, *owner.iterancestors()]
        if any(elem.tag in _UNSEEN for elem in chain):
            continue
        if any(elem in inside for elem in chain):
            started = True
            between += pending
            pending = 0
        elif started:
            pending += len(text.split())
    return between


def _has_long_paragraph(elem: HtmlElement) -> bool:
    return any(len(p.text_content().split()) >= _MIN_BODY_PART_WORDS for p in elem.iter("p"))


_LINK_OPEN, _LINK_CLOSE = "\ue000", "\ue001"  # private-use marks around link text
_IN_PAGE = "\ue002"  # after _LINK_OPEN: the link goes to a place in the same page ("#…")


def _mark_links(tree: HtmlElement) -> None:
    """Wrap each link's text in private-use marks, so the output still shows link text.

    trafilatura's ``include_links`` would keep links, but it also changes which
    blocks trafilatura keeps (measured: recall 0.979 → 0.958 on the benchmark);
    two invisible characters per link do not.
    """
    for link in tree.iter("a"):
        opening = _LINK_OPEN + _IN_PAGE if link.get("href", "").startswith("#") else _LINK_OPEN
        link.text = opening + (link.text or "")
        if len(link):
            link[-1].tail = (link[-1].tail or "") + _LINK_CLOSE
        else:
            link.text += _LINK_CLOSE


def _metadata(tree: HtmlElement, url: str | None) -> HtmlExtract:
    """Read title, date, author, site name and canonical URL from the page's head.

    trafilatura's own metadata pass (``with_metadata``) costs as much as half
    the extraction (categories, tags, licence, author heuristics over the whole
    tree); the head's meta tags and htmldate's quick search give what a record needs.
    """
    meta: dict[str, str] = {}
    for elem in tree.iterfind(".//meta"):
        key = (elem.get("property") or elem.get("name") or elem.get("itemprop") or "").lower()
        content = _squeeze(elem.get("content"))
        if key and content and key not in meta:
            meta[key] = content
    title = meta.get("og:title") or meta.get("twitter:title") or meta.get("headline")
    if not title:
        headings = tree.xpath("//h1")
        if len(headings) == 1:
            title = _squeeze(headings[0].text_content())
    if not title:
        title = _squeeze(tree.findtext(".//title"))
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


@dataclass(frozen=True)
class _Block:
    """One paragraph-sized piece of the extracted tree, with what structure said about it."""

    kind: str  # head, p, item, quote, row, code, graphic
    text: str
    link_chars: int = 0
    list_id: int = -1  # items of one list share it
    in_page_chars: int = 0  # of the link text, what links to places in the page

    @cached_property
    def visible_chars(self) -> int:
        return _visible(self.text)

    @cached_property
    def link_density(self) -> float:
        return self.link_chars / self.visible_chars if self.text else 0.0

    @cached_property
    def words(self) -> int:
        return len(self.text.split())


_BLOCK_TAGS = {"p", "head", "quote", "code", "item", "row"}
_CONTAINER_TAGS = {"p", "head", "quote", "code", "item", "list", "table", "row", "div"}


def _blocks(body: _Element, *, layout_rows: bool = True) -> list[_Block]:
    """Flatten trafilatura's body tree into blocks, in document order."""
    out: list[_Block] = []
    # Lists are numbered in order; an element's id() would not do, since lxml
    # frees the proxy of a list once walked and may give its address to the next.
    _walk(body, out, list_id=-1, lists=count(), layout_rows=layout_rows)
    return out


def _walk(
    elem: _Element,
    out: list[_Block],
    *,
    list_id: int,
    lists: Iterator[int],
    blocks_only: bool = False,
    layout_rows: bool = True,
) -> None:
    for child in elem:
        tag = child.tag
        if blocks_only and tag != "graphic" and not _is_block(child):
            if _has_block_children(child):  # a wrapper (trafilatura's <block>) of blocks
                _walk(
                    child,
                    out,
                    list_id=list_id,
                    lists=lists,
                    blocks_only=True,
                    layout_rows=layout_rows,
                )
            continue  # inline: already rendered, tail and all, with its container's text
        if tag == "graphic":
            out.append(_Block("graphic", ""))
        elif tag == "list":
            _walk(child, out, list_id=next(lists), lists=lists, layout_rows=layout_rows)
        elif tag == "table":
            _walk(child, out, list_id=-1, lists=lists, layout_rows=layout_rows)
        elif tag == "row" and layout_rows and _is_layout_row(child):
            # A page laid out in a table: a cell holds the article's headings and
            # paragraphs, each a block of its own, not one line of a data row
            # (which glued headline, date and body into a single paragraph).
            _walk(child, out, list_id=list_id, lists=lists, layout_rows=layout_rows)
        elif _has_block_children(child):
            # A container (an item holding a sub-list, a quote holding paragraphs):
            # its own loose text first, then each inner block on its own.
            out.extend(_render(child, _kind(tag), list_id, stop_at_blocks=True))
            _walk(
                child, out, list_id=list_id, lists=lists, blocks_only=True, layout_rows=layout_rows
            )
        else:
            out.extend(_render(child, _kind(tag), list_id))
        if child.tail and child.tail.strip():
            # Loose text between blocks (trafilatura leaves some as tails).
            block = _text_block(child.tail, "p", list_id)
            if block is not None:
                out.append(block)


def _kind(tag: str) -> str:
    return tag if tag in _BLOCK_TAGS else "p"


def _is_layout_row(row: _Element) -> bool:
    """Whether a table row is page layout: one of its cells holds blocks (headings, paragraphs)."""
    return any(cell.tag == "cell" and _has_block_children(cell) for cell in row)


def _has_block_children(elem: _Element) -> bool:
    return any(_is_block(child) for child in elem)


def _is_block(elem: _Element) -> bool:
    """Whether an element inside a block is a block of its own.

    ``code`` is both: a code listing (several lines) is a block, while inline
    code (``see the <code>.github</code> folder``) is part of its sentence;
    taking it out as a paragraph broke the sentence in two (measured on WCXB-dev).
    """
    if elem.tag != "code":
        return elem.tag in _CONTAINER_TAGS
    return elem.find("lb") is not None or "\n" in "".join(elem.itertext())


def _render(
    elem: _Element, kind: str, list_id: int, *, stop_at_blocks: bool = False
) -> list[_Block]:
    """Render one block element; line breaks split it into several blocks."""
    lines: list[list[str]] = [[]]

    def visit(node: _Element) -> None:
        if node.text:
            lines[-1].append(node.text)
        for child in node:
            if child.tag == "lb":
                lines.append([])
            elif stop_at_blocks and _is_block(child):
                # The inner block, and the loose text after it, are the walk's to
                # render (in order, as blocks of their own), not this line's.
                lines.append([])
                continue
            else:
                if kind == "row" and child.tag == "cell" and lines[-1]:
                    lines[-1].append(" ")
                visit(child)
            if child.tail:
                lines[-1].append(child.tail)

    visit(elem)
    blocks = []
    for line in lines:
        block = _text_block("".join(line), kind, list_id)
        if block is not None:
            blocks.append(block)
    return blocks


def _text_block(raw: str, kind: str, list_id: int) -> _Block | None:
    text = _squeeze(raw.replace(_LINK_OPEN, "").replace(_LINK_CLOSE, "").replace(_IN_PAGE, ""))
    if not text:
        return None
    link = in_page = 0
    if _LINK_OPEN in raw:
        for match in _LINKED.finditer(raw):
            chars = _visible(match.group())
            link += chars
            if match.group().startswith(_IN_PAGE, 1):
                in_page += chars
    return _Block(kind, text, link, list_id, in_page)


_LINKED = re.compile(f"{_LINK_OPEN}[^{_LINK_CLOSE}]*")


# A line whose text is nearly all link text is navigation ("Read more: <headline>",
# a related-story link); in prose, links cover a few words of a sentence.
_MAX_LINK_DENSITY = 0.5
# A caption is short; a long italic paragraph under an image is an intro or a quote.
_MAX_CAPTION_WORDS = 40


# A prose paragraph: enough words, and mostly not link text.
_MIN_PROSE_WORDS = 12


def _is_prose(block: _Block) -> bool:
    return (
        block.kind in {"p", "quote", "item"}
        and block.words >= _MIN_PROSE_WORDS
        and block.link_density < _MAX_LINK_DENSITY
    )


# A list whose items are this much link text overall is a list of links ("More
# great stories"), even where one item's own share is lower (an item of a headline
# link and a sentence of summary).
_MAX_LIST_LINK_SHARE = 0.35


def _link_lists(blocks: list[_Block]) -> set[int]:
    """The ids of the lists whose items are, taken together, mostly link text."""
    links: dict[int, int] = {}
    chars: dict[int, int] = {}
    for block in blocks:
        if block.kind == "item" and block.list_id != -1:
            links[block.list_id] = links.get(block.list_id, 0) + block.link_chars
            chars[block.list_id] = chars.get(block.list_id, 0) + block.visible_chars
    return {i for i in links if chars[i] and links[i] / chars[i] >= _MAX_LIST_LINK_SHARE}


# A table of contents is a list of links to the page's own sections: most of its
# text is such links, or most of its items repeat a heading further down (where
# a script makes the links). Its label ("Table of Contents", "In this article")
# is a short line just before it.
_MIN_TOC_IN_PAGE_SHARE = 0.5
_MIN_TOC_ITEMS = 2
_MAX_TOC_LABEL_WORDS = 4


def _drop_toc(blocks: list[_Block]) -> list[_Block]:
    """Drop tables of contents (lists of in-page links) and the label above each."""
    in_page: dict[int, int] = {}
    chars: dict[int, int] = {}
    items: dict[int, int] = {}
    headed: dict[int, int] = {}  # items that repeat a later heading
    headings: dict[str, int] = {}  # words of a heading -> its last position
    for index, block in enumerate(blocks):
        if block.kind == "head":
            headings[" ".join(_words(block.text))] = index
    for index, block in enumerate(blocks):
        if block.kind == "item" and block.list_id != -1:
            in_page[block.list_id] = in_page.get(block.list_id, 0) + block.in_page_chars
            chars[block.list_id] = chars.get(block.list_id, 0) + block.visible_chars
            items[block.list_id] = items.get(block.list_id, 0) + 1
            later = headings.get(" ".join(_words(block.text)), -1) > index
            headed[block.list_id] = headed.get(block.list_id, 0) + later
    tocs = {
        i
        for i in in_page
        if items[i] >= _MIN_TOC_ITEMS
        and chars[i]
        and (
            in_page[i] / chars[i] >= _MIN_TOC_IN_PAGE_SHARE
            or headed[i] / items[i] >= _MIN_TOC_IN_PAGE_SHARE
        )
    }
    if not tocs:
        return blocks
    drop = {i for i, b in enumerate(blocks) if b.kind == "item" and b.list_id in tocs}
    for index in sorted(drop):
        label = index - 1
        if (
            label >= 0
            and label not in drop
            and blocks[label].kind in {"head", "p"}
            and blocks[label].words <= _MAX_TOC_LABEL_WORDS
            and not blocks[label].text.endswith((".", "!", "?"))
        ):
            drop.add(label)
    return [b for i, b in enumerate(blocks) if i not in drop]


def _drop_chrome(
    blocks: list[_Block], title: str, *, headline: bool = True, trailing: bool = True
) -> list[_Block]:
    """Drop the headline and deck before the body, and link lists and headings after it."""
    link_lists = _link_lists(blocks)

    def in_link_list(block: _Block) -> bool:
        return block.kind == "item" and block.list_id in link_lists

    prose = [i for i, b in enumerate(blocks) if _is_prose(b) and not in_link_list(b)]
    if not prose:
        return blocks
    first, last = prose[0], prose[-1]
    # The headline, when it is in the body, sits before the first paragraph; the
    # headings between it and the text are its deck. Headings before the first
    # paragraph with no headline above them are kept: they may be the content
    # (a list of deals, each a heading).
    headline_at = next(
        (i for i in range(first) if title and _same_text(blocks[i].text, title)), None
    )

    def trailing_chrome(index: int) -> bool:
        block = blocks[index]
        return index > last and (
            block.kind == "head" or block.link_density >= _MAX_LINK_DENSITY or in_link_list(block)
        )

    shown = [i for i, block in enumerate(blocks) if block.kind != "graphic"]
    kept = []
    for position, index in enumerate(shown):
        block = blocks[index]
        if headline and index < first and (index == headline_at or block.kind == "head"):
            continue
        if (
            trailing
            and trailing_chrome(index)
            and (block.kind == "head" or not _between_text(position, shown, trailing_chrome))
        ):
            continue  # "More stories" headings and lists of links after the article
        kept.append(block)
    return kept


def _between_text(position: int, shown: list[int], chrome: Callable[[int], bool]) -> bool:
    """Whether a link line after the article stands between two lines that stay.

    Such a line belongs to a list that the text goes on with (a shopping list:
    an item, its link, the next item, …), not to the page's links after the
    article (measured: ScrapingHub's pages of deals lost their links).
    """
    return (
        0 < position < len(shown) - 1
        and not chrome(shown[position - 1])
        and not chrome(shown[position + 1])
    )


def _same_text(a: str, b: str) -> bool:
    return _words(a) == _words(b)


_WORD = re.compile(r"\w+")


def _words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


def _visible(text: str) -> int:
    # str.split and str.isspace agree on what is white space.
    squeezed = "".join(text.split())
    return len(squeezed) - sum(squeezed.count(mark) for mark in _MARKS)


_MARKS = {_LINK_OPEN, _LINK_CLOSE, _IN_PAGE}


def _squeeze(text: str | None) -> str:
    return " ".join(text.split()) if text else ""
