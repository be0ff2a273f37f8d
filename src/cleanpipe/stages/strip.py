"""Strip: paragraphs in, the article's own paragraphs out, with every removal named.

Each rule is a small function over the paragraph list; what it removes is
reported under its name (``caption``, ``teaser_block``, ``byline``,
``dateline``, ``repeated_lede``, ``end_mark``, ``title_repeat``,
``repeated_line``), and any rule can be switched off with
``StripConfig.disabled_rules``. The dateline rule keeps what it removes as
metadata (``dateline`` and ``source``).

It may drop every paragraph; the caller then rejects the document as ``no-content``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from cleanpipe.config import StripConfig
from cleanpipe.models import Removal, StripResult

# News agencies whose name alone, or in a dateline, marks agency copy.
AGENCIES = (
    "VNA",
    "AFP",
    "AP",
    "Reuters",
    "dpa",
    "DPA",
    "Xinhua",
    "Bernama",
    "Kyodo",
    "Yonhap",
    "TASS",
    "ANI",
    "PTI",
    "UPI",
    "EFE",
    "ANSA",
    "IANS",
    "KUNA",
    "WAM",
    "SPA",
    "Antara",
    "PNA",
    "AAP",
    "CNA",
    "VNS",
    "VOV",
    "NNA",
    "KCNA",
    "Sputnik",
    "RIA",
    "Interfax",
)
_AGENCY_ALT = "|".join(re.escape(a) for a in sorted(AGENCIES, key=len, reverse=True))

_CAPTION_CREDIT = re.compile(
    r"\((?:photo|photos|photograph|image|images|illustrative (?:photo|image)|file photo|source)"
    r"\s*(?::[^()]{0,80})?\)\s*$",
    re.I,
)
# Image alt text glued to its caption: "Headline ảnh 1Caption" (Vietnamese "ảnh" = image).
_ALT_TEXT_GLUE = re.compile(r"\sảnh\s?\d+(?=\S)")
_TEASER_HEADER = re.compile(
    r"^(?:see more|read more|related|related (?:articles|news|stories|posts)|more stories"
    r"|you may also like|recommended|most read|xem thêm|tin liên quan)\s*:?$",
    re.I,
)
_DATELINE = re.compile(
    rf"^(?P<place>[A-Z][\w'’.\-]*(?:\s+[A-Z][\w'’.\-]*){{0,4}}(?:,\s*[A-Z][\w'’.\- ]{{1,30}})?)"
    rf"\s*\((?P<agency>{_AGENCY_ALT})\)\s*[-–—:]+\s*",
)
_BYLINE = re.compile(
    rf"^(?:(?:{_AGENCY_ALT})(?:\s*/\s*(?:{_AGENCY_ALT}))*|(?:by|written by|reporting by)\s+"
    r"[A-Z][\w'’.\-]+(?:\s+[A-Z][\w'’.\-]+){0,3}(?:\s*(?:,|and|&)\s*[A-Z][\w'’.\-]+"
    r"(?:\s+[A-Z][\w'’.\-]+){0,3})*)\s*\.?$",
    re.I,
)
_END_MARK = re.compile(r"\s*\./\.\s*$")
_SPACES = re.compile(r"\s+")
_MAX_CAPTION_WORDS = 80
_MAX_TEASER_HEADER_POSITION = 1  # the header needs at least this many paragraphs before it


@dataclass
class _Doc:
    paragraphs: list[str]
    title: str | None
    removed: list[Removal] = field(default_factory=list)
    dateline: str | None = None
    source: str | None = None

    def drop(self, index: int, rule: str) -> None:
        self.removed.append(Removal(rule=rule, text=self.paragraphs.pop(index)))


def _key(text: str) -> str:
    """Compare paragraphs by their words: case, spacing and final punctuation aside."""
    return _SPACES.sub(" ", text).strip().rstrip(".").casefold()


def _rule_teaser_block(doc: _Doc) -> None:
    """Cut a "See more" / "Related" block and everything after it."""
    for index, paragraph in enumerate(doc.paragraphs):
        if index >= _MAX_TEASER_HEADER_POSITION and _TEASER_HEADER.match(paragraph.strip()):
            block = doc.paragraphs[index:]
            del doc.paragraphs[index:]
            doc.removed.append(Removal(rule="teaser_block", text="\n\n".join(block)))
            return


def _rule_caption(doc: _Doc) -> None:
    """Drop photo captions: a photo credit at the end, or alt text glued to a caption."""
    for index in range(len(doc.paragraphs) - 1, -1, -1):
        paragraph = doc.paragraphs[index].strip()
        if len(paragraph.split()) > _MAX_CAPTION_WORDS:
            continue
        if _CAPTION_CREDIT.search(paragraph) or _ALT_TEXT_GLUE.search(paragraph):
            doc.drop(index, "caption")


def _rule_title_repeat(doc: _Doc) -> None:
    """Drop the title where it is repeated as a paragraph of the body."""
    if not doc.title:
        return
    title = _key(doc.title)
    for index in range(len(doc.paragraphs) - 1, -1, -1):
        if _key(doc.paragraphs[index]) == title:
            doc.drop(index, "title_repeat")


def _rule_end_mark(doc: _Doc) -> None:
    """Remove the end mark ``./.`` that closes agency copy."""
    for index, paragraph in enumerate(doc.paragraphs):
        match = _END_MARK.search(paragraph)
        if match is None:
            continue
        kept = paragraph[: match.start()].rstrip()
        doc.removed.append(Removal(rule="end_mark", text=match.group().strip()))
        if kept:
            doc.paragraphs[index] = kept if kept.endswith((".", "!", "?", "”", '"')) else kept + "."
        else:
            doc.paragraphs.pop(index)
        return


def _rule_byline(doc: _Doc) -> None:
    """Drop a byline paragraph: an agency name alone, or "By First Last"."""
    for index in range(len(doc.paragraphs) - 1, -1, -1):
        paragraph = doc.paragraphs[index].strip()
        if len(paragraph.split()) <= 8 and _BYLINE.match(paragraph):
            if doc.source is None and paragraph.rstrip(".") in AGENCIES:
                doc.source = paragraph.rstrip(".")
            doc.drop(index, "byline")


def _rule_dateline(doc: _Doc) -> None:
    """Remove a ``Place (AGENCY) -`` prefix, keeping place and agency as metadata."""
    for index, paragraph in enumerate(doc.paragraphs[:4]):
        match = _DATELINE.match(paragraph.strip())
        if match is None:
            continue
        doc.dateline = match.group("place").strip()
        doc.source = match.group("agency")
        doc.removed.append(Removal(rule="dateline", text=match.group().strip()))
        doc.paragraphs[index] = paragraph.strip()[match.end() :]
        return


def _rule_repeated_lede(doc: _Doc) -> None:
    """Drop a paragraph that repeats an earlier one among the first few (the lede)."""
    seen: set[str] = set()
    index = 0
    while index < min(len(doc.paragraphs), 5):
        key = _key(doc.paragraphs[index])
        if key in seen:
            doc.drop(index, "repeated_lede")
            continue
        seen.add(key)
        index += 1


# Order matters: the teaser block is cut first so its captions are not counted
# twice; the end mark goes before the byline so "VNA" after "./." is recognised.
RULES: dict[str, Callable[[_Doc], None]] = {
    "teaser_block": _rule_teaser_block,
    "caption": _rule_caption,
    "title_repeat": _rule_title_repeat,
    "end_mark": _rule_end_mark,
    "byline": _rule_byline,
    "dateline": _rule_dateline,
    "repeated_lede": _rule_repeated_lede,
}
RULE_NAMES: tuple[str, ...] = (*RULES, "repeated_line")


def strip_boilerplate(
    paragraphs: tuple[str, ...] | list[str],
    *,
    title: str | None = None,
    config: StripConfig | None = None,
    repeated: Collection[str] = (),
) -> StripResult:
    """Remove boilerplate paragraphs, and say which rule removed each piece.

    ``repeated`` holds keys (see ``line_key``) of paragraphs that recur across
    the corpus; they are removed as ``repeated_line``.

    >>> result = strip_boilerplate(["Hanoi (VNA) - Rice exports rose.", "VNA", "See more", "x"])
    >>> result.paragraphs, result.dateline, result.source
    (('Rice exports rose.',), 'Hanoi', 'VNA')
    >>> [r.rule for r in result.removed]
    ['teaser_block', 'byline', 'dateline']
    """
    config = config or StripConfig()
    doc = _Doc(paragraphs=[p.strip() for p in paragraphs if p.strip()], title=title)
    if repeated and "repeated_line" not in config.disabled_rules:
        for index in range(len(doc.paragraphs) - 1, -1, -1):
            if line_key(doc.paragraphs[index]) in repeated:
                doc.drop(index, "repeated_line")
    for name, rule in RULES.items():
        if name not in config.disabled_rules:
            rule(doc)
    doc.paragraphs = [p for p in doc.paragraphs if p.strip()]
    return StripResult(
        paragraphs=tuple(doc.paragraphs),
        removed=tuple(doc.removed),
        dateline=doc.dateline,
        source=doc.source,
    )


def line_key(paragraph: str) -> str:
    """The key under which a paragraph is counted across the corpus.

    >>> line_key("  Share  this  story. ")
    'share this story'
    """
    return _key(paragraph)
