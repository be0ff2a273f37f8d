"""Write: records, rejections and the report to the output folder, canonically and atomically.

Canonical JSON (RFC 8785 style): keys sorted, no insignificant whitespace,
UTF-8 without escapes; one object per line. Every file is written to a temp
file in the same folder, flushed to disk, then renamed over the old one, so a
crash never leaves a half-written file in view. The only module that writes.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

import orjson
from pydantic import BaseModel

from cleanpipe.errors import OutputError
from cleanpipe.models import Article, Rejection, Report

ARTICLES_FILE = "articles.jsonl"
REJECTS_FILE = "rejects.jsonl"
REPORT_FILE = "report.json"


def canonical_json(model: BaseModel) -> bytes:
    """Serialise a model canonically: sorted keys, no spaces, UTF-8 unescaped.

    >>> from cleanpipe.models import Rejection
    >>> canonical_json(Rejection(detail="vide", path="é.txt", reason="empty"))
    b'{"detail":"vide","line":null,"path":"\\xc3\\xa9.txt","reason":"empty"}'
    """
    return orjson.dumps(model.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS)


def jsonl_bytes(models: Iterable[BaseModel]) -> bytes:
    """Join canonical JSON lines, each ending in a newline."""
    return b"".join(canonical_json(m) + b"\n" for m in models)


def report_bytes(report: Report) -> bytes:
    """The report as sorted, indented JSON for people to read."""
    return (
        orjson.dumps(
            report.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2
        )
        + b"\n"
    )


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temp file and a rename.

    Raises:
        OutputError: the folder cannot be written (read-only, full, missing).
    """
    fd = -1
    tmp = ""
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as handle:
            fd = -1
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp).replace(path)
        tmp = ""
    except OSError as exc:
        msg = (
            f"{path}: cannot write ({exc.strerror or exc}); the previous file, if any, is untouched"
        )
        raise OutputError(msg) from exc
    finally:
        if fd >= 0:
            os.close(fd)
        if tmp:
            with contextlib.suppress(OSError):
                Path(tmp).unlink()


def write_records(
    out: Path, *, articles: Iterable[Article], rejections: Iterable[Rejection]
) -> None:
    """Write ``articles.jsonl`` and ``rejects.jsonl`` into ``out`` (created if missing).

    Both are serialised before either is written; each is renamed into place
    only once complete.

    Raises:
        OutputError: the folder cannot be created or written.
    """
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        msg = f"{out}: cannot create the output folder ({exc.strerror or exc})"
        raise OutputError(msg) from exc
    payloads = {ARTICLES_FILE: jsonl_bytes(articles), REJECTS_FILE: jsonl_bytes(rejections)}
    for name, data in payloads.items():
        write_atomic(out / name, data)


def write_report(out: Path, report: Report) -> None:
    """Write ``report.json`` into ``out``: last, so its presence marks a finished run."""
    write_atomic(out / REPORT_FILE, report_bytes(report))
