"""Fuzzing the stage functions with arbitrary bytes and text: no unexpected exception, ever.

Each stage must turn anything into its documented outcome (a document, a draft,
a rejection with a known reason); stripping never adds text; normalize is
idempotent; what decoding yields can always be written as canonical JSON.
"""

from __future__ import annotations

import gzip
import re

import ftfy
import orjson
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cleanpipe.config import ExtractConfig, ReadConfig
from cleanpipe.models import REJECT_REASONS, Article, Draft, Origin, RawDocument, Rejection
from cleanpipe.read import decode_input
from cleanpipe.stages.extract import _REPAIR_CONFIG, extract, repair_mojibake, split_paragraphs
from cleanpipe.stages.normalize import normalize_text
from cleanpipe.stages.strip import strip_boilerplate
from cleanpipe.write import canonical_json

_SETTINGS = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_NAMES = st.sampled_from(
    ["a.txt", "a.html", "a.json", "a.jsonl", "a.md", "a", "a.txt.gz", "a.jsonl.gz", "A.HTM"]
)
_SNIPPETS = st.sampled_from(
    [
        b"\xef\xbb\xbf",
        b"\xff\xfe",
        b"\xfe\xff",
        b"\x1f\x8b",
        b"<html><body><p>",
        b"</p>",
        b'{"text": "',
        b'"}\n',
        b"\r\n",
        b"\r",
        b"\x00",
        "Vi\u1ec7t".encode(),
        "caf\u00e9 \u20ac".encode("cp1252"),
        b"<!DOCTYPE x [<!ENTITY a 'b'>]>",
        b"&a;",
        b"%PDF-",
        b"PK\x03\x04",
    ]
)
_BYTES = st.one_of(
    st.binary(max_size=600),
    st.lists(st.one_of(st.binary(max_size=12), _SNIPPETS), max_size=24).map(b"".join),
)


def _check_decoded(items: list[RawDocument | Rejection]) -> None:
    assert items, "every input gives at least one outcome"
    for item in items:
        if isinstance(item, Rejection):
            assert item.reason in REJECT_REASONS
            assert item.detail
        else:
            item.content.encode("utf-8")  # no lone surrogates: always writable
            assert "\r" not in item.content or item.origin.format == "jsonl"
        canonical_json(item)


@_SETTINGS
@given(_NAMES, _BYTES)
@example("a.txt", b"\xff\xfe\x00\xd8")  # UTF-16 BOM then a lone surrogate
@example("a.jsonl", b'{"text": "\\ud800"}\n')
@example("a.jsonl", b"\xfe\xff")  # a BOM and nothing else: still an outcome
@example("a.jsonl", b"\xef\xbb\xbf\n\n")
@example("a.txt.gz", b"\x1f\x8b\x08\x00")
def test_decode_input_never_raises(name: str, data: bytes) -> None:
    _check_decoded(decode_input(name, data, config=ReadConfig()))


@_SETTINGS
@given(_NAMES, _BYTES)
def test_decode_input_of_gzipped_bytes_never_raises(name: str, data: bytes) -> None:
    packed = gzip.compress(data, mtime=0)
    _check_decoded(decode_input(name + ".gz", packed, config=ReadConfig(max_bytes=4096)))


_TEXT_PIECES = st.sampled_from(
    [
        "<p>",
        "</p>",
        "<div>",
        "<script>",
        "</script>",
        "<!DOCTYPE html>",
        "<?xml version='1.0'?>",
        "&lol;",
        "&#0;",
        "&#x110000;",
        "{",
        "}",
        '"text":',
        '"html":',
        "\n",
        "\n\n",
        " date 2023-10-13 ",
        "Hanoi (VNA) - ",
        "./.",
        "\u0000",
        "\ufeff",
        "\ud7ff",
    ]
)
_TEXT = st.one_of(
    st.text(max_size=300),
    st.lists(st.one_of(st.text(max_size=10), _TEXT_PIECES), max_size=30).map("".join),
)


@_SETTINGS
@given(st.sampled_from(["text", "html", "json", "jsonl"]), _TEXT)
@example("html", "<html>" * 500)
@example("json", '{"text": {"a": 1}, "title": 5}')
@example("html", "\x00<p>a</p>")
def test_extract_never_raises(fmt: str, content: str) -> None:
    origin = Origin(format=fmt, line=1 if fmt == "jsonl" else None, path="x", sha256="0" * 64)  # type: ignore[arg-type]
    result = extract(RawDocument(origin=origin, content=content), config=ExtractConfig())
    if isinstance(result, Rejection):
        assert result.reason in REJECT_REASONS
    else:
        assert isinstance(result, Draft)
        assert all(p.strip() for p in result.paragraphs)


@_SETTINGS
@given(st.lists(_TEXT, max_size=12), st.one_of(st.none(), _TEXT))
@example(["Hanoi (VNA) - Rice exports rose.", "VNA", "See more", "x"], None)
def test_stripping_never_adds_text(paragraphs: list[str], title: str | None) -> None:
    result = strip_boilerplate(paragraphs, title=title)
    sources = ["".join(p.split()) for p in paragraphs]
    # Rules may cut inside a paragraph (a dateline prefix, an end mark "./." that
    # leaves its period), so each kept paragraph is a subsequence of its source,
    # spacing aside: every character of the output was in the input, in order.
    for kept in result.paragraphs:
        assert any(_subsequence("".join(kept.split()), source) for source in sources), kept
    assert sum(len("".join(k.split())) for k in result.paragraphs) <= sum(map(len, sources))


def _subsequence(needle: str, haystack: str) -> bool:
    chars = iter(haystack)
    return all(ch in chars for ch in needle)


@_SETTINGS
@given(_TEXT)
def test_normalize_is_idempotent_on_any_text(text: str) -> None:
    once = normalize_text(text)
    assert normalize_text(once) == once


@_SETTINGS
@given(_TEXT, _TEXT, st.one_of(st.none(), _TEXT))
def test_canonical_json_round_trips_any_text(text: str, path: str, title: str | None) -> None:
    text = text.strip() or "x"
    rejection = Rejection(detail=text, path=path, reason="no-content", line=3)
    assert Rejection.model_validate(orjson.loads(canonical_json(rejection))) == rejection
    article = Article(
        dateline=None,
        date=None,
        id="0123456789abcdef",
        language=None,
        origins=(Origin(format="text", path=path, sha256="0" * 64),),
        source=title,
        text=text,
        title=title,
        url=None,
        word_count=len(text.split()),
    )
    data = canonical_json(article)
    assert b"\n" not in data
    assert Article.model_validate(orjson.loads(data)) == article
    assert canonical_json(Article.model_validate(orjson.loads(data))) == data


def _reference_split_paragraphs(text: str) -> tuple[str, ...]:
    """split_paragraphs as it was: blocks split by the pattern \\n\\s*\\n."""
    paragraphs: list[str] = []
    for block in re.split(r"\n\s*\n", text):
        lines = [line for line in map(str.strip, block.split("\n")) if line]
        if not lines:
            continue
        if (
            len(lines) > 1
            and all(40 <= len(line) <= 100 for line in lines[:-1])
            and len(lines[-1]) <= 100
        ):
            paragraphs.append(" ".join(lines))
        else:
            paragraphs.extend(lines)
    return tuple(paragraphs)


_LINE_PIECES = st.sampled_from(
    [
        "\n",
        "\n\n",
        "\r\n",
        " ",
        "\t",
        "\u2028",
        "\x85",
        "\x0b",
        "\u3000",
        "word ",
        "x" * 45,
        "y" * 95,
    ]
)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.one_of(_LINE_PIECES, st.text(max_size=8)), max_size=30).map("".join))
def test_split_paragraphs_walks_lines_as_the_blank_line_pattern_split_them(text: str) -> None:
    assert split_paragraphs(text) == _reference_split_paragraphs(text)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(max_size=6), st.sampled_from(["\x85", "\x80", "\x9f", "\xa0", "\xc2", "é"])
        ),
        max_size=20,
    ).map("".join)
)
def test_repair_mojibake_finds_c1_controls_as_the_character_pattern_did(text: str) -> None:
    has_c1 = re.search("[\x80-\x9f]", text) is not None
    if not has_c1:
        assert repair_mojibake(text) == text
    else:
        assert repair_mojibake(text) == ftfy.fix_text(text, _REPAIR_CONFIG)
