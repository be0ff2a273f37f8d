"""Which engine for the out-of-core corpus steps: numpy on the compact columns, or DuckDB.

Issue 11 asks to use an existing out-of-core engine where one fits and to
measure the choice. The two corpus steps that see every document are
measured here, each on the same synthetic columns, in the two ways:

* **LSH candidates** (``stages.dedup.candidate_edges``): star edges from the
  band keys of N representatives, ``bands`` bands, one band at a time in
  numpy (what ``cleanpipe run`` does), against one DuckDB query over a Parquet
  file of ``(id, band, key)`` (the bucket's smallest id joined to each other
  member, distinct, sorted).
* **repeated lines** (``corpus.repeated_lines``' count): the scoped line hashes
  of N documents (~``--lines`` each, a share of them boilerplate shared by
  many documents), those in ``min_docs`` documents or more: ``np.unique`` with
  counts, against DuckDB's ``GROUP BY ... HAVING`` over Parquet.

Each variant runs in a fresh subprocess; printed: wall and CPU seconds (all threads;
the CPU figure is the one to compare on a loaded machine) and the peak RSS
above the process's RSS before the step (``VmHWM`` after a reset; for DuckDB it
includes its buffer pool, threads = the cores). The results of the two ways
are checked equal. The columns are synthetic but shaped like a corpus's:
uint64 keys, ~30% of documents copies that share a story's key in 70% of
the bands.

Needs ``duckdb`` (``.venv/bin/pip install duckdb pyarrow``; neither is a
dependency of cleanpipe). Usage::

    .venv/bin/python benchmarks/engine_choice.py --docs 1000000
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from cleanpipe.stages.dedup import candidate_edges  # noqa: E402

MIB = 1024 * 1024


def make_columns(folder: Path, docs: int, bands: int, lines: int, seed: int) -> None:
    """Write ``ids``/``keys`` (bands x docs) and ``line_keys`` as .npy, and both as Parquet."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    ids = np.arange(docs, dtype=np.int64)
    keys = rng.integers(0, 2**63, size=(bands, docs), dtype=np.int64).astype(np.uint64)
    copy = rng.random(docs) < 0.3
    story = rng.integers(0, docs, size=docs)
    for band in range(bands):
        agree = copy & (rng.random(docs) < 0.7)
        keys[band, agree] = keys[band, story[agree]]
    np.save(folder / "ids.npy", ids)
    np.save(folder / "keys.npy", keys)
    # Line hashes: most lines unique, ~15% from a pool of boilerplate lines.
    total = docs * lines
    line_keys = rng.integers(0, 2**63, size=total, dtype=np.int64).astype(np.uint64)
    shared = rng.random(total) < 0.15
    pool = rng.integers(0, 2**63, size=max(1, docs // 50), dtype=np.int64).astype(np.uint64)
    line_keys[shared] = pool[rng.integers(0, len(pool), size=int(shared.sum()))]
    np.save(folder / "line_keys.npy", line_keys)
    table = pa.table(
        {
            "id": np.tile(ids, bands),
            "band": np.repeat(np.arange(bands, dtype=np.int32), docs),
            "key": keys.ravel(),
        }
    )
    pq.write_table(table, folder / "bands.parquet", row_group_size=1 << 20)
    pq.write_table(pa.table({"key": line_keys}), folder / "lines.parquet", row_group_size=1 << 20)


def _status(field: str) -> int:
    """A ``/proc/self/status`` memory figure, in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    return 0


def _reset_peak() -> int:
    """Reset the peak RSS (VmHWM) to the current RSS; give the current RSS."""
    Path("/proc/self/clear_refs").write_text("5")
    return _status("VmRSS")


def run_variant(folder: Path, variant: str, min_docs: int) -> dict[str, object]:
    """One step one way, in this (fresh) process."""
    result: npt.NDArray[np.int64] | npt.NDArray[np.uint64]
    if variant.startswith("numpy"):
        ids = np.load(folder / "ids.npy")
        keys = np.load(folder / "keys.npy", mmap_mode="r")
        line_keys = np.load(folder / "line_keys.npy", mmap_mode="r")
        before = _reset_peak()
        start, cpu = time.perf_counter(), time.process_time()
        if variant == "numpy-candidates":
            result = candidate_edges((np.array(keys[b]) for b in range(len(keys))), ids)
        else:
            unique, counts = np.unique(np.asarray(line_keys), return_counts=True)
            result = unique[counts >= min_docs]
    else:
        import duckdb

        con = duckdb.connect()
        con.execute(f"SET threads = {os.cpu_count() or 1}")
        con.execute("SET preserve_insertion_order = false")
        before = _reset_peak()
        start, cpu = time.perf_counter(), time.process_time()
        if variant == "duckdb-candidates":
            query = f"""
                WITH b AS (SELECT * FROM read_parquet('{folder / "bands.parquet"}')),
                centre AS (
                    SELECT band, key, min(id) AS c FROM b GROUP BY band, key HAVING count(*) > 1
                )
                SELECT DISTINCT centre.c AS u, b.id AS v
                FROM b JOIN centre USING (band, key) WHERE b.id <> centre.c
                ORDER BY u, v
            """
            columns = con.execute(query).fetchnumpy()
            result = np.stack([columns["u"], columns["v"]], axis=1).astype(np.int64)
        else:
            query = f"""
                SELECT key FROM read_parquet('{folder / "lines.parquet"}')
                GROUP BY key HAVING count(*) >= {min_docs} ORDER BY key
            """
            result = con.execute(query).fetchnumpy()["key"].astype(np.uint64)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    digest = int(np.bitwise_xor.reduce(result.astype(np.uint64).ravel() * np.uint64(0x9E37)))
    return {
        "variant": variant,
        "seconds": round(seconds, 2),
        "cpu": round(cpu, 2),
        "peak_mib": round(max(0, _status("VmHWM") - before) / MIB),
        "rows": len(result),
        "digest": digest,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--bands", type=int, default=28)
    parser.add_argument("--lines", type=int, default=12, help="line hashes per document")
    parser.add_argument("--min-docs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--variant", help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.variant:
        print(json.dumps(run_variant(args.folder, args.variant, args.min_docs)))
        return
    try:
        import duckdb  # noqa: F401
        import pyarrow  # noqa: F401
    except ImportError:
        sys.exit("engine_choice.py needs duckdb and pyarrow: .venv/bin/pip install duckdb pyarrow")
    with tempfile.TemporaryDirectory(prefix="cleanpipe-engines-") as tmp:
        folder = Path(tmp)
        make_columns(folder, args.docs, args.bands, args.lines, args.seed)
        print(
            f"# {args.docs:,} documents, {args.bands} bands, {args.lines} line hashes each; "
            f"{os.cpu_count()} cores"
        )
        print("| step | engine | wall s | CPU s | peak MiB above start | rows |")
        print("|---|---|---:|---:|---:|---:|")
        for step in ("candidates", "lines"):
            found = []
            for engine in ("numpy", "duckdb"):
                variant = f"{engine}-{step}"
                out = subprocess.run(
                    [
                        sys.executable,
                        __file__,
                        "--variant",
                        variant,
                        "--folder",
                        str(folder),
                        "--min-docs",
                        str(args.min_docs),
                    ],
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout
                row = json.loads(out)
                found.append((row["rows"], row["digest"]))
                figures = f"{row['seconds']} | {row['cpu']} | {row['peak_mib']} | {row['rows']:,}"
                print(f"| {step} | {engine} | {figures} |")
            same = "identical" if found[0] == found[1] else "DIFFERENT"
            print(f"# {step}: numpy and DuckDB results {same}")


if __name__ == "__main__":
    main()
