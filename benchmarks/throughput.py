"""End-to-end throughput: ``cleanpipe run`` against the naive datasketch dedup a user would write.

For each size (default 20,000 and 200,000 documents) it writes ONE JSONL file of
generated ~400-word news-like documents (``make_corpus.generate``; each line
``{"title": ..., "text": ...}``), then on the same documents, in the same run:

* ``cleanpipe run RAW OUT`` as a subprocess: cold start (a fresh interpreter
  and a fresh OUT), default workers, and again with ``--workers 1``;
* the naive datasketch dedup, the twenty lines a user would write: one
  ``MinHash`` per text, ``MinHash.update`` per 5-word shingle, and a
  ``MinHashLSH`` at threshold 0.5 queried and filled document by document
  (128 permutations, as cleanpipe's default).

It prints docs/s for each and the ratio. Only the CLI is used (so the script
keeps working whatever the pipeline's insides become), and the baseline runs
in this process, on one core, like the one-worker run.

``--profile N`` instead profiles ``cleanpipe run --workers 1`` on N documents
(cProfile around the CLI in one process) and prints the top costs, with the
per-document stage functions picked out.

Usage::

    PYTHONPATH=src python benchmarks/throughput.py                       # 20k and 200k
    PYTHONPATH=src python benchmarks/throughput.py --docs 2000 --baseline-docs 1000
    PYTHONPATH=src python benchmarks/throughput.py --profile 2000
"""

from __future__ import annotations

import argparse
import json
import os
import pstats
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from make_corpus import generate  # noqa: E402  (the benchmarks folder is not a package)

# The per-document stage functions whose cumulative time --profile lists.
_STAGES = (
    ("read_piece", "read (file pieces, decode, JSONL lines)"),
    ("extract", "extract"),
    ("strip_boilerplate", "strip"),
    ("_normalize_batch", "normalize (fields, text, language)"),
    ("normalize_text", "  normalize_text"),
    ("detect_languages", "  detect_languages"),
    ("band_keys", "sign (shingles, MinHash, band keys)"),
    ("line_keys", "line keys (repeated-line hashes)"),
    ("prepare_partition", "prepare (all of the above, per partition)"),
    ("repeated_lines", "repeated lines (driver: counting)"),
    ("fix_partition", "repeated lines (tasks: fixing)"),
    ("verify_edges", "verification (tasks)"),
    ("merge_records", "merge (tasks)"),
    ("merge_record_runs", "write (runs merged by id)"),
)


def write_raw(folder: Path, num_docs: int, *, seed: int) -> list[str]:
    """Write ``num_docs`` documents as one JSONL file in ``folder``; give their texts."""
    folder.mkdir(parents=True, exist_ok=True)
    texts: list[str] = []
    with (folder / "corpus.jsonl").open("w", encoding="utf-8") as out:
        for doc in generate(num_docs, seed=seed):
            title = " ".join(doc.text.split()[:8])
            out.write(json.dumps({"title": title, "text": doc.text}, ensure_ascii=False) + "\n")
            texts.append(doc.text)
    return texts


def run_cli(raw: Path, *, workers: int | None) -> float:
    """Run ``cleanpipe run`` cold in a subprocess; give its wall time in seconds."""
    out = Path(tempfile.mkdtemp(prefix="throughput-out-"))
    command = [sys.executable, "-m", "cleanpipe", "run", str(raw), str(out), "--quiet"]
    if workers is not None:
        command += ["--workers", str(workers)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE.parent / "src"), *sys.path])}
    started = time.perf_counter()
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        elapsed = time.perf_counter() - started
        if done.returncode not in {0, 1}:
            msg = f"{' '.join(command)} exited {done.returncode}: {done.stderr.strip()[-500:]}"
            raise RuntimeError(msg)
        records = sum(1 for _ in (out / "articles.jsonl").open(encoding="utf-8"))
        print(f"    ({records} records written)")
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return elapsed


_WORD = re.compile(r"\w+")


def naive_datasketch(texts: list[str]) -> tuple[float, int]:
    """The dedup a user would write with datasketch; give (seconds, duplicates found)."""
    from datasketch import MinHash, MinHashLSH  # imported inside: its import is timed with the run

    started = time.perf_counter()
    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    duplicates = 0
    for index, text in enumerate(texts):
        words = _WORD.findall(text.lower())
        signature = MinHash(num_perm=128)
        for start in range(max(len(words) - 4, 1)):
            signature.update(" ".join(words[start : start + 5]).encode("utf-8"))
        if lsh.query(signature):
            duplicates += 1
        else:
            lsh.insert(str(index), signature)
    return time.perf_counter() - started, duplicates


def measure(num_docs: int, *, seed: int, baseline_docs: int | None, workers: int | None) -> None:
    with tempfile.TemporaryDirectory(prefix="throughput-") as tmp:
        raw = Path(tmp) / "raw"
        texts = write_raw(raw, num_docs, seed=seed)
        size_mib = (raw / "corpus.jsonl").stat().st_size / 2**20
        words = sum(len(t.split()) for t in texts) / len(texts)
        print(f"{num_docs} documents, {words:.0f} words on average, one file of {size_mib:.0f} MiB")
        label = "default workers" if workers is None else f"--workers {workers}"
        print(f"  cleanpipe run ({label}, {os.cpu_count()} cores):")
        wall = run_cli(raw, workers=workers)
        print(f"    {wall:.1f} s  {num_docs / wall:,.0f} docs/s")
        print("  cleanpipe run --workers 1:")
        wall_one = run_cli(raw, workers=1)
        print(f"    {wall_one:.1f} s  {num_docs / wall_one:,.0f} docs/s")
        sample = texts if baseline_docs is None else texts[:baseline_docs]
        seconds, duplicates = naive_datasketch(sample)
        base_rate = len(sample) / seconds
        print(f"  naive datasketch on {len(sample)} of these texts (one core):")
        print(f"    {seconds:.1f} s  {base_rate:,.0f} docs/s  ({duplicates} duplicates found)")
        print(
            f"  ratio: cleanpipe {label} / datasketch = {num_docs / wall / base_rate:.1f}x; "
            f"one worker / datasketch = {num_docs / wall_one / base_rate:.1f}x"
        )


def profile(num_docs: int, *, seed: int, top: int) -> None:
    with tempfile.TemporaryDirectory(prefix="throughput-") as tmp:
        raw = Path(tmp) / "raw"
        write_raw(raw, num_docs, seed=seed)
        stats_path = Path(tmp) / "run.prof"
        out = Path(tmp) / "out"
        command = [
            sys.executable,
            "-m",
            "cProfile",
            "-o",
            str(stats_path),
            "-m",
            "cleanpipe",
            "run",
            str(raw),
            str(out),
            "--workers",
            "1",
            "--quiet",
        ]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE.parent / "src"), *sys.path])}
        started = time.perf_counter()
        subprocess.run(command, env=env, check=True)
        wall = time.perf_counter() - started
        stats = pstats.Stats(str(stats_path))
        total = stats.total_tt  # type: ignore[attr-defined]
        print(
            f"cleanpipe run --workers 1 on {num_docs} documents under cProfile: {wall:.1f} s wall"
        )
        print(f"{'stage (cumulative)':<40} {'s':>7} {'us/doc':>8}")
        by_name: dict[str, float] = {}
        for (_file, _line, name), row in stats.stats.items():  # type: ignore[attr-defined]
            by_name[name] = by_name.get(name, 0.0) + row[3]
        for name, label in _STAGES:
            if name in by_name:
                print(f"{label:<40} {by_name[name]:>7.2f} {by_name[name] / num_docs * 1e6:>8.0f}")
        print(f"top {top} functions by own time (of {total:.1f} s profiled):")
        stats.sort_stats("tottime").print_stats(top)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, nargs="+", default=[20_000, 200_000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--baseline-docs",
        type=int,
        default=None,
        help="run the datasketch baseline on the first N texts only (its docs/s is a rate)",
    )
    parser.add_argument("--workers", type=int, default=None, help="default: cleanpipe's default")
    parser.add_argument(
        "--profile", type=int, metavar="N", help="profile a one-worker run on N docs"
    )
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args(argv)
    if args.profile:
        profile(args.profile, seed=args.seed, top=args.top)
        return 0
    for num_docs in args.docs:
        measure(num_docs, seed=args.seed, baseline_docs=args.baseline_docs, workers=args.workers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
