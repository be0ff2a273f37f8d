import numpy as np
import pytest

from cleanpipe.sketch import shingles
from cleanpipe.sketch.shingles import (
    _scan_tokens,
    _token_bytes,
    _token_hashes,
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
        "ΟΔΟΣ ΑΣ. Σ",
        "nul\x00separated\x00words",
        "新华社北京11月17日电 记者17日从国家卫生健康委获悉",
        "東京都は１７日、ジョン・スミス氏と会談した。",
        "ภาษาไทยเขียนติดกัน ไม่เว้นวรรค",
        "Hanoi ký kết 合作协议 with Ôsaka",
    ],
    ids=[
        "empty",
        "spaces",
        "ascii",
        "news-punct",
        "accents",
        "cjk-arabic",
        "whitespace",
        "kelvin",
        "final-sigma",
        "nul",
        "chinese",
        "japanese",
        "thai",
        "mixed-scripts",
    ],
)
def test_fast_tokens_equal_regex_tokens(text):
    expected = [t.encode("utf-8") for t in tokenize(text)]
    assert _token_bytes(text) == expected
    spans = _scan_tokens(["before", text, "after"])
    batch = [
        bytes(spans.buffer[s + 1 : e + 1])
        for s, e in zip(spans.starts.tolist(), spans.ends.tolist(), strict=True)
    ]
    assert batch[spans.offsets[1] : spans.offsets[2]] == expected


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


def _hash_of_each_token(texts):
    spans = _scan_tokens(texts)
    hashes = _token_hashes(spans)
    tokens = [
        bytes(spans.buffer[s + 1 : e + 1])
        for s, e in zip(spans.starts.tolist(), spans.ends.tolist(), strict=True)
    ]
    return tokens, hashes.tolist()


def test_token_hashes_identify_tokens_of_every_length():
    # Lengths 1 to 200 cover the masked first chunk (<= 8 bytes), the overlapping last
    # chunk (9-16), the inner chunks (17-64) and xxh3 (> 64); look-alike pairs differ
    # only by one repeated byte, which a hash of first and last 8 bytes alone would miss.
    words = [c * n for c in "ab" for n in range(1, 201)]
    words += ["a" + "b" * n + "c" for n in range(1, 80)]
    words += ["é" * n for n in range(1, 40)] + ["x" * n + "é" for n in range(1, 40)]
    texts = [" ".join(words), " ".join(reversed(words)), "ab " * 3]
    tokens, hashes = _hash_of_each_token(texts)
    assert len(tokens) == 2 * len(words) + 3
    hash_of = {}
    for token, value in zip(tokens, hashes, strict=True):
        assert hash_of.setdefault(token, value) == value  # same token, same hash anywhere
    assert len(set(hash_of.values())) == len(hash_of) == len(set(words) | {"ab"})


def test_batches_give_the_same_hashes_as_one_batch(monkeypatch):
    texts = ["Rice exports rose — 5% on Monday", "", "ΟΔΟΣ and İstanbul", "x", "a b c d e f"] * 3
    whole, whole_offsets = flat_shingle_hashes(texts, shingle_size=3)
    monkeypatch.setattr(shingles, "_BATCH_TEXTS", 2)
    split, split_offsets = flat_shingle_hashes(texts, shingle_size=3)
    assert np.array_equal(whole, split)
    assert np.array_equal(whole_offsets, split_offsets)


@pytest.mark.parametrize("shingle_size", [1, 2, 5], ids=["k1", "k2", "k5"])
def test_flat_hashes_count_every_shingle(shingle_size):
    texts = ["one", "one two three four five six seven", "", "...", "a b"]
    hashes, offsets = flat_shingle_hashes(texts, shingle_size=shingle_size)
    for i, text in enumerate(texts):
        m = len(tokenize(text))
        expected = m - shingle_size + 1 if m >= shingle_size else int(m > 0)
        assert offsets[i + 1] - offsets[i] == expected
    # A window never runs across two texts: the last shingle of text 1 is its own.
    alone, _ = flat_shingle_hashes([texts[1]], shingle_size=shingle_size)
    assert np.array_equal(hashes[offsets[1] : offsets[2]], alone)


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("新华社北京电", ["新", "华", "社", "北", "京", "电"]),
        ("VNA报道2023年", ["vna", "报", "道", "2023", "年"]),
        ("ジョン・スミス", ["ジ", "ョ", "ン", "ス", "ミ", "ス"]),
        ("ไทย", ["ไ", "ท", "ย"]),
        # Thai vowel signs are not \\w, but inside a no-space run they are characters too.
        ("ที่", ["ท", "ี", "่"]),
        ("한국어 문장", ["한국어", "문장"]),
    ],
    ids=["han", "han-latin-digits", "katakana-middle-dot", "thai", "thai-marks", "hangul-words"],
)
def test_scripts_without_spaces_are_one_token_per_character(text, tokens):
    assert tokenize(text) == tokens
    assert _token_bytes(text) == [t.encode("utf-8") for t in tokens]


def test_chinese_shingles_are_character_ngrams():
    text = "香港行政长官梁振英向香港民众道歉"
    hashes = shingle_hashes(text, shingle_size=3)
    # 16 characters give 14 character 3-grams; the repeated "香港" pair does not make
    # a repeated 3-gram here, so all are distinct.
    assert len(hashes) == 14
    edited = shingle_hashes(text.replace("行政", "行事"), shingle_size=3)
    # One changed character costs the 3 shingles that hold it, not the whole clause.
    assert len(np.intersect1d(hashes, edited)) == 14 - 3


def test_a_text_without_cjk_keeps_word_tokens():
    assert tokenize("Café au lait, naïve") == ["café", "au", "lait", "naïve"]
