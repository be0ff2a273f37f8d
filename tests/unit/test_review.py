"""``cleanpipe.report``: the counts, plots and samples of report.html, read streaming."""

from __future__ import annotations

import gzip
import json
import random
import re
import shutil
from pathlib import Path

import pytest

import cleanpipe
from cleanpipe.config import Config
from cleanpipe.errors import InputError
from cleanpipe.pipeline import run
from cleanpipe.review import SECTIONS, report
from tests.unit.test_check import _VOCABULARY

_VIETNAMESE = (
    "Tỉnh Bến Tre mong muốn tăng cường hợp tác với các địa phương và doanh nghiệp Nhật Bản "
    "trong lĩnh vực nông nghiệp, chế biến thủy sản và năng lượng tái tạo."
)


def _story(rng: random.Random, paragraphs: int = 3) -> list[str]:
    return [
        " ".join(rng.choice(_VOCABULARY) for _ in range(35)).capitalize() + "."
        for _ in range(paragraphs)
    ]


def write_review_dump(raw: Path) -> None:
    """A dump with something in every section: copies, rejects, two languages, several months."""
    rng = random.Random(11)
    raw.mkdir(parents=True, exist_ok=True)
    for index in range(8):
        body = _story(rng)
        month = 9 + index % 3
        topic = rng.choice(_VOCABULARY)
        head = f" date 2023-{month:02d}-{index + 3:02d} Story {index} about the {topic}"
        text = head + "\n" + "\n\n".join(body) + "\n"
        (raw / f"{index:02d}.txt").write_text(text)
        if index < 3:  # an exact copy, and one whose closing paragraph was cut short
            (raw / f"{index:02d}_copy.txt").write_text(text)
            edited = [*body[:-1], " ".join(body[-1].split()[:25]) + " in the end."]
            (raw / f"{index:02d}_edited.txt").write_text(head + "\n" + "\n\n".join(edited) + "\n")
    lines = [
        json.dumps(
            {"title": "Bến Tre", "text": "\n\n".join([_VIETNAMESE] * 3), "date": "2023-08-01"}
        ),
        "{not json",
        json.dumps({"title": "Rice", "text": "\n\n".join(_story(rng)), "date": "2023-08-02"}),
    ]
    (raw / "feed.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (raw / "empty.txt").write_text("")
    (raw / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))


@pytest.fixture(scope="module")
def review_corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("review")
    write_review_dump(base / "raw")
    run(base / "raw", base / "out", config=Config(workers=1))
    return base / "raw", base / "out"


def _section(page: str, key: str) -> str:
    match = re.search(rf'<section id="{key}">(.*?)</section>', page, re.S)
    assert match, f"no section {key}"
    return match.group(1)


def test_every_section_with_its_numbers(review_corpus: tuple[Path, Path]) -> None:
    _, out = review_corpus
    path = report(out)
    assert path == out / "report.html"
    page = path.read_text("utf-8")
    for key, title in SECTIONS:
        assert f"<h2>{title}</h2>" in _section(page, key)
    stated = json.loads((out / "report.json").read_text())
    counts = _section(page, "counts")
    inputs = stated["inputs"]
    assert f"inputs {inputs} = origins " in counts
    assert "✓" in counts
    boilerplate = _section(page, "boilerplate")
    for rule in stated["removed_by_rule"]:
        assert f"<td>{rule}</td>" in boilerplate
    assert "<td>3</td><td>3</td>" in _section(page, "clusters")  # 3 clusters of size 3
    rejects = _section(page, "rejects")
    for reason in ("empty", "binary", "malformed-json"):
        assert f"<h3>{reason}</h3>" in rejects
    assert "feed.jsonl:2" in rejects
    languages = _section(page, "languages")
    assert "<td>en</td>" in languages
    assert "<td>vi</td>" in languages
    assert "<td>first</td><td>2023-08</td>" in _section(page, "dates")
    assert "<td>last</td><td>2023-11</td>" in _section(page, "dates")
    assert _section(page, "word-counts").count("<svg") == 1


def test_the_page_is_self_contained(review_corpus: tuple[Path, Path]) -> None:
    page = report(review_corpus[1]).read_text("utf-8")
    assert "<script" not in page
    assert not re.search(r"""(?:src|href)=["'](?!#)""", page), "a link to something elsewhere"
    assert "@import" not in page
    assert not re.search(r"url\((?!#)", page), "a url() to something elsewhere"
    assert page.count("<svg") >= 6


def test_without_raw_the_page_lists_origins_and_says_how_to_diff(
    review_corpus: tuple[Path, Path],
) -> None:
    merged = _section(report(review_corpus[1]).read_text("utf-8"), "merged")
    assert "cleanpipe report --raw RAW OUT" in merged
    assert "00_copy.txt" in merged
    assert 'class="diff"' not in merged


def test_with_raw_each_copy_is_diffed_against_the_kept_text(
    review_corpus: tuple[Path, Path],
) -> None:
    raw, out = review_corpus
    merged = _section(report(out, raw=raw).read_text("utf-8"), "merged")
    assert "cleanpipe report --raw RAW OUT" not in merged
    assert "the same text" in merged  # the exact copy
    assert 'class="diff"' in merged  # the edited copy
    assert '<span class="add">+' in merged
    assert " in the end.</span>" in merged


def test_raw_that_is_gone_is_an_input_error(
    review_corpus: tuple[Path, Path], tmp_path: Path
) -> None:
    with pytest.raises(InputError, match="no such dump folder"):
        report(review_corpus[1], raw=tmp_path / "nope")


def test_a_broken_accounting_shows(review_corpus: tuple[Path, Path], tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    for name in ("articles.jsonl", "rejects.jsonl", "report.json"):
        shutil.copyfile(review_corpus[1] / name, out / name)
    lines = (out / "rejects.jsonl").read_bytes().splitlines(keepends=True)
    (out / "rejects.jsonl").write_bytes(b"".join(lines[1:]) + b"{torn")
    counts = _section(report(out).read_text("utf-8"), "counts")
    assert 'class="identity bad"' in counts
    assert "≠" in counts
    assert "1 line(s) of rejects.jsonl could not be read as JSON objects" in counts


def test_gzipped_records_are_read(review_corpus: tuple[Path, Path], tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    data = (review_corpus[1] / "articles.jsonl").read_bytes()
    (out / "articles.jsonl.gz").write_bytes(gzip.compress(data))
    page = report(out).read_text("utf-8")
    assert "<td>in articles.jsonl.gz</td>" in page
    assert "report.json is absent or unreadable" in page


def test_not_an_output_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a folder"):
        report(tmp_path / "missing")
    with pytest.raises(InputError, match=r"holds no articles\.jsonl"):
        report(tmp_path)


def test_the_same_output_gives_the_same_page(review_corpus: tuple[Path, Path]) -> None:
    first = report(review_corpus[1]).read_bytes()
    assert report(review_corpus[1]).read_bytes() == first


def test_memory_holds_samples_not_records(tmp_path: Path) -> None:
    """A corpus of many records keeps only bounded samples (streamed, never all records)."""
    from cleanpipe.review import _Tally

    tally = _Tally()
    for index in range(5000):
        origins = [{"path": f"{index}-{n}.txt", "line": None} for n in range(1 + index % 4)]
        tally.add_record(
            {"id": f"{index:016x}", "text": "x " * 50, "word_count": 50, "origins": origins,
             "language": "en", "date": "2023-10-01"}
        )  # fmt: skip
    assert tally.records == 5000
    assert len(tally.clusters()) == 12
    assert [len(c.origins) for c in tally.clusters()[:6]] == [4] * 6
    assert len(tally.word_counts) == 1


def test_report_is_public_api() -> None:
    assert cleanpipe.report is report
    assert "report" in cleanpipe.__all__


def test_parquet_records_are_read(review_corpus: tuple[Path, Path], tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    from cleanpipe.formats.output import parse_articles, serialize_articles

    out = tmp_path / "out"
    out.mkdir()
    records = parse_articles((review_corpus[1] / "articles.jsonl").read_bytes(), fmt="jsonl")
    (out / "articles.parquet").write_bytes(serialize_articles(records, fmt="parquet"))
    shutil.copyfile(review_corpus[1] / "report.json", out / "report.json")
    shutil.copyfile(review_corpus[1] / "rejects.jsonl", out / "rejects.jsonl")
    page = report(out).read_text("utf-8")
    assert "<td>in articles.parquet</td>" in page
    assert 'class="identity ok"' in page


def test_a_single_dump_file_as_raw(tmp_path: Path) -> None:
    """A run of one JSONL file names origins by the file's name; --raw is that file."""
    rng = random.Random(3)
    story = "\n\n".join(_story(rng))
    rows = [{"title": "Rice", "text": story, "date": "2023-10-01"}] * 2
    rows.append({"title": "Other", "text": "\n\n".join(_story(rng)), "date": "2023-10-02"})
    feed = tmp_path / "feed.jsonl"
    feed.write_text("".join(json.dumps(row) + "\n" for row in rows))
    run(feed, tmp_path / "out", config=Config(workers=1))
    merged = _section(report(tmp_path / "out", raw=feed).read_text("utf-8"), "merged")
    assert "feed.jsonl:2</code>: the same text" in merged


def test_raw_reads_no_origin_outside_the_dump(tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("A secret that is not part of the dump at all.\n")
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    out.mkdir()
    origins = [
        {"format": "text", "line": None, "path": name, "sha256": "0" * 64}
        for name in ("kept.txt", "../secret.txt")
    ]
    record = {"id": "0" * 16, "text": "Kept text.", "word_count": 2, "origins": origins}
    (out / "articles.jsonl").write_text(json.dumps(record) + "\n")
    merged = _section(report(out, raw=raw).read_text("utf-8"), "merged")
    assert '../secret.txt</code>: <span class="warn">not found in RAW' in merged
    assert "secret that is not" not in merged
