"""Incremental runs: real dumps in tmp_path, real runs, the output against a full run."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar

import pytest

import cleanpipe.plan as plan
from cleanpipe import check, run
from cleanpipe.config import Config, StripConfig
from cleanpipe.executors.local import LocalExecutor

T = TypeVar("T")
R = TypeVar("R")

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
    # A budget below one file: every file is a partition of its own.
    return Config(workers=1, incremental=True, partition_bytes=1024, **updates)  # type: ignore[arg-type]


def _files(out: Path) -> dict[str, bytes]:
    return {name: (out / name).read_bytes() for name in ("articles.jsonl", "rejects.jsonl")}


def _report(out: Path) -> dict[str, object]:
    report: dict[str, object] = json.loads((out / "report.json").read_text("utf-8"))
    return report


def _records(out: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (out / "articles.jsonl").read_text("utf-8").splitlines()]


def _assert_same_as_full_run(raw: Path, out: Path, tmp_path: Path) -> None:
    full = tmp_path / "full"
    run(raw, full, config=Config(workers=1, partition_bytes=1024))
    assert _files(out) == _files(full)
    assert _report(out) == _report(full)


def _processed(report: object) -> tuple[int, int]:
    timings = report.timings  # type: ignore[attr-defined]
    return timings.files_processed, timings.files_unchanged


def test_unchanged_inputs_are_not_processed_again(tmp_path: Path) -> None:
    raw, out = tmp_path / "raw", tmp_path / "out"
    _old_dump(raw)
    first = run(raw, out, config=_config())
    assert _processed(first) == (8, 0)
    before = _files(out)
    again = run(raw, out, config=_config())
    assert _processed(again) == (0, 8)
    assert again.timings.files_gone == 0
    assert again.timings.partitions_prepared == 0
    assert _files(out) == before
    assert again.inputs == first.inputs == 8


def test_a_changed_file_is_processed_again(tmp_path: Path) -> None:
    raw, out = tmp_path / "raw", tmp_path / "out"
    _old_dump(raw)
    run(raw, out, config=_config())
    _write(raw, "old-3.txt", _story(33))  # same path, other bytes
    report = run(raw, out, config=_config())
    assert _processed(report) == (1, 7)
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
    assert _processed(report) == (8, 8)
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
    # The work folder holds the artifacts of the inputs in the dump, no more.
    assert len(list((out / ".cleanpipe" / "work" / "parts").iterdir())) == 5


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


def test_a_plain_run_keeps_no_work_folder(tmp_path: Path) -> None:
    raw, out = tmp_path / "raw", tmp_path / "out"
    _old_dump(raw)
    run(raw, out, config=_config())
    assert (out / ".cleanpipe" / "work" / "parts").is_dir()
    run(raw, out, config=Config(workers=1, partition_bytes=1024))
    assert not (out / ".cleanpipe" / "work").exists()
    report = run(raw, out, config=_config())
    assert report.timings.files_processed == 8


@pytest.mark.parametrize(
    ("change", "processed"),
    [
        pytest.param({"strip": StripConfig(disabled_rules=("byline",))}, 8, id="strip-settings"),
        pytest.param({"dedup": {"similarity_threshold": 90.0}}, 0, id="verify-settings-reuse"),
        pytest.param({"dedup": {"shingle_size": 4}}, 8, id="signature-settings"),
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
    _assert_same_as_full_run_with(raw, out, tmp_path, Config(workers=1, **change))  # type: ignore[arg-type]


def _assert_same_as_full_run_with(raw: Path, out: Path, tmp_path: Path, config: Config) -> None:
    full = tmp_path / "full-with"
    run(raw, full, config=config)
    assert _files(out) == _files(full)


def test_a_change_of_the_code_invalidates_every_artifact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw, out = tmp_path / "raw", tmp_path / "out"
    _old_dump(raw)
    run(raw, out, config=_config())
    # An edit of an editable checkout changes the hash of the package's sources.
    monkeypatch.setattr(plan, "_CODE_VERSION", ["edited"])
    report = run(raw, out, config=_config())
    assert report.timings.files_processed == 8
    assert report.timings.partitions_reused == 0


def test_the_code_version_is_a_hash_of_the_sources() -> None:
    assert plan.code_version() == plan.code_version()
    assert len(plan.code_version()) == 32


class _Crash(LocalExecutor):
    """Dies (KeyboardInterrupt) after ``after`` tasks of ``step``, as a killed run would."""

    def __init__(self, after: int, step: str = "prepare_partition") -> None:
        super().__init__(workers=1)
        self.after = after
        self.step = step

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
        for done, result in enumerate(super().map(fn, items), start=1):
            yield result
            if fn.__name__ == self.step and done == self.after:
                raise KeyboardInterrupt


def test_a_rerun_after_a_crash_resumes_from_the_prepared_partitions(tmp_path: Path) -> None:
    raw, out = tmp_path / "raw", tmp_path / "out"
    _old_dump(raw)
    config = Config(workers=1, partition_bytes=1024)  # not incremental: a plain rerun resumes
    with pytest.raises(KeyboardInterrupt):
        run(raw, out, config=config, executor=_Crash(after=5))
    assert not (out / "articles.jsonl").exists()
    assert len(list((out / ".cleanpipe" / "work" / "parts").iterdir())) == 5
    report = run(raw, out, config=config)
    assert report.timings.partitions_reused == 5
    assert report.timings.partitions_prepared == 3
    _assert_same_as_full_run(raw, out, tmp_path)
    assert not (out / ".cleanpipe" / "work").exists()  # removed after the successful run


def _near_copies_dump(raw: Path) -> None:
    """Stories each with two near copies (a sentence changed): candidate pairs to verify."""
    for n in range(6):
        story = _story(n)
        _write(raw, f"story-{n}.txt", story)
        for c in range(2):
            changed = [*story[:-1], story[-1].replace("rose", f"fell {c}", 1)]
            _write(raw, f"story-{n}-copy-{c}.txt", changed)


@pytest.mark.parametrize("step", ["verify_edges", "merge_records"])
def test_a_rerun_after_a_crash_in_the_corpus_steps_takes_their_finished_tasks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    import cleanpipe.pipeline
    import cleanpipe.steps

    # A task a pair (a record): the crash leaves some done, some not.
    monkeypatch.setattr(cleanpipe.pipeline, "VERIFY_BLOCK", 1)
    monkeypatch.setattr(cleanpipe.pipeline, "MERGE_BLOCK", 1)
    calls: dict[str, int] = {"verify": 0, "merge": 0}
    verify_pair = cleanpipe.steps.verify_pair
    record_line = cleanpipe.steps._record_line

    def counted_verify(*args: object, **kwargs: object) -> bool:
        calls["verify"] += 1
        return verify_pair(*args, **kwargs)  # type: ignore[arg-type]

    def counted_merge(copies: Sequence[object]) -> bytes:
        calls["merge"] += 1
        return record_line(copies)  # type: ignore[arg-type]

    monkeypatch.setattr(cleanpipe.steps, "verify_pair", counted_verify)
    monkeypatch.setattr(cleanpipe.steps, "_record_line", counted_merge)
    raw, out = tmp_path / "raw", tmp_path / "out"
    _near_copies_dump(raw)
    full = tmp_path / "full"
    run(raw, full, config=Config(workers=1))
    whole = dict(calls)
    assert whole["verify"] > 4
    config = Config(workers=1, partition_bytes=1024)
    with pytest.raises(KeyboardInterrupt):
        run(raw, out, config=config, executor=_Crash(after=3, step=step))
    calls.update(verify=0, merge=0)
    run(raw, out, config=config)
    kind = "verify" if step == "verify_edges" else "merge"
    assert calls[kind] == whole[kind] - 3  # the three finished tasks were taken as they were
    assert _files(out) == _files(full)
    assert not (out / ".cleanpipe" / "work").exists()


def test_an_incremental_rerun_of_the_same_dump_verifies_and_merges_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import cleanpipe.steps

    raw, out = tmp_path / "raw", tmp_path / "out"
    _near_copies_dump(raw)
    run(raw, out, config=_config())
    first = _files(out)
    calls: list[int] = []
    monkeypatch.setattr(cleanpipe.steps, "verify_pair", lambda *a, **k: calls.append(1) or True)
    report = run(raw, out, config=_config())
    assert calls == []
    assert report.timings.partitions_prepared == 0
    assert _files(out) == first
    # The work folder keeps what this run used, nothing older.
    work = out / ".cleanpipe" / "work"
    assert list((work / "verify").iterdir())
    assert not list(work.glob("*/.*.tmp"))


def test_incremental_runs_on_the_dask_engine_too(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    from cleanpipe.executors.dask import DaskExecutor

    raw, out = tmp_path / "raw", tmp_path / "out"
    _old_dump(raw)
    run(raw, out, config=_config())
    _write(raw, "new-9.txt", _story(9))
    with DaskExecutor(workers=2) as executor:
        report = run(raw, out, config=_config(engine="dask"), executor=executor)
    assert _processed(report) == (1, 8)
    _assert_same_as_full_run(raw, out, tmp_path)
