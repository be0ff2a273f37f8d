"""The numpy walk of py3langid's model gives py3langid's own answers and scores."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import py3langid
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from cleanpipe.stages import language

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"

# Letters of several scripts, combining marks, emoji, digits, white space and
# the characters py3langid's preparation touches (case, NFC, surrogates).
_PIECES = st.sampled_from(
    [
        "the ",
        "and ",
        "của ",
        "người ",
        "привет ",
        "中文",
        "日本語の",
        "한국어 ",
        "ελληνικά ",
        "עברית ",
        "العربية ",
        "हिन्दी ",
        "e\u0301",
        "ÉTÉ",
        "\u2705",
        "\ud800",
        "\x85",
        "\n",
        "  ",
        "2023",
        ".",
    ]
)
_TEXT = st.one_of(
    st.text(max_size=60),
    st.lists(st.one_of(st.text(max_size=6), _PIECES), max_size=40).map("".join),
)


def _same(text: str) -> None:
    code, score = language.classify(text)
    expected_code, expected_score = py3langid.classify(text)
    assert (code, score) == (expected_code, expected_score)


@settings(max_examples=300, deadline=None)
@given(_TEXT)
@example("")
@example("a")
@example("abcde")
@example("abcdef")
@example("abcdefg")
@example("OK")
@example("ALL CAPS HEADLINE ABOUT RICE EXPORTS")
def test_classify_equals_py3langid(text: str) -> None:
    _same(text)


def test_scores_are_bit_identical_on_generated_articles() -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from make_corpus import generate

    for doc in generate(40, seed=3):
        sample = doc.text[:1000]
        prepared = py3langid.langid._get_identifier()._decide(sample)
        assert np.array_equal(language.scores(sample), prepared)


@pytest.mark.skipif(not (SHARED / "seeds").is_dir(), reason="the shared seed is not here")
def test_classify_equals_py3langid_on_the_seed() -> None:
    for path in sorted((SHARED / "seeds").glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        for start in range(0, min(len(text), 6000), 700):
            _same(text[start : start + 1000])


@pytest.mark.skipif(
    not (SHARED / "benchmarks/wcxb-dev/truth.json").is_file(), reason="WCXB-dev is not here"
)
def test_classify_equals_py3langid_on_wcxb_texts() -> None:
    truth = json.loads((SHARED / "benchmarks/wcxb-dev/truth.json").read_text(encoding="utf-8"))
    for name in sorted(truth)[:60]:
        _same((truth[name]["text"] or "")[:1000])


def _trie_depth() -> int:
    """The deepest state's distance from the root in py3langid's own tables, breadth first."""
    ident = py3langid.langid.LanguageIdentifier.from_model_file(py3langid.langid.MODEL_FILE)
    rows = np.asarray(ident.tk_nextmove, dtype=np.intp).reshape(-1, 256)
    row_of_state = np.asarray(ident.tk_row, dtype=np.intp)
    seen = np.zeros(len(row_of_state), dtype=bool)
    seen[0] = True
    frontier = np.zeros(1, dtype=np.intp)
    depth = 0
    while True:
        wanted = np.zeros(len(rows), dtype=bool)
        wanted[row_of_state[frontier]] = True
        reached = np.zeros(len(row_of_state), dtype=bool)
        reached[rows[wanted].ravel()] = True
        reached &= ~seen
        frontier = np.flatnonzero(reached)
        if not len(frontier):
            return depth
        seen[frontier] = True
        depth += 1


def test_the_window_covers_the_deepest_trie_node() -> None:
    # The vectorised walk needs no fallback on the bundled model.
    assert _trie_depth() <= language._WINDOW


def test_a_window_too_short_falls_back_to_the_exact_walk(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(language, "_WINDOW", 3)
    # Longer than a segment: the segments after the first start from a window.
    text = "The province hopes to continue receiving support from Japan. " * 4
    assert len(text) > language._SEGMENT
    _same(text)
    assert "deeper than 3 bytes" in caplog.text


def test_encode_prepares_as_py3langid() -> None:
    for text in ("ÉTÉ", "e\u0301", "Mixed Case", "\ud800x"):
        assert language.encode(text) == py3langid.langid.LanguageIdentifier._encode(text)


def _real_texts() -> list[str]:
    """Samples of real texts of many languages and sizes, CJK included, and edge cases."""
    texts = ["", "a", "abcde", "abcdef", "abcdefg", "OK", "\ud800", "ÉTÉ", "中", "2023 !!"]
    for folder in ("seeds", "benchmarks/cjk-news/text"):
        for path in sorted((SHARED / folder).glob("*.txt")):
            text = path.read_text(encoding="utf-8")
            texts.extend(
                text[start : start + 1000] for start in range(0, min(len(text), 4000), 333)
            )
    wcxb = SHARED / "benchmarks/wcxb-dev/truth.json"
    if wcxb.is_file():
        truth = json.loads(wcxb.read_text(encoding="utf-8"))
        texts.extend((truth[name]["text"] or "")[:1000] for name in sorted(truth)[:300])
    return texts


@pytest.mark.skipif(not (SHARED / "seeds").is_dir(), reason="the shared seed is not here")
def test_classify_batch_equals_py3langid_text_by_text() -> None:
    texts = _real_texts()
    # Across several chunks, with short and empty texts at the chunk edges.
    texts = texts + texts[:10] + texts
    assert len(texts) > 2 * language._CHUNK_TEXTS
    expected = [tuple(py3langid.classify(text)) for text in texts]
    assert language.classify_batch(texts) == expected


def test_classify_batch_of_short_and_empty_texts() -> None:
    texts = ["", "", "a", "", "ab", "the", "", "x" * 7, ""]
    expected = [tuple(py3langid.classify(text)) for text in texts]
    assert language.classify_batch(texts) == expected
    assert language.classify_batch([]) == []


@settings(max_examples=100, deadline=None)
@given(st.lists(_TEXT, max_size=12))
def test_classify_batch_equals_classify(texts: list[str]) -> None:
    assert language.classify_batch(texts) == [tuple(py3langid.classify(t)) for t in texts]


def test_feature_counts_match_py3langid_visit_counts() -> None:
    ident = py3langid.langid._get_identifier()
    for text in [*_real_texts()[:200], "", "abc"]:
        data = language.encode(text)
        visits = py3langid.langid.visit_counts(
            ident.tk_nextmove, ident._rowbase, ident.tk_output, data
        )
        features, counts = language.feature_counts(data)
        assert features.tolist() == list((visits or {}).keys())
        assert counts.tolist() == list((visits or {}).values())


@pytest.mark.skipif(not (SHARED / "seeds").is_dir(), reason="the shared seed is not here")
def test_groups_too_large_to_pack_are_ordered_alike(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = _real_texts()[:80]
    expected = language.classify_batch(texts)
    monkeypatch.setattr(language, "_PACKED_BITS", 0)
    assert language.classify_batch(texts) == expected


def test_rank_batch_gives_classify_and_the_margin_to_the_second_language() -> None:
    texts = [*_real_texts()[:20], "Rice exports rose by five percent in May.", "", "a"]
    for text, (code, score, margin) in zip(texts, language.rank_batch(texts), strict=True):
        assert (code, score) == tuple(py3langid.classify(text))
        ranked = sorted(language.scores(text).tolist(), reverse=True)
        assert margin == pytest.approx(ranked[0] - ranked[1])
        assert margin >= 0


def test_the_model_is_cached_on_disk_and_read_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLEANPIPE_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(language, "_MODEL", [])
    text = "Tỉnh Bến Tre mong muốn tiếp tục nhận được sự hỗ trợ của Nhật Bản."
    built = language.classify(text)
    folders = list(tmp_path.glob("langid-*"))
    assert len(folders) == 1
    assert (folders[0] / "meta.json").is_file()
    assert not list(tmp_path.glob(".*.tmp"))  # written under a temporary name, then renamed

    # A second process (a fresh model list) maps the cache and never builds the model.
    monkeypatch.setattr(language, "_MODEL", [])

    def no_build() -> None:
        msg = "the model was built again instead of read from the cache"
        raise AssertionError(msg)

    monkeypatch.setattr(language, "_build_model", no_build)
    assert language.classify(text) == built == tuple(py3langid.classify(text))
    assert isinstance(language._model().moves.base, np.memmap)


def test_a_broken_cache_is_built_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLEANPIPE_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(language, "_MODEL", [])
    language.load_model()
    folder = next(tmp_path.glob("langid-*"))
    (folder / "moves.npy").write_bytes(b"not an array")
    monkeypatch.setattr(language, "_MODEL", [])
    text = "The province hopes to continue receiving support from Japan."
    assert language.classify(text) == tuple(py3langid.classify(text))
    monkeypatch.setattr(language, "_MODEL", [])
    language.load_model()  # the rebuilt cache reads back
    assert isinstance(language._model().moves.base, np.memmap)


def test_an_unwritable_cache_folder_only_costs_the_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("CLEANPIPE_CACHE_DIR", str(blocker / "cache"))
    monkeypatch.setattr(language, "_MODEL", [])
    text = "The province hopes to continue receiving support from Japan."
    assert language.classify(text) == tuple(py3langid.classify(text))
