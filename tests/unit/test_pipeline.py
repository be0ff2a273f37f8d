from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

import cleanpipe
from cleanpipe.config import Config
from cleanpipe.errors import InputError, StrictModeError

STORY = (
    "Hanoi (VNA) - Vietnam's rice exports rose by five percent in the first five months of the "
    "year, the Ministry of Agriculture said on Tuesday, citing strong demand from the Philippines "
    "and Indonesia.\n\nThe ministry expects shipments to stay high through the summer as "
    "buyers in Africa and the Middle East restock, officials told a press conference in the "
    "capital.\n\nFarmers in the Mekong Delta have expanded the area planted with fragrant "
    "varieties, which fetch higher prices abroad, the ministry added./.\n\nVNA"
)
OTHER = (
    "Da Nang (VNA) - The central city of Da Nang welcomed more than a million foreign visitors "
    "in the first half of the year, its tourism department said, as new direct flights from "
    "Korea and Japan began operating.\n\nHotel occupancy reached eighty percent during the "
    "international fireworks festival in June, the department added."
)


def _write(root: Path, name: str, data: bytes) -> None:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


@pytest.fixture
def dump(tmp_path: Path) -> Path:
    raw = tmp_path / "raw"
    _write(raw, "a/story.txt", STORY.encode())
    _write(
        raw,
        "a/story-copy.txt.gz",
        gzip.compress(STORY.replace("five percent", "5 percent").encode()),
    )
    _write(raw, "b/other.txt", OTHER.encode())
    lines = [
        json.dumps(
            {"title": "Rice", "text": STORY, "date": "June 4, 2024", "url": "https://x.vn/1"}
        ),
        "{not json",
        json.dumps({"title": "Tourism", "body": OTHER}),
    ]
    _write(raw, "b/feed.jsonl", "\n".join(lines).encode())
    _write(raw, "c/empty.txt", b"")
    _write(raw, "c/image.txt", b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    _write(raw, "c/broken.txt.gz", gzip.compress(b"some text here")[:-12])
    return raw


def test_run_accounts_for_every_input(dump: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    report = cleanpipe.run(dump, out, config=Config(workers=1))
    records = [json.loads(line) for line in (out / "articles.jsonl").read_text().splitlines()]
    rejects = [json.loads(line) for line in (out / "rejects.jsonl").read_text().splitlines()]
    assert report.inputs == 9  # 6 files + a JSONL file of 3 lines
    assert sum(len(r["origins"]) for r in records) + len(rejects) == report.inputs
    assert {r["reason"] for r in rejects} == {
        "empty",
        "binary",
        "corrupt-archive",
        "malformed-json",
    }
    malformed = next(r for r in rejects if r["reason"] == "malformed-json")
    assert (malformed["path"], malformed["line"]) == ("b/feed.jsonl", 2)
    assert len(records) == 2
    rice = next(r for r in records if "rice" in r["text"])
    assert {(o["path"], o["line"]) for o in rice["origins"]} == {
        ("a/story.txt", None),
        ("a/story-copy.txt.gz", None),
        ("b/feed.jsonl", 1),
    }
    assert rice["date"] == "2024-06-04"
    assert rice["url"] == "https://x.vn/1"
    assert rice["source"] == "VNA"
    assert rice["dateline"] == "Hanoi"
    assert "./." not in rice["text"]
    assert [r["id"] for r in records] == sorted(r["id"] for r in records)


def test_run_is_deterministic_across_worker_counts(dump: Path, tmp_path: Path) -> None:
    cleanpipe.run(dump, tmp_path / "one", config=Config(workers=1))
    cleanpipe.run(dump, tmp_path / "two", config=Config(workers=2))
    for name in ("articles.jsonl", "rejects.jsonl"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()


def test_no_dedup_keeps_near_copies_apart_but_merges_exact_ones(dump: Path, tmp_path: Path) -> None:
    _write(dump, "a/exact.txt", STORY.encode())
    report = cleanpipe.run(dump, tmp_path / "out", config=Config(workers=1, dedup_enabled=False))
    records = [
        json.loads(line) for line in (tmp_path / "out" / "articles.jsonl").read_text().splitlines()
    ]
    ids = [r["id"] for r in records]
    assert len(ids) == len(set(ids))
    # story, its "5 percent" near copy and the other story stay three records; the
    # exact copies (a/exact.txt, the JSONL lines) are merged all the same.
    assert report.records == len(records) == 3
    assert sorted(len(r["origins"]) for r in records) == [1, 2, 3]


def test_strict_mode_stops_at_the_first_reject(dump: Path, tmp_path: Path) -> None:
    with pytest.raises(StrictModeError, match=r"b/feed\.jsonl:2"):
        cleanpipe.run(dump, tmp_path / "out", config=Config(workers=1, strict=True))
    # No output file is written; only the hidden work folder (kept for a rerun) is there.
    assert [p.name for p in (tmp_path / "out").iterdir()] == [".cleanpipe"]


def test_run_on_a_missing_folder_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such folder or file"):
        cleanpipe.run(tmp_path / "nope", tmp_path / "out")


def test_clean_takes_strings_and_mappings() -> None:
    result = cleanpipe.clean([STORY, {"title": "Rice", "text": STORY}, OTHER, "   "])
    assert len(result.articles) == 2
    assert result.report.inputs == 4
    assert [r.reason for r in result.rejections] == ["empty"]
    rice = next(a for a in result.articles if "rice" in a.text)
    assert [o.line for o in rice.origins] == [1, 2]
    assert rice.title == "Rice"


def test_find_duplicates_is_exposed() -> None:
    clusters = cleanpipe.find_duplicates([STORY, OTHER, STORY.replace("Tuesday", "Monday")])
    assert [c.members for c in clusters] == [(0, 2)]
