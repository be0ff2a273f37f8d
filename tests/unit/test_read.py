"""read: listing, opening and decoding rules."""

from __future__ import annotations

import codecs
import gzip
import os
from pathlib import Path

import pytest

from cleanpipe.config import ReadConfig
from cleanpipe.models import RawDocument, Rejection
from cleanpipe.read import InputEntry, decode_input, display_path, list_inputs, read_input

CONFIG = ReadConfig()


def _one(name: str, data: bytes, **options: object) -> RawDocument | Rejection:
    (item,) = decode_input(name, data, config=ReadConfig(**options))  # type: ignore[arg-type]
    return item


def _content(name: str, data: bytes) -> str:
    item = _one(name, data)
    assert isinstance(item, RawDocument), item
    return item.content


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (codecs.BOM_UTF8 + "Việt".encode(), "Việt"),
        ("Việt".encode("utf-16"), "Việt"),
        ("Việt".encode("utf-16-be").join([codecs.BOM_UTF16_BE, b""]), "Việt"),
        ("Việt".encode("utf-32"), "Việt"),
        ("naïve café".encode("cp1252"), "naïve café"),
        ("“quoted” – €".encode("cp1252"), "“quoted” – €"),
    ],
    ids=["utf8-bom", "utf16", "utf16-be", "utf32", "cp1252", "cp1252-punctuation"],
)
def test_decoding_order(data: bytes, expected: str) -> None:
    assert _content("a.txt", data) == expected


def test_declared_charset_wins_over_guessing() -> None:
    # windows-1258: 0xD0 is Đ, 0xCC a combining grave, 0xF5 is ơ.
    data = b'<html><head><meta charset="windows-1258"></head><body>\xd0a\xcc \xf5</body></html>'
    assert "Đa\u0300 ơ" in _content("a.html", data)


def test_declared_latin1_is_read_as_windows_1252() -> None:
    data = b'<html><head><meta charset="iso-8859-1"></head><body>\x93q\x94 \x80</body></html>'
    assert "“q” €" in _content("a.html", data)


def test_damaged_utf8_is_rejected_not_guessed() -> None:
    item = _one("a.txt", "Hà Nội ".encode() + b"\xc3(")
    assert isinstance(item, Rejection)
    assert item.reason == "undecodable"
    assert "damaged UTF-8" in item.detail


def test_invalid_utf16_after_a_bom_is_undecodable() -> None:
    item = _one("a.txt", codecs.BOM_UTF16_LE + b"\x00\xd8a\x00")
    assert isinstance(item, Rejection)
    assert item.reason == "undecodable"


def test_binary_signatures_are_checked_for_every_suffix() -> None:
    for name in ("a.txt", "a.json", "a.jsonl", "a.html", "a"):
        item = _one(name, b"GIF89a\x01\x00\x01\x00")
        assert isinstance(item, Rejection)
        assert (item.reason, item.detail) == ("binary", "binary content (a GIF image)")


def test_crlf_and_cr_become_lf() -> None:
    assert _content("a.txt", b"a\r\nb\rc\n") == "a\nb\nc\n"


def test_gzip_is_bounded_by_max_bytes() -> None:
    data = gzip.compress(b"x" * 5000)
    item = _one("a.txt.gz", data, max_bytes=4096)
    assert isinstance(item, Rejection)
    assert item.reason == "too-large"
    assert isinstance(_one("a.txt.gz", data, max_bytes=5000), RawDocument)


def test_jsonl_lines_keep_their_numbers_and_bytes_hash() -> None:
    items = decode_input("f.jsonl", b'{"text": "a"}\n\n{"text": "b"}\r\n', config=CONFIG)
    docs = [i for i in items if isinstance(i, RawDocument)]
    assert [d.origin.line for d in docs] == [1, 3]
    import hashlib

    assert docs[0].origin.sha256 == hashlib.sha256(b'{"text": "a"}').hexdigest()


def test_jsonl_of_blank_lines_is_one_empty_reject() -> None:
    item = _one("f.jsonl", codecs.BOM_UTF16_LE + "\n \n".encode("utf-16-le"))
    assert isinstance(item, Rejection)
    assert (item.reason, item.line) == ("empty", None)


def test_display_path_escapes_bytes_that_are_not_utf8() -> None:
    name = os.fsdecode(b"dir/caf\xe9.txt")
    assert display_path(name) == "dir/caf\\xe9.txt"
    assert display_path("dir/tiếng việt.txt") == "dir/tiếng việt.txt"


def test_read_input_reads_a_file_with_a_non_utf8_name(tmp_path: Path) -> None:
    name = os.fsdecode(b"caf\xe9.txt")
    (tmp_path / name).write_bytes(b"Title\n\nBody.")
    entries, rejections = list_inputs(tmp_path, config=CONFIG)
    assert rejections == []
    (item,) = read_input(tmp_path, entries[0], config=CONFIG)
    assert isinstance(item, RawDocument)
    assert item.origin.path == "caf\\xe9.txt"


def test_read_input_refuses_a_link_swapped_in_after_listing(tmp_path: Path) -> None:
    (tmp_path / "target.txt").write_text("x", "utf-8")
    (tmp_path / "a.txt").symlink_to("target.txt")
    (item,) = read_input(tmp_path, InputEntry("a.txt"), config=CONFIG)
    assert isinstance(item, Rejection)
    assert item.reason == "unreadable"
    (item,) = read_input(tmp_path, InputEntry("a.txt"), config=ReadConfig(follow_symlinks=True))
    assert isinstance(item, RawDocument)


def test_read_input_refuses_a_followed_link_that_leads_out(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    (tmp_path / "secret.txt").write_text("secret", "utf-8")
    (raw / "a.txt").symlink_to(tmp_path / "secret.txt")
    (item,) = read_input(raw, InputEntry("a.txt"), config=ReadConfig(follow_symlinks=True))
    assert isinstance(item, Rejection)
    assert item.reason == "symlink-outside"


def test_listing_is_sorted_and_relative(tmp_path: Path) -> None:
    for rel in ("b/2.txt", "a.txt", "b/1.txt", "B.txt"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x", "utf-8")
    entries, _ = list_inputs(tmp_path, config=CONFIG)
    assert [e.rel_path for e in entries] == ["B.txt", "a.txt", "b/1.txt", "b/2.txt"]
