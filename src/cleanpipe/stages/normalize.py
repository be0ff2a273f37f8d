"""Normalize: a stripped ``Draft`` in, the same draft in canonical form out.

Text: ftfy repairs (mojibake, stray HTML entities), Unicode NFC, no-break and
zero-width spaces, runs of spaces; quotes are kept as published. Dates: their
common forms to ISO ``YYYY-MM-DD``. Language: ISO 639-1 by py3langid.
Every function here is idempotent. Nothing is dropped: a date that cannot be
read becomes ``None``.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

import ftfy
import py3langid

from cleanpipe.config import NormalizeConfig
from cleanpipe.models import Draft

# Zero-width and formatting characters that carry nothing in running text.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
# Spaces of every width become a plain space.
_SPACE_LIKE = re.compile(r"[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
_FTFY_CONFIG = ftfy.TextFixerConfig(
    uncurl_quotes=False,  # quotes as published: no lossy ASCII folding
    fix_latin_ligatures=False,
    fix_character_width=False,
    normalization="NFC",
    explain=False,
)

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
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_SLASHED = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})(?:[T ,].*)?$")
_YMD_SLASHED = re.compile(r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})(?:[T ,].*)?$")
_MONTH_FIRST = re.compile(
    r"^(?:\w+,?\s+)?([A-Za-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})"
)
_DAY_FIRST = re.compile(r"^(?:\w+,?\s+)?(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]{3,9})\.?,?\s+(\d{4})")


def normalize_text(text: str) -> str:
    """Repair and canonicalise one paragraph (or title).

    >>> normalize_text("Ben Tre\\u00a0 attaches  great importance\\u200b")
    'Ben Tre attaches great importance'
    >>> normalize_text("cafÃ© “quoted”")
    'café “quoted”'
    """
    text = ftfy.fix_text(text, _FTFY_CONFIG)
    text = unicodedata.normalize("NFC", text.translate(_INVISIBLE))
    return _SPACE_LIKE.sub(" ", text).strip()


def normalize_date(value: str | None, *, day_first: bool = True) -> str | None:
    """Read a date in one of its common forms and give it as ISO ``YYYY-MM-DD``.

    Numeric dates with both parts ≤ 12 (``03/04/2023``) are ambiguous: read
    day-first unless ``day_first`` is off. A date that cannot be read is None.

    >>> normalize_date("13/10/2023"), normalize_date("October 13, 2023")
    ('2023-10-13', '2023-10-13')
    >>> normalize_date("2023-10-13T09:15:00+07:00"), normalize_date("13 Oct 2023")
    ('2023-10-13', '2023-10-13')
    >>> normalize_date("yesterday") is None
    True
    """
    if value is None:
        return None
    text = value.strip()
    for pattern, order in (
        (_ISO, "ymd"),
        (_COMPACT, "ymd"),
        (_YMD_SLASHED, "ymd"),
        (_SLASHED, "dmy" if day_first else "mdy"),
        (_MONTH_FIRST, "Mdy"),
        (_DAY_FIRST, "dMy"),
    ):
        match = pattern.match(text)
        if match is None:
            continue
        parts = match.groups()
        try:
            if order == "ymd":
                found = date(int(parts[0]), int(parts[1]), int(parts[2]))
            elif order in {"dmy", "mdy"}:
                day, month = (parts[0], parts[1]) if order == "dmy" else (parts[1], parts[0])
                if int(month) > 12 >= int(day):  # 10/13/2023 cannot be day-first
                    day, month = month, day
                found = date(int(parts[2]), int(month), int(day))
            elif order == "Mdy":
                found = date(int(parts[2]), _MONTHS[parts[0].lower()], int(parts[1]))
            else:
                found = date(int(parts[2]), _MONTHS[parts[1].lower()], int(parts[0]))
        except (ValueError, KeyError):
            continue
        return found.isoformat()
    try:
        return datetime.fromisoformat(text).date().isoformat()
    except ValueError:
        return None


def detect_language(text: str) -> str | None:
    """Give the ISO 639-1 code of the text's language, or None for too little text.

    >>> detect_language("The province hopes to continue receiving support from Japan.")
    'en'
    """
    sample = text[:5000]
    if sum(ch.isalpha() for ch in sample) < 20:
        return None
    code, _score = py3langid.classify(sample)
    return str(code)


def normalize_draft(draft: Draft, *, config: NormalizeConfig) -> Draft:
    """Normalize a draft's paragraphs, title, metadata and date, and detect its language."""
    paragraphs = tuple(p for p in (normalize_text(p) for p in draft.paragraphs) if p)
    title = normalize_text(draft.title) if draft.title else None
    return draft.model_copy(
        update={
            "paragraphs": paragraphs,
            "title": title or None,
            "date": normalize_date(draft.date, day_first=config.day_first),
            "source": normalize_text(draft.source) if draft.source else None,
            "dateline": normalize_text(draft.dateline) if draft.dateline else None,
            "url": draft.url.strip() if draft.url else None,
            "author": normalize_text(draft.author) if draft.author else None,
            "language": detect_language("\n".join(paragraphs)),
        }
    )
