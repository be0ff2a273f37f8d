"""trafilatura's body tree, flattened into blocks, and the page chrome dropped by structure.

Takes the body element that trafilatura's extraction gives (its own tags:
``head``, ``p``, ``list``/``item``, ``quote``, ``table``/``row``/``cell``,
``code``, ``graphic``) with link text marked (see ``html_tree.mark_links``);
gives ``Block`` objects in document order, each knowing its kind and how much of
it is link text. What structure shows to be chrome is dropped: tables of contents
(``drop_toc``), the headline and its deck before the first paragraph, and
headings and link lists after the last (``drop_chrome``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from itertools import count

from lxml.etree import _Element

from cleanpipe.stages.html_tree import IN_PAGE, LINK_CLOSE, LINK_OPEN

__all__ = ["Block", "drop_chrome", "drop_toc", "squeeze", "to_blocks"]


@dataclass(frozen=True)
class Block:
    """One paragraph-sized piece of the extracted tree, with what structure said about it."""

    kind: str  # head, p, item, quote, row, code, graphic
    text: str
    link_chars: int = 0
    list_id: int = -1  # items of one list share it
    in_page_chars: int = 0  # of the link text, what links to places in the page

    @cached_property
    def visible_chars(self) -> int:
        """Characters of the text other than white space."""
        return _visible(self.text)

    @cached_property
    def link_density(self) -> float:
        """The share of the visible characters that are link text."""
        return self.link_chars / self.visible_chars if self.text else 0.0

    @cached_property
    def words(self) -> int:
        """Words of the text, split at white space."""
        return len(self.text.split())


_BLOCK_TAGS = {"p", "head", "quote", "code", "item", "row"}
_CONTAINER_TAGS = {"p", "head", "quote", "code", "item", "list", "table", "row", "div"}


def to_blocks(body: _Element, *, layout_rows: bool = True) -> list[Block]:
    """Flatten trafilatura's body tree into blocks, in document order.

    >>> from lxml import etree
    >>> body = etree.fromstring("<body><head>Rain</head><p>Hue flooded.<lb/>Schools shut.</p>"
    ...                         "<list><item>Boats</item><item>Sandbags</item></list></body>")
    >>> [(block.kind, block.text) for block in to_blocks(body)]  # doctest: +NORMALIZE_WHITESPACE
    [('head', 'Rain'), ('p', 'Hue flooded.'), ('p', 'Schools shut.'),
     ('item', 'Boats'), ('item', 'Sandbags')]
    """
    out: list[Block] = []
    # Lists are numbered in order; an element's id() would not do, since lxml
    # frees the proxy of a list once walked and may give its address to the next.
    _walk(body, out, list_id=-1, lists=count(), layout_rows=layout_rows)
    return out


def _walk(
    elem: _Element,
    out: list[Block],
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
            out.append(Block("graphic", ""))
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
) -> list[Block]:
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


def _text_block(raw: str, kind: str, list_id: int) -> Block | None:
    text = squeeze(raw.replace(LINK_OPEN, "").replace(LINK_CLOSE, "").replace(IN_PAGE, ""))
    if not text:
        return None
    link = in_page = 0
    if LINK_OPEN in raw:
        for match in _LINKED.finditer(raw):
            chars = _visible(match.group())
            link += chars
            if match.group().startswith(IN_PAGE, 1):
                in_page += chars
    return Block(kind, text, link, list_id, in_page)


_LINKED = re.compile(f"{LINK_OPEN}[^{LINK_CLOSE}]*")


# A line whose text is nearly all link text is navigation ("Read more: <headline>",
# a related-story link); in prose, links cover a few words of a sentence.
_MAX_LINK_DENSITY = 0.5


# A prose paragraph: enough words, and mostly not link text.
_MIN_PROSE_WORDS = 12


def _is_prose(block: Block) -> bool:
    return (
        block.kind in {"p", "quote", "item"}
        and block.words >= _MIN_PROSE_WORDS
        and block.link_density < _MAX_LINK_DENSITY
    )


# A list whose items are this much link text overall is a list of links ("More
# great stories"), even where one item's own share is lower (an item of a headline
# link and a sentence of summary).
_MAX_LIST_LINK_SHARE = 0.35


def _link_lists(blocks: list[Block]) -> set[int]:
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


def drop_toc(blocks: list[Block]) -> list[Block]:
    """Drop tables of contents (lists of in-page links) and the label above each.

    >>> toc = [Block("p", "Contents"), Block("item", "Roads", 5, 1, 5),
    ...        Block("item", "Hills", 5, 1, 5)]
    >>> [block.text for block in drop_toc([*toc, Block("head", "Roads"), Block("p", "The road…")])]
    ['Roads', 'The road…']
    """
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


def drop_chrome(
    blocks: list[Block], title: str, *, headline: bool = True, trailing: bool = True
) -> list[Block]:
    """Drop the headline and deck before the body, and link lists and headings after it.

    >>> prose = "The river rose two metres overnight and schools in the old town stayed shut."
    >>> blocks = [Block("head", "Rain in Hue"), Block("p", prose), Block("head", "More news"),
    ...           Block("item", "Storm hits coast", 16, 1)]
    >>> [block.text for block in drop_chrome(blocks, "Rain in Hue")]
    ['The river rose two metres overnight and schools in the old town stayed shut.']
    """
    link_lists = _link_lists(blocks)

    def in_link_list(block: Block) -> bool:
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


_MARKS = {LINK_OPEN, LINK_CLOSE, IN_PAGE}


def squeeze(text: str | None) -> str:
    """Collapse white space to single spaces; ``None`` gives the empty string.

    >>> squeeze("  Rain  in   Hue ")
    'Rain in Hue'
    """
    return " ".join(text.split()) if text else ""
