"""Dumps as they come: files over max_bytes, one big file cut across workers, a file as RAW."""

from __future__ import annotations

import gzip
import itertools
import json
import random
import tracemalloc
import zlib
from pathlib import Path

import pytest

from cleanpipe import run
from cleanpipe.config import Config, ReadConfig, StripConfig
from cleanpipe.errors import StrictModeError
from cleanpipe.formats.jsonl import iter_jsonl_stream
from cleanpipe.models import RawDocument, Rejection
from cleanpipe.plan import plan_run
from cleanpipe.read import read_piece
from tests.formats.warcdata import gzipped, page_records, record
from tests.hostile.conftest import gzip_bomb

_WORDS = (  # noqa: SIM905
    "council budget river bridge harvest export rice coffee port delta storm flood farmer "
    "ministry province tourism festival school hospital vaccine factory investment market"
).split()


def _story(n: int) -> str:
    rng = random.Random(n)
    return "\n\n".join(
        " ".join(
            f"The {rng.choice(_WORDS)} of story {n} rose {rng.randint(2, 99)} percent near "
            f"the {rng.choice(_WORDS)} {rng.choice(_WORDS)}."
            for _ in range(3)
        )
        for _ in range(4)
    )


def _line(n: int) -> bytes:
    return json.dumps({"title": f"Story {n}", "text": _story(n)}).encode() + b"\n"


def _records(out: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (out / "articles.jsonl").read_text("utf-8").splitlines()]


def _rejects(out: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (out / "rejects.jsonl").read_text("utf-8").splitlines()]


def _lines_of(out: Path) -> list[int]:
    return sorted(int(o["line"]) for r in _records(out) for o in r["origins"])  # type: ignore[attr-defined]


def test_a_jsonl_file_larger_than_max_bytes_keeps_every_line_but_the_oversized_one(
    tmp_path: Path,
) -> None:
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    limit = 16 * 1024
    lines = [_line(n) for n in range(40)]
    lines[17] = json.dumps({"text": "x" * (2 * limit)}).encode() + b"\n"  # one monster line
    (raw / "feed.jsonl").write_bytes(b"".join(lines))
    assert (raw / "feed.jsonl").stat().st_size > 3 * limit  # the file is far over the limit
    report = run(raw, out, config=Config(workers=1, read=ReadConfig(max_bytes=limit)))
    assert report.records == 39
    assert _lines_of(out) == [n for n in range(1, 41) if n != 18]
    assert [(r["line"], r["reason"]) for r in _rejects(out)] == [(18, "too-large")]


def test_a_gzipped_jsonl_file_streams_and_rejects_one_oversized_line(tmp_path: Path) -> None:
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    limit = 16 * 1024
    lines = [_line(n) for n in range(30)]
    lines[4] = json.dumps({"text": "y" * (3 * limit)}).encode() + b"\n"
    (raw / "feed.jsonl.gz").write_bytes(gzip.compress(b"".join(lines), mtime=0))
    report = run(raw, out, config=Config(workers=1, read=ReadConfig(max_bytes=limit)))
    assert report.records == 29
    assert [(r["line"], r["reason"]) for r in _rejects(out)] == [(5, "too-large")]


def test_a_warc_gz_with_an_oversized_record_keeps_the_others(tmp_path: Path) -> None:
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    limit = 64 * 1024
    records = page_records(6)
    big = b"<html><body><p>" + b"z " * limit + b"</p></body></html>"
    records.insert(
        3, record("response", b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n" + big)
    )
    (raw / "crawl.warc.gz").write_bytes(gzipped(records))
    report = run(raw, out, config=Config(workers=1, read=ReadConfig(max_bytes=limit)))
    assert (report.inputs, report.records) == (7, 6)
    assert [(r["line"], r["reason"]) for r in _rejects(out)] == [(4, "too-large")]
    # The same records uncompressed give the same items, record for record (a
    # member that ends exactly at the inflate cap once made the gzip reader loop).
    (tmp_path / "plain.warc").write_bytes(b"".join(records))
    (tmp_path / "plain.warc.gz").write_bytes(gzipped(records))

    def items(name: str) -> list[tuple[str, int | None, str | None]]:
        found = read_piece(tmp_path, name, config=ReadConfig(max_bytes=limit))
        return [
            (type(i).__name__, getattr(i, "line", None), getattr(i, "reason", None)) for i in found
        ]

    assert items("plain.warc.gz") == items("plain.warc")
    assert len(items("plain.warc")) == len(records)


def test_a_gzip_bomb_inside_one_line_is_rejected_in_bounded_memory() -> None:
    bomb = gzip_bomb(256)  # 256 MiB of zeros in one line, ~260 KB compressed
    data = gzip.compress(_line(1), mtime=0) + bomb + gzip.compress(b"\n" + _line(2), mtime=0)
    limit = 1 << 20
    import io

    tracemalloc.start()
    try:
        items = list(
            iter_jsonl_stream("f.jsonl.gz", io.BytesIO(data), max_bytes=limit, gzipped=True)
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    kinds = [(type(i).__name__, getattr(i, "reason", None)) for i in items]
    assert kinds == [("RawDocument", None), ("Rejection", "too-large"), ("RawDocument", None)]
    assert [i.origin.line if isinstance(i, RawDocument) else i.line for i in items] == [1, 2, 3]
    # Bounded by the limit and the input, not by the 256 MiB the line inflates to.
    assert peak < len(data) + 8 * limit


def test_a_truncated_gzip_stream_keeps_its_lines_and_says_where_it_broke(tmp_path: Path) -> None:
    whole = gzip.compress(b"".join(_line(n) for n in range(10)), mtime=0)
    (tmp_path / "cut.jsonl.gz").write_bytes(whole[: len(whole) * 2 // 3])
    items = list(read_piece(tmp_path, "cut.jsonl.gz", config=ReadConfig()))
    assert isinstance(items[-1], Rejection)
    assert items[-1].reason == "corrupt-archive"
    assert all(isinstance(i, RawDocument) for i in items[:-1])
    assert len(items) > 2


@pytest.mark.parametrize("chunk", [4 << 20, 7, 4096])
@pytest.mark.parametrize("crlf", [False, True])
def test_a_big_jsonl_file_is_cut_at_line_boundaries_with_the_whole_files_line_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, crlf: bool, chunk: int
) -> None:
    import cleanpipe.plan

    # Read in chunks that cut some "\r\n" in two: the planner must still see pairs.
    monkeypatch.setattr(cleanpipe.plan, "_READ_CHUNK", chunk)
    raw = tmp_path / "raw"
    raw.mkdir()
    ending = b"\r\n" if crlf else b"\n"
    body = b"".join(
        _line(n).rstrip(b"\n") + ending + (ending if n % 7 == 0 else b"") for n in range(300)
    )
    (raw / "dump.jsonl").write_bytes(body)
    budget = 32 * 1024
    plan = plan_run(raw, config=Config(), partition_bytes=budget)
    pieces = [p for part in plan.partitions for p in part.pieces]
    assert len(pieces) > 5
    assert pieces[0].start == 0
    assert pieces[-1].end is None
    for before, after in itertools.pairwise(pieces):
        assert before.end == after.start
        assert body[after.start - 1 : after.start] == b"\n"
    # Each piece, read alone, gives the documents and line numbers of the whole file.
    whole = list(read_piece(raw, "dump.jsonl", config=ReadConfig()))
    cut = [
        d
        for p in pieces
        for d in read_piece(
            raw, p.rel_path, config=ReadConfig(), start=p.start, end=p.end, first_line=p.first_line
        )
    ]
    assert cut == whole
    assert len(whole) == 300


@pytest.mark.parametrize("chunk", [4 << 20, 7])
def test_a_jsonl_file_with_a_bare_carriage_return_stays_one_piece(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    import cleanpipe.plan

    monkeypatch.setattr(cleanpipe.plan, "_READ_CHUNK", chunk)
    raw = tmp_path / "raw"
    raw.mkdir()
    lines = [_line(n).rstrip(b"\n") + b"\r\n" for n in range(300)]
    lines[150] = lines[150].replace(b"\r\n", b"\r")  # one bare CR: line numbers differ
    (raw / "dump.jsonl").write_bytes(b"".join(lines))
    plan = plan_run(raw, config=Config(), partition_bytes=32 * 1024)
    assert [len(part.pieces) for part in plan.partitions] == [1]


def test_one_big_file_gives_the_same_output_cut_or_whole_on_two_workers(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    lines = []
    for n in range(400):
        lines.append(_line(n))
        if n % 5 == 0:  # copies of earlier stories, far apart in the file
            lines.append(_line(n // 2))
    (raw / "dump.jsonl").write_bytes(b"".join(lines))
    whole = tmp_path / "whole"
    cut = tmp_path / "cut"
    run(raw, whole, config=Config(workers=1))
    report = run(raw, cut, config=Config(workers=2, partition_bytes=64 * 1024))
    assert report.timings.partitions_prepared > 4
    for name in ("articles.jsonl", "rejects.jsonl", "report.json"):
        assert (cut / name).read_bytes() == (whole / name).read_bytes(), name
    assert report.merged >= 80


def test_a_single_dump_file_is_accepted_as_raw(tmp_path: Path) -> None:
    (tmp_path / "feed.jsonl").write_bytes(_line(1) + _line(2) + _line(1))
    out = tmp_path / "out"
    report = run(tmp_path / "feed.jsonl", out, config=Config(workers=1))
    assert (report.inputs, report.records, report.merged) == (3, 2, 1)
    paths = {o["path"] for r in _records(out) for o in r["origins"]}  # type: ignore[attr-defined]
    assert paths == {"feed.jsonl"}  # origins named by the file's name


def test_strict_counts_the_rejections_of_repeated_line_removal(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    footer = "Follow us on the river channel for more"
    for n in range(4):
        (raw / f"{n}.txt").write_text(f"Story {n}\n\n{_story(n)}\n\n{footer}\n", "utf-8")
    (raw / "only-footer.txt").write_text(f"Footer\n\n{footer}\n", "utf-8")
    config = Config(workers=1, strip=StripConfig(repeated_line_min_docs=3))
    report = run(raw, tmp_path / "out", config=config)
    assert report.rejects_by_reason == {"no-content": 1}  # only the repeated line was left
    with pytest.raises(StrictModeError, match=r"only-footer\.txt: rejected \(no-content"):
        run(raw, tmp_path / "strict", config=config.model_copy(update={"strict": True}))


def _gzip_member_of_zeros(head: bytes, zeros: int, tail: bytes) -> bytes:
    """One gzip member: ``head``, ``zeros`` NUL bytes and ``tail``, deflated as a stream."""
    deflate = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [deflate.compress(head)]
    chunk = b"\0" * (1 << 20)
    for _ in range(zeros // len(chunk)):
        parts.append(deflate.compress(chunk))
    parts.append(deflate.compress(tail))
    parts.append(deflate.flush())
    return b"".join(parts)


def test_a_gzip_bomb_inside_one_warc_record_is_rejected_in_bounded_memory(
    tmp_path: Path,
) -> None:
    zeros = 256 << 20  # the record's block inflates to 256 MiB
    head = (
        "WARC/1.0\r\nWARC-Type: resource\r\nWARC-Target-URI: https://a.example/bomb\r\n"
        "WARC-Date: 2023-10-13T08:00:00Z\r\nContent-Type: text/html\r\n"
        f"Content-Length: {zeros}\r\n\r\n"
    ).encode()
    bomb = _gzip_member_of_zeros(head, zeros, b"\r\n\r\n")
    pages = page_records(2)
    (tmp_path / "crawl.warc.gz").write_bytes(gzipped(pages[:2]) + bomb + gzipped(pages[2:]))
    assert (tmp_path / "crawl.warc.gz").stat().st_size < 2 << 20
    limit = 1 << 20
    tracemalloc.start()
    try:
        items = list(read_piece(tmp_path, "crawl.warc.gz", config=ReadConfig(max_bytes=limit)))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    rejected = [(i.line, i.reason) for i in items if isinstance(i, Rejection)]
    assert rejected == [(3, "too-large")]
    assert sum(isinstance(i, RawDocument) for i in items) == 2  # the pages around it
    assert peak < 16 * limit  # bounded by the limit, not by the 256 MiB block
