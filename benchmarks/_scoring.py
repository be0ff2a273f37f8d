"""The ScrapingHub article-extraction benchmark's metric, re-implemented.

Upstream (scrapinghub/article-extraction-benchmark, ``evaluate.py``) scores a
page by word 4-gram shingles: both texts are tokenised with ``\\w+`` (no
lower-casing), turned into multisets of 4-token shingles (a text of fewer than
four tokens is one shorter shingle), and TP/FP/FN are the multiset overlap,
surplus and deficit, rescaled so that TP + FP + FN = 1 per page. Precision is
the mean per-page precision over pages that predicted something, recall the
mean per-page recall over all pages, F1 the harmonic mean of the two means.
Accuracy (the README's "exact token match") is the share of pages whose token
sequences are equal.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

_TOKEN = re.compile(r"\w+")
_SHINGLE_SIZE = 4


@dataclass(frozen=True)
class PageScore:
    """TP, FP and FN of one page, normalised to sum to 1, and exact match."""

    tp: float
    fp: float
    fn: float
    exact: bool

    @property
    def precision(self) -> float:
        """Per-page precision, with upstream's conventions for empty sides."""
        if self.fp == self.fn == 0:
            return 1.0
        if self.tp == self.fp == 0:
            return 0.0
        return self.tp / (self.tp + self.fp)

    @property
    def recall(self) -> float:
        """Per-page recall, with upstream's conventions for empty sides."""
        if self.fp == self.fn == 0:
            return 1.0
        if self.tp == self.fn == 0:
            return 0.0
        return self.tp / (self.tp + self.fn)


@dataclass(frozen=True)
class Summary:
    """Corpus-level figures."""

    f1: float
    precision: float
    recall: float
    accuracy: float


def tokenize(text: str) -> list[str]:
    """Split into ``\\w+`` tokens, as upstream does.

    >>> tokenize("Hello, world! It's 2020.")
    ['Hello', 'world', 'It', 's', '2020']
    """
    return _TOKEN.findall(text)


def shingles(tokens: Sequence[str], size: int = _SHINGLE_SIZE) -> Counter[tuple[str, ...]]:
    """Count the word shingles of ``tokens``; fewer tokens than ``size`` make one shingle.

    >>> shingles(["a", "b"])
    Counter({('a', 'b'): 1})
    >>> sorted(shingles(["a", "b", "c", "d", "e"]))
    [('a', 'b', 'c', 'd'), ('b', 'c', 'd', 'e')]
    """
    count = max(1, len(tokens) - size + 1)
    return Counter(t for t in (tuple(tokens[i : i + size]) for i in range(count)) if t)


def score_page(truth: str, prediction: str) -> PageScore:
    """Score one page.

    >>> score_page("one two three four five", "one two three four five").precision
    1.0
    >>> round(score_page("one two three four five", "one two three four").recall, 2)
    0.5
    """
    truth_tokens, pred_tokens = tokenize(truth), tokenize(prediction)
    truth_sh, pred_sh = shingles(truth_tokens), shingles(pred_tokens)
    tp = float(sum((truth_sh & pred_sh).values()))
    fp = float(sum((pred_sh - truth_sh).values()))
    fn = float(sum((truth_sh - pred_sh).values()))
    total = tp + fp + fn
    if total > 0:
        tp, fp, fn = tp / total, fp / total, fn / total
    return PageScore(tp=tp, fp=fp, fn=fn, exact=truth_tokens == pred_tokens)


def summarize(scores: Sequence[PageScore]) -> Summary:
    """Average page scores the way upstream does.

    >>> s = summarize([score_page("a b c d", "a b c d"), score_page("a b c d", "")])
    >>> (s.precision, s.recall, s.accuracy)
    (1.0, 0.5, 0.5)
    """
    predicted = [s.precision for s in scores if s.tp + s.fp > 0]
    recalled = [s.recall for s in scores if s.tp + s.fn > 0]
    precision = sum(predicted) / len(predicted) if predicted else 0.0
    recall = sum(recalled) / len(recalled) if recalled else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    accuracy = sum(s.exact for s in scores) / len(scores) if scores else 0.0
    return Summary(f1=f1, precision=precision, recall=recall, accuracy=accuracy)
