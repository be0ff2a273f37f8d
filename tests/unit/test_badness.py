"""The screen of ftfy's mojibake test: characters its pattern can never match."""

from __future__ import annotations

import importlib

import ftfy.badness
from hypothesis import given, settings
from hypothesis import strategies as st

from cleanpipe.stages import badness
from cleanpipe.stages.normalize import _looks_bad

_TREE = list(
    importlib.import_module("re._parser").parse(
        ftfy.badness.BADNESS_RE.pattern, ftfy.badness.BADNESS_RE.flags
    )
)
_ASCII = [(0, 0x7F)]


def test_the_safe_spans_are_proven_safe_for_the_installed_ftfy() -> None:
    assert not badness.can_match(_TREE, [*_ASCII, *badness.SAFE_SPANS])
    assert badness.unsafe_pattern() is not None


def test_the_analysis_sees_what_mojibake_needs() -> None:
    # Each of these (with ASCII) lets ftfy's pattern match something.
    for chars in ("Ã©", "â€™", "Â", "Ð°", "В°Г"):
        spans = [*_ASCII, *((ord(c), ord(c)) for c in chars)]
        assert badness.can_match(_TREE, spans), chars
        text = {"Ã©": "cafÃ©", "â€™": "donâ€™t", "Â": "price Â £", "Ð°": "Ð°Ð°"}.get(chars)
        if text:
            assert ftfy.badness.is_bad(text)


def test_the_unsafe_pattern_finds_what_is_not_in_the_spans() -> None:
    pattern = badness.unsafe_pattern()
    assert pattern is not None
    assert pattern.search("“Quoted” — 中文 한국어 привет …") is None
    for char in ("Ã", "é", "€", "Б", "\x85"):
        assert pattern.search(char), char


_SAFE_CHARS = st.sampled_from(
    [chr(lo + (hi - lo) // 2) for lo, hi in badness.SAFE_SPANS]
    + [chr(lo) for lo, _ in badness.SAFE_SPANS]
    + [chr(hi) for _, hi in badness.SAFE_SPANS]
)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.one_of(st.characters(codec="ascii"), _SAFE_CHARS), max_size=40).map("".join))
def test_text_of_safe_characters_is_never_bad_to_ftfy(text: str) -> None:
    assert not ftfy.badness.is_bad(text)
    assert not _looks_bad(text)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(st.characters(codec="ascii"), _SAFE_CHARS, st.sampled_from(["Ã", "©", "Â", "é"])),
        max_size=30,
    ).map("".join)
)
def test_looks_bad_is_is_bad_with_and_without_the_screen(text: str) -> None:
    assert _looks_bad(text) == ftfy.badness.is_bad(text)
