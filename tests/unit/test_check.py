"""`cleanpipe.check`: a clean corpus has no findings; each planted problem gives its code."""

from __future__ import annotations

import hashlib
import json
import random
import shutil
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from cleanpipe.check import check
from cleanpipe.config import CheckConfig, Config
from cleanpipe.errors import ConfigError, InputError
from cleanpipe.models import FINDING_CODES, Article, Rejection, Report
from cleanpipe.pipeline import run
from cleanpipe.read import read_output
from cleanpipe.stages.merge import record_id, word_count
from cleanpipe.write import canonical_json, report_bytes

_VOCABULARY = [
    "province",
    "government",
    "farmers",
    "river",
    "harvest",
    "export",
    "rice",
    "coffee",
    "market",
    "price",
    "ministry",
    "official",
    "announced",
    "yesterday",
    "meeting",
    "project",
    "investment",
    "company",
    "workers",
    "school",
    "students",
    "teachers",
    "hospital",
    "doctors",
    "patients",
    "city",
    "council",
    "budget",
    "road",
    "bridge",
    "weather",
    "storm",
    "rain",
    "flood",
    "season",
    "water",
    "supply",
    "energy",
    "solar",
    "wind",
    "power",
    "plant",
    "factory",
    "program",
    "support",
    "community",
    "village",
    "family",
    "children",
    "culture",
    "festival",
    "music",
    "museum",
    "history",
    "tourism",
    "visitors",
    "hotel",
    "airport",
    "flight",
    "train",
    "station",
    "port",
    "shipping",
    "trade",
    "agreement",
    "partners",
    "cooperation",
    "development",
    "growth",
    "economy",
    "bank",
    "loan",
    "interest",
    "report",
    "survey",
    "results",
    "data",
    "research",
    "university",
    "science",
    "technology",
    "digital",
    "online",
    "service",
    "customers",
    "products",
    "quality",
    "safety",
    "health",
    "care",
    "training",
    "skills",
    "jobs",
    "local",
    "national",
    "international",
    "region",
    "country",
    "border",
    "security",
    "police",
    "court",
    "law",
    "policy",
]

ARTICLES = 16


def _paragraph(rng: random.Random, words: int) -> str:
    chosen = [rng.choice(_VOCABULARY) for _ in range(words)]
    return " ".join(chosen).capitalize() + "."


def write_dump(raw: Path, *, count: int = ARTICLES, seed: int = 7) -> None:
    """A dump of ``count`` distinct dated articles (~90 words each) and one empty file."""
    rng = random.Random(seed)
    raw.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        body = "\n\n".join(_paragraph(rng, 30) for _ in range(3))
        title = f"Story number {index} about {rng.choice(_VOCABULARY)}"
        (raw / f"{index:03d}.txt").write_text(f" date 2023-10-{index + 1:02d} {title}\n{body}\n")
    (raw / "zz_empty.txt").write_text("")


@pytest.fixture(scope="module")
def clean_corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("corpus")
    raw, out = base / "raw", base / "out"
    write_dump(raw)
    run(raw, out, config=Config(workers=1))
    return raw, out


class Corpus:
    """A plain-file copy of a clean output, loaded as models, to corrupt and write back."""

    def __init__(self, source: Path, target: Path) -> None:
        files = read_output(source)
        self.folder = target
        self.records = [
            Article.model_validate_json(line) for line in (files.articles or b"").splitlines()
        ]
        self.rejects = [
            Rejection.model_validate_json(line) for line in (files.rejects or b"").splitlines()
        ]
        self.report = Report.model_validate_json(files.report or b"")
        self.article_lines: list[bytes] = []
        self.reject_lines: list[bytes] = []
        self.report_data: bytes | None = None
        self.sync()

    def sync(self) -> None:
        """Serialise the models canonically (records sorted by id)."""
        self.records.sort(key=lambda a: a.id)
        self.article_lines = [canonical_json(a) for a in self.records]
        self.reject_lines = [canonical_json(r) for r in self.rejects]
        self.report_data = report_bytes(self.report)

    def retext(self, index: int, text: str) -> None:
        """Give record ``index`` a new text with a consistent id and word count."""
        self.records[index] = self.records[index].model_copy(
            update={"text": text, "id": record_id(text), "word_count": word_count(text)}
        )

    def edit(self, index: int, **changes: object) -> None:
        self.records[index] = self.records[index].model_copy(update=changes)

    def write(self) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / "articles.jsonl").write_bytes(
            b"".join(x + b"\n" for x in self.article_lines)
        )
        (self.folder / "rejects.jsonl").write_bytes(b"".join(x + b"\n" for x in self.reject_lines))
        if self.report_data is not None:
            (self.folder / "report.json").write_bytes(_rehashed(self.report_data, self.folder))
        return self.folder


def _rehashed(report: bytes, folder: Path) -> bytes:
    """The report with ``outputs`` (when it has them) naming the files as written now.

    A corrupted copy is meant to show its own problems, not a torn set.
    """
    try:
        parsed = orjson.loads(report)
    except orjson.JSONDecodeError:
        return report
    if not isinstance(parsed, dict) or not isinstance(parsed.get("outputs"), dict):
        return report
    hashes = {name: _sha256(folder / name) for name in parsed["outputs"]}
    if hashes == parsed["outputs"]:
        return report  # as it was written, canonical or not
    parsed["outputs"] = hashes
    return orjson.dumps(parsed, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2) + b"\n"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "absent"


def _codes(path: Path, **kwargs: object) -> list[str]:
    return sorted({f.code for f in check(path, **kwargs)})  # type: ignore[arg-type]


def test_clean_corpus_has_no_findings(clean_corpus: tuple[Path, Path]) -> None:
    raw, out = clean_corpus
    report = Report.model_validate_json(read_output(out).report or b"")
    assert report.records == ARTICLES
    assert report.rejected == 1
    config = Config(workers=1, check=CheckConfig(languages=("en",)))
    assert check(out, config=config) == []
    assert check(out, config=config, raw=raw) == []


def test_plain_file_copy_is_clean_too(clean_corpus: tuple[Path, Path], tmp_path: Path) -> None:
    corpus = Corpus(clean_corpus[1], tmp_path / "copy")
    assert check(corpus.write()) == []


# Each corruption plants one problem; the codes it must give, and no others.
Corruption = Callable[[Corpus], None]


def _first_text(corpus: Corpus) -> str:
    return corpus.records[0].text


def _missing_file(c: Corpus) -> None:
    c.report_data = None


def _invalid_json(c: Corpus) -> None:
    c.report_data = b'{"inputs": 3,'


def _schema_violation(c: Corpus, i: int = 2) -> None:
    data = json.loads(c.article_lines[i])
    data["date"] = "13/10/2023"
    c.article_lines[i] = orjson.dumps(data, option=orjson.OPT_SORT_KEYS)


def _missing_schema_version(c: Corpus) -> None:
    data = json.loads(c.article_lines[2])
    del data["schema_version"]
    c.article_lines[2] = orjson.dumps(data, option=orjson.OPT_SORT_KEYS)


def _non_canonical(c: Corpus, i: int = 1) -> None:
    c.article_lines[i] = json.dumps(json.loads(c.article_lines[i]), sort_keys=True).encode()


def _escaped(c: Corpus) -> None:
    c.edit(3, dateline="Bến Tre")
    c.sync()
    c.article_lines[3] = json.dumps(json.loads(c.article_lines[3]), separators=(",", ":"),
                                    sort_keys=True).encode()  # fmt: skip


def _unsorted(c: Corpus, i: int = 4, j: int = 5) -> None:
    c.article_lines[i], c.article_lines[j] = c.article_lines[j], c.article_lines[i]


def _duplicate_id(c: Corpus) -> None:
    c.edit(6, id=c.records[5].id)  # a copied id is never its own text's id
    c.sync()


def _id_mismatch(c: Corpus) -> None:
    ident = c.records[6].id
    c.edit(6, id=ident[:-1] + ("0" if ident[-1] != "0" else "1"))
    c.sync()


def _word_count(c: Corpus) -> None:
    c.edit(7, word_count=c.records[7].word_count + 1)
    c.sync()


def _empty_text(c: Corpus, i: int = 8) -> None:
    data = json.loads(c.article_lines[i])
    data["text"] = ""
    c.article_lines[i] = orjson.dumps(data, option=orjson.OPT_SORT_KEYS)


def _too_short(c: Corpus) -> None:
    c.retext(8, "Only a dozen words here, which is far too few for an article.")
    c.sync()


def _near_duplicate(c: Corpus) -> None:
    words = c.records[0].text.split(" ")
    words[10] = "zebra"
    c.retext(9, " ".join(words))
    c.sync()


def _boilerplate(c: Corpus) -> None:
    c.retext(10, c.records[10].text + "\n\nThe new bridge opened on Monday. (Photo: VNA)")
    c.sync()


def _unnormalized(c: Corpus) -> None:
    c.retext(11, c.records[11].text.replace(" ", "\u00a0", 2))
    c.sync()


def _mojibake(c: Corpus) -> None:
    c.retext(12, c.records[12].text.replace(" ", " cafÃ© ", 1))
    c.sync()


def _language(c: Corpus) -> None:
    c.edit(13, language="fr")
    c.sync()


def _missing_date(c: Corpus) -> None:
    c.edit(0, date=None)
    c.sync()


def _accounting(c: Corpus) -> None:
    c.report = c.report.model_copy(update={"records": c.report.records + 1})
    c.sync()


def _input_twice(c: Corpus) -> None:
    origin = c.records[0].origins[0]
    c.reject_lines.insert(  # first: its path sorts before the other rejection's
        0, canonical_json(Rejection(detail="x", path=origin.path, reason="no-content"))
    )
    c.report = c.report.model_copy(
        update={
            "rejected": 2,
            "inputs": c.report.inputs + 1,
            "rejects_by_reason": {"empty": 1, "no-content": 1},
        }
    )
    c.report_data = report_bytes(c.report)


def _report_non_canonical(c: Corpus) -> None:
    c.report_data = orjson.dumps(c.report.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS)


CASES: list[tuple[str, Corruption, set[str]]] = [
    ("missing-file", _missing_file, {"missing-file"}),
    ("invalid-json", _invalid_json, {"invalid-json"}),
    ("schema-violation", _schema_violation, {"schema-violation"}),
    ("missing-schema-version", _missing_schema_version, {"schema-violation"}),
    ("non-canonical", _non_canonical, {"non-canonical"}),
    ("escaped-non-ascii", _escaped, {"non-canonical"}),
    ("report-non-canonical", _report_non_canonical, {"non-canonical"}),
    ("unsorted", _unsorted, {"unsorted"}),
    ("duplicate-id", _duplicate_id, {"duplicate-id", "id-mismatch"}),
    ("id-mismatch", _id_mismatch, {"id-mismatch"}),
    ("word-count-mismatch", _word_count, {"word-count-mismatch"}),
    ("empty-text", _empty_text, {"empty-text"}),
    ("too-short", _too_short, {"too-short"}),
    ("near-duplicate", _near_duplicate, {"near-duplicate"}),
    ("boilerplate", _boilerplate, {"boilerplate"}),
    ("unnormalized", _unnormalized, {"unnormalized"}),
    ("mojibake", _mojibake, {"mojibake"}),
    ("language", _language, {"language"}),
    ("missing-date", _missing_date, {"missing-date"}),
    ("accounting", _accounting, {"accounting"}),
    ("input-listed-twice", _input_twice, {"accounting"}),
]


@pytest.mark.parametrize(("corrupt", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_problem_gives_its_code(
    clean_corpus: tuple[Path, Path], tmp_path: Path, corrupt: Corruption, expected: set[str]
) -> None:
    corpus = Corpus(clean_corpus[1], tmp_path / "bad")
    corrupt(corpus)
    config = Config(workers=1, check=CheckConfig(languages=("en",)))
    assert set(_codes(corpus.write(), config=config)) == expected


def test_findings_say_where(clean_corpus: tuple[Path, Path], tmp_path: Path) -> None:
    corpus = Corpus(clean_corpus[1], tmp_path / "bad")
    _too_short(corpus)
    _boilerplate(corpus)
    out = corpus.write()
    findings = check(out)
    by_code = {f.code: f for f in findings}
    short = by_code["too-short"]
    line = next(i for i, r in enumerate(corpus.records, 1) if r.id == short.record_id)
    assert short.file == str(out / "articles.jsonl")
    assert short.line == line
    assert short.message == "13 words, fewer than min_words (50)"
    assert (
        "caption 'The new bridge opened on Monday. (Photo: VNA)'" in by_code["boilerplate"].message
    )
    assert findings == sorted(findings, key=lambda f: (f.file or "", f.line or 0))


def test_reject_rate(clean_corpus: tuple[Path, Path]) -> None:
    _, out = clean_corpus  # 1 of 17 inputs rejected: 5.9 %
    config = Config(check=CheckConfig(max_reject_rate=0.05))
    findings = check(out, config=config)
    assert [(f.code, f.message) for f in findings] == [
        ("reject-rate", "1 of 17 inputs rejected (5.9%), more than max_reject_rate (5.0%)")
    ]


def test_stale_output(clean_corpus: tuple[Path, Path], tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    shutil.copytree(clean_corpus[0], raw)
    write_dump(raw / "more", count=1, seed=99)
    findings = check(clean_corpus[1], config=Config(workers=1), raw=raw)
    assert {f.code for f in findings} == {"stale-output"}
    files = {Path(f.file or "").name: f.message for f in findings}
    assert set(files) == {"articles.jsonl", "rejects.jsonl", "report.json"}
    assert "17 records now: 1 new, 0 gone, 0 changed" in files["articles.jsonl"]
    assert "inputs, outputs, records" in files["report.json"]


def test_every_problem_at_once(clean_corpus: tuple[Path, Path], tmp_path: Path) -> None:
    raw, source = clean_corpus
    corpus = Corpus(source, tmp_path / "bad")
    original = set(corpus.article_lines)
    # Record-level problems on distinct records (these re-sort the records)...
    for corrupt in (_too_short, _near_duplicate, _boilerplate, _unnormalized, _mojibake,
                    _language, _missing_date, _word_count, _duplicate_id):  # fmt: skip
        corrupt(corpus)
    # ... then line-level ones on lines that are still as they were (ids not shared).
    ids = [r.id for r in corpus.records]
    free = [i for i, line in enumerate(corpus.article_lines)
            if line in original and ids.count(ids[i]) == 1]  # fmt: skip
    assert len(free) >= 4
    _schema_violation(corpus, free[0])
    _non_canonical(corpus, free[1])
    _empty_text(corpus, free[2])
    _unsorted(corpus, free[3], free[3] + 1 if free[3] + 1 < len(ids) else free[3] - 1)
    corpus.reject_lines.append(b"{not json")
    _input_twice(corpus)
    _missing_file(corpus)  # report.json gone: the counts come from the files
    config = Config(workers=1, check=CheckConfig(languages=("en",), max_reject_rate=0.1))
    # torn-output needs a report.json, which is gone here: see test_torn_output.
    expected = sorted(set(FINDING_CODES) - {"torn-output"})
    assert _codes(corpus.write(), config=config, raw=raw) == expected


def test_ignore(clean_corpus: tuple[Path, Path], tmp_path: Path) -> None:
    corpus = Corpus(clean_corpus[1], tmp_path / "bad")
    _too_short(corpus)
    _missing_date(corpus)
    out = corpus.write()
    assert _codes(out) == ["missing-date", "too-short"]
    assert _codes(out, config=Config(check=CheckConfig(ignore=("too-short",)))) == ["missing-date"]
    with pytest.raises(ConfigError, match="unknown finding code"):
        check(out, config=Config(check=CheckConfig(ignore=("too_short",))))


def _with_outputs(corpus: Corpus, **changes: str) -> Path:
    """Write the corpus with report.json's ``outputs`` holding the files' SHA-256 (or changes)."""
    out = corpus.write()
    report = json.loads(corpus.report_data or b"")
    names = ("articles.jsonl", "rejects.jsonl")
    report["outputs"] = {name: _sha256(out / name) for name in names} | changes
    (out / "report.json").write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    return out


def _torn(out: Path) -> list[tuple[str, str]]:
    return [(Path(f.file or "").name, f.message) for f in check(out) if f.code == "torn-output"]


def test_torn_output(clean_corpus: tuple[Path, Path], tmp_path: Path) -> None:
    corpus = Corpus(clean_corpus[1], tmp_path / "torn")
    out = _with_outputs(corpus)
    assert _torn(out) == []
    # A crash between the renames: a new rejects.jsonl beside the old report.json.
    with (out / "rejects.jsonl").open("ab") as stream:
        stream.write(b'{"detail":"x","line":null,"path":"zz.txt","reason":"empty"}\n')
    ((name, message),) = _torn(out)
    assert name == "rejects.jsonl"
    assert message.startswith("SHA-256 ")
    assert message.endswith(
        "report.json lists; the files are not from one run (was a run killed?); "
        "re-run cleanpipe run"
    )


def test_torn_output_names_an_absent_or_unknown_file(
    clean_corpus: tuple[Path, Path], tmp_path: Path
) -> None:
    corpus = Corpus(clean_corpus[1], tmp_path / "torn")
    out = _with_outputs(corpus, **{"articles.jsonl.gz": "0" * 64, "../secret": "0" * 64})
    assert sorted(_torn(out)) == [
        ("articles.jsonl.gz", "articles.jsonl.gz is absent, but report.json lists it; "
         "the files are not from one run (was a run killed?); re-run cleanpipe run"),
        ("report.json", "outputs lists '../secret', which cleanpipe does not write"),
    ]  # fmt: skip


def test_an_old_report_without_outputs_is_not_torn(
    clean_corpus: tuple[Path, Path], tmp_path: Path
) -> None:
    out = Corpus(clean_corpus[1], tmp_path / "old").write()
    report = json.loads((out / "report.json").read_bytes())
    report.pop("outputs", None)
    (out / "report.json").write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    (out / "rejects.jsonl").write_bytes(b"")  # would be torn, were there hashes to compare
    assert _torn(out) == []


def test_dedup_off_skips_near_duplicates(clean_corpus: tuple[Path, Path], tmp_path: Path) -> None:
    corpus = Corpus(clean_corpus[1], tmp_path / "bad")
    _near_duplicate(corpus)
    out = corpus.write()
    assert _codes(out) == ["near-duplicate"]
    assert _codes(out, config=Config(dedup_enabled=False)) == []


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        pytest.param(lambda p: None, "not a folder", id="missing-folder"),
        pytest.param(lambda p: p.mkdir(), "holds no articles.jsonl", id="empty-folder"),
    ],
)
def test_not_an_output_folder(tmp_path: Path, setup: Callable[[Path], None], message: str) -> None:
    folder = tmp_path / "out"
    setup(folder)
    with pytest.raises(InputError, match=message):
        check(folder)
