"""Verify: two candidate texts in, whether they are copies of one article out.

LSH proposes candidate pairs; this decides each one on the texts themselves.
Pure functions of two strings and the dedup settings, so every engine calls
the same code on the pairs it holds (in worker processes too: nothing here but
the texts and the config).

A pair is a copy when three things hold, each measured on word lists
(:func:`cleanpipe.sketch.shingles.word_tokens`, so re-flowed and
re-punctuated copies compare equal, and a CJK character counts as a word):

1. **containment of the shorter text, length-aware**: the longest common
   subsequence of the two word lists (rapidfuzz ``LCSseq``) leaves out of the
   shorter list at most ``100 - similarity_threshold`` percent of it or
   ``max_missing_words`` words (up to a quarter of it), whichever is more: a
   truncated, re-extracted or syndicated copy keeps its words in order inside
   the other, and a brief's new dateline and rewritten lede are a larger share
   of it than of a long story;
2. **containment of the longer text**: the common words are also
   ``min_length_ratio`` of the longer list, so that a brief, a teaser or a
   quoted paragraph is not a copy of every long story that contains it, while
   a copy truncated to 40% still is;
3. **no paragraph of its own** (paragraph-level evidence): in the alignment of
   the two lists, the shorter text's paragraphs of ``own_paragraph_words`` or
   more with over half their words unaligned hold under ``max_own_share`` of
   its words. Two briefs of one site share its template ("about us",
   disclaimer, newsletter lines) and differ in a paragraph or two, their
   stories; a copy's differences are scattered (a rewritten lede keeps most of
   its words, an edit changes a figure) or sit in the longer text (added
   paragraphs, other boilerplate).

See ``DedupConfig`` for how each threshold was measured
(``benchmarks/real_dups.py``, ``benchmarks/dedup.py``).
"""

from __future__ import annotations

import math
from functools import lru_cache

from rapidfuzz.distance import LCSseq

from cleanpipe.config import DedupConfig
from cleanpipe.sketch.shingles import word_tokens

__all__ = ["verify_pair"]

# The length-aware slack (max_missing_words) never lets a text miss more than this
# share of its words: two ten-word headlines sharing "in May" are not copies.
_SLACK_SHARE = 0.25


def verify_pair(left: str, right: str, *, config: DedupConfig) -> bool:
    """Say whether two candidate texts are copies of one article.

    Args:
        left: One cleaned text (paragraphs separated by blank lines).
        right: The other.
        config: The dedup settings (``similarity_threshold``, ``max_missing_words``,
            ``min_length_ratio``, ``own_paragraph_words``, ``max_own_share``).

    Returns:
        True when the shorter text is contained in the longer one, is a fair
        share of it, and holds no paragraph of its own (see the module docstring).

    >>> verify_pair("Rice exports rose by 5% in May, the ministry said.",
    ...             "Rice exports rose by 6% in May, the ministry said.", config=DedupConfig())
    True
    >>> verify_pair("Rice exports rose in May.", "Tourist arrivals fell in May.",
    ...             config=DedupConfig())
    False
    """
    words_left, words_right = _words(left), _words(right)
    if len(words_left) > len(words_right):
        left, right = right, left
        words_left, words_right = words_right, words_left
    shorter, longer = len(words_left), len(words_right)
    if shorter == 0 or shorter < config.min_length_ratio * longer:
        return False
    slack = min(config.max_missing_words, _SLACK_SHARE * shorter)
    allowed = max((100.0 - config.similarity_threshold) * shorter / 100.0, slack)
    # The fewest common words that can pass both containment tests: below it
    # rapidfuzz may stop early and give 0, which fails them as the count would.
    needed = max(math.ceil(shorter - allowed), math.ceil(config.min_length_ratio * longer), 1)
    common = LCSseq.similarity(words_left, words_right, score_cutoff=needed)
    missing = shorter - common
    if missing > allowed or common < config.min_length_ratio * longer:
        return False
    # An own paragraph has over half of its words (own_paragraph_words / 2 at least)
    # unaligned: with fewer missing words in all there is none, and no alignment to pay.
    if 2 * missing < config.own_paragraph_words:
        return True
    own = _own_words(left, words_left, words_right, min_words=config.own_paragraph_words)
    return own < config.max_own_share * shorter


def _own_words(
    text: str, words: tuple[bytes, ...], other: tuple[bytes, ...], *, min_words: int
) -> int:
    """Count the words of ``text``'s own paragraphs: ``min_words`` or more, mostly unaligned.

    ``words`` are the text's words and ``other`` the other text's; the alignment
    is one longest common subsequence of the two (rapidfuzz's editops: the
    shorter text's deleted words are those it does not share).
    """
    unaligned = bytearray(len(words))
    for op in LCSseq.editops(words, other):
        if op.tag == "delete":
            unaligned[op.src_pos] = 1
    own = start = 0
    for size in map(len, _paragraphs(text)):
        if size >= min_words and 2 * sum(unaligned[start : start + size]) > size:
            own += size
        start += size
    return own


@lru_cache(maxsize=256)
def _words(text: str) -> tuple[bytes, ...]:
    # Cached: candidate pairs come sorted as stars, so one centre text is
    # compared with each of its bucket mates in a row. A few hundred cover a
    # star; a text's words cost ~10x its size as Python objects, so 4,096 of
    # them held ~100 MB in each worker, for no measurable gain in speed.
    return tuple(word_tokens(text))


@lru_cache(maxsize=64)
def _paragraphs(text: str) -> tuple[tuple[bytes, ...], ...]:
    return tuple(tuple(word_tokens(p)) for p in text.splitlines() if p.strip())
