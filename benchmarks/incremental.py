"""Measure an incremental run on an appended dump against a full re-run.

Usage (from the repository root)::

    .venv/bin/python benchmarks/incremental.py                   # 5,000 files + 500
    .venv/bin/python benchmarks/incremental.py --docs 1000 --append 100 --workers 2

The dump is generated (no downloads) from ``make_corpus.py``: one HTML page per
document (the extraction path real scrapes take), ``--docs`` of them. A first
``--incremental`` run writes OUT and its state. Then ``--append`` files are
added: the next documents of the generator (new stories, and copies of the
story cut at the boundary) and, one in ten, an exact or updated copy of an old
page (named to sort among the old ones, so they join existing records). The
second ``--incremental`` run is timed against a full run of the new dump into
another folder, and the two outputs must agree: the same ``articles.jsonl``
and ``rejects.jsonl`` bytes, the same report.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

# The repository's own sources first, so the benchmark measures the working tree.
sys.path[:0] = [
    str(Path(__file__).resolve().parent),
    str(Path(__file__).resolve().parents[1] / "src"),
]

from _common import html_page  # noqa: E402
from cleanpipe import Config, Report, run  # noqa: E402
from make_corpus import generate  # noqa: E402


def write_dump(raw: Path, *, docs: int, append: int) -> None:
    """Write the first ``docs`` documents, or with ``append`` the ones after them too."""
    raw.mkdir(parents=True, exist_ok=True)
    texts: list[str] = []
    for doc in generate(docs + append):
        texts.append(doc.text)
        name = f"{doc.id:06d}.html"
        if not (raw / name).exists():
            (raw / name).write_bytes(html_page(f"Story {doc.cluster}", doc.text))
    if not append:
        return
    # Copies of old pages; `{id}-copy` sorts right after its original.
    for i, old in enumerate(range(0, docs, max(1, docs // max(1, append // 10)))):
        text = texts[old]
        if i % 2:  # an updated copy: one paragraph more, so it becomes the kept text
            text += "\n\nThe ministry said on Friday that it would publish the full figures."
        (raw / f"{old:06d}-copy.html").write_bytes(html_page(f"Copy of {old}", text))


def _timed_run(raw: Path, out: Path, config: Config) -> tuple[Report, float]:
    start = time.perf_counter()
    report = run(raw, out, config=config)
    return report, time.perf_counter() - start


def _same_output(left: Path, right: Path) -> bool:
    def report(out: Path) -> dict[str, object]:
        data: dict[str, object] = json.loads((out / "report.json").read_text("utf-8"))
        return data

    files = ("articles.jsonl", "rejects.jsonl")
    same_files = all((left / n).read_bytes() == (right / n).read_bytes() for n in files)
    return same_files and report(left) == report(right)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=5000, help="files of the first dump")
    parser.add_argument("--append", type=int, default=500, help="files appended to it")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    config = Config(workers=args.workers)
    with tempfile.TemporaryDirectory(prefix="cleanpipe-incremental-") as tmp:
        raw, inc, full = Path(tmp, "raw"), Path(tmp, "inc"), Path(tmp, "full")
        write_dump(raw, docs=args.docs, append=0)
        first, t_first = _timed_run(raw, inc, config.model_copy(update={"incremental": True}))
        before = sum(1 for _ in raw.iterdir())
        write_dump(raw, docs=args.docs, append=args.append)
        added = sum(1 for _ in raw.iterdir()) - before
        again, t_inc = _timed_run(raw, inc, config.model_copy(update={"incremental": True}))
        fresh, t_full = _timed_run(raw, full, config)
        agree = _same_output(inc, full)
        state = sum(p.stat().st_size for p in (inc / ".cleanpipe" / "current").iterdir())
    print(f"dump: {before} HTML files, then {added} appended; workers {args.workers}")
    print(f"first run (--incremental, empty OUT): {t_first:7.2f} s  {first.records} records")
    print(
        f"incremental run after the append:     {t_inc:7.2f} s  {again.records} records  "
        f"({again.timings.files_processed} files processed, "
        f"{again.timings.files_unchanged} unchanged)"
    )
    print(f"full re-run of the new dump:          {t_full:7.2f} s  {fresh.records} records")
    print(f"speed-up: {t_full / t_inc:.1f}x   outputs agree: {agree}")
    print(f"state beside the output: {state / 2**20:.1f} MiB (articles, rejects, report included)")
    phases = ("read_extract_strip", "repeated_lines", "dedup", "merge", "write")
    for name, report in (("incremental", again), ("full", fresh)):
        timings = report.timings.model_dump()
        print(f"  {name:12s} " + "  ".join(f"{p} {timings[p]:.2f}" for p in phases))
    return 0 if agree else 1


if __name__ == "__main__":
    raise SystemExit(main())
