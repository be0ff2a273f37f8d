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

_CREDIT_WORDS = (
    r"photo|photos|photograph|photo credit|image|images|picture|illustration|credit|credits"
    r"|illustrative (?:photo|image|picture)|file photo|source|ảnh|foto|bild|фото"
)
_CAPTION_CREDIT = re.compile(
    rf"\((?:{_CREDIT_WORDS})\s*(?::[^()]{{0,80}})?\)\s*$"
    # "Photo: X", "Photograph: X/Getty Images", "Credit: Reuters" as a line of its own
    rf"|^(?:{_CREDIT_WORDS})\s*:\s*[^.!?]{{1,80}}$"
    # a caption with the agency glued to its last word: "…in New York.Reuters"
    rf"|[a-z]\.(?-i:{_AGENCY_ALT}|Getty Images|AP Photo)\s*$",
    re.I,
)
# Image alt text glued to its caption: "Headline ảnh 1Caption" (Vietnamese "ảnh" = image).
_ALT_TEXT_GLUE = re.compile(r"\sảnh\s?\d+(?=\S)")
_TEASER_WORDS = (
    r"see more|read more|see also|related|more"
    r"|related (?:articles?|news|stories|posts?|content|coverage|links)"
    r"|more (?:from|on|in) [^.!?]{1,40}|more stories|more news|more to read|you may also like"
    r"|you might also like|recommended(?: for you| stories| articles)?"
    r"|most read(?: in [^.!?]{1,30})?"
    r"|most popular|popular on [^.!?]{1,30}|trending(?: now| stories)?|top stories|don'?t miss"
    r"|editor'?s picks|xem thêm|tin liên quan|tin cùng chuyên mục|lesen sie auch|mehr zum thema"
    r"|das könnte sie auch interessieren|à lire aussi|lire aussi|sur le même sujet|leia também"
    r"|veja também|leggi anche|lee también|te puede interesar|читайте также|смотрите также"
)
_TEASER_HEADER = re.compile(rf"^(?:{_TEASER_WORDS})\s*(?::|\.\.\.|…)?$", re.I)
# One teaser link on its own line: "Read more: <headline>", "[Related: <headline>]".
_TEASER_LINE = re.compile(
    rf"^[\[(]?(?:{_TEASER_WORDS}|also on \S+\.\w+|also|more)\s*(?::|-|–)\s*\S.*$"
    rf"|^[\[(]?(?:also on \S+\.\w+)\s+\S.*$",
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


# A teaser block runs from its header to the end of the text, unless the article
# resumes under it, as when a "Don't miss" box sits in the middle of a story:
# from the first sentence on, the rest is mostly sentences (not captions and
# headlines, which is the shape of a block of teasers with their summaries).
_MIN_RESUMED_SENTENCES = 2
_MIN_RESUMED_SHARE = 0.6
_MIN_SENTENCE_WORDS = 10
_MAX_TEASER_LINE_WORDS = 30
_SENTENCE_END = re.compile(r"[.!?…\"”»’')]$")


def _is_sentence(paragraph: str) -> bool:
    paragraph = paragraph.strip()
    return (
        len(paragraph.split()) >= _MIN_SENTENCE_WORDS
        and _SENTENCE_END.search(paragraph) is not None
        and not _CAPTION_CREDIT.search(paragraph)
        and not _ALT_TEXT_GLUE.search(paragraph)
    )


def _rule_teaser_block(doc: _Doc) -> None:
    """Cut a "See more" / "Related" block: its header and the headlines under it."""
    index = _MAX_TEASER_HEADER_POSITION
    while index < len(doc.paragraphs):
        if not _TEASER_HEADER.match(doc.paragraphs[index].strip()):
            index += 1
            continue
        rest = doc.paragraphs[index + 1 :]
        sentences = [i for i, p in enumerate(rest) if _is_sentence(p)]
        resumed = rest[sentences[0] :] if sentences else []
        if len(sentences) >= _MIN_RESUMED_SENTENCES and len(sentences) >= _MIN_RESUMED_SHARE * len(
            resumed
        ):
            end = index + 1 + sentences[0]
        else:
            end = len(doc.paragraphs)
        block = doc.paragraphs[index:end]
        del doc.paragraphs[index:end]
        doc.removed.append(Removal(rule="teaser_block", text="\n\n".join(block)))


def _rule_teaser_line(doc: _Doc) -> None:
    """Drop a single teaser link: "Read more: <headline>", "[Related: <headline>]"."""
    _drop_matching(
        doc,
        "teaser_line",
        lambda p: _TEASER_LINE.match(p) is not None or _is_shouted_teaser(p),
    )


def _drop_matching(
    doc: _Doc, rule: str, test: Callable[[str], bool], *, max_words: int = _MAX_TEASER_LINE_WORDS
) -> None:
    """Drop every short paragraph that ``test`` accepts."""
    for index in range(len(doc.paragraphs) - 1, -1, -1):
        paragraph = doc.paragraphs[index].strip()
        if len(paragraph.split()) <= max_words and test(paragraph):
            doc.drop(index, rule)


_SHARE = re.compile(
    r"^(?:share|share this(?: article| story| post)?|share on \w+|tweet|email|print|print article"
    r"|print this (?:article|page)|order reprints?|reprints?(?: & permissions| and permissions)?"
    r"|text size|comments?|\d+ comments?|post (?:a )?comment(?: \(\+\))?|leave a (?:comment|reply)"
    r"|tell us what you think\W*|explore further|click to tweet|like this story\? share it.*"
    r"|this article has been sent to|tempo de leitura: \d+ minutos?|\d+ min(?:ute)? read)\W*$"
    r"|click to tweet$",
    re.I,
)
_ADVERTISEMENT = re.compile(
    r"^(?:advertisement|advertising|ad|sponsored(?: content)?|anzeige|werbung|publicité|publicidade"
    r"|publicidad|pubblicità|quảng cáo|реклама|story continues below(?: this)? advertisement"
    r"|article continues below(?: this)? advertisement|continue reading below)\W*$",
    re.I,
)
_NEWSLETTER = re.compile(
    # a prompt verb first, and what is being offered: "Subscribe to our newsletter"
    r"^(?:click here to |please |don'?t forget to )?(?:subscribe|sign up|sign-up|join|register"
    r"|get the|get our|get [\w.]+ (?:news|business)|start your day)\b"
    r".*\b(?:newsletters?|inbox|briefing|alerts|youtube|channel|podcast|magazine|issues"
    r"|the app|(?:news|business) app|on the go)\b"
    r"|^(?:thanks for signing up|keep an eye on your inbox)\b"
    r"|^get\b.{1,40}\bdelivered (?:to|through) your (?:inbox|door|letterbox)"
    r"|^if you (?:enjoyed|liked|value) (?:this|our) (?:article|story|journalism)\b.*\b(?:join"
    r"|subscribe|support|become a member)"
    r"|\b(?:our|the free) (?:daily |weekly |email |e-mail )?newsletters?\b",
    re.I,
)
_COOKIE = re.compile(
    r"\bcookies?\b.*\b(?:use|accept|consent|policy|settings|agree)|"
    r"\b(?:use|accept|consent to|agree to)\b.*\bcookies?\b",
    re.I,
)
_BREADCRUMB = re.compile(r"^[^>»›/|.!?]{1,30}(?:\s[>»›/|]\s[^>»›/|.!?]{1,30}){2,}$")
_BREADCRUMB_SEPARATOR = re.compile(r"\s[>»›/|]\s")
_MAX_BREADCRUMB_STEP_WORDS = 4
_SOCIAL = re.compile(
    r"^(?:follow\b.{0,60}\b(?:on|at) (?:twitter|facebook|instagram|youtube|tiktok|linkedin)"
    r"|follow @\w+|follow [\w'’ ]{1,30} coverage\b"
    r"|(?:email|write to|reach|contact) (?:the )?(?:reporters?|writer|author|[A-Z][\w'’]+"
    r"(?: [A-Z][\w'’]+){0,2}) at\b|have a tip\?|[\w.+-]+@[\w-]+\.[\w.]+$"
    r"|twitter\.com/\S+$)",
    re.I,
)
_CREDIT_LINE = re.compile(
    r"^\(?(?:(?:additional |editing |reporting )?(?:reporting|writing|editing) by\b.*"
    r"|.{1,200}\bcontributed (?:reporting|to this (?:report|story|article))\b.*"
    r"|source: [^.]{1,40})\)?\.?$",
    re.I,
)
_COPYRIGHT = re.compile(
    r"^(?:copyright|\(c\)|©)|\ball rights reserved\b|무단전재|版权所有|tous droits réservés", re.I
)


_MONTH = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?"
    r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|janeiro|fevereiro|março|abril|maio|junho|julho"
    r"|agosto|setembro|outubro|novembro|dezembro|enero|febrero|marzo|mayo|junio|julio|septiembre"
    r"|octubre|noviembre|diciembre|januar|februar|märz|mai|juni|juli|oktober|dezember|janvier"
    r"|février|mars|avril|juin|juillet|août|septembre|octobre|novembre|décembre|gennaio|febbraio"
    r"|aprile|maggio|giugno|luglio|settembre|ottobre|dicembre"
)
_DATE = re.compile(
    rf"\b(?:\d{{1,2}}\.?\s+(?:de\s+)?(?:{_MONTH})\.?|(?:{_MONTH})\.?\s+\d{{1,2}}\b)"
    r"|\b\d{1,4}[-/.]\d{1,2}[-/.]\d{2,4}\b",
    re.I,
)
# What a timestamp line holds besides its date: times, zones, weekdays, labels.
_TIMESTAMP_NOISE = re.compile(
    rf"\b(?:{_MONTH})\b\.?|\b\d[\d:./-]*\b|\b(?:a\.?m|p\.?m|[A-Z]{{2,4}}T|UTC|GMT)\b\.?"
    r"|\b(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\b\.?|\b\w+-feira\b|\b(?:sábado|domingo)\b"
    r"|\b(?:published|updated|posted|modified|last|first|date|on|at|of|de|do|da|em|às|as|am|um"
    r"|uhr|le|à|il|del|publicado|atualizado|actualizado|publié|mis à jour|veröffentlicht"
    r"|aktualisiert|pubblicato|aggiornato|ago|hours?|minutes?|days?)\b|기사입력|입력|수정|[^\w\s]",
    re.I,
)
_MAX_TIMESTAMP_REST_WORDS = 3  # "by First Last"


def _is_timestamp(paragraph: str) -> bool:
    # Nothing but the date may be left, or an author: a schedule line ("9 de
    # dezembro – Interlagos") or an embedded tweet's signature keeps its words.
    if not _DATE.search(paragraph):
        return False
    rest = _TIMESTAMP_NOISE.sub(" ", paragraph).split()
    return not rest or (rest[0].casefold() == "by" and len(rest) <= _MAX_TIMESTAMP_REST_WORDS)


def _rule_timestamp(doc: _Doc) -> None:
    """Drop a line that only dates the article: "Published 18 November 2019, 09:01 AM"."""
    _drop_matching(doc, "timestamp", _is_timestamp, max_words=15)


_NAV = re.compile(
    r"^(?:tags?|categories|category|categorias|categoria|schlagwörter|mots-clés|filed under:.*"
    r"|by|to read the full story|thank you|an error has occurred.*|skip to (?:main )?content"
    r"|back to top|menu|home|loading\W*)\W*$",
    re.I,
)
# Sub-headings in capitals are common and short ("WHAT YOU NEED TO MAKE JAM",
# seven words at most on the benchmark's pages); promoted headlines run longer.
_MIN_SHOUTED_WORDS = 8


def _is_shouted_teaser(paragraph: str) -> bool:
    """An all-capitals line of several words without a full stop: a promoted link."""
    letters = [c for c in paragraph if c.isalpha()]
    return (
        len(paragraph.split()) >= _MIN_SHOUTED_WORDS
        and bool(letters)
        and all(c.isupper() for c in letters if c.isupper() or c.islower())
        and any(c.isupper() for c in letters)
        and not paragraph.rstrip().endswith((".", "?", "!", ":"))
    )


def _rule_nav(doc: _Doc) -> None:
    """Drop navigation and page-furniture labels: "Tags", "Filed under: …", a lone "By"."""
    _drop_matching(doc, "nav", lambda p: _NAV.match(p) is not None)


def _rule_share(doc: _Doc) -> None:
    """Drop share, print, reprint and comment links, and reading-time labels."""
    _drop_matching(doc, "share", lambda p: _SHARE.search(p) is not None)


def _rule_advertisement(doc: _Doc) -> None:
    """Drop "Advertisement" labels (in several languages)."""
    _drop_matching(doc, "advertisement", lambda p: _ADVERTISEMENT.match(p) is not None)


def _rule_newsletter(doc: _Doc) -> None:
    """Drop newsletter and subscription prompts."""
    _drop_matching(doc, "newsletter", lambda p: _NEWSLETTER.search(p) is not None)


def _rule_cookie_notice(doc: _Doc) -> None:
    """Drop a cookie-consent notice."""
    _drop_matching(doc, "cookie_notice", lambda p: _COOKIE.search(p) is not None, max_words=60)


def _rule_breadcrumb(doc: _Doc) -> None:
    """Drop a breadcrumb trail (``Home > News > World``) among the first paragraphs."""
    for index in range(min(3, len(doc.paragraphs)) - 1, -1, -1):
        paragraph = doc.paragraphs[index].strip()
        if _BREADCRUMB.match(paragraph) and all(
            len(step.split()) <= _MAX_BREADCRUMB_STEP_WORDS
            for step in _BREADCRUMB_SEPARATOR.split(paragraph)
        ):
            doc.drop(index, "breadcrumb")


def _rule_social(doc: _Doc) -> None:
    """Drop "Follow us on Twitter", "Email the writer at …" and bare links or addresses."""
    _drop_matching(doc, "social", lambda p: _SOCIAL.match(p) is not None, max_words=45)


def _rule_credit_line(doc: _Doc) -> None:
    """Drop reporting and editing credits: "Reporting by X; Editing by Y", "X contributed"."""
    _drop_matching(doc, "credit_line", lambda p: _CREDIT_LINE.match(p) is not None, max_words=45)


def _rule_copyright(doc: _Doc) -> None:
    """Drop a copyright notice."""
    _drop_matching(doc, "copyright", lambda p: _COPYRIGHT.search(p) is not None)


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
    "teaser_line": _rule_teaser_line,
    "share": _rule_share,
    "advertisement": _rule_advertisement,
    "newsletter": _rule_newsletter,
    "cookie_notice": _rule_cookie_notice,
    "breadcrumb": _rule_breadcrumb,
    "social": _rule_social,
    "credit_line": _rule_credit_line,
    "copyright": _rule_copyright,
    "timestamp": _rule_timestamp,
    "nav": _rule_nav,
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
