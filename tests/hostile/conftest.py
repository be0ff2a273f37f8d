"""Builders of hostile inputs (generated, never checked in) and a guard against network use."""

from __future__ import annotations

import gzip
import json
import socket
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest

from cleanpipe.models import REJECT_REASONS

# Tone marks that windows-1258 writes as combining characters after the letter.
_CP1258_TONES = "\u0300\u0301\u0303\u0309\u0323"

VIETNAMESE = (
    "Thành phố Hồ Chí Minh đã tổ chức lễ hội văn hóa lớn nhất trong năm với sự tham gia "
    "của hàng nghìn người dân và du khách quốc tế."
)
WESTERN = "Le café “Chez Zoé” a rouvert à Paris — l’addition coûte 5 € de plus qu’hier."
GERMAN = "Der Bürgermeister der Stadt sagte, dass die Straße bis Ende März geschlossen bleibt."
ARTICLE = (
    "The provincial council met on Monday to approve the budget for the coming year, "
    "and members debated the cost of the new bridge over the river for several hours."
)


def encode_cp1258(text: str) -> bytes:
    """Encode as windows-1258 does: precomposed base letters, tones as combining marks."""
    out = []
    for ch in unicodedata.normalize("NFC", text):
        try:
            out.append(ch.encode("cp1258"))
            continue
        except UnicodeEncodeError:
            pass
        parts = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in _CP1258_TONES))
        tones = "".join(c for c in parts if c in _CP1258_TONES)
        out.append((base + tones).encode("cp1258"))
    return b"".join(out)


def gzip_bomb(inflated_mib: int) -> bytes:
    """A valid multi-member gzip that inflates to ``inflated_mib`` MiB of zeros (~1 KiB per MiB)."""
    member = gzip.compress(b"\0" * (1 << 20), compresslevel=9, mtime=0)
    return member * inflated_mib


def png_bytes() -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0\0"))
        + chunk(b"IEND", b"")
    )


def pdf_bytes() -> bytes:
    return (
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
        b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
    )


def zip_bytes() -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("article.txt", ARTICLE)
    return buffer.getvalue()


def billion_laughs(body: str) -> str:
    """An HTML page whose DOCTYPE defines 10^9 'lol's and an external entity on /etc/passwd."""
    entities = ['<!ENTITY lol "lol">']
    previous = "lol"
    for level in range(2, 10):
        entities.append(f'<!ENTITY lol{level} "{("&" + previous + ";") * 10}">')
        previous = f"lol{level}"
    entities.append('<!ENTITY xxe SYSTEM "file:///etc/passwd">')
    return (
        f'<?xml version="1.0"?><!DOCTYPE html [{"".join(entities)}]>'
        f"<html><head><title>Budget</title></head><body><article>"
        f"<p>{body} &lol9; &xxe;</p><p>{body}</p></article></body></html>"
    )


def read_jsonl(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def assert_accounted(out: Path, expected_inputs: int | None = None) -> dict[str, object]:
    """The run's files exist, the identity holds, every reason is documented; give the report."""
    report = json.loads((out / "report.json").read_text("utf-8"))
    articles = read_jsonl(out / "articles.jsonl")
    rejects = read_jsonl(out / "rejects.jsonl")
    origins = sum(len(a["origins"]) for a in articles)  # type: ignore[arg-type]
    assert report["inputs"] == origins + len(rejects)
    assert report["records"] == len(articles)
    assert report["rejected"] == len(rejects)
    assert {r["reason"] for r in rejects} <= set(REJECT_REASONS)
    if expected_inputs is not None:
        assert report["inputs"] == expected_inputs
    return report


class NetworkAttempt(AssertionError):
    """Raised (and recorded) when code under test tries to reach the network."""


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Fail any socket connect or DNS lookup, and record it (libraries may swallow the error)."""
    attempts: list[str] = []

    def refuse(what: str):  # type: ignore[no-untyped-def]
        def guard(*args: object, **kwargs: object) -> None:
            attempts.append(f"{what}{args[1:] if what.startswith('socket.') else args}")
            raise NetworkAttempt(what)

        return guard

    monkeypatch.setattr(socket.socket, "connect", refuse("socket.connect"))
    monkeypatch.setattr(socket.socket, "connect_ex", refuse("socket.connect_ex"))
    monkeypatch.setattr(socket.socket, "sendto", refuse("socket.sendto"))
    monkeypatch.setattr(socket, "create_connection", refuse("create_connection"))
    monkeypatch.setattr(socket, "getaddrinfo", refuse("getaddrinfo"))
    monkeypatch.setattr(socket, "gethostbyname", refuse("gethostbyname"))
    yield attempts
    assert attempts == [], f"network used: {attempts}"
