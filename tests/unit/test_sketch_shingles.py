import numpy as np
import pytest

from cleanpipe.sketch.shingles import (
    _token_bytes,
    flat_shingle_hashes,
    normalize_words,
    shingle_hashes,
    tokenize,
)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "Hello, World!",
        "HANOI (VNA) — Café’s “prices” rose 3.5% on Monday…",
        "snake_case and ÉLAN naïve Straße İstanbul",
        "中文 文本 and ١٢٣ digits",
        "tab\tnew\nline\r\nend",
        "K Kelvin sign lowers to ascii",
    ],
    ids=["empty", "spaces", "ascii", "news-punct", "accents", "cjk-arabic", "whitespace", "kelvin"],
)
def test_fast_tokens_equal_regex_tokens(text):
    assert _token_bytes(text) == [t.encode("utf-8") for t in tokenize(text)]


def test_short_text_is_one_shingle_and_empty_is_none():
    assert shingle_hashes("one two", shingle_size=5).shape == (1,)
    assert shingle_hashes("...", shingle_size=5).shape == (0,)
    assert shingle_hashes("a b c d e", shingle_size=5).shape == (1,)
    assert shingle_hashes("a b c d e f", shingle_size=5).shape == (2,)


def test_shingle_hashes_are_sorted_unique_uint32():
    hashes = shingle_hashes("the cat sat on the mat the cat sat on the mat", shingle_size=3)
    assert hashes.dtype == np.uint32
    assert np.array_equal(hashes, np.unique(hashes))
    tokens = tokenize("the cat sat on the mat the cat sat on the mat")
    assert len(hashes) == len({tuple(tokens[i : i + 3]) for i in range(len(tokens) - 2)})


def test_shingles_are_order_sensitive_and_case_insensitive():
    assert not np.array_equal(
        shingle_hashes("a b", shingle_size=2), shingle_hashes("b a", shingle_size=2)
    )
    assert np.array_equal(
        shingle_hashes("Rice EXPORTS rose.", shingle_size=2),
        shingle_hashes("rice\nexports  rose", shingle_size=2),
    )


def test_flat_hashes_match_one_by_one():
    texts = ["a b c d e f g", "", "x", "a b c d e f g h", "Ünïcode wörds here and there"]
    hashes, offsets = flat_shingle_hashes(texts, shingle_size=3)
    assert offsets.tolist()[0] == 0
    assert offsets[-1] == len(hashes)
    for i, text in enumerate(texts):
        assert np.array_equal(
            np.unique(hashes[offsets[i] : offsets[i + 1]]), shingle_hashes(text, shingle_size=3)
        )


def test_flat_hashes_of_no_text():
    hashes, offsets = flat_shingle_hashes([], shingle_size=3)
    assert hashes.shape == (0,)
    assert offsets.tolist() == [0]


def test_shingle_size_must_be_positive():
    with pytest.raises(ValueError, match="shingle_size"):
        shingle_hashes("a b", shingle_size=0)


def test_normalize_words_is_tokens_joined():
    text = "A “quoted” — re-flowed\ntext,  with   spaces"
    assert normalize_words(text) == " ".join(tokenize(text))
