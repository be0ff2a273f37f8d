"""Out-of-core benchmark (issue 11): ``cleanpipe run`` end to end on large generated corpora.

For every size the generated corpus (``make_corpus.generate``: ~400-word news-like
documents, ~10% near-duplicates; each line ``{"title": ..., "text": ...}``) is
written once into ``--cache``, streamed to disk, in two layouts:

- ``one/corpus.jsonl``: ONE JSONL file of every document;
- ``many/part-0000.jsonl`` … ``part-0999.jsonl``: 1,000 files of consecutive documents.

Each layout is run cold as ``.venv/bin/cleanpipe run RAW OUT --quiet`` in a fresh
subprocess (default workers: the cores). Printed per run: docs/s, wall seconds,
the prepare step's seconds (``read_extract_strip`` of ``OUT/.cleanpipe/timings.json``),
the peak RSS summed over the whole process tree (cleanpipe and all its children,
recursively, sampled every 0.1 s with psutil) and the peak size of the work folder
(``OUT/.cleanpipe/work``, sampled every 0.5 s with ``os.walk``).

Checks: the one-file and the 1,000-file runs of a size give the same
``articles.jsonl`` and ``rejects.jsonl``. Origins name the input file and its line,
which differ between layouts by construction, so both outputs are compared after
mapping every origin's ``(path, line)`` to the document's number in the corpus
(``corpus.jsonl`` line N is document N-1; ``part-K.jsonl`` line J of M-document
files is document K*M+J-1); every other byte (ids, texts, order, the other
fields) must be equal. Whether the raw bytes are equal too is printed.

Ratios printed: peak tree RSS at the largest size / at the smallest (per layout),
and wall time of the one-file run / the 1,000-file run (per size).

Options:

- ``--kill-at 0.8``: on the one-file corpus of every size, the same command is
  started again in the same OUT, SIGKILLed (its whole process group) after 80% of
  the uninterrupted run's wall time, and run again to the end; printed: the rerun's
  wall time as a share of the uninterrupted run's; checked: the killed run left the
  previous output in place, the rerun's output is byte-identical to the
  uninterrupted run's.
- ``--one-file-only``: only the one-file layout (a quicker memory or kill check).
- ``--dask``: the smallest size (or ``--dask-size``), one file, with
  ``--engine dask --workers 1`` and ``--workers 2`` (a LocalCluster started by
  cleanpipe); printed: driver RSS (the cleanpipe process alone) and tree RSS, the
  1 → 2 worker speed-up of the prepare step; checked: output byte-identical to the
  local run's.

Usage::

    .venv/bin/python benchmarks/out_of_core.py --sizes 20000 100000
    .venv/bin/python benchmarks/out_of_core.py --sizes 100000 1000000 --kill-at 0.8 --dask
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import orjson
import psutil  # type: ignore[import-untyped]

sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_corpus import generate

ROOT = Path(__file__).resolve().parent.parent
CLEANPIPE = ROOT / ".venv" / "bin" / "cleanpipe"
FILES = 1000
SEED = 1
RSS_EVERY = 0.1
WORK_EVERY = 0.5
MIB = 1024 * 1024


# --------------------------------------------------------------------------- corpus


def corpus_dirs(cache: Path, size: int) -> tuple[Path, Path]:
    """The one-file and the 1,000-file dump folders of ``size`` documents, generated once."""
    base = cache / f"docs{size}-seed{SEED}"
    one, many = base / "one", base / "many"
    if (base / "complete").exists():
        return one, many
    if size % FILES:
        msg = f"--sizes: {size} is not a multiple of {FILES}"
        raise SystemExit(msg)
    shutil.rmtree(base, ignore_errors=True)
    one.mkdir(parents=True)
    many.mkdir(parents=True)
    per_file = size // FILES
    started = time.perf_counter()
    part = None
    with (one / "corpus.jsonl").open("wb") as whole:
        for doc in generate(size, seed=SEED):
            if doc.id % per_file == 0:
                if part is not None:
                    part.close()
                part = (many / f"part-{doc.id // per_file:04d}.jsonl").open("wb")
            title = f"Story {doc.cluster}: {doc.text.split('.')[0][:60]}"
            line = orjson.dumps({"title": title, "text": doc.text}) + b"\n"
            whole.write(line)
            assert part is not None
            part.write(line)
    if part is not None:
        part.close()
    (base / "complete").touch()
    mib = (one / "corpus.jsonl").stat().st_size / MIB
    print(
        f"# generated {size:,} documents ({mib:,.0f} MiB a layout) in "
        f"{time.perf_counter() - started:.0f} s into {base}",
        flush=True,
    )
    return one, many


# --------------------------------------------------------------------------- sampling


def tree_rss(root: psutil.Process) -> tuple[int, int]:
    """(RSS of ``root`` alone, RSS summed over ``root`` and all its descendants)."""
    try:
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0, 0
    driver = total = 0
    for proc in procs:
        try:
            rss = proc.memory_info().rss
        except psutil.Error:
            continue
        total += rss
        if proc.pid == root.pid:
            driver = rss
    return driver, total


def folder_bytes(path: Path) -> int:
    """Bytes of the files under ``path`` (0 if absent); files vanishing meanwhile are skipped."""
    total = 0
    for folder, _dirs, names in os.walk(path):
        for name in names:
            with contextlib.suppress(OSError):
                total += os.lstat(Path(folder, name)).st_size
    return total


class Sampler:
    """Peak driver RSS, tree RSS and work-folder size of a running process, in threads."""

    def __init__(self, pid: int, work: Path) -> None:
        self.proc = psutil.Process(pid)
        self.work = work
        self.driver = self.tree = self.work_peak = 0
        self.started = time.perf_counter()
        self.tree_at = self.driver_at = 0.0
        """Seconds from the start to the tree's and the driver's peaks."""
        self.stop = threading.Event()
        self.threads = [
            threading.Thread(target=self._loop, args=(RSS_EVERY, self._rss), daemon=True),
            threading.Thread(target=self._loop, args=(WORK_EVERY, self._work), daemon=True),
        ]
        for thread in self.threads:
            thread.start()

    def _loop(self, every: float, sample: Callable[[], None]) -> None:
        while not self.stop.is_set():
            sample()
            self.stop.wait(every)

    def _rss(self) -> None:
        driver, tree = tree_rss(self.proc)
        now = time.perf_counter() - self.started
        if driver > self.driver:
            self.driver, self.driver_at = driver, now
        if tree > self.tree:
            self.tree, self.tree_at = tree, now

    def _work(self) -> None:
        self.work_peak = max(self.work_peak, folder_bytes(self.work))

    def close(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join()


# --------------------------------------------------------------------------- runs


@dataclass
class Run:
    label: str
    size: int
    wall: float
    prepare: float | None
    driver: int
    tree: int
    work: int
    killed: bool = False

    def row(self) -> str:
        rate = f"{self.size / self.wall:,.0f}" if not self.killed else "killed"
        prep = f"{self.prepare:.1f}" if self.prepare is not None else "-"
        return (
            f"| {self.label} | {self.size:,} | {rate} | {self.wall:.1f} | {prep} "
            f"| {self.driver / MIB:,.0f} | {self.tree / MIB:,.0f} | {self.work / MIB:,.0f} |"
        )


HEADER = (
    "| run | docs | docs/s | wall s | prepare s | driver RSS MiB | tree RSS MiB | work MiB |\n"
    "|---|---:|---:|---:|---:|---:|---:|---:|"
)


def run_cleanpipe(
    label: str,
    size: int,
    raw: Path,
    out: Path,
    *,
    extra: list[str] | None = None,
    fresh: bool = True,
    kill_after: float | None = None,
) -> Run:
    """``cleanpipe run RAW OUT --quiet`` in a new process group, sampled until it ends."""
    if fresh:
        shutil.rmtree(out, ignore_errors=True)
    cmd = [str(CLEANPIPE), "run", str(raw), str(out), "--quiet", *(extra or [])]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, start_new_session=True, stderr=subprocess.PIPE)
    sampler = Sampler(proc.pid, out / ".cleanpipe" / "work")
    killed = False
    try:
        if kill_after is not None:
            try:
                proc.wait(timeout=kill_after)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                killed = True
        _, stderr = proc.communicate()
    finally:
        sampler.close()
    wall = time.perf_counter() - started
    if not killed and proc.returncode != 0:
        sys.stderr.write(stderr.decode("utf-8", "replace"))
        msg = f"FAILED (exit {proc.returncode}): {' '.join(cmd)}"
        raise SystemExit(msg)
    if kill_after is not None and not killed:
        print(f"# warning: {label} ended before the kill at {kill_after:.1f} s", flush=True)
    prepare = None
    timings = out / ".cleanpipe" / "timings.json"
    if not killed and timings.exists():
        steps = orjson.loads(timings.read_bytes())
        prepare = steps.get("read_extract_strip")
    result = Run(
        label, size, wall, prepare, sampler.driver, sampler.tree, sampler.work_peak, killed
    )
    print(result.row(), flush=True)
    if prepare is not None:
        where = ", ".join(
            f"{name} at {at:.0f} s ({phase_at(steps, wall, at)})"
            for name, at in (("tree", sampler.tree_at), ("driver", sampler.driver_at))
        )
        print(f"# {label}, {size:,}: peaks: {where}", flush=True)
    return result


PHASES = ("read_extract_strip", "repeated_lines", "dedup", "merge", "write")


def phase_at(steps: dict[str, float], wall: float, at: float) -> str:
    """The step of the run at ``at`` seconds (steps in order; before them, the start-up)."""
    clock = wall - float(steps.get("total", wall))  # start-up: interpreter and imports
    if at < clock:
        return "start-up"
    for name in PHASES:
        clock += float(steps.get(name, 0.0))
        if at < clock:
            return name
    return "write/exit"


# --------------------------------------------------------------------------- output checks

OUTPUTS = ("articles.jsonl", "rejects.jsonl")


def digests(out: Path) -> dict[str, str]:
    """sha256 of each output file, read in chunks."""
    result = {}
    for name in OUTPUTS:
        sha = hashlib.sha256()
        with (out / name).open("rb") as handle:
            while chunk := handle.read(1 << 22):
                sha.update(chunk)
        result[name] = sha.hexdigest()
    return result


def _doc_number(path: str, line: int, per_file: int) -> int:
    name = path.rsplit("/", 1)[-1]
    if name == "corpus.jsonl":
        return line - 1
    return int(name.removeprefix("part-").removesuffix(".jsonl")) * per_file + line - 1


def _canonical(value: object, per_file: int) -> object:
    """``value`` with every origin's path and line replaced by the document's number."""
    if isinstance(value, dict):
        if "path" in value and isinstance(value.get("line"), int):
            number = _doc_number(str(value["path"]), value["line"], per_file)
            return {**value, "path": "doc", "line": number}
        return {k: _canonical(v, per_file) for k, v in value.items()}
    if isinstance(value, list):
        return [_canonical(v, per_file) for v in value]
    return value


def canonical_digest(path: Path, per_file: int) -> str:
    """sha256 of ``path`` with origins mapped to document numbers, one line at a time."""
    sha = hashlib.sha256()
    with path.open("rb") as handle:
        for line in handle:
            record = _canonical(orjson.loads(line), per_file)
            sha.update(orjson.dumps(record) + b"\n")
    return sha.hexdigest()


def compare_layouts(one: Path, many: Path, size: int) -> bool:
    """Print and return whether the two layouts' outputs agree (origins mapped)."""
    raw_same = digests(one) == digests(many)
    per_file = size // FILES
    same = True
    for name in OUTPUTS:
        a = canonical_digest(one / name, per_file)
        b = canonical_digest(many / name, per_file)
        ok = a == b
        same &= ok
        print(
            f"# {size:,}: one file vs {FILES:,} files, {name}: "
            f"{'identical' if ok else 'DIFFERENT'} with origins mapped to document numbers",
            flush=True,
        )
    print(f"# {size:,}: raw bytes identical: {raw_same} (origins name different files)", flush=True)
    return same


def check_same(what: str, a: dict[str, str], b: dict[str, str]) -> bool:
    ok = a == b
    print(f"# {what}: {'byte-identical' if ok else 'DIFFERENT ' + repr((a, b))}", flush=True)
    return ok


def run_dask(size: int, one: Path, local_out: Path, outs: Path, failures: list[str]) -> None:
    """The one-file corpus on a LocalCluster of 1 and then 2 workers, checked against local."""
    local = digests(local_out)
    dask: dict[int, Run] = {}
    for n in (1, 2):
        out = outs / f"{size}-dask{n}"
        dask[n] = run_cleanpipe(
            f"one file, dask {n} worker{'s' if n > 1 else ''}",
            size,
            one,
            out,
            extra=["--engine", "dask", "--workers", str(n)],
        )
        if not check_same(f"{size:,}: dask {n} vs local", local, digests(out)):
            failures.append(f"{size}: dask {n} workers vs local")
        shutil.rmtree(out, ignore_errors=True)
    p1, p2 = dask[1].prepare, dask[2].prepare
    if p1 and p2:
        print(
            f"# dask prepare step (read/extract/strip) 1 -> 2 workers: {p1:.1f} s -> "
            f"{p2:.1f} s, speed-up {p1 / p2:.2f}x; wall {dask[1].wall / dask[2].wall:.2f}x",
            flush=True,
        )


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--cache", type=Path, default=Path("/tmp/cleanpipe-ooc"))
    parser.add_argument("--kill-at", type=float, default=None, metavar="SHARE")
    parser.add_argument("--dask", action="store_true")
    parser.add_argument(
        "--dask-size",
        type=int,
        default=None,
        help="the size --dask runs on (default: the smallest)",
    )
    parser.add_argument("--workers", type=int, default=None, help="passed to cleanpipe run")
    parser.add_argument(
        "--one-file-only",
        action="store_true",
        help="run the one-file layout alone (no 1,000-file run, no layout comparison)",
    )
    args = parser.parse_args(argv)
    sizes = sorted(args.sizes)
    workers = ["--workers", str(args.workers)] if args.workers else []
    outs = args.cache / "out"
    failures: list[str] = []

    print(
        f"# {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}; "
        f"{os.cpu_count()} cores; load {os.getloadavg()}",
        flush=True,
    )
    print(HEADER, flush=True)
    runs: dict[tuple[int, str], Run] = {}
    for size in sizes:
        one, many = corpus_dirs(args.cache, size)
        out_one, out_many = outs / f"{size}-one", outs / f"{size}-many"
        runs[size, "one"] = run_cleanpipe("one file", size, one, out_one, extra=workers)
        if not args.one_file_only:
            name = f"{FILES:,} files"
            runs[size, "many"] = run_cleanpipe(name, size, many, out_many, extra=workers)
            if not compare_layouts(out_one, out_many, size):
                failures.append(f"{size}: one file vs {FILES} files")
        if args.kill_at is not None:
            before = digests(out_one)
            full = runs[size, "one"].wall
            run_cleanpipe(
                f"one file, killed at {args.kill_at:.0%}",
                size,
                one,
                out_one,
                extra=workers,
                fresh=False,
                kill_after=args.kill_at * full,
            )
            if not check_same(
                f"{size:,}: output after the SIGKILL = previous", before, digests(out_one)
            ):
                failures.append(f"{size}: output after kill")
            rerun = run_cleanpipe("one file, rerun", size, one, out_one, extra=workers, fresh=False)
            print(
                f"# {size:,}: rerun after the kill: {rerun.wall:.1f} s = "
                f"{rerun.wall / full:.0%} of the uninterrupted {full:.1f} s",
                flush=True,
            )
            if not check_same(f"{size:,}: rerun vs uninterrupted", before, digests(out_one)):
                failures.append(f"{size}: rerun after kill")
        shutil.rmtree(out_many, ignore_errors=True)
        if args.dask and size == (args.dask_size or sizes[0]):
            run_dask(size, one, out_one, outs, failures)

    small, large = sizes[0], sizes[-1]
    if large != small:
        for layout, name in (("one", "one file"), ("many", f"{FILES:,} files")):
            if (large, layout) not in runs:
                continue
            lo, hi = runs[small, layout].tree, runs[large, layout].tree
            print(
                f"# peak tree RSS {name}: {large:,} / {small:,} = "
                f"{hi / MIB:,.0f} / {lo / MIB:,.0f} MiB = {hi / lo:.2f}x",
                flush=True,
            )
    for size in sizes:
        if (size, "many") not in runs:
            continue
        a, b = runs[size, "one"].wall, runs[size, "many"].wall
        print(
            f"# wall one file / {FILES:,} files at {size:,}: {a:.1f} / {b:.1f} s = {a / b:.2f}x",
            flush=True,
        )
    print(f"# load at the end {os.getloadavg()}", flush=True)
    if failures:
        print("# FAILED CHECKS: " + "; ".join(failures), flush=True)
        return 1
    print("# all checks passed", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
