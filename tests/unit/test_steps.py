"""The steps on real artifacts: prepared partitions in a work folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cleanpipe.config import Config, DedupConfig
from cleanpipe.models import Origin, RawDocument
from cleanpipe.stages.verify import verify_pair
from cleanpipe.steps import PrepareTask, VerifyTask, prepare_partition, verify_edges
from cleanpipe.work import PartReader

_SENTENCES = [
    f"Sentence {n} tells how the {w} of the delta province changed in the year {1990 + n}."
    for n, w in enumerate(
        [
            "rice",
            "fruit",
            "coconut",
            "salt",
            "shrimp",
            "timber",
            "cattle",
            "honey",
            "silk",
            "tea",
            "coffee",
            "sugar",
            "pepper",
            "cocoa",
            "rubber",
            "jute",
            "cotton",
            "maize",
        ]
    )
]


def _prepared(tmp_path: Path, texts: list[str]) -> Path:
    docs = tuple(
        RawDocument(origin=Origin(format="text", path=f"{i}.txt", sha256=f"{i:064d}"), content=text)
        for i, text in enumerate(texts)
    )
    parts = tmp_path / "parts"
    parts.mkdir()
    prepare_partition(PrepareTask(config=Config(), parts=str(parts), key="k", documents=docs))
    return parts / "k"


def test_a_pair_the_block_has_joined_already_is_kept_unverified(tmp_path: Path) -> None:
    whole = "\n\n".join(_SENTENCES)
    head = "\n\n".join(_SENTENCES[:12])  # 2/3 of the story, from its start
    tail = "\n\n".join(_SENTENCES[6:])  # 2/3 of it, to its end
    part = _prepared(tmp_path, [whole, head, tail])
    reader = PartReader([part], [None])
    texts = [reader.text(0, row) for row in range(3)]
    reader.close()
    config = DedupConfig()
    # The premise: each part is a copy of the whole, but not of the other part.
    assert verify_pair(texts[0], texts[1], config=config)
    assert verify_pair(texts[0], texts[2], config=config)
    assert not verify_pair(texts[1], texts[2], config=config)

    def decide(edges: list[tuple[int, int]]) -> list[bool]:
        rows = np.asarray([(0, u, 0, v) for u, v in edges], dtype=np.int32)
        task = VerifyTask(config=config, parts=(str(part),), fixes=(None,), edges=rows)
        return verify_edges(task).tolist()

    # Alone, the two parts are no copies; after both joined the whole, their
    # pair is inside one cluster and is kept (it changes no component).
    assert decide([(1, 2)]) == [False]
    assert decide([(0, 1), (0, 2), (1, 2)]) == [True, True, True]
    assert decide([(1, 2), (0, 1), (0, 2)]) == [False, True, True]


def test_a_reader_over_more_partitions_than_it_keeps_open_reads_them_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import cleanpipe.work

    folders = []
    for number in range(3):
        root = tmp_path / str(number)
        root.mkdir()
        folders.append(
            _prepared(root, [f"Story {number}, copy {c}: " + _SENTENCES[c] for c in range(4)])
        )
    monkeypatch.setattr(cleanpipe.work, "_OPEN_PARTS", 2)
    reader = PartReader(folders, [None, None, None])
    try:
        # Round robin over three partitions with room for two: every read reopens one.
        for _ in range(2):
            for row in range(4):
                for number in range(3):
                    assert reader.text(number, row).startswith(f"Story {number}, copy {row}:")
        assert len(reader._rows) == 2
    finally:
        reader.close()


def test_repeated_lines_counted_in_slices_of_the_hash_space_are_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import cleanpipe.corpus
    from cleanpipe.corpus import repeated_lines
    from cleanpipe.work import read_summary

    footers = [f"Footer line number {n} of the site." for n in range(6)]
    texts = [
        "\n\n".join([_SENTENCES[i % len(_SENTENCES)], footers[i % 3], footers[3 + i % 2]])
        for i in range(12)
    ]
    part = _prepared(tmp_path, texts)
    summary = read_summary(part)
    whole = repeated_lines([part], [summary], min_docs=3)
    assert len(whole) == 5  # footers 0-4 are each in 4 or 6 documents, footer 5 in none
    monkeypatch.setattr(cleanpipe.corpus, "_COUNT_KEYS", 4)
    sliced = repeated_lines([part], [summary], min_docs=3)
    assert sliced.tolist() == whole.tolist()


def test_verification_pauses_the_cyclic_collector_and_restores_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gc

    import cleanpipe.steps

    part = _prepared(tmp_path, ["\n\n".join(_SENTENCES), "\n\n".join(_SENTENCES[:12])])
    seen: list[bool] = []

    def spy(left: str, right: str, *, config: DedupConfig) -> bool:
        seen.append(gc.isenabled())
        return verify_pair(left, right, config=config)

    monkeypatch.setattr(cleanpipe.steps, "verify_pair", spy)
    rows = np.asarray([(0, 0, 0, 1)], dtype=np.int32)
    task = VerifyTask(config=DedupConfig(), parts=(str(part),), fixes=(None,), edges=rows)
    assert gc.isenabled()
    assert verify_edges(task).tolist() == [True]
    assert seen == [False]  # paused while it ran...
    assert gc.isenabled()  # ...and on again after
    gc.disable()
    try:
        verify_edges(task)  # a caller that paused it finds it paused still
        assert not gc.isenabled()
    finally:
        gc.enable()


@pytest.mark.parametrize(
    ("gap", "span"), [(16 << 10, 1 << 20), (0, 1)], ids=["spans", "row-by-row"]
)
def test_texts_are_read_in_any_order_with_repeats(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gap: int, span: int
) -> None:
    import cleanpipe.work

    monkeypatch.setattr(cleanpipe.work, "_GAP", gap)
    monkeypatch.setattr(cleanpipe.work, "_SPAN", span)
    texts = [f"Story {n}: " + " ".join(_SENTENCES[n : n + 3]) for n in range(12)]
    part = _prepared(tmp_path, texts)
    reader = PartReader([part], [None])
    try:
        one_by_one = [reader.text(0, row) for row in range(12)]
        nodes = np.asarray([(0, r) for r in (11, 0, 5, 5, 3, 11, 1)], dtype=np.int64)
        assert reader.texts(nodes) == [one_by_one[r] for r in (11, 0, 5, 5, 3, 11, 1)]
    finally:
        reader.close()
    assert [t.split(":")[0] for t in one_by_one] == [f"Story {n}" for n in range(12)]


def test_band_keys_are_stored_a_band_a_contiguous_row(tmp_path: Path) -> None:
    from cleanpipe.work import ArrayRows

    part = _prepared(tmp_path, ["\n\n".join(_SENTENCES), "\n\n".join(_SENTENCES[:9])])
    with (part / "bands.npy").open("rb") as handle:
        assert b"'fortran_order': False" in handle.read(128)
    rows = ArrayRows(part / "bands.npy")
    try:
        assert rows._array is None  # read a row at a time, not loaded whole
        whole = np.load(part / "bands.npy")
        assert [rows.row(b).tolist() for b in range(whole.shape[0])] == whole.tolist()
    finally:
        rows.close()


def test_a_corpus_step_lets_a_mapped_language_model_go(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cleanpipe.stages import language

    part = _prepared(tmp_path, ["\n\n".join(_SENTENCES), "\n\n".join(_SENTENCES[:12])])
    rows = np.asarray([(0, 0, 0, 1)], dtype=np.int32)
    task = VerifyTask(config=DedupConfig(), parts=(str(part),), fixes=(None,), edges=rows)
    language.load_model()
    mapped = language._MODEL[0].mapped
    verify_edges(task)
    # Mapped from the cache: let go (its pages back); built in memory: kept.
    assert (language._MODEL == []) == mapped
    built = language._MODEL[0] if language._MODEL else language._build_model()
    monkeypatch.setattr(language, "_MODEL", [built])
    assert not built.mapped
    verify_edges(task)
    assert [built] == language._MODEL
