"""Choose the ``repeated_line`` threshold: boilerplate removed vs shared content lost.

Usage (from the repository root)::

    .venv/bin/python benchmarks/repeated_lines.py              # both corpora
    .venv/bin/python benchmarks/repeated_lines.py --docs 20000 # a bigger synthetic one

For every threshold ``repeated_line_min_docs`` from 2 to 20 it counts, with the
pipeline's own counting (``count_lines`` / ``repeated_keys``: per source,
distinct texts once, paragraphs of at most ``repeated_line_max_words`` words),
how many paragraph occurrences the rule would remove, split into boilerplate
and content, over two corpora:

* **synthetic** — ``make_corpus.generate``: stories with up to eight copies
  (syndicated, updated, reflowed, truncated), teaser blocks from a shared pool,
  template stories with a fixed disclaimer paragraph. A line found in documents
  of several stories is boilerplate; a line of one story's copies is content.
  Added to it: short quotes that 2-5 different stories of the corpus share
  (a minister's sentence quoted in follow-up stories), in every copy of those
  stories, labelled content: the false positive the rule must not make.
* **benchmark** — the 181 ScrapingHub pages through the HTML path (extract,
  then the paragraph rules), scoped by host; a line is content when the page's
  ground truth holds it. Few hosts have more than one page, so this corpus
  shows what per-site repeats look like, not a threshold on its own.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

sys.path[:0] = [
    str(Path(__file__).resolve().parent),
    str(Path(__file__).resolve().parent.parent / "src"),
]
from cleanpipe.config import ExtractConfig, StripConfig  # noqa: E402
from cleanpipe.models import Draft, Origin  # noqa: E402
from cleanpipe.stages.html import extract_html  # noqa: E402
from cleanpipe.stages.repeated import count_lines, draft_scope, repeated_keys  # noqa: E402
from cleanpipe.stages.strip import line_key, strip_boilerplate  # noqa: E402
from make_corpus import generate  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
BENCHMARK = REPO.parent / "shared" / "benchmarks" / "article-extraction"
THRESHOLDS = range(2, 21)
_ORIGIN = Origin(format="text", path="corpus", sha256="0" * 64)

# Quotes shared by different stories, the rule's hard negatives: one per 20 stories.
_STORIES_PER_QUOTE = 20
_QUOTE_STORIES = (2, 2, 2, 3, 3, 4, 5)
_SPEAKERS = ("the minister said", "the governor told reporters", "she said", "he added")
_QUOTE_WORDS = (
    "we will not let the people down",
    "this is a turning point for the whole region",
    "the water came faster than anyone expected",
    "our priority is to keep every school open",
    "prices will come down before the new year",
    "nobody should have to wait that long for a doctor",
    "the decision was made after months of talks",
    "we are ready to work with any partner",
)


@dataclass(frozen=True)
class Labelled:
    """A corpus: drafts, and per draft the keys of its lines that are content."""

    drafts: list[Draft]
    content: list[frozenset[str]]


def synthetic(num_docs: int, seed: int) -> Labelled:
    """The generated corpus with shared quotes added; content = lines of one story."""
    docs = list(generate(num_docs, seed=seed))
    stories = sorted({d.cluster for d in docs})
    rng = random.Random(f"quotes-{seed}")
    quotes_of: dict[int, list[str]] = {}
    for index in range(max(1, len(stories) // _STORIES_PER_QUOTE)):
        words = rng.choice(_QUOTE_WORDS)
        quote = f"“{words.capitalize()} ({index}),” {rng.choice(_SPEAKERS)}."
        for story in rng.sample(stories, rng.choice(_QUOTE_STORIES)):
            quotes_of.setdefault(story, []).append(quote)
    # The pipeline counts lines after the paragraph rules, so they run here too.
    paragraphs_of = [
        list(
            strip_boilerplate(
                [
                    *d.text.split("\n\n")[:2],
                    *quotes_of.get(d.cluster, []),
                    *d.text.split("\n\n")[2:],
                ]
            ).paragraphs
        )
        for d in docs
    ]
    quote_keys = {line_key(q) for qs in quotes_of.values() for q in qs}
    stories_of: dict[str, set[int]] = {}
    for doc, paragraphs in zip(docs, paragraphs_of, strict=True):
        for p in paragraphs:
            stories_of.setdefault(line_key(p), set()).add(doc.cluster)
    drafts = [Draft(origin=_ORIGIN, paragraphs=tuple(p)) for p in paragraphs_of]
    content = [
        frozenset(
            key
            for key in map(line_key, paragraphs)
            if len(stories_of[key]) == 1 or key in quote_keys
        )
        for paragraphs in paragraphs_of
    ]
    return Labelled(drafts, content)


_WORD = re.compile(r"\w+")


def _norm(text: str) -> str:
    return " ".join(_WORD.findall(text.casefold()))


def benchmark(folder: Path) -> Labelled:
    """The benchmark's pages through the HTML path, by host; content = in the ground truth."""
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    drafts, content = [], []
    for page_id in sorted(truth):
        entry = truth[page_id]
        html = gzip.decompress((folder / "html" / f"{page_id}.html.gz").read_bytes())
        found = extract_html(html.decode("utf-8"), url=entry["url"], config=ExtractConfig())
        kept = strip_boilerplate(found.paragraphs, title=found.title).paragraphs
        host = urlsplit(entry["url"]).netloc.removeprefix("www.")
        drafts.append(Draft(origin=_ORIGIN, paragraphs=kept, source=host))
        body = _norm(entry["articleBody"])
        content.append(frozenset(line_key(p) for p in kept if _norm(p) and _norm(p) in body))
    return Labelled(drafts, content)


@dataclass(frozen=True)
class Row:
    threshold: int
    boilerplate_removed: int
    boilerplate_total: int
    content_removed: int
    content_docs: int  # documents that lose at least one content line


def measure(corpus: Labelled, thresholds: Iterable[int]) -> list[Row]:
    """Count the occurrences the rule removes at each threshold, by label."""
    rows = []
    base = StripConfig()
    counts = count_lines(corpus.drafts, config=base)
    for threshold in thresholds:
        config = base.model_copy(update={"repeated_line_min_docs": threshold})
        keys = repeated_keys(counts, config=config)
        boiler = boiler_total = lost = lost_docs = 0
        for draft, content in zip(corpus.drafts, corpus.content, strict=True):
            repeated = keys.get(draft_scope(draft), frozenset())
            lines = Counter(line_key(p) for p in draft.paragraphs)
            hit = 0
            for key, n in lines.items():
                if key in content:
                    if key in repeated:
                        hit += n
                else:
                    boiler_total += n
                    boiler += n if key in repeated else 0
            lost += hit
            lost_docs += hit > 0
        rows.append(Row(threshold, boiler, boiler_total, lost, lost_docs))
    return rows


def print_table(title: str, corpus: Labelled, rows: list[Row]) -> None:
    print(f"{title}: {len(corpus.drafts)} documents")
    print()
    print("| min docs | boilerplate removed | share | content lines lost | documents hit |")
    print("|---:|---:|---:|---:|---:|")
    for r in rows:
        share = r.boilerplate_removed / r.boilerplate_total if r.boilerplate_total else 0.0
        print(
            f"| {r.threshold} | {r.boilerplate_removed} / {r.boilerplate_total} | {share:.3f} "
            f"| {r.content_removed} | {r.content_docs} |"
        )
    print()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=10_000, help="synthetic corpus size")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--data", type=Path, default=BENCHMARK)
    args = parser.parse_args(argv)

    corpus = synthetic(args.docs, args.seed)
    print_table(
        "synthetic corpus (make_corpus + shared quotes)", corpus, measure(corpus, THRESHOLDS)
    )
    if (args.data / "ground-truth.json").is_file():
        pages = benchmark(args.data)
        print_table(
            "benchmark pages through the HTML path, by host", pages, measure(pages, THRESHOLDS)
        )
    else:
        print(f"{args.data}: benchmark data not found; synthetic table only")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
