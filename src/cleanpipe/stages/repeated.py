"""Corpus-level repeated lines: paragraphs that recur across many documents are boilerplate.

A first pass counts, per source, in how many distinct documents each short
paragraph appears (``count_lines`` per partition, ``LineCounts.update`` to
aggregate: a sum, so any executor can compute it). Documents with identical
texts count once, so exact copies of one story do not make its paragraphs
look like boilerplate. ``repeated_keys`` then gives the keys at or above the
threshold, and the strip stage removes them as ``repeated_line``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import xxhash

from cleanpipe.config import StripConfig
from cleanpipe.models import Draft
from cleanpipe.stages.strip import line_key


def draft_scope(draft: Draft) -> str:
    """The scope a draft's lines are counted in: its source, else the whole corpus."""
    return source_scope(draft.source)


def source_scope(source: str | None) -> str:
    """The scope of the lines of a draft from ``source`` (``draft_scope`` of a raw row)."""
    return source or ""


def normalized_line_key(paragraph: str, most: int) -> str | None:
    """The key of a normalized paragraph of at most ``most`` words; ``None`` if longer.

    A normalized paragraph (``normalize_text``'s output: stripped, words joined
    by single spaces) has its spaces plus one words, and needs no squeezing.

    >>> normalized_line_key("Share this.", 3), normalized_line_key("a b c d", 3)
    ('share this', None)
    """
    return paragraph.rstrip(".").casefold() if paragraph.count(" ") < most else None


def count_lines(drafts: Iterable[Draft], *, config: StripConfig) -> Counter[tuple[str, str]]:
    """Count ``(scope, key)`` once per distinct document text.

    >>> from cleanpipe.models import Origin
    >>> o = Origin(format="text", path="a.txt", sha256="0" * 64)
    >>> d = Draft(origin=o, paragraphs=("Share this", "Body one."))
    >>> count_lines([d, d], config=StripConfig())[("", "share this")]
    1
    """
    counts: Counter[tuple[str, str]] = Counter()
    seen_texts: set[int] = set()
    for draft in drafts:
        digest = text_digest(draft)
        if digest in seen_texts:
            continue
        seen_texts.add(digest)
        scope = draft_scope(draft)
        counts.update((scope, key) for key in line_keys(draft, config=config))
    return counts


def text_digest(draft: Draft) -> int:
    """The key under which copies of one text count once (a 64-bit hash).

    >>> from cleanpipe.models import Origin
    >>> o = Origin(format="text", path="a.txt", sha256="0" * 64)
    >>> text_digest(Draft(origin=o, paragraphs=("A.",))) < 2**64
    True
    """
    return xxhash.xxh3_64_intdigest(draft.text.encode("utf-8"))


def line_keys(draft: Draft, *, config: StripConfig, normalized: bool = False) -> set[str]:
    """The keys of a draft's paragraphs short enough to count as boilerplate lines.

    ``normalized`` says the paragraphs are ``normalize_text``'s output (stripped,
    words joined by single spaces): their words are then their spaces plus one,
    and their key needs no white-space squeezing (the same keys, cheaper).

    >>> from cleanpipe.models import Origin
    >>> o = Origin(format="text", path="a.txt", sha256="0" * 64)
    >>> sorted(line_keys(Draft(origin=o, paragraphs=("Share this", "Share this")),
    ...                  config=StripConfig()))
    ['share this']
    """
    most = config.repeated_line_max_words
    if normalized:
        found = (normalized_line_key(p, most) for p in draft.paragraphs)
        keys = {key for key in found if key is not None}
    else:
        keys = {line_key(p) for p in draft.paragraphs if len(p.split()) <= most}
    keys.discard("")
    return keys


def repeated_keys(
    counts: Counter[tuple[str, str]], *, config: StripConfig
) -> dict[str, frozenset[str]]:
    """The keys of paragraphs seen in at least ``repeated_line_min_docs`` documents, per scope."""
    found: dict[str, set[str]] = {}
    for (scope, key), count in counts.items():
        if count >= config.repeated_line_min_docs:
            found.setdefault(scope, set()).add(key)
    return {scope: frozenset(keys) for scope, keys in found.items()}
