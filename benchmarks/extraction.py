"""Score cleanpipe's HTML path against trafilatura alone on both extraction dev sets.

Usage (from the repository root)::

    .venv/bin/python benchmarks/extraction.py             # both tables
    .venv/bin/python benchmarks/extraction.py --ablation  # and each rule / step switched off
    .venv/bin/python benchmarks/extraction.py --set wcxb --worst 15 --limit 100

Two sets, judged together (a rule earns its place only if it hurts neither):
ScrapingHub's article-extraction benchmark (181 pages, ``ground-truth.json``)
and the article pages of WCXB's development split (709 pages of other sites,
``truth.json``; CC-BY-4.0, Murrough Foley), both read from
``../shared/benchmarks`` beside the repository, never copied into it. Every
extractor runs over every page in the same process, scored with the
ScrapingHub metric (see ``_scoring.py``). pages/s counts only the extraction
call, on pages already decompressed and decoded, in CPU time of this process
(every extractor here is single-threaded), with every extractor run on a page
before the next page (see ``run``), so that other jobs on a shared machine do
not tilt the comparison.

The ablation switches off, one at a time, each step of the HTML path
(``cleanpipe.stages.html.HTML_STEPS``) and each strip rule
(``cleanpipe.stages.strip.RULE_NAMES``), and prints F1/P/R on both sets with
the change against everything on.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path

import trafilatura
from trafilatura.utils import decode_file

# The repository's own sources first, so the benchmark scores the working tree.
sys.path[:0] = [
    str(Path(__file__).resolve().parent),
    str(Path(__file__).resolve().parent.parent / "src"),
]
from _scoring import PageScore, Summary, score_page, summarize, tokenize  # noqa: E402
from cleanpipe.config import ExtractConfig, StripConfig  # noqa: E402
from cleanpipe.stages.html import HTML_STEPS, extract_html  # noqa: E402
from cleanpipe.stages.strip import RULE_NAMES, strip_boilerplate  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "benchmarks"

Extractor = Callable[[str, str], str]


@dataclass(frozen=True)
class Page:
    id: str
    url: str
    html: str
    truth: str


def load_scrapinghub(folder: Path, limit: int | None = None) -> list[Page]:
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for page_id in sorted(truth)[:limit]:
        raw = gzip.decompress((folder / "html" / f"{page_id}.html.gz").read_bytes())
        entry = truth[page_id]
        pages.append(Page(page_id, entry["url"], raw.decode("utf-8"), entry["articleBody"]))
    return pages


def load_wcxb(folder: Path, limit: int | None = None) -> list[Page]:
    truth = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
    pages = []
    for name in sorted(truth)[:limit]:
        raw = gzip.decompress((folder / "html" / name).read_bytes())
        entry = truth[name]
        pages.append(Page(name.split(".")[0], entry["url"] or "", decode_file(raw), entry["text"]))
    return pages


@dataclass(frozen=True)
class DevSet:
    title: str
    folder: Path
    marker: str  # the file that says the data is there
    load: Callable[[Path, int | None], list[Page]]


SETS = {
    "scrapinghub": DevSet(
        "ScrapingHub article-extraction benchmark",
        SHARED / "article-extraction",
        "ground-truth.json",
        load_scrapinghub,
    ),
    "wcxb": DevSet(
        "WCXB dev split, article pages (CC-BY-4.0, M. Foley)",
        SHARED / "wcxb-dev",
        "truth.json",
        load_wcxb,
    ),
}

_EXTRACT = ExtractConfig()


def run_cleanpipe(
    html: str,
    url: str,
    *,
    steps_off: Collection[str] = (),
    rules_off: tuple[str, ...] = (),
) -> str:
    """The HTML path as the pipeline runs it: extract, then strip."""
    result = extract_html(html, url=url, config=_EXTRACT, disabled_steps=steps_off)
    if not steps_off:
        _EXTRACTED[html] = (result.paragraphs, result.title)  # for the ablation
    return _strip(result.paragraphs, result.title, rules_off)


# What the table's run extracted, by page, so the ablation need not extract it again.
_EXTRACTED: dict[str, tuple[tuple[str, ...], str | None]] = {}


def _strip(paragraphs: tuple[str, ...], title: str | None, rules_off: tuple[str, ...]) -> str:
    config = StripConfig(disabled_rules=rules_off)
    return "\n\n".join(strip_boilerplate(paragraphs, title=title, config=config).paragraphs)


def run_trafilatura_default(html: str, url: str) -> str:
    return trafilatura.extract(html, url=url) or ""


def run_trafilatura_precision(html: str, url: str) -> str:
    return trafilatura.extract(html, url=url, favor_precision=True, include_comments=False) or ""


EXTRACTORS: dict[str, Extractor] = {
    "cleanpipe": run_cleanpipe,
    "trafilatura (default)": run_trafilatura_default,
    "trafilatura (precision, no comments)": run_trafilatura_precision,
}


def run(extractors: dict[str, Extractor], pages: list[Page]) -> dict[str, tuple[list[str], float]]:
    """Each extractor's outputs and CPU seconds, all run on a page before the next page.

    Page by page, in an order that rotates from page to page, so that a change in
    the load of a shared machine (or a warm cache) weighs on every extractor alike;
    each extractor first runs once, untimed, on the first page.
    """
    names = list(extractors)
    if pages:  # untimed, once each: lazy imports, compiled patterns and caches warm up
        for extractor in extractors.values():
            extractor(pages[0].html, pages[0].url)
    outputs: dict[str, list[str]] = {name: [] for name in names}
    elapsed = dict.fromkeys(names, 0.0)
    for number, page in enumerate(pages):
        for name in names[number % len(names) :] + names[: number % len(names)]:
            start = time.process_time()
            outputs[name].append(extractors[name](page.html, page.url))
            elapsed[name] += time.process_time() - start
    return {name: (outputs[name], elapsed[name]) for name in names}


def score(pages: list[Page], outputs: list[str]) -> list[PageScore]:
    return [score_page(p.truth, out) for p, out in zip(pages, outputs, strict=True)]


def print_table(title: str, count: int, rows: list[tuple[str, Summary, float]]) -> None:
    print(f"{title}, {count} pages")
    print()
    print("| extractor | F1 | precision | recall | accuracy | pages/s |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, s, speed in rows:
        print(
            f"| {name} | {s.f1:.4f} | {s.precision:.4f} | {s.recall:.4f} "
            f"| {s.accuracy:.3f} | {speed:.1f} |"
        )
    print()


def print_lost(pages: list[Page], ours: list[str], theirs: list[str], count: int) -> None:
    """Print what cleanpipe lost and trafilatura default kept, page by page, worst first."""
    gaps = []
    for page, mine, other in zip(pages, ours, theirs, strict=True):
        gap = score_page(page.truth, other).recall - score_page(page.truth, mine).recall
        gaps.append((gap, page, mine, other))
    gaps.sort(key=lambda g: -g[0])
    for gap, page, mine, other in gaps[:count]:
        if gap <= 0:
            break
        print(f"recall -{gap:.3f} {page.id} {page.url}")
        truth, kept = _tokens(page.truth), _tokens(mine)
        lost = [
            paragraph
            for paragraph in other.split("\n")
            if (tokens := _tokens(paragraph)) and tokens in truth and tokens not in kept
        ]
        for paragraph in lost[:_MAX_LOST_SHOWN]:
            print(f"    lost: {paragraph[:160]}")
        if len(lost) > _MAX_LOST_SHOWN:
            print(f"    ... and {len(lost) - _MAX_LOST_SHOWN} more")
    print()


_MAX_LOST_SHOWN = 8


def _tokens(text: str) -> str:
    return " ".join(tokenize(text))


def ablate(pages_by_set: dict[str, list[Page]]) -> None:
    """Print F1/P/R per set with each HTML step, then each strip rule, switched off."""
    variants: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = [("everything on", (), ())]
    variants += [(f"html step `{s}` off", (s,), ()) for s in HTML_STEPS]
    variants += [(f"strip rule `{r}` off", (), (r,)) for r in RULE_NAMES if r != "repeated_line"]
    variants.append(("strip stage off", (), tuple(RULE_NAMES)))
    results: dict[str, dict[str, Summary]] = {name: {} for name, _, _ in variants}
    for set_name, pages in pages_by_set.items():
        # Extract once per set of HTML steps; the strip variants reuse "everything on".
        extracted: dict[tuple[str, ...], list[tuple[tuple[str, ...], str | None]]] = {}
        for name, steps_off, rules_off in variants:
            if steps_off not in extracted:
                extracted[steps_off] = [_paragraphs(page, steps_off) for page in pages]
            outputs = [_strip(p, t, rules_off) for p, t in extracted[steps_off]]
            results[name][set_name] = summarize(score(pages, outputs))
    sets = list(pages_by_set)
    print("Ablation: cleanpipe with one thing switched off (Δ F1 against everything on)")
    print()
    head = " | ".join(f"{SETS[s].title.split()[0]} F1 | P | R | ΔF1" for s in sets)
    print(f"| switched off | {head} |")
    print("|---|" + "---:|---:|---:|---:|" * len(sets))
    base = results["everything on"]
    for name, _, _ in variants:
        cells = []
        for s in sets:
            r = results[name][s]
            delta = 100 * (r.f1 - base[s].f1)
            cells.append(f"{r.f1:.4f} | {r.precision:.4f} | {r.recall:.4f} | {delta:+.2f}")
        print(f"| {name} | " + " | ".join(cells) + " |")
    print()


def _paragraphs(page: Page, steps_off: tuple[str, ...]) -> tuple[tuple[str, ...], str | None]:
    if not steps_off and page.html in _EXTRACTED:
        return _EXTRACTED[page.html]
    result = extract_html(page.html, url=page.url, config=_EXTRACT, disabled_steps=steps_off)
    return result.paragraphs, result.title


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=sorted(SETS), action="append", dest="sets")
    parser.add_argument("--limit", type=int, help="score only the first N pages (by id) of a set")
    parser.add_argument("--only", choices=sorted(EXTRACTORS), action="append")
    parser.add_argument("--ablation", action="store_true", help="switch each rule/step off")
    parser.add_argument("--worst", type=int, default=0, help="list cleanpipe's N worst pages")
    parser.add_argument("--dump", type=Path, help="write each page's predictions here")
    parser.add_argument(
        "--diff",
        type=int,
        default=0,
        help="for the N pages where cleanpipe's recall trails trafilatura default's most, "
        "print the true paragraphs trafilatura kept and cleanpipe lost",
    )
    args = parser.parse_args(argv)

    pages_by_set: dict[str, list[Page]] = {}
    for set_name in args.sets or list(SETS):
        dev = SETS[set_name]
        if not (dev.folder / dev.marker).is_file():
            print(f"{dev.folder}: benchmark data not found (expected ../shared beside the repo)")
            return 2
        pages_by_set[set_name] = dev.load(dev.folder, args.limit)

    names = args.only or list(EXTRACTORS)
    for set_name, pages in pages_by_set.items():
        rows = []
        per_page: dict[str, list[PageScore]] = {}
        texts: dict[str, list[str]] = {}
        results = run({name: EXTRACTORS[name] for name in names}, pages)
        for name in names:
            outputs, elapsed = results[name]
            texts[name] = outputs
            per_page[name] = score(pages, outputs)
            rows.append((name, summarize(per_page[name]), len(pages) / elapsed))
            if args.dump:
                folder = args.dump / set_name / name.split()[-1].strip("()")
                folder.mkdir(parents=True, exist_ok=True)
                for page, out in zip(pages, outputs, strict=True):
                    (folder / f"{page.id}.txt").write_text(out, encoding="utf-8")
        print_table(SETS[set_name].title, len(pages), rows)
        if args.worst and "cleanpipe" in per_page:
            ranked = sorted(
                zip(pages, per_page["cleanpipe"], strict=True),
                key=lambda ps: min(ps[1].precision, ps[1].recall),
            )
            for page, s in ranked[: args.worst]:
                print(f"P={s.precision:.3f} R={s.recall:.3f} {page.id[:12]} {page.url}")
            print()
        if args.diff and {"cleanpipe", "trafilatura (default)"} <= set(texts):
            print_lost(pages, texts["cleanpipe"], texts["trafilatura (default)"], args.diff)

    if args.ablation:
        ablate(pages_by_set)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
