"""Canonical JSON: deterministic, sorted, compact, UTF-8 unescaped, and round-tripping."""

from __future__ import annotations

import json
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from cleanpipe.models import Article, Origin, Rejection, Report, Timings
from cleanpipe.write import canonical_json, jsonl_bytes, report_bytes

# Text as it can reach a record: any Unicode but lone surrogates (the decoder
# never yields them and ftfy replaces any that JSON input smuggles in).
_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
_OPT_TEXT = st.none() | _TEXT

# Counts stay within 2**53, the integers every JSON reader holds exactly.
_COUNT = st.integers(min_value=0, max_value=2**53)

_ORIGINS = st.builds(
    Origin,
    format=st.sampled_from(["text", "html", "json", "jsonl", "warc"]),
    line=st.none() | st.integers(min_value=1, max_value=10**9),
    path=_TEXT,
    sha256=st.text("0123456789abcdef", min_size=64, max_size=64),
)
_ARTICLES = st.builds(
    Article,
    dateline=_OPT_TEXT,
    date=st.none() | st.dates().map(lambda d: d.isoformat()),
    id=st.text("0123456789abcdef", min_size=16, max_size=16),
    language=_OPT_TEXT,
    origins=st.lists(_ORIGINS, min_size=1, max_size=4).map(tuple),
    source=_OPT_TEXT,
    text=_TEXT.filter(bool),
    title=_OPT_TEXT,
    url=_OPT_TEXT,
    word_count=_COUNT,
)
_SECONDS = st.floats(min_value=0, max_value=1e7, allow_nan=False, allow_infinity=False)
_REPORTS = st.builds(
    Report,
    inputs=_COUNT,
    records=_COUNT,
    merged=_COUNT,
    rejected=_COUNT,
    rejects_by_reason=st.dictionaries(_TEXT, _COUNT, max_size=5),
    removed_by_rule=st.dictionaries(_TEXT, _COUNT, max_size=5),
    cluster_sizes=st.dictionaries(_TEXT, _COUNT, max_size=5),
    timings=st.builds(Timings, total=_SECONDS, dedup=_SECONDS, write=_SECONDS),
)


def _keys_sorted(value: Any) -> bool:
    if isinstance(value, dict):
        keys = list(value)
        return keys == sorted(keys) and all(_keys_sorted(v) for v in value.values())
    if isinstance(value, list):
        return all(_keys_sorted(v) for v in value)
    return True


@settings(max_examples=300, deadline=None)
@given(_ARTICLES)
def test_article_round_trips_byte_for_byte(article: Article) -> None:
    data = canonical_json(article)
    again = Article.model_validate_json(data)
    assert again == article
    assert canonical_json(again) == data


@settings(max_examples=200, deadline=None)
@given(_ARTICLES)
def test_canonical_form_is_deterministic_whatever_the_key_order(article: Article) -> None:
    data = canonical_json(article)
    shuffled = dict(reversed(list(article.model_dump(mode="json").items())))
    assert canonical_json(Article.model_validate(shuffled)) == data
    assert canonical_json(article.model_copy()) == data


@settings(max_examples=300, deadline=None)
@given(_ARTICLES)
def test_canonical_form_is_sorted_compact_and_unescaped(article: Article) -> None:
    data = canonical_json(article)
    parsed = json.loads(data)
    assert _keys_sorted(parsed)
    # No insignificant white space: the compact re-encoding of the parse is identical.
    compact = json.dumps(parsed, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    assert data == compact.encode("utf-8")
    # UTF-8 as is: a string is escaped only where JSON must (quote, backslash, controls).
    for string in _strings(parsed):
        if not any(ord(ch) < 0x20 for ch in string):
            written = '"' + string.replace("\\", "\\\\").replace('"', '\\"') + '"'
            assert written.encode("utf-8") in data
    assert b"\n" not in data


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [*value, *(s for v in value.values() for s in _strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def test_non_ascii_is_written_as_utf8() -> None:
    text = "Bến Tre “quoted” — 東京 👩\u200d💻"
    article = Article(
        dateline=None,
        date=None,
        id="0" * 16,
        language="vi",
        origins=(Origin(format="text", path="bến.txt", sha256="0" * 64),),
        source=None,
        text=text,
        title=None,
        url=None,
        word_count=5,
    )
    data = canonical_json(article)
    assert text.encode("utf-8") in data
    assert b"\\u" not in data


@settings(max_examples=200, deadline=None)
@given(st.lists(_ARTICLES, max_size=5))
def test_jsonl_is_one_canonical_line_per_record(articles: list[Article]) -> None:
    data = jsonl_bytes(articles)
    lines = data.split(b"\n")
    assert lines[-1] == b""
    assert [Article.model_validate_json(line) for line in lines[:-1]] == articles
    assert data == jsonl_bytes(articles)


@settings(max_examples=200, deadline=None)
@given(_REPORTS)
def test_report_round_trips_with_stable_numbers(report: Report) -> None:
    data = report_bytes(report)
    # Timings are not written (they differ between runs of the same input).
    assert Report.model_validate_json(data) == report.model_copy(update={"timings": Timings()})
    assert report_bytes(Report.model_validate_json(data)) == data
    # Integers are written as integers, floats in their shortest round-tripping form.
    parsed = orjson.loads(data)
    assert parsed["inputs"] == report.inputs
    assert isinstance(parsed["inputs"], int)
    assert "timings" not in parsed
    timings = orjson.loads(canonical_json(report.timings))  # as timings.json holds them
    assert isinstance(timings["total"], float)
    assert timings["total"] == report.timings.total  # exact: the shortest repr round-trips


def test_number_formatting_examples() -> None:
    report = Report(
        inputs=2,
        records=1,
        merged=1,
        rejected=0,
        rejects_by_reason={},
        removed_by_rule={},
        cluster_sizes={"2": 1},
        timings=Timings(total=0.1, dedup=1e-7, write=3.0),
    )
    data = canonical_json(report.timings)
    assert b'"total":0.1' in data
    assert b'"write":3.0' in data
    assert b'"dedup":1e-7' in data
    assert b'"inputs":2,' in canonical_json(report)


def test_rejection_line_shape() -> None:
    data = canonical_json(Rejection(detail="vide", path="é.txt", reason="empty"))
    assert data == '{"detail":"vide","line":null,"path":"é.txt","reason":"empty"}'.encode()
