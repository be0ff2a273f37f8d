"""Characters that ftfy's mojibake test can never match: a cheap screen before the search.

``normalize`` asks ftfy's ``is_bad`` (one search of the large ``BADNESS_RE``) of
every paragraph with a non-ASCII character, which in real text means nearly
every paragraph with a curly quote or a dash: ~10 us a paragraph, the largest
cost of normalizing it. But ``BADNESS_RE`` is built from classes of
characters (accented capitals, box drawing, currency, the Latin-1 letters of
Windows-1252 mojibake...), and most text uses few characters outside ASCII. So
the parse tree of the pattern is read (``re._parser``) and asked whether it
could match any string at all over ASCII and a set of characters
(:func:`can_match`): a branch needs, at each of its places, a character of its
class, and a class that shares nothing with the set rules the branch out. For
``SAFE_SPANS`` (typographic quotes, dashes, bullets, no-break and zero-width
spaces, and the letters of the CJK, Hangul, Kana, Cyrillic lower case,
Hebrew, Arabic, Devanagari, Thai and Vietnamese-extension blocks, and emoji),
the answer is no: a text whose characters all lie in ASCII or these spans
holds no mojibake by ftfy's own test, and the search is skipped.

The answer is proven from the installed ftfy's pattern when first needed (a
few milliseconds); if a later ftfy made some span matchable, the screen turns
itself off (``unsafe_pattern`` gives None) and every text is searched as before.
The analysis over-approximates what can match (it ignores how places depend on
each other), which is the safe direction: it can only keep a span out.
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Iterator, Sequence
from typing import Any

import ftfy.badness

__all__ = ["SAFE_SPANS", "can_match", "unsafe_pattern"]

_ASCII = ((0x00, 0x7F),)
SAFE_SPANS: tuple[tuple[int, int], ...] = (
    *((ord(c), ord(c)) for c in "’‘“”„‟‹›«»"),  # quotes
    *((ord(c), ord(c)) for c in "–—―‐‑‒…•·′″‴°"),  # dashes, ellipsis, bullets, primes, degree
    (0x00A0, 0x00A0),  # no-break space
    (0x00AD, 0x00AD),  # soft hyphen
    (0x200B, 0x200D),  # zero-width space, non-joiner, joiner
    (0x2060, 0x2060),  # word joiner
    (0xFEFF, 0xFEFF),  # byte-order mark
    (0x0430, 0x045F),  # Cyrillic lower case
    (0x0590, 0x05FF),  # Hebrew
    (0x0600, 0x06FF),  # Arabic
    (0x0900, 0x097F),  # Devanagari
    (0x0E00, 0x0E7F),  # Thai
    (0x1EA0, 0x1EFF),  # Latin extended additional (Vietnamese)
    (0x2190, 0x21FF),  # arrows
    (0x2600, 0x27BF),  # symbols and dingbats
    (0x3000, 0x30FF),  # CJK punctuation, Hiragana, Katakana
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xAC00, 0xD7A3),  # Hangul syllables
    (0xFF00, 0xFFEF),  # half- and full-width forms
    (0x1F300, 0x1FAFF),  # emoji
)

_CATEGORIES = {
    "CATEGORY_DIGIT": r"\d",
    "CATEGORY_NOT_DIGIT": r"\D",
    "CATEGORY_SPACE": r"\s",
    "CATEGORY_NOT_SPACE": r"\S",
    "CATEGORY_WORD": r"\w",
    "CATEGORY_NOT_WORD": r"\W",
}


def _chars(spans: Sequence[tuple[int, int]]) -> Iterator[str]:
    for low, high in spans:
        for code in range(low, high + 1):
            yield chr(code)


def _in_spans(code: int, spans: Sequence[tuple[int, int]]) -> bool:
    return any(low <= code <= high for low, high in spans)


def _category(name: object) -> re.Pattern[str]:
    return re.compile(_CATEGORIES[str(name)])


def _item_accepts(item: tuple[Any, Any], char: str) -> bool:
    op, value = item
    if str(op) == "LITERAL":
        return bool(ord(char) == value)
    if str(op) == "RANGE":
        return bool(value[0] <= ord(char) <= value[1])
    if str(op) == "CATEGORY":
        return _category(value).fullmatch(char) is not None
    msg = f"unexpected item {op} in a character class"
    raise ValueError(msg)


def _class_meets(items: Sequence[tuple[Any, Any]], spans: Sequence[tuple[int, int]]) -> bool:
    """Whether the character class ``items`` accepts some character of ``spans``."""
    if items and str(items[0][0]) == "NEGATE":
        body = items[1:]
        return any(not any(_item_accepts(item, c) for item in body) for c in _chars(spans))
    for op, value in items:
        name = str(op)
        if name == "LITERAL" and _in_spans(value, spans):
            return True
        if name == "RANGE" and any(lo <= value[1] and value[0] <= hi for lo, hi in spans):
            return True
        if name == "CATEGORY" and any(_category(value).fullmatch(c) for c in _chars(spans)):
            return True
        if name not in {"LITERAL", "RANGE", "CATEGORY"}:
            msg = f"unexpected item {op} in a character class"
            raise ValueError(msg)
    return False


def can_match(sequence: Sequence[tuple[Any, Any]], spans: Sequence[tuple[int, int]]) -> bool:
    """Whether the parsed pattern ``sequence`` might match a string of characters in ``spans``.

    False is a proof that it cannot; True only that the analysis cannot rule it out.

    >>> tree = list(importlib.import_module("re._parser").parse("ab[cd]|x+y"))
    >>> can_match(tree, [(ord("a"), ord("c"))]), can_match(tree, [(ord("a"), ord("b"))])
    (True, False)
    """
    for op, value in sequence:
        name = str(op)
        if name == "LITERAL":
            if not _in_spans(value, spans):
                return False
        elif name == "IN":
            if not _class_meets(value, spans):
                return False
        elif name == "SUBPATTERN":
            if not can_match(value[3], spans):
                return False
        elif name == "BRANCH":
            if not any(can_match(branch, spans) for branch in value[1]):
                return False
        elif name in {"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"}:
            if value[0] > 0 and not can_match(value[2], spans):
                return False
        elif name == "ASSERT":
            if not can_match(value[1], spans):
                return False
        elif name not in {"NOT_LITERAL", "ANY", "AT", "ASSERT_NOT"}:
            msg = f"unexpected node {op} in the pattern"
            raise ValueError(msg)
    return True


@functools.cache
def unsafe_pattern() -> re.Pattern[str] | None:
    """A pattern that finds a character outside ``SAFE_SPANS``, or None if they are not safe.

    >>> pattern = unsafe_pattern()
    >>> pattern is not None and pattern.search("’“—") is None and bool(pattern.search("Ã©"))
    True
    """
    # The standard library's own regex parser (no stubs: typed as Any here).
    parser: Any = importlib.import_module("re._parser")
    tree = list(parser.parse(ftfy.badness.BADNESS_RE.pattern, ftfy.badness.BADNESS_RE.flags))
    try:
        if can_match(tree, (*_ASCII, *SAFE_SPANS)):
            return None
    except ValueError:  # a construct the analysis does not know: no screen
        return None
    ranges = "".join(f"{re.escape(chr(lo))}-{re.escape(chr(hi))}" for lo, hi in SAFE_SPANS)
    return re.compile(f"[^\\x00-\\x7f{ranges}]")
