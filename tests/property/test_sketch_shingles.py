from hypothesis import given
from hypothesis import strategies as st

from cleanpipe.sketch.shingles import (
    _scan_tokens,
    _token_bytes,
    flat_shingle_hashes,
    shingle_hashes,
    tokenize,
)


@given(st.text())
def test_fast_tokens_equal_regex_tokens(text):
    assert _token_bytes(text) == [t.encode("utf-8") for t in tokenize(text)]


@given(st.lists(st.text(alphabet="ab cé—.", max_size=30), max_size=6), st.integers(1, 4))
def test_batch_equals_single(texts, shingle_size):
    hashes, offsets = flat_shingle_hashes(texts, shingle_size=shingle_size)
    for i, text in enumerate(texts):
        assert set(hashes[offsets[i] : offsets[i + 1]].tolist()) == set(
            shingle_hashes(text, shingle_size=shingle_size).tolist()
        )


# Characters that stress the byte path: case changes that str.lower does differently
# from ASCII lowering (final sigma, dotted I that grows, the Kelvin sign that becomes
# ASCII), non-word non-ASCII punctuation, non-ASCII word characters, separators that
# the batch itself uses (NUL) and a lone surrogate.
_TRICKY = st.text(alphabet=st.sampled_from([*"aAbB_1 .\t\x00ΣσςİiKkÉéß—’“٣中\U0001d400", "\ud800"]))


@given(st.lists(st.one_of(st.text(), _TRICKY), max_size=6))
def test_batch_tokens_equal_regex_tokens(texts):
    spans = _scan_tokens(texts)
    assert len(spans.offsets) == len(texts) + 1
    for i, text in enumerate(texts):
        lo, hi = spans.offsets[i], spans.offsets[i + 1]
        tokens = [
            bytes(spans.buffer[s + 1 : e + 1])
            for s, e in zip(spans.starts[lo:hi].tolist(), spans.ends[lo:hi].tolist(), strict=True)
        ]
        assert tokens == [t.encode("utf-8", "surrogatepass") for t in tokenize(text)]


@given(_TRICKY)
def test_fast_tokens_equal_regex_tokens_tricky(text):
    assert _token_bytes(text) == [t.encode("utf-8", "surrogatepass") for t in tokenize(text)]


_MIXED = "ab Zé 中文新华社カナー・ไทที่ 한국 。—\n"


@given(st.text(alphabet=_MIXED, max_size=40))
def test_fast_tokens_equal_regex_tokens_in_scripts_without_spaces(text):
    assert _token_bytes(text) == [t.encode("utf-8") for t in tokenize(text)]


@given(st.lists(st.text(alphabet=_MIXED, max_size=30), max_size=6), st.integers(1, 4))
def test_batch_equals_single_in_scripts_without_spaces(texts, shingle_size):
    hashes, offsets = flat_shingle_hashes(texts, shingle_size=shingle_size)
    for i, text in enumerate(texts):
        single = shingle_hashes(text, shingle_size=shingle_size)
        assert set(hashes[offsets[i] : offsets[i + 1]].tolist()) == set(single.tolist())
