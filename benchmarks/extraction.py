"""Score cleanpipe's HTML path against trafilatura alone on the ScrapingHub benchmark.

Usage (from the repository root)::

    .venv/bin/python benchmarks/extraction.py            # the table
    .venv/bin/python benchmarks/extraction.py --worst 15 # and cleanpipe's worst pages

The data (181 pages with ground truth) is read from
``../shared/benchmarks/article-extraction`` beside the repository, never copied
into it. Every extractor runs over every page in the same process, and the
metric is the benchmark's own (see ``_scoring.py``). pages/s counts only the
extraction call, on pages already decompressed and decoded.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import trafilatura

# The repository's own sources first, so the benchmark scores the working tree.
sys.path[:0] = [
    str(Path(__file__).resolve().parent),
    str(Path(__file__).resolve().parent.parent / "src"),
]
from _scoring import PageScore, score_page, summarize  # noqa: E402
from cleanpipe.config import ExtractConfig, StripConfig  # noqa: E402
from cleanpipe.stages.html import extract_html  # noqa: E402

try:  # the strip stage joins the HTML path once it exists
    from cleanpipe.stages.strip import strip_boilerplate
except ImportError:  # pragma: no cover - before the pipeline lands
    strip_boilerplate = None

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "benchmarks" / "article-extraction"

Extractor = Callable[[str, str], str]


@dataclass(frozen=True)
class Page:
    id: str
    url: str
    html: str
    truth: str


def load_pages(folder: Path, limit: int | None = None) -> list[Page]:
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for page_id in sorted(truth)[:limit]:
        raw = gzip.decompress((folder / "html" / f"{page_id}.html.gz").read_bytes())
        entry = truth[page_id]
        pages.append(Page(page_id, entry["url"], raw.decode("utf-8"), entry["articleBody"]))
    return pages


_EXTRACT = ExtractConfig()
_STRIP = StripConfig()


def run_cleanpipe(html: str, url: str) -> str:
    result = extract_html(html, url=url, config=_EXTRACT)
    paragraphs = result.paragraphs
    if strip_boilerplate is not None:
        paragraphs = strip_boilerplate(paragraphs, title=result.title, config=_STRIP).paragraphs
    return "\n\n".join(paragraphs)


def run_trafilatura_default(html: str, url: str) -> str:
    return trafilatura.extract(html, url=url) or ""


def run_trafilatura_precision(html: str, url: str) -> str:
    return trafilatura.extract(html, url=url, favor_precision=True, include_comments=False) or ""


EXTRACTORS: dict[str, Extractor] = {
    "cleanpipe": run_cleanpipe,
    "trafilatura (default)": run_trafilatura_default,
    "trafilatura (precision, no comments)": run_trafilatura_precision,
}


def run(extractor: Extractor, pages: list[Page]) -> tuple[list[str], float]:
    outputs = []
    elapsed = 0.0
    for page in pages:
        start = time.perf_counter()
        outputs.append(extractor(page.html, page.url))
        elapsed += time.perf_counter() - start
    return outputs, elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--limit", type=int, help="score only the first N pages (by id)")
    parser.add_argument("--only", choices=sorted(EXTRACTORS), action="append")
    parser.add_argument("--worst", type=int, default=0, help="list cleanpipe's N worst pages")
    parser.add_argument("--dump", type=Path, help="write each page's predictions here")
    args = parser.parse_args(argv)

    if not (args.data / "ground-truth.json").is_file():
        print(f"{args.data}: benchmark data not found (expected ../shared beside the repo)")
        return 2
    pages = load_pages(args.data, args.limit)
    names = args.only or list(EXTRACTORS)
    rows = []
    per_page: dict[str, list[PageScore]] = {}
    for name in names:
        outputs, elapsed = run(EXTRACTORS[name], pages)
        scores = [score_page(p.truth, out) for p, out in zip(pages, outputs, strict=True)]
        per_page[name] = scores
        summary = summarize(scores)
        rows.append((name, summary, len(pages) / elapsed))
        if args.dump:
            folder = args.dump / name.split()[0] / ("" if name == "cleanpipe" else name.split()[1])
            folder.mkdir(parents=True, exist_ok=True)
            for page, out in zip(pages, outputs, strict=True):
                (folder / f"{page.id}.txt").write_text(out, encoding="utf-8")

    print(f"ScrapingHub article-extraction benchmark, {len(pages)} pages")
    print()
    print("| extractor | F1 | precision | recall | accuracy | pages/s |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, s, speed in rows:
        print(
            f"| {name} | {s.f1:.4f} | {s.precision:.4f} | {s.recall:.4f} "
            f"| {s.accuracy:.3f} | {speed:.1f} |"
        )

    if args.worst and "cleanpipe" in per_page:
        print()
        ranked = sorted(
            zip(pages, per_page["cleanpipe"], strict=True),
            key=lambda ps: min(ps[1].precision, ps[1].recall),
        )
        for page, s in ranked[: args.worst]:
            print(f"P={s.precision:.3f} R={s.recall:.3f} {page.id[:12]} {page.url}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
