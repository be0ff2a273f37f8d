"""Incremental runs: real dumps in tmp_path, real runs, the output against a full run."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import random
from pathlib import Path

import numpy as np
import pytest

from cleanpipe import check, run
from cleanpipe.config import Config, StripConfig
from cleanpipe.errors import ConfigError
from cleanpipe.incremental import INDEX_FILE, INPUTS_FILE, META_FILE, DedupIndex
from cleanpipe.read import read_state
from cleanpipe.write import OutputSwap
from tests.faults import kill_at

_WORDS = (  # noqa: SIM905 - a sentence of words reads better than a list
    "council budget river bridge harvest export rice coffee port delta storm flood farmer "
    "ministry province tourism festival school hospital vaccine factory investment market "
    "railway airport ferry island forest fishermen solar energy traffic police court village "
    "museum heritage season growth price contract partner summit forum coast border cement"
).split()


def _story(n: int, paragraphs: int = 5) -> list[str]:
    """A story of its own: sentences drawn from a generator seeded by ``n``."""
    rng = random.Random(n)
    return [
        " ".join(
            f"The {rng.choice(_WORDS)} {rng.choice(_WORDS)} of story {n} rose {rng.randint(2, 99)} "
            f"percent near the {rng.choice(_WORDS)} {rng.choice(_WORDS)}."
            for _ in range(4)
        )
        for _ in range(paragraphs)
    ]


def _write(raw: Path, name: str, paragraphs: list[str], title: str = "A title") -> None:
    raw.mkdir(parents=True, exist_ok=True)
    (raw / name).write_text(title + "\n\n" + "\n\n".join(paragraphs) + "\n", "utf-8")


def _old_dump(raw: Path) -> None:
    for n in range(6):
        _write(raw, f"old-{n}.txt", _story(n))
    _write(raw, "old-0-copy.txt", _story(0))  # an exact copy: one record, two origins
    (raw / "empty.txt").write_bytes(b"")  # a rejection


def _config(**updates: object) -> Config:
    return Config(workers=1, incremental=True, **updates)  # type: ignore[arg-type]


def _files(out: Path) -> dict[str, bytes]:
    return {name: (out / name).read_bytes() for name in ("articles.jsonl", "rejects.jsonl")}


def _report(out: Path) -> dict[str, object]:
    report = json.loads((out / "report.json").read_text("utf-8"))
    report.pop("timings")
    return report


def _records(out: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (out / "articles.jsonl").read_text("utf-8").splitlines()]


def _assert_same_as_full_run(raw: Path, out: Path, tmp_path: Path) -> None:
    full = tmp_path / "full"
    run(raw, full, config=Config(workers=1))
    assert _files(out) == _files(full)
    assert _report(out) == _report(full)


def test_unchanged_inputs_are_not_processed_again(tmp_path: Path) -> None:
    raw, out = tmp_path / "raw", tmp_path / "out"
    _old_dump(raw)
    first = run(raw, out, config=_config())
    assert (first.timings.files_processed, first.timings.files_unchanged) == (8, 0)
    before = _files(out)
    again = run(raw, out, config=_config())
    assert (again.timings.files_processed, again.timings.files_unchanged) == (0, 8)
    assert again.timings.files_gone == 0
    assert _files(out) == before
    assert again.inputs == first.inputs == 8


def test_a_changed_file_is_processed_again(tmp_path: Path) -> None:
    raw, out = tmp_path / "raw", tmp_path / "out"
    _old_dump(raw)
    run(raw, out, config=_config())
    _write(raw, "old-3.txt", _story(33))  # same path, other bytes
    report = run(raw, out, config=_config())
    assert (report.timings.files_processed, report.timings.files_unchanged) == (1, 7)
    assert "story 33" in (out / "articles.jsonl").read_text("utf-8")
    _assert_same_as_full_run(raw, out, tmp_path)


def test_an_appended_dump_gives_the_full_runs_output(tmp_path: Path) -> None:
    raw, out = tmp_path / "raw", tmp_path / "out"
    _old_dump(raw)
    run(raw, out, config=_config())
    # New stories, an exact copy and a near copy (one paragraph more) of old ones,
    # a copy of a new story, and a new rejection; names sort before and after the old.
    for n in range(6, 10):
        _write(raw, f"new-{n}.txt", _story(n))
    _write(raw, "new-6-copy.txt", _story(6))
    _write(raw, "a-copy-of-1.txt", _story(1))
    _write(raw, "z-longer-2.txt", [*_story(2), "The council said more on Friday evening."])
    (raw / "blank.txt").write_text("   \n", "utf-8")
    report = run(raw, out, config=_config())
    assert (report.timings.files_processed, report.timings.files_unchanged) == (8, 8)
    _assert_same_as_full_run(raw, out, tmp_path)
    assert report.inputs == 16 == sum(len(r["origins"]) for r in _records(out)) + report.rejected


def test_a_new_copy_joins_its_record_and_a_longer_one_takes_it_over(tmp_path: Path) -> None:
    raw, out = tmp_path / "raw", tmp_path / "out"
    _old_dump(raw)
    run(raw, out, config=_config())
    (record,) = [r for r in _records(out) if "story 4 " in str(r["text"])]
    assert [o["path"] for o in record["origins"]] == ["old-4.txt"]

    _write(raw, "copy-of-4.txt", _story(4))  # exact copy: same text, same id
    run(raw, out, config=_config())
    (same,) = [r for r in _records(out) if "story 4 " in str(r["text"])]
    assert same["id"] == record["id"]
    assert [o["path"] for o in same["origins"]] == ["copy-of-4.txt", "old-4.txt"]

    # A longer copy is kept by the merge policy: the text, so the id, change.
    longer = [*_story(4), "The ministry added a sixth paragraph on Friday evening."]
    _write(raw, "longer-4.txt", longer)
    report = run(raw, out, config=_config())
    assert report.timings.files_processed == 1
    (taken,) = [r for r in _records(out) if "story 4 " in str(r["text"])]
    assert taken["id"] != record["id"]
    assert record["id"] not in {r["id"] for r in _records(out)}
    assert [o["path"] for o in taken["origins"]] == ["longer-4.txt", "copy-of-4.txt", "old-4.txt"]
    assert str(taken["text"]).endswith("sixth paragraph on Friday evening.")
    _assert_same_as_full_run(raw, out, tmp_path)


def test_vanished_inputs_leave_the_output(tmp_path: Path) -> None:
    raw, out = tmp_path / "raw", tmp_path / "out"
    _old_dump(raw)
    run(raw, out, config=_config())
    (raw / "old-0-copy.txt").unlink()  # one of two origins
    (raw / "old-5.txt").unlink()  # the only origin of its record
    (raw / "empty.txt").unlink()  # a rejection
    report = run(raw, out, config=_config())
    assert report.timings.files_gone == 3
    assert (report.records, report.merged, report.rejected, report.inputs) == (5, 0, 0, 5)
    text = (out / "articles.jsonl").read_text("utf-8")
    assert "old-0-copy.txt" not in text
    assert "story 5 " not in text
    assert (out / "rejects.jsonl").read_bytes() == b""
    _assert_same_as_full_run(raw, out, tmp_path)
    stale = [f for f in check(out, raw=raw, config=_config()) if f.code == "stale-output"]
    assert stale == []
    manifest = gzip.decompress(read_state(out, INPUTS_FILE) or b"").decode()
    assert "old-5.txt" not in manifest
    assert "empty.txt" not in manifest


def test_repeated_lines_that_appear_with_new_files_leave_old_records_too(tmp_path: Path) -> None:
    """The corpus statistics are counted again over all drafts, old and new."""
    raw, out = tmp_path / "raw", tmp_path / "out"
    footer = "Follow us on the river channel"
    for n in range(3):
        _write(raw, f"old-{n}.txt", [*_story(n), footer])
    config = _config(strip=StripConfig(repeated_line_min_docs=4))
    run(raw, out, config=config)
    assert footer in (out / "articles.jsonl").read_text("utf-8")  # 3 documents: below 4
    _write(raw, "new-3.txt", [*_story(3), footer])
    report = run(raw, out, config=config)
    assert report.timings.files_processed == 1
    assert footer not in (out / "articles.jsonl").read_text("utf-8")
    assert report.removed_by_rule["repeated_line"] == 4
    full = tmp_path / "full"
    run(raw, full, config=Config(workers=1, strip=StripConfig(repeated_line_min_docs=4)))
    assert _files(out) == _files(full)


def test_state_is_in_the_slot_and_agrees_with_the_records(tmp_path: Path) -> None:
    raw, out = tmp_path / "raw", tmp_path / "out"
    _old_dump(raw)
    run(raw, out, config=_config())
    names = sorted(p.name for p in out.iterdir())
    assert names == [".cleanpipe", "articles.jsonl", "rejects.jsonl", "report.json"]
    _assert_state_agrees(out)
    index = np.load(out / ".cleanpipe" / "current" / INDEX_FILE)
    assert index["signatures"].shape == (6, 128)  # six distinct texts
    ids = {r["id"] for r in _records(out)}
    assert {i.decode() for i in index["record_ids"]} == ids


def _assert_state_agrees(out: Path) -> None:
    """The state in view describes the records in view: checksums and record ids."""
    meta = json.loads(read_state(out, META_FILE) or b"{}")
    articles = (out / "articles.jsonl").read_bytes()
    assert meta["articles"]["sha256"] == hashlib.sha256(articles).hexdigest()
    manifest = gzip.decompress(read_state(out, INPUTS_FILE) or b"").decode().splitlines()
    records = {
        doc["record"]
        for line in manifest
        for doc in json.loads(line)["documents"]
        if "record" in doc
    }
    assert records == {json.loads(line)["id"] for line in articles.splitlines()}


def test_a_run_killed_at_any_step_leaves_state_that_agrees_with_the_records(
    tmp_path: Path,
) -> None:
    raw, out = tmp_path / "raw", tmp_path / "out"
    _old_dump(raw)
    run(raw, out, config=_config())
    old = _files(out)
    for n in range(6, 8):
        _write(raw, f"new-{n}.txt", _story(n))
    _write(raw, "longer-1.txt", [*_story(1), "One more paragraph of the story on Friday."])
    seen = set()
    step = 1
    while True:
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            code = 0
            try:
                kill_at(step)
                run(raw, out, config=_config())
            except BaseException:  # noqa: BLE001 - any error is a failure the parent sees
                code = 3
            os._exit(code)
        _, status = os.waitpid(pid, 0)
        killed = os.WIFSIGNALED(status)
        assert killed or os.WEXITSTATUS(status) == 0
        _assert_state_agrees(out)
        seen.add("old" if _files(out) == old else "new")
        if not killed:
            break
        # Back to the old output for the next kill point.
        for name in ("new-6.txt", "new-7.txt", "longer-1.txt"):
            (raw / name).rename(tmp_path / name)
        run(raw, out, config=_config())
        assert _files(out) == old
        for name in ("new-6.txt", "new-7.txt", "longer-1.txt"):
            (tmp_path / name).rename(raw / name)
        step += 1
    assert step > 5
    assert seen == {"old", "new"}
    _assert_same_as_full_run(raw, out, tmp_path)


def test_a_plain_run_keeps_no_state_and_the_next_incremental_run_reads_everything(
    tmp_path: Path,
) -> None:
    raw, out = tmp_path / "raw", tmp_path / "out"
    _old_dump(raw)
    run(raw, out, config=_config())
    assert read_state(out, META_FILE) is not None
    run(raw, out, config=Config(workers=1))
    assert read_state(out, META_FILE) is None  # it would describe other records
    report = run(raw, out, config=_config())
    assert report.timings.files_processed == 8


@pytest.mark.parametrize(
    ("change", "processed"),
    [
        pytest.param({"strip": StripConfig(disabled_rules=("byline",))}, 8, id="strip-settings"),
        pytest.param({"dedup_enabled": False}, 0, id="no-dedup-reuses-drafts"),
    ],
)
def test_settings_decide_what_is_reused(
    tmp_path: Path, change: dict[str, object], processed: int
) -> None:
    raw, out = tmp_path / "raw", tmp_path / "out"
    _old_dump(raw)
    run(raw, out, config=_config())
    report = run(raw, out, config=_config(**change))
    assert report.timings.files_processed == processed


def test_damaged_state_is_not_used(tmp_path: Path) -> None:
    raw, out = tmp_path / "raw", tmp_path / "out"
    _old_dump(raw)
    run(raw, out, config=_config())
    slot = (out / ".cleanpipe" / "current").resolve()
    (slot / INPUTS_FILE).write_bytes(b"not gzip")
    report = run(raw, out, config=_config())
    assert report.timings.files_processed == 8
    _assert_same_as_full_run(raw, out, tmp_path)


def test_the_dask_engine_is_refused_before_anything_runs(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    _old_dump(raw)
    with pytest.raises(ConfigError, match="--incremental runs on the local engine only"):
        run(raw, tmp_path / "out", config=_config(engine="dask"))
    assert not (tmp_path / "out").exists()


def test_add_state_refuses_output_and_internal_names(tmp_path: Path) -> None:
    with OutputSwap(tmp_path / "out") as swap:
        for name in ("articles.jsonl", "current", "lock", "a", "x/y", ".hidden", "s.tmp", ""):
            with pytest.raises(ValueError, match="not a state file name"):
                swap.add_state(name, b"")
        swap.add_state("notes.bin", b"kept")
    assert read_state(tmp_path / "out", "notes.bin") == b"kept"
    assert not (tmp_path / "out" / "notes.bin").exists()  # in the slot, not in view
    assert read_state(tmp_path / "out", "other.bin") is None


def test_the_index_clusters_as_cluster_labels_does_and_reuses_its_work() -> None:
    from cleanpipe.config import DedupConfig
    from cleanpipe.stages.dedup import cluster_labels

    texts = ["\n\n".join(_story(n)) for n in range(20)]
    texts += [texts[3], texts[5] + "\n\nOne more line of text here.", "\n\n".join(_story(7)[:4])]
    config = DedupConfig()
    index = DedupIndex(config=config)
    expected = cluster_labels(texts, config=config).tolist()
    assert index.labels(texts).tolist() == expected
    assert (index.signed, index.verified) == (22, index.verified)
    reloaded = DedupIndex.from_npz(index.to_npz(), config=config)
    assert reloaded.labels(texts).tolist() == expected
    assert (reloaded.signed, reloaded.verified) == (0, 0)
    with pytest.raises(ValueError, match="expected"):
        DedupIndex.from_npz(index.to_npz(), config=DedupConfig(num_perm=64))
