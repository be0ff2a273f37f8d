"""Streaming cleaning for ETL jobs: documents in, typed records out, memory bounded.

``iter_clean`` reads its input ``batch_size`` documents at a time, cleans and
deduplicates each batch as ``clean`` does, and deduplicates the batch's
records against every record yielded before through ``SignatureIndex``: the
MinHash signature and LSH band keys of each record, never its text. Memory
grows with the number of distinct records (about 1 KB each with the default
128 permutations), not with their texts.

What differs from ``clean``/``run``, and why:

- A record is final when yielded; a later copy of it comes out as
  ``DuplicateOf(record_id, origins)`` instead of joining its origins.
- Across batches, a candidate pair is verified on the signatures (estimated
  Jaccard similarity at least ``jaccard_threshold``), since the earlier text
  is gone; within a batch, on the texts (rapidfuzz), as ``clean`` does.
- The corpus-level ``repeated_line`` rule needs the whole corpus before the
  first record, so it does not run here.

The adapters turn tables into the documents ``iter_clean`` takes, one row at
a time: a pandas DataFrame, a pyarrow Table / RecordBatchReader / Dataset
(``to_batches``, so only one batch is in memory), a Hugging Face ``datasets``
Dataset or IterableDataset (the ``hf`` extra; nothing is downloaded).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterable, Iterator, Mapping
from typing import Protocol, cast

import numpy as np
import numpy.typing as npt
import orjson
import xxhash

from cleanpipe.config import Config, DedupConfig
from cleanpipe.models import Article, DuplicateOf, RawDocument, Rejection
from cleanpipe.pipeline import clean
from cleanpipe.read import decode_input
from cleanpipe.sketch.lsh import band_hashes, optimal_bands
from cleanpipe.sketch.minhash import signatures_for_texts

log = logging.getLogger(__name__)

Document = RawDocument | str | Mapping[str, object]
"""What the library verbs take: a decoded document, plain text, or a JSON-like mapping."""

StreamItem = Article | DuplicateOf | Rejection
"""What ``iter_clean`` yields: a new record, copies of an earlier one, or a rejection."""

INPUT_NAME = "<input>"
"""The ``path`` of origins of in-memory documents; ``line`` is the 1-based position."""


class SignatureIndex:
    """MinHash signatures of the records seen so far, searchable by LSH band keys.

    >>> index = SignatureIndex(config=DedupConfig(num_perm=16))
    >>> sigs = signatures_for_texts(["a b c d e f g h", "x y z"], num_perm=16, shingle_size=2)
    >>> index.add(sigs[0], "rec-a")
    >>> index.find(sigs[0]), index.find(sigs[1])
    ('rec-a', None)
    """

    def __init__(self, *, config: DedupConfig) -> None:
        self.config = config
        self.bands, self.rows = optimal_bands(config.jaccard_threshold, config.num_perm)
        # One dict per band: bucket key -> positions of the records in it.
        self._buckets: list[dict[int, list[int]]] = [{} for _ in range(self.bands)]
        self._signatures = np.zeros((0, config.num_perm), dtype=np.uint32)
        self._count = 0
        self._ids: list[str] = []

    def __len__(self) -> int:
        return len(self._ids)

    def find(self, signature: npt.NDArray[np.uint32]) -> str | None:
        """The id of the most similar indexed record at or above the threshold, if any."""
        keys = band_hashes(signature[None, :], bands=self.bands, rows=self.rows)[0]
        candidates = {
            pos
            for band, key in enumerate(keys.tolist())
            for pos in self._buckets[band].get(key, ())
        }
        if not candidates:
            return None
        positions = np.fromiter(sorted(candidates), dtype=np.int64)
        similarity = (self._signatures[positions] == signature).mean(axis=1)
        best = int(np.argmax(similarity))
        if similarity[best] < self.config.jaccard_threshold:
            return None
        return self._ids[int(positions[best])]

    def add(self, signature: npt.NDArray[np.uint32], record_id: str) -> None:
        """Index one record's signature under its id."""
        if self._count == len(self._signatures):  # grow by doubling: amortised O(1) appends
            grown = np.zeros((max(64, 2 * self._count), self.config.num_perm), dtype=np.uint32)
            grown[: self._count] = self._signatures[: self._count]
            self._signatures = grown
        position = self._count
        self._signatures[position] = signature
        self._count += 1
        self._ids.append(record_id)
        keys = band_hashes(signature[None, :], bands=self.bands, rows=self.rows)[0]
        for band, key in enumerate(keys.tolist()):
            self._buckets[band].setdefault(key, []).append(position)


def iter_clean(
    documents: Iterable[Document],
    *,
    config: Config | None = None,
    batch_size: int = 1000,
) -> Iterator[StreamItem]:
    """Clean and deduplicate a stream of documents, yielding typed results batch by batch.

    Args:
        documents: Any iterable (a generator, a file's lines, an adapter of this module).
        config: The configuration (defaults if None).
        batch_size: Documents cleaned together; bounds the texts held at once.

    Yields:
        An ``Article`` for each new record, a ``DuplicateOf`` for copies of a
        record yielded earlier, a ``Rejection`` for each unusable document. Every
        document is an origin of exactly one of them.

    Raises:
        ValueError: ``batch_size`` is less than 1.

    >>> text = "Hanoi (VNA) - Rice exports rose by five percent in May, the ministry said."
    >>> other = "Ben Tre looks to boost cooperation with Japanese localities and businesses."
    >>> items = list(iter_clean([text, other, text], batch_size=2))
    >>> [type(i).__name__ for i in items]
    ['Article', 'Article', 'DuplicateOf']
    >>> items[2].record_id == items[0].id, items[2].origins[0].line
    (True, 3)
    """
    if batch_size < 1:
        msg = f"batch_size must be at least 1, got {batch_size}"
        raise ValueError(msg)
    config = config or Config()
    index = SignatureIndex(config=config.dedup)
    exact: dict[bytes, str] = {}  # 16-byte text digest -> record id: the exact-copy fast path
    numbered = enumerate(documents, start=1)
    while batch := list(itertools.islice(numbered, batch_size)):
        yield from _clean_batch(batch, config=config, index=index, exact=exact)


def _clean_batch(
    batch: list[tuple[int, Document]],
    *,
    config: Config,
    index: SignatureIndex,
    exact: dict[bytes, str],
) -> Iterator[StreamItem]:
    documents: list[RawDocument] = []
    rejections: list[Rejection] = []
    for position, item in batch:
        decoded = to_raw_document(item, position=position, config=config)
        if isinstance(decoded, Rejection):
            rejections.append(decoded)
        else:
            documents.append(decoded)
    # The batch is cleaned as clean() cleans (the same steps); the corpus-level
    # repeated_line rule needs the whole corpus, so it is off here.
    disabled = tuple(dict.fromkeys((*config.strip.disabled_rules, "repeated_line")))
    batch_config = config.model_copy(
        update={"strip": config.strip.model_copy(update={"disabled_rules": disabled})}
    )
    result = clean(documents, config=batch_config)
    rejections.extend(result.rejections)
    articles = sorted(result.articles, key=lambda a: (a.origins[0].path, _first_line(a)))
    signatures = signatures_for_texts(
        [a.text for a in articles],
        num_perm=config.dedup.num_perm,
        shingle_size=config.dedup.shingle_size,
        seed=config.dedup.seed,
    )
    for article, signature in zip(articles, signatures, strict=True):
        digest = xxhash.xxh3_128_digest(article.text.encode("utf-8"))
        earlier = exact.get(digest)
        if earlier is None and config.dedup_enabled:
            earlier = index.find(signature)
        if earlier is not None:
            yield DuplicateOf(record_id=earlier, origins=article.origins)
            continue
        exact[digest] = article.id
        index.add(signature, article.id)
        yield article
    yield from sorted(rejections, key=lambda r: (r.path, r.line or 0))


def _first_line(article: Article) -> int:
    """The smallest line among a record's origins: the order its cluster was first seen in."""
    return min(o.line or 0 for o in article.origins)


def to_raw_document(item: Document, *, position: int, config: Config) -> RawDocument | Rejection:
    """Decode one in-memory document as ``clean`` does (origin ``<input>``, line ``position``).

    >>> to_raw_document("Rice exports rose.", position=7, config=Config()).origin.line
    7
    """
    if isinstance(item, RawDocument):
        return item
    if isinstance(item, str):
        data, name = item.encode("utf-8"), "a.txt"
    else:
        data, name = orjson.dumps(dict(item), default=str), "a.json"
    for decoded in decode_input(name, data, config=config.read):
        if isinstance(decoded, Rejection):
            return decoded.model_copy(update={"path": INPUT_NAME, "line": position})
        if isinstance(decoded, RawDocument):
            origin = decoded.origin.model_copy(update={"path": INPUT_NAME, "line": position})
            return decoded.model_copy(update={"origin": origin})
    return Rejection(detail="no document", line=position, path=INPUT_NAME, reason="empty")


# --- adapters: tables in, one mapping per row out ----------------------------------------


class _RecordBatch(Protocol):
    def to_pylist(self) -> list[dict[str, object]]: ...


class _Batched(Protocol):
    def to_batches(self, *args: object, **kwargs: object) -> Iterable[_RecordBatch]: ...


def documents_from_pandas(frame: object, *, chunk_rows: int = 1000) -> Iterator[dict[str, object]]:
    """Yield the rows of a pandas DataFrame as JSON documents (``title``, ``text``, ``url``…).

    Rows are converted ``chunk_rows`` at a time; missing values (NaN, None)
    become absent fields.

    >>> import pandas as pd
    >>> rows = documents_from_pandas(pd.DataFrame({"title": ["A", None], "text": ["x", "y"]}))
    >>> list(rows)
    [{'title': 'A', 'text': 'x'}, {'text': 'y'}]
    """
    import pandas as pd
    from pandas.api.types import is_scalar

    if not isinstance(frame, pd.DataFrame):
        msg = f"expected a pandas DataFrame, got {type(frame).__name__}"
        raise TypeError(msg)
    for start in range(0, len(frame), chunk_rows):
        chunk = frame.iloc[start : start + chunk_rows]
        for row in chunk.to_dict(orient="records"):
            yield {str(k): v for k, v in row.items() if not (is_scalar(v) and pd.isna(v))}


def documents_from_arrow(table: object, *, chunk_rows: int = 1000) -> Iterator[dict[str, object]]:
    """Yield the rows of a pyarrow Table, RecordBatchReader or Dataset as JSON documents.

    Only one record batch of at most ``chunk_rows`` rows is turned into Python
    objects at a time; a ``pyarrow.dataset`` over Parquet files on disk is read
    batch by batch, never whole.

    >>> import pyarrow as pa
    >>> table = pa.table({"text": ["x", "y", None]})
    >>> [row for row in documents_from_arrow(table, chunk_rows=2)]
    [{'text': 'x'}, {'text': 'y'}, {}]
    """
    batches: Iterable[_RecordBatch]
    if hasattr(table, "read_next_batch"):  # a RecordBatchReader: iterate it
        batches = cast("Iterable[_RecordBatch]", table)
    elif hasattr(table, "to_batches"):
        source = cast("_Batched", table)
        try:
            batches = source.to_batches(max_chunksize=chunk_rows)
        except TypeError:  # pyarrow.dataset.Dataset names it batch_size
            batches = source.to_batches(batch_size=chunk_rows)
    else:
        msg = f"expected a pyarrow Table, RecordBatchReader or Dataset, got {type(table).__name__}"
        raise TypeError(msg)
    for batch in batches:
        for row in batch.to_pylist():
            yield {str(k): v for k, v in row.items() if v is not None}


def documents_from_hf(dataset: object, *, chunk_rows: int = 1000) -> Iterator[dict[str, object]]:
    """Yield the rows of a Hugging Face ``datasets`` Dataset or IterableDataset.

    Reads ``chunk_rows`` rows at a time (``Dataset.iter``), so a dataset on
    disk (memory-mapped Arrow) or a streaming one is never loaded whole.
    Nothing is downloaded: pass a dataset you have already opened.
    """
    if not hasattr(dataset, "iter"):
        msg = f"expected a datasets.Dataset or IterableDataset, got {type(dataset).__name__}"
        raise TypeError(msg)
    for columns in dataset.iter(batch_size=chunk_rows):
        names = list(columns)
        for values in zip(*(columns[n] for n in names), strict=True):
            yield {n: v for n, v in zip(names, values, strict=True) if v is not None}
