"""The summary table `cleanpipe run` prints on stderr: its content, not its timings."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from cleanpipe.cli import main
from tests.conftest import RAW

_STAGES = ("read/extract/strip", "repeated lines", "dedup", "merge", "write", "total")


def _dump(tmp_path: Path) -> Path:
    raw = tmp_path / "raw"
    shutil.copytree(RAW, raw)  # two copies of one story: one record, a cluster of 2
    (raw / "empty.txt").write_bytes(b"")
    (raw / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    return raw


def _row(err: str, name: str) -> str:
    (line,) = [line for line in err.splitlines() if line.startswith(f"  {name} ")]
    return line


def test_the_summary_shows_counts_rejects_rules_clusters_and_stages(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = _dump(tmp_path)
    assert main(["run", str(raw), str(tmp_path / "out"), "--workers", "1"]) == 0
    err = capsys.readouterr().err
    assert err.splitlines()[0].startswith(
        "cleanpipe: 4 inputs → 1 records (1 merged), 2 rejected (binary 1, empty 1) in "
    )
    assert re.search(r"^  inputs +4  ", err, re.M)
    assert re.search(r"^  records +1  in articles.jsonl$", err, re.M)
    assert re.search(r"^  merged +1  ", err, re.M)
    assert re.search(r"^  rejected +2  binary 1, empty 1$", err, re.M)
    removed = _row(err, "removed by rule")
    assert "caption 1" in removed
    assert "end_mark 2" in removed
    assert re.search(r"^  duplicate clusters +1  1 of size 2$", err, re.M)
    assert re.search(r"^  skipped WARC records +0  none$", err, re.M)
    assert re.search(r"^  files +4  4 processed, 0 unchanged", err, re.M)
    assert re.search(r"^  stage +seconds +docs/s$", err, re.M)
    for stage in _STAGES:
        assert re.fullmatch(rf"  {re.escape(stage)} +\d+\.\d\d +(-|\d+(\.\d)?)", _row(err, stage))
    assert err.splitlines()[-1] == (
        f"cleanpipe: wrote {tmp_path / 'out'}/articles.jsonl, rejects.jsonl, report.json"
    )


def test_an_incremental_rerun_says_what_it_reused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw, out = _dump(tmp_path), str(tmp_path / "out")
    assert main(["run", str(raw), out, "--workers", "1", "--incremental", "--quiet"]) == 0
    assert capsys.readouterr().err == ""  # --quiet: no summary
    assert main(["run", str(raw), out, "--workers", "1", "--incremental"]) == 0
    err = capsys.readouterr().err
    assert re.search(r"^  files +4  0 processed, 4 unchanged .*, 0 gone$", err, re.M)
    (raw / "empty.txt").unlink()
    assert main(["run", str(raw), out, "--workers", "1", "--incremental"]) == 0
    err = capsys.readouterr().err
    assert "3 inputs → 1 records (1 merged), 1 rejected (binary 1)" in err
    # Which files are read again depends on how the partitions fall; the gone one is told.
    assert re.search(r"^  files +3  \d processed, \d unchanged .*, 1 gone$", err, re.M)


def test_warc_records_skipped_are_counted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    request = b"GET / HTTP/1.1\r\n\r\n"
    head = (
        "WARC/1.0\r\nWARC-Type: request\r\nWARC-Target-URI: https://news.example/\r\n"
        f"WARC-Date: 2024-05-06T08:00:00Z\r\nContent-Length: {len(request)}\r\n\r\n"
    )
    (raw / "crawl.warc").write_bytes(head.encode() + request + b"\r\n\r\n")
    shutil.copy(RAW / "000_31717eb44b987290.txt", raw)
    assert main(["run", str(raw), str(tmp_path / "out"), "--workers", "1"]) == 0
    assert re.search(r"^  skipped WARC records +1  request 1$", capsys.readouterr().err, re.M)
