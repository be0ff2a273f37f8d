"""Normalize: a stripped ``Draft`` in, the same draft in canonical form out.

Text (``normalize_text``), in this order and repeated until nothing changes:

1. ftfy repairs: mojibake (``cafÃ©`` → ``café``), HTML entities left in
   extracted text (``&amp;`` → ``&``, always: extracted text is never HTML),
   C1 and other control characters, terminal escapes, lone surrogates (to
   U+FFFD, the one character ftfy replaces), Latin ligatures (``ﬁ`` → ``fi``).
   Quotes are kept as published (no ASCII folding: ``“`` stays ``“``), and so
   are full-width characters, which CJK typesetting uses on purpose.
2. Unicode NFC.
3. Invisible characters removed: zero-width space, word joiner, byte-order
   mark, soft hyphen, invisible operators. The zero-width joiner and
   non-joiner are kept between two visible characters (Persian, Indic
   scripts and emoji sequences need them) and removed elsewhere.
4. Every run of white space (no-break spaces, tabs, line breaks, the
   typographic spaces U+2000–U+200A, ideographic space…) becomes one space;
   the ends are trimmed. A paragraph is one line.

Dates (``normalize_date``): the common published forms to ISO ``YYYY-MM-DD``:

- ISO 8601 date or date-time: ``2023-10-13``, ``2023-10-13T09:15:00+07:00``
  (the date as written, in the publisher's own time zone: no UTC shift);
- year first with ``/`` or ``.``: ``2023/10/13``; compact: ``20231013``;
- numeric with ``/``, ``-`` or ``.``: ``13/10/2023``, ``13.10.2023`` (see
  "ambiguous" below);
- English month names, month first: ``October 13, 2023``, ``Oct. 13th 2023``;
  day first: ``13 Oct 2023``, ``13-Oct-2023``, RFC 2822 ``Fri, 13 Oct 2023 09:15 GMT``;
- Vietnamese: ``13 tháng 10 năm 2023``, ``Thứ Sáu, 13/10/2023 - 09:15``;
- Unix time in seconds or milliseconds (10 or 13 digits): ``1697163300``,
  read in UTC since it carries no zone.

A leading weekday (``Friday,``, ``Fri``, ``Thứ Sáu,``, ``Chủ nhật``) and
``ngày`` ("day") are skipped; anything after the date (a time, a zone) is
ignored. **Ambiguous** numeric dates, both parts ≤ 12 (``03/04/2023``), are
read day-first (the convention of most of the world's press, and of the
Vietnamese sources this was built for); ``NormalizeConfig.day_first = false``
reads them month-first. A part above 12 decides the order whatever the
setting (``10/13/2023`` is 13 October). Two-digit years (``13/10/23``), a
month without a day (``2023-10``) and words (``yesterday``) are not read:
the date becomes ``None`` rather than a guess.

Language (``detect_language``): ISO 639-1 by py3langid's model on the title
and the first ``SAMPLE_CHARS`` characters of the body, or ``None`` for fewer
than 20 letters there. The first ``PROBE_CHARS`` characters of that sample
are scored first, and where they prefer their answer by ``MIN_PROBE_MARGIN``
or more that answer stands: most texts are decided on a third of the sample.

Every function here is idempotent. Nothing is dropped: a date that cannot be
read becomes ``None``; a paragraph that normalizes to nothing is left out.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import TypedDict

import ftfy
import ftfy.badness
import ftfy.chardata

from cleanpipe.config import NormalizeConfig
from cleanpipe.models import Draft, StripResult
from cleanpipe.stages import badness, language

# Always invisible, never meaningful in running text.
INVISIBLE_CHARS = "\u200b\u2060\ufeff\u00ad\u180e\u2061\u2062\u2063\u2064"
_INVISIBLE = dict.fromkeys(map(ord, INVISIBLE_CHARS), None)
# ZWNJ/ZWJ shape joining scripts and emoji between two visible characters;
# next to white space, at an end, or repeated they carry nothing.
_JOINERS_AT_EDGE = re.compile(r"(?:(?<=\s)|^)[\u200c\u200d]+|[\u200c\u200d]+(?=\s|$)")
_JOINER_RUN = re.compile(r"([\u200c\u200d])[\u200c\u200d]+")
# Python's \s: every Unicode white space, no-break and typographic spaces and
# line separators included (but not the zero-width characters above).
_WHITE_SPACE = re.compile(r"\s+")
# The fixes normalize_text asks of ftfy. A change here must be matched in
# _FTFY_TRIGGERS below (the characters that make ftfy run at all).
_FTFY_CONFIG = ftfy.TextFixerConfig(
    unescape_html=True,  # extracted text is never markup: "&amp;" is a leftover
    uncurl_quotes=False,  # quotes as published: no lossy ASCII folding
    fix_latin_ligatures=True,  # "ﬁ" is a presentation form of "fi"
    fix_character_width=False,  # full-width forms are deliberate in CJK text
    normalization="NFC",
    explain=False,
)
# The language is told from the title and this many characters of the body:
# py3langid's cost grows with the text, and its answer settles long before
# (benchmarks/language.py measures the agreement with the whole text).
SAMPLE_CHARS = 1000
# The probe: this many characters of the sample are scored first, and an answer
# they prefer to every other language by MIN_PROBE_MARGIN (py3langid's raw
# log-probability) stands without the rest. benchmarks/language.py measured, on
# the texts of both extraction benchmarks and the seed (892), the margins of
# a 300-character probe: where its answer differed from the whole sample's
# (one text, English vs Nigerian Pidgin) the margin was 27; where it agreed,
# the 1st percentile was 58 and the median 167. Twice the largest margin of a
# wrong answer seen: the near-ties of close languages (en/pcm, pt/gl, id/ms)
# go on to the whole sample, and ~95% of texts stop at the probe.
PROBE_CHARS = 300
MIN_PROBE_MARGIN = 54.0
# Fewer letters than this say too little to tell a language.
_MIN_LETTERS = 20
# Characters that one of the fixes in _FTFY_CONFIG acts on, whatever the rest
# of the line: C0 and other control characters (ftfy's
# own table, terminal escapes included), C1 controls, line breaks other than
# "\n" (ftfy turns them into "\n"), lone surrogates and the Latin ligatures
# (ftfy's own table); and HTML entities (_HTML_ENTITY, ftfy's own pattern: its
# unescaping replaces nothing else, so an "&" alone, as in "AT&T", does not
# count). A "\n" ends one of ftfy's segments (lines), and _fix_text tests
# each line on its own.
_HTML_ENTITY = ftfy.chardata.HTML_ENTITY_RE
_FTFY_TRIGGERS = re.compile(
    "[\r\u2028\u2029\x80-\x9f\ud800-\udfff"
    + "".join(re.escape(chr(code)) for code in sorted(ftfy.chardata.CONTROL_CHARS))
    + "".join(re.escape(chr(code)) for code in sorted(ftfy.chardata.LIGATURES))
    + "]"
)
_HAS_INVISIBLE = re.compile(f"[{INVISIBLE_CHARS}]")
# The longest match of ftfy's mojibake pattern, in characters; every branch of
# it holds a non-ASCII character (tests/unit/test_normalize.py checks both).
_BAD_SPAN = 7
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")
_ASCII_BYTES = bytes(range(0x80))
# normalize_text repeats its steps until nothing changes; two passes settle
# every input we have seen, the bound only guards against a cycle.
_MAX_PASSES = 5

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_WEEKDAY = re.compile(
    r"^(?:(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day|sday|nesday|rsday|urday)?\.?"
    r"|thứ\s+(?:hai|ba|tư|năm|sáu|bảy|[2-7])|chủ\s+nhật|cn)\s*[,\-–]?\s*",
    re.I,
)
_DAY_WORD = re.compile(r"^ngày\s+", re.I)
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:$|[T ]|[+-]\d{2}:?\d{2}$|Z$)")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_EPOCH = re.compile(r"^(\d{10})(\d{3})?$")
_NUMERIC = re.compile(r"^(\d{1,2})([/.\-])(\d{1,2})\2(\d{4})(?:$|[T ,\-–])")
_YMD = re.compile(r"^(\d{4})([/.])(\d{1,2})\2(\d{1,2})(?:$|[T ,\-–])")
_MONTH_FIRST = re.compile(
    r"^([a-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})(?:$|[T ,\-–])", re.I
)
_DAY_FIRST = re.compile(
    r"^(\d{1,2})(?:st|nd|rd|th)?(?:\s+|-)([a-z]{3,9})\.?,?(?:\s+|-)(\d{4})(?:$|[T ,\-–])", re.I
)
_VIETNAMESE = re.compile(r"^(\d{1,2})\s+tháng\s+(\d{1,2})(?:\s+năm|\s*,)?\s+(\d{4})(?:$|\W)", re.I)


def normalize_text(text: str) -> str:
    """Repair and canonicalise one paragraph (or title); see the module's steps.

    >>> normalize_text("Ben Tre\\u00a0 attaches  great importance\\u200b")
    'Ben Tre attaches great importance'
    >>> normalize_text("cafÃ© “quoted” Tom &amp; Jerry")
    'café “quoted” Tom & Jerry'
    >>> normalize_text("line one\\nline two\\u2009!")
    'line one line two !'
    """
    if (
        text.isascii()
        and ("&" not in text or _HTML_ENTITY.search(text) is None)
        and (text.isprintable() or _is_printable_lines(text))
    ):
        # Printable ASCII lines without an entity are a case none of the steps
        # touch but the spaces (no control character, entity, invisible character
        # or decomposed letter can be in them, and ftfy fixes each line alone),
        # and squeezed they are settled.
        if "  " in text or "\n" in text or text[:1] == " " or text[-1:] == " ":
            return " ".join(text.split())
        return text
    for _ in range(_MAX_PASSES):
        fixed = _normalize_once(text)
        if fixed == text:
            break
        text = fixed
    return text


def _normalize_once(text: str) -> str:
    text = _fix_text(text)
    if text.isprintable():
        # No invisible character, joiner or white space but the space is
        # printable (they are format characters or separators): only runs of
        # spaces and spaces at the ends can be left to squeeze.
        if "  " in text or text[:1] == " " or text[-1:] == " ":
            text = " ".join(text.split())
    else:
        if _HAS_INVISIBLE.search(text):
            text = text.translate(_INVISIBLE)
        # str.split() and re's \s agree on what is white space (both ask
        # Py_UNICODE_ISSPACE), and splitting is the cheaper way to squeeze it.
        text = " ".join(text.split())
        if "\u200c" in text or "\u200d" in text:
            text = _JOINER_RUN.sub(r"\1", _JOINERS_AT_EDGE.sub("", text))
    if unicodedata.is_normalized("NFC", text):
        return text
    return unicodedata.normalize("NFC", text)


def _is_printable_lines(text: str) -> bool:
    """Whether ``text`` is printable but for its ``"\\n"`` line breaks."""
    return "\n" in text and text.replace("\n", " ").isprintable()


def _fix_text(text: str) -> str:
    """Run ftfy with ``_FTFY_CONFIG``, only on the lines where it can change something.

    ftfy fixes a text line by line (segments that end after a ``"\\n"``, at
    most ``max_decode_length`` characters), each on its own, and it is the
    identity on a line without a character one of its fixes acts on
    (``_FTFY_TRIGGERS``), already in NFC, and either ASCII or not looking like
    mojibake to ftfy's own test (``is_bad``, the test its encoding fix starts
    with). So a line that passes that cheap test is kept as it is, and ftfy
    runs on the others alone.
    """
    if "\n" not in text:
        return _fix_line(text)
    if len(text) > _FTFY_CONFIG.max_decode_length:
        return ftfy.fix_text(text, _FTFY_CONFIG)
    lines = text.split("\n")
    last = lines.pop()
    fixed = [_fix_line(f"{line}\n") for line in lines]
    if last:
        fixed.append(_fix_line(last))
    return "".join(fixed)


def _fix_line(line: str) -> str:
    if (
        _FTFY_TRIGGERS.search(line) is None
        and ("&" not in line or _HTML_ENTITY.search(line) is None)
        and unicodedata.is_normalized("NFC", line)
        and (line.isascii() or not _looks_bad(line))
    ):
        return line
    return ftfy.fix_text(line, _FTFY_CONFIG)


def _looks_bad(text: str) -> bool:
    """Give ftfy's ``is_bad(text)``, searching only near the non-ASCII characters.

    ``is_bad`` is one search of a large pattern over the whole text, slow on
    a paragraph with a single curly quote. Every branch of the pattern needs
    a non-ASCII character and spans at most ``_BAD_SPAN`` characters, so any
    match lies within ``_BAD_SPAN - 1`` characters of a non-ASCII one. And a
    text whose non-ASCII characters all lie in ``badness.SAFE_SPANS`` (quotes,
    dashes, CJK...) cannot match at all (``cleanpipe.stages.badness``).
    """
    unsafe = badness.unsafe_pattern()
    if unsafe is not None:
        others = text.encode("utf-8", "surrogatepass").translate(None, _ASCII_BYTES)
        if unsafe.search(others.decode("utf-8", "surrogatepass")) is None:
            return False
    search = ftfy.badness.BADNESS_RE.search
    reach = _BAD_SPAN - 1
    start = end = -1
    for run in _NON_ASCII_RUN.finditer(text):
        if end >= 0 and run.start() - reach <= end:
            end = run.end() + reach
            continue
        if end >= 0 and search(text, start, end):
            return True
        start, end = max(run.start() - reach, 0), run.end() + reach
    return end >= 0 and search(text, start, end) is not None


def normalize_date(value: str | None, *, day_first: bool = True) -> str | None:
    """Read a date in one of its common forms and give it as ISO ``YYYY-MM-DD``.

    The forms, and how ambiguous ones are read, are in the module's docstring.
    A date that cannot be read is None.

    >>> normalize_date("13/10/2023"), normalize_date("October 13, 2023")
    ('2023-10-13', '2023-10-13')
    >>> normalize_date("2023-10-13T09:15:00+07:00"), normalize_date("Fri, 13 Oct 2023 09:15 GMT")
    ('2023-10-13', '2023-10-13')
    >>> normalize_date("03/04/2023"), normalize_date("03/04/2023", day_first=False)
    ('2023-04-03', '2023-03-04')
    >>> normalize_date("Thứ Sáu, 13/10/2023 - 09:15"), normalize_date("13 tháng 10 năm 2023")
    ('2023-10-13', '2023-10-13')
    >>> normalize_date("yesterday") is None, normalize_date("13/10/23") is None
    (True, True)
    """
    if value is None:
        return None
    text = _WHITE_SPACE.sub(" ", value).strip()
    text = _DAY_WORD.sub("", _WEEKDAY.sub("", text, count=1), count=1)
    try:
        found = _read_date(text, day_first=day_first)
    except (ValueError, KeyError, OverflowError, OSError):
        return None
    return None if found is None else found.isoformat()


def _read_date(text: str, *, day_first: bool) -> date | None:
    """Match the forms in turn; raise ValueError/KeyError for an impossible date."""
    if match := _ISO.match(text) or _COMPACT.match(text):
        year, month, day = match.group(1, 2, 3)
        return date(int(year), int(month), int(day))
    if match := _YMD.match(text):
        year, month, day = match.group(1, 3, 4)
        return date(int(year), int(month), int(day))
    if match := _NUMERIC.match(text):
        first, second, year = int(match.group(1)), int(match.group(3)), int(match.group(4))
        day, month = (first, second) if day_first else (second, first)
        if month > 12 >= day:  # 10/13/2023 cannot be day-first, nor 13/10/2023 month-first
            day, month = month, day
        return date(year, month, day)
    if match := _MONTH_FIRST.match(text):
        month_name, day, year = match.groups()
        return date(int(year), _MONTHS[month_name.lower()], int(day))
    if match := _DAY_FIRST.match(text):
        day, month_name, year = match.groups()
        return date(int(year), _MONTHS[month_name.lower()], int(day))
    if match := _VIETNAMESE.match(text):
        day, month, year = match.groups()
        return date(int(year), int(month), int(day))
    if match := _EPOCH.match(text):
        seconds = int(match.group(1))
        return datetime.fromtimestamp(seconds, tz=UTC).date()
    return None


def detect_language(text: str, *, title: str | None = None) -> str | None:
    """Give the ISO 639-1 code of the text's language, or None for too little text.

    The answer is py3langid's on a bounded sample: the title and the first
    ``SAMPLE_CHARS`` characters of the text, or only the first ``PROBE_CHARS``
    of those where they decide it by ``MIN_PROBE_MARGIN`` (see
    ``benchmarks/language.py`` for how often it differs from the answer on
    the whole text).

    >>> detect_language("The province hopes to continue receiving support from Japan.")
    'en'
    >>> detect_language("Có 20 chữ cái trong câu này.", title="Tin tức")
    'vi'
    >>> detect_language("OK 2023") is None
    True
    """
    return detect_languages([text], titles=[title])[0]


def detect_languages(
    texts: Sequence[str], *, titles: Sequence[str | None] | None = None
) -> list[str | None]:
    """Give ``detect_language`` of each text (with its title), telling them all at once.

    >>> detect_languages(["Rice exports rose by five percent in May.", "OK"], titles=[None, None])
    ['en', None]
    """
    if titles is None:
        titles = [None] * len(texts)
    samples: list[str] = []
    where: list[int] = []
    for index, (text, title) in enumerate(zip(texts, titles, strict=True)):
        sample = f"{title}\n{text[:SAMPLE_CHARS]}" if title else text[:SAMPLE_CHARS]
        if _has_letters(sample, _MIN_LETTERS):
            samples.append(sample)
            where.append(index)
    codes: list[str | None] = [None] * len(texts)
    probes = language.rank_batch([sample[:PROBE_CHARS] for sample in samples])
    unsure: list[int] = []
    for position, (code, _score, margin) in enumerate(probes):
        if margin >= MIN_PROBE_MARGIN or len(samples[position]) <= PROBE_CHARS:
            codes[where[position]] = code
        else:
            unsure.append(position)
    found = language.classify_batch([samples[position] for position in unsure])
    for position, (code, _score) in zip(unsure, found, strict=True):
        codes[where[position]] = code
    return codes


def _has_letters(text: str, count: int) -> bool:
    """Whether ``text`` holds at least ``count`` letters (stops as soon as it does)."""
    for ch in text:
        if ch.isalpha():
            count -= 1
            if count <= 0:
                return True
    return count <= 0


def normalize_draft(
    draft: Draft, *, config: NormalizeConfig, stripped: StripResult | None = None
) -> Draft:
    """Normalize a draft's paragraphs, title, metadata and date, and detect its language.

    With ``stripped``, the strip stage's result for the draft, its paragraphs
    replace the draft's, and its dateline and source stand in for the draft's
    own when it has none.

    >>> from cleanpipe.models import Origin
    >>> origin = Origin(format="text", path="a.txt", sha256="0" * 64)
    >>> draft = Draft(origin=origin, paragraphs=("Rice\\u00a0exports  rose.", "\\u200b"),
    ...               date="October 13, 2023")
    >>> done = normalize_draft(draft, config=NormalizeConfig())
    >>> done.paragraphs, done.date
    (('Rice exports rose.',), '2023-10-13')
    """
    return normalize_drafts([draft], config=config, stripped=[stripped])[0]


def normalize_drafts(
    drafts: Sequence[Draft],
    *,
    config: NormalizeConfig,
    stripped: Sequence[StripResult | None] | None = None,
) -> list[Draft]:
    """Give ``normalize_draft`` of each draft, telling their languages all at once.

    >>> from cleanpipe.models import Origin
    >>> origin = Origin(format="text", path="a.txt", sha256="0" * 64)
    >>> drafts = [Draft(origin=origin, paragraphs=(text,)) for text in ("Rice exports rose.", "")]
    >>> [d.paragraphs for d in normalize_drafts(drafts, config=NormalizeConfig())]
    [('Rice exports rose.',), ()]
    """
    if stripped is None:
        stripped = [None] * len(drafts)
    fields = [
        _normalize_fields(draft, done, config=config)
        for draft, done in zip(drafts, stripped, strict=True)
    ]
    languages = detect_languages(
        ["\n".join(f["paragraphs"]) for f in fields], titles=[f["title"] for f in fields]
    )
    # One copy of each draft, its every field set at once (a copy per step
    # cost as much as some steps).
    return [
        draft.model_copy(update={**f, "language": code})
        for draft, f, code in zip(drafts, fields, languages, strict=True)
    ]


class _Fields(TypedDict):
    """A draft's fields as normalize_draft sets them, but its language."""

    paragraphs: tuple[str, ...]
    title: str | None
    date: str | None
    source: str | None
    dateline: str | None
    url: str | None
    author: str | None


def _normalize_fields(
    draft: Draft, stripped: StripResult | None, *, config: NormalizeConfig
) -> _Fields:
    """The normalized fields of a draft (with the strip stage's result), but its language."""
    if stripped is None:
        found, dateline, source = draft.paragraphs, draft.dateline, draft.source
    else:
        found = stripped.paragraphs
        dateline = draft.dateline or stripped.dateline
        source = draft.source or stripped.source
    paragraphs = tuple(p for p in (normalize_text(p) for p in found) if p)
    title = normalize_text(draft.title) if draft.title else None
    return _Fields(
        paragraphs=paragraphs,
        title=title or None,
        date=normalize_date(draft.date, day_first=config.day_first),
        source=(normalize_text(source) or None) if source else None,
        dateline=(normalize_text(dateline) or None) if dateline else None,
        url=draft.url.strip() or None if draft.url else None,
        author=(normalize_text(draft.author) or None) if draft.author else None,
    )
