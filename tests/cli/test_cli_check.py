"""`cleanpipe check`: output formats, exit codes, configuration."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest

from cleanpipe.cli import main
from cleanpipe.config import Config
from cleanpipe.pipeline import run
from tests.unit.test_check import _VOCABULARY as _WORDS
from tests.unit.test_check import _rehashed


def _dump(raw: Path, *, count: int, seed: int = 3) -> None:
    rng = random.Random(seed)
    raw.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        body = "\n\n".join(
            " ".join(rng.choice(_WORDS) for _ in range(30)).capitalize() + "." for _ in range(3)
        )
        (raw / f"{index:02d}.txt").write_text(f" date 2023-10-1{index} Story {index}\n{body}\n")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("cli-check")
    _dump(base / "raw", count=3)
    run(base / "raw", base / "out", config=Config(workers=1))
    return base / "raw", base / "out"


@pytest.fixture
def short_corpus(corpus: tuple[Path, Path], tmp_path: Path) -> Path:
    """A copy whose second record is cut to a few words (id and word count kept consistent)."""
    from cleanpipe.models import Article
    from cleanpipe.stages.merge import record_id
    from cleanpipe.write import canonical_json

    out = tmp_path / "out"
    out.mkdir()
    for name in ("rejects.jsonl", "report.json"):
        shutil.copyfile(corpus[1] / name, out / name)
    records = [
        Article.model_validate_json(line)
        for line in (corpus[1] / "articles.jsonl").read_bytes().splitlines()
    ]
    text = "Far too short to be an article, at eleven words in all."
    records[1] = records[1].model_copy(
        update={"text": text, "id": record_id(text), "word_count": 12}
    )
    records.sort(key=lambda a: a.id)
    (out / "articles.jsonl").write_bytes(b"".join(canonical_json(a) + b"\n" for a in records))
    # report.json's outputs name the new articles.jsonl: short, not torn.
    (out / "report.json").write_bytes(_rehashed((out / "report.json").read_bytes(), out))
    return out


def test_clean_corpus_exits_0(
    corpus: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    raw, out = corpus
    assert main(["check", "--raw", str(raw), str(out)]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"cleanpipe: check {out}: no findings\n"


def test_findings_exit_1_one_line_each(
    short_corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(short_corpus)]) == 1
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"{short_corpus}/articles.jsonl:")
    assert ": too-short: record " in lines[0]
    assert lines[0].endswith("12 words, fewer than min_words (50)")
    assert captured.err == f"cleanpipe: check {short_corpus}: 1 finding(s): too-short 1\n"


def test_json_format(short_corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--findings-format", "json", "--quiet", str(short_corpus)]) == 1
    captured = capsys.readouterr()
    rows = json.loads(captured.out)
    assert [row["code"] for row in rows] == ["too-short"]
    assert set(rows[0]) == {"code", "message", "file", "line", "record_id"}
    assert captured.err == ""


def test_json_format_when_clean(
    corpus: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", "--findings-format", "json", "--quiet", str(corpus[1])]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_github_format(short_corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--findings-format", "github", "--quiet", str(short_corpus)]) == 1
    (line,) = capsys.readouterr().out.splitlines()
    assert line.startswith(f"::error file={short_corpus}/articles.jsonl,line=")
    assert ",title=cleanpipe too-short::record " in line
    assert line.endswith(": 12 words, fewer than min_words (50)")


def test_github_escapes_properties_and_message() -> None:
    from cleanpipe.cli import _github_annotation
    from cleanpipe.models import CheckFinding

    finding = CheckFinding(code="accounting", message="50% off\nnext", file="a,b:c.json")
    assert _github_annotation(finding) == (
        "::error file=a%2Cb%3Ac.json,title=cleanpipe accounting::50%25 off%0Anext"
    )


def test_flags_override_thresholds(
    corpus: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    out = str(corpus[1])
    assert main(["check", "--min-words", "1000", "--quiet", out]) == 1
    assert capsys.readouterr().out.count(": too-short: ") == 3
    assert main(["check", "--min-words", "1000", "--ignore", "too-short", "--quiet", out]) == 0
    assert main(["check", "--languages", "vi,fr", "--quiet", out]) == 1
    assert capsys.readouterr().out.count(": language: ") == 3
    assert main(["check", "--max-reject-rate", "0", "--quiet", out]) == 0  # nothing rejected


def test_config_file_and_pyproject(
    short_corpus: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = tmp_path / "cleanpipe.toml"
    config.write_text("[check]\nmin_words = 5\n")
    assert main(["check", "--config", str(config), str(short_corpus)]) == 0
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text("[tool.cleanpipe.check]\nignore = ['too-short']\n")
    monkeypatch.chdir(project)
    assert main(["check", str(short_corpus)]) == 0
    # The flag wins over the file.
    assert main(["check", "--min-words", "100", "--config", str(config), str(short_corpus)]) == 1
    capsys.readouterr()


def test_stale_output_exits_1(
    corpus: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = tmp_path / "raw"
    shutil.copytree(corpus[0], raw)
    (raw / "00.txt").unlink()
    assert main(["check", "--raw", str(raw), str(corpus[1])]) == 1
    out = capsys.readouterr().out
    assert out.count(": stale-output: ") == 2  # articles and report; no rejects either way
    assert f"re-run `cleanpipe run {raw} {corpus[1]}`" in out


@pytest.mark.parametrize(
    ("argv", "error"),
    [
        pytest.param(
            ["check", "{tmp}/nope"],
            "cleanpipe: error: {tmp}/nope: not a folder (give the output folder of cleanpipe run)",
            id="no-folder",
        ),
        pytest.param(
            ["check", "{tmp}"],
            "cleanpipe: error: {tmp}: holds no articles.jsonl, rejects.jsonl or report.json "
            "(is it the output folder of cleanpipe run?)",
            id="not-an-output-folder",
        ),
        pytest.param(
            ["check", "--ignore", "bogus", "{out}"],
            "cleanpipe: error: command line: check.ignore: unknown finding code(s) bogus; "
            "the valid ones are missing-file, invalid-json,",
            id="unknown-code",
        ),
        pytest.param(
            ["check", "--max-reject-rate", "2", "{out}"],
            "cleanpipe: error: command line: invalid configuration at 'check.max_reject_rate'",
            id="bad-threshold",
        ),
        pytest.param(
            ["check", "--raw", "{tmp}/nope", "{out}"],
            "cleanpipe: error: {tmp}/nope: no such folder or file",
            id="raw-missing",
        ),
    ],
)
def test_usage_and_io_errors_exit_2(
    corpus: tuple[Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    error: str,
) -> None:
    def fill(text: str) -> str:
        return text.format(tmp=tmp_path, out=corpus[1])

    assert main([fill(a) for a in argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(fill(error))
    assert captured.err.count("\n") == 1


@pytest.mark.parametrize("flag", ["--findings-format", "--format"])
def test_bad_format_is_a_usage_error(flag: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["check", flag, "xml", "out"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'xml'" in capsys.readouterr().err


def test_the_old_format_flag_still_works_with_a_warning(
    short_corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", "--format", "json", "--quiet", str(short_corpus)]) == 1
    captured = capsys.readouterr()
    assert [row["code"] for row in json.loads(captured.out)] == ["too-short"]
    assert captured.err == (
        "cleanpipe: warning: check --format is deprecated and will be removed in 0.2; "
        "use --findings-format (--format is the output format of run)\n"
    )


def test_findings_format_wins_over_the_old_flag(
    short_corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["check", "--format", "json", "--findings-format", "github", "--quiet"]
    assert main([*argv, str(short_corpus)]) == 1
    assert capsys.readouterr().out.startswith("::error file=")


def test_help_lists_check(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["check", "--help"])
    help_text = capsys.readouterr().out
    for flag in ("--raw", "--findings-format", "--min-words", "--max-reject-rate", "--languages",
                 "--require-date", "--max-mojibake-badness", "--ignore", "--config"):  # fmt: skip
        assert flag in help_text
