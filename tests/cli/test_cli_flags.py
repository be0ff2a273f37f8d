"""Flags that mean one thing everywhere: --debug and --log-level on either side of the command,
configuration errors that name the valid values, --work-dir, and `cleanpipe report`."""

from __future__ import annotations

from pathlib import Path

import pytest

from cleanpipe.cli import _config, build_parser, main
from cleanpipe.errors import InputError
from cleanpipe.stages.strip import RULE_NAMES
from tests.conftest import RAW

# Each subcommand with the positional arguments it needs.
_COMMANDS = {
    "run": ["raw", "out"],
    "strip": ["file.txt"],
    "check": ["out"],
    "report": ["out"],
    "config": [],
    "schema": [],
}


def test_the_table_names_every_subcommand() -> None:
    from tests.test_meta import _subcommands

    assert set(_subcommands()) == set(_COMMANDS)


@pytest.mark.parametrize("command", sorted(_COMMANDS))
def test_debug_and_log_level_after_the_subcommand(command: str) -> None:
    args = build_parser().parse_args(
        [command, *_COMMANDS[command], "--debug", "--log-level", "INFO"]
    )
    assert args.debug is True
    assert args.log_level == "INFO"


@pytest.mark.parametrize("command", sorted(_COMMANDS))
def test_debug_and_log_level_before_the_subcommand_are_kept(command: str) -> None:
    parser = build_parser()
    args = parser.parse_args(["--debug", "--log-level", "ERROR", command, *_COMMANDS[command]])
    assert (args.debug, args.log_level) == (True, "ERROR")
    args = parser.parse_args([command, *_COMMANDS[command]])
    assert (args.debug, args.log_level) == (False, "WARNING")


def test_run_debug_after_the_command_shows_the_traceback(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such folder or file"):
        main(["run", str(tmp_path / "missing"), str(tmp_path / "out"), "--debug"])


def test_work_dir_sets_the_config() -> None:
    args = build_parser().parse_args(["run", "raw", "out", "--work-dir", "/scratch/cp"])
    assert _config(args).work_dir == "/scratch/cp"
    assert _config(build_parser().parse_args(["run", "raw", "out"])).work_dir is None


def test_an_unknown_strip_rule_is_exit_2_naming_the_rules(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "cleanpipe.toml"
    config.write_text('[strip]\ndisabled_rules = ["captoin"]\n')
    code = main(["run", str(RAW), str(tmp_path / "out"), "--config", str(config)])
    assert code == 2
    assert capsys.readouterr().err == (
        f"cleanpipe: error: {config}: strip.disabled_rules: unknown strip rule(s) captoin; "
        f"the valid ones are {', '.join(RULE_NAMES)}\n"
    )
    assert not (tmp_path / "out").exists()


def test_an_unknown_key_is_exit_2_naming_the_keys(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "cleanpipe.toml"
    config.write_text("[dedup]\njacard_threshold = 0.7\n")
    assert main(["config", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        f"cleanpipe: error: {config}: unknown configuration key 'dedup.jacard_threshold'; "
        "the keys of [dedup] are num_perm, shingle_size, jaccard_threshold,"
    )
    assert err.count("\n") == 1


def test_report_writes_the_page(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main(["run", str(RAW), str(out), "--quiet", "--workers", "1"]) == 0
    assert main(["report", str(out), "--raw", str(RAW)]) == 0
    assert capsys.readouterr().err == f"cleanpipe: wrote {out / 'report.html'}\n"
    page = (out / "report.html").read_text("utf-8")
    assert "<h2>Merged clusters</h2>" in page
    assert "the same text" in page or 'class="diff"' in page


def test_report_of_a_missing_folder_is_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", str(tmp_path / "nope")]) == 2
    assert capsys.readouterr().err == (
        f"cleanpipe: error: {tmp_path / 'nope'}: not a folder "
        "(give the output folder of cleanpipe run)\n"
    )
