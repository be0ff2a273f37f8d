"""write: canonical bytes, and the output swap's layout and guarantees."""

from __future__ import annotations

from pathlib import Path

import pytest

from cleanpipe.errors import OutputError
from cleanpipe.models import Rejection, Report
from cleanpipe.write import (
    STATE_DIR,
    OutputSwap,
    jsonl_bytes,
    report_bytes,
    write_atomic,
    write_outputs,
    write_records,
    write_report,
)

TRIO = ("articles.jsonl", "rejects.jsonl", "report.json")


def _report(n: int) -> Report:
    return Report(
        inputs=n,
        records=0,
        merged=0,
        rejected=n,
        rejects_by_reason={"empty": n} if n else {},
        removed_by_rule={},
        cluster_sizes={},
    )


def _rejects(n: int) -> list[Rejection]:
    return [Rejection(detail="d", path=f"{i}.txt", reason="empty") for i in range(n)]


def _write(out: Path, n: int) -> None:
    write_outputs(out, articles=[], rejections=_rejects(n), report=_report(n))


def test_outputs_are_links_into_the_current_slot(tmp_path: Path) -> None:
    out = tmp_path / "deep" / "out"
    _write(out, 2)
    for name in TRIO:
        assert (out / name).is_symlink()
        assert str((out / name).readlink()) == f"{STATE_DIR}/current/{name}"
    assert str((out / STATE_DIR / "current").readlink()) == "a"
    assert (out / "rejects.jsonl").read_bytes() == jsonl_bytes(_rejects(2))
    assert (out / "report.json").read_bytes() == report_bytes(_report(2))


def test_runs_take_turns_between_two_slots(tmp_path: Path) -> None:
    out = tmp_path / "out"
    for n, slot in ((1, "a"), (2, "b"), (3, "a")):
        _write(out, n)
        assert str((out / STATE_DIR / "current").readlink()) == slot
        assert (out / "rejects.jsonl").read_bytes() == jsonl_bytes(_rejects(n))
    assert sorted(p.name for p in (out / STATE_DIR).iterdir()) == ["a", "b", "current", "lock"]


def test_an_error_inside_the_block_changes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _write(out, 1)

    def interrupted() -> None:
        with OutputSwap(out) as swap:
            swap.add_records(articles=[], rejections=_rejects(5))
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted()
    assert (out / "rejects.jsonl").read_bytes() == jsonl_bytes(_rejects(1))
    assert str((out / STATE_DIR / "current").readlink()) == "a"


def test_plain_files_are_adopted_then_replaced(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    for name in TRIO:
        (out / name).write_bytes(b"old " + name.encode())
    (out / "notes.md").write_text("mine", "utf-8")
    _write(out, 2)
    assert (out / "rejects.jsonl").read_bytes() == jsonl_bytes(_rejects(2))
    assert (out / "notes.md").read_text("utf-8") == "mine"  # other files are left alone


def test_write_records_keeps_the_report_and_write_report_keeps_the_records(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    _write(out, 1)
    write_records(out, articles=[], rejections=_rejects(4))
    assert (out / "report.json").read_bytes() == report_bytes(_report(1))
    assert (out / "rejects.jsonl").read_bytes() == jsonl_bytes(_rejects(4))
    write_report(out, _report(4))
    assert (out / "rejects.jsonl").read_bytes() == jsonl_bytes(_rejects(4))
    assert (out / "report.json").read_bytes() == report_bytes(_report(4))


def test_leftovers_of_a_killed_run_are_cleared(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _write(out, 1)
    (out / STATE_DIR / "b").mkdir()
    (out / STATE_DIR / "b" / "articles.jsonl").write_bytes(b"half")
    (out / STATE_DIR / "current.123.tmp").symlink_to("b")
    (out / ".rejects.jsonl.123.link.tmp").symlink_to("nowhere")
    _write(out, 2)
    assert not (out / STATE_DIR / "current.123.tmp").is_symlink()
    assert not (out / ".rejects.jsonl.123.link.tmp").is_symlink()
    assert (out / "articles.jsonl").read_bytes() == b""


def test_out_that_is_a_file_is_an_output_error(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.write_text("x", "utf-8")
    with pytest.raises(OutputError, match="out: "):
        _write(out, 1)


def test_an_output_name_that_is_a_folder_is_an_output_error(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "report.json").mkdir(parents=True)
    with pytest.raises(OutputError, match=r"report\.json: is a folder"):
        _write(out, 1)


def test_write_atomic_replaces_whole_and_cleans_up(tmp_path: Path) -> None:
    target = tmp_path / "f.json"
    write_atomic(target, b"one")
    write_atomic(target, b"two")
    assert target.read_bytes() == b"two"
    assert [p.name for p in tmp_path.iterdir()] == ["f.json"]
    with pytest.raises(OutputError, match="cannot write"):
        write_atomic(tmp_path / "missing" / "f.json", b"x")


def test_an_unknown_output_name_is_refused(tmp_path: Path) -> None:
    with OutputSwap(tmp_path / "out") as swap, pytest.raises(ValueError, match="not an output"):
        swap.add("../escape.txt", b"x")
