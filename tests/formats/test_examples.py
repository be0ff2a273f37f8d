"""Run every example of docs/examples.md, in order, in one fresh folder."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest

from cleanpipe.cli import main
from tests.conftest import REPO

DOC = REPO / "docs" / "examples.md"
_BLOCK = re.compile(r"^```(python|console)\n(.*?)^```", re.S | re.M)


def _blocks() -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in _BLOCK.finditer(DOC.read_text("utf-8"))]


def test_the_page_has_examples_of_each_kind():
    kinds = [kind for kind, _ in _blocks()]
    assert kinds.count("python") >= 5
    assert kinds.count("console") >= 2


def test_examples_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys):
    shutil.copytree(REPO / "data" / "raw", tmp_path / "data" / "raw")
    monkeypatch.chdir(tmp_path)
    for number, (kind, body) in enumerate(_blocks(), start=1):
        if kind == "python":
            code = compile(body, f"{DOC.name} block {number}", "exec")
            exec(code, {"__name__": f"example_{number}"})
            continue
        for line in body.splitlines():
            if not line.startswith("$ cleanpipe "):
                continue
            argv = shlex.split(line.removeprefix("$ cleanpipe "))
            assert main(argv) == 0, f"block {number}: {line}\n{capsys.readouterr().err}"
    # the `cleanpipe config` example printed the file's values
    assert 'format = "jsonl.gz"' in capsys.readouterr().out
