"""write: canonical bytes, and the output swap's layout and guarantees."""

from __future__ import annotations

import hashlib
import json
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


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_outputs_are_plain_files_and_the_report_vouches_for_the_others(tmp_path: Path) -> None:
    out = tmp_path / "deep" / "out"
    _write(out, 2)
    for name in TRIO:
        assert (out / name).is_file()
        assert not (out / name).is_symlink()
    assert (out / "rejects.jsonl").read_bytes() == jsonl_bytes(_rejects(2))
    report = json.loads((out / "report.json").read_bytes())
    assert report["outputs"] == {
        "articles.jsonl": _sha(b""),
        "rejects.jsonl": _sha(jsonl_bytes(_rejects(2))),
    }
    assert sorted(p.name for p in (out / STATE_DIR).iterdir()) == ["lock"]


def test_an_error_inside_the_block_changes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _write(out, 1)
    before = {name: (out / name).read_bytes() for name in TRIO}

    def interrupted() -> None:
        with OutputSwap(out) as swap:
            swap.add_records(articles=[], rejections=_rejects(5))
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted()
    assert {name: (out / name).read_bytes() for name in TRIO} == before
    assert sorted(p.name for p in out.iterdir()) == [STATE_DIR, *TRIO]  # no temp file left


def test_a_commit_cut_short_is_rolled_forward_by_the_next_open(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _write(out, 1)
    # What a run killed after its first rename leaves: the new records in
    # place, the new rejects and report staged, and the journal.
    (out / ".rejects.jsonl.9.tmp").write_bytes(jsonl_bytes(_rejects(3)))
    (out / ".report.json.9.tmp").write_bytes(report_bytes(_report(3)))
    journal = {
        "remove": [],
        "renames": [
            [".rejects.jsonl.9.tmp", "rejects.jsonl"],
            [".report.json.9.tmp", "report.json"],
        ],
    }
    (out / STATE_DIR / "commit.json").write_text(json.dumps(journal), "utf-8")
    with OutputSwap(out):
        pass
    assert (out / "rejects.jsonl").read_bytes() == jsonl_bytes(_rejects(3))
    assert (out / "report.json").read_bytes() == report_bytes(_report(3))
    assert not (out / STATE_DIR / "commit.json").exists()


def test_the_old_layout_of_links_becomes_plain_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    slot = out / STATE_DIR / "a"
    slot.mkdir(parents=True)
    for name in TRIO:
        (slot / name).write_bytes(b"old " + name.encode())
        (out / name).symlink_to(Path(STATE_DIR, "current", name))
    (out / STATE_DIR / "current").symlink_to("a")
    with OutputSwap(out):
        pass
    for name in TRIO:
        assert not (out / name).is_symlink()
        assert (out / name).read_bytes() == b"old " + name.encode()
    assert sorted(p.name for p in (out / STATE_DIR).iterdir()) == ["lock"]
    _write(out, 2)
    assert (out / "rejects.jsonl").read_bytes() == jsonl_bytes(_rejects(2))


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
    report = (out / "report.json").read_bytes()
    write_records(out, articles=[], rejections=_rejects(4))
    assert (out / "report.json").read_bytes() == report
    assert (out / "rejects.jsonl").read_bytes() == jsonl_bytes(_rejects(4))
    write_report(out, _report(4))
    assert (out / "rejects.jsonl").read_bytes() == jsonl_bytes(_rejects(4))
    # A report written alone vouches for the files in place.
    outputs = json.loads((out / "report.json").read_bytes())["outputs"]
    assert outputs["rejects.jsonl"] == _sha(jsonl_bytes(_rejects(4)))


def test_leftovers_of_a_killed_run_are_cleared(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _write(out, 1)
    (out / ".articles.jsonl.123.tmp").write_bytes(b"half")
    (out / STATE_DIR / "commit.json.tmp").write_bytes(b"{")
    _write(out, 2)
    assert not (out / ".articles.jsonl.123.tmp").exists()
    assert not (out / STATE_DIR / "commit.json.tmp").exists()
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
