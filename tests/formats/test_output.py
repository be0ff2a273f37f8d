from __future__ import annotations

import gzip
import json
import tomllib
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from cleanpipe import clean, run
from cleanpipe.cli import main
from cleanpipe.config import Config, config_from_mapping
from cleanpipe.formats.output import (
    OUTPUT_FORMATS,
    articles_filename,
    parse_articles,
    serialize_articles,
)
from cleanpipe.models import Article

REPO = Path(__file__).resolve().parents[2]
RAW = REPO / "data" / "raw"

TEXTS = [
    "Hanoi (VNA) - Rice exports rose by five percent in May, the ministry said on Monday.",
    "Ben Tre looks to boost cooperation with Japanese localities and businesses this year.",
    "Café owners in Đà Lạt said the tourist season started early, with hotels fully booked.",
]


@pytest.fixture(scope="module")
def articles() -> list[Article]:
    result = clean(TEXTS, config=Config(workers=1))
    assert len(result.articles) == 3
    return result.articles


@pytest.mark.parametrize("fmt", OUTPUT_FORMATS)
def test_each_format_round_trips_the_records(articles, fmt):
    data = serialize_articles(articles, fmt=fmt)
    assert parse_articles(data, fmt=fmt) == articles
    assert serialize_articles(articles, fmt=fmt) == data  # deterministic bytes


def test_gzip_holds_exactly_the_jsonl_bytes(articles):
    plain = serialize_articles(articles, fmt="jsonl")
    assert gzip.decompress(serialize_articles(articles, fmt="jsonl.gz")) == plain


def test_parquet_has_a_column_per_field_with_nested_origins(articles):
    import io

    table = pq.read_table(io.BytesIO(serialize_articles(articles, fmt="parquet")))
    assert table.column_names == sorted(Article.model_fields)
    assert str(table.schema.field("origins").type) == (
        "list<element: struct<format: string not null, line: int64, path: string not null, "
        "sha256: string not null> not null>"
    )
    assert table.num_rows == 3


def test_empty_output_in_every_format():
    for fmt in OUTPUT_FORMATS:
        assert parse_articles(serialize_articles([], fmt=fmt), fmt=fmt) == []


def test_garbage_is_not_parsed_as_records():
    with pytest.raises(ValueError, match="not a Parquet file"):
        parse_articles(b"not parquet", fmt="parquet")
    with pytest.raises(ValueError, match="not a gzip file"):
        parse_articles(b"not gzip", fmt="jsonl.gz")


def test_run_in_each_format_writes_the_same_records(tmp_path: Path):
    out = tmp_path / "out"
    seen = {}
    for fmt in OUTPUT_FORMATS:
        run(RAW, out, config=Config(workers=1, format=fmt))
        names = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
        # the records of the previous format are gone, not left beside the new ones
        assert names == sorted([articles_filename(fmt), "rejects.jsonl", "report.json"])
        seen[fmt] = parse_articles((out / articles_filename(fmt)).read_bytes(), fmt=fmt)
    assert seen["jsonl"] == seen["jsonl.gz"] == seen["parquet"]
    assert len(seen["jsonl"]) == 1


def test_cli_format_flag_and_summary_name(tmp_path: Path, capsys):
    assert (
        main(["run", str(RAW), str(tmp_path / "o"), "--workers", "1", "--format", "parquet"]) == 0
    )
    assert (tmp_path / "o" / "articles.parquet").is_file()
    assert "articles.parquet, rejects.jsonl, report.json" in capsys.readouterr().err


def test_cli_config_prints_the_effective_configuration(tmp_path: Path, monkeypatch, capsys):
    (tmp_path / "cleanpipe.toml").write_text(
        'workers = 3\nformat = "parquet"\n[dedup]\njaccard_threshold = 0.8\n', encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    assert main(["config"]) == 0
    printed = capsys.readouterr().out
    loaded = config_from_mapping(tomllib.loads(printed))
    assert loaded.workers == 3
    assert loaded.format == "parquet"
    assert loaded.dedup.jaccard_threshold == 0.8
    assert loaded.dedup.num_perm == Config().dedup.num_perm  # defaults are printed too
    assert "[read]" in printed


def test_cli_config_reads_tool_cleanpipe_of_pyproject(tmp_path: Path, monkeypatch, capsys):
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n[tool.cleanpipe]\nformat = "jsonl.gz"\n', encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    assert main(["config"]) == 0
    assert 'format = "jsonl.gz"' in capsys.readouterr().out.splitlines()


def test_cli_config_bad_value_is_one_error_line(tmp_path: Path, monkeypatch, capsys):
    (tmp_path / "cleanpipe.toml").write_text('format = "csv"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["config"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cleanpipe: error: ")
    assert "format" in err
    assert len(err.strip().splitlines()) == 1


def test_report_json_is_unchanged_by_format(tmp_path: Path):
    a = run(RAW, tmp_path / "a", config=Config(workers=1, format="jsonl"))
    b = run(RAW, tmp_path / "b", config=Config(workers=1, format="parquet"))
    drop = {"timings"}
    assert json.loads(a.model_dump_json(exclude=drop)) == json.loads(
        b.model_dump_json(exclude=drop)
    )
