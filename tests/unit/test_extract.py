from __future__ import annotations

import pytest

from cleanpipe.config import ExtractConfig
from cleanpipe.models import Draft, Origin, RawDocument, Rejection
from cleanpipe.stages.extract import extract, split_paragraphs

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
