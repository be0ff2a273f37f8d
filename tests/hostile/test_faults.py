"""Faults: a run killed at any instant, a read-only or full OUT, Ctrl-C.

Kills are real: a forked child or a subprocess sends itself SIGKILL at a chosen
filesystem step of the output swap, so every step is covered without timing.
A full disk is a real tmpfs of 64 KiB when the tests run as root and may mount
(CI does); elsewhere that case is skipped, and RLIMIT_FSIZE (EFBIG on write) in a
subprocess covers the same error path on every machine. A read-only OUT is a
read-only tmpfs remount as root, or a 0555 folder otherwise.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from cleanpipe.cli import main
from cleanpipe.models import Rejection, Report
from cleanpipe.write import OUTPUT_FILES, OutputSwap, write_outputs
from tests.faults import kill_at
from tests.hostile.conftest import ARTICLE

REPO = Path(__file__).resolve().parents[2]


def _report(n: int) -> Report:
    return Report(
        inputs=n,
        records=0,
        merged=0,
        rejected=n,
        rejects_by_reason={"empty": n},
        removed_by_rule={},
        cluster_sizes={},
    )


def _rejections(n: int, tag: str) -> list[Rejection]:
    return [Rejection(detail=f"{tag} {i}", path=f"{tag}-{i}.txt", reason="empty") for i in range(n)]


def _visible(out: Path) -> dict[str, bytes]:
    """What a reader of OUT sees: every non-hidden entry, read through links."""
    seen = {}
    for entry in sorted(out.iterdir()):
        if entry.name.startswith("."):
            continue
        assert entry.name in OUTPUT_FILES, f"unexpected file in view: {entry.name}"
        if entry.exists():  # a link to a not-yet-current slot leads nowhere: not in view
            seen[entry.name] = entry.read_bytes()
    return seen


def _trio(tag: str, n: int, *, vouched: bool = True) -> dict[str, bytes]:
    from cleanpipe.write import jsonl_bytes, report_bytes

    rejects = jsonl_bytes(_rejections(n, tag))
    report = _report(n)
    if vouched:  # as cleanpipe writes it: the report carries the others' SHA-256
        outputs = {
            "articles.jsonl": hashlib.sha256(b"").hexdigest(),
            "rejects.jsonl": hashlib.sha256(rejects).hexdigest(),
        }
        report = report.model_copy(update={"outputs": outputs})
    return {"articles.jsonl": b"", "rejects.jsonl": rejects, "report.json": report_bytes(report)}


_STEPS = ("fsync", "replace", "symlink_to", "link", "mkdir", "unlink", "write")


def _killed_write(out: Path, step: int, new: tuple[str, int]) -> bool:
    """Fork; the child writes the ``new`` trio and dies at ``step``. True if it was killed."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 0
        try:
            kill_at(step)
            tag, n = new
            write_outputs(out, articles=[], rejections=_rejections(n, tag), report=_report(n))
        except BaseException:  # noqa: BLE001 - any error is a failure the parent sees
            code = 3
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        assert os.WTERMSIG(status) == signal.SIGKILL
        return True
    assert os.WEXITSTATUS(status) == 0
    return False


def _prepare(out: Path, start: str) -> dict[str, bytes]:
    if start == "empty":
        return {}
    if start == "plain":  # an OUT of plain files without hashes, as an older cleanpipe wrote
        out.mkdir()
        for name, data in _trio("old", 2, vouched=False).items():
            (out / name).write_bytes(data)
        return _trio("old", 2, vouched=False)
    write_outputs(out, articles=[], rejections=_rejections(2, "old"), report=_report(2))
    if start == "rewritten":  # a second run over the first
        write_outputs(out, articles=[], rejections=_rejections(2, "old"), report=_report(2))
    return _trio("old", 2)


@pytest.mark.parametrize(
    "start",
    [
        "written",
        pytest.param("empty", marks=pytest.mark.slow),
        pytest.param("plain", marks=pytest.mark.slow),
        pytest.param("rewritten", marks=pytest.mark.slow),
    ],
)
def test_sigkill_at_every_step_leaves_old_or_new_trio(tmp_path: Path, start: str) -> None:
    new = _trio("new", 3)
    outcomes = set()
    step = 1
    while True:
        out = tmp_path / f"out-{step}"
        old = _prepare(out, start)
        killed = _killed_write(out, step, ("new", 3))
        seen = _visible(out) if out.exists() else {}
        if seen not in (old, new):
            # Killed between two renames: every file in view is whole (old or new),
            # the journal says the commit is unfinished, and the report cannot
            # vouch for the mix (its hashes do not match the files beside it).
            assert all(seen[n] in (old.get(n), new[n]) for n in seen), f"step {step}: partial"
            assert (out / ".cleanpipe" / "commit.json").is_file(), f"step {step}: unjournaled mix"
            if json.loads(seen.get("report.json", b"{}")).get("outputs"):
                assert not _vouched(seen), f"step {step}: a mix passes for whole"
            # The next open finishes the renames: the new set, whole.
            with OutputSwap(out):
                pass
            assert _visible(out) == new, f"step {step}: not rolled forward"
            outcomes.add("torn")
        else:
            outcomes.add("old" if seen == old else "new")
        if killed:
            # The next run clears what the killed one left and writes normally.
            write_outputs(out, articles=[], rejections=_rejections(3, "new"), report=_report(3))
            assert _visible(out) == new
        shutil.rmtree(out)
        if not killed:
            break
        step += 1
    assert step > 5  # every step of the swap was a kill point
    assert {"old", "new"} <= outcomes


def _vouched(seen: dict[str, bytes]) -> bool:
    outputs = json.loads(seen["report.json"]).get("outputs", {})
    return all(
        hashlib.sha256(seen.get(name, b"")).hexdigest() == digest
        for name, digest in outputs.items()
    )


def _python(code: str, *args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        check=False,
        **kwargs,  # type: ignore[arg-type]
    )


def _dump(raw: Path, n: int = 3, tag: str = "") -> None:
    """``n`` distinct stories (words drawn from a hash, so no two are near-duplicates)."""
    raw.mkdir(exist_ok=True)
    for i in range(n):
        seeds = (f"{tag}{i}-{j}".encode() for j in range(30))
        words = " ".join(hashlib.sha256(seed).hexdigest()[:8] for seed in seeds)
        (raw / f"{tag}{i}.txt").write_text(f"Story {tag}{i}\n\n{ARTICLE} {words}.", "utf-8")


@pytest.mark.slow
def test_sigkill_of_a_real_run_keeps_the_previous_output(tmp_path: Path) -> None:
    raw, out = tmp_path / "raw", tmp_path / "out"
    _dump(raw)
    assert main(["run", str(raw), str(out), "--quiet", "--workers", "1"]) == 0
    before = _visible(out)
    _dump(raw, tag="more-")
    # The subprocess dies by SIGKILL just after its new articles.jsonl is on disk.
    done = _python(
        """
        import os, signal, sys
        import cleanpipe.write as writer
        real = writer._write_synced
        def write_then_die(path, write):
            digest = real(path, write)
            if path.name.startswith(".articles.jsonl."):  # staged, not yet renamed
                os.kill(os.getpid(), signal.SIGKILL)
            return digest
        writer._write_synced = write_then_die
        from cleanpipe.cli import main
        sys.exit(main(["run", sys.argv[1], sys.argv[2], "--quiet", "--workers", "2"]))
        """,
        str(raw),
        str(out),
    )
    assert done.returncode == -signal.SIGKILL
    assert _visible(out) == before
    # The next run recovers and writes the new output.
    assert main(["run", str(raw), str(out), "--quiet", "--workers", "1"]) == 0
    report = json.loads((out / "report.json").read_text("utf-8"))
    assert report["inputs"] == 6


@contextlib.contextmanager
def _tmpfs(path: Path, size: str) -> Iterator[None]:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("a tmpfs needs root and mount")
    path.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"mount refused: {mounted.stderr.decode().strip()}")
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def test_full_disk_is_one_error_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw, out = tmp_path / "raw", tmp_path / "out"
    _dump(raw, n=2)
    with _tmpfs(out, "64k"):
        assert main(["run", str(raw), str(out), "--quiet", "--workers", "1"]) == 0
        before = _visible(out)
        _dump(raw, n=400, tag="big-")  # ~100 KB of records: more than the disk holds
        capsys.readouterr()
        code = main(["run", str(raw), str(out), "--quiet", "--workers", "1"])
        err = capsys.readouterr().err
        assert code == 2
        assert err.count("\n") == 1
        # The disk fills while the work folder spills or while articles.jsonl is staged.
        assert err.startswith(f"cleanpipe: error: {out}")
        assert "cannot write" in err
        assert "No space left on device" in err
        assert "previous output, if any, is untouched" in err
        assert _visible(out) == before


def test_read_only_out_is_one_error_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw, out = tmp_path / "raw", tmp_path / "out"
    _dump(raw, n=2)
    context = _tmpfs(out, "1m") if os.geteuid() == 0 else contextlib.nullcontext()
    with context:
        assert main(["run", str(raw), str(out), "--quiet", "--workers", "1"]) == 0
        before = _visible(out)
        if os.geteuid() == 0:
            subprocess.run(["mount", "-o", "remount,ro", str(out)], check=True)
        else:
            out.chmod(0o555)
            (out / ".cleanpipe").chmod(0o555)
        capsys.readouterr()
        code = main(["run", str(raw), str(out), "--quiet", "--workers", "1"])
        err = capsys.readouterr().err
        assert code == 2
        assert err.count("\n") == 1
        assert err.startswith(f"cleanpipe: error: {out}: ")
        assert "Read-only file system" in err or "Permission denied" in err
        assert _visible(out) == before


def test_file_size_limit_is_one_error_line_and_exit_2(tmp_path: Path) -> None:
    raw, out = tmp_path / "raw", tmp_path / "out"
    _dump(raw, n=20)
    # The limit is set when the writer starts (py3langid copies its model to a temp
    # file while the pipeline runs): from then on a write past 2 KB fails with EFBIG.
    done = _python(
        """
        import resource, signal, sys
        import cleanpipe.write as writer
        real = writer.OutputSwap.__enter__
        def limited(self):
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (2048, 2048))
            return real(self)
        writer.OutputSwap.__enter__ = limited
        from cleanpipe.cli import main
        sys.exit(main(["run", sys.argv[1], sys.argv[2], "--quiet", "--workers", "1"]))
        """,
        str(raw),
        str(out),
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith(f"cleanpipe: error: {out}: cannot write articles.jsonl")
    assert "File too large" in done.stderr
    assert _visible(out) == {}


@pytest.mark.slow
def test_ctrl_c_exits_cleanly_with_a_message(tmp_path: Path) -> None:
    raw, out = tmp_path / "raw", tmp_path / "out"
    _dump(raw, n=200)
    # Ctrl-C in a terminal signals the whole process group: the workers too. The
    # child signals its own group from inside a worker, mid-partition.
    done = _python(
        """
        import os, signal, sys
        import cleanpipe.pipeline as pipeline
        real = pipeline.prepare_partition
        def interrupted(task):
            try:  # once, from whichever worker gets here first: one Ctrl-C
                os.close(os.open(sys.argv[2] + ".sigint", os.O_CREAT | os.O_EXCL))
                os.killpg(os.getpgrp(), signal.SIGINT)
            except FileExistsError:
                pass
            return real(task)
        interrupted.__qualname__ = interrupted.__name__ = "prepare_partition"
        interrupted.__module__ = "cleanpipe.pipeline"
        pipeline.prepare_partition = interrupted
        from cleanpipe.cli import main
        sys.exit(main(["run", sys.argv[1], sys.argv[2], "--quiet", "--workers", "2"]))
        """,
        str(raw),
        str(out),
        start_new_session=True,
    )
    assert done.returncode == 130
    assert done.stderr.splitlines()[-1] == (
        "cleanpipe: interrupted; no output was changed by the unfinished run"
    )
    assert "Traceback" not in done.stderr
    assert not out.exists() or _visible(out) == {}


def test_a_second_run_on_the_same_out_is_refused_while_one_writes(tmp_path: Path) -> None:
    out = tmp_path / "out"
    from cleanpipe.errors import OutputError

    with OutputSwap(out), pytest.raises(OutputError, match="another cleanpipe run"):
        OutputSwap(out).__enter__()
