"""Serialise records for ``articles.*``: JSONL (the default), gzipped JSONL, Parquet.

Pure functions, records in, bytes out (and back, for reading a previous run);
``write.py`` puts the bytes on disk. The three formats hold the same schema:
a Parquet column per field of ``Article``, ``origins`` a list of structs, so a
Parquet file read back gives the very records the JSONL file gives.

Each serialisation is deterministic: gzip carries no file name or time, and
Parquet's metadata names only the pyarrow version.
"""

from __future__ import annotations

import gzip
import io
import struct
import zlib
from collections.abc import Iterable, Iterator, Sequence
from types import ModuleType
from typing import BinaryIO, Literal

import orjson

from cleanpipe.errors import ConfigError
from cleanpipe.models import Article

OutputFormat = Literal["jsonl", "jsonl.gz", "parquet"]
"""How ``articles`` is written: ``articles.jsonl``, ``.jsonl.gz`` or ``.parquet``."""

OUTPUT_FORMATS: tuple[OutputFormat, ...] = ("jsonl", "jsonl.gz", "parquet")


def articles_filename(fmt: OutputFormat) -> str:
    """Name the articles file of a format.

    >>> [articles_filename(f) for f in OUTPUT_FORMATS]
    ['articles.jsonl', 'articles.jsonl.gz', 'articles.parquet']
    """
    return f"articles.{fmt}"


def serialize_articles(articles: Iterable[Article], *, fmt: OutputFormat) -> bytes:
    """Serialise records in the order given (canonical JSON lines, or a Parquet table).

    Raises:
        ConfigError: Parquet is asked for and pyarrow is not installed.

    >>> from cleanpipe.models import Origin
    >>> origin = Origin(format="text", path="a.txt", sha256="0" * 64)
    >>> article = Article(dateline=None, date=None, id="0" * 16, language="en",
    ...                   origins=(origin,), source=None, text="Rice.", title=None, url=None,
    ...                   word_count=1)
    >>> parse_articles(serialize_articles([article], fmt="parquet"), fmt="parquet") == [article]
    True
    """
    if fmt == "parquet":
        return _parquet_bytes(list(articles))
    lines = b"".join(
        orjson.dumps(a.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS) + b"\n"
        for a in articles
    )
    if fmt == "jsonl.gz":
        # mtime=0 and no file name: the same records give the same bytes.
        return gzip.compress(lines, compresslevel=6, mtime=0)
    return lines


def encode_articles(lines: Iterable[bytes], *, fmt: OutputFormat) -> Iterator[bytes]:
    r"""Stream the bytes of an articles file from canonical JSON lines (JSONL formats).

    The same bytes as ``serialize_articles`` of the same records, produced a
    chunk at a time: gzip is deflated as a stream (the deflate output does
    not depend on how the input is cut) under the header ``gzip.compress``
    writes with ``mtime=0``.

    >>> lines = [b'{"id":"a"}\n', b'{"id":"b"}\n']
    >>> gzip.decompress(b"".join(encode_articles(lines, fmt="jsonl.gz"))) == b"".join(lines)
    True
    """
    if fmt == "jsonl":
        yield from lines
        return
    if fmt != "jsonl.gz":
        msg = f"{fmt}: not a streamed JSON Lines format"
        raise ValueError(msg)
    deflate = zlib.compressobj(6, zlib.DEFLATED, -15)
    crc = size = 0
    yield _GZIP_HEADER
    pending: list[bytes] = []
    pending_size = 0
    for line in lines:
        pending.append(line)
        pending_size += len(line)
        if pending_size >= _CHUNK:
            data = b"".join(pending)
            crc, size = zlib.crc32(data, crc), size + len(data)
            yield deflate.compress(data)
            pending, pending_size = [], 0
    data = b"".join(pending)
    crc, size = zlib.crc32(data, crc), size + len(data)
    yield deflate.compress(data) + deflate.flush()
    yield struct.pack("<LL", crc, size & 0xFFFFFFFF)


def write_parquet(lines: Iterable[bytes], sink: BinaryIO) -> None:
    """Write canonical JSON lines of records to ``sink`` as ``articles.parquet``, 10k at a time.

    Raises:
        ConfigError: pyarrow is not installed.
    """
    pa = _pyarrow()
    import pyarrow.parquet as pq  # type: ignore[import-untyped,unused-ignore]

    schema = _arrow_schema()
    writer = pq.ParquetWriter(sink, schema, compression="zstd")
    try:
        rows: list[object] = []
        for line in lines:
            rows.append(orjson.loads(line))
            if len(rows) == _ROW_GROUP:
                writer.write_table(pa.Table.from_pylist(rows, schema=schema))
                rows = []
        if rows:
            writer.write_table(pa.Table.from_pylist(rows, schema=schema))
    finally:
        writer.close()


# gzip.compress(..., mtime=0): no file name, no time, OS byte 3 (Unix).
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03"
_CHUNK = 1 << 20
_ROW_GROUP = 10_000


def parse_articles(data: bytes, *, fmt: OutputFormat) -> list[Article]:
    """Read records back from the bytes of an articles file (a previous run's output).

    Raises:
        ValueError: the bytes are not a valid articles file of that format.
    """
    if fmt == "parquet":
        return [Article.model_validate(row) for row in _parquet_rows(data)]
    if fmt == "jsonl.gz":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            msg = f"not a gzip file ({exc})"
            raise ValueError(msg) from exc
    return [Article.model_validate_json(line) for line in data.splitlines() if line.strip()]


def _arrow_schema() -> object:  # a pyarrow.Schema
    pa = _pyarrow()
    text = pa.string()
    origin = pa.struct(
        [
            pa.field("format", text, nullable=False),
            pa.field("line", pa.int64()),
            pa.field("path", text, nullable=False),
            pa.field("sha256", text, nullable=False),
        ]
    )
    # Columns in the JSON record's (sorted) key order, nullability as the model's.
    return pa.schema(
        [
            pa.field("date", text),
            pa.field("dateline", text),
            pa.field("id", text, nullable=False),
            pa.field("language", text),
            pa.field("origins", pa.list_(pa.field("item", origin, nullable=False)), nullable=False),
            pa.field("schema_version", pa.int8(), nullable=False),
            pa.field("source", text),
            pa.field("text", text, nullable=False),
            pa.field("title", text),
            pa.field("url", text),
            pa.field("word_count", pa.int64(), nullable=False),
        ]
    )


def _parquet_bytes(articles: Sequence[Article]) -> bytes:
    pa = _pyarrow()
    import pyarrow.parquet as pq  # type: ignore[import-untyped,unused-ignore]

    schema = _arrow_schema()
    rows = [a.model_dump(mode="json") for a in articles]
    table = pa.Table.from_pylist(rows, schema=schema)
    sink = io.BytesIO()
    # zstd: about the size of gzip -9 at several times its speed; row groups of
    # 10k records keep a reader's memory bounded on big corpora.
    pq.write_table(table, sink, compression="zstd", row_group_size=_ROW_GROUP)
    return sink.getvalue()


def _parquet_rows(data: bytes) -> list[dict[str, object]]:
    _pyarrow()
    import pyarrow.parquet as pq  # type: ignore[import-untyped,unused-ignore]

    try:
        table = pq.read_table(io.BytesIO(data))
    except Exception as exc:  # pyarrow raises its own tree (ArrowInvalid, OSError…)
        msg = f"not a Parquet file ({exc})"
        raise ValueError(msg) from exc
    rows: list[dict[str, object]] = table.to_pylist()
    return rows


def _pyarrow() -> ModuleType:
    try:
        import pyarrow  # type: ignore[import-untyped,unused-ignore]
    except ImportError as exc:
        msg = "--format parquet needs pyarrow: pip install 'cleanpipe[parquet]'"
        raise ConfigError(msg) from exc
    module: ModuleType = pyarrow
    return module
