"""The whole flow in a page: plan → prepare → corpus steps → merge + write.

Every engine runs this one flow; an engine (``executors``) only schedules the
steps of ``cleanpipe.steps`` over the artifacts in the work folder
(``cleanpipe.work``). No process holds the corpus: the driver holds a few
integers per document (``cleanpipe.corpus``), workers one partition or one
block of candidate pairs at a time, and the records reach the output as
sorted runs merged on the way out.

1. **plan**: partitions of about ``partition_bytes`` of input (``cleanpipe.plan``).
2. **prepare** (map): read → extract → strip → normalize → sign, per
   partition, into its artifact. A partition whose artifact is already on disk
   under the same key (a resumed run, ``--incremental``) is not prepared again.
3. **repeated lines**: count scoped line hashes; **fix** (map) the drafts that
   hold a repeated line.
4. **dedup**: exact copies by digest, LSH star candidates band by band,
   **verify** (map) the candidates on their texts, connected components.
5. **merge** (map): records of single drafts per partition and of clusters,
   each task a run sorted by id; **write**: the runs merged by id, streamed
   into the output files, swapped in crash-safely with the report last.

Every input ends as an origin of exactly one record or as a rejection, and
the counts are checked before the report is written.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
import orjson
import xxhash

from cleanpipe.config import Config
from cleanpipe.corpus import DocTable, clusters, repeated_lines
from cleanpipe.errors import AccountingError, InputError, StrictModeError
from cleanpipe.executors.base import Executor
from cleanpipe.executors.local import LocalExecutor
from cleanpipe.formats.output import articles_filename, encode_articles, write_parquet
from cleanpipe.heap import trim as trim_heap
from cleanpipe.models import (
    Article,
    Origin,
    RawDocument,
    Rejection,
    Report,
    SkippedRecord,
    StripOutcome,
    Timings,
)
from cleanpipe.plan import Plan, plan_run
from cleanpipe.read import InputEntry, decode_input, display_path, read_input
from cleanpipe.sketch.lsh import optimal_bands
from cleanpipe.stages.extract import extract
from cleanpipe.stages.strip import strip_boilerplate
from cleanpipe.steps import (
    FixSummary,
    FixTask,
    MergeSummary,
    MergeTask,
    PrepareTask,
    VerifyTask,
    fix_partition,
    merge_record_runs,
    merge_records,
    merge_rejection_runs,
    prepare_document,
    prepare_partition,
    verify_edges,
)
from cleanpipe.work import PartSummary, WorkFolder, read_summary
from cleanpipe.write import (
    REJECTS_FILE,
    STATE_DIR,
    OutputSwap,
    canonical_json,
    lock_output,
    write_atomic,
)

__all__ = ["CleanResult", "clean", "open_executor", "prepare_document", "run", "strip_file"]

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int | None], None]
"""Called as ``progress(phase, n, total)`` when ``n`` more units of ``phase`` are done.

Phases: ``prepare`` counts input bytes (``total`` is the dump's size),
``documents`` the documents prepared, then ``dedup`` and ``write`` documents
and records."""

# Candidate pairs per verification task, and drafts per merge task: enough to
# amortise a task's start, few enough that what a task reads back stays a few
# tens of MB (a verification task holds the texts of its pairs' drafts, up to
# 8,192 of ~2.5 KB; a draft read back for the merge costs ~6 KB as Python
# objects and its record line ~3 KB: 4,096 of them ~40 MB; at 20,000 the merge
# tasks were the largest part of the workers' peak, ~1.2 GiB over the process
# tree at 100k documents).
VERIFY_BLOCK = 4096
MERGE_BLOCK = 4096
TIMINGS_FILE = "timings.json"
"""``OUT/.cleanpipe/timings.json``: the last run's timings (not committed, not in report.json)."""


@dataclass
class CleanResult:
    """Records, rejections and the report of cleaning a set of documents."""

    articles: list[Article]
    rejections: list[Rejection]
    report: Report


def run(
    raw: Path | str,
    out: Path | str,
    *,
    config: Config | None = None,
    executor: Executor | None = None,
    progress: Progress | None = None,
) -> Report:
    """Clean and deduplicate the dump ``raw`` (a folder or one file) into ``out``.

    Writes ``articles.jsonl``, ``rejects.jsonl`` and ``report.json``
    crash-safely. Bad inputs become rejections, never errors, unless
    ``config.strict`` is set. Rerunning after a crash resumes from the
    partitions already prepared.

    Raises:
        InputError: ``raw`` is neither a readable folder nor a file.
        StrictModeError: ``config.strict`` is on and an input was rejected.
        OutputError: ``out`` (or the work folder) cannot be written.
        AccountingError: an input was lost (a bug: please report it).
    """
    config = config or Config()
    raw, out = Path(raw), Path(out)
    started = time.perf_counter()
    if not raw.exists():
        msg = f"{raw}: no such folder or file (cleanpipe run takes a dump folder or a dump file)"
        raise InputError(msg, path=str(raw))
    with lock_output(out):
        plan = plan_run(raw, config=config, partition_bytes=config.partition_bytes)
        work = WorkFolder(Path(config.work_dir) if config.work_dir else out / STATE_DIR / "work")
        owned = executor is None
        executor = executor or open_executor(config)
        try:
            corpus = _Corpus(plan, work, config=config, executor=executor, progress=progress)
            corpus.prepare()
            corpus.dedup()
            corpus.merge()
        finally:
            if owned:
                executor.close()
        report = corpus.write(out)
        report.timings.total = round(time.perf_counter() - started, 3)
        _save_timings(out, report.timings)
        if config.incremental:
            used_fixes = [f for f in corpus.fix_folders() if f is not None]
            work.prune([*corpus.used, *used_fixes])
        else:
            work.remove()
    return report


def _save_timings(out: Path, timings: Timings) -> None:
    try:
        write_atomic(out / STATE_DIR / TIMINGS_FILE, timings.model_dump_json(indent=2).encode())
    except Exception:  # noqa: BLE001 - the timings are a courtesy; the run has succeeded
        log.warning("%s: could not save the run's timings", out)


def open_executor(config: Config) -> Executor:
    """Open the executor ``config.engine`` names: a local process pool or a Dask cluster.

    Raises:
        ConfigError: the dask engine is asked for without the dask extra.
    """
    if config.engine == "dask":
        from cleanpipe.executors.dask import DaskExecutor

        return DaskExecutor(scheduler=config.scheduler, workers=config.workers)
    return LocalExecutor(workers=config.workers)


@dataclass
class _Corpus:
    """One run's corpus steps over the work folder (see the module docstring)."""

    plan: Plan
    work: WorkFolder
    config: Config
    executor: Executor
    progress: Progress | None = None
    documents: tuple[RawDocument, ...] = ()
    summaries: list[PartSummary] = field(default_factory=list)
    fixes: list[FixSummary] = field(default_factory=list)
    merged: list[MergeSummary] = field(default_factory=list)
    runs: list[Path] = field(default_factory=list)
    timings: Timings = field(default_factory=Timings)
    table: DocTable | None = None
    members: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    """The dense ids of the clusters of two or more drafts, cluster after cluster."""
    sizes: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    """The size of each cluster, in the order of ``members``."""
    _repeated_digest: str = ""
    used: list[Path] = field(default_factory=list)
    """The corpus steps' artifacts this run made or took (an incremental run keeps them)."""

    def _tick(self, phase: str, n: int, total: int | None = None) -> None:
        if self.progress is not None:
            self.progress(phase, n, total)

    # -- prepare ------------------------------------------------------------------------

    def prepare(self) -> None:
        """Prepare every partition whose artifact is not on disk; read back the others."""
        start = time.perf_counter()
        keys = [part.key for part in self.plan.partitions]
        removed = self.work.open(keep=keys)
        tasks = [
            PrepareTask(
                config=self.config,
                parts=str(self.work.parts),
                key=part.key,
                root=str(self.plan.root),
                pieces=part.pieces,
            )
            for part in self.plan.partitions
            if not self.work.has(part.key)
        ]
        if self.documents:
            key = "documents"
            tasks = [
                PrepareTask(
                    config=self.config,
                    parts=str(self.work.parts),
                    key=key,
                    documents=self.documents,
                )
            ]
            keys = [key]
        self._tick("prepare", 0, self.plan.total_bytes or None)
        size_of = {part.key: part.size for part in self.plan.partitions}
        done: dict[str, PartSummary] = {}
        for key in keys:
            if self.work.has(key) and not self.documents:
                done[key] = read_summary(self.work.part(key))
                self._tick("prepare", size_of.get(key, 0))
                self._tick("documents", done[key].drafts + done[key].rejections)
        for summary in self.executor.map(prepare_partition, tasks):
            done[summary.key] = summary
            self._tick("prepare", size_of.get(summary.key, 0))
            self._tick("documents", summary.drafts + summary.rejections)
        self.summaries = [done[key] for key in keys]
        self.timings.read_extract_strip = round(time.perf_counter() - start, 3)
        prepared = {task.key for task in tasks}
        files = {part.key: {p.rel_path for p in part.pieces} for part in self.plan.partitions}
        read = {f for key in prepared for f in files.get(key, ())}
        kept = {f for key, names in files.items() if key not in prepared for f in names}
        self.timings.files_processed = len(read)
        self.timings.files_unchanged = len(kept - read)
        self.timings.files_gone = len(removed - {display_path(f) for f in read | kept})
        self.timings.partitions_reused = len(keys) - len(tasks)
        self.timings.partitions_prepared = len(tasks)
        if self.timings.partitions_reused:
            log.info(
                "%s: %d of %d partitions reused from an earlier run",
                self.work.path,
                self.timings.partitions_reused,
                len(keys),
            )

    @property
    def part_folders(self) -> list[Path]:
        return [self.work.part(s.key) for s in self.summaries]

    def fix_folder(self, key: str) -> Path:
        """Where partition ``key`` is kept with this run's repeated lines removed."""
        return self.work.fixes / f"{key}.{self._repeated_digest}"

    def fix_folders(self) -> list[Path | None]:
        return [
            self.fix_folder(s.key) if f.fixed else None
            for s, f in zip(self.summaries, self.fixes, strict=True)
        ]

    # -- repeated lines and dedup ---------------------------------------------------------

    def dedup(self) -> None:
        """Remove repeated lines, check strictness, and cluster the copies."""
        start = time.perf_counter()
        config = self.config
        self.fixes = [FixSummary() for _ in self.summaries]
        if "repeated_line" not in config.strip.disabled_rules:
            repeated = repeated_lines(
                self.part_folders, self.summaries, min_docs=config.strip.repeated_line_min_docs
            )
            trim_heap()
            if len(repeated):
                self._repeated_digest = xxhash.xxh3_64_hexdigest(repeated.tobytes())
                tasks = [
                    FixTask(
                        config=config,
                        part=str(folder),
                        fix=str(self.fix_folder(summary.key)),
                        repeated=repeated,
                    )
                    for folder, summary in zip(self.part_folders, self.summaries, strict=True)
                ]
                self.fixes = list(self.executor.map(fix_partition, tasks))
        self.timings.repeated_lines = round(time.perf_counter() - start, 3)
        self._check_strict()
        start = time.perf_counter()
        self.table = DocTable(
            self.part_folders, self.fix_folders(), [s.paths for s in self.summaries]
        )
        edges, representatives = self.table.representatives()
        trim_heap()
        found = [edges]
        if config.dedup_enabled and len(representatives) > 1:
            bands, _rows = optimal_bands(config.dedup.jaccard_threshold, config.dedup.num_perm)
            candidates = self.table.candidates(representatives, bands)
            trim_heap()
            found.append(candidates[self._verify(candidates)])
        self.members, self.sizes = clusters(np.concatenate(found).reshape(-1, 2))
        # What the driver holds through the merge and the write is a few
        # integers a document; the sorts and joins above freed ~5x as much,
        # which glibc would otherwise keep (150 MiB at 1M documents).
        trim_heap()
        self._tick("dedup", len(self.table))
        self.timings.dedup = round(time.perf_counter() - start, 3)

    def _verify(self, candidates: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
        if len(candidates) == 0 or self.table is None:
            return np.zeros(0, dtype=bool)
        place = self.table.place
        parts = tuple(str(p) for p in self.part_folders)
        fixes = tuple(None if f is None else str(f) for f in self.fix_folders())
        tasks = []
        # Each block's rows made on their own (16 bytes a pair, int32): all of
        # them at once as int64 cost 80 MB of temporaries at 1M documents.
        for i in range(0, len(candidates), VERIFY_BLOCK):
            block = candidates[i : i + VERIFY_BLOCK]
            edges = np.concatenate([place[block[:, 0]], place[block[:, 1]]], axis=1)
            result = self.work.verifies / f"{self._task_key('verify', edges)}.npy"
            self.used.append(result)
            task = VerifyTask(
                config=self.config.dedup, parts=parts, fixes=fixes, edges=edges, result=str(result)
            )
            tasks.append(task)
        return np.concatenate(list(self.executor.map(verify_edges, tasks)))

    def _task_key(self, kind: str, *arrays: npt.NDArray[np.int64]) -> str:
        """A name for a corpus step's artifact: a hash of all it is made from.

        The partitions (their keys hold the input bytes, settings and code
        version), the repeated lines removed, the dedup settings, and the
        task's own rows: the same key is the same work, done already by a
        run that was killed after it.
        """
        hasher = xxhash.xxh3_128()
        head = [
            kind,
            [s.key for s in self.summaries],
            [f.fixed for f in self.fixes],
            self._repeated_digest,
            self.config.dedup.model_dump(mode="json"),
        ]
        hasher.update(orjson.dumps(head))
        for array in arrays:
            hasher.update(np.ascontiguousarray(array, dtype=np.int64).tobytes())
            hasher.update(b"|")
        return hasher.hexdigest()

    def _check_strict(self) -> None:
        """Stop a strict run at its first rejection in (path, line) order, whichever step made it.

        Raises:
            StrictModeError: ``config.strict`` is on and there is a rejection.
        """
        if not self.config.strict:
            return
        firsts = [
            *((r.path, r.line or 0, r.reason, r.detail) for r in self.plan.rejections),
            *(s.first_rejection for s in self.summaries if s.first_rejection),
            *(f.first_rejection for f in self.fixes if f.first_rejection),
        ]
        if firsts:
            path, line, reason, detail = min(firsts, key=lambda f: (f[0], f[1]))
            where = path + (f":{line}" if line else "")
            msg = f"{where}: rejected ({reason}: {detail}); strict mode stops the run"
            raise StrictModeError(msg)

    # -- merge and write ------------------------------------------------------------------

    def merge(self) -> None:
        """Merge the clusters and the single drafts into sorted runs of records."""
        start = time.perf_counter()
        if self.table is None:
            msg = "merge before dedup"
            raise RuntimeError(msg)
        parts = tuple(str(p) for p in self.part_folders)
        fixes = tuple(None if f is None else str(f) for f in self.fix_folders())
        place = self.table.place
        clustered = [np.zeros(len(p.alive), dtype=bool) for p in self.table.parts]
        everyone = place[self.members].astype(np.int64)
        for number, part in enumerate(self.table.parts):
            rows = everyone[everyone[:, 0] == number, 1]
            clustered[number][np.searchsorted(part.alive, rows)] = True
        tasks: list[MergeTask] = []
        # Clusters in blocks of at least MERGE_BLOCK drafts (a cluster is never cut).
        first = low = members = 0
        sizes = self.sizes.tolist()
        for index, size in enumerate(sizes, start=1):
            members += size
            if members >= MERGE_BLOCK or index == len(sizes):
                high = low + members
                tasks.append(
                    self._merge_task(
                        parts, fixes, members=everyone[low:high], sizes=self.sizes[first:index]
                    )
                )
                first, low, members = index, high, 0
        for number, part in enumerate(self.table.parts):
            singles = part.alive[~clustered[number]]
            for i in range(0, len(singles), MERGE_BLOCK):
                tasks.append(
                    self._merge_task(parts, fixes, part=number, rows=singles[i : i + MERGE_BLOCK])
                )
        self.runs = [Path(task.run) for task in tasks]
        self.used += [*self.runs, *(run.with_suffix(".json") for run in self.runs)]
        self.merged = list(self.executor.map(merge_records, tasks))
        self.timings.merge = round(time.perf_counter() - start, 3)

    def _merge_task(
        self,
        parts: tuple[str, ...],
        fixes: tuple[str | None, ...],
        *,
        part: int = -1,
        rows: npt.NDArray[np.int64] | None = None,
        members: npt.NDArray[np.int64] | None = None,
        sizes: npt.NDArray[np.int64] | None = None,
    ) -> MergeTask:
        none = np.zeros(0, dtype=np.int64)
        own = [
            np.asarray([part], dtype=np.int64),
            none if rows is None else rows,
            none if members is None else members,
            none if sizes is None else sizes,
        ]
        run = self.work.runs / f"{self._task_key('merge', *own)}.run"
        return MergeTask(
            parts=parts,
            fixes=fixes,
            run=str(run),
            part=part,
            rows=rows,
            members=members,
            sizes=sizes,
        )

    def rejection_files(self) -> list[Path]:
        files = [self.work.part(s.key) / "rejects.jsonl" for s in self.summaries]
        files += [
            self.fix_folder(s.key) / "rejects.jsonl"
            for s, f in zip(self.summaries, self.fixes, strict=True)
            if f.rejections
        ]
        return files

    def records(self) -> Iterator[bytes]:
        """The records as canonical JSON lines, sorted by id."""
        yield from merge_record_runs(self.runs, self.work.scratch)

    def rejections(self) -> Iterator[Rejection]:
        """Every rejection, sorted by (path, line)."""
        listing = self.work.scratch / "listing.jsonl"
        with listing.open("wb") as handle:
            for rejection in self.plan.rejections:
                handle.write(orjson.dumps(rejection.model_dump(mode="json")) + b"\n")
        yield from merge_rejection_runs([listing, *self.rejection_files()])

    def report(self, reasons: Counter[str]) -> Report:
        """Count the run into its report and check the accounting.

        Raises:
            AccountingError: the counts do not balance.
        """
        removed: Counter[str] = Counter()
        skipped: Counter[str] = Counter()
        for summary in self.summaries:
            removed.update(summary.removed)
            skipped.update(summary.skipped)
        repeated = sum(f.removed for f in self.fixes)
        if repeated:
            removed["repeated_line"] += repeated
        inputs = len(self.plan.rejections) + sum(s.drafts + s.rejections for s in self.summaries)
        records = sum(m.records for m in self.merged)
        origins = sum(m.origins for m in self.merged)
        rejected = sum(reasons.values())
        sizes: Counter[int] = Counter()
        for m in self.merged:
            sizes.update(m.sizes)
        if inputs != origins + rejected:
            msg = (
                f"accounting mismatch: {inputs} inputs, but {origins} origins "
                f"+ {rejected} rejections"
            )
            raise AccountingError(msg)
        return Report(
            inputs=inputs,
            records=records,
            merged=origins - records,
            rejected=rejected,
            rejects_by_reason=dict(sorted(reasons.items())),
            removed_by_rule=dict(sorted(removed.items())),
            cluster_sizes={str(size): count for size, count in sorted(sizes.items())},
            skipped_records=dict(sorted(skipped.items())),
            timings=self.timings,
        )

    def write(self, out: Path) -> Report:
        """Stream the records and rejections into OUT's files; the report last.

        Raises:
            OutputError: OUT cannot be written.
            AccountingError: the counts do not balance.
        """
        start = time.perf_counter()
        fmt = self.config.format
        name = articles_filename(fmt)
        reasons: Counter[str] = Counter()

        def rejection_lines() -> Iterator[bytes]:
            for rejection in self.rejections():
                reasons[rejection.reason] += 1
                yield canonical_json(rejection) + b"\n"

        with OutputSwap(out, locked=True) as swap:
            if fmt == "parquet":
                swap.add_writer(name, lambda handle: write_parquet(self.records(), handle))
            else:
                swap.add_stream(name, encode_articles(self.records(), fmt=fmt))
            swap.add_stream(REJECTS_FILE, rejection_lines())
            report = self.report(reasons)
            self._tick("write", report.records)
            self.timings.write = round(time.perf_counter() - start, 3)
            swap.add_report(report)
        return report


def clean(
    documents: Iterable[RawDocument | str | Mapping[str, object]],
    *,
    config: Config | None = None,
) -> CleanResult:
    """Clean and deduplicate documents held in memory (the library's batch verb).

    A ``str`` is a plain-text document, a mapping is a JSON document
    (``title``, ``text``…), a ``RawDocument`` is taken as it is. Origins of
    the first two are named ``<input>`` with ``line`` the 1-based position.
    The steps are ``run``'s, in one process, over a temporary work folder.

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
    with tempfile.TemporaryDirectory(prefix="cleanpipe-clean-") as tmp:
        plan = Plan(root=Path(tmp), partitions=[], rejections=rejections, total_bytes=0, files=0)
        work = WorkFolder(Path(tmp) / "work")
        corpus = _Corpus(
            plan,
            work,
            config=config,
            executor=LocalExecutor(workers=1),
            documents=tuple(raw_docs) or (),
        )
        if raw_docs:
            corpus.prepare()
        else:
            work.open(keep=())
        corpus.dedup()
        corpus.merge()
        reasons: Counter[str] = Counter()
        found = list(corpus.rejections())
        reasons.update(r.reason for r in found)
        articles = [Article.model_validate_json(line) for line in corpus.records()]
        report = corpus.report(reasons)
    report.timings.total = round(time.perf_counter() - started, 3)
    return CleanResult(
        articles=articles,
        rejections=[Rejection.model_validate(r.model_dump()) for r in found],
        report=report,
    )


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
