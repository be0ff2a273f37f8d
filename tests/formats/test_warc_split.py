"""A large WARC file is cut at records, so that workers share it; nothing changes but that."""

from __future__ import annotations

import gzip
import io
import itertools
from pathlib import Path

import pytest

from cleanpipe import run
from cleanpipe.config import Config, ReadConfig
from cleanpipe.formats.warc import record_cuts
from cleanpipe.plan import plan_run
from cleanpipe.read import read_piece
from tests.formats.warcdata import gzipped, page_records, record

_BUDGET = 16 * 1024


def _write(folder: Path, name: str, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)
    return folder


def _pieces(raw: Path, budget: int = _BUDGET) -> list:
    plan = plan_run(raw, config=Config(), partition_bytes=budget)
    return [piece for part in plan.partitions for piece in part.pieces]


def _read_pieces(raw: Path, pieces: list) -> list:
    return [
        item
        for p in pieces
        for item in read_piece(
            raw, p.rel_path, config=ReadConfig(), start=p.start, end=p.end, first_line=p.first_line
        )
    ]


@pytest.mark.parametrize("compress", [False, True], ids=["warc", "warc.gz"])
def test_a_big_warc_is_cut_at_records_and_its_pieces_read_as_the_whole(
    tmp_path: Path, compress: bool
) -> None:
    records = page_records(60)
    data = gzipped(records) if compress else b"".join(records)
    name = "crawl.warc.gz" if compress else "crawl.warc"
    raw = _write(tmp_path / "raw", name, data)
    pieces = _pieces(raw, budget=len(data) // 6)
    assert len(pieces) > 3
    assert pieces[0].start == 0
    assert pieces[-1].end is None
    for before, after in itertools.pairwise(pieces):
        assert before.end == after.start
    # Each piece starts at a record: its first record's index is the whole file's.
    firsts = [p.first_line for p in pieces]
    assert firsts[0] == 1
    assert all(b > a for a, b in itertools.pairwise(firsts))
    whole = list(read_piece(raw, name, config=ReadConfig()))
    assert _read_pieces(raw, pieces) == whole
    assert len(whole) == 120  # a request (skipped) and a page a record pair


def test_record_cuts_count_records_in_members_of_several_and_skip_members_mid_record() -> None:
    records = page_records(4)  # 8 records
    members = [
        gzip.compress(records[0] + records[1], mtime=0),  # two records in one member
        gzip.compress(records[2][:40], mtime=0),  # a record split over two members
        gzip.compress(records[2][40:] + records[3], mtime=0),
        *(gzip.compress(r, mtime=0) for r in records[4:]),
    ]
    data = b"".join(members)
    starts = [sum(map(len, members[:k])) for k in range(len(members))]
    cuts = list(record_cuts(io.BytesIO(data), gzipped=True))
    # Member 2 starts inside record 3: no cut there; the others start records 1, 3, 5, 6, 7, 8.
    assert cuts == [(starts[0], 0), (starts[1], 2)] + [
        (starts[k], k + 1) for k in range(3, len(members))
    ]


def test_one_gzip_stream_is_not_cut(tmp_path: Path) -> None:
    raw = _write(tmp_path / "raw", "crawl.warc.gz", gzip.compress(b"".join(page_records(60))))
    assert len(_pieces(raw)) == 1


def test_damage_ends_the_cuts_and_the_last_piece_reports_it(tmp_path: Path) -> None:
    records = page_records(60)
    broken = record("response", b"HTTP/1.1 200 OK\r\n\r\n<p>x</p>")
    broken = broken.replace(b"Content-Length: ", b"Content-Length: 9")  # declares far more
    data = b"".join(records[:70]) + broken + b"".join(records[70:])
    raw = _write(tmp_path / "raw", "crawl.warc", data)
    pieces = _pieces(raw)
    assert len(pieces) > 2
    assert pieces[-1].start <= sum(map(len, records[:70]))  # the damage is in the last piece
    whole = list(read_piece(raw, "crawl.warc", config=ReadConfig()))
    assert _read_pieces(raw, pieces) == whole
    assert whole[-1].reason == "corrupt-archive"


@pytest.mark.parametrize("compress", [False, True], ids=["warc", "warc.gz"])
def test_a_cut_warc_gives_the_output_of_the_whole_on_two_workers(
    tmp_path: Path, compress: bool
) -> None:
    records = page_records(40)
    data = gzipped(records) if compress else b"".join(records)
    raw = _write(tmp_path / "raw", "crawl.warc.gz" if compress else "crawl.warc", data)
    whole = tmp_path / "whole"
    cut = tmp_path / "cut"
    run(raw, whole, config=Config(workers=1))
    report = run(raw, cut, config=Config(workers=2, partition_bytes=len(data) // 5))
    assert report.timings.partitions_prepared > 3
    for name in ("articles.jsonl", "rejects.jsonl"):
        assert (cut / name).read_bytes() == (whole / name).read_bytes()
    assert report.records == 40
