"""Helpers shared by the benchmarks: one core, peak RSS, timing, pairwise scores."""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

T = TypeVar("T")


def pin_to_one_core() -> int | None:
    """Pin this process to one CPU (Linux) and keep BLAS single-threaded; return the CPU."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    if not hasattr(os, "sched_setaffinity"):
        return None
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return cpu


def peak_rss_mib() -> float:
    """Peak resident set size of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    """Run ``fn`` once; return its result and the wall time in seconds."""
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


@dataclass(frozen=True)
class PairScores:
    """Pairwise precision, recall and F1 of a clustering against labels."""

    precision: float
    recall: float
    f1: float
    true_pairs: int
    predicted_pairs: int


def _pairs_within(labels: np.ndarray) -> int:
    _, counts = np.unique(labels, return_counts=True)
    counts = counts.astype(np.int64)
    return int((counts * (counts - 1) // 2).sum())


def pairwise_scores(truth: np.ndarray, predicted: np.ndarray) -> PairScores:
    """Score a clustering by its pairs: a pair is positive when both are in one cluster."""
    truth = np.asarray(truth, dtype=np.int64)
    predicted = np.asarray(predicted, dtype=np.int64)
    # Pairs in one cell of the contingency table are in both clusterings.
    _, cell = np.unique(np.stack([truth, predicted], axis=1), axis=0, return_inverse=True)
    both = _pairs_within(cell.ravel())
    true_pairs = _pairs_within(truth)
    predicted_pairs = _pairs_within(predicted)
    precision = both / predicted_pairs if predicted_pairs else 1.0
    recall = both / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return PairScores(precision, recall, f1, true_pairs, predicted_pairs)


def html_page(title: str, text: str) -> bytes:
    """A minimal news page around ``text`` (paragraphs split on blank lines), with chrome."""
    paragraphs = "".join(f"<p>{p}</p>" for p in text.split("\n\n"))
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{title}</title></head><body><nav><a href='/'>Home</a></nav>"
        f"<article><h1>{title}</h1>{paragraphs}</article>"
        "<footer>Copyright</footer></body></html>"
    ).encode()
