"""Hostile dump folders: every file ends as a record or a documented reject, and the run finishes.

All inputs are generated here; nothing binary is checked in.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import stat
import tracemalloc
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar

import pytest

import cleanpipe
from cleanpipe.cli import main
from cleanpipe.config import Config, ReadConfig
from cleanpipe.executors.local import LocalExecutor
from cleanpipe.models import RawDocument, Rejection
from cleanpipe.read import InputEntry, decode_input, list_inputs, read_input
from tests.hostile.conftest import (
    ARTICLE,
    GERMAN,
    VIETNAMESE,
    WESTERN,
    assert_accounted,
    billion_laughs,
    encode_cp1258,
    gzip_bomb,
    pdf_bytes,
    png_bytes,
    read_jsonl,
    zip_bytes,
)

T = TypeVar("T")
R = TypeVar("R")

MAX_BYTES = 8 << 20
HUGE_LINE_BYTES = 6 << 20
CONFIG = Config(workers=1, read=ReadConfig(max_bytes=MAX_BYTES))


def _article_gz() -> bytes:
    return gzip.compress(f"Budget day\n\n{ARTICLE}\n".encode() * 20, mtime=0)


def _deep_html() -> bytes:
    return (
        f"<html><body><article><p>{ARTICLE}</p><p>{ARTICLE[::-1]}</p>".encode()
        + b"<div>" * 50_000
        + b"deep"
        + b"</div>" * 50_000
        + b"</article></body></html>"
    )


JSONL_LINES = [
    (1, json.dumps({"title": "Good", "text": ARTICLE}), "record"),
    (2, '{"title": "Broken", "text": "unterminated', "malformed-json"),
    (3, "[1, 2, 3]", "malformed-json"),
    (4, json.dumps({"title": "Object body", "text": {"nested": ARTICLE}}), "malformed-json"),
    (5, json.dumps({"title": "No body at all"}), "malformed-json"),
    (6, json.dumps({"text": [ARTICLE, 3]}), "malformed-json"),
    (7, '"just a string"', "malformed-json"),
    (8, "null", "malformed-json"),
    (9, "", None),  # a blank line is not a document
    (10, json.dumps({"text": 12345}), "record"),  # a number is text, if short
    (11, json.dumps({"text": "   "}), "malformed-json"),
    (12, '{"text": "bad \\ud800 surrogate"}', "malformed-json"),
]

# name → (bytes, expected fate: "record" or a reject reason)
CASES: dict[str, tuple[bytes, str]] = {
    "empty.txt": (b"", "empty"),
    "blank.txt": (b" \n\t\r\n  \n", "empty"),
    "image.txt": (png_bytes(), "binary"),
    "image.html": (png_bytes(), "binary"),
    "paper.html": (pdf_bytes(), "binary"),
    "paper.txt": (pdf_bytes(), "binary"),
    "bundle.json": (zip_bytes(), "binary"),
    "bundle.jsonl": (zip_bytes(), "binary"),
    "damaged-utf8.txt": (
        "Tiếng Việt ".encode() + b"\xff\xfe" + ARTICLE.encode(),
        "undecodable",
    ),
    "utf16.txt": (f"UTF-16 title\n\n{ARTICLE}".encode("utf-16"), "record"),
    "utf16-be.html": (
        b"\xfe\xff"
        + f"<html><body><article><p>{ARTICLE}</p></article></body></html>".encode("utf-16-be"),
        "record",
    ),
    "cp1252.txt": (f"{WESTERN}\n{ARTICLE}".encode("cp1252"), "record"),
    "latin1.txt": (f"{GERMAN}\n{ARTICLE}".encode("latin-1"), "record"),
    "vietnamese-1258.txt": (encode_cp1258(VIETNAMESE), "record"),
    "mixed-endings.txt": (
        f"Mixed endings\r\n\r\n{ARTICLE}\r{ARTICLE[:60]} two.\n{ARTICLE[:50]} three.\r\n".encode(),
        "record",
    ),
    "good.txt.gz": (_article_gz(), "record"),
    "truncated.txt.gz": (_article_gz()[:40], "corrupt-archive"),
    "corrupt.txt.gz": (
        _article_gz()[:12] + b"\xff" * 16 + _article_gz()[28:],
        "corrupt-archive",
    ),
    "not-gzip.txt.gz": (ARTICLE.encode(), "corrupt-archive"),
    "bomb.txt.gz": (gzip_bomb(2048), "too-large"),  # 2 GiB inflated, ~2 MB on disk
    "too-big.txt": (b"x" * (MAX_BYTES + 1), "too-large"),
    "huge-line.txt": ((ARTICLE + " ").encode() * (HUGE_LINE_BYTES // len(ARTICLE)), "record"),
    "laughs.html": (billion_laughs(ARTICLE).encode(), "record"),
    "deep.html": (_deep_html(), "record"),
    "scripts-only.html": (
        b"<html><head><style>p{color:red}</style><script>document.write('"
        + ARTICLE.encode()
        + b"')</script></head><body><script>var a = 1;</script><style>b{}</style></body></html>",
        "no-content",
    ),
    "a name with spaces.txt": (f"Spaces\n\n{ARTICLE} spaces".encode(), "record"),
    "tiếng việt ✓.txt": (f"Unicode\n\n{ARTICLE} unicode".encode(), "record"),
    "new\nline.txt": (f"Newline\n\n{ARTICLE} newline".encode(), "record"),
    "feed.jsonl": ("\n".join(line for _, line, _ in JSONL_LINES).encode(), "jsonl"),
}


def _write_dump(raw: Path) -> None:
    raw.mkdir()
    for name, (data, _) in CASES.items():
        (raw / name).write_bytes(data)
    # A name that is not UTF-8 at all (Linux names are bytes).
    latin1_name = Path(os.fsdecode(os.fsencode(raw) + b"/caf\xe9-latin1-name.txt"))
    latin1_name.write_bytes(f"Latin-1 name\n\n{ARTICLE} latin1 name".encode())
    os.mkfifo(raw / "a-fifo.txt")
    outside = raw.parent / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(f"Secret\n\n{ARTICLE} secret", "utf-8")
    (raw / "to-outside.txt").symlink_to(outside / "secret.txt")
    (raw / "to-outside-dir").symlink_to(outside, target_is_directory=True)
    (raw / "to-passwd.txt").symlink_to("/etc/passwd")
    sub = raw / "sub"
    sub.mkdir()
    (sub / "inner.txt").write_text(f"Inner\n\n{ARTICLE} inner", "utf-8")
    (sub / "loop").symlink_to("..", target_is_directory=True)
    (sub / "self-loop").symlink_to("self-loop")


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    base = tmp_path_factory.mktemp("hostile")
    raw = base / "raw"
    _write_dump(raw)
    out = base / "out"
    cleanpipe.run(raw, out, config=CONFIG)
    return out, assert_accounted(out)


def _fates(out: Path) -> dict[tuple[str, int | None], str]:
    fates: dict[tuple[str, int | None], str] = {}
    for article in read_jsonl(out / "articles.jsonl"):
        for origin in article["origins"]:  # type: ignore[attr-defined]
            fates[(origin["path"], origin["line"])] = "record"
    for reject in read_jsonl(out / "rejects.jsonl"):
        key = (str(reject["path"]), reject["line"])
        assert key not in fates, f"{key} counted twice"
        fates[key] = str(reject["reason"])
    return fates


@pytest.mark.parametrize("name", sorted(n for n in CASES if CASES[n][1] != "jsonl"))
def test_each_file_ends_as_expected(hostile_run: tuple[Path, object], name: str) -> None:
    out, _ = hostile_run
    assert _fates(out)[(name, None)] == CASES[name][1]


@pytest.mark.parametrize(("line", "expected"), [(n, e) for n, _, e in JSONL_LINES if e])
def test_each_jsonl_line_ends_as_expected(
    hostile_run: tuple[Path, object], line: int, expected: str
) -> None:
    out, _ = hostile_run
    assert _fates(out)[("feed.jsonl", line)] == expected


def test_blank_jsonl_lines_are_not_inputs(hostile_run: tuple[Path, object]) -> None:
    out, _ = hostile_run
    assert ("feed.jsonl", 9) not in _fates(out)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("caf\\xe9-latin1-name.txt", "record"),
        ("a-fifo.txt", "unsupported"),
        ("to-outside.txt", "symlink-outside"),
        ("to-outside-dir", "symlink-outside"),
        ("to-passwd.txt", "symlink-outside"),
        ("sub/inner.txt", "record"),
        ("sub/loop", "unsupported"),
        ("sub/self-loop", "unsupported"),
    ],
)
def test_names_links_and_special_files(
    hostile_run: tuple[Path, object], path: str, expected: str
) -> None:
    out, _ = hostile_run
    assert _fates(out)[(path, None)] == expected


def test_the_run_accounts_for_every_input(hostile_run: tuple[Path, dict[str, object]]) -> None:
    out, report = hostile_run
    fates = _fates(out)
    files = len(CASES) - 1 + 1 + 1 + 3 + 1 + 2  # cases but feed, latin-1 name, fifo, links, sub
    lines = sum(1 for _, _, e in JSONL_LINES if e)
    assert len(fates) == report["inputs"] == files + lines


def test_no_secret_or_entity_leaks_into_records(hostile_run: tuple[Path, object]) -> None:
    out, _ = hostile_run
    text = (out / "articles.jsonl").read_text("utf-8")
    assert "secret" not in text  # the link out of the dump was not followed
    assert "root:" not in text  # neither /etc/passwd nor the external entity was read
    assert "lollol" not in text  # the entity was not expanded


def _record_text(out: Path, path: str) -> str:
    for article in read_jsonl(out / "articles.jsonl"):
        if any(o["path"] == path for o in article["origins"]):  # type: ignore[attr-defined]
            return str(article["text"])
    raise AssertionError(path)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("cp1252.txt", f"{WESTERN}\n{ARTICLE}"),
        ("latin1.txt", f"{GERMAN}\n{ARTICLE}"),
        ("vietnamese-1258.txt", VIETNAMESE),
        ("utf16.txt", f"UTF-16 title\n\n{ARTICLE}"),
    ],
)
def test_legacy_encodings_decode_to_the_exact_text(name: str, expected: str) -> None:
    # Exactness is a property of decoding; what stripping then keeps is the strip
    # stage's business (the run above checks each of these becomes a record).
    (doc,) = decode_input(name, CASES[name][0], config=ReadConfig())
    assert isinstance(doc, RawDocument)
    assert unicodedata.normalize("NFC", doc.content) == expected


def test_legacy_encodings_reach_the_record(hostile_run: tuple[Path, object]) -> None:
    out, _ = hostile_run
    assert "Hồ Chí Minh" in _record_text(out, "vietnamese-1258.txt")
    records = (out / "articles.jsonl").read_text("utf-8")
    # cp1252.txt and latin1.txt share their second paragraph with other inputs and
    # may be merged into another copy's record; whichever text is kept, no mojibake.
    for garbled in ("Ã", "â€", "Ä‘", "\ufffd"):
        assert garbled not in records


def test_mixed_line_endings_become_newlines(hostile_run: tuple[Path, object]) -> None:
    (doc,) = decode_input("m.txt", CASES["mixed-endings.txt"][0], config=ReadConfig())
    assert isinstance(doc, RawDocument)
    assert "\r" not in doc.content
    assert doc.content.split("\n")[:3] == ["Mixed endings", "", ARTICLE]
    out, _ = hostile_run
    assert "\r" not in _record_text(out, "mixed-endings.txt")


def test_huge_line_is_kept_whole(hostile_run: tuple[Path, object]) -> None:
    out, _ = hostile_run
    assert len(_record_text(out, "huge-line.txt")) > HUGE_LINE_BYTES * 0.9


def test_gzip_bomb_is_rejected_without_inflating(tmp_path: Path) -> None:
    bomb = gzip_bomb(2048)  # inflates to 2 GiB
    assert len(bomb) < 3 << 20
    limit = 1 << 20
    tracemalloc.start()
    try:
        result = decode_input("bomb.txt.gz", bomb, config=ReadConfig(max_bytes=limit))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert isinstance(result[0], Rejection)
    assert result[0].reason == "too-large"
    # Bounded by the limit, not by the 2 GiB the bomb would inflate to.
    assert peak < len(bomb) + 8 * limit


def test_oversized_file_is_not_read_whole(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    with big.open("wb") as handle:
        handle.truncate(1 << 30)  # a sparse 1 GiB file
    tracemalloc.start()
    try:
        result = read_input(tmp_path, InputEntry("big.txt"), config=ReadConfig(max_bytes=1 << 20))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [r.reason for r in result if isinstance(r, Rejection)] == ["too-large"]
    assert peak < 8 << 20


def test_dir_loops_are_walked_once_when_following_links(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    (raw / "a" / "b").mkdir(parents=True)
    (raw / "a" / "b" / "x.txt").write_text("x", "utf-8")
    (raw / "a" / "b" / "up").symlink_to("../..", target_is_directory=True)
    (raw / "a" / "again").symlink_to("b", target_is_directory=True)
    entries, rejections = list_inputs(raw, config=ReadConfig(follow_symlinks=True))
    # Each folder once, under the name met first in sorted order ("again" < "b").
    assert [e.rel_path for e in entries] == ["a/again/x.txt"]
    assert rejections == []


def test_symlinks_inside_the_dump_are_followed_only_when_asked(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "real.txt").write_text("x", "utf-8")
    (raw / "alias.txt").symlink_to("real.txt")
    entries, rejections = list_inputs(raw, config=ReadConfig())
    assert [e.rel_path for e in entries] == ["real.txt"]
    assert [(r.path, r.reason) for r in rejections] == [("alias.txt", "unsupported")]
    entries, rejections = list_inputs(raw, config=ReadConfig(follow_symlinks=True))
    assert [e.rel_path for e in entries] == ["alias.txt", "real.txt"]


class _Saboteur(LocalExecutor):
    """Changes the dump after it was listed, before its files are read."""

    def __init__(self, sabotage: Callable[[], None]) -> None:
        super().__init__(workers=1)
        self._sabotage: Callable[[], None] | None = sabotage

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
        if self._sabotage is not None:  # once, before the first step (prepare) reads
            self._sabotage()
            self._sabotage = None
        return super().map(fn, items)


def test_files_that_change_during_the_run_are_rejects(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    for name in ("vanish.txt", "fifo.txt", "folder.txt", "link.txt", "kept.txt"):
        (raw / name).write_text(f"Title {name}\n\n{ARTICLE} {name}", "utf-8")
    (tmp_path / "elsewhere.txt").write_text(f"Elsewhere\n\n{ARTICLE}", "utf-8")

    def sabotage() -> None:
        (raw / "vanish.txt").unlink()
        (raw / "fifo.txt").unlink()
        os.mkfifo(raw / "fifo.txt")  # would block a plain open() forever
        (raw / "folder.txt").unlink()
        (raw / "folder.txt").mkdir()
        (raw / "link.txt").unlink()
        (raw / "link.txt").symlink_to(tmp_path / "elsewhere.txt")

    out = tmp_path / "out"
    cleanpipe.run(raw, out, config=CONFIG, executor=_Saboteur(sabotage))
    assert_accounted(out, expected_inputs=5)
    fates = _fates(out)
    assert fates == {
        ("vanish.txt", None): "unreadable",
        ("fifo.txt", None): "unreadable",
        ("folder.txt", None): "unreadable",
        ("link.txt", None): "unreadable",
        ("kept.txt", None): "record",
    }
    assert "vanished" in (out / "rejects.jsonl").read_text("utf-8")


def test_unreadable_file_is_a_reject(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    locked = raw / "locked.txt"
    locked.write_text(f"Locked\n\n{ARTICLE}", "utf-8")
    locked.chmod(0)
    if os.geteuid() != 0:
        result = read_input(raw, InputEntry("locked.txt"), config=ReadConfig())
        assert [(r.reason) for r in result if isinstance(r, Rejection)] == ["unreadable"]
        return
    # root reads anything: check as an unprivileged user in a forked child.
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.setgid(65534)
            os.setuid(65534)
            result = read_input(raw, InputEntry("locked.txt"), config=ReadConfig())
            os.write(write_end, ",".join(getattr(r, "reason", "doc") for r in result).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    os.waitpid(pid, 0)
    assert os.read(read_end, 1000) == b"unreadable"
    os.close(read_end)


def test_strict_fails_the_run_on_the_first_reject_and_keeps_the_old_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "good.txt").write_text(f"Good\n\n{ARTICLE}", "utf-8")
    out = tmp_path / "out"
    assert main(["run", str(raw), str(out), "--quiet", "--workers", "1"]) == 0
    before = {n: (out / n).read_bytes() for n in ("articles.jsonl", "rejects.jsonl")}
    (raw / "a-binary.txt").write_bytes(png_bytes())
    (raw / "b-empty.txt").write_bytes(b"")
    capsys.readouterr()
    code = main(["run", str(raw), str(out), "--quiet", "--workers", "1", "--strict"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1
    assert err.startswith("cleanpipe: error: a-binary.txt: rejected (binary")
    assert {n: (out / n).read_bytes() for n in before} == before
    # Without --strict the same dump runs through.
    assert main(["run", str(raw), str(out), "--quiet", "--workers", "1"]) == 0
    assert_accounted(out, expected_inputs=3)


@pytest.mark.parametrize(
    ("data", "name", "expected"),
    [
        (b"\x00\x01\x02binary", "x.txt", "binary"),
        (b"BZhang Wei said the port would reopen.", "x.txt", "text"),
        (b"ID3 is the name of a tag format.", "x.txt", "text"),
        (b"BZh91AY&SY\x00\x00", "x.txt", "binary"),
        (b"\x1f\x8b", "x.txt", "corrupt-archive"),
        (gzip.compress(gzip.compress(b"nested")), "x.txt.gz", "binary"),
        (b"", "x.txt.gz", "empty"),
        (gzip.compress(b"  \n "), "x.txt.gz", "empty"),
        (gzip.compress(b"a") + b"trailing junk", "x.txt.gz", "corrupt-archive"),
        (gzip.compress(b"one ") + gzip.compress(b"two"), "x.txt.gz", "text"),
        (b"Short \xff\xfe junk \x80\x81", "x.txt", "undecodable"),
    ],
    ids=[
        "nul",
        "bzh-word",
        "id3-word",
        "bzip2",
        "gzip-header-only",
        "gzip-in-gzip",
        "empty-gz",
        "blank-gz",
        "gz-trailing-junk",
        "gz-multi-member",
        "no-encoding-fits",
    ],
)
def test_decode_edge_cases(data: bytes, name: str, expected: str) -> None:
    result = decode_input(name, data, config=ReadConfig())
    assert len(result) == 1
    item = result[0]
    if isinstance(item, RawDocument):
        assert item.origin.format == expected
    else:
        assert item.reason == expected


def test_multi_member_gzip_keeps_every_member() -> None:
    data = gzip.compress(b"one ") + gzip.compress(b"two")
    (doc,) = decode_input("x.txt.gz", data, config=ReadConfig())
    assert isinstance(doc, RawDocument)
    assert doc.content == "one two"


def test_utf16_jsonl_is_split_after_decoding() -> None:
    data = "\n".join(json.dumps({"text": f"{ARTICLE} {i}"}) for i in range(3)).encode("utf-16")
    result = decode_input("feed.jsonl", data, config=ReadConfig())
    assert [type(r).__name__ for r in result] == ["RawDocument"] * 3
    assert [r.origin.line for r in result if isinstance(r, RawDocument)] == [1, 2, 3]


def test_fifo_in_the_dump_never_blocks(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.txt")
    result = read_input(tmp_path, InputEntry("pipe.txt"), config=ReadConfig())
    assert [r.reason for r in result if isinstance(r, Rejection)] == ["unreadable"]
    assert stat.S_ISFIFO((tmp_path / "pipe.txt").stat().st_mode)
    shutil.rmtree(tmp_path)
