"""The screen of the line rules lets through every paragraph some line rule takes.

``strip._might_be_a_line`` is a speed-up: a paragraph it rules out never meets
the line rules. It must be a necessary condition of every rule's test, or a
boilerplate line would be kept. Checked on strings generated from the rules'
own patterns (ASCII: the screen applies to ASCII paragraphs only), on every
string of the rules' unit tests, and on the lines of real article text.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cleanpipe.stages import strip

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "benchmarks"

LINE_RULES = [
    (name, rule) for name, rule in strip.RULES.items() if isinstance(rule, strip._LineRule)
]


def taken_by(paragraph: str) -> list[str]:
    """The line rules whose test takes ``paragraph`` (as _drop_lines asks them)."""
    words = strip._count_words(paragraph)
    return [name for name, rule in LINE_RULES if words <= rule.max_words and rule.test(paragraph)]


def check(paragraph: str) -> None:
    paragraph = paragraph.strip()
    if not paragraph:
        return
    rules = taken_by(paragraph)
    if rules:
        assert strip._might_be_a_line(paragraph, strip._count_words(paragraph)), (
            f"the screen rules out {paragraph!r}, which {rules} take"
        )


def test_every_line_rule_is_screened() -> None:
    # A new line rule must have its needs in the screen (see strip.py).
    assert {name for name, _ in LINE_RULES} == strip._SCREENED_RULES


_PATTERNS = [
    strip._TEASER_LINE,
    strip._SHARE,
    strip._SHARE_END,
    strip._ADVERTISEMENT,
    strip._NEWSLETTER,
    strip._COOKIE,
    strip._SOCIAL,
    strip._CREDIT_LINE,
    strip._COPYRIGHT,
    strip._DATE,
    strip._NAV,
    strip._CAPTION_PAREN,
    strip._CAPTION_LABEL,
    strip._CAPTION_GLUED,
]
_ALPHABETS = {
    "ascii": st.characters(codec="ascii"),
    "latin": st.characters(max_codepoint=0x2FF),
    "any": st.characters(exclude_categories=("Cs",)),
}


@pytest.mark.parametrize("alphabet", list(_ALPHABETS))
@pytest.mark.parametrize("pattern", _PATTERNS, ids=lambda p: p.pattern[:24])
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_strings_of_the_rules_patterns_pass_the_screen(
    pattern: re.Pattern[str], alphabet: str, data
) -> None:
    text = data.draw(st.from_regex(pattern, alphabet=_ALPHABETS[alphabet]))
    check(text)
    # The same line alone: a match of an anchored pattern needs no prefix.
    check(text.split("\n")[0])


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "Read more",
                "Photo",
                "(Photo: VNA)",
                "Reuters",
                "by",
                "By",
                "Reporting by",
                "contributed",
                "Source:",
                "cookies",
                "newsletter",
                "©",
                "Copyright",
                "2023",
                "Oct. 13",
                ":",
                "-",
                "[",
                "(",
                ")",
                ".",
                "@",
                "example.com",
                "SEE MORE",
                "THE",
                "HEADLINE",
                "Click to Tweet",
                "Share",
                "Advertisement",
                "Tags",
                "the",
                "council",
                "approved",
                "budget",
                " ",
                "  ",
                "\t",
            ]
        ),
        min_size=1,
        max_size=20,
    ).map(" ".join)
)
def test_mixed_pieces_pass_the_screen_when_a_rule_takes_them(text: str) -> None:
    check(text)


def _test_strings() -> list[str]:
    """Every string literal of the rules' unit tests (their positive and negative cases)."""
    tree = ast.parse((ROOT / "tests" / "unit" / "test_strip_rules.py").read_text(encoding="utf-8"))
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]


def test_the_rules_unit_test_strings_pass_the_screen() -> None:
    strings = _test_strings()
    taken = [s for s in strings if taken_by(s.strip())]
    assert len(taken) > 50  # the positive cases are there
    for text in strings:
        check(text)


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/benchmarks is not beside the checkout")
def test_real_lines_pass_the_screen() -> None:
    lines: list[str] = []
    truth = json.loads((SHARED / "article-extraction" / "ground-truth.json").read_text())
    for entry in truth.values():
        lines.extend(entry["articleBody"].split("\n"))
    wcxb = json.loads((SHARED / "wcxb-dev" / "truth.json").read_text())
    for entry in wcxb.values():
        lines.extend((entry.get("text") or "").split("\n"))
    assert len(lines) > 10_000
    for line in lines:
        check(line)


def _literal_words(pattern: str) -> list[str]:
    """The alternatives of a ``|``-joined pattern that are plain words, and their variants."""
    found = []
    for alternative in re.split(r"\|(?![^(]*\))", pattern):
        plain = re.sub(r"\(\?:([^)]*)\)\??", lambda m: m.group(1).split("|")[0], alternative)
        plain = plain.replace("'?", "'").replace("s?", "s").replace("\\", "")
        if re.fullmatch(r"[\w' ]+", plain):
            found.extend({plain, plain.replace("'", "")})
    return found


@pytest.mark.parametrize("words", _literal_words(strip._TEASER_WORDS))
def test_every_teaser_header_word_passes_the_screen_as_a_teaser_line(words: str) -> None:
    for line in (f"{words}: Council approves budget", f"[{words.upper()} - Council approves]"):
        assert taken_by(line), line  # the rule takes it...
        check(line)  # ...and the screen lets it through


@pytest.mark.parametrize(
    "line",
    [
        "Heavy rain in the city ảnh 1Residents wade through a flooded street",
        "© 2023 Vietnam News Agency",
        "Reporting by Jane Doe; Editing by John Roe",
        "Sign up for our morning briefing",
        "Story continues below advertisement",
        "Tin liên quan: Lũ lụt ở miền Trung",
        "Читайте также: новости дня",
        "[Related: Five things to know about the budget]",
        "Workers clear debris from a street in Hue. (Illustrative image)",
        "Traders work on the floor of the exchange in New York.Reuters",
    ],
)
def test_each_kind_of_line_passes_the_screen(line: str) -> None:
    assert taken_by(line), line  # a rule takes it...
    assert strip._might_be_a_line(line, strip._count_words(line))  # ...and it gets through


@pytest.mark.parametrize(
    "prose",
    [
        "The provincial council approved the budget on Monday after a long debate.",
        "“We will keep working,” the minister said, adding that exports of rice and coffee rose"
        " by 5% in the first half of the year.",
        "In the past decade, the province has attracted 40 foreign projects worth more than"
        " two billion US dollars, mostly in processing.",
        "This year’s harvest was the largest since records began in 1976, the provincial"
        " agriculture department said on Friday.",
        "Hội đồng nhân dân tỉnh đã thông qua ngân sách vào thứ Hai sau một cuộc tranh luận dài.",
    ],
)
def test_prose_does_not_pass_the_screen(prose: str) -> None:
    # The screen's point: ordinary paragraphs never meet the rules (a short
    # one with a digit does, as a timestamp might: these are longer).
    assert not strip._might_be_a_line(prose, strip._count_words(prose))


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/benchmarks is not beside the checkout")
def test_real_documents_strip_the_same_with_and_without_the_screen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    docs: list[list[str]] = []
    truth = json.loads((SHARED / "article-extraction" / "ground-truth.json").read_text())
    docs += [entry["articleBody"].split("\n") for entry in truth.values()]
    wcxb = json.loads((SHARED / "wcxb-dev" / "truth.json").read_text())
    docs += [(entry.get("text") or "").split("\n") for entry in wcxb.values()]
    screened = [strip.strip_boilerplate(doc) for doc in docs]
    monkeypatch.setattr(strip, "_SCREENED_RULES", frozenset())  # every paragraph meets the rules
    assert [strip.strip_boilerplate(doc) for doc in docs] == screened
