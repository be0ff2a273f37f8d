"""Merge: the drafts of one duplicate cluster in, one ``Article`` out.

The merge policy:

1. **Kept text**: the most complete clean text — the copy with the most words;
   ties go to the copy whose origin sorts first by ``(path, line)``.
2. **Metadata** (title, date, source, dateline, url, language): for each
   field, the first non-null value in this order: the kept copy, then the
   other copies by ``(path, line)``.
3. **Origins**: the kept copy first, then the others by ``(path, line)``.
4. **id**: the first 16 hex digits of the SHA-256 of the kept text, so the
   same input always gives the same id.

Nothing is dropped: every draft of the cluster becomes an origin.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Sequence
from typing import NamedTuple

from cleanpipe.models import SCHEMA_VERSION, Article, Draft

__all__ = ["Copy", "merge_copies", "merge_drafts", "paragraph_words", "record_id", "word_count"]


class Copy(NamedTuple):
    """One draft as the merge reads it: its origin's fields, its metadata and its final text.

    The merge works on these plain tuples (a row of the work folder, read back
    without building models); ``merge_drafts`` is the same policy for drafts.
    """

    path: str
    line: int | None
    format: str
    sha256: str
    title: str | None
    date: str | None
    source: str | None
    dateline: str | None
    url: str | None
    language: str | None
    text: str
    words: int | None = None
    """``word_count(text)`` when the reader knows it already (the work folder stores it)."""

    @classmethod
    def of(cls, draft: Draft) -> Copy:
        """The copy of a draft."""
        origin = draft.origin
        return cls(
            origin.path,
            origin.line,
            origin.format,
            origin.sha256,
            draft.title,
            draft.date,
            draft.source,
            draft.dateline,
            draft.url,
            draft.language,
            draft.text,
        )


def record_id(text: str) -> str:
    """Derive a record's id from its text.

    >>> record_id("Hello.")
    '2d8bd7d9bb5f85ba'
    """
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def word_count(text: str) -> int:
    """Count whitespace-separated words.

    >>> word_count("Ben Tre looks to Japan.")
    5
    """
    return len(text.split())


def paragraph_words(paragraphs: Sequence[str]) -> int:
    """``word_count`` of normalized paragraphs joined by blank lines, without splitting them.

    A normalized paragraph is its words joined by single spaces
    (``stages.normalize.normalize_text``), so its words are its spaces plus one.

    >>> paragraph_words(["Ben Tre looks to Japan.", "It hopes."]) == word_count(
    ...     "Ben Tre looks to Japan.\\n\\nIt hopes.")
    True
    """
    return sum(map(str.count, paragraphs, itertools.repeat(" "))) + len(paragraphs)


def _origin_key(copy: Copy) -> tuple[str, int]:
    return (copy.path, copy.line or 0)


_METADATA = ("dateline", "date", "language", "source", "title", "url")


def merge_copies(copies: Sequence[Copy]) -> dict[str, object]:
    """Merge the copies of one cluster into a record (see the module's policy).

    Gives the record as ``Article.model_dump(mode="json")`` would, without
    building the model: the work-folder merge serialises it as it is, and
    ``merge_drafts`` validates it into an ``Article``.

    >>> a = Copy("b.txt", None, "text", "1" * 64, *[None] * 6, "Rice.")._replace(date="2023-10-13")
    >>> b = a._replace(path="a.txt", date=None, title="Rice", text="Rice exports rose.")
    >>> record = merge_copies([a, b])
    >>> record["text"], record["title"], record["date"], [o["path"] for o in record["origins"]]
    ('Rice exports rose.', 'Rice', '2023-10-13', ['a.txt', 'b.txt'])
    """
    if not copies:
        msg = "a merge needs at least one copy"
        raise ValueError(msg)
    ordered = sorted(copies, key=_origin_key) if len(copies) > 1 else copies
    counts = [word_count(c.text) if c.words is None else c.words for c in ordered]
    best = counts.index(max(counts))  # the first of ties
    kept = ordered[best]
    chain = [kept, *(copy for i, copy in enumerate(ordered) if i != best)]
    record: dict[str, object] = {}
    for name in _METADATA:
        record[name] = None
        for copy in chain:
            value = getattr(copy, name)
            if value:
                record[name] = str(value)
                break
    record["id"] = record_id(kept.text)
    record["origins"] = [
        {"format": c.format, "line": c.line, "path": c.path, "sha256": c.sha256} for c in chain
    ]
    record["schema_version"] = SCHEMA_VERSION
    record["text"] = kept.text
    record["word_count"] = counts[best]
    return record


def merge_drafts(drafts: Sequence[Draft]) -> Article:
    """Merge the drafts of one cluster into a record (see the module's policy).

    >>> from cleanpipe.models import Origin
    >>> o1 = Origin(format="text", path="b.txt", sha256="1" * 64)
    >>> o2 = Origin(format="text", path="a.txt", sha256="2" * 64)
    >>> short = Draft(origin=o1, paragraphs=("Rice.",), date="2023-10-13")
    >>> long = Draft(origin=o2, paragraphs=("Rice exports rose.",), title="Rice")
    >>> article = merge_drafts([short, long])
    >>> article.text, article.title, article.date, [o.path for o in article.origins]
    ('Rice exports rose.', 'Rice', '2023-10-13', ['a.txt', 'b.txt'])
    """
    if not drafts:
        msg = "merge_drafts needs at least one draft"
        raise ValueError(msg)
    return Article.model_validate(merge_copies([Copy.of(draft) for draft in drafts]))
