"""The normaliser: Unicode repair, spaces, dates, language."""

from __future__ import annotations

import re._constants as sre_constants
import re._parser as sre_parse
import unicodedata

import py3langid
import pytest
from ftfy.badness import BADNESS_RE, is_bad

from cleanpipe.config import NormalizeConfig
from cleanpipe.models import Draft, Origin, StripResult
from cleanpipe.stages.normalize import (
    _BAD_SPAN,
    SAMPLE_CHARS,
    _looks_bad,
    detect_language,
    normalize_date,
    normalize_draft,
    normalize_drafts,
    normalize_text,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("cafÃ© au lait", "café au lait", id="mojibake-latin1"),
        pytest.param("Ã©tÃ© Ã  Paris", "été à Paris", id="mojibake-twice"),
        pytest.param("Tom &amp; Jerry", "Tom & Jerry", id="html-entity"),
        pytest.param("1 &lt; 2 &amp;amp; 3", "1 < 2 & 3", id="double-escaped-entity"),
        pytest.param("a < b &amp; c", "a < b & c", id="entity-next-to-markup-char"),
        pytest.param("Ben\u00a0Tre", "Ben Tre", id="no-break-space"),
        pytest.param("Ben\u202fTre\u2009!", "Ben Tre !", id="narrow-and-thin-spaces"),
        pytest.param("Ben\u200bTre\u2060", "BenTre", id="zero-width-space-and-word-joiner"),
        pytest.param("\ufeffHanoi", "Hanoi", id="byte-order-mark"),
        pytest.param("co\u00adoperation", "cooperation", id="soft-hyphen"),
        pytest.param("  many    spaces\t\there  ", "many spaces here", id="runs-of-spaces"),
        pytest.param("wrapped\nline\r\nbreaks\u2028too", "wrapped line breaks too", id="newlines"),
        pytest.param("e\u0301", "é", id="nfc"),
        pytest.param("“curly” ‘quotes’ and „German“", "“curly” ‘quotes’ and „German“", id="quotes"),
        pytest.param("em — dash … ellipsis", "em — dash … ellipsis", id="typography-kept"),
        pytest.param("ﬁnal ﬂow", "final flow", id="ligatures"),
        pytest.param("ＡＢＣ 東京", "ＡＢＣ 東京", id="full-width-kept"),
        pytest.param("bell\x07 and \x1b[31mred\x1b[0m", "bell and red", id="controls"),
        pytest.param("Thủ tướng Phạm Minh Chính", "Thủ tướng Phạm Minh Chính", id="vietnamese"),
        pytest.param("\ud800abc", "\ufffdabc", id="lone-surrogate"),
    ],
)
def test_normalize_text(raw: str, expected: str) -> None:
    assert normalize_text(raw) == expected


@pytest.mark.parametrize(
    "kept",
    [
        pytest.param("می\u200cخواهم", id="persian-zwnj"),
        pytest.param("👩\u200d💻", id="emoji-zwj-sequence"),
        pytest.param("क्\u200dष", id="devanagari-zwj"),
    ],
)
def test_joiners_between_visible_characters_are_kept(kept: str) -> None:
    assert normalize_text(kept) == unicodedata.normalize("NFC", kept)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("\u200dword \u200cnext\u200c", "word next", id="at-edges"),
        pytest.param("a\u200c\u200c\u200db", "a\u200cb", id="run-collapsed"),
    ],
)
def test_stray_joiners_are_removed(raw: str, expected: str) -> None:
    assert normalize_text(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2023-10-13", "2023-10-13"),
        ("2023-10-13T09:15:00+07:00", "2023-10-13"),
        ("2023-10-13T23:30:00Z", "2023-10-13"),
        ("2023-10-13 09:15", "2023-10-13"),
        ("2023-1-5", "2023-01-05"),
        ("2023/10/13", "2023-10-13"),
        ("2023.10.13", "2023-10-13"),
        ("20231013", "2023-10-13"),
        ("13/10/2023", "2023-10-13"),
        ("13-10-2023", "2023-10-13"),
        ("13.10.2023", "2023-10-13"),
        ("13/10/2023 09:15", "2023-10-13"),
        ("13/10/2023, 09:15 GMT+7", "2023-10-13"),
        ("10/13/2023", "2023-10-13"),
        ("October 13, 2023", "2023-10-13"),
        ("Oct. 13, 2023", "2023-10-13"),
        ("Oct 13th 2023", "2023-10-13"),
        ("Friday, October 13, 2023", "2023-10-13"),
        ("october 13 2023 9:15 AM", "2023-10-13"),
        ("13 October 2023", "2023-10-13"),
        ("13th Oct 2023", "2023-10-13"),
        ("13-Oct-2023", "2023-10-13"),
        ("Fri, 13 Oct 2023 09:15:00 +0700", "2023-10-13"),
        ("Sept 1, 2023", "2023-09-01"),
        ("Thứ Sáu, 13/10/2023 - 09:15", "2023-10-13"),
        ("Chủ nhật, 15/10/2023", "2023-10-15"),
        ("ngày 13/10/2023", "2023-10-13"),
        ("13 tháng 10 năm 2023", "2023-10-13"),
        ("ngày 13 tháng 10, 2023", "2023-10-13"),
        ("1697163300", "2023-10-13"),
        ("1697163300000", "2023-10-13"),
        ("  13/10/2023\n", "2023-10-13"),
    ],
)
def test_normalize_date_forms(raw: str, expected: str) -> None:
    assert normalize_date(raw) == expected


def test_ambiguous_numeric_dates_follow_day_first() -> None:
    assert normalize_date("03/04/2023") == "2023-04-03"
    assert normalize_date("03/04/2023", day_first=False) == "2023-03-04"
    # A part above 12 decides the order whatever the setting.
    assert normalize_date("13/10/2023", day_first=False) == "2023-10-13"
    assert normalize_date("10/13/2023", day_first=True) == "2023-10-13"


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "yesterday",
        "13/10/23",
        "2023-10",
        "2023-13-01",
        "31/02/2023",
        "Smarch 13, 2023",
        "2023-10-13abc",
        "13/13/2023",
        "123456",
    ],
)
def test_unreadable_dates_are_none(raw: str | None) -> None:
    assert normalize_date(raw) is None


def test_detect_language() -> None:
    assert detect_language("The province hopes to continue receiving support from Japan.") == "en"
    vietnamese = "Tỉnh Bến Tre mong muốn tiếp tục nhận được sự hỗ trợ của Nhật Bản trong các dự án."
    assert detect_language(vietnamese) == "vi"
    assert detect_language("12 34 56 !!") is None


_ENGLISH = "The province hopes to continue receiving support from Japan in new projects. "
_VIETNAMESE = "Tỉnh Bến Tre mong muốn tiếp tục nhận được sự hỗ trợ của Nhật Bản trong các dự án. "


def test_detect_language_reads_a_bounded_sample() -> None:
    # Only the first SAMPLE_CHARS characters of the body count.
    english_first = _ENGLISH * (SAMPLE_CHARS // len(_ENGLISH) + 1) + _VIETNAMESE * 100
    assert detect_language(english_first) == "en"
    vietnamese_first = _VIETNAMESE * (SAMPLE_CHARS // len(_VIETNAMESE) + 1) + _ENGLISH * 100
    assert detect_language(vietnamese_first) == "vi"


def test_detect_language_reads_the_title_with_the_body() -> None:
    assert detect_language("12 34 56 !!", title="Rice exports rose by five percent in May") == "en"
    assert detect_language("Rice exports rose", title="2023") is None  # 16 letters
    assert detect_language("Rice exports rose", title="in May") == "en"  # 21 letters


def test_detect_language_answers_as_py3langid_on_the_sample() -> None:
    text = _ENGLISH * 30
    title = "Ben Tre looks to boost cooperation with Japanese localities"
    expected = py3langid.classify(f"{title}\n{text[:SAMPLE_CHARS]}")[0]
    assert detect_language(text, title=title) == expected


def test_a_clear_probe_decides_and_an_unsure_one_reads_the_whole_sample(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from cleanpipe.stages import normalize

    titles = [None, "Ben Tre looks to boost cooperation with Japanese localities", None]
    texts = [
        _ENGLISH * 30,
        _VIETNAMESE * 30,
        # English for the probe, Vietnamese after it: the probe is sure, and decides.
        _ENGLISH * 5 + _VIETNAMESE * 30,
    ]
    samples = [
        f"{title}\n{text[:SAMPLE_CHARS]}" if title else text[:SAMPLE_CHARS]
        for text, title in zip(texts, titles, strict=True)
    ]
    whole = [py3langid.classify(sample)[0] for sample in samples]
    probe = [py3langid.classify(sample[: normalize.PROBE_CHARS])[0] for sample in samples]
    assert whole[2] == "vi"
    assert probe[2] == "en"
    assert normalize.detect_languages(texts, titles=titles) == probe
    # A probe never sure enough: every text is told from its whole sample.
    monkeypatch.setattr(normalize, "MIN_PROBE_MARGIN", float("inf"))
    assert normalize.detect_languages(texts, titles=titles) == whole


def test_a_probe_with_a_small_margin_reads_the_whole_sample(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from cleanpipe.stages import language, normalize

    text = _ENGLISH * 5 + _VIETNAMESE * 30
    calls: list[int] = []
    original = language.classify_batch

    def counting(texts: list[str]) -> list[tuple[str, float]]:
        calls.append(len(texts))
        return original(texts)

    monkeypatch.setattr(language, "classify_batch", counting)
    monkeypatch.setattr(normalize, "MIN_PROBE_MARGIN", 1e9)
    assert detect_language(text) == "vi"  # the whole sample
    assert calls == [1]
    calls.clear()
    monkeypatch.setattr(normalize, "MIN_PROBE_MARGIN", 0.0)
    assert detect_language(text) == "en"  # the probe alone
    assert calls == [0]


def test_normalize_draft() -> None:
    origin = Origin(format="text", path="a.txt", sha256="0" * 64)
    draft = Draft(
        origin=origin,
        paragraphs=("Rice\u00a0exports  rose by five percent in May, the ministry said.", "\u200b"),
        title=" Rice &amp; coffee ",
        date="Fri, 13 Oct 2023",
        source="\u00a0",
        dateline="Ben\u00a0Tre",
        url=" https://example.com/a ",
    )
    done = normalize_draft(draft, config=NormalizeConfig())
    assert done.paragraphs == ("Rice exports rose by five percent in May, the ministry said.",)
    assert done.title == "Rice & coffee"
    assert done.date == "2023-10-13"
    assert done.source is None
    assert done.dateline == "Ben Tre"
    assert done.url == "https://example.com/a"
    assert done.language == "en"
    assert normalize_draft(done, config=NormalizeConfig()) == done


def test_normalize_draft_with_the_strip_result() -> None:
    origin = Origin(format="text", path="a.txt", sha256="0" * 64)
    draft = Draft(origin=origin, paragraphs=("Share this", "Body."), source="VNA")
    stripped = StripResult(paragraphs=("Body  text.",), dateline="Hanoi", source="AFP")
    done = normalize_draft(draft, config=NormalizeConfig(), stripped=stripped)
    expected = normalize_draft(
        draft.model_copy(update={"paragraphs": ("Body  text.",), "dateline": "Hanoi"}),
        config=NormalizeConfig(),
    )
    assert done == expected
    assert (done.paragraphs, done.dateline, done.source) == (("Body text.",), "Hanoi", "VNA")


def test_normalize_drafts_equals_normalize_draft_one_by_one() -> None:
    origin = Origin(format="text", path="a.txt", sha256="0" * 64)
    bodies = [
        _ENGLISH,
        "Có 20 chữ cái trong câu này, về xuất khẩu gạo của tỉnh Bến Tre.",
        "OK",
        "",
        "中文新闻报道说，今年的大米出口增长了百分之五。",
        "Rice\u00a0exports  rose.\nRead more:\ncafÃ©",
    ]
    drafts = [
        Draft(origin=origin, paragraphs=(body,), title=title)
        for body in bodies
        for title in (None, "Tin tức")
    ]
    config = NormalizeConfig()
    assert normalize_drafts(drafts, config=config) == [
        normalize_draft(d, config=config) for d in drafts
    ]


def _badness_branches() -> list[object]:
    (operator, (_, branches)), *rest = sre_parse.parse(BADNESS_RE.pattern, BADNESS_RE.flags).data
    assert operator is sre_constants.BRANCH
    assert not rest
    return branches  # type: ignore[no-any-return]


def _only_non_ascii(item: tuple[object, object]) -> bool:
    operator, value = item
    if operator is sre_constants.LITERAL:
        return value >= 128  # type: ignore[operator]
    if operator is sre_constants.IN:
        return all(
            (kind is sre_constants.LITERAL and arg >= 128)
            or (kind is sre_constants.RANGE and arg[0] >= 128)
            for kind, arg in value  # type: ignore[attr-defined]
        )
    return False


def test_ftfy_mojibake_pattern_is_as_the_near_non_ascii_search_assumes() -> None:
    # _looks_bad searches only near non-ASCII characters: sound while every
    # branch needs one, no match is longer than _BAD_SPAN, and the only
    # anchor is the start of the text (which a search from pos respects).
    parsed = sre_parse.parse(BADNESS_RE.pattern, BADNESS_RE.flags)
    assert parsed.getwidth()[1] <= _BAD_SPAN
    for branch in _badness_branches():
        items = branch.data  # type: ignore[attr-defined]
        assert any(_only_non_ascii(item) for item in items), items
        for operator, value in items:
            assert operator in {
                sre_constants.LITERAL,
                sre_constants.IN,
                sre_constants.ANY,
                sre_constants.MAX_REPEAT,
                sre_constants.AT,
            }
            if operator is sre_constants.AT:
                assert value is sre_constants.AT_BEGINNING


@pytest.mark.parametrize(
    "text",
    [
        "",
        "plain",
        "“quoted” — dashed",
        "cafÃ©",
        "Ã ",
        "x Ã ",
        "ГўВЂВ™s",
        "œuvre",
        "œ",
        "a" * 20 + "Ã" + "b" * 20 + "©",
        "Ã" + " " * 10 + "©",
    ],
)
def test_looks_bad_is_ftfy_is_bad(text: str) -> None:
    assert _looks_bad(text) == is_bad(text)
