"""The seed: two copies of one Ben Tre story come out as one record with both origins."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

import cleanpipe
from cleanpipe.config import Config
from cleanpipe.models import Draft, RawDocument
from cleanpipe.pipeline import prepare_document
from cleanpipe.read import InputEntry, read_input
from tests.conftest import CLEAN, RAW, SHARED

SEEDS = ("000_31717eb44b987290.txt", "001_83f7918ea3362746.txt")
TITLE = "Ben Tre looks to boost cooperation with Japanese localities, businesses"


@pytest.fixture(scope="module")
def seed_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("clean")
    cleanpipe.run(RAW, out, config=Config(workers=1))
    return out


def _records(out: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (out / "articles.jsonl").read_text("utf-8").splitlines()]


def test_raw_is_the_seed_byte_for_byte() -> None:
    for name in SEEDS:
        seed = SHARED / "seeds" / name
        if not seed.exists():
            pytest.skip("../shared/seeds is not beside the repository")
        assert (RAW / name).read_bytes() == seed.read_bytes()


def test_one_record_with_the_expected_metadata(seed_run: Path) -> None:
    records = _records(seed_run)
    assert len(records) == 1
    record = records[0]
    assert record["title"] == TITLE
    assert record["date"] == "2023-10-13"
    assert record["source"] == "VNA"
    assert record["dateline"] == "Ben Tre"
    assert record["language"] == "en"
    assert record["schema_version"] == 1


def test_both_origins_with_their_sha256(seed_run: Path) -> None:
    origins = _records(seed_run)[0]["origins"]
    assert isinstance(origins, list)
    assert [o["path"] for o in origins] == list(SEEDS)
    for origin in origins:
        digest = hashlib.sha256((RAW / origin["path"]).read_bytes()).hexdigest()
        assert origin["sha256"] == digest
        assert origin["format"] == "text"
        assert origin["line"] is None


def test_text_is_the_thirteen_body_paragraphs(seed_run: Path) -> None:
    text = _records(seed_run)[0]["text"]
    assert isinstance(text, str)
    paragraphs = text.split("\n\n")
    assert len(paragraphs) == 13
    assert len(set(paragraphs)) == 13
    assert paragraphs[0].startswith("The Mekong Delta province of Ben Tre hopes")
    assert paragraphs[-1].endswith(
        "certificates of merit of the provincial People\u2019s Committee."
    )
    for residue in ("(Photo", "ảnh 1", "(VNA)", "./.", "See more", "\u00a0", "  ", TITLE):
        assert residue not in text, residue
    assert "\nVNA\n" not in f"\n{text}\n"
    # Nothing of the See-more block survives.
    assert "Thai Binh" not in text
    assert "Granma" not in text
    assert "\n\n\n" not in text


def _clean_copy(name: str) -> Draft:
    config = Config(workers=1)
    [raw] = read_input(RAW, InputEntry(name), config=config.read)
    assert isinstance(raw, RawDocument)
    draft, _removed = prepare_document(raw, config=config)
    assert isinstance(draft, Draft)
    return draft


def test_the_two_copies_clean_to_identical_texts_before_merging() -> None:
    scrape, clean_copy = (_clean_copy(name) for name in SEEDS)
    assert scrape.text == clean_copy.text
    assert scrape.title == clean_copy.title == TITLE
    assert scrape.dateline == "Ben Tre"
    assert clean_copy.date == "2023-10-13"


def test_every_boilerplate_rule_of_the_seed_fired(seed_run: Path) -> None:
    report = json.loads((seed_run / "report.json").read_text("utf-8"))
    for rule in ("caption", "teaser_block", "byline", "dateline", "repeated_lede", "end_mark"):
        assert report["removed_by_rule"].get(rule, 0) >= 1, rule
    assert report["inputs"] == 2
    assert report["records"] == 1
    assert report["merged"] == 1
    assert report["cluster_sizes"] == {"2": 1}


def test_committed_clean_output_is_what_the_command_writes(
    seed_run: Path, update_golden: bool
) -> None:
    if update_golden:
        for name in ("articles.jsonl", "rejects.jsonl", "report.json"):
            shutil.copyfile(seed_run / name, CLEAN / name)
    for name in ("articles.jsonl", "rejects.jsonl", "report.json"):
        assert (seed_run / name).read_bytes() == (CLEAN / name).read_bytes(), name
        assert not (CLEAN / name).is_symlink(), name


def test_reruns_are_byte_identical(seed_run: Path, tmp_path: Path) -> None:
    cleanpipe.run(RAW, tmp_path, config=Config(workers=2))
    for name in ("articles.jsonl", "rejects.jsonl", "report.json"):
        assert (tmp_path / name).read_bytes() == (seed_run / name).read_bytes()
    # Timings go to the terminal and an uncommitted file, never into report.json.
    assert "timings" not in json.loads((tmp_path / "report.json").read_text("utf-8"))
    assert (tmp_path / ".cleanpipe" / "timings.json").is_file()


def test_a_rerun_in_place_leaves_every_output_file_byte_identical(tmp_path: Path) -> None:
    cleanpipe.run(RAW, tmp_path, config=Config(workers=1))
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    cleanpipe.run(RAW, tmp_path, config=Config(workers=2))
    after = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    assert before == after
    assert sorted(before) == ["articles.jsonl", "rejects.jsonl", "report.json"]
