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
from collections.abc import Sequence

from cleanpipe.models import Article, Draft, Origin


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


def _origin_key(origin: Origin) -> tuple[str, int]:
    return (origin.path, origin.line or 0)


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
    ordered = sorted(drafts, key=lambda d: _origin_key(d.origin))
    texts = [d.text for d in ordered]
    counts = [word_count(text) for text in texts]
    best = counts.index(max(counts))  # the first of ties
    kept, text = ordered[best], texts[best]
    others = [d for i, d in enumerate(ordered) if i != best]
    chain = [kept, *others]

    def first(field: str) -> str | None:
        for draft in chain:
            value = getattr(draft, field)
            if value:
                return str(value)
        return None

    return Article(
        dateline=first("dateline"),
        date=first("date"),
        id=record_id(text),
        language=first("language"),
        origins=tuple(d.origin for d in chain),
        source=first("source"),
        text=text,
        title=first("title"),
        url=first("url"),
        word_count=counts[best],
    )
