"""Language on a sample against language on the whole text.

``normalize.detect_language`` tells the language from the title and the first
``SAMPLE_CHARS`` characters of the body; before, it ran py3langid over the
first 5,000 characters of the body, without the title. This measures how
often the two answers agree, on the ground-truth texts of both extraction
benchmarks and on the seed articles, and lists every text where they differ.
It also checks that ``cleanpipe.stages.language.classify`` gives py3langid's
own answer and score on every sample (it is a faster walk of the same model).

Usage::

    PYTHONPATH=src python benchmarks/language.py
    PYTHONPATH=src python benchmarks/language.py --chars 500 --no-title   # explore a variant

The texts are paragraphs normalized as the pipeline does (``normalize_text``,
joined by line breaks), the title where a set has one (WCXB, the seed).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import py3langid

from cleanpipe.config import ExtractConfig
from cleanpipe.models import Draft, Origin, RawDocument
from cleanpipe.stages import language
from cleanpipe.stages.extract import extract
from cleanpipe.stages.normalize import (
    MIN_PROBE_MARGIN,
    PROBE_CHARS,
    SAMPLE_CHARS,
    detect_language,
    detect_languages,
    normalize_text,
)

SHARED = Path(__file__).resolve().parents[2] / "shared"


@dataclass(frozen=True)
class Text:
    set: str
    name: str
    title: str | None
    body: str  # normalized paragraphs joined by "\n", as normalize_draft hands them over


def _body(text: str) -> str:
    paragraphs = (normalize_text(p) for p in text.split("\n"))
    return "\n".join(p for p in paragraphs if p)


def load_texts(shared: Path) -> list[Text]:
    """Read the ground truths of both extraction benchmarks and the seed."""
    texts: list[Text] = []
    truth = json.loads((shared / "benchmarks/article-extraction/ground-truth.json").read_text())
    for name in sorted(truth):
        texts.append(Text("scrapinghub", name[:12], None, _body(truth[name]["articleBody"])))
    wcxb = json.loads((shared / "benchmarks/wcxb-dev/truth.json").read_text())
    for name in sorted(wcxb):
        entry = wcxb[name]
        title = normalize_text(entry.get("title") or "") or None
        texts.append(Text("wcxb-dev", name, title, _body(entry["text"] or "")))
    for path in sorted((shared / "seeds").glob("*.txt")):
        origin = Origin(format="text", path=path.name, sha256="0" * 64)
        raw = RawDocument(origin=origin, content=path.read_text(encoding="utf-8"))
        draft = extract(raw, config=ExtractConfig())
        if isinstance(draft, Draft):
            title = normalize_text(draft.title) if draft.title else None
            texts.append(Text("seed", path.name, title, _body("\n".join(draft.paragraphs))))
    return texts


def whole_text_language(body: str) -> str | None:
    """The answer before: py3langid over the first 5,000 characters, no title."""
    sample = body[:5000]
    if sum(ch.isalpha() for ch in sample) < 20:
        return None
    return str(py3langid.classify(sample)[0])


def sample_language(body: str, title: str | None, *, chars: int, use_title: bool) -> str | None:
    """A variant of ``detect_language`` with another sample size or without the title."""
    sample = body[:chars]
    if use_title and title:
        sample = f"{title}\n{sample}"
    if sum(ch.isalpha() for ch in sample) < 20:
        return None
    return language.classify(sample)[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=SHARED)
    parser.add_argument("--chars", type=int, default=None, help="explore another sample size")
    parser.add_argument("--no-title", action="store_true", help="explore a sample without title")
    args = parser.parse_args(argv)
    texts = load_texts(args.shared)
    variant = args.chars is not None or args.no_title
    chars = SAMPLE_CHARS if args.chars is None else args.chars
    print(
        f"sample: {'title + ' if not args.no_title else ''}first {chars} characters"
        f"{' (a variant, not detect_language)' if variant else ' (detect_language)'}"
    )
    changed: list[tuple[Text, str | None, str | None]] = []
    per_set: dict[str, list[int]] = {}
    mismatched_scores = 0
    spent = {"whole": 0.0, "sample": 0.0}
    for text in texts:
        started = time.process_time()
        before = whole_text_language(text.body)
        middle = time.process_time()
        if variant:
            after = sample_language(text.body, text.title, chars=chars, use_title=not args.no_title)
        else:
            after = detect_language(text.body, title=text.title)
        spent["whole"] += middle - started
        spent["sample"] += time.process_time() - middle
        sample = text.body[:chars]
        if not args.no_title and text.title:
            sample = f"{text.title}\n{sample}"
        if language.classify(sample) != tuple(py3langid.classify(sample)):
            mismatched_scores += 1
        counts = per_set.setdefault(text.set, [0, 0])
        counts[0] += 1
        counts[1] += before == after
        if before != after:
            changed.append((text, before, after))
    print(f"{'set':<12} {'texts':>6} {'agree':>6} {'agreement':>10}")
    for name, (total, agree) in per_set.items():
        print(f"{name:<12} {total:>6} {agree:>6} {agree / total:>10.2%}")
    total = sum(t for t, _ in per_set.values())
    agree = sum(a for _, a in per_set.values())
    print(f"{'all':<12} {total:>6} {agree:>6} {agree / total:>10.2%}")
    print(f"changed language ids ({len(changed)}):")
    for text, before, after in changed:
        title = (text.title or "")[:40]
        print(f"  {text.set}/{text.name}: {before} -> {after}  {len(text.body)} chars  {title!r}")
        print(f"      starts {text.body[:90]!r}")
    print(
        f"time per text (process CPU): whole text {spent['whole'] / total * 1e6:.0f} us, "
        f"sample {spent['sample'] / total * 1e6:.0f} us"
    )
    print(f"samples where the numpy walk differs from py3langid.classify: {mismatched_scores}")
    if not variant:
        report_probe(texts)
    return 0


def report_probe(texts: list[Text]) -> None:
    """How often the probe decides alone, its margins, and the batch cost of detect_languages."""
    samples = [
        f"{t.title}\n{t.body[:SAMPLE_CHARS]}" if t.title else t.body[:SAMPLE_CHARS] for t in texts
    ]
    probes = language.rank_batch([sample[:PROBE_CHARS] for sample in samples])
    full = language.classify_batch(samples)
    decided = [margin >= MIN_PROBE_MARGIN for _code, _score, margin in probes]
    wrong = [
        (margin, text.set, text.name, code, whole)
        for text, (code, _score, margin), (whole, _) in zip(texts, probes, full, strict=True)
        if code != whole
    ]
    print(
        f"probe: first {PROBE_CHARS} characters of the sample, kept at a margin >= "
        f"{MIN_PROBE_MARGIN:g}; decided {sum(decided)} of {len(texts)} texts "
        f"({sum(decided) / len(texts):.1%})"
    )
    print(
        f"probe answers that differ from the whole sample's ({len(wrong)}), largest margin first:"
    )
    for margin, set_name, name, code, whole in sorted(wrong, reverse=True)[:10]:
        kept = "KEPT" if margin >= MIN_PROBE_MARGIN else "read on"
        print(f"  {set_name}/{name}: probe {code} vs {whole}, margin {margin:.1f} ({kept})")
    bodies, titles = [t.body for t in texts], [t.title for t in texts]
    started = time.process_time()
    detect_languages(bodies, titles=titles)
    batch = time.process_time() - started
    per_text = batch / len(texts) * 1e6
    print(f"detect_languages over all {len(texts)} texts at once: {per_text:.0f} us a text")


if __name__ == "__main__":
    sys.exit(main())
