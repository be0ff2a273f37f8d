"""Properties of the normaliser: idempotent, and its output is canonical."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

import ftfy
import ftfy.badness
import ftfy.chardata
from hypothesis import example, given, settings
from hypothesis import strategies as st

from cleanpipe.config import StripConfig
from cleanpipe.models import Draft, Origin
from cleanpipe.stages.merge import paragraph_words, word_count
from cleanpipe.stages.normalize import (
    _FTFY_CONFIG,
    INVISIBLE_CHARS,
    _fix_text,
    _looks_bad,
    normalize_date,
    normalize_text,
)
from cleanpipe.stages.repeated import line_keys

# Text with the characters the normaliser cares about mixed into ordinary text.
_TRICKY = st.sampled_from(
    [
        "\u00a0",
        "\u200b",
        "\u200c",
        "\u200d",
        "\ufeff",
        "\u00ad",
        "\u2028",
        "\n",
        "\t",
        "  ",
        "&amp;",
        "&lt;",
        "&",
        ";",
        "Ã©",
        "Ã",
        "â€™",
        "e\u0301",
        "ﬁ",
        "“",
        "’",
        "\x1b[0m",
        "\x85",
    ]
)
_TEXT = st.lists(st.one_of(st.text(max_size=8), _TRICKY), max_size=20).map("".join)


@settings(max_examples=400, deadline=None)
@given(_TEXT)
@example("a &amp;amp;lt; b")
@example("Ã\u200b©")
def test_normalize_text_is_idempotent(text: str) -> None:
    once = normalize_text(text)
    assert normalize_text(once) == once


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_normalize_text_output_is_canonical(text: str) -> None:
    out = normalize_text(text)
    assert unicodedata.is_normalized("NFC", out)
    assert out == out.strip()
    assert "  " not in out
    assert not any(ch.isspace() and ch != " " for ch in out)
    assert not set(out) & set(INVISIBLE_CHARS)


@settings(max_examples=300, deadline=None)
@given(st.lists(_TEXT, min_size=1, max_size=5))
def test_paragraph_words_counts_the_words_of_normalized_paragraphs(texts: list[str]) -> None:
    # The work folder stores paragraph_words as a record's word_count.
    paragraphs = [p for p in map(normalize_text, texts) if p]
    assert paragraph_words(paragraphs) == word_count("\n\n".join(paragraphs))


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_normalize_date_is_idempotent(value: str) -> None:
    once = normalize_date(value)
    if once is not None:
        assert normalize_date(once) == once
        assert date.fromisoformat(once).isoformat() == once


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=date(1000, 1, 1)), st.sampled_from(["iso", "dmy", "long", "rfc"]))
def test_normalize_date_reads_what_it_should(day: date, form: str) -> None:
    months = ["January", "February", "March", "April", "May", "June", "July",
              "August", "September", "October", "November", "December"]  # fmt: skip
    text = {
        "iso": day.isoformat() + "T09:15:00+07:00",
        "dmy": f"{day.day:02d}/{day.month:02d}/{day.year:04d}",
        "long": f"{months[day.month - 1]} {day.day}, {day.year:04d}",
        "rfc": f"{day.strftime('%a')}, {day.day} {months[day.month - 1][:3]} {day.year:04d}",
    }[form]
    assert normalize_date(text) == day.isoformat()


def _reference_normalize_text(text: str) -> str:
    """normalize_text as it was before its fast paths: every step on every text."""
    for _ in range(5):
        fixed = ftfy.fix_text(text, _FTFY_CONFIG)
        fixed = fixed.translate(dict.fromkeys(map(ord, INVISIBLE_CHARS), None))
        fixed = re.sub(r"\s+", " ", fixed).strip()
        fixed = re.sub(r"(?:(?<=\s)|^)[\u200c\u200d]+|[\u200c\u200d]+(?=\s|$)", "", fixed)
        fixed = re.sub(r"([\u200c\u200d])[\u200c\u200d]+", r"\1", fixed)
        fixed = unicodedata.normalize("NFC", fixed)
        if fixed == text:
            break
        text = fixed
    return text


# Every character ftfy's fixes act on, and the mojibake its test looks for.
_PROBLEMS = st.sampled_from(
    [
        *map(chr, sorted(ftfy.chardata.CONTROL_CHARS)),
        *map(chr, sorted(ftfy.chardata.LIGATURES)),
        *(chr(code) for code in range(0x80, 0xA0)),
        "\ud800",
        "\udc00",
        "\ud83d\ude00",
        "\r\n",
        "\r",
        "\u2028",
        "\u2029",
        "&amp;",
        "&#x2019;",
        "&EACUTE;",
        "&",
        "AT&T",
        "&nbsp",
        ";",
        "&#8217;",
        "&notanentity",
        "\u2060",
        "\ufeff",
        "\u00ad",
        "\u3000",
        "\x1b[31m",
        "âœ…",
        "âœ\x85",
        "Ã¢Å“â€¦",
        "Ã¢Â\x9cÂ\x85",
        "cafÃ©",
        "Â ",
        "Ã ",
        "â€”",
        "Ð¿Ñ€Ð¸Ð²ÐµÑ‚",
        "e\u0301",
        "\u0301",
        "Å",
        "A\u030a",
        "“quoted”",
        "người Việt",
        "中文",
        "\u200c",
        "\u200d",
        "\u200b",
        "\xa0",
        " ",
        "\n",
        "\n\n",
        "Read more:\n",
    ]
)
_PROBLEM_TEXT = st.lists(
    st.one_of(st.text(max_size=6), _PROBLEMS, st.sampled_from(["the ", "and ", ". "])),
    max_size=24,
).map("".join)


@settings(max_examples=1500, deadline=None)
@given(_PROBLEM_TEXT)
@example("plain ascii words only")
@example("Done âœ\x85 now")
@example("a\x85b")
@example("ﬁne ﬂow")
@example("Read more:\nOne line\nTwo  lines\n")
@example("plain line\ncafÃ© line\n\n&amp; line")
@example("\n")
def test_fast_paths_give_the_reference_output(text: str) -> None:
    assert normalize_text(text) == _reference_normalize_text(text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_fast_paths_give_the_reference_output_on_any_text(text: str) -> None:
    assert normalize_text(text) == _reference_normalize_text(text)


@settings(max_examples=1000, deadline=None)
@given(_PROBLEM_TEXT)
def test_looks_bad_is_ftfy_is_bad(text: str) -> None:
    assert _looks_bad(text) == ftfy.badness.is_bad(text)


@settings(max_examples=1000, deadline=None)
@given(_PROBLEM_TEXT)
@example("plain line\ncafÃ© line\n\n&amp; line\n")
@example("a\r\nb\n")
def test_fix_text_line_by_line_is_ftfy(text: str) -> None:
    assert _fix_text(text) == ftfy.fix_text(text, _FTFY_CONFIG)


@settings(max_examples=300, deadline=None)
@given(st.lists(_TEXT, min_size=1, max_size=8), st.integers(min_value=1, max_value=6))
def test_line_keys_of_normalized_paragraphs_take_the_short_cut_to_the_same_keys(
    texts: list[str], most: int
) -> None:
    paragraphs = tuple(p for p in map(normalize_text, texts) if p)
    draft = Draft(
        origin=Origin(format="text", path="a.txt", sha256="0" * 64), paragraphs=paragraphs
    )
    config = StripConfig(repeated_line_max_words=most)
    assert line_keys(draft, config=config, normalized=True) == line_keys(draft, config=config)
