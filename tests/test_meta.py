"""Meta-tests: the public API is declared once, and every command is documented."""

from __future__ import annotations

import argparse

import pytest

import cleanpipe
from cleanpipe.cli import build_parser
from tests.conftest import REPO


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    msg = "no subcommands"
    raise AssertionError(msg)


def test_all_matches_the_public_names() -> None:
    public = {n for n in vars(cleanpipe) if not n.startswith("_")} - {"annotations"}
    modules = {n for n in public if type(getattr(cleanpipe, n)).__name__ == "module"}
    assert set(cleanpipe.__all__) - {"__version__"} == public - modules
    for name in cleanpipe.__all__:
        assert hasattr(cleanpipe, name), name


@pytest.mark.parametrize("command", sorted(_subcommands()))
def test_every_command_has_help_and_is_in_the_readme(command: str) -> None:
    parser = _subcommands()[command]
    assert parser.description, f"cleanpipe {command} has no description"
    readme = (REPO / "README.md").read_text("utf-8")
    assert f"cleanpipe {command}" in readme, f"README does not mention `cleanpipe {command}`"
