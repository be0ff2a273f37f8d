"""`cleanpipe schema`: the JSON Schema of the record, generated from the pydantic model."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import jsonschema
import orjson
import pytest

from cleanpipe.cli import main
from cleanpipe.models import SCHEMA_VERSION, Article, Origin
from cleanpipe.stages.merge import record_id, word_count
from cleanpipe.write import canonical_json

SEED_ARTICLES = Path(__file__).parents[2] / "data" / "clean" / "articles.jsonl"
_DELETE = object()  # stands for "remove this key" in the parametrised corruptions


def _schema(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    assert main(["schema"]) == 0
    out = capsys.readouterr().out
    schema: dict[str, Any] = orjson.loads(out)
    return schema


def _record() -> dict[str, Any]:
    text = "Rice exports rose by five percent in May, the ministry said."
    article = Article(
        dateline="Hanoi",
        date="2023-10-13",
        id=record_id(text),
        language="en",
        origins=(Origin(format="jsonl", line=3, path="feed.jsonl", sha256="a" * 64),),
        source="VNA",
        text=text,
        title="Rice exports rise",
        url="https://example.com/rice",
        word_count=word_count(text),
    )
    record: dict[str, Any] = orjson.loads(canonical_json(article))
    return record


def test_schema_command_prints_the_models_schema(capsys: pytest.CaptureFixture[str]) -> None:
    schema = _schema(capsys)
    assert schema == Article.model_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)


def test_schema_output_is_stable(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    first = capsys.readouterr().out
    assert main(["schema"]) == 0
    assert capsys.readouterr().out == first
    assert first.endswith("}\n")


def test_schema_covers_every_field_of_the_model(capsys: pytest.CaptureFixture[str]) -> None:
    schema = _schema(capsys)
    assert set(schema["properties"]) == set(Article.model_fields)
    assert schema["additionalProperties"] is False
    assert schema["properties"]["schema_version"]["const"] == SCHEMA_VERSION
    # Every field without a default must be present in a record.
    required = {name for name, f in Article.model_fields.items() if f.is_required()}
    assert set(schema["required"]) == required


def test_every_serialised_record_carries_every_field() -> None:
    record = _record()
    assert set(record) == set(Article.model_fields)
    assert record["schema_version"] == SCHEMA_VERSION
    assert set(record["origins"][0]) == set(Origin.model_fields)


def test_schema_accepts_written_records(capsys: pytest.CaptureFixture[str]) -> None:
    validator = jsonschema.Draft202012Validator(_schema(capsys))
    records = [_record()]
    records += [orjson.loads(line) for line in SEED_ARTICLES.read_bytes().splitlines()]
    for record in records:
        validator.validate(record)
        assert canonical_json(Article.model_validate(record)) == orjson.dumps(
            record, option=orjson.OPT_SORT_KEYS
        )


@pytest.mark.parametrize(
    ("path", "value"),
    [
        pytest.param(("id",), "NOT-HEX", id="id-pattern"),
        pytest.param(("date",), "13/10/2023", id="date-not-iso"),
        pytest.param(("schema_version",), 2, id="schema-version"),
        pytest.param(("origins",), [], id="no-origins"),
        pytest.param(("origins", 0, "format"), "pdf", id="origin-format"),
        pytest.param(("text",), "", id="empty-text"),
        pytest.param(("word_count",), -1, id="negative-word-count"),
        pytest.param(("extra",), "x", id="unknown-field"),
        pytest.param(("title",), _DELETE, id="missing-field"),
    ],
)
def test_schema_and_model_reject_the_same_bad_records(
    capsys: pytest.CaptureFixture[str], path: tuple[str | int, ...], value: object
) -> None:
    validator = jsonschema.Draft202012Validator(_schema(capsys))
    record = copy.deepcopy(_record())
    target: Any = record
    for key in path[:-1]:
        target = target[key]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    assert not validator.is_valid(record)
    with pytest.raises(ValueError, match="validation error"):
        Article.model_validate(record)
