from __future__ import annotations

import gzip
import io
import json
from collections import Counter
from pathlib import Path

import pytest

from cleanpipe import run
from cleanpipe.config import Config, ReadConfig
from cleanpipe.formats.warc import is_warc_name, iter_warc_documents
from cleanpipe.models import RawDocument, Rejection, SkippedRecord
from cleanpipe.read import decode_input
from tests.formats.warcdata import ARTICLE, gzipped, http_response, page_records, record


def _items(data: bytes, **config: int) -> list[RawDocument | Rejection | SkippedRecord]:
    return list(iter_warc_documents("crawl.warc", data, config=ReadConfig(**config)))


def _kinds(items: list[RawDocument | Rejection | SkippedRecord]) -> Counter[str]:
    return Counter(type(item).__name__ for item in items)


def _mixed() -> list[bytes]:
    return [
        record("warcinfo", b"software: test\r\n", uri=None),
        record("request", b"GET /a.html HTTP/1.1\r\n\r\n"),
        record("response", http_response(ARTICLE.encode()), uri="https://news.example/a.html"),
        record("metadata", b"fetchTimeMs: 12\r\n"),
        record("response", http_response(b"\x89PNG....", content_type="image/png")),
        record("response", http_response(b"<html>gone</html>", status="404 Not Found")),
    ]


@pytest.mark.parametrize("compress", [False, True], ids=["warc", "warc.gz"])
def test_html_responses_become_documents_and_other_records_are_skipped(compress):
    data = gzipped(_mixed()) if compress else b"".join(_mixed())
    items = _items(data)
    [doc] = [i for i in items if isinstance(i, RawDocument)]
    assert doc.origin.format == "warc"
    assert doc.origin.line == 3  # the record's 1-based index in the file
    assert doc.origin.path == "crawl.warc"
    assert doc.url == "https://news.example/a.html"
    assert doc.date == "2023-10-13T08:00:00Z"
    assert "Rice exports from the Mekong Delta" in doc.content
    skipped = {(i.line, i.kind) for i in items if isinstance(i, SkippedRecord)}
    assert skipped == {
        (1, "warcinfo"),
        (2, "request"),
        (4, "metadata"),
        (5, "response:image/png"),
        (6, "response:status-404"),
    }
    assert not [i for i in items if isinstance(i, Rejection)]


def test_chunked_gzip_encoded_body_is_decoded():
    body = gzip.compress(ARTICLE.encode())
    chunked = b"".join(
        f"{len(body[i : i + 100]):x}\r\n".encode() + body[i : i + 100] + b"\r\n"
        for i in range(0, len(body), 100)
    )
    block = http_response(
        chunked + b"0\r\n\r\n",
        extra="Content-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n",
    )
    [doc] = _items(record("response", block))
    assert isinstance(doc, RawDocument)
    assert doc.content == ARTICLE


def test_charset_of_the_http_header_is_used():
    body = ARTICLE.replace("Monday", "Montag – café").encode("cp1252")
    block = http_response(body, content_type="text/html; charset=windows-1252")
    [doc] = _items(record("response", block))
    assert isinstance(doc, RawDocument)
    assert "Montag – café" in doc.content


def test_truncated_warc_gz_keeps_the_records_before_and_rejects_the_rest():
    data = gzipped(page_records(10))
    cut = data[: len(data) * 3 // 5]
    items = _items(cut)
    docs = [i for i in items if isinstance(i, RawDocument)]
    [reject] = [i for i in items if isinstance(i, Rejection)]
    assert reject.reason == "corrupt-archive"
    assert "truncated" in reject.detail
    assert 4 <= len(docs) < 10
    # the rejection sits at the record that could not be read, right after the last one read
    last_index = max(
        i.origin.line if isinstance(i, RawDocument) else i.line
        for i in items
        if not isinstance(i, Rejection)
    )
    assert reject.line == last_index + 1


def test_plain_warc_cut_inside_a_block_is_corrupt():
    data = b"".join(page_records(3))
    items = _items(data[:-200])
    assert _kinds(items) == Counter({"RawDocument": 2, "SkippedRecord": 3, "Rejection": 1})
    assert items[-1].reason == "corrupt-archive"
    assert "cut short" in items[-1].detail


def test_plain_warc_cut_inside_a_header_is_corrupt():
    data = b"".join(page_records(2))
    second_start = data.index(b"WARC/1.0", 10)
    items = _items(data[: second_start + 40])
    assert isinstance(items[-1], Rejection)
    assert items[-1].reason == "corrupt-archive"


def test_garbage_between_records_is_corrupt_and_the_records_before_are_kept():
    records = page_records(3)
    data = b"".join(records[:2]) + b"\x00not a record at all " * 20 + b"".join(records[2:])
    items = _items(data)
    assert [(type(i).__name__, _line(i)) for i in items] == [
        ("SkippedRecord", 1),
        ("RawDocument", 2),
        ("Rejection", 3),
    ]
    assert items[-1].reason == "corrupt-archive"


def _line(item: RawDocument | Rejection | SkippedRecord) -> int | None:
    return item.origin.line if isinstance(item, RawDocument) else item.line


def test_record_over_max_bytes_is_too_large_and_the_next_is_read():
    big = http_response(ARTICLE.encode() * 50)
    data = record("response", big) + b"".join(page_records(1))
    items = _items(data, max_bytes=len(big) - 1)
    assert isinstance(items[0], Rejection)
    assert items[0].reason == "too-large"
    assert items[0].line == 1
    assert isinstance(items[-1], RawDocument)
    assert items[-1].origin.line == 3


def test_not_a_warc_is_rejected():
    [item] = _items(b"<html>not a warc</html>")
    assert isinstance(item, Rejection)
    assert item.reason == "corrupt-archive"


def test_stream_input_without_seek_or_tell():
    class Pipe(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self._data = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:  # type: ignore[override]
            return self._data.readinto(buffer)

    stream = io.BufferedReader(Pipe(gzipped(page_records(2))))
    items = list(iter_warc_documents("p.warc.gz", stream, config=ReadConfig()))
    assert _kinds(items) == Counter({"RawDocument": 2, "SkippedRecord": 2})


def test_decode_input_dispatches_warc_by_name_and_by_content():
    data = b"".join(page_records(1))
    assert is_warc_name("x/CC-MAIN.WARC.GZ")
    by_name = decode_input("x.warc.gz", gzipped(page_records(1)), config=ReadConfig())
    by_content = decode_input("dump.bin", data, config=ReadConfig())
    assert _kinds(by_name) == _kinds(by_content) == Counter({"RawDocument": 1, "SkippedRecord": 1})


def test_run_reads_warc_files_and_counts_skipped_records(tmp_path: Path):
    raw = tmp_path / "raw"
    raw.mkdir()
    records = page_records(3)
    # the third page again, in a second crawl: a duplicate across files
    (raw / "a.warc.gz").write_bytes(gzipped(records))
    (raw / "b.warc").write_bytes(b"".join([*records[4:], record("metadata", b"x: y\r\n")]))
    report = run(raw, tmp_path / "out", config=Config(workers=1))
    assert report.inputs == 4
    assert report.records == 3
    assert report.merged == 1
    assert report.skipped_records == {"metadata": 1, "request": 4}
    lines = (tmp_path / "out" / "articles.jsonl").read_text().splitlines()
    origins = [o for line in lines for o in json.loads(line)["origins"]]
    assert {(o["path"], o["line"], o["format"]) for o in origins} == {
        ("a.warc.gz", 2, "warc"),
        ("a.warc.gz", 4, "warc"),
        ("a.warc.gz", 6, "warc"),
        ("b.warc", 2, "warc"),
    }
    urls = {json.loads(line)["url"] for line in lines}
    assert urls == {f"https://news.example/{i}.html" for i in range(3)}
