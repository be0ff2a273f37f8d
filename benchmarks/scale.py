"""Scale-out benchmark: the generated corpus at three sizes, local vs dask on 1 and 2 workers.

Writes a dump folder per size (``write_dump``: plain-text files in nested
folders, JSONL feeds with a source, HTML pages, a gzip member and a few bad
inputs, from ``make_corpus.generate``), then runs ``cleanpipe.run`` on it with
each engine in a fresh subprocess and reports docs/s, peak RSS (the driver
plus every worker process, sampled every 0.1 s and summed), the output bytes per
input document, and the scaling ratio of 2 dask workers over 1. Every run's
``articles.jsonl`` and ``rejects.jsonl`` are compared with the local engine's.

Usage::

    .venv/bin/python benchmarks/scale.py --sizes 2000 8000 20000
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_corpus import generate

_SOURCES = ("VNA", "AFP", "Reuters")


def write_dump(root: Path, num_docs: int, *, seed: int = 1) -> None:
    """Write a dump folder of ``num_docs`` generated documents in mixed formats.

    Folder and file names are chosen so that the reader's walk order
    (``feeds/…`` before ``feeds-extra.jsonl`` before ``feeds.jsonl``) differs
    from the records' ``(path, line)`` order, and exact copies land in
    different formats and sources.
    """
    root.mkdir(parents=True, exist_ok=True)
    feeds: dict[str, list[str]] = {}
    for doc in generate(num_docs, seed=seed):
        slot = doc.id % 10
        title = f"Story {doc.cluster}: {doc.text.split('.')[0][:60]}"
        if slot < 5:
            folder = root / "txt" / f"{doc.id // 200:03d}"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{doc.id:06d}.txt").write_text(f"{title}\n\n{doc.text}\n", "utf-8")
        elif slot < 8:
            name = ("feeds.jsonl", "feeds-extra.jsonl", f"feeds/{doc.id // 500:03d}.jsonl")[
                slot - 5
            ]
            source = _SOURCES[doc.cluster % 3]
            # A desk line every feed item of a source carries: corpus-level
            # boilerplate that only the repeated-line statistics can find.
            text = f"{doc.text}\n\nCompiled by the {source} regional desk for partner newsrooms."
            record = {"title": title, "text": text, "source": source}
            feeds.setdefault(name, []).append(json.dumps(record, ensure_ascii=False))
        elif slot == 8:
            folder = root / "html" / f"{doc.id // 200:03d}"
            folder.mkdir(parents=True, exist_ok=True)
            body = "".join(f"<p>{p}</p>" for p in doc.text.split("\n\n"))
            page = (
                f"<!doctype html><html><head><title>{title}</title></head><body>"
                f"<nav><a href='/'>Home</a> <a href='/world'>World</a></nav>"
                f"<article><h1>{title}</h1>{body}</article>"
                f"<footer>Copyright 2024 Example News</footer></body></html>"
            )
            (folder / f"{doc.id:06d}.html").write_text(page, "utf-8")
        else:
            folder = root / "gz"
            folder.mkdir(parents=True, exist_ok=True)
            data = f"{title}\n\n{doc.text}\n".encode()
            (folder / f"{doc.id:06d}.txt.gz").write_bytes(gzip.compress(data, mtime=0))
    for name, lines in feeds.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n", "utf-8")
    # Inputs that must end in rejects.jsonl, identically on every engine.
    (root / "bad").mkdir(exist_ok=True)
    (root / "bad" / "empty.txt").write_bytes(b"")
    (root / "bad" / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    (root / "bad" / "broken.jsonl").write_text('{"text": "fine enough"}\n{"text": \n', "utf-8")


_CHILD = r"""
import json, sys, threading, time
import psutil
from cleanpipe.config import Config
from cleanpipe.pipeline import run

def tree_rss():
    me = psutil.Process()
    total = 0
    for proc in [me, *me.children(recursive=True)]:
        try:
            total += proc.memory_info().rss
        except psutil.Error:
            pass
    return total

def main():
    raw, out, engine, workers = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    peak = [0]
    stop = threading.Event()
    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], tree_rss())
            stop.wait(0.1)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    config = Config(workers=workers, engine=engine)
    start = time.perf_counter()
    report = run(raw, out, config=config)
    seconds = time.perf_counter() - start
    stop.set()
    sampler.join()
    print(json.dumps({"seconds": seconds, "inputs": report.inputs, "records": report.records,
                      "peak_rss": peak[0]}))

if __name__ == "__main__":
    main()
"""


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_engine(raw: Path, out: Path, *, engine: str, workers: int) -> dict[str, float]:
    """Run one engine in a fresh interpreter; return its figures."""
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(raw), str(out), engine, str(workers)],
        check=True,
        capture_output=True,
        text=True,
    )
    figures: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs=3, default=[2000, 8000, 20000])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    runs = [("local", 2), ("dask", 1), ("dask", 2)]
    print(
        f"{'docs':>7} {'engine':>8} {'workers':>7} {'seconds':>8} {'docs/s':>8} "
        f"{'peak RSS MiB':>12} {'out B/doc':>9} {'identical':>9}"
    )
    with tempfile.TemporaryDirectory(prefix="cleanpipe-scale-") as tmp:
        for size in args.sizes:
            raw = Path(tmp) / f"raw{size}"
            write_dump(raw, size, seed=args.seed)
            reference: tuple[str, str] | None = None
            per_worker: dict[int, float] = {}
            for engine, workers in runs:
                out = Path(tmp) / f"out{size}-{engine}{workers}"
                figures = run_engine(raw, out, engine=engine, workers=workers)
                digests = (_digest(out / "articles.jsonl"), _digest(out / "rejects.jsonl"))
                reference = reference or digests
                rss_mib = figures["peak_rss"] / 2**20
                rate = figures["inputs"] / figures["seconds"]
                out_bytes = (out / "articles.jsonl").stat().st_size / figures["inputs"]
                if engine == "dask":
                    per_worker[workers] = rate
                print(
                    f"{int(figures['inputs']):>7} {engine:>8} {workers:>7} "
                    f"{figures['seconds']:>8.2f} {rate:>8.1f} {rss_mib:>12.0f} "
                    f"{out_bytes:>9.0f} {digests == reference!s:>9}"
                )
            print(
                f"{'':>7} dask scaling 2 workers / 1 worker: {per_worker[2] / per_worker[1]:.2f}x"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
