"""Frozen per-stage configuration, and loading it from TOML.

Each stage has one frozen model; a field's name is its CLI flag
(``jaccard_threshold`` ↔ ``--jaccard-threshold``) and its key in the TOML
table of the stage: ``[tool.cleanpipe.<stage>]`` in ``pyproject.toml`` or
``[<stage>]`` in ``cleanpipe.toml``. Run-wide options (``workers``, ``dedup``,
``strict``…) sit at the top of the table.

>>> Config().dedup.jaccard_threshold
0.2
"""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from cleanpipe.errors import ConfigError
from cleanpipe.formats.output import OutputFormat
from cleanpipe.models import FINDING_CODES

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
    # sits well above the number of copies a story usually has. Measured with
    # benchmarks/repeated_lines.py (thresholds 2..20): boilerplate removed stops
    # growing below 20 (flat from 5 at 10k documents, from 15 at 1k), while short
    # quotes shared by a few stories (times their copies) keep being lost up to 19.
    repeated_line_min_docs: int = Field(default=20, ge=2)
    # Long paragraphs are article text even when shared (quotes, press releases).
    repeated_line_max_words: int = Field(default=30, ge=1)

    @field_validator("disabled_rules")
    @classmethod
    def _known_rules(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            return value
        # Imported here: the strip stage imports this module for StripConfig.
        from cleanpipe.stages.strip import RULE_NAMES

        return _known(value, RULE_NAMES, key="strip.disabled_rules", kind="strip rule")


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
    # LSH finds pairs whose estimated Jaccard similarity of 5-word shingles is
    # about this or more: 0.2 gives 28 bands x 2 rows with 128 permutations. A
    # copy truncated to 40% has Jaccard 0.4 at best, an extraction with a page's
    # extra blocks less: on benchmarks/real_dups.py (seed 1) the recall ceiling
    # (every true candidate verified) is 0.914 at 0.5, 0.972 at 0.4, 0.990 at
    # 0.3 and 0.997 at 0.2, for 15% more candidates than at 0.5; on
    # benchmarks/dedup.py (10,000 docs) candidates double (6,552 -> 13,662) and
    # dedup takes 2.9 CPU s instead of 2.5.
    jaccard_threshold: float = Field(default=0.2, gt=0.0, lt=1.0)
    # Word-sequence containment (0-100, see stages.verify): the longest common
    # subsequence must cover this share of the shorter text's words. 85 keeps the
    # template families of benchmarks/dedup.py apart (their false pairs reach 82-86);
    # real copies below it are short syndicated ones, which max_missing_words takes.
    similarity_threshold: float = Field(default=85.0, ge=0.0, le=100.0)
    # Length-aware slack: the shorter text may miss this many words even when that
    # is more than (100 - similarity_threshold)% of it (a dateline and rewritten
    # lede in an 80-word brief), never over a quarter of it. Swept 0-30 on both
    # benchmarks: 15-20 recover short syndicated copies, 25 starts merging the
    # template stories of benchmarks/dedup.py.
    max_missing_words: int = Field(default=15, ge=0)
    # The common words must also be this share of the longer text's words, so a
    # brief or a quoted paragraph is not a copy of every story holding it, while a
    # copy truncated to 40% (common/longer >= 0.36 after boilerplate) still is.
    min_length_ratio: float = Field(default=0.25, gt=0.0, le=1.0)
    # Paragraph evidence: paragraphs of the shorter text of this many words or more
    # with over half their words unaligned are its own ...
    own_paragraph_words: int = Field(default=8, ge=1)
    # ... and own paragraphs holding this share of its words make two stories
    # (briefs sharing a site template: 0.21-0.52 on benchmarks/real_dups.py; true
    # pairs 0 but for one page extraction at 0.26).
    max_own_share: float = Field(default=0.2, gt=0.0, le=1.0)
    seed: int = 1


class CheckConfig(BaseModel):
    """Thresholds of ``cleanpipe check`` (``[tool.cleanpipe.check]``)."""

    model_config = _FROZEN

    # ISO 639-1 codes a record may be in; empty allows any language (and none).
    languages: tuple[str, ...] = ()
    # Fewer words than this is a stub, a paywall teaser or an extraction failure;
    # agency briefs run to 80 words and more.
    min_words: int = Field(default=50, ge=0)
    # Share of inputs rejected (rejected / inputs) above which the run is suspect.
    max_reject_rate: float = Field(default=0.2, ge=0.0, le=1.0)
    require_date: bool = True
    # ftfy's badness (count of mojibake-like sequences) a text may reach; ftfy
    # itself calls any text above 0 "bad", and clean text in any script scores 0.
    max_mojibake_badness: int = Field(default=0, ge=0)
    # Finding codes not to report (``--ignore near-duplicate``).
    ignore: tuple[str, ...] = ()

    @field_validator("ignore")
    @classmethod
    def _known_codes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _known(value, FINDING_CODES, key="check.ignore", kind="finding code")


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
    # How the records are written: articles.jsonl, articles.jsonl.gz or
    # articles.parquet (the `parquet` extra); the same schema in each.
    format: OutputFormat = "jsonl"
    # Keep the work folder (the prepared partitions) after a successful run, so
    # the next run prepares only partitions whose inputs or settings changed
    # (see cleanpipe.work); the output is the same as a full run's.
    incremental: bool = False
    # Where a run keeps its per-partition artifacts; default OUT/.cleanpipe/work
    work_dir: str | None = None
    # Input bytes per partition at most, the unit of work and of the artifacts on
    # disk (cleanpipe.plan): 16 MiB is ~6,000 news texts or ~200 HTML pages, a few
    # seconds of work. A dump under 256 MiB is cut into ~16 smaller partitions
    # (1 MiB at least), so that the workers share it evenly.
    partition_bytes: int = Field(default=16 * 1024 * 1024, ge=1)
    read: ReadConfig = ReadConfig()
    extract: ExtractConfig = ExtractConfig()
    strip: StripConfig = StripConfig()
    normalize: NormalizeConfig = NormalizeConfig()
    dedup: DedupConfig = DedupConfig()
    check: CheckConfig = CheckConfig()

    def to_toml(self) -> str:
        """Render the configuration as a ``cleanpipe.toml`` (``cleanpipe config``).

        Every option is written, defaults included; an option that is unset
        (null) is written as a comment, since TOML has no null. Loading the
        text back gives the same configuration.

        >>> text = Config(workers=2).to_toml()
        >>> text.splitlines()[0], "[dedup]" in text
        ('workers = 2', True)
        >>> config_from_mapping(tomllib.loads(text)) == Config(workers=2)
        True
        """
        top: list[str] = []
        tables: list[str] = []
        for name, value in self.model_dump(mode="json").items():
            if isinstance(value, dict):
                body = [_toml_line(key, item) for key, item in value.items()]
                tables.append("\n".join([f"[{name}]", *body]))
            else:
                top.append(_toml_line(name, value))
        return "\n\n".join(["\n".join(top), *tables]) + "\n"


def _known(
    names: tuple[str, ...], valid: tuple[str, ...], *, key: str, kind: str
) -> tuple[str, ...]:
    """Return ``names`` if each is one of ``valid``, else raise naming the valid ones.

    A ``ConfigError`` passes through pydantic unwrapped, so a ``StripConfig``
    built in code raises it too; ``config_from_mapping`` adds the file's name.

    >>> _known(("nav",), ("nav", "caption"), key="strip.disabled_rules", kind="strip rule")
    ('nav',)
    """
    unknown = [name for name in names if name not in valid]
    if unknown:
        msg = (
            f"{key}: unknown {kind}(s) {', '.join(unknown)}; the valid ones are {', '.join(valid)}"
        )
        raise ConfigError(msg)
    return names


def _toml_line(key: str, value: object) -> str:
    if value is None:
        return f"# {key} = (unset)"
    return f"{key} = {_toml_value(value)}"


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    # A JSON string is a valid TOML basic string (the same escapes).
    return json.dumps(str(value), ensure_ascii=False)


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
    except ConfigError as exc:  # from a validator: it names the key, not the file
        msg = f"{origin}: {exc}"
        raise ConfigError(msg) from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        if first["type"] == "extra_forbidden":
            msg = f"{origin}: unknown configuration key '{where}'; {_valid_keys(first['loc'])}"
        else:
            msg = f"{origin}: invalid configuration at '{where}': {first['msg']}"
        raise ConfigError(msg) from exc


def _valid_keys(loc: tuple[int | str, ...]) -> str:
    """Name the keys allowed beside the unknown key at ``loc`` (``strip.captoin``).

    >>> _valid_keys(("normalize", "dayfirst"))
    'the keys of [normalize] are day_first'
    """
    model: type[BaseModel] = Config
    for part in loc[:-1]:
        annotation = model.model_fields[str(part)].annotation
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            break
        model = annotation
    table = "the top level" if model is Config else f"[{loc[0]}]"
    return f"the keys of {table} are {', '.join(model.model_fields)}"


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
