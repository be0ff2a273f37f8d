"""The benchmark metric matches upstream's definition."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from _scoring import score_page, shingles, summarize, tokenize


def test_tokens_are_unicode_words_without_lowercasing() -> None:
    assert tokenize("Ảnh: Hà Nội, 2019!") == ["Ảnh", "Hà", "Nội", "2019"]


def test_short_text_is_one_shingle() -> None:
    assert list(shingles(["a", "b", "c"])) == [("a", "b", "c")]
    assert not shingles([])


def test_page_counts_are_multisets_normalised_to_one() -> None:
    score = score_page("a b c d a b c d", "a b c d")
    assert score.tp + score.fp + score.fn == pytest.approx(1.0)
    assert score.precision == 1.0
    assert score.recall == pytest.approx(1 / 5)


def test_empty_prediction_does_not_count_in_precision() -> None:
    summary = summarize(
        [
            score_page("one two three four", "one two three four"),
            score_page("five six seven eight", ""),
        ]
    )
    assert (summary.precision, summary.recall, summary.accuracy) == (1.0, 0.5, 0.5)
    assert summary.f1 == pytest.approx(2 * 1.0 * 0.5 / 1.5)


def test_accuracy_is_exact_token_match() -> None:
    assert score_page("Hello, world.", "hello world").exact is False
    assert score_page("Hello, world.", "Hello\n\nworld").exact is True
