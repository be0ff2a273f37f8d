"""Write: records, rejections and the report to the output folder, canonically and atomically.

Canonical JSON (RFC 8785 style): keys sorted, no insignificant whitespace,
UTF-8 without escapes; one object per line. The only module that writes.

The three files of a run are one unit: a reader, or a run killed at any
instant (SIGKILL, power loss), sees either the previous complete trio or the
new complete trio, never a half-written file nor a mix of the two. Three
renames cannot give that, so the output folder is laid out as Kubernetes lays
out mounted ConfigMaps (its "atomic writer")::

    OUT/articles.jsonl  -> .cleanpipe/current/articles.jsonl
    OUT/rejects.jsonl   -> .cleanpipe/current/rejects.jsonl
    OUT/report.json     -> .cleanpipe/current/report.json
    OUT/.cleanpipe/current -> a        (or b: the two slots take turns)
    OUT/.cleanpipe/a/{articles.jsonl,rejects.jsonl,report.json}

A run fills the slot not in use, syncs it to disk, then renames a new
``current`` link over the old one: one atomic ``rename(2)`` switches all three
files. Readers follow the links without knowing (``open``, ``cat``, ``jq``,
pandas); ``cp -r``/``tar``/``rsync -a`` keep the relative links working. An
output folder of plain files (an older cleanpipe, a checkout) is taken over
without a moment in which its trio is incomplete. A lock file keeps two runs
from writing one folder at once. Where links cannot be made (some network or
Windows filesystems), each file is still replaced atomically, but a crash
between two of them can leave a mix; a warning says so.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType

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
"""The folder inside OUT that holds the two slots, the ``current`` link and the lock."""

_SLOTS = ("a", "b")
_CURRENT = "current"
_LOCK = "lock"


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


class OutputSwap:
    """Stage a run's files in the free slot of ``out``, then switch to them at once.

    Used as a context manager: files added inside the block become visible
    together when it ends normally; if it raises (an error, Ctrl-C), nothing
    visible changes. A file not added keeps its previous content.

    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp()) / "out"
    >>> with OutputSwap(out) as swap:
    ...     swap.add(REJECTS_FILE, b"")
    >>> (out / REJECTS_FILE).read_bytes(), (out / REJECTS_FILE).is_symlink()
    (b'', True)

    Raises:
        OutputError: the folder cannot be created, locked or written.
    """

    def __init__(self, out: Path | str) -> None:
        self.out = Path(out)
        self.state = self.out / STATE_DIR
        self._lock_fd = -1
        self._slot: Path | None = None
        self._added: set[str] = set()
        self._linked = True

    def __enter__(self) -> OutputSwap:
        try:
            self.out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            what = "cannot create the output folder"
            raise self._error(what, exc) from exc
        if not self.out.is_dir():
            msg = f"{self.out}: not a folder (OUT must be a folder or not exist)"
            raise OutputError(msg)
        self._check_names()
        try:
            self.state.mkdir(exist_ok=True)
            self._lock()
            self._linked = _links_work(self.state)
            if self._linked:
                self._adopt_plain_files()
                self._slot = self._fresh_slot()
            else:
                log.warning(
                    "%s: symbolic links are not supported here; each output file is replaced "
                    "atomically, but a crash between two of them can leave a mix of runs",
                    self.out,
                )
        except OSError as exc:
            self._unlock()
            what = "cannot prepare the output folder"
            raise self._error(what, exc) from exc
        except OutputError:
            self._unlock()
            raise
        return self

    def add(self, name: str, data: bytes) -> None:
        """Stage ``data`` as the output file ``name`` (one of ``OUTPUT_FILES``).

        Raises:
            OutputError: the file cannot be written (read-only, full disk).
        """
        if name not in OUTPUT_FILES:
            msg = f"{name}: not an output file (expected one of {', '.join(OUTPUT_FILES)})"
            raise ValueError(msg)
        self._added.add(name)
        self._stage(name, data, fallback=self.out / name)

    def add_state(self, name: str, data: bytes) -> None:
        """Stage ``data`` as the state file ``name``: in the slot, not linked into OUT.

        State (an incremental run's manifest and index) switches with the
        output files in the same rename, so it never describes other records
        than the ones in view. It is never carried over: a run that adds no
        state leaves none. ``read.read_state`` reads it back. Where links
        cannot be made, it is written atomically to ``OUT/.cleanpipe/name``
        (a crash may then leave it from another run than the output).

        Raises:
            ValueError: ``name`` is not a plain file name, or is an output or internal name.
            OutputError: the file cannot be written (read-only, full disk).
        """
        reserved = {*OUTPUT_FILES, *_SLOTS, _CURRENT, _LOCK}
        if (
            not name
            or name in reserved
            or name.startswith(".")
            or name.endswith(".tmp")  # the names of temp files a killed run leaves
            or any(sep in name for sep in ("/", "\\", "\0"))
        ):
            msg = f"{name!r}: not a state file name (a plain name, not an output file)"
            raise ValueError(msg)
        self._stage(name, data, fallback=self.state / name)

    def _stage(self, name: str, data: bytes, *, fallback: Path) -> None:
        """Write ``name`` into the new slot (synced), or atomically to ``fallback``."""
        if self._slot is None:
            write_atomic(fallback, data)
            return
        try:
            _write_synced(self._slot / name, data)
        except OSError as exc:
            what = f"cannot write {name}"
            raise self._error(what, exc) from exc

    def add_records(self, *, articles: Iterable[Article], rejections: Iterable[Rejection]) -> None:
        """Stage ``articles.jsonl`` and ``rejects.jsonl``."""
        self.add(ARTICLES_FILE, jsonl_bytes(articles))
        self.add(REJECTS_FILE, jsonl_bytes(rejections))

    def add_report(self, report: Report) -> None:
        """Stage ``report.json``."""
        self.add(REPORT_FILE, report_bytes(report))

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            if exc_type is None and self._slot is not None:
                try:
                    self._commit(self._slot)
                except OSError as error:
                    what = "cannot switch to the new output"
                    raise self._error(what, error) from error
        finally:
            self._unlock()

    # -- the steps -------------------------------------------------------------------------

    def _check_names(self) -> None:
        for name in OUTPUT_FILES:
            path = self.out / name
            if path.is_dir() and not path.is_symlink():
                msg = f"{path}: is a folder; move it away so cleanpipe can write its output there"
                raise OutputError(msg)

    def _lock(self) -> None:
        if fcntl is None:  # pragma: no cover - Windows
            return
        self._lock_fd = os.open(self.state / _LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(self._lock_fd)
            self._lock_fd = -1
            if exc.errno in {errno.EAGAIN, errno.EWOULDBLOCK, errno.EACCES}:
                msg = (
                    f"{self.out}: another cleanpipe run is writing this folder; "
                    "wait for it or choose another OUT"
                )
                raise OutputError(msg) from exc
            raise

    def _unlock(self) -> None:
        if self._lock_fd >= 0:
            os.close(self._lock_fd)  # closing releases the flock
            self._lock_fd = -1

    def _live_slot(self) -> str | None:
        try:
            target = str((self.state / _CURRENT).readlink())
        except FileNotFoundError:
            return None
        return target if target in _SLOTS else None

    def _fresh_slot(self) -> Path:
        """Empty the slot not in view (left over from the run before last, or a killed run)."""
        live = self._live_slot()
        free = self.state / (_SLOTS[1] if live == _SLOTS[0] else _SLOTS[0])
        if free.is_symlink() or free.is_file():
            free.unlink()
        elif free.exists():
            shutil.rmtree(free)
        free.mkdir()
        # Temp links and files of a killed run.
        ours = [self.out.glob(f".{name}.*.tmp") for name in OUTPUT_FILES]
        for leftover in (*self.state.glob("*.tmp"), *(p for found in ours for p in found)):
            leftover.unlink()
        return free

    def _adopt_plain_files(self) -> None:
        """Move plain output files into a slot without a moment of an incomplete trio.

        The files are hard-linked into a slot that becomes ``current``; then each
        plain file is replaced by a link to the same bytes.
        """
        plain = [
            n for n in OUTPUT_FILES if (self.out / n).exists() and not _is_our_link(self.out, n)
        ]
        if not plain:
            return
        if self._live_slot() is None:
            slot = self._fresh_slot()
            for name in plain:
                try:
                    os.link(self.out / name, slot / name, follow_symlinks=False)
                except OSError:
                    shutil.copy2(self.out / name, slot / name)
            _fsync_dir(slot)
            self._point_current(slot.name)
        for name in plain:
            self._link_name(name)

    def _commit(self, slot: Path) -> None:
        live = self._live_slot()
        for name in OUTPUT_FILES:
            if name in self._added or (name in ARTICLE_FILES and self._added & {*ARTICLE_FILES}):
                continue  # a run in another --format replaces the records, not adds to them
            previous = self.state / str(live) / name if live else None
            if previous is not None and previous.is_file():
                os.link(previous, slot / name)
        _fsync_dir(slot)
        # Links for names new to OUT point at `current` before it switches: until
        # the switch they lead nowhere, so the new files appear all at once.
        for name in OUTPUT_FILES:
            if (slot / name).exists() and not _is_our_link(self.out, name):
                self._link_name(name)
        self._point_current(slot.name)
        for name in ARTICLE_FILES:  # the records of an earlier run in another format
            if _is_our_link(self.out, name) and not (slot / name).exists():
                (self.out / name).unlink()

    def _point_current(self, slot_name: str) -> None:
        tmp = self.state / f"{_CURRENT}.{os.getpid()}.tmp"
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        tmp.symlink_to(slot_name)
        tmp.replace(self.state / _CURRENT)
        _fsync_dir(self.state)

    def _link_name(self, name: str) -> None:
        tmp = self.out / f".{name}.{os.getpid()}.link.tmp"
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        tmp.symlink_to(Path(STATE_DIR, _CURRENT, name))
        tmp.replace(self.out / name)
        _fsync_dir(self.out)

    def _error(self, what: str, exc: OSError) -> OutputError:
        return OutputError(
            f"{self.out}: {what} ({_why(exc)}); the previous output, if any, is untouched"
        )


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


def _write_synced(path: Path, data: bytes) -> None:
    with path.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


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


def _links_work(folder: Path) -> bool:
    probe = folder / f".probe.{os.getpid()}"
    try:
        with contextlib.suppress(FileNotFoundError):
            probe.unlink()
        probe.symlink_to("probe-target")
    except OSError as exc:
        if exc.errno in {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS}:
            return False
        raise
    probe.unlink()
    return True


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc)
