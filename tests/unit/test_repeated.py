"""Corpus-level repeated lines: per-source boilerplate goes, shared quotes stay."""

from collections import Counter

from cleanpipe.config import Config, StripConfig
from cleanpipe.models import Draft, Origin
from cleanpipe.pipeline import clean
from cleanpipe.stages.repeated import count_lines, repeated_keys

QUOTE = "“We will not let the people down,” the minister said."
FOOTER = "Follow Example News for the latest updates from the region."


def draft(index: int, *paragraphs: str, source: str = "example.com") -> Draft:
    origin = Origin(format="text", path=f"doc{index}.txt", sha256=f"{index:064x}")
    body = (
        f"Story number {index} reports on the council meeting held in district {index}, "
        f"where members debated the budget for {index} new schools."
    )
    return Draft(origin=origin, paragraphs=(body, *paragraphs), source=source)


def run(drafts: list[Draft]) -> tuple[list[tuple[str, ...]], Counter[str]]:
    """Clean the drafts' texts as JSON documents; give each record's paragraphs, in input order."""
    documents = [{"text": "\n\n".join(d.paragraphs), "source": d.source} for d in drafts]
    # Near-dup detection off: the stories differ only in their numbers.
    result = clean(documents, config=Config(workers=1, dedup_enabled=False))
    ordered = sorted(result.articles, key=lambda a: a.origins[0].line or 0)
    return [tuple(a.text.split("\n\n")) for a in ordered], Counter(result.report.removed_by_rule)


def test_a_quote_shared_by_two_articles_survives() -> None:
    corpus = [draft(1, QUOTE), draft(2, QUOTE), *(draft(i) for i in range(3, 40))]
    kept, removed = run(corpus)
    assert removed["repeated_line"] == 0
    assert [paragraphs[-1] for paragraphs in kept[:2]] == [QUOTE, QUOTE]


def test_a_line_in_many_documents_of_a_source_is_removed() -> None:
    corpus = [draft(i, FOOTER) for i in range(StripConfig().repeated_line_min_docs)]
    kept, removed = run(corpus)
    assert removed["repeated_line"] == len(corpus)
    assert all(FOOTER not in paragraphs for paragraphs in kept)


def test_the_threshold_counts_documents_of_one_source_only() -> None:
    # Just below the threshold in each of two sources: neither source repeats it.
    half = StripConfig().repeated_line_min_docs - 1
    corpus = [
        *(draft(i, FOOTER, source="a.example") for i in range(half)),
        *(draft(100 + i, FOOTER, source="b.example") for i in range(half)),
    ]
    _, removed = run(corpus)
    assert removed["repeated_line"] == 0


def test_identical_copies_count_once() -> None:
    copy = draft(1, FOOTER)
    counts = count_lines([copy] * 50, config=StripConfig())
    assert repeated_keys(counts, config=StripConfig()) == {}
