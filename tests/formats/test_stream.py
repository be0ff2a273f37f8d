from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.parquet as pq
import pytest

import cleanpipe
from cleanpipe.config import Config
from cleanpipe.models import Article, DuplicateOf, Rejection
from cleanpipe.stream import (
    documents_from_arrow,
    documents_from_hf,
    documents_from_pandas,
    iter_clean,
)
from tests.formats.warcdata import WORDS


def story(seed: int) -> str:
    rng = random.Random(seed)
    paragraphs = [
        " ".join(rng.choice(WORDS) for _ in range(60)).capitalize() + "." for _ in range(3)
    ]
    return "\n\n".join(paragraphs)


def near_copy(text: str) -> str:
    """The same story with one word changed: a near-duplicate, not an exact one."""
    words = text.split(" ")
    words[10] = "typhoon"
    return " ".join(words)


CONFIG = Config(workers=1)


def _corpus() -> list[str]:
    # 6 stories; story 0 again exactly (position 7) and nearly (position 9), story 3 nearly (8)
    texts = [story(i) for i in range(6)]
    return [*texts, texts[0], near_copy(texts[3]), near_copy(texts[0]), "", story(6)]


def _lines(item: Article | DuplicateOf | Rejection) -> list[int]:
    if isinstance(item, Rejection):
        return [item.line or 0]
    return [o.line or 0 for o in item.origins]


@pytest.mark.parametrize("batch_size", [1, 3, 100], ids=["one", "three", "all"])
def test_every_document_is_accounted_for_once_whatever_the_batch_size(batch_size):
    corpus = _corpus()
    items = list(iter_clean(corpus, config=CONFIG, batch_size=batch_size))
    lines = sorted(line for item in items for line in _lines(item))
    assert lines == list(range(1, len(corpus) + 1))
    articles = [i for i in items if isinstance(i, Article)]
    assert len(articles) == 7  # stories 0-6
    [rejected] = [i for i in items if isinstance(i, Rejection)]
    assert rejected.line == 10
    assert rejected.reason == "empty"


def test_copies_in_later_batches_point_at_the_earlier_record():
    items = list(iter_clean(_corpus(), config=CONFIG, batch_size=2))
    first_of_story0 = next(i for i in items if isinstance(i, Article) and i.origins[0].line == 1)
    story3 = next(i for i in items if isinstance(i, Article) and i.origins[0].line == 4)
    dups = {d.origins[0].line: d.record_id for d in items if isinstance(d, DuplicateOf)}
    assert dups == {7: first_of_story0.id, 8: story3.id, 9: first_of_story0.id}


def test_stream_matches_clean_on_the_records_it_keeps():
    corpus = _corpus()
    batch = cleanpipe.clean(corpus, config=CONFIG)
    streamed = [
        i for i in iter_clean(corpus, config=CONFIG, batch_size=100) if isinstance(i, Article)
    ]
    assert sorted(a.id for a in streamed) == sorted(a.id for a in batch.articles)


def test_input_is_consumed_lazily():
    def endless() -> Iterator[str]:
        for i in itertools.count():
            yield story(i)

    taken = list(itertools.islice(iter_clean(endless(), config=CONFIG, batch_size=4), 5))
    assert [type(t).__name__ for t in taken] == ["Article"] * 5


def test_no_dedup_keeps_near_copies_apart_but_merges_exact_ones():
    corpus = _corpus()
    config = Config(workers=1, dedup_enabled=False)
    items = list(iter_clean(corpus, config=config, batch_size=2))
    dups = sorted(d.origins[0].line for d in items if isinstance(d, DuplicateOf))
    assert dups == [7]


def test_bad_batch_size():
    with pytest.raises(ValueError, match="batch_size"):
        list(iter_clean(["x"], batch_size=0))


def test_pandas_rows_become_json_documents():
    frame = pd.DataFrame(
        {
            "title": ["Rice", None],
            "text": [story(1), story(2)],
            "url": ["https://a.example/1", float("nan")],
        }
    )
    rows = list(documents_from_pandas(frame, chunk_rows=1))
    assert rows[1] == {"text": story(2)}
    items = list(iter_clean(rows, config=CONFIG))
    assert [a.title for a in items if isinstance(a, Article)] == ["Rice", None]
    assert [a.url for a in items if isinstance(a, Article)] == ["https://a.example/1", None]
    with pytest.raises(TypeError, match="DataFrame"):
        list(documents_from_pandas([1, 2]))


def test_arrow_table_and_dataset_on_disk_are_read_batch_by_batch(tmp_path: Path):
    table = pa.table({"text": [story(i) for i in range(5)], "date": ["2023-10-13"] * 5})
    pq.write_table(table, tmp_path / "part-0.parquet", row_group_size=2)
    pq.write_table(table.slice(0, 1), tmp_path / "part-1.parquet")  # a copy of story 0
    from_table = list(documents_from_arrow(table, chunk_rows=2))
    assert from_table[0] == {"text": story(0), "date": "2023-10-13"}
    dataset = pads.dataset(tmp_path, format="parquet")
    rows = list(documents_from_arrow(dataset, chunk_rows=2))
    assert len(rows) == 6
    reader = pa.RecordBatchReader.from_batches(table.schema, table.to_batches(max_chunksize=2))
    assert list(documents_from_arrow(reader)) == from_table
    items = list(iter_clean(rows, config=CONFIG, batch_size=3))
    assert sum(isinstance(i, Article) for i in items) == 5
    assert all(a.date == "2023-10-13" for a in items if isinstance(a, Article))
    with pytest.raises(TypeError, match="pyarrow"):
        list(documents_from_arrow({"text": ["x"]}))


def test_hugging_face_dataset_in_memory():
    datasets = pytest.importorskip("datasets")
    dataset = datasets.Dataset.from_dict(
        {"text": [story(i) for i in range(3)] + [story(0)], "title": ["a", "b", "c", None]}
    )
    rows = list(documents_from_hf(dataset, chunk_rows=2))
    assert rows[3] == {"text": story(0)}
    items = list(iter_clean(rows, config=CONFIG, batch_size=2))
    assert [type(i).__name__ for i in items] == ["Article", "Article", "Article", "DuplicateOf"]
    iterable = dataset.to_iterable_dataset()
    assert list(documents_from_hf(iterable, chunk_rows=3)) == rows
    with pytest.raises(TypeError, match="datasets"):
        list(documents_from_hf([1]))
