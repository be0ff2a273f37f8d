from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cleanpipe.cli import main
from tests.conftest import RAW


def test_run_writes_the_three_files_and_a_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["run", str(RAW), str(tmp_path / "out"), "--workers", "1"])
    err = capsys.readouterr().err
    assert code == 0
    assert "2 inputs → 1 records (1 merged), 0 rejected" in err
    for name in ("articles.jsonl", "rejects.jsonl", "report.json"):
        assert (tmp_path / "out" / name).is_file()


def test_quiet_prints_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(RAW), str(tmp_path / "out"), "--quiet", "--workers", "1"]) == 0
    captured = capsys.readouterr()
    assert captured.out == captured.err == ""


def test_missing_raw_folder_is_one_error_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["run", str(tmp_path / "missing"), str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2
    assert err == (
        f"cleanpipe: error: {tmp_path / 'missing'}: "
        "no such folder or file (cleanpipe run takes a dump folder or a dump file)\n"
    )


def test_bad_workers_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(RAW), str(tmp_path / "out"), "--workers", "0"]) == 2
    assert capsys.readouterr().err == "cleanpipe: error: --workers must be at least 1\n"


def test_unknown_command_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["frobnicate"])
    assert exc.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_strict_exits_1_on_a_reject(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "empty.txt").write_bytes(b"")
    code = main(["run", str(raw), str(tmp_path / "out"), "--strict"])
    assert code == 1
    assert capsys.readouterr().err.startswith("cleanpipe: error: empty.txt: rejected (empty")


def test_strip_shows_kept_text_and_removals_by_rule(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["strip", str(RAW / "000_31717eb44b987290.txt"), "--color", "never"]) == 0
    out = capsys.readouterr().out
    kept, removed = out.split("--- removed")
    assert "The Mekong Delta province of" in kept
    assert "(Photo: VNA)" not in kept
    assert "[caption] Ben Tre looks to boost" in removed
    assert "[teaser_block] See more" in removed
    assert "[dateline] Ben Tre (VNA)" in removed
    assert "[byline] VNA" in removed


def test_schema_is_the_record_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["type"] == "object"
    assert set(schema["required"]) >= {"id", "text", "origins", "title", "date"}
    assert schema["properties"]["schema_version"]["const"] == 1


def test_python_dash_m_runs_the_cli() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "cleanpipe", "schema"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0
    assert json.loads(done.stdout)["title"] == "cleanpipe article record"
