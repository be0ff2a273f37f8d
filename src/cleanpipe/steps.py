"""The steps an engine schedules: pure functions of a task, artifacts in, artifacts out.

Each function takes one picklable task, reads what it names from the work
folder (``cleanpipe.work``), writes its result there, and returns a small
summary. The local process pool and Dask run exactly these functions; neither
holds any step logic of its own.

- ``prepare_partition``: read → extract → strip → normalize → sign one partition.
- ``fix_partition``: remove the lines repeated across the corpus from its drafts.
- ``verify_edges``: decide a block of candidate pairs on their texts.
- ``merge_records``: merge clusters (or single drafts) into records, a sorted run.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import heapq
import io
import shutil
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import numpy as np
import numpy.typing as npt
import orjson
import xxhash

from cleanpipe.config import Config, DedupConfig
from cleanpipe.models import Draft, Origin, RawDocument, Rejection, SkippedRecord, StripResult
from cleanpipe.plan import Piece
from cleanpipe.read import display_path, read_piece
from cleanpipe.sketch.lsh import optimal_bands
from cleanpipe.sketch.unionfind import UnionFind
from cleanpipe.stages import language
from cleanpipe.stages.dedup import band_keys, digest_array
from cleanpipe.stages.extract import extract
from cleanpipe.stages.merge import Copy, merge_copies, paragraph_words
from cleanpipe.stages.normalize import normalize_drafts
from cleanpipe.stages.repeated import (
    draft_scope,
    line_keys,
    normalized_line_key,
    source_scope,
)
from cleanpipe.stages.strip import strip_boilerplate
from cleanpipe.stages.verify import verify_pair
from cleanpipe.work import (
    DRAFT_FIELDS,
    PartReader,
    PartSummary,
    PartWriter,
    iter_rejections,
    load_array,
    read_npy,
    save_array,
    temporary,
    work_error,
    write_file_atomic,
    write_texts,
)

__all__ = [
    "FixTask",
    "MergeTask",
    "PrepareTask",
    "VerifyTask",
    "fix_partition",
    "merge_records",
    "prepare_document",
    "prepare_partition",
    "verify_edges",
]

_T = TypeVar("_T")
_R = TypeVar("_R")

# Drafts signed together: the vectorised shingling and signing run at full
# speed from a few thousand texts on (see stages.dedup.SIGN_BATCH), and a
# batch's columns stay a few MB.
PREPARE_BATCH = 4096


def prepare_document(doc: RawDocument, *, config: Config) -> tuple[Draft | Rejection, Counter[str]]:
    """Extract, strip and normalize one document (everything before the corpus steps)."""
    stripped, removed = _strip_document(doc, config=config)
    return _normalize_batch([stripped], config=config)[0], removed


@dataclass(frozen=True)
class _Stripped:
    """A document extracted and stripped, waiting to be normalized with its batch."""

    origin: Origin
    draft: Draft
    """As extracted."""
    result: StripResult


def _strip_document(
    doc: RawDocument, *, config: Config
) -> tuple[_Stripped | Rejection, Counter[str]]:
    removed: Counter[str] = Counter()
    drafted = extract(doc, config=config.extract)
    if isinstance(drafted, Rejection):
        return drafted, removed
    stripped = strip_boilerplate(drafted.paragraphs, title=drafted.title, config=config.strip)
    removed.update(r.rule for r in stripped.removed)
    if not stripped.paragraphs:
        return _no_content(doc.origin, "nothing left after removing boilerplate"), removed
    return _Stripped(origin=doc.origin, draft=drafted, result=stripped), removed


def _normalize_batch(
    items: Sequence[_Stripped | Rejection], *, config: Config
) -> list[Draft | Rejection]:
    """Normalize the stripped documents among ``items`` together (their languages in one walk)."""
    stripped = [item for item in items if isinstance(item, _Stripped)]
    done = iter(
        normalize_drafts(
            [item.draft for item in stripped],
            config=config.normalize,
            stripped=[item.result for item in stripped],
        )
    )
    outcomes: list[Draft | Rejection] = []
    for item in items:
        if isinstance(item, Rejection):
            outcomes.append(item)
            continue
        draft = next(done)
        if not draft.paragraphs:
            outcomes.append(_no_content(item.origin, "nothing left after normalization"))
        else:
            outcomes.append(draft)
    return outcomes


@dataclass(frozen=True)
class PrepareTask:
    """One partition to prepare: pieces of files under ``root``, or documents in memory."""

    config: Config
    parts: str
    """The work folder's ``parts`` folder."""
    key: str
    root: str | None = None
    pieces: tuple[Piece, ...] = ()
    documents: tuple[RawDocument, ...] = ()


def prepare_partition(task: PrepareTask) -> PartSummary:
    """Read, extract, strip, normalize and sign one partition into its artifact.

    Raises:
        OutputError: the work folder cannot be written (a full disk).
    """
    config = task.config
    bands, _rows = optimal_bands(config.dedup.jaccard_threshold, config.dedup.num_perm)
    folder = Path(task.parts)
    try:
        writer = PartWriter(folder, task.key, bands=bands)
    except OSError as exc:
        raise work_error(folder, exc) from exc
    try:
        # Documents wait in read order, rejections among them, until a batch
        # of drafts is stripped: the batch is normalized (its languages told
        # in one walk), then written in that order.
        pending: list[_Stripped | Rejection] = []
        waiting = 0
        for item in _documents(task):
            if isinstance(item, SkippedRecord):
                writer.summary.skipped[item.kind] += 1
                continue
            if isinstance(item, Rejection):
                pending.append(item)
                continue
            outcome, removed = _strip_document(item, config=config)
            writer.summary.removed.update(removed)
            pending.append(outcome)
            if isinstance(outcome, _Stripped):
                waiting += 1
                if waiting == PREPARE_BATCH:
                    _add_batch(writer, pending, config=config, bands=bands)
                    pending, waiting = [], 0
        _add_batch(writer, pending, config=config, bands=bands)
        return writer.close(inputs=[display_path(piece.rel_path) for piece in task.pieces])
    except OSError as exc:
        writer.abort()
        raise work_error(folder, exc) from exc
    except BaseException:
        writer.abort()
        raise


def _documents(task: PrepareTask) -> Iterator[RawDocument | Rejection | SkippedRecord]:
    if task.root is None:
        yield from task.documents
        return
    root = Path(task.root)
    for piece in task.pieces:
        yield from read_piece(
            root,
            piece.rel_path,
            config=task.config.read,
            start=piece.start,
            end=piece.end,
            first_line=piece.first_line,
        )


def _add_batch(
    writer: PartWriter, items: Sequence[_Stripped | Rejection], *, config: Config, bands: int
) -> None:
    batch: list[Draft] = []
    for outcome in _normalize_batch(items, config=config):
        if isinstance(outcome, Rejection):
            writer.add_rejection(outcome)
        else:
            batch.append(outcome)
    if not batch:
        return
    texts = [draft.text for draft in batch]
    digests = digest_array(texts)
    if config.dedup_enabled:
        keys = band_keys(texts, config=config.dedup)
    else:
        keys = np.zeros((len(batch), bands), dtype=np.uint64)
    rows: list[int] = []
    hashed: list[int] = []
    if "repeated_line" not in config.strip.disabled_rules:
        for row, draft in enumerate(batch):
            scope = draft_scope(draft)
            for key in line_keys(draft, config=config.strip, normalized=True):
                rows.append(row)
                hashed.append(scoped_line_hash(scope, key))
    writer.add_drafts(
        batch,
        digests=digests,
        bands=keys,
        line_rows=np.asarray(rows, dtype=np.int64),
        line_keys=np.asarray(hashed, dtype=np.uint64),
        words=[paragraph_words(draft.paragraphs) for draft in batch],
    )


def scoped_line_hash(scope: str, key: str) -> int:
    """The 64-bit key under which a line is counted in its scope (source) across the corpus.

    >>> scoped_line_hash("VNA", "share this") != scoped_line_hash("", "share this")
    True
    """
    return xxhash.xxh3_64_intdigest(f"{scope}\0{key}".encode("utf-8", "surrogatepass"))


@dataclass(frozen=True)
class FixTask:
    """Remove the repeated lines ``repeated`` (sorted scoped line hashes) from one partition."""

    config: Config
    part: str
    fix: str
    repeated: npt.NDArray[np.uint64]


@dataclass
class FixSummary:
    """What removing repeated lines did to one partition."""

    fixed: bool = False
    removed: int = 0
    rejections: int = 0
    first_rejection: tuple[str, int, str, str] | None = None


def _corpus_step(step: Callable[[_T], _R]) -> Callable[[_T], _R]:
    """Run a corpus step: the language model let go, the cyclic GC paused (restored after).

    A worker that has prepared its partitions needs the language model no
    more: ``language.release_model`` gives its mapped pages back (~100 MB a
    worker). The corpus steps decode thousands of small rows and word tuples
    a second and create no reference cycles: the collector's passes over them
    found nothing and cost ~13% of the verification of a 1M-document run.
    What a step leaves is collected as usual once it returns. Not used for
    prepare, whose HTML path runs code (lxml, trafilatura) that may leave cycles.
    """

    @functools.wraps(step)
    def paused(task: _T) -> _R:
        language.release_model()
        if not gc.isenabled():
            return step(task)
        gc.disable()
        try:
            return step(task)
        finally:
            gc.enable()

    return paused


@_corpus_step
def fix_partition(task: FixTask) -> FixSummary:
    """Drop the repeated lines from the drafts that hold one; re-sign what changed.

    A draft left with no paragraph becomes a ``no-content`` rejection. Writes
    the folder ``task.fix`` only when some draft changed (under a temporary
    name, renamed when complete); a complete one from an earlier, killed run
    of the same work is taken as it is.

    Raises:
        OutputError: the work folder cannot be written (a full disk).
    """
    part, final = Path(task.part), Path(task.fix)
    done = final / _FIX_SUMMARY
    if done.is_file():
        found = orjson.loads(done.read_bytes())
        first = found["first_rejection"]
        return FixSummary(
            fixed=True,
            removed=int(found["removed"]),
            rejections=int(found["rejections"]),
            first_rejection=None if first is None else (first[0], first[1], first[2], first[3]),
        )
    fix = temporary(final)
    lrow, lkey = load_array(part, "lrow"), load_array(part, "lkey")
    # task.repeated is sorted: a binary search per line, without np.isin's sort of both.
    where = np.searchsorted(task.repeated, lkey)
    hit = task.repeated[np.minimum(where, len(task.repeated) - 1)] == lkey
    summary = FixSummary()
    if not hit.any():
        return summary
    rows = np.unique(lrow[hit]).astype(np.int64)
    repeated = set(task.repeated.tolist())
    reader = PartReader([part], [None])
    alive = np.ones(len(rows), dtype=bool)
    texts: list[str] = []
    words: list[int] = []
    try:
        fix.mkdir(parents=True, exist_ok=True)
        with (fix / "rejects.jsonl").open("wb") as rejects:
            # Rows read raw (no models): their paragraphs are normalized, and only
            # the short ones were counted (line_keys): a longer one has no key.
            most = task.config.strip.repeated_line_max_words

            def is_kept(scope: str, paragraph: str) -> bool:
                key = normalized_line_key(paragraph, most)
                return key is None or scoped_line_hash(scope, key) not in repeated

            for position, row in enumerate(reader.rows(0, rows.tolist())):
                path, line, text = row[0], row[1], row[-1]
                scope = source_scope(row[_SOURCE])
                paragraphs = text.split("\n\n")
                kept = tuple(p for p in paragraphs if is_kept(scope, p))
                summary.removed += len(paragraphs) - len(kept)
                if kept:
                    texts.append("\n\n".join(kept))
                    words.append(paragraph_words(kept))
                    continue
                alive[position] = False
                rejection = Rejection(
                    detail="only lines repeated across the corpus",
                    line=line,
                    path=path,
                    reason="no-content",
                )
                rejects.write(orjson.dumps(rejection.model_dump(mode="json")) + b"\n")
                summary.rejections += 1
                key = (rejection.path, rejection.line or 0, rejection.reason, rejection.detail)
                if summary.first_rejection is None or key[:2] < summary.first_rejection[:2]:
                    summary.first_rejection = key
        config = task.config
        bands, _rows = optimal_bands(config.dedup.jaccard_threshold, config.dedup.num_perm)
        if config.dedup_enabled and texts:
            keys = band_keys(texts, config=config.dedup)
        else:
            keys = np.zeros((len(texts), bands), dtype=np.uint64)
        save_array(fix, "rows", rows)
        save_array(fix, "alive", alive)
        save_array(fix, "digest", digest_array(texts).reshape(-1, 2))
        save_array(fix, "bands", keys.reshape(len(texts), bands).T)
        write_texts(fix / "texts", texts, words)
        (fix / _FIX_SUMMARY).write_bytes(
            orjson.dumps(
                {
                    "removed": summary.removed,
                    "rejections": summary.rejections,
                    "first_rejection": summary.first_rejection,
                }
            )
        )
        if final.exists():  # a folder without its summary: an older, unfinished write
            shutil.rmtree(final)
        fix.rename(final)
    except OSError as exc:
        shutil.rmtree(fix, ignore_errors=True)
        raise work_error(final.parent, exc) from exc
    except BaseException:
        shutil.rmtree(fix, ignore_errors=True)
        raise
    finally:
        reader.close()
    summary.fixed = True
    return summary


_FIX_SUMMARY = "summary.json"
# Where a row of the work folder holds the draft's source (path, line, format
# and sha256 come first; see cleanpipe.work).
_SOURCE = 4 + DRAFT_FIELDS.index("source")


@dataclass(frozen=True)
class VerifyTask:
    """Candidate pairs to decide: rows ``(part_u, row_u, part_v, row_v)``."""

    config: DedupConfig
    parts: tuple[str, ...]
    fixes: tuple[str | None, ...]
    edges: npt.NDArray[np.int32]
    result: str | None = None
    """Where to keep the decisions (``.npy``): a rerun of the same work reads them back."""


@_corpus_step
def verify_edges(task: VerifyTask) -> npt.NDArray[np.bool_]:
    """Decide each candidate pair of the block on the two texts (``stages.verify``).

    True keeps a pair as an edge of the clusters. A pair whose two drafts the
    block's kept pairs have joined already is kept without a verification: an
    edge inside a component changes no cluster (components are all the edges
    are used for), and with star candidates sorted by centre about one pair in
    twenty is such a pair.
    """
    result = None if task.result is None else Path(task.result)
    if result is not None and result.is_file():
        with contextlib.suppress(OSError, ValueError):
            decided = read_npy(result)
            if decided.shape == (len(task.edges),) and decided.dtype == np.bool_:
                return np.array(decided)
    reader = PartReader([Path(p) for p in task.parts], _fix_paths(task.fixes))
    kept = np.ones(len(task.edges), dtype=bool)
    # The block's drafts as indices 0..m-1 (by (part, row)) for a union-find;
    # their texts read at once, each partition's rows together in file order.
    nodes, index = np.unique(task.edges.reshape(-1, 2), axis=0, return_inverse=True)
    joined = UnionFind(len(nodes))
    try:
        texts = reader.texts(nodes)
    finally:
        reader.close()
    for i, (u, v) in enumerate(index.reshape(-1, 2).tolist()):
        if joined.find(u) == joined.find(v):
            continue
        if verify_pair(texts[u], texts[v], config=task.config):
            joined.union(u, v)
        else:
            kept[i] = False
    if result is not None:
        buffer = io.BytesIO()
        np.save(buffer, kept, allow_pickle=False)
        try:
            write_file_atomic(result, buffer.getvalue())
        except OSError as exc:
            raise work_error(result.parent, exc) from exc
    return kept


@dataclass(frozen=True)
class MergeTask:
    """Records to make: single drafts of one partition, or clusters of drafts of several."""

    parts: tuple[str, ...]
    fixes: tuple[str | None, ...]
    run: str
    """The sorted run file to write."""
    part: int = -1
    rows: npt.NDArray[np.int64] | None = None
    """With ``part``: the rows of that partition that are records alone."""
    members: npt.NDArray[np.int64] | None = None
    """The drafts of the clusters as ``(m, 2)`` rows of ``(part, row)``, cluster after cluster."""
    sizes: npt.NDArray[np.int64] | None = None
    """With ``members``: how many drafts each cluster has."""


@dataclass
class MergeSummary:
    """What one merge task wrote."""

    records: int = 0
    origins: int = 0
    sizes: Counter[int] = field(default_factory=Counter)


@_corpus_step
def merge_records(task: MergeTask) -> MergeSummary:
    """Merge the task's clusters (``stages.merge``) and write the records as a run sorted by id.

    Each line of the run is ``<id>\\t<canonical JSON>``. The run is written
    under a temporary name, then its summary (``<run>.json``) the same way: a
    run with its summary is complete, and a rerun of the same work takes it.

    Raises:
        OutputError: the work folder cannot be written (a full disk).
    """
    path = Path(task.run)
    done = path.with_suffix(".json")
    if done.is_file() and path.is_file():
        meta = orjson.loads(done.read_bytes())
        return MergeSummary(
            records=int(meta["records"]),
            origins=int(meta["origins"]),
            sizes=Counter({int(k): int(v) for k, v in meta["sizes"].items()}),
        )
    reader = PartReader([Path(p) for p in task.parts], _fix_paths(task.fixes))
    summary = MergeSummary()
    lines: list[bytes] = []
    try:
        if task.rows is not None:
            for copy in reader.copies(task.part, task.rows.tolist()):
                lines.append(_record_line([copy]))
            summary.records += len(task.rows)
            summary.origins += len(task.rows)
        if task.members is not None and task.sizes is not None and len(task.members):
            # One read per partition for all the task's clusters, then assemble them.
            wanted = task.members
            found: dict[tuple[int, int], Copy] = {}
            for part in np.unique(wanted[:, 0]).tolist():
                rows = np.unique(wanted[wanted[:, 0] == part, 1]).tolist()
                for row, copy in zip(rows, reader.copies(part, rows), strict=True):
                    found[(part, row)] = copy
            places = [(part, row) for part, row in wanted.tolist()]
            start = 0
            for size in task.sizes.tolist():
                copies = [found[place] for place in places[start : start + size]]
                start += size
                lines.append(_record_line(copies))
                summary.records += 1
                summary.origins += len(copies)
                summary.sizes[len(copies)] += 1
    finally:
        reader.close()
    lines.sort()
    tmp = temporary(path)
    try:
        with tmp.open("wb") as handle:
            handle.writelines(lines)
        tmp.replace(path)
        sizes = {str(size): count for size, count in sorted(summary.sizes.items())}
        written = {"records": summary.records, "origins": summary.origins, "sizes": sizes}
        write_file_atomic(done, orjson.dumps(written))
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise work_error(path.parent, exc) from exc
    return summary


def _record_line(copies: Sequence[Copy]) -> bytes:
    record = merge_copies(copies)
    body = orjson.dumps(record, option=orjson.OPT_SORT_KEYS)
    return str(record["id"]).encode() + b"\t" + body + b"\n"


def _fix_paths(fixes: Sequence[str | None]) -> list[Path | None]:
    return [None if f is None else Path(f) for f in fixes]


def _no_content(origin: Origin, detail: str) -> Rejection:
    return Rejection(detail=detail, line=origin.line, path=origin.path, reason="no-content")


# --- sorted runs ---------------------------------------------------------------------------

# Runs merged at once: each holds one buffered line and an open file. A run
# holds up to MERGE_BLOCK records, so one pass merges 2M records (at 128, the
# runs of a 1M-document run took two passes: the output written twice).
_FAN_IN = 512


def merge_record_runs(paths: Sequence[Path], scratch: Path) -> Iterator[bytes]:
    """The records of sorted runs, merged by id (each line without its ``<id>\\t`` prefix)."""
    runs = _reduce_runs(list(paths), scratch)
    files = [path.open("rb") for path in runs]
    try:
        for line in heapq.merge(*files, key=_id_prefix):
            yield line[17:]
    finally:
        for handle in files:
            handle.close()


def merge_rejection_runs(paths: Sequence[Path]) -> Iterator[Rejection]:
    """Rejections of several files, each in read order, merged in (path, line) order.

    Each file is sorted on its own first (stably: one file's rejections fit in
    memory, as its partition does); ties keep the order of ``paths``.
    """
    sources = [_sorted_rejections(path) for path in paths]
    yield from heapq.merge(*sources, key=_rejection_key)


def _sorted_rejections(path: Path) -> Iterator[Rejection]:
    yield from sorted(iter_rejections(path), key=_rejection_key)


def _rejection_key(rejection: Rejection) -> tuple[str, int]:
    return (rejection.path, rejection.line or 0)


def _id_prefix(line: bytes) -> bytes:
    return line[:16]


def _reduce_runs(paths: list[Path], scratch: Path) -> list[Path]:
    """Merge runs in groups until at most ``_FAN_IN`` remain (bounded open files)."""
    level = 0
    while len(paths) > _FAN_IN:
        merged: list[Path] = []
        for start in range(0, len(paths), _FAN_IN):
            group = paths[start : start + _FAN_IN]
            target = scratch / f"merge-{level}-{start}.run"
            files = [path.open("rb") for path in group]
            try:
                with target.open("wb") as out:
                    for line in heapq.merge(*files, key=_id_prefix):
                        out.write(line)
            finally:
                for handle in files:
                    handle.close()
            merged.append(target)
        paths, level = merged, level + 1
    return paths
