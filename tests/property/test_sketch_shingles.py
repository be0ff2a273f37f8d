from hypothesis import given
from hypothesis import strategies as st

from cleanpipe.sketch.shingles import _token_bytes, flat_shingle_hashes, shingle_hashes, tokenize


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
