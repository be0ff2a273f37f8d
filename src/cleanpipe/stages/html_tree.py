"""The raw page's tree, readied for trafilatura: what its rules would get wrong, put right.

Takes the parsed page (an ``HtmlElement``) and changes it in place; drops
nothing. Three kinds of change, each a step of ``cleanpipe.stages.html.HTML_STEPS``:

- ``unmask_body``, ``unmask_inner``: trafilatura discards containers whose class
  or id holds a word of its chrome vocabulary ("widget", "sidebar", "footer",
  "slide", "embed", …), matched inside longer names. Where such a container is
  the article's body, or a part of it between its paragraphs, the words that
  trigger the vocabulary are taken out of its class and id.
- ``join_split_bodies``: the parts of an article body that adverts split into
  containers of one class are moved into the first.
- ``mark_links``: link text is wrapped in private-use marks, so that the blocks
  trafilatura hands back still show which of their text was links.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from lxml.html import HtmlElement
from trafilatura.xpaths import OVERALL_DISCARD_XPATH

__all__ = [
    "IN_PAGE",
    "LINK_CLOSE",
    "LINK_OPEN",
    "Prose",
    "join_split_bodies",
    "mark_links",
    "prose_stats",
    "take_out_chrome_words",
    "unmask_body",
    "unmask_inner",
]


# A paragraph of prose, for the tests below: this many words, and mostly not link text.
_MIN_PROSE_PARAGRAPH_WORDS = 15
_MAX_PROSE_PARAGRAPH_LINK_SHARE = 0.2
# A container holding at least this share of the page's prose is the article's body.
_MIN_BODY_PROSE_SHARE = 0.5
_DIGIT = re.compile(r"\d")
_CLASS_PART = re.compile(r"[-_]+")


@dataclass
class Prose:
    """The prose paragraphs under one element: their words, and where the first and last stand."""

    words: int
    first: int  # the paragraphs' numbers, in document order
    last: int


def unmask_body(tree: HtmlElement, prose: dict[HtmlElement, Prose]) -> None:
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

    >>> from lxml.html import fromstring
    >>> tree = fromstring("<div><div class='page1-footer'>" + "<p>" + "word " * 20 + "</p>" * 2
    ...                   + "</div></div>")
    >>> unmask_body(tree, prose_stats(tree))
    >>> tree.find("div").get("class")
    'page1'
    """
    # Only the few elements that hold half the prose are tested (a chain from the
    # root down): running trafilatura's expressions over the whole raw tree would
    # cost a third of an extraction.
    bodies = [elem for elem in _holding_half(tree, prose) if elem is not tree and _discarded(elem)]
    if not bodies:
        return
    kinds = {_kind_of(elem) for elem in bodies}
    for elem in list(tree.iter({tag for tag, _, _ in kinds})):
        if elem in bodies or (elem in prose and _kind_of(elem) in kinds and _discarded(elem)):
            take_out_chrome_words(elem)


def _holding_half(tree: HtmlElement, prose: dict[HtmlElement, Prose]) -> list[HtmlElement]:
    """The elements holding half the page's prose or more (a chain from the root down)."""
    total = prose[tree].words if tree in prose else 0
    return [elem for elem, under in prose.items() if under.words >= _MIN_BODY_PROSE_SHARE * total]


def unmask_inner(tree: HtmlElement, prose: dict[HtmlElement, Prose]) -> None:
    """Take the chrome words out of the containers of prose that stand inside the article.

    The vocabulary also hits parts of an article: a table in a page builder's
    embed ("w-embed"), the slides of a listicle, the panes of an accordion, an
    embedded post. A container of prose with article prose before and after it
    (within the body, the deepest element holding half the page's prose) is part
    of the article; chrome (share bars, author boxes, related posts) stands at
    its ends. This is done only where every container of prose that the
    vocabulary hits in the body is such a part: trafilatura keeps all or
    nothing of its discards (see ``unmask_body``), and unmasking some would let
    it discard the others.

    >>> from lxml.html import fromstring
    >>> prose = "<p>" + "word " * 20 + "</p>"
    >>> tree = fromstring(f"<div>{prose}<div class='w-embed'>{prose}</div>{prose}</div>")
    >>> unmask_inner(tree, prose_stats(tree))
    >>> tree.find("div").get("class")
    'w'
    """
    body = max(
        _holding_half(tree, prose),
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
        take_out_chrome_words(elem)


def prose_stats(tree: HtmlElement) -> dict[HtmlElement, Prose]:
    """The prose paragraphs under each element that holds any (the root included).

    >>> from lxml.html import fromstring
    >>> tree = fromstring("<div><p>" + "word " * 20 + "</p><p>Too short.</p></div>")
    >>> prose_stats(tree)[tree]
    Prose(words=20, first=1, last=1)
    """
    prose: dict[HtmlElement, Prose] = {}
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
                prose[elem] = Prose(count, number, number)
            else:
                under.words += count
                under.last = number
    return prose


def _kind_of(elem: HtmlElement) -> tuple[str, frozenset[str], str]:
    """Tag, class words and id, numbered parts aside: the same for the widgets of one kind."""
    classes = frozenset(c for c in (elem.get("class") or "").split() if not _DIGIT.search(c))
    ident = elem.get("id") or ""
    return (elem.tag, classes, "" if _DIGIT.search(ident) else ident)


def take_out_chrome_words(elem: HtmlElement) -> None:
    """Remove from class and id the parts that trafilatura's discard vocabulary matches.

    Each class word is tried alone, then each of its dash-separated parts, against
    trafilatura's own XPath expressions (on a bare element of the same tag), so no
    vocabulary is copied here. Nothing changes when the element still matches
    without them (hidden by its style, say).

    >>> from lxml.html import fromstring
    >>> elem = fromstring("<div class='sidebar-layout entry-content'>x</div>")
    >>> take_out_chrome_words(elem)
    >>> elem.get("class")
    'layout entry-content'
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


def join_split_bodies(tree: HtmlElement) -> None:
    """Move the parts of an article body that ads split into several containers into the first.

    Some sites (wired.com) close the body container at every full-width advert
    and open a new one with the same class after it; trafilatura takes the first
    container as the article and loses the rest (measured: two benchmark pages
    kept 35-45% of their text). Parts are containers with one body-like class
    string, none inside another, each holding a paragraph of real length, so a
    list of teasers with short summaries is never joined to the article.

    >>> from lxml.html import fromstring
    >>> part = "<div class='article-body'><p>" + "word " * 30 + "</p></div>"
    >>> tree = fromstring(f"<div>{part}<div class='ad'>Advertisement</div>{part}</div>")
    >>> join_split_bodies(tree)
    >>> len(tree.find_class("article-body"))
    1
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


LINK_OPEN, LINK_CLOSE = "\ue000", "\ue001"  # private-use marks around link text
IN_PAGE = "\ue002"  # after LINK_OPEN: the link goes to a place in the same page ("#…")


def mark_links(tree: HtmlElement) -> None:
    """Wrap each link's text in private-use marks, so the output still shows link text.

    trafilatura's ``include_links`` would keep links, but it also changes which
    blocks trafilatura keeps (measured: recall 0.979 → 0.958 on the benchmark);
    two invisible characters per link do not.

    >>> from lxml.html import fromstring
    >>> tree = fromstring('<p>See <a href="/a">the map</a> and <a href="#b">below</a>.</p>')
    >>> mark_links(tree)
    >>> tree.text_content().replace(LINK_OPEN, "[").replace(LINK_CLOSE, "]").replace(IN_PAGE, "#")
    'See [the map] and [#below].'
    """
    for link in tree.iter("a"):
        opening = LINK_OPEN + IN_PAGE if link.get("href", "").startswith("#") else LINK_OPEN
        link.text = opening + (link.text or "")
        if len(link):
            link[-1].tail = (link[-1].tail or "") + LINK_CLOSE
        else:
            link.text += LINK_CLOSE
