"""Write: records, rejections and the report to the output folder, canonically and atomically.

Canonical JSON (RFC 8785 style): keys sorted, no insignificant whitespace,
UTF-8 without escapes; one object per line. The only module that writes the
output (``cleanpipe.work`` writes the work folder).

The three files of a run are plain files, and one unit:

1. each is written in full to a temporary name in OUT and synced;
2. a journal (``OUT/.cleanpipe/commit.json``, synced) lists the renames to come;
3. the files are renamed into place, the records first and ``report.json``
   last, and the journal is removed.

``report.json`` carries the SHA-256 of the other two (``outputs``), so a set
torn by a crash between two renames never passes for whole: ``cleanpipe
check`` reports it (``torn-output``), and the next run that opens OUT rolls the
journal forward, finishing the renames (the new files were complete before
the first rename). Before step 3 nothing in view has changed; a run that fails
or is interrupted removes its temporary files. A lock file keeps two runs from
writing one folder at once. An output folder of the older layout (links into
``.cleanpipe/current``) is replaced by plain files on the next run.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, cast

import orjson
from pydantic import BaseModel

from cleanpipe.errors import OutputError
from cleanpipe.models import Article, Rejection, Report

try:  # POSIX only; elsewhere two concurrent runs are not kept apart.
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

ARTICLES_FILE = "articles.jsonl"
REJECTS_FILE = "rejects.jsonl"
REPORT_FILE = "report.json"
ARTICLE_FILES = (ARTICLES_FILE, "articles.jsonl.gz", "articles.parquet")
"""The records in each output format (``--format``); a run writes one of them."""
OUTPUT_FILES = (*ARTICLE_FILES, REJECTS_FILE, REPORT_FILE)
STATE_DIR = ".cleanpipe"
"""The folder inside OUT that holds the lock, the commit journal, the work folder and timings."""

# The two slots and the link of the older layout, replaced on the next run.
_SLOTS = ("a", "b")
_CURRENT = "current"
_LOCK = "lock"
_JOURNAL = "commit.json"


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
    """Write ``data`` to ``path`` through a temp file, an fsync and a rename.

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
        _fsync_dir(path.parent)
    except OSError as exc:
        msg = f"{path}: cannot write ({_why(exc)}); the previous file, if any, is untouched"
        raise OutputError(msg) from exc
    finally:
        if fd >= 0:
            os.close(fd)
        if tmp:
            with contextlib.suppress(OSError):
                Path(tmp).unlink()


def lock_output(out: Path) -> contextlib.AbstractContextManager[None]:
    """Hold OUT's lock for a whole run (creating OUT and ``OUT/.cleanpipe``).

    Raises:
        OutputError: the folder cannot be created, or another run holds it.
    """
    return _Lock(out)


class _Lock:
    def __init__(self, out: Path) -> None:
        self.out = Path(out)
        self._fd = -1

    def __enter__(self) -> None:
        _prepare_out(self.out)
        self._fd = _take_lock(self.out)

    def __exit__(self, *_exc: object) -> None:
        if self._fd >= 0:
            os.close(self._fd)  # closing releases the flock
            self._fd = -1


def _prepare_out(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _error(out, "cannot create the output folder", exc) from exc
    if not out.is_dir():
        msg = f"{out}: not a folder (OUT must be a folder or not exist)"
        raise OutputError(msg)
    try:
        (out / STATE_DIR).mkdir(exist_ok=True)
    except OSError as exc:
        raise _error(out, "cannot prepare the output folder", exc) from exc


def _take_lock(out: Path) -> int:
    if fcntl is None:  # pragma: no cover - Windows
        return -1
    try:
        fd = os.open(out / STATE_DIR / _LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise _error(out, "cannot prepare the output folder", exc) from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        os.close(fd)
        if exc.errno in {errno.EAGAIN, errno.EWOULDBLOCK, errno.EACCES}:
            msg = (
                f"{out}: another cleanpipe run is writing this folder; "
                "wait for it or choose another OUT"
            )
            raise OutputError(msg) from exc
        raise _error(out, "cannot lock the output folder", exc) from exc
    return fd


class OutputSwap:
    """Stage a run's files under temporary names, then rename them into place together.

    Used as a context manager: files added inside the block become visible
    when it ends normally (see the module docstring for the order and the
    journal); if it raises (an error, Ctrl-C), nothing visible changes. A file
    not added keeps its previous content.

    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp()) / "out"
    >>> with OutputSwap(out) as swap:
    ...     _ = swap.add(REJECTS_FILE, b"")
    >>> (out / REJECTS_FILE).read_bytes(), (out / REJECTS_FILE).is_symlink()
    (b'', False)

    Args:
        out: The output folder.
        locked: The caller already holds OUT's lock (``lock_output``).

    Raises:
        OutputError: the folder cannot be created, locked or written.
    """

    def __init__(self, out: Path | str, *, locked: bool = False) -> None:
        self.out = Path(out)
        self.state = self.out / STATE_DIR
        self._locked = locked
        self._lock_fd = -1
        self._staged: dict[str, Path] = {}
        self.digests: dict[str, str] = {}
        """The SHA-256 of each file added, by name."""

    def __enter__(self) -> OutputSwap:
        _prepare_out(self.out)
        self._check_names()
        if not self._locked:
            self._lock_fd = _take_lock(self.out)
        try:
            recover_output(self.out)
        except OSError as exc:
            self._unlock()
            msg = "cannot prepare the output folder"
            raise self._error(msg, exc) from exc
        return self

    def add(self, name: str, data: bytes) -> str:
        """Stage ``data`` as the output file ``name`` (one of ``OUTPUT_FILES``); give its SHA-256.

        Raises:
            OutputError: the file cannot be written (read-only, full disk).
        """
        return self.add_stream(name, [data])

    def add_stream(self, name: str, chunks: Iterable[bytes]) -> str:
        """Stage the output file ``name`` from a stream of chunks; give its SHA-256.

        Raises:
            OutputError: the file cannot be written (read-only, full disk).
        """
        return self.add_writer(name, lambda handle: handle.writelines(chunks))

    def add_writer(self, name: str, write: Callable[[BinaryIO], object]) -> str:
        """Stage the output file ``name`` written by ``write(handle)``; give its SHA-256.

        Raises:
            OutputError: the file cannot be written (read-only, full disk).
        """
        if name not in OUTPUT_FILES:
            msg = f"{name}: not an output file (expected one of {', '.join(OUTPUT_FILES)})"
            raise ValueError(msg)
        tmp = self.out / f".{name}.{os.getpid()}.tmp"
        self._staged[name] = tmp
        try:
            digest = _write_synced(tmp, write)
        except OSError as exc:
            msg_0 = f"cannot write {name}"
            raise self._error(msg_0, exc) from exc
        self.digests[name] = digest
        return digest

    def add_records(self, *, articles: Iterable[Article], rejections: Iterable[Rejection]) -> None:
        """Stage ``articles.jsonl`` and ``rejects.jsonl``."""
        self.add(ARTICLES_FILE, jsonl_bytes(articles))
        self.add(REJECTS_FILE, jsonl_bytes(rejections))

    def add_report(self, report: Report) -> None:
        """Stage ``report.json``, with the SHA-256 of the files it describes (``outputs``)."""
        outputs = {n: d for n, d in self.digests.items() if n != REPORT_FILE}
        for name in (*ARTICLE_FILES, REJECTS_FILE):
            if name not in outputs and name not in self._staged and (self.out / name).is_file():
                outputs[name] = _file_sha256(self.out / name)
        self.add(REPORT_FILE, report_bytes(report.model_copy(update={"outputs": outputs})))

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            if exc_type is None and self._staged:
                try:
                    self._commit()
                except OSError as error:
                    msg = "cannot switch to the new output"
                    raise self._error(msg, error) from error
            else:
                for tmp in self._staged.values():
                    with contextlib.suppress(OSError):
                        tmp.unlink()
        finally:
            self._unlock()

    def _commit(self) -> None:
        order = [n for n in OUTPUT_FILES if n in self._staged and n != REPORT_FILE]
        if REPORT_FILE in self._staged:
            order.append(REPORT_FILE)  # last: it vouches for the others
        renames = [[self._staged[name].name, name] for name in order]
        # A run in another --format replaces the records, it does not add to them.
        stale = (
            [n for n in ARTICLE_FILES if n not in self._staged and (self.out / n).exists()]
            if self._staged.keys() & set(ARTICLE_FILES)
            else []
        )
        journal = orjson.dumps({"remove": stale, "renames": renames})
        _write_synced(self.state / f"{_JOURNAL}.tmp", lambda handle: handle.write(journal))
        (self.state / f"{_JOURNAL}.tmp").replace(self.state / _JOURNAL)
        _fsync_dir(self.state)
        _roll_forward(self.out, renames, stale)
        (self.state / _JOURNAL).unlink()
        _fsync_dir(self.state)
        self._staged.clear()

    def _check_names(self) -> None:
        for name in OUTPUT_FILES:
            path = self.out / name
            if path.is_dir() and not path.is_symlink():
                msg = f"{path}: is a folder; move it away so cleanpipe can write its output there"
                raise OutputError(msg)

    def _unlock(self) -> None:
        if self._lock_fd >= 0:
            os.close(self._lock_fd)
            self._lock_fd = -1

    def _error(self, what: str, exc: OSError) -> OutputError:
        return _error(self.out, what, exc)


def recover_output(out: Path) -> None:
    """Finish the renames a killed run left in its journal; clear its temporary files.

    Also replaces the older layout (output files as links into
    ``.cleanpipe/current``) with plain files.

    Raises:
        OSError: the folder cannot be changed.
    """
    state = out / STATE_DIR
    journal = state / _JOURNAL
    if journal.is_file():
        try:
            plan = orjson.loads(journal.read_bytes())
            renames, stale = plan["renames"], plan["remove"]
        except (orjson.JSONDecodeError, KeyError, TypeError):
            renames, stale = [], []
        if all((out / tmp).is_file() or (out / name).is_file() for tmp, name in renames):
            _roll_forward(out, renames, stale)
        journal.unlink()
        _fsync_dir(state)
    for leftover in (*out.glob(".*.tmp"), *state.glob("*.tmp")):
        if leftover.is_file() or leftover.is_symlink():
            leftover.unlink()
    _adopt_links(out)


def _roll_forward(out: Path, renames: list[list[str]], stale: list[str]) -> None:
    for tmp, name in renames:
        source = out / tmp
        if source.is_file():
            source.replace(out / name)
    for name in stale:
        with contextlib.suppress(FileNotFoundError):
            (out / name).unlink()
    _fsync_dir(out)


def _adopt_links(out: Path) -> None:
    """Turn output files that are links into the old slots into plain files, then drop the slots."""
    state = out / STATE_DIR
    linked = [n for n in OUTPUT_FILES if _is_our_link(out, n)]
    for name in linked:
        target = (out / name).resolve()
        if target.is_file():
            tmp = out / f".{name}.{os.getpid()}.adopt"
            shutil.copyfile(target, tmp)
            tmp.replace(out / name)
        else:
            (out / name).unlink()
    if linked:
        _fsync_dir(out)
    for old in (*_SLOTS, _CURRENT):
        path = state / old
        if path.is_symlink() or path.is_file():
            path.unlink()
        elif path.is_dir():
            shutil.rmtree(path)


def _file_sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def write_outputs(
    out: Path | str, *, articles: Iterable[Article], rejections: Iterable[Rejection], report: Report
) -> None:
    """Write the three files of a run into ``out`` as one atomic switch.

    Raises:
        OutputError: the folder cannot be created or written.
    """
    with OutputSwap(out) as swap:
        swap.add_records(articles=articles, rejections=rejections)
        swap.add_report(report)


def write_records(
    out: Path, *, articles: Iterable[Article], rejections: Iterable[Rejection]
) -> None:
    """Write ``articles.jsonl`` and ``rejects.jsonl`` into ``out`` (created if missing).

    Both switch at once; ``report.json``, if there is one, is kept.

    Raises:
        OutputError: the folder cannot be created or written.
    """
    with OutputSwap(out) as swap:
        swap.add_records(articles=articles, rejections=rejections)


def write_report(out: Path, report: Report) -> None:
    """Write ``report.json`` into ``out``; the other files are kept.

    Raises:
        OutputError: the folder cannot be created or written.
    """
    with OutputSwap(out) as swap:
        swap.add_report(report)


def _write_synced(path: Path, write: Callable[[BinaryIO], object]) -> str:
    """Write a file through ``write(handle)``, sync it, and give the SHA-256 of its bytes."""
    with path.open("wb") as raw:
        handle = _Hashing(raw)
        write(cast("BinaryIO", handle))
        raw.flush()
        os.fsync(raw.fileno())
    return handle.hexdigest()


_BLOCK = 1 << 20


class _Hashing:
    """A write-only binary file that hashes what passes through it."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self._sha = hashlib.sha256()
        self._size = 0

    def write(self, data: bytes) -> int:
        self._sha.update(data)
        self._size += len(data)
        return self._raw.write(data)

    def writelines(self, chunks: Iterable[bytes]) -> None:
        # Small chunks (a record line each) gathered into ~1 MiB blocks: one
        # hash update and one write a block instead of a line.
        pending: list[bytes] = []
        size = 0
        for chunk in chunks:
            pending.append(chunk)
            size += len(chunk)
            if size >= _BLOCK:
                self.write(b"".join(pending))
                pending, size = [], 0
        if pending:
            self.write(b"".join(pending))

    def tell(self) -> int:
        return self._size

    def flush(self) -> None:
        self._raw.flush()

    @property
    def closed(self) -> bool:
        return self._raw.closed

    def writable(self) -> bool:
        return True

    def hexdigest(self) -> str:
        return self._sha.hexdigest()


def _fsync_dir(folder: Path) -> None:
    """Make renames in ``folder`` durable (a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        log.debug("fsync of %s not supported", folder)
    finally:
        os.close(fd)


def _is_our_link(out: Path, name: str) -> bool:
    try:
        return (out / name).readlink() == Path(STATE_DIR, _CURRENT, name)
    except OSError:
        return False


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _error(out: Path, what: str, exc: OSError) -> OutputError:
    return OutputError(f"{out}: {what} ({_why(exc)}); the previous output, if any, is untouched")
