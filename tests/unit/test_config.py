"""Configuration: unknown rule names, keys and finding codes are errors that name the valid ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from cleanpipe.config import CheckConfig, Config, StripConfig, config_from_mapping, load_config
from cleanpipe.errors import ConfigError
from cleanpipe.models import FINDING_CODES
from cleanpipe.stages.strip import RULE_NAMES


def test_an_unknown_strip_rule_is_an_error_naming_the_rules(tmp_path: Path) -> None:
    path = tmp_path / "cleanpipe.toml"
    path.write_text('[strip]\ndisabled_rules = ["caption", "captoin"]\n')
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert str(error.value) == (
        f"{path}: strip.disabled_rules: unknown strip rule(s) captoin; "
        f"the valid ones are {', '.join(RULE_NAMES)}"
    )


def test_known_strip_rules_are_accepted() -> None:
    config = config_from_mapping({"strip": {"disabled_rules": ["caption", "repeated_line"]}})
    assert config.strip.disabled_rules == ("caption", "repeated_line")


def test_a_strip_config_built_in_code_raises_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown strip rule"):
        StripConfig(disabled_rules=("captoin",))


def test_an_unknown_finding_code_in_ignore_is_an_error_at_load_time(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text('[tool.cleanpipe.check]\nignore = ["too_short"]\n')
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert str(error.value) == (
        f"{path}: check.ignore: unknown finding code(s) too_short; "
        f"the valid ones are {', '.join(FINDING_CODES)}"
    )
    with pytest.raises(ConfigError, match="unknown finding code"):
        CheckConfig(ignore=("bogus",))


@pytest.mark.parametrize(
    ("table", "message"),
    [
        pytest.param(
            {"wrokers": 2},
            "x.toml: unknown configuration key 'wrokers'; the keys of the top level are "
            "workers, dedup_enabled, strict,",
            id="top-level",
        ),
        pytest.param(
            {"strip": {"disabled_rule": ["nav"]}},
            "x.toml: unknown configuration key 'strip.disabled_rule'; the keys of [strip] are "
            "disabled_rules, repeated_line_min_docs, repeated_line_max_words",
            id="strip",
        ),
        pytest.param(
            {"check": {"min_word": 3}},
            "x.toml: unknown configuration key 'check.min_word'; the keys of [check] are "
            "languages, min_words,",
            id="check",
        ),
        pytest.param(
            {"normalize": {"dayfirst": True}},
            "x.toml: unknown configuration key 'normalize.dayfirst'; the keys of [normalize] "
            "are day_first",
            id="normalize",
        ),
    ],
)
def test_an_unknown_key_is_an_error_naming_the_valid_keys(
    table: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError) as error:
        config_from_mapping(table, origin="x.toml")
    assert str(error.value).startswith(message)


def test_work_dir_is_a_top_level_option() -> None:
    assert Config().work_dir is None
    config = config_from_mapping({"work_dir": "/scratch/cleanpipe"})
    assert config.work_dir == "/scratch/cleanpipe"
    assert 'work_dir = "/scratch/cleanpipe"' in config.to_toml()
