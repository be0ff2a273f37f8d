"""Near-duplicates on real article text: a labelled corpus, and cleanpipe's clustering scored.

The stories are the ground-truth bodies of the two extraction benchmarks in
``../shared/benchmarks`` (ScrapingHub ``article-extraction/ground-truth.json``
and ``wcxb-dev/truth.json``, 890 pages of real news and blog text). Bodies that
share text with another body (8-word shingle containment over 0.3) are left
out, so that the labels are right. From a seed, each story gets 0-3 copies:

* ``truncated``: the first 40-90% of its words, cut at a paragraph or mid-sentence
  (with a "Read the full story" line);
* ``syndicated``: another dateline, byline, photo caption, a shared teaser block
  and an agency end mark around it, and a rewritten lede (sentences reordered,
  words dropped, a lead-in phrase);
* ``updated``: one or two paragraphs added (text of a story not otherwise used),
  one or two edited (figures changed, words replaced), an "Updated" line;
* ``reflowed``: hard-wrapped at 60-78 columns, doubled spaces, straight quotes;
* ``html``: the page's own HTML re-extracted (trafilatura, through
  ``cleanpipe.stages.extract``) rather than its ground-truth text.

About a fifth of the stories with copies lose their original, so copies must be
joined with each other, not only through it. Hard negatives (stories of their own,
whose false merges are counted by type):

* ``template``: distinct stories of one site carrying the same site template:
  two real "about us" / disclaimer paragraphs (from a story not otherwise used)
  and the same header and footer lines; half of them briefs of 40-150 words;
* ``followup``: a later story (another real body, cut to 3-8 paragraphs) that
  reuses one background paragraph of a story in the corpus;
* ``teaser``: distinct stories ending in the same "Read more" teaser block
  (real first sentences of other stories);
* ``short``: distinct short stories (the first 25-90 words of a body), some with a
  short copy of their own (``short_copy``: a dateline and an end mark added).

Every document goes through ``cleanpipe.clean`` with dedup off, as a user
would see it (extraction, boilerplate rules, normalisation, repeated lines), and
the cleaned texts are clustered with ``cleanpipe.stages.dedup.cluster_labels``.
Output: pairwise P/R/F1, recall per copy type (pairs of a story's original or
copies of that type with the rest of the story) and precision per negative type
(predicted pairs with a document of that type).

Usage::

    PYTHONPATH=src python benchmarks/real_dups.py --seed 1
    PYTHONPATH=src python benchmarks/real_dups.py --seed 2 --show-errors 10
    PYTHONPATH=src python benchmarks/real_dups.py --set jaccard_threshold=0.5   # an ablation

The first run of a seed cleans the documents (about a minute, trafilatura for
the HTML copies) and caches the texts in ``--cache``.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import itertools
import json
import random
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import numpy as np

from _common import pairwise_scores

_ROOT = Path(__file__).resolve().parents[2] / "shared" / "benchmarks"
_SENTENCE = re.compile(r"(?<=[.!?。])\s+")
_NUMBER = re.compile(r"\d+")
# Bump when the corpus recipe changes: the cache key of the cleaned texts.
_RECIPE = 8

COPY_TYPES = ("truncated", "syndicated", "updated", "reflowed", "html", "short_copy")
NEGATIVE_TYPES = ("template", "followup", "teaser", "short")

_DATELINES = (
    "HANOI (VNA) —",
    "LONDON (Reuters) -",
    "NEW YORK, March 3 (AP) —",
    "PARIS (AFP) -",
    "SYDNEY —",
    "WASHINGTON (Bloomberg) --",
)
_BYLINES = ("By Staff Writer", "By Wire Service", "By Our Correspondent", "Reporting by Newsdesk")
_END_MARKS = ("(VNA)", "— Reuters", "(AP)", "— AFP", "(Editing by the desk)", "###")
_LEADINS = ("According to reports,", "Officials said that", "In news this week,", "It emerged that")
_SITE_LINES = (
    "Home | News | World | Business | Sport | Culture",
    "Sign up for our daily newsletter and never miss a story.",
    "Follow us on Facebook, Twitter and Instagram.",
    "Share this article",
    "All rights reserved. Reproduction without permission is prohibited.",
    "Advertisement",
    "Comments are closed.",
)


@dataclass
class Doc:
    """One document of the corpus before cleaning."""

    cluster: int
    kind: str  # "original", a COPY_TYPES entry, or a NEGATIVE_TYPES entry
    title: str
    text: str | None = None  # plain body (paragraphs on blank lines)
    html: str | None = None  # or a page to extract
    truth: str = ""  # for an html copy: the story's ground-truth body


# --------------------------------------------------------------------------- sources
@dataclass(frozen=True)
class Body:
    key: str
    site: str
    title: str
    paragraphs: tuple[str, ...]
    html_path: Path

    @property
    def words(self) -> int:
        return sum(len(p.split()) for p in self.paragraphs)


def _paragraphs(text: str) -> tuple[str, ...]:
    return tuple(" ".join(p.split()) for p in re.split(r"\n\s*\n|\n", text) if p.strip())


def load_bodies(root: Path) -> list[Body]:
    bodies: list[Body] = []
    truth = json.loads((root / "article-extraction" / "ground-truth.json").read_text())
    for key, entry in sorted(truth.items()):
        paragraphs = _paragraphs(entry["articleBody"])
        bodies.append(
            Body(
                f"ae/{key[:12]}",
                urlparse(entry["url"]).netloc.removeprefix("www."),
                paragraphs[0][:60].rsplit(" ", 1)[0] if paragraphs else "",
                paragraphs,
                root / "article-extraction" / "html" / f"{key}.html.gz",
            )
        )
    wcxb = json.loads((root / "wcxb-dev" / "truth.json").read_text())
    for key, entry in sorted(wcxb.items()):
        bodies.append(
            Body(
                f"wcxb/{key.split('.')[0]}",
                urlparse(entry.get("url") or "").netloc.removeprefix("www."),
                entry.get("title") or "",
                _paragraphs(entry["text"]),
                root / "wcxb-dev" / "html" / key,
            )
        )
    return [b for b in bodies if b.words >= 30]


def _word_shingles(paragraphs: Sequence[str], k: int = 8) -> set[int]:
    words = re.findall(r"\w+", " ".join(paragraphs).lower())
    return {hash(tuple(words[i : i + k])) for i in range(max(len(words) - k + 1, 1))}


def distinct_bodies(bodies: list[Body]) -> list[Body]:
    """Drop bodies sharing over 30% of their 8-word shingles with a kept one (and empty ones)."""
    index: dict[int, list[int]] = defaultdict(list)
    kept: list[Body] = []
    sizes: list[int] = []
    for body in bodies:
        shingles = _word_shingles(body.paragraphs)
        overlap: Counter[int] = Counter()
        for s in shingles:
            overlap.update(index.get(s, ()))
        if any(c > 0.3 * min(len(shingles), sizes[j]) for j, c in overlap.items()):
            continue
        for s in shingles:
            index[s].append(len(kept))
        kept.append(body)
        sizes.append(len(shingles))
    return kept


# --------------------------------------------------------------------------- copy makers
def _words_prefix(paragraphs: Sequence[str], keep: int) -> list[str]:
    out: list[str] = []
    left = keep
    for p in paragraphs:
        words = p.split()
        if left <= 0:
            break
        out.append(" ".join(words[:left]))
        left -= len(words)
    return out


def truncated(body: Body, rng: random.Random) -> str:
    share = rng.uniform(0.4, 0.9)
    # 25 words at least: a shorter cut is a headline, not a copy anyone could tell.
    keep = max(25, round(body.words * share))
    out, total = [], 0
    for p in body.paragraphs:
        if total + len(p.split()) > keep:
            break
        out.append(p)
        total += len(p.split())
    if rng.random() < 0.5 and total >= 0.8 * keep:  # at a paragraph boundary
        pass
    else:  # mid-sentence, as a teaser page cuts it
        out = _words_prefix(body.paragraphs, keep)
        out[-1] += " …"
        out.append(rng.choice(("Read the full story on our website.", "Subscribe to read more.")))
    return "\n\n".join(out)


def rewrite_lede(first: str, rng: random.Random) -> str:
    """Rewrite the lede: the first paragraph's first two sentences (the rest stays)."""
    sentences = _SENTENCE.split(first)
    lede, rest = sentences[:2], sentences[2:]
    if len(lede) > 1:
        lede = lede[1:] + lede[:1]
    words = " ".join(lede).split()
    step = rng.randint(3, 5)
    kept = [w for i, w in enumerate(words) if i % step != 2]
    return " ".join([rng.choice(_LEADINS), *kept, *rest])


def syndicated(body: Body, rng: random.Random, teaser: list[str]) -> str:
    paragraphs = list(body.paragraphs)
    paragraphs[0] = rewrite_lede(paragraphs[0], rng)
    paragraphs[0] = f"{rng.choice(_DATELINES)} {paragraphs[0]}"
    out = [rng.choice(_BYLINES), *paragraphs]
    if len(out) > 3:
        out.insert(2, f"Photo: {body.title[:50]} (File photo)")
    out.append(rng.choice(_END_MARKS))
    out.extend(teaser)
    return "\n\n".join(out)


def _edit(paragraph: str, rng: random.Random) -> str:
    paragraph = _NUMBER.sub(lambda m: str(int(m.group()) + rng.randint(1, 9)), paragraph)
    words = paragraph.split()
    for _ in range(max(1, min(10, len(words) // 15))):
        words[rng.randrange(len(words))] = rng.choice(("new", "further", "latest", "also"))
    return " ".join(words)


def updated(body: Body, rng: random.Random, extra: Sequence[str]) -> str:
    paragraphs = list(body.paragraphs)
    for _ in range(rng.randint(1, 2)):
        i = rng.randrange(len(paragraphs))
        paragraphs[i] = _edit(paragraphs[i], rng)
    # Added paragraphs are of news length (20-120 words), not a donor's whole body.
    added = [p for p in extra if 20 <= len(p.split()) <= 120] or [" ".join(extra[0].split()[:60])]
    for p in added[: rng.randint(1, 2)]:
        paragraphs.insert(rng.randint(1, len(paragraphs)), p)
    paragraphs.append(f"Updated at {rng.randint(1, 12)}:{rng.randint(10, 59)} pm.")
    return "\n\n".join(paragraphs)


def reflowed(body: Body, rng: random.Random) -> str:
    width = rng.randint(60, 78)
    blocks = []
    for p in body.paragraphs:
        p = p.replace("“", '"').replace("”", '"').replace("’", "'").replace(". ", ".  ")
        lines, line = [], ""
        for word in p.split(" "):
            if line and len(line) + 1 + len(word) > width:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}" if line else word
        lines.append(line)
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def html_copy(body: Body) -> str:
    return gzip.decompress(body.html_path.read_bytes()).decode("utf-8", "replace")


# --------------------------------------------------------------------------- corpus
def build_corpus(bodies: list[Body], seed: int) -> list[Doc]:
    rng = random.Random(seed)
    order = list(bodies)
    rng.shuffle(order)
    # Bodies not used as stories: text for updates, teasers, templates and follow-ups.
    # Donor ranges: teasers 0-59, templates 60-99, updates 100-129, follow-ups 130-179.
    donors = order[:180]
    stories = order[180:]
    teaser_pool = []
    for i in range(0, 60, 3):
        heads = [
            f"Read more: {_SENTENCE.split(d.paragraphs[0])[0][:120]}" for d in donors[i : i + 3]
        ]
        teaser_pool.append(heads)
    docs: list[Doc] = []
    cluster = itertools.count()
    followup_sources: list[Body] = []
    by_site: dict[str, list[Body]] = defaultdict(list)
    for body in stories:
        by_site[body.site].append(body)
    # Template groups: the stories of a site with two or more, and random groups of 3-5
    # other stories (sites that share a publishing system), carry one template each.
    group_of: dict[str, int] = {}
    for site, group in sorted(by_site.items()):
        if site and len(group) >= 2:
            for body in group:
                group_of[body.key] = len({*group_of.values()})
    loose = [b for b in stories if b.key not in group_of]
    rng.shuffle(loose)
    lo, next_group = 0, len({*group_of.values()})
    while lo < len(loose) * 0.12:
        size = rng.randint(3, 5)
        for body in loose[lo : lo + size]:
            group_of[body.key] = next_group
        lo, next_group = lo + size, next_group + 1
    templates = {
        g: (rng.sample(_SITE_LINES, 2), list(donors[60 + g % 40].paragraphs[-2:]))
        for g in range(next_group)
    }
    for body in stories:
        c = next(cluster)
        if body.key in group_of:
            head, tail = templates[group_of[body.key]]
            # Half are briefs (40-150 words of their own), where the template is a
            # large share of the text.
            own = list(body.paragraphs)
            if rng.random() < 0.5:
                own = _words_prefix(own, rng.randint(40, 150))
            text = "\n\n".join([*head, *own, *tail])
            docs.append(Doc(c, "template", body.title, text=text))
            continue
        roll = rng.random()
        if roll < 0.12:  # a short story, sometimes with a short copy
            words = rng.randint(25, 90)
            short = "\n\n".join(_words_prefix(body.paragraphs, words))
            docs.append(Doc(c, "short", body.title, text=short))
            if rng.random() < 0.4:
                copy = f"{rng.choice(_DATELINES)} {short}\n\n{rng.choice(_END_MARKS)}"
                docs.append(Doc(c, "short_copy", body.title, text=copy))
            continue
        if roll < 0.22:  # ends in a teaser block shared with other stories
            teaser = rng.choice(teaser_pool)
            docs.append(Doc(c, "teaser", body.title, text="\n\n".join([*body.paragraphs, *teaser])))
            continue
        copies = rng.choice((0, 1, 1, 2, 2, 3, 3))
        kinds = rng.sample(("truncated", "syndicated", "updated", "reflowed", "html"), copies)
        keep_original = not kinds or rng.random() < 0.8
        if keep_original:
            docs.append(Doc(c, "original", body.title, text="\n\n".join(body.paragraphs)))
            followup_sources.append(body)
        for kind in kinds:
            if kind == "truncated":
                docs.append(Doc(c, kind, body.title, text=truncated(body, rng)))
            elif kind == "syndicated":
                teaser = rng.choice(teaser_pool) if rng.random() < 0.5 else []
                docs.append(Doc(c, kind, body.title, text=syndicated(body, rng, teaser)))
            elif kind == "updated":
                donor = rng.choice(donors[100:130])
                docs.append(Doc(c, kind, body.title, text=updated(body, rng, donor.paragraphs)))
            elif kind == "reflowed":
                docs.append(Doc(c, kind, body.title, text=reflowed(body, rng)))
            else:
                truth = "\n\n".join(body.paragraphs)
                docs.append(Doc(c, kind, body.title, html=html_copy(body), truth=truth))

    # Follow-ups: a later story (a donor, cut to 3-8 paragraphs) reusing one background
    # paragraph (25 words or more, at most 30% of the earlier story) of a story in the
    # corpus, with at least 1.5 times as many words of its own: a paragraph that is most
    # of its story, or a story that is mostly the old paragraph, makes an update.
    def backgrounds(body: Body) -> list[str]:
        return [p for p in body.paragraphs if 25 <= len(p.split()) <= 0.3 * body.words]

    sources = [b for b in followup_sources if backgrounds(b)]
    for donor in donors[130:180]:
        background = rng.choice(backgrounds(rng.choice(sources)))
        size = len(background.split())
        own, total = [], 0
        for p in donor.paragraphs:
            if len(own) >= 3 and total >= 1.5 * size and (len(own) >= 8 or rng.random() < 0.3):
                break
            own.append(p)
            total += len(p.split())
        if total < 1.5 * size:
            continue
        own.insert(rng.randint(1, len(own)), background)
        docs.append(Doc(next(cluster), "followup", donor.title, text="\n\n".join(own)))
    return docs


def clean_texts(docs: Sequence[Doc]) -> list[str]:
    """Clean every document as ``cleanpipe.clean`` does with dedup off; one text each."""
    from cleanpipe import Config, clean
    from cleanpipe.models import Origin, RawDocument

    raw = []
    for i, doc in enumerate(docs):
        if doc.html is not None:
            content, fmt = doc.html, "html"
        else:
            content, fmt = json.dumps({"title": doc.title, "text": doc.text}), "json"
        digest = hashlib.sha256(content.encode()).hexdigest()
        raw.append(
            RawDocument(
                origin=Origin(format=fmt, path=f"doc{i:05d}", sha256=digest), content=content
            )
        )
    result = clean(raw, config=Config(dedup_enabled=False, workers=1))
    texts = [""] * len(docs)
    for article in result.articles:
        for origin in article.origins:
            texts[int(origin.path[3:])] = article.text
    return texts


def _recall(extracted: str, truth: str) -> float:
    """The share of the truth's 4-word shingles found in the extracted text."""
    a, b = _word_shingles([extracted], 4), _word_shingles([truth], 4)
    return len(a & b) / max(1, len(b))


def drop_failed_extractions(docs: list[Doc], texts: list[str]) -> tuple[list[Doc], list[str], int]:
    """Leave out ``html`` copies whose extraction kept under 40% of the story's text.

    40% is the floor of a truncated copy. Below it the page holds another text
    (a cookie wall, a list of links, the wrong block, a stub) as far as any
    reader of the cleaned output can tell: it is the extraction's failure,
    measured by the extraction benchmark, not a copy dedup could find. The
    count is printed.
    """
    body_of = {d.cluster: t for d, t in zip(docs, texts, strict=True) if d.kind == "original"}
    keep = []
    for i, (doc, text) in enumerate(zip(docs, texts, strict=True)):
        if doc.kind == "html":
            truth = body_of.get(doc.cluster) or doc.truth
            if _recall(text, truth) < 0.4:
                continue
        keep.append(i)
    return [docs[i] for i in keep], [texts[i] for i in keep], len(docs) - len(keep)


def _cleaning_code_digest() -> str:
    """A digest of cleanpipe's cleaning code: the cache of cleaned texts follows it.

    Dedup and sketch modules are left out: they do not change the cleaned texts.
    """
    import cleanpipe

    package = Path(cleanpipe.__file__).parent
    digest = hashlib.sha256()
    for source in sorted(package.rglob("*.py")):
        relative = source.relative_to(package).as_posix()
        if relative.startswith("sketch/") or relative in {"stages/dedup.py", "stages/verify.py"}:
            continue
        digest.update(relative.encode() + source.read_bytes())
    return digest.hexdigest()[:12]


def load_or_build(seed: int, cache: Path) -> tuple[list[Doc], list[str]]:
    bodies = distinct_bodies(load_bodies(_ROOT))
    docs = build_corpus(bodies, seed)
    path = cache / f"cleanpipe-real-dups-r{_RECIPE}-s{seed}-{_cleaning_code_digest()}.json"
    if path.exists():
        texts = json.loads(path.read_text())
    else:
        start = time.perf_counter()
        texts = clean_texts(docs)
        path.write_text(json.dumps(texts))
        print(f"cleaned {len(docs)} docs in {time.perf_counter() - start:.0f} s", file=sys.stderr)
    return docs, texts


# --------------------------------------------------------------------------- scoring
def _pairs(labels: np.ndarray) -> set[tuple[int, int]]:
    groups: dict[int, list[int]] = defaultdict(list)
    for i, label in enumerate(labels.tolist()):
        groups[label].append(i)
    return {pair for members in groups.values() for pair in itertools.combinations(members, 2)}


def report(docs: Sequence[Doc], texts: Sequence[str], labels: np.ndarray, show: int) -> float:
    truth = np.array([d.cluster for d in docs], dtype=np.int64)
    kinds = [d.kind for d in docs]
    s = pairwise_scores(truth, labels)
    print(
        f"  pairwise  P {s.precision:.4f}  R {s.recall:.4f}  F1 {s.f1:.4f}  "
        f"({s.true_pairs} true pairs, {s.predicted_pairs} predicted)"
    )
    true_pairs, predicted = _pairs(truth), _pairs(labels)
    print("  recall by copy type (true pairs with a document of that type)")
    for kind in ("original", *COPY_TYPES):
        of_kind = [p for p in true_pairs if kind in (kinds[p[0]], kinds[p[1]])]
        found = sum(p in predicted for p in of_kind)
        if of_kind:
            print(f"    {kind:12s} {found / len(of_kind):.4f}  ({found}/{len(of_kind)})")
    print("  precision by negative type (predicted pairs with a document of that type)")
    for kind in NEGATIVE_TYPES:
        of_kind = [p for p in predicted if kind in (kinds[p[0]], kinds[p[1]])]
        right = sum(p in true_pairs for p in of_kind)
        n_docs = kinds.count(kind)
        precision = right / len(of_kind) if of_kind else 1.0
        print(
            f"    {kind:12s} {precision:.4f}  ({len(of_kind) - right} false of {len(of_kind)} "
            f"predicted; {n_docs} docs)"
        )
    if show:
        missed = sorted(true_pairs - predicted)
        false = sorted(predicted - true_pairs)
        for name, pairs in (("missed", missed), ("false", false)):
            for a, b in pairs[:show]:
                la, lb = len(texts[a].split()), len(texts[b].split())
                print(f"  {name}: {a} {kinds[a]} ({la} w) ~ {b} {kinds[b]} ({lb} w)")
    return s.f1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cache", type=Path, default=Path("/tmp"))
    parser.add_argument("--show-errors", type=int, default=0, help="print this many misses")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="a DedupConfig field to change (repeatable), e.g. --set jaccard_threshold=0.5",
    )
    args = parser.parse_args(argv)

    from cleanpipe.config import DedupConfig
    from cleanpipe.stages.dedup import cluster_labels

    docs, texts = load_or_build(args.seed, args.cache)
    docs, texts, failed = drop_failed_extractions(docs, texts)
    kinds = Counter(d.kind for d in docs)
    empty = sum(not t for t in texts)
    print(
        f"# real-text near-duplicates: {len(docs)} docs, {len({d.cluster for d in docs})} stories, "
        f"seed {args.seed}; {empty} left empty by cleaning; {failed} html copies left out "
        "(extraction kept under 40% of the story)"
    )
    print("  " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
    overrides = dict(item.split("=", 1) for item in args.set)
    config = DedupConfig(**overrides)
    start = time.perf_counter()
    labels = cluster_labels(texts, config=config)
    print(f"## cleanpipe cluster_labels: {time.perf_counter() - start:.2f} s; {config!r}")
    # An empty text (cleaning kept nothing) is its own cluster, never a copy.
    labels = np.where([bool(t) for t in texts], labels, -1 - np.arange(len(texts)))
    report(docs, texts, labels, args.show_errors)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
