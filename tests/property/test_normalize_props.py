"""Properties of the normaliser: idempotent, and its output is canonical."""

from __future__ import annotations

import unicodedata
from datetime import date

from hypothesis import example, given, settings
from hypothesis import strategies as st

from cleanpipe.stages.normalize import INVISIBLE_CHARS, normalize_date, normalize_text

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
