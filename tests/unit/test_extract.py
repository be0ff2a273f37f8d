from __future__ import annotations

import orjson
import pytest

import cleanpipe
from cleanpipe.config import ExtractConfig
from cleanpipe.models import Draft, Origin, RawDocument, Rejection
from cleanpipe.stages.extract import extract, repair_mojibake, split_paragraphs

CONFIG = ExtractConfig()


def _doc(content: str, fmt: str = "text") -> RawDocument:
    origin = Origin(format=fmt, path=f"x.{fmt}", sha256="0" * 64)  # type: ignore[arg-type]
    return RawDocument(origin=origin, content=content)


def _draft(content: str, fmt: str = "text") -> Draft:
    result = extract(_doc(content, fmt), config=CONFIG)
    assert isinstance(result, Draft), result
    return result


def test_date_header_gives_date_and_title() -> None:
    draft = _draft(" date 2023-10-13 Rice exports rise\nFirst paragraph.\nSecond paragraph.")
    assert draft.date == "2023-10-13"
    assert draft.title == "Rice exports rise"
    assert draft.paragraphs == ("First paragraph.", "Second paragraph.")


def test_short_title_line_followed_by_blank_line() -> None:
    draft = _draft("Rice exports rise\n\nFirst paragraph.\n\nSecond paragraph.")
    assert draft.title == "Rice exports rise"
    assert draft.paragraphs == ("First paragraph.", "Second paragraph.")


def test_a_first_sentence_is_not_taken_for_a_title() -> None:
    draft = _draft("Rice exports rose in May.\n\nThe ministry said so.")
    assert draft.title is None
    assert draft.paragraphs == ("Rice exports rose in May.", "The ministry said so.")


def test_hard_wrapped_blocks_are_joined() -> None:
    wrapped = (
        "The province has so far sent 4,000 labourers to work in the\n"
        "Japanese market under contracts, accounting for over 90% of the\n"
        "total number of local workers."
    )
    assert split_paragraphs(wrapped) == (" ".join(wrapped.split("\n")),)


@pytest.mark.parametrize(
    ("content", "field"),
    [
        ('{"title": "T", "text": "Body one.\\nBody two.", "date": "13/10/2023"}', "text"),
        ('{"headline": "T", "body": "Body one.\\nBody two.", "published": "2023-10-13"}', "body"),
        ('{"title": "T", "content": "Body one.\\nBody two."}', "content"),
    ],
    ids=["text", "body", "content"],
)
def test_json_fields(content: str, field: str) -> None:
    draft = _draft(content, "json")
    assert draft.title == "T"
    assert draft.paragraphs == ("Body one.", "Body two."), field


def test_json_html_field_goes_through_trafilatura() -> None:
    html = (
        "<html><body><nav>Home | World</nav><article><h1>Headline</h1>"
        + "".join(
            f"<p>Paragraph number {i} of the story, long enough to be kept.</p>" for i in range(6)
        )
        + "</article></body></html>"
    )
    import orjson

    draft = _draft(orjson.dumps({"html": html, "url": "https://example.org/a"}).decode(), "json")
    assert draft.url == "https://example.org/a"
    assert any("Paragraph number 3" in p for p in draft.paragraphs)
    assert not any("Home | World" in p for p in draft.paragraphs)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ('{"title": "T", "text": ', "malformed-json"),
        ("[1, 2, 3]", "malformed-json"),
        ('{"title": "only a title"}', "malformed-json"),
    ],
    ids=["truncated", "array", "no-text-field"],
)
def test_bad_json_is_rejected_with_a_reason(content: str, reason: str) -> None:
    result = extract(_doc(content, "json"), config=CONFIG)
    assert isinstance(result, Rejection)
    assert result.reason == reason
    assert result.detail


def test_html_without_article_text_is_no_content() -> None:
    result = extract(
        _doc("<html><head><script>var a=1;</script></head></html>", "html"), config=CONFIG
    )
    assert isinstance(result, Rejection)
    assert result.reason == "no-content"


# Issue 13: U+2705 (✅) encoded to UTF-8 and read back as Latin-1, once and
# twice: both hold C1 controls, among them U+0085, which Python splits and
# strips as white space. And the Windows-1252 reading, which holds none.
_CHECK_MARK = "\u2705"
_MOJIBAKE = {
    "latin-1": _CHECK_MARK.encode().decode("latin-1"),
    "latin-1 twice": _CHECK_MARK.encode().decode("latin-1").encode().decode("latin-1"),
    "windows-1252 twice": _CHECK_MARK.encode().decode("cp1252").encode().decode("cp1252"),
}
_WITH_C1 = ["latin-1", "latin-1 twice"]
_SENTENCE = "The council approved the budget on Monday after a long debate in the chamber."


def test_the_mojibake_forms_are_what_the_issue_describes() -> None:
    assert _MOJIBAKE["latin-1"] == "â\x9c\x85"
    assert "\x85" in _MOJIBAKE["latin-1 twice"]
    assert _MOJIBAKE["windows-1252 twice"] == "Ã¢Å“â€¦"


@pytest.mark.parametrize("form", _WITH_C1, ids=_WITH_C1)
@pytest.mark.parametrize("where", ["mid-line", "line end"], ids=["mid-line", "line-end"])
def test_mojibake_with_c1_controls_is_repaired_before_the_text_is_split(
    form: str, where: str
) -> None:
    gap = " " if where == "mid-line" else "\n"
    text = f"A title\n\n{_SENTENCE} Done {_MOJIBAKE[form]}{gap}and more.\n\nAn end."
    draft = _draft(text)
    assert any(f"Done {_CHECK_MARK}" in p for p in draft.paragraphs), draft.paragraphs
    assert not any("\x85" in p or "â" in p for p in draft.paragraphs)


@pytest.mark.parametrize("form", _WITH_C1, ids=_WITH_C1)
def test_mojibake_with_c1_controls_is_repaired_on_the_html_path(form: str) -> None:
    html = (
        "<html><body><article><h1>A title</h1>"
        f"<p>{_SENTENCE} {_SENTENCE} Done {_MOJIBAKE[form]} and more words follow here.</p>"
        f"<p>{_SENTENCE} A second paragraph.</p></article></body></html>"
    )
    for draft in (_draft(html, "html"), _draft(orjson.dumps({"html": html}).decode(), "jsonl")):
        assert any(f"Done {_CHECK_MARK} and" in p for p in draft.paragraphs), draft.paragraphs


@pytest.mark.parametrize("form", list(_MOJIBAKE), ids=list(_MOJIBAKE))
def test_mojibake_is_repaired_in_records(form: str) -> None:
    text = f"{_SENTENCE} Done {_MOJIBAKE[form]}\n{_SENTENCE} More words follow here."
    html = (
        f"<html><body><article><p>{_SENTENCE} Done {_MOJIBAKE[form]} and more.</p>"
        "</article></body></html>"
    )
    for document in (text, {"title": "A title", "text": text}, {"html": html}, html):
        result = cleanpipe.clean([document])
        assert len(result.articles) == 1, result.rejections
        assert f"Done {_CHECK_MARK}" in result.articles[0].text
        assert "â" not in result.articles[0].text


def test_text_without_c1_controls_is_left_to_normalize() -> None:
    assert repair_mojibake("cafÃ© and more") == "cafÃ© and more"
    assert repair_mojibake("plain ascii") == "plain ascii"


@pytest.mark.parametrize(
    ("content", "title", "paragraphs"),
    [
        ("\n\n  \nTitle\n\nBody one.\nBody two.", "Title", ("Body one.", "Body two.")),
        ("Title\n", None, ("Title",)),
        ("Title\n\n\n", None, ("Title",)),
        ("Only one line", None, ("Only one line",)),
        ("Title\nNot blank after\n\nMore.", None, ("Title", "Not blank after", "More.")),
        ("\ufeffTitle\n\nBody.", "Title", ("Body.",)),
        (" date 2023-10-13 Head\n", "Head", None),
    ],
    ids=[
        "leading-blank-lines",
        "title-only",
        "title-blank-lines",
        "one-line",
        "no-blank",
        "bom",
        "header-only",
    ],
)
def test_first_line_conventions(
    content: str, title: str | None, paragraphs: tuple[str, ...] | None
) -> None:
    result = extract(_doc(content), config=CONFIG)
    if paragraphs is None:
        assert isinstance(result, Rejection)
        assert result.reason == "no-content"
        return
    assert isinstance(result, Draft)
    assert (result.title, result.paragraphs) == (title, paragraphs)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("  Spaced  ", "Spaced"),
        (["A", "B"], "A, B"),
        (2023, "2023"),
        (1.5, "1.5"),
        (True, None),
        ([], None),
        (["A", 1], None),
        ({"a": 1}, None),
        ("   ", None),
    ],
    ids=["str", "list", "int", "float", "bool", "empty-list", "mixed-list", "object", "blank"],
)
def test_json_field_values(value: object, expected: str | None) -> None:
    draft = _draft(orjson.dumps({"title": value, "text": "Body."}).decode(), "jsonl")
    assert draft.title == expected
