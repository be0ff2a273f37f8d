"""``cleanpipe check`` reads the records in whichever format ``run`` wrote them."""

from __future__ import annotations

from pathlib import Path

import pytest

import cleanpipe
from cleanpipe.config import Config
from tests.conftest import RAW


@pytest.mark.parametrize("fmt", ["jsonl", "jsonl.gz", "parquet"])
def test_a_clean_output_in_any_format_has_no_findings(tmp_path: Path, fmt: str) -> None:
    config = Config(workers=1, format=fmt)  # type: ignore[arg-type]
    cleanpipe.run(RAW, tmp_path / "out", config=config)
    assert cleanpipe.check(tmp_path / "out", config=config, raw=RAW) == []


def test_a_damaged_gzip_articles_file_is_one_clear_error(tmp_path: Path) -> None:
    config = Config(workers=1, format="jsonl.gz")
    cleanpipe.run(RAW, tmp_path / "out", config=config)
    target = (tmp_path / "out" / "articles.jsonl.gz").resolve()
    target.write_bytes(target.read_bytes()[:20])
    with pytest.raises(cleanpipe.InputError, match=r"articles\.jsonl\.gz: not a gzip file"):
        cleanpipe.check(tmp_path / "out", config=config)
