"""The whole flow in a page: read → extract → strip → normalize → dedup → merge → write.

Per-document work runs in partitions on an executor (``prepare_partition``, a
pure function of its inputs); the cross-corpus steps (repeated lines, dedup,
merge) run on the combined drafts. Every input ends as an origin of exactly
one record or as a rejection, and ``account`` checks that it did.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import orjson

from cleanpipe.config import Config
from cleanpipe.errors import AccountingError, InputError, StrictModeError
from cleanpipe.executors.base import Executor
from cleanpipe.executors.dask import DaskExecutor
from cleanpipe.executors.local import LocalExecutor
from cleanpipe.formats.output import articles_filename, serialize_articles
from cleanpipe.models import (
    Article,
    Draft,
    Origin,
    RawDocument,
    Rejection,
    Report,
    SkippedRecord,
    StripOutcome,
    Timings,
)
from cleanpipe.read import InputEntry, decode_input, list_inputs, read_input
from cleanpipe.stages.dedup import cluster_labels
from cleanpipe.stages.extract import extract
from cleanpipe.stages.merge import merge_drafts
from cleanpipe.stages.normalize import normalize_draft
from cleanpipe.stages.repeated import count_lines, draft_scope, repeated_keys
from cleanpipe.stages.strip import line_key, strip_boilerplate
from cleanpipe.write import REJECTS_FILE, OutputSwap, jsonl_bytes

log = logging.getLogger(__name__)

# Files per partition: big enough to amortise a task's overhead, small enough
# that a progress bar moves and two workers stay busy on a small dump.
PARTITION_FILES = 64

Progress = Callable[[str, int], None]
"""Called as ``progress(phase, n)`` when ``n`` more units of ``phase`` are done."""


@dataclass
class PartitionResult:
    """What one partition gives back: drafts, rejections and removal counts by rule."""

    drafts: list[Draft] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    removed: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    """WARC records that hold no article, by kind (not inputs)."""


@dataclass(frozen=True)
class PartitionTask:
    """The inputs of one partition: files under a root, or documents in memory."""

    config: Config
    root: str | None = None
    entries: tuple[InputEntry, ...] = ()
    documents: tuple[RawDocument, ...] = ()


@dataclass
class CleanResult:
    """Records, rejections and the report of cleaning a set of documents."""

    articles: list[Article]
    rejections: list[Rejection]
    report: Report


def prepare_document(doc: RawDocument, *, config: Config) -> tuple[Draft | Rejection, Counter[str]]:
    """Extract, strip and normalize one document (everything before the corpus steps)."""
    removed: Counter[str] = Counter()
    drafted = extract(doc, config=config.extract)
    if isinstance(drafted, Rejection):
        return drafted, removed
    stripped = strip_boilerplate(drafted.paragraphs, title=drafted.title, config=config.strip)
    removed.update(r.rule for r in stripped.removed)
    if not stripped.paragraphs:
        return _no_content(doc.origin, "nothing left after removing boilerplate"), removed
    draft = drafted.model_copy(
        update={
            "paragraphs": stripped.paragraphs,
            "dateline": drafted.dateline or stripped.dateline,
            "source": drafted.source or stripped.source,
        }
    )
    draft = normalize_draft(draft, config=config.normalize)
    if not draft.paragraphs:
        return _no_content(doc.origin, "nothing left after normalization"), removed
    return draft, removed


def prepare_partition(task: PartitionTask) -> PartitionResult:
    """Read (from files or memory), extract, strip and normalize one partition."""
    result = PartitionResult()
    documents: Iterable[RawDocument | Rejection | SkippedRecord]
    if task.root is not None:
        root = Path(task.root)
        documents = (
            item
            for entry in task.entries
            for item in read_input(root, entry, config=task.config.read)
        )
    else:
        documents = task.documents
    for item in documents:
        if isinstance(item, Rejection):
            result.rejections.append(item)
            continue
        if isinstance(item, SkippedRecord):
            result.skipped[item.kind] += 1
            continue
        outcome, removed = prepare_document(item, config=task.config)
        result.removed.update(removed)
        if isinstance(outcome, Rejection):
            result.rejections.append(outcome)
        else:
            result.drafts.append(outcome)
    return result


def run(
    raw: Path | str,
    out: Path | str,
    *,
    config: Config | None = None,
    executor: Executor | None = None,
    progress: Progress | None = None,
) -> Report:
    """Clean and deduplicate the dump folder ``raw`` into ``out``; return the report.

    Writes ``articles.jsonl``, ``rejects.jsonl`` and ``report.json``
    atomically. Bad inputs become rejections, never errors, unless
    ``config.strict`` is set.

    Raises:
        InputError: ``raw`` is not a readable folder.
        StrictModeError: ``config.strict`` is on and an input was rejected.
        OutputError: ``out`` cannot be written.
        AccountingError: an input was lost (a bug: please report it).
    """
    config = config or Config()
    raw, out = Path(raw), Path(out)
    if not raw.is_dir():
        msg = f"{raw}: not a folder (cleanpipe run takes a dump folder)"
        raise InputError(msg, path=str(raw))
    if config.incremental:
        from cleanpipe.incremental import check_engine  # it imports this module

        check_engine(config, executor)
    started = time.perf_counter()
    entries, listing_rejections = list_inputs(raw, config=config.read)
    tasks = [
        PartitionTask(config=config, root=str(raw), entries=tuple(entries[i : i + PARTITION_FILES]))
        for i in range(0, len(entries), PARTITION_FILES)
    ]
    if progress:
        progress("files", 0)
    owned = executor is None
    executor = executor or open_executor(config)
    incremental = None
    if config.incremental:
        # Unchanged files come from the state the last run left in OUT.
        from cleanpipe.incremental import clean_incremental

        try:
            incremental = clean_incremental(
                raw,
                out,
                entries=entries,
                extra_rejections=listing_rejections,
                executor=executor,
                config=config,
                started=started,
                progress=progress,
            )
        finally:
            if owned:
                executor.close()
        result = incremental.result
    elif isinstance(executor, DaskExecutor):
        # The corpus steps run on the cluster too: the drafts never leave it.
        from cleanpipe.distributed import clean_on_dask

        try:
            result = clean_on_dask(
                tasks,
                executor=executor,
                config=config,
                extra_rejections=listing_rejections,
                started=started,
                progress=progress,
            )
        finally:
            if owned:
                executor.close()
    else:
        try:
            results = []
            for task, part in zip(tasks, executor.map(prepare_partition, tasks), strict=True):
                results.append(part)
                if progress:
                    progress("files", len(task.entries))
        finally:
            if owned:
                executor.close()
        result = combine(
            results,
            config=config,
            extra_rejections=listing_rejections,
            started=started,
            progress=progress,
        )
    if incremental is None:
        result.report.timings.files_processed = len(entries)
    write_started = time.perf_counter()
    if progress:
        progress("write", 0)
    # One switch for the three files: a crash leaves the old trio or the new one.
    with OutputSwap(out) as swap:
        records = serialize_articles(result.articles, fmt=config.format)
        swap.add(articles_filename(config.format), records)
        swap.add(REJECTS_FILE, jsonl_bytes(result.rejections))
        if incremental is not None:  # the state switches with the records it describes
            for name, data in incremental.state_files(config=config, articles=records).items():
                swap.add_state(name, data)
        result.report.timings.write = round(time.perf_counter() - write_started, 3)
        result.report.timings.total = round(time.perf_counter() - started, 3)
        swap.add_report(result.report)
    if progress:
        progress("write", len(result.articles))
    return result.report


def open_executor(config: Config) -> Executor:
    """Open the executor ``config.engine`` names: a local process pool or a Dask cluster.

    Raises:
        ConfigError: the dask engine is asked for without the dask extra.
    """
    if config.engine == "dask":
        return DaskExecutor(scheduler=config.scheduler, workers=config.workers)
    return LocalExecutor(workers=config.workers)


def clean(
    documents: Iterable[RawDocument | str | Mapping[str, object]],
    *,
    config: Config | None = None,
) -> CleanResult:
    """Clean and deduplicate documents held in memory (the library's batch verb).

    A ``str`` is a plain-text document, a mapping is a JSON document
    (``title``, ``text``…), a ``RawDocument`` is taken as it is. Origins of
    the first two are named ``<input>`` with ``line`` the 1-based position.

    >>> text = "Hanoi (VNA) - Rice exports rose by five percent in May, the ministry said."
    >>> result = clean([text, text])
    >>> len(result.articles), [o.line for o in result.articles[0].origins]
    (1, [1, 2])
    """
    config = config or Config()
    started = time.perf_counter()
    raw_docs: list[RawDocument] = []
    rejections: list[Rejection] = []
    for position, item in enumerate(documents, start=1):
        if isinstance(item, RawDocument):
            raw_docs.append(item)
            continue
        if isinstance(item, str):
            data, fmt = item.encode("utf-8"), "a.txt"
        else:
            data, fmt = orjson.dumps(dict(item), default=str), "a.json"
        for decoded in decode_input(fmt, data, config=config.read):
            if isinstance(decoded, Rejection):
                rejections.append(decoded.model_copy(update={"path": "<input>", "line": position}))
            elif isinstance(decoded, RawDocument):
                origin = decoded.origin.model_copy(update={"path": "<input>", "line": position})
                raw_docs.append(decoded.model_copy(update={"origin": origin}))
    part = prepare_partition(PartitionTask(config=config, documents=tuple(raw_docs)))
    return combine([part], config=config, extra_rejections=rejections, started=started)


def combine(
    results: Sequence[PartitionResult],
    *,
    config: Config,
    extra_rejections: Sequence[Rejection] = (),
    started: float | None = None,
    progress: Progress | None = None,
    cluster: Callable[[Sequence[str]], np.ndarray] | None = None,
) -> CleanResult:
    """Run the corpus steps over prepared partitions: repeated lines, dedup, merge.

    ``cluster`` labels the texts as ``cluster_labels`` does (an incremental run
    passes one that reuses the last run's signatures and verdicts).
    """
    started = time.perf_counter() if started is None else started
    timings = Timings(read_extract_strip=round(time.perf_counter() - started, 3))
    drafts = [d for part in results for d in part.drafts]
    rejections = [*extra_rejections, *(r for part in results for r in part.rejections)]
    removed: Counter[str] = Counter()
    skipped: Counter[str] = Counter()
    for part in results:
        removed.update(part.removed)
        skipped.update(part.skipped)
    inputs = len(drafts) + len(rejections)
    check_strict(rejections, config=config)

    phase = time.perf_counter()
    if progress:
        progress("repeated lines", 0)
    drafts, late_rejections = remove_repeated_lines(drafts, config=config, removed=removed)
    rejections.extend(late_rejections)
    timings.repeated_lines = round(time.perf_counter() - phase, 3)
    if progress:
        progress("repeated lines", len(drafts) + len(late_rejections))
        progress("dedup", 0)

    phase = time.perf_counter()
    drafts.sort(key=lambda d: (d.origin.path, d.origin.line or 0))
    texts = [d.text for d in drafts]
    dedup_config = config.dedup
    if cluster is None:
        labels = cluster_labels(texts, config=dedup_config, near=config.dedup_enabled)
    else:
        labels = cluster(texts)
    groups: dict[int, list[Draft]] = {}
    for draft, label in zip(drafts, labels.tolist(), strict=True):
        groups.setdefault(label, []).append(draft)
    timings.dedup = round(time.perf_counter() - phase, 3)
    if progress:
        progress("dedup", len(drafts))

    phase = time.perf_counter()
    if progress:
        progress("merge", 0)
    articles = sorted((merge_drafts(group) for group in groups.values()), key=lambda a: a.id)
    rejections.sort(key=_rejection_key)
    timings.merge = round(time.perf_counter() - phase, 3)
    if progress:
        progress("merge", len(drafts))

    sizes = Counter(len(group) for group in groups.values() if len(group) > 1)
    return build_result(
        inputs=inputs,
        articles=articles,
        rejections=rejections,
        removed=removed,
        skipped=skipped,
        cluster_sizes=sizes,
        timings=timings,
    )


def build_result(
    *,
    inputs: int,
    articles: list[Article],
    rejections: list[Rejection],
    removed: Counter[str],
    skipped: Counter[str],
    cluster_sizes: Counter[int],
    timings: Timings,
) -> CleanResult:
    """Count a run into its report, check the accounting, and bundle the result.

    Both engines end here, so their reports are built the same way.

    Raises:
        AccountingError: the counts do not balance.
    """
    report = Report(
        inputs=inputs,
        records=len(articles),
        merged=sum(len(a.origins) - 1 for a in articles),
        rejected=len(rejections),
        rejects_by_reason=dict(sorted(Counter(r.reason for r in rejections).items())),
        removed_by_rule=dict(sorted(removed.items())),
        cluster_sizes={str(size): count for size, count in sorted(cluster_sizes.items())},
        skipped_records=dict(sorted(skipped.items())),
        timings=timings,
    )
    account(report, articles, rejections)
    return CleanResult(articles=articles, rejections=rejections, report=report)


def remove_repeated_lines(
    drafts: list[Draft], *, config: Config, removed: Counter[str]
) -> tuple[list[Draft], list[Rejection]]:
    """Remove paragraphs that recur across the corpus (``repeated_line``)."""
    if "repeated_line" in config.strip.disabled_rules:
        return drafts, []
    keys = repeated_keys(count_lines(drafts, config=config.strip), config=config.strip)
    return drop_repeated_lines(drafts, keys=keys, removed=removed)


def drop_repeated_lines(
    drafts: list[Draft], *, keys: Mapping[str, frozenset[str]], removed: Counter[str]
) -> tuple[list[Draft], list[Rejection]]:
    """Remove the paragraphs whose keys are repeated in the draft's scope."""
    if not keys:
        return drafts, []
    kept: list[Draft] = []
    rejections: list[Rejection] = []
    for draft in drafts:
        scope_keys = keys.get(draft_scope(draft), frozenset())
        paragraphs = tuple(p for p in draft.paragraphs if line_key(p) not in scope_keys)
        dropped = len(draft.paragraphs) - len(paragraphs)
        if not dropped:
            kept.append(draft)
            continue
        removed["repeated_line"] += dropped
        if paragraphs:
            kept.append(draft.model_copy(update={"paragraphs": paragraphs}))
        else:
            rejections.append(_no_content(draft.origin, "only lines repeated across the corpus"))
    return kept, rejections


def check_strict(rejections: Sequence[Rejection], *, config: Config) -> None:
    """Stop a strict run at its first rejection in (path, line) order.

    Raises:
        StrictModeError: ``config.strict`` is on and there is a rejection.
    """
    if config.strict and rejections:
        first = sorted(rejections, key=_rejection_key)[0]
        where = first.path + (f":{first.line}" if first.line else "")
        msg = f"{where}: rejected ({first.reason}: {first.detail}); strict mode stops the run"
        raise StrictModeError(msg)


def account(report: Report, articles: Sequence[Article], rejections: Sequence[Rejection]) -> None:
    """Check that every input is a record's origin or a rejection, exactly once.

    Raises:
        AccountingError: the counts do not balance.
    """
    origins = sum(len(a.origins) for a in articles)
    if report.inputs != origins + len(rejections):
        msg = (
            f"accounting mismatch: {report.inputs} inputs, but {origins} origins "
            f"+ {len(rejections)} rejections"
        )
        raise AccountingError(msg)


def iter_origins(articles: Iterable[Article]) -> Iterator[Origin]:
    """Every origin of every record, in record order."""
    for article in articles:
        yield from article.origins


def _rejection_key(rejection: Rejection) -> tuple[str, int]:
    return (rejection.path, rejection.line or 0)


def _no_content(origin: Origin, detail: str) -> Rejection:
    return Rejection(detail=detail, line=origin.line, path=origin.path, reason="no-content")


def strip_file(path: Path | str, *, config: Config | None = None) -> list[StripOutcome]:
    """Read one file and show what stripping keeps and removes, per document.

    Raises:
        InputError: the file cannot be read.
    """
    config = config or Config()
    path = Path(path)
    if not path.is_file():
        msg = f"{path}: no such file"
        raise InputError(msg, path=str(path), reason="unreadable")
    outcomes: list[StripOutcome] = []
    for item in read_input(path.parent, InputEntry(path.name), config=config.read):
        if isinstance(item, Rejection):
            outcomes.append(StripOutcome(origin=_rejected_origin(item), rejection=item))
            continue
        if isinstance(item, SkippedRecord):
            continue
        drafted = extract(item, config=config.extract)
        if isinstance(drafted, Rejection):
            outcomes.append(StripOutcome(origin=item.origin, rejection=drafted))
            continue
        result = strip_boilerplate(drafted.paragraphs, title=drafted.title, config=config.strip)
        outcomes.append(StripOutcome(origin=item.origin, title=drafted.title, result=result))
    return outcomes


def _rejected_origin(rejection: Rejection) -> Origin:
    return Origin(format="text", line=rejection.line, path=rejection.path, sha256="")
