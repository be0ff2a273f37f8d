"""Strip: paragraphs in, the article's own paragraphs out, with every removal named.

Each rule is a small function over the paragraph list; what it removes is
reported under its name (``caption``, ``teaser_block``, ``byline``,
``dateline``, ``repeated_lede``, ``end_mark``, ``title_repeat``,
``repeated_line``), and any rule can be switched off with
``StripConfig.disabled_rules``. The dateline rule keeps what it removes as
metadata (``dateline`` and ``source``).

It may drop every paragraph; the caller then rejects the document as
``no-content``. It does, for one: a text whose title is a teaser header ("See
more" on its first line) is nothing but a teaser block.

The stage runs once per document on the pipeline's hot path, so the rules are
written to be cheap where they do not apply: each paragraph is split into words
once, rules that judge one paragraph alone run as a single pass
(``_LineRule``), and every search is guarded by an exact, cheaper test (a
literal that the pattern needs, or the one place where a match can start).
``benchmarks/extraction_strip_speed.py`` times it.
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
# The same three patterns, each tried only where it can start (the hot path: a
# search over every paragraph of every document). The credit in parentheses
# holds no other parenthesis, so it starts at the last "("; the glued agency
# holds no full stop, so it starts one letter before the last ".".
_CAPTION_PAREN = re.compile(rf"\((?:{_CREDIT_WORDS})\s*(?::[^()]{{0,80}})?\)\s*$", re.I)
_CAPTION_LABEL = re.compile(rf"(?:{_CREDIT_WORDS})\s*:\s*[^.!?]{{1,80}}$", re.I)
_CAPTION_GLUED = re.compile(rf"[a-z]\.(?-i:{_AGENCY_ALT}|Getty Images|AP Photo)\s*$", re.I)


def _has_caption_credit(paragraph: str) -> bool:
    """Whether ``_CAPTION_CREDIT`` finds a photo credit in ``paragraph`` (the fast way)."""
    paren = paragraph.rfind("(")
    if paren >= 0 and _CAPTION_PAREN.match(paragraph, paren):
        return True
    if ":" in paragraph and _CAPTION_LABEL.match(paragraph):
        return True
    stop = paragraph.rfind(".")
    return stop > 0 and _CAPTION_GLUED.match(paragraph, stop - 1) is not None


# Image alt text glued to its caption: "Headline ảnh 1Caption" (Vietnamese "ảnh" = image).
_ALT_TEXT_GLUE = re.compile(r"\sảnh\s?\d+(?=\S)")


def _has_alt_text_glue(paragraph: str) -> bool:
    return "ảnh" in paragraph and _ALT_TEXT_GLUE.search(paragraph) is not None


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
# No line of more words matches _TEASER_HEADER: its longest alternative is
# "more from" and 40 characters (20 words at most), and a final ":".
_MAX_TEASER_HEADER_WORDS = 25
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
    # Word counts by paragraph: every rule looks at the length first, and a
    # paragraph is split once rather than once per rule.
    _words: dict[str, int] = field(default_factory=dict)
    # Paragraphs that no line rule can take (see ``_drop_lines``): the second
    # run of line rules does not screen them again.
    _prose: set[str] = field(default_factory=set)

    def drop(self, index: int, rule: str) -> None:
        self.removed.append(Removal(rule=rule, text=self.paragraphs.pop(index)))

    def word_counts(self) -> dict[str, int]:
        """The word count of every paragraph, by paragraph."""
        counts = self._words
        for paragraph in self.paragraphs:
            if paragraph not in counts:
                counts[paragraph] = _count_words(paragraph)
        return counts

    def words(self, paragraph: str) -> int:
        count = self._words.get(paragraph)
        if count is None:
            count = self._words[paragraph] = _count_words(paragraph)
        return count


def _count_words(paragraph: str) -> int:
    """``len(paragraph.split())`` for a stripped paragraph, without building the list.

    Where the only white space is single spaces, the words are one more than the spaces.
    """
    if paragraph and _single_spaced(paragraph):
        return paragraph.count(" ") + 1
    return len(paragraph.split())


def _single_spaced(text: str) -> bool:
    """Whether the only white space in ``text`` is single spaces."""
    if "  " in text:
        return False
    if not text.isascii():
        return text.isprintable()  # no white space is printable but the space
    return not (  # the ASCII white space of str.split, the space aside
        "\n" in text
        or "\t" in text
        or "\r" in text
        or "\x0b" in text
        or "\x0c" in text
        or "\x1c" in text
        or "\x1d" in text
        or "\x1e" in text
        or "\x1f" in text
    )


def _contains(text: str, word: str, pattern: re.Pattern[str]) -> bool:
    """Whether ``pattern`` (``word``, case-insensitive) occurs in ``text``.

    ``str.lower`` is exact for ASCII text and ten times faster than the search.
    """
    if text.isascii():
        return word in text.lower()
    return pattern.search(text) is not None


def _key(text: str) -> str:
    """Compare paragraphs by their words: case, spacing and final punctuation aside."""
    # str.split and the regex ``\s`` agree on what is white space; a printable
    # text without two spaces in a row is already spaced once (see _count_words).
    text = text.strip()
    if not _single_spaced(text):
        text = " ".join(text.split())
    return text.rstrip(".").casefold()


# A teaser block runs from its header to the end of the text, unless the article
# resumes under it, as when a "Don't miss" box sits in the middle of a story:
# from the first sentence on, the rest is mostly sentences (not captions and
# headlines, which is the shape of a block of teasers with their summaries).
_MIN_RESUMED_SENTENCES = 2
_MIN_RESUMED_SHARE = 0.6
_MIN_SENTENCE_WORDS = 10
_MAX_TEASER_LINE_WORDS = 30
_MAX_TEASER_WORDS = 60
_SENTENCE_END = re.compile(r"[.!?…\"”»’')]$")


def _is_sentence(paragraph: str) -> bool:
    paragraph = paragraph.strip()
    return (
        len(paragraph.split()) >= _MIN_SENTENCE_WORDS
        and _SENTENCE_END.search(paragraph) is not None
        and not _has_caption_credit(paragraph)
        and not _has_alt_text_glue(paragraph)
    )


def _rule_teaser_block(doc: _Doc) -> None:
    """Cut a "See more" / "Related" block: its header and the headlines under it.

    A title that is itself a teaser header ("See more" on the first line of a
    text, then a blank line) means the whole body is the block: there is no
    article, and the document ends with no paragraphs.
    """
    if doc.title and doc.paragraphs and _TEASER_HEADER.match(doc.title.strip()):
        doc.removed.append(Removal(rule="teaser_block", text="\n\n".join(doc.paragraphs)))
        doc.paragraphs.clear()
        return
    index = _MAX_TEASER_HEADER_POSITION
    while index < len(doc.paragraphs):
        paragraph = doc.paragraphs[index]
        if doc.words(paragraph) > _MAX_TEASER_HEADER_WORDS or not _TEASER_HEADER.match(paragraph):
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
        # A teaser's summary is a sentence or two; a paragraph far longer is the
        # article again (or a page section after the box), never part of the block.
        long = next(
            (i for i in range(index + 1, end) if doc.words(doc.paragraphs[i]) > _MAX_TEASER_WORDS),
            end,
        )
        end = min(end, long)
        block = doc.paragraphs[index:end]
        del doc.paragraphs[index:end]
        doc.removed.append(Removal(rule="teaser_block", text="\n\n".join(block)))


def _is_teaser_line(paragraph: str) -> bool:
    """A single teaser link: "Read more: <headline>", "[Related: <headline>]"."""
    return _TEASER_LINE.match(paragraph) is not None or _is_shouted_teaser(paragraph)


@dataclass(frozen=True)
class _LineRule:
    """A rule that judges each paragraph alone: short enough, and ``test`` accepts it."""

    test: Callable[[str], bool]
    max_words: int = _MAX_TEASER_LINE_WORDS


def _drop_lines(doc: _Doc, rules: list[tuple[str, _LineRule]]) -> None:
    """Run a run of line rules in one pass over the paragraphs.

    A paragraph goes to the first rule that takes it, as when each rule ran over
    what the ones before it left; removals are reported in that order too (by
    rule, then from the last paragraph up).

    Nearly every paragraph is prose that no rule takes, so a paragraph meets
    the rules only if ``_might_be_a_line`` lets it.
    """
    longest = max(rule.max_words for _, rule in rules)
    screened = all(name in _SCREENED_RULES for name, _ in rules)
    hits: list[tuple[int, int]] = []  # (rule's position, -paragraph's index)
    counts = doc.word_counts()
    prose = doc._prose
    for index, paragraph in enumerate(doc.paragraphs):
        words = counts[paragraph]
        if words > longest:
            continue
        if screened:
            if paragraph in prose:
                continue
            if not _might_be_a_line(paragraph, words):
                prose.add(paragraph)
                continue
        for position, (_, rule) in enumerate(rules):
            if words <= rule.max_words and rule.test(paragraph):
                hits.append((position, -index))
                break
    if not hits:
        return
    hits.sort()
    doc.removed.extend(Removal(rule=rules[p][0], text=doc.paragraphs[-i]) for p, i in hits)
    dropped = {-i for _, i in hits}
    doc.paragraphs = [p for i, p in enumerate(doc.paragraphs) if i not in dropped]


_SHARE = re.compile(
    r"^(?:share|share this(?: article| story| post)?|share on \w+|tweet|email|print|print article"
    r"|print this (?:article|page)|order reprints?|reprints?(?: & permissions| and permissions)?"
    r"|text size|comments?|\d+ comments?|post (?:a )?comment(?: \(\+\))?|leave a (?:comment|reply)"
    r"|tell us what you think\W*|explore further|click to tweet|like this story\? share it.*"
    r"|this article has been sent to|tempo de leitura: \d+ minutos?|\d+ min(?:ute)? read)\W*$",
    re.I,
)
_SHARE_END = re.compile(r"click to tweet$", re.I)  # glued to the quote it tweets
_SHARE_END_CHARS = len("click to tweet")


def _is_share(paragraph: str) -> bool:
    """Share, print, reprint and comment links, and reading-time labels."""
    return _SHARE.match(paragraph) is not None or (
        len(paragraph) >= _SHARE_END_CHARS
        and _SHARE_END.match(paragraph, len(paragraph) - _SHARE_END_CHARS) is not None
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
# Only the last alternative of ``_NEWSLETTER`` can match after the start, and it
# needs the word: a cheap test before the search.
_NEWSLETTER_WORD = re.compile("newsletter", re.I)


def _is_newsletter(paragraph: str) -> bool:
    """A newsletter or subscription prompt."""
    return _NEWSLETTER.match(paragraph) is not None or (
        _contains(paragraph, "newsletter", _NEWSLETTER_WORD)
        and _NEWSLETTER.search(paragraph) is not None
    )


_COOKIE = re.compile(
    r"\bcookies?\b.*\b(?:use|accept|consent|policy|settings|agree)|"
    r"\b(?:use|accept|consent to|agree to)\b.*\bcookies?\b",
    re.I,
)
_COOKIE_WORD = re.compile("cookie", re.I)  # both alternatives of _COOKIE need it
_BREADCRUMB = re.compile(r"^[^>»›/|.!?]{1,30}(?:\s[>»›/|]\s[^>»›/|.!?]{1,30}){2,}$")
_BREADCRUMB_SEPARATOR = re.compile(r"\s[>»›/|]\s")
_BREADCRUMB_MARKS = (">", "»", "›", "/", "|")
_BREADCRUMB_HEAD_CHARS = 32
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
# What an ASCII text needs for a credit or copyright line to match (the other
# alternatives are not ASCII): the search runs only where it can succeed.


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
_DIGIT = re.compile(r"\d")  # every alternative of _DATE holds one
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
_MAX_TIMESTAMP_WORDS = 15
_MAX_NOTICE_WORDS = 60  # a cookie notice
_MAX_CREDIT_WORDS = 45  # reporting credits, follow-us lines


def _is_timestamp(paragraph: str) -> bool:
    # Nothing but the date may be left, or an author: a schedule line ("9 de
    # dezembro – Interlagos") or an embedded tweet's signature keeps its words.
    if not _DIGIT.search(paragraph) or "%" in paragraph or not _DATE.search(paragraph):
        return False  # a date beside a share is a table row ("12/1/2024 +6.3%"), not a stamp
    rest = _TIMESTAMP_NOISE.sub(" ", paragraph).split()
    return not rest or (rest[0].casefold() == "by" and len(rest) <= _MAX_TIMESTAMP_REST_WORDS)


_NAV = re.compile(
    r"^(?:tags?|categories|category|categorias|categoria|schlagwörter|mots-clés|filed under:.*"
    r"|by|to read the full story|thank you|an error has occurred.*|skip to (?:main )?content"
    r"|back to top|menu|home|loading\W*|table of contents|contents|in this article|on this page"
    r"|jump to(?: section)?)\W*$",
    re.I,
)
# Sub-headings in capitals are common and short ("WHAT YOU NEED TO MAKE JAM",
# seven words at most on the benchmark's pages); promoted headlines run longer.
_MIN_SHOUTED_WORDS = 8


def _is_shouted_teaser(paragraph: str) -> bool:
    """An all-capitals line of several words without a full stop: a promoted link."""
    if paragraph.rstrip().endswith((".", "?", "!", ":")) or len(paragraph.split()) < (
        _MIN_SHOUTED_WORDS
    ):
        return False
    letters = [c for c in paragraph if c.isalpha()]
    return (
        bool(letters)
        and all(c.isupper() for c in letters if c.isupper() or c.islower())
        and any(c.isupper() for c in letters)
    )


def _is_nav(paragraph: str) -> bool:
    """Navigation and page-furniture labels: "Tags", "Filed under: …", a lone "By"."""
    return _NAV.match(paragraph) is not None


def _is_advertisement(paragraph: str) -> bool:
    """An "Advertisement" label (in several languages)."""
    return _ADVERTISEMENT.match(paragraph) is not None


def _is_cookie_notice(paragraph: str) -> bool:
    """A cookie-consent notice."""
    return _contains(paragraph, "cookie", _COOKIE_WORD) and _COOKIE.search(paragraph) is not None


def _rule_breadcrumb(doc: _Doc) -> None:
    """Drop a breadcrumb trail (``Home > News > World``) among the first paragraphs."""
    for index in range(min(3, len(doc.paragraphs)) - 1, -1, -1):
        paragraph = doc.paragraphs[index].strip()
        # The first separator of a trail stands within its first 32 characters.
        head = paragraph[:_BREADCRUMB_HEAD_CHARS]
        if not any(mark in head for mark in _BREADCRUMB_MARKS):
            continue
        if _BREADCRUMB.match(paragraph) and all(
            len(step.split()) <= _MAX_BREADCRUMB_STEP_WORDS
            for step in _BREADCRUMB_SEPARATOR.split(paragraph)
        ):
            doc.drop(index, "breadcrumb")


def _is_social(paragraph: str) -> bool:
    """Follow-us lines, "Email the writer at …" and bare links or addresses."""
    return _SOCIAL.match(paragraph) is not None


def _is_credit_line(paragraph: str) -> bool:
    """Reporting and editing credits: "Reporting by X; Editing by Y", "X contributed"."""
    # Each alternative of _CREDIT_LINE needs one of these words.
    if paragraph.isascii():
        low = paragraph.lower()
        if "by" not in low and "contributed" not in low and "source" not in low:
            return False
    return _CREDIT_LINE.match(paragraph) is not None


def _is_copyright(paragraph: str) -> bool:
    """A copyright notice."""
    if paragraph.isascii():
        # The alternatives of _COPYRIGHT that an ASCII text can match.
        low = paragraph.lower()
        if not (low.startswith(_COPYRIGHT_STARTS) or "all rights reserved" in low):
            return False
    return _COPYRIGHT.search(paragraph) is not None


def _is_caption(paragraph: str) -> bool:
    """A photo caption: a photo credit at the end, or alt text glued to a caption."""
    return _has_caption_credit(paragraph) or _has_alt_text_glue(paragraph)


def _rule_title_repeat(doc: _Doc) -> None:
    """Drop the title where it is repeated as a paragraph of the body."""
    if not doc.title:
        return
    title = _key(doc.title)
    # Equal keys have word counts at most one apart (a lone final "." is dropped).
    words = len(doc.title.split())
    for index in range(len(doc.paragraphs) - 1, -1, -1):
        paragraph = doc.paragraphs[index]
        if abs(doc.words(paragraph) - words) <= 1 and _key(paragraph) == title:
            doc.drop(index, "title_repeat")


def _rule_end_mark(doc: _Doc) -> None:
    """Remove the end mark ``./.`` that closes agency copy."""
    for index, paragraph in enumerate(doc.paragraphs):
        match = _END_MARK.search(paragraph) if "./." in paragraph else None
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
        if doc.words(paragraph) <= 8 and _BYLINE.match(paragraph):
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
    # Keys are computed only for paragraphs whose word counts are at most one
    # apart (see ``_rule_title_repeat``): in most texts, none.
    seen: list[tuple[int, str]] = []
    index = 0
    while index < min(len(doc.paragraphs), 5):
        paragraph = doc.paragraphs[index]
        words = doc.words(paragraph)
        close = [other for count, other in seen if abs(count - words) <= 1]
        if close and _key(paragraph) in {_key(other) for other in close}:
            doc.drop(index, "repeated_lede")
            continue
        seen.append((words, paragraph))
        index += 1


# --- the screen of _drop_lines: what a paragraph needs for a line rule to take it ----------
#
# A line rule added to RULES must be added to _SCREENED_RULES, and its needs to
# the tables below: until it is, the runs of line rules holding it are not
# screened. tests/unit/test_strip_screen.py checks the screen against every rule
# on real paragraphs and on strings generated from the rules' own patterns.
_SCREENED_RULES = frozenset(
    {
        *("teaser_line", "share", "advertisement", "newsletter", "cookie_notice", "social"),
        *("credit_line", "copyright", "timestamp", "nav", "caption"),
    }
)
# How the labels matched at the start of a paragraph begin, lower case (after
# one opening bracket or parenthesis): a paragraph that begins with none of
# these is none of them. "+" after a start: the rule also needs a ":" or a
# dash in the paragraph (a teaser link, "Read more: <headline>"); ":" after
# it: a ":" (a credit label, "Photo: <name>").
_STARTS = (
    # _TEASER_LINE: its words, then ":" or a dash; or "Also on <site>"
    *("see more+", "read more+", "see also+", "related+", "more+", "you may also like+"),
    *("you might also like+", "recommended+", "most read+", "most popular+", "popular on +"),
    *("trending+", "top stories+", "don't miss+", "dont miss+", "editor's picks+"),
    *("editors picks+", "xem thêm+", "tin liên quan+", "tin cùng chuyên mục+"),
    *("lesen sie auch+", "mehr zum thema+", "das könnte sie auch interessieren+"),
    *("à lire aussi+", "lire aussi+", "sur le même sujet+", "leia também+", "veja também+"),
    *("leggi anche+", "lee también+", "te puede interesar+", "читайте также+"),
    *("смотрите также+", "also+", "also on "),
    # _CAPTION_LABEL: _CREDIT_WORDS, then ":"
    *("photo:", "image:", "picture:", "illustration:", "credit:", "illustrative photo:"),
    *("illustrative image:", "illustrative picture:", "file photo:", "source:", "ảnh:"),
    *("foto:", "bild:", "фото:"),
    # _SHARE
    *("share", "tweet", "email", "print", "order reprint", "reprint", "text size", "comment"),
    *("post comment", "post a comment", "leave a comment", "leave a reply", "tell us what"),
    *("explore further", "click to tweet", "like this story? share it"),
    *("this article has been sent to", "tempo de leitura"),
    # _ADVERTISEMENT
    *("advertisement", "advertising", "ad", "sponsored", "anzeige", "werbung", "publicité"),
    *("publicidade", "publicidad", "pubblicità", "quảng cáo", "реклама"),
    *("story continues below", "article continues below", "continue reading below"),
    # _NEWSLETTER, its alternatives matched at the start
    *("click here to ", "please ", "don't forget to ", "dont forget to ", "subscribe", "sign"),
    *("join", "register", "get", "start your day", "thanks for signing up"),
    *("keep an eye on your inbox", "if you enjoyed ", "if you liked ", "if you value "),
    # _SOCIAL
    *("follow", "email", "write to", "reach", "contact", "have a tip?", "twitter.com/"),
    # _NAV
    *("tag", "categor", "schlagwörter", "mots-clés", "filed under:", "by", "to read the full"),
    *("thank you", "an error has occurred", "skip to", "back to top", "menu", "home"),
    *("loading", "table of contents", "contents", "in this article", "on this page", "jump to"),
)
# The starts by their first two characters (every start has two at least).
_STARTS_BY_HEAD: dict[str, tuple[tuple[str, str], ...]] = {}
for _start in _STARTS:
    _text, _need = (_start[:-1], _start[-1]) if _start[-1] in "+:" else (_start, "")
    _STARTS_BY_HEAD[_text[:2]] = (*_STARTS_BY_HEAD.get(_text[:2], ()), (_text, _need))
del _start, _text, _need
_DASHES = ("-", "–", ":")
# Characters that re's case-insensitive matching folds to ASCII letters other
# than as str.lower does (dotless i, long s, dotted capital I); the title case
# letters, and the lower case characters that are not letters (small roman
# numerals, circled letters), where str.isupper and _is_shouted_teaser part:
# a paragraph holding one is not screened.
_UNSCREENED = re.compile("[ıſİǅǈǋǲᾈ-ᾏᾘ-ᾟᾨ-ᾯᾼῌῼ\u0345\u2170-\u217f\u24d0-\u24e9]")
# The agencies (and photo agencies) a caption can end with, glued after its ".".
_GLUED_ENDS = frozenset(f".{name.lower()}" for name in (*AGENCIES, "Getty Images", "AP Photo"))
_LONGEST_GLUED = max(map(len, _GLUED_ENDS))
_CREDIT_STARTS = tuple(
    word
    for word in (
        *("photo", "photos", "photograph", "image", "images", "picture", "illustration"),
        *("credit", "credits", "illustrative", "file photo", "source", "ảnh", "foto", "bild"),
        "фото",
    )
)


def _might_be_a_line(paragraph: str, words: int) -> bool:
    """Whether a line rule could take ``paragraph`` (of ``words`` words); False rules all out.

    The screen of ``_drop_lines``: each test is a necessary condition of some
    rule's test, and a paragraph that passes none is taken by no line rule. It
    begins as a label does (``_STARTS``), or with a digit ("12 comments"); it
    ends in a photo credit in parentheses or an agency glued after a caption's
    "."; a copyright line; a headline in capitals; a short line with a digit
    and no "%" (a timestamp); a word a rule needs somewhere (``_needs_a_word``).
    The tests run on ``str.lower()``, the case folding of the rules' ``re.I``
    patterns but for the characters of ``_UNSCREENED``, which let a paragraph
    through whatever it holds.
    """
    low = paragraph.lower()
    head = low[1:] if low[:1] in "[(" else low
    starts = _STARTS_BY_HEAD.get(head[:2])
    if starts is not None:
        for text, need in starts:
            # A label needing ":" or a "+" one (a dash or ":" after it) needs one
            # of _DASHES somewhere: ":" is among them.
            if head.startswith(text) and (not need or any(d in low for d in _DASHES)):
                return True
    if low[:1].isdigit():
        return True
    tail = low.rstrip()
    if tail[-1:] == ")":
        paren = tail.rfind("(")
        if paren >= 0 and tail.startswith(_CREDIT_STARTS, paren + 1):
            return True
    dot = tail.rfind(".", max(len(tail) - _LONGEST_GLUED, 0))
    if (dot >= 0 and tail[dot:] in _GLUED_ENDS) or (
        words >= _MIN_SHOUTED_WORDS and paragraph.isupper()
    ):
        return True
    if (
        low.startswith(_COPYRIGHT_STARTS)
        or (
            words <= _MAX_TIMESTAMP_WORDS
            and "%" not in paragraph
            and _DIGIT.search(paragraph) is not None
        )
        or _needs_a_word(low, words)
    ):
        return True
    return not paragraph.isascii() and _UNSCREENED.search(paragraph) is not None


def _needs_a_word(low: str, words: int) -> bool:
    """Whether ``low`` holds a word a line rule of its length needs somewhere.

    A cookie notice (``cookie_notice``, 60 words at most); a reporting credit
    ("Reporting by", "X contributed", "Source: X") or an e-mail address alone
    (45); a newsletter prompt (the last alternative of ``_NEWSLETTER``), a
    copyright line, a share link after a quote, alt text glued to a caption
    ("ảnh 1") (30, 80 for the caption).
    """
    if words > _MAX_CAPTION_WORDS:
        return False
    if "ảnh" in low:
        return True
    if words > _MAX_NOTICE_WORDS:
        return False
    if "cookie" in low:
        return True
    if words > _MAX_CREDIT_WORDS:
        return False
    if "@" in low or "ing by" in low or "contributed" in low or "source:" in low:
        return True
    return words <= _MAX_TEASER_LINE_WORDS and (
        "newsletter" in low
        or "all rights reserved" in low
        or "click to tweet" in low
        or "무단전재" in low
        or "版权所有" in low
        or "tous droits réservés" in low
    )


_COPYRIGHT_STARTS = ("copyright", "(c)", "©")


# Order matters: the teaser block is cut first so its captions are not counted
# twice; the end mark goes before the byline so "VNA" after "./." is recognised.
# Consecutive line rules run as one pass (``_drop_lines``).
RULES: dict[str, Callable[[_Doc], None] | _LineRule] = {
    "teaser_block": _rule_teaser_block,
    "teaser_line": _LineRule(_is_teaser_line),
    "share": _LineRule(_is_share),
    "advertisement": _LineRule(_is_advertisement),
    "newsletter": _LineRule(_is_newsletter),
    "cookie_notice": _LineRule(_is_cookie_notice, max_words=_MAX_NOTICE_WORDS),
    "breadcrumb": _rule_breadcrumb,
    "social": _LineRule(_is_social, max_words=_MAX_CREDIT_WORDS),
    "credit_line": _LineRule(_is_credit_line, max_words=_MAX_CREDIT_WORDS),
    "copyright": _LineRule(_is_copyright),
    "timestamp": _LineRule(_is_timestamp, max_words=_MAX_TIMESTAMP_WORDS),
    "nav": _LineRule(_is_nav),
    "caption": _LineRule(_is_caption, max_words=_MAX_CAPTION_WORDS),
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
    stripped = [p.strip() for p in paragraphs]
    doc = _Doc(paragraphs=[p for p in stripped if p], title=title)
    if repeated and "repeated_line" not in config.disabled_rules:
        for index in range(len(doc.paragraphs) - 1, -1, -1):
            if line_key(doc.paragraphs[index]) in repeated:
                doc.drop(index, "repeated_line")
    lines: list[tuple[str, _LineRule]] = []
    for name, rule in RULES.items():
        if name in config.disabled_rules:
            continue
        if isinstance(rule, _LineRule):
            lines.append((name, rule))
            continue
        if lines:
            _drop_lines(doc, lines)
            lines = []
        rule(doc)
    if lines:
        _drop_lines(doc, lines)
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
