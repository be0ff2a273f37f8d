"""Measure FastWARC and warcio on the same WARC file: speed, and behaviour on damage.

Usage (from the repository root)::

    .venv/bin/python benchmarks/warc.py                  # 5,000 pages, gzip per record
    .venv/bin/python benchmarks/warc.py --pages 20000 --repeat 3

The file is generated (no downloads): a ``warcinfo`` record, then per page a
``request``, a ``response`` (an HTML article page from ``make_corpus.py``; one
in five sent with ``Transfer-Encoding: chunked`` and ``Content-Encoding: gzip``)
and, every tenth page, a ``metadata`` record. Both readers do the work
cleanpipe needs: every record's type, and for each response its target URI,
date and decoded HTTP payload. Each reader runs ``--repeat`` times on one core;
the best time is kept. ``cleanpipe`` is the reader the pipeline uses
(FastWARC plus its own gzip, damage checks, HTTP and charset decoding): the
cost of not losing data silently.

Robustness: each reader also reads damaged copies (cut in the middle of a
record, garbage in the middle, an uncompressed copy) and the table says how
many responses it gave and whether it raised, stopped silently, or read on.
A reader that stops silently on a cut file loses data without telling anyone,
which cleanpipe must never do.
"""

from __future__ import annotations

import argparse
import gzip
import io
import logging
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

# The repository's own sources first, so the benchmark measures the working tree.
sys.path[:0] = [
    str(Path(__file__).resolve().parent),
    str(Path(__file__).resolve().parents[1] / "src"),
]

from warcio.statusandheaders import StatusAndHeaders  # noqa: E402
from warcio.warcwriter import WARCWriter  # noqa: E402

from _common import html_page, pin_to_one_core  # noqa: E402
from make_corpus import generate  # noqa: E402

Reader = Callable[[io.BufferedIOBase], tuple[int, int, int]]


def _chunked(data: bytes, size: int = 4096) -> bytes:
    out = bytearray()
    for i in range(0, len(data), size):
        chunk = data[i : i + size]
        out += f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    return bytes(out + b"0\r\n\r\n")


def make_warc(path: Path, pages: int, *, gzip_records: bool = True) -> None:
    """Write a WARC of ``pages`` article pages, with request and metadata records."""
    with path.open("wb") as handle:
        writer = WARCWriter(handle, gzip=gzip_records)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "bench"}))
        for doc in generate(pages, seed=7):
            uri = f"https://news.example/{doc.cluster}/{doc.id}.html"
            body = html_page(doc.text.split("\n", 1)[0][:80], doc.text)
            headers = [("Content-Type", "text/html; charset=utf-8")]
            if doc.id % 5 == 0:
                body = _chunked(gzip.compress(body))
                headers += [("Content-Encoding", "gzip"), ("Transfer-Encoding", "chunked")]
            else:
                headers.append(("Content-Length", str(len(body))))
            request = writer.create_warc_record(
                uri,
                "request",
                payload=io.BytesIO(b""),
                http_headers=StatusAndHeaders("GET / HTTP/1.1", [], is_http_request=True),
            )
            writer.write_record(request)
            response = writer.create_warc_record(
                uri,
                "response",
                payload=io.BytesIO(body),
                http_headers=StatusAndHeaders("200 OK", headers, protocol="HTTP/1.1"),
            )
            writer.write_record(response)
            if doc.id % 10 == 0:
                meta = writer.create_warc_record(
                    uri,
                    "metadata",
                    payload=io.BytesIO(b"fetchTimeMs: 12\n"),
                    warc_content_type="application/warc-fields",
                )
                writer.write_record(meta)


def read_fastwarc(stream: io.BufferedIOBase) -> tuple[int, int, int]:
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    records = responses = payload = 0
    for record in ArchiveIterator(stream, parse_http=True):
        records += 1
        if record.record_type == WarcRecordType.response:
            responses += 1
            _uri = record.headers.get("WARC-Target-URI")
            _date = record.headers.get("WARC-Date")
            payload += len(record.reader.read())
    return records, responses, payload


def read_warcio(stream: io.BufferedIOBase) -> tuple[int, int, int]:
    from warcio.archiveiterator import ArchiveIterator

    records = responses = payload = 0
    for record in ArchiveIterator(stream):
        records += 1
        if record.rec_type == "response":
            responses += 1
            _uri = record.rec_headers.get_header("WARC-Target-URI")
            _date = record.rec_headers.get_header("WARC-Date")
            payload += len(record.content_stream().read())
    return records, responses, payload


def read_cleanpipe(stream: io.BufferedIOBase) -> tuple[int, int, int]:
    """cleanpipe's reader (FastWARC, own gzip, checks, HTTP decoding, charset decoding)."""
    from cleanpipe.config import ReadConfig
    from cleanpipe.formats.warc import iter_warc_documents
    from cleanpipe.models import RawDocument, Rejection

    records = responses = payload = 0
    for item in iter_warc_documents("bench.warc", stream, config=ReadConfig()):  # type: ignore[arg-type]
        if isinstance(item, Rejection) and item.reason == "corrupt-archive":
            raise RuntimeError(item.detail)
        records += 1
        if isinstance(item, RawDocument):
            responses += 1
            payload += len(item.content)
    return records, responses, payload


READERS: dict[str, Reader] = {
    "fastwarc": read_fastwarc,
    "warcio": read_warcio,
    "cleanpipe": read_cleanpipe,
}


def _best_time(reader: Reader, path: Path, repeat: int) -> tuple[float, tuple[int, int, int]]:
    best = float("inf")
    result = (0, 0, 0)
    for _ in range(repeat):
        with path.open("rb") as handle:
            start = time.perf_counter()
            result = reader(handle)
            best = min(best, time.perf_counter() - start)
    return best, result


def _damage_outcome(reader: Reader, data: bytes) -> str:
    try:
        _records, responses, _ = reader(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - the benchmark reports whatever is raised
        return f"raised {type(exc).__name__}"
    return f"{responses} responses, no error"


def main(argv: list[str] | None = None) -> int:
    logging.disable(logging.WARNING)  # the damaged copies are meant to warn
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    cpu = pin_to_one_core()
    with tempfile.TemporaryDirectory() as tmp:
        gz_path = Path(tmp) / "pages.warc.gz"
        plain_path = Path(tmp) / "pages.warc"
        make_warc(gz_path, args.pages)
        make_warc(plain_path, args.pages, gzip_records=False)
        size = gz_path.stat().st_size
        print(
            f"# {args.pages} pages, {size / 2**20:.1f} MiB gzipped per record "
            f"({plain_path.stat().st_size / 2**20:.1f} MiB uncompressed), CPU {cpu}, "
            f"best of {args.repeat}"
        )
        print(f"{'reader':10} {'file':9} {'seconds':>8} {'records/s':>10} {'MiB/s':>7}  counts")
        for name, reader in READERS.items():
            for label, path in (("warc.gz", gz_path), ("warc", plain_path)):
                seconds, (records, responses, payload) = _best_time(reader, path, args.repeat)
                print(
                    f"{name:10} {label:9} {seconds:8.3f} {records / seconds:10,.0f} "
                    f"{path.stat().st_size / 2**20 / seconds:7.1f}  {records} records, "
                    f"{responses} responses, {payload / 2**20:.1f} MiB payload"
                )
        data = gz_path.read_bytes()
        damages = {
            "cut at 50%": data[: len(data) // 2],
            "garbage at 50%": data[: len(data) // 2] + b"\x00garbage" * 64 + data[len(data) // 2 :],
        }
        plain = plain_path.read_bytes()
        damages["plain cut at 50%"] = plain[: len(plain) // 2]
        print(f"\n# damaged copies (responses in the whole file: {args.pages})")
        for what, damaged in damages.items():
            for name, reader in READERS.items():
                print(f"{what:18} {name:10} {_damage_outcome(reader, damaged)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
