"""Frozen per-stage configuration, and loading it from TOML.

Each stage has one frozen model; a field's name is its CLI flag
(``jaccard_threshold`` ↔ ``--jaccard-threshold``) and its key in the TOML
table of the stage: ``[tool.cleanpipe.<stage>]`` in ``pyproject.toml`` or
``[<stage>]`` in ``cleanpipe.toml``. Run-wide options (``workers``, ``dedup``,
``strict``…) sit at the top of the table.

>>> Config().dedup.jaccard_threshold
0.7
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cleanpipe.errors import ConfigError

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class ReadConfig(BaseModel):
    """How the dump folder is read."""

    model_config = _FROZEN

    # 64 MiB: far above any article page (the benchmark's largest is ~1.3 MB) and
    # small enough that a gzip bomb is stopped long before it hurts.
    max_bytes: int = Field(default=64 * 1024 * 1024, gt=0)
    follow_symlinks: bool = False


class ExtractConfig(BaseModel):
    """How text and metadata are taken out of HTML, JSON and plain text."""

    model_config = _FROZEN

    favor_precision: bool = True
    include_tables: bool = True
    # A plain-text first line this short, followed by a blank line, is a title.
    max_title_chars: int = Field(default=200, gt=0)


class StripConfig(BaseModel):
    """Which boilerplate rules run, and the corpus-level repeated-line threshold."""

    model_config = _FROZEN

    disabled_rules: tuple[str, ...] = ()
    # A paragraph seen in at least this many distinct documents of one source is
    # boilerplate (`repeated_line`). Near-duplicate copies of one story share every
    # paragraph, so the count is over documents with distinct texts, and the bar
    # sits well above the number of copies a story usually has.
    repeated_line_min_docs: int = Field(default=10, ge=2)
    # Long paragraphs are article text even when shared (quotes, press releases).
    repeated_line_max_words: int = Field(default=30, ge=1)


class NormalizeConfig(BaseModel):
    """Unicode, whitespace, dates and language."""

    model_config = _FROZEN

    # Day-first reading of ambiguous numeric dates (13/10/2023 is day-first anyway).
    day_first: bool = True


class DedupConfig(BaseModel):
    """Near-duplicate detection: MinHash, LSH banding and rapidfuzz verification."""

    model_config = _FROZEN

    num_perm: int = Field(default=128, ge=16, le=1024)
    shingle_size: int = Field(default=5, ge=1, le=16)
    jaccard_threshold: float = Field(default=0.7, gt=0.0, lt=1.0)
    # rapidfuzz similarity (0-100) a candidate pair must reach to be merged.
    similarity_threshold: float = Field(default=80.0, ge=0.0, le=100.0)
    seed: int = 1


class CheckConfig(BaseModel):
    """Thresholds of ``cleanpipe check``."""

    model_config = _FROZEN

    languages: tuple[str, ...] = ()
    min_words: int = Field(default=50, ge=0)
    max_reject_rate: float = Field(default=0.2, ge=0.0, le=1.0)
    require_date: bool = True
    max_mojibake_badness: int = Field(default=0, ge=0)


class Config(BaseModel):
    """The whole configuration of a run."""

    model_config = _FROZEN

    workers: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1)
    dedup_enabled: bool = True
    strict: bool = False
    engine: Literal["local", "dask"] = "local"
    # A running Dask scheduler (tcp://host:8786); without one, `--engine dask`
    # starts a LocalCluster of `workers` processes.
    scheduler: str | None = None
    # Connected components of the dedup graph on the driver ("memory"), as
    # dask dataframe rounds ("distributed"), or chosen by the edge count.
    components: Literal["memory", "distributed", "auto"] = "auto"
    read: ReadConfig = ReadConfig()
    extract: ExtractConfig = ExtractConfig()
    strip: StripConfig = StripConfig()
    normalize: NormalizeConfig = NormalizeConfig()
    dedup: DedupConfig = DedupConfig()
    check: CheckConfig = CheckConfig()


def load_config(path: Path | None = None, *, start: Path | None = None) -> Config:
    """Load the configuration from ``path``, or find one from ``start`` upwards.

    Without ``path``, the first ``cleanpipe.toml`` or ``pyproject.toml`` with a
    ``[tool.cleanpipe]`` table in ``start`` (default: the working folder) or a
    parent is used; with none found, the defaults.

    Raises:
        ConfigError: the file cannot be read or holds an invalid value.
    """
    if path is None:
        path = _find_config(start or Path.cwd())
        if path is None:
            return Config()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        msg = f"{path}: cannot read configuration ({exc})"
        raise ConfigError(msg) from exc
    table = data.get("tool", {}).get("cleanpipe", {}) if path.name == "pyproject.toml" else data
    return config_from_mapping(table, origin=str(path))


def config_from_mapping(table: dict[str, object], *, origin: str = "<mapping>") -> Config:
    """Build a ``Config`` from a ``[tool.cleanpipe]``-shaped mapping.

    >>> table = {"workers": 1, "dedup": {"jaccard_threshold": 0.8}}
    >>> config_from_mapping(table).dedup.jaccard_threshold
    0.8
    """
    try:
        return Config.model_validate(table)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        msg = f"{origin}: invalid configuration at '{where}': {first['msg']}"
        raise ConfigError(msg) from exc


def _find_config(start: Path) -> Path | None:
    for folder in (start.resolve(), *start.resolve().parents):
        candidate = folder / "cleanpipe.toml"
        if candidate.is_file():
            return candidate
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            try:
                data = tomllib.loads(candidate.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
                continue
            if "cleanpipe" in data.get("tool", {}):
                return candidate
    return None
