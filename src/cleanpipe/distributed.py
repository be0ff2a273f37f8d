"""The corpus steps on a Dask cluster: the records of ``pipeline.combine``, computed in place.

Takes the partition tasks of a run and a connected ``DaskExecutor``; gives the
same ``CleanResult`` as the local engine, byte for byte once written. The
drafts stay on the workers from reading to merging; only small things come
to the driver: counts, rejections, the repeated-line keys, the edge list when
it fits, and the final records (the writer is one process writing one file).

The steps, each a reuse of the local engine's functions over partitions:

1. **prepare**: ``pipeline.prepare_partition`` per partition, as futures.
2. **repeated lines**: ``(text_digest, walk order, scope, line_key)`` rows; the
   first copy of each text (the smallest walk order, as ``count_lines`` sees
   them) is kept by a join with the per-digest minimum, then a groupby counts
   documents per ``(scope, key)``; ``repeated_keys`` of the counts at or above
   the bar is broadcast and ``drop_repeated_lines`` applied per partition.
3. **dedup**: each draft gets a sort key ``file_rank << 32 | line`` that orders
   it as ``combine`` does, by ``(path, line)``. Exact copies: a groupby on the
   128-bit ``exact_digest`` gives each text's first key (the edges
   ``(first, copy)`` and the representatives). Near copies: the
   representatives' texts are signed (``sign_texts``) and banded
   (``band_hashes``); a groupby on ``(band, bucket)`` gives each bucket's
   smallest key, the centre of the bucket's star of candidate edges (the
   same edges as ``sketch.lsh.candidate_pairs``); the edges are joined to
   both texts and checked with ``verify_pair``.
4. **components**: in memory (``connected_components`` on the driver) when
   the edge list fits, else large-star/small-star rounds on dask dataframes
   (Kiveris et al., "Connected Components in MapReduce and Beyond", 2014);
   both label a component by its smallest key, so the clusters are the same.
5. **merge**: drafts alone in their cluster are merged where they lie; the
   others are shuffled by label and merged per cluster (``merge_drafts``);
   the records are sorted by id.

Every shuffle uses Dask's peer-to-peer method, which spills to disk.
Nothing is dropped: the accounting check of the local engine runs here too.
"""

from __future__ import annotations

import logging
import pickle
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from cleanpipe.config import Config
from cleanpipe.executors.dask_steps import star_components
from cleanpipe.models import Article, Draft, Rejection, Timings
from cleanpipe.pipeline import (
    CleanResult,
    PartitionResult,
    PartitionTask,
    Progress,
    build_result,
    check_strict,
    drop_repeated_lines,
    prepare_partition,
)
from cleanpipe.sketch.lsh import band_hashes, optimal_bands
from cleanpipe.sketch.unionfind import connected_components
from cleanpipe.stages.dedup import exact_digest, sign_texts
from cleanpipe.stages.merge import merge_drafts
from cleanpipe.stages.repeated import draft_scope, line_keys, repeated_keys, text_digest
from cleanpipe.stages.verify import verify_pair

if TYPE_CHECKING:
    import dask.dataframe as dd
    from distributed import Client, Future

    from cleanpipe.executors.dask import DaskExecutor

__all__ = ["MEMORY_COMPONENTS_MAX_EDGES", "clean_on_dask"]

log = logging.getLogger(__name__)

ComponentsMode = Literal["memory", "distributed", "auto"]

# Edges of at most this many pairs are labelled on the driver: 16 bytes an edge
# plus numpy's temporaries (about 4x) is ~1.3 GB at 20M, which a driver has;
# union-find in numpy beats a dozen shuffles by orders of magnitude there.
MEMORY_COMPONENTS_MAX_EDGES = 20_000_000

_LINE_BITS = 32

# Documents per dataframe partition in the corpus steps: ~3 KB of text and
# ~6 KB of pickled draft each make ~100-200 MB partitions, Dask's sweet spot.
DOCS_PER_PARTITION = 20_000

_DASK_CONFIG = {
    "dataframe.shuffle.method": "p2p",
    # Texts and pickled drafts stay Python objects: converting them to Arrow
    # strings would turn the bytes of a pickled draft into text.
    "dataframe.convert-string": False,
}


@dataclass(frozen=True)
class _KeyedTask:
    """A partition task with its walk number and the sorted rank of each file's path."""

    task: PartitionTask
    number: int
    ranks: tuple[int, ...]


@dataclass
class _Part(PartitionResult):
    """One partition's result, living on a worker between the steps, with its place."""

    number: int = 0
    ranks: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class _Summary:
    """What the driver needs of a partition: counts and rejections, never drafts."""

    drafts: int
    rejections: list[Rejection]
    removed: Counter[str]
    skipped: Counter[str]


def clean_on_dask(
    tasks: Sequence[PartitionTask],
    *,
    executor: DaskExecutor,
    config: Config,
    extra_rejections: Sequence[Rejection] = (),
    started: float | None = None,
    progress: Progress | None = None,
) -> CleanResult:
    """Prepare the partitions and run the corpus steps on the executor's cluster.

    Gives the same records and rejections as ``prepare_partition`` on every
    task followed by ``pipeline.combine``.

    Raises:
        StrictModeError: ``config.strict`` is on and an input was rejected.
        AccountingError: an input was lost (a bug: please report it).
    """
    import dask
    from distributed import as_completed

    started = time.perf_counter() if started is None else started
    client = executor.client
    paths = [entry.rel_path for task in tasks for entry in task.entries]
    rank_of = {path: rank for rank, path in enumerate(sorted(paths))}
    keyed = [
        _KeyedTask(task=task, number=n, ranks=tuple(rank_of[e.rel_path] for e in task.entries))
        for n, task in enumerate(tasks)
    ]
    parts: list[Future[_Part]] = client.map(_prepare, keyed, pure=False)
    sizes = {part.key: len(task.entries) for part, task in zip(parts, tasks, strict=True)}
    for done in as_completed(parts):
        done.result()  # raise a worker's error here, with its traceback
        if progress:
            progress("files", sizes[done.key])
    summaries: list[_Summary] = client.gather(client.map(_summarize, parts, pure=False))
    rejections = [*extra_rejections, *(r for s in summaries for r in s.rejections)]
    removed: Counter[str] = Counter()
    skipped: Counter[str] = Counter()
    for summary in summaries:
        removed.update(summary.removed)
        skipped.update(summary.skipped)
    inputs = sum(s.drafts for s in summaries) + len(rejections)
    check_strict(rejections, config=config)
    timings = Timings(read_extract_strip=round(time.perf_counter() - started, 3))

    with dask.config.set(_DASK_CONFIG):
        phase = time.perf_counter()
        if "repeated_line" not in config.strip.disabled_rules and parts:
            keys = _repeated_keys(client, parts, config=config, docs=inputs)
            if keys:
                shared = client.scatter([keys], broadcast=True)[0]
                parts = client.map(_drop_repeated, parts, keys=shared, pure=False)
                late: list[_Summary] = client.gather(client.map(_summarize, parts, pure=False))
                rejections.extend(r for s in late for r in s.rejections)
                for summary in late:
                    removed.update(summary.removed)
        timings.repeated_lines = round(time.perf_counter() - phase, 3)

        phase = time.perf_counter()
        drafts = inputs - len(rejections)
        docs = _docs_frame(client, parts, docs=drafts)
        edges = _dedup_edges(docs, config=config)
        labels, cluster_sizes = _labels(client, edges, mode=config.components)
        timings.dedup = round(time.perf_counter() - phase, 3)
        if progress:
            progress("dedup", drafts)

        phase = time.perf_counter()
        articles = _merge(docs, labels)
        rejections.sort(key=lambda r: (r.path, r.line or 0))
        timings.merge = round(time.perf_counter() - phase, 3)

    return build_result(
        inputs=inputs,
        articles=articles,
        rejections=rejections,
        removed=removed,
        skipped=skipped,
        cluster_sizes=cluster_sizes,
        timings=timings,
    )


# --- per-partition functions (run on the workers) -------------------------------------


def _prepare(keyed: _KeyedTask) -> _Part:
    result = prepare_partition(keyed.task)
    ranks = {
        entry.rel_path: rank for entry, rank in zip(keyed.task.entries, keyed.ranks, strict=True)
    }
    return _Part(
        drafts=result.drafts,
        rejections=result.rejections,
        removed=result.removed,
        skipped=result.skipped,
        number=keyed.number,
        ranks=ranks,
    )


def _summarize(part: _Part) -> _Summary:
    return _Summary(len(part.drafts), part.rejections, part.removed, part.skipped)


def _line_rows(part: _Part, *, config: Config) -> pd.DataFrame:
    """One row per (draft, short line key); only a text's first copy in the partition."""
    digests: list[int] = []
    orders: list[int] = []
    scopes: list[str] = []
    keys: list[str] = []
    seen: set[int] = set()
    for position, draft in enumerate(part.drafts):
        digest = text_digest(draft)
        if digest in seen:
            continue
        seen.add(digest)
        order = (part.number << _LINE_BITS) | position
        scope = draft_scope(draft)
        for key in line_keys(draft, config=config.strip):
            digests.append(digest)
            orders.append(order)
            scopes.append(scope)
            keys.append(key)
    return pd.DataFrame(
        {
            "digest": np.asarray(digests, dtype=np.uint64),
            "order": np.asarray(orders, dtype=np.int64),
            "scope": pd.Series(scopes, dtype=object),
            "key": pd.Series(keys, dtype=object),
        }
    )


def _drop_repeated(part: _Part, *, keys: dict[str, frozenset[str]]) -> _Part:
    removed: Counter[str] = Counter()
    drafts, late = drop_repeated_lines(part.drafts, keys=keys, removed=removed)
    return _Part(
        drafts=drafts, rejections=late, removed=removed, number=part.number, ranks=part.ranks
    )


def _sort_key(part: _Part, draft: Draft) -> int:
    """A key that orders drafts as ``combine`` does: by (path, line)."""
    return (part.ranks[draft.origin.path] << _LINE_BITS) | (draft.origin.line or 0)


def _docs_rows(part: _Part) -> pd.DataFrame:
    """One row per draft: sort key, exact digest halves, text, pickled draft."""
    his: list[int] = []
    los: list[int] = []
    for draft in part.drafts:
        digest = exact_digest(draft.text)
        his.append(int.from_bytes(digest[:8], "big"))
        los.append(int.from_bytes(digest[8:], "big"))
    return pd.DataFrame(
        {
            "key": np.asarray([_sort_key(part, d) for d in part.drafts], dtype=np.int64),
            "hi": np.asarray(his, dtype=np.uint64),
            "lo": np.asarray(los, dtype=np.uint64),
            "text": pd.Series([d.text for d in part.drafts], dtype=object),
            "blob": pd.Series([pickle.dumps(d) for d in part.drafts], dtype=object),
        }
    )


def _band_rows(reps: pd.DataFrame, *, config: Config) -> pd.DataFrame:
    """One row per (representative, band): the band's bucket key."""
    if reps.empty:
        return _BANDS_META.copy()
    dedup = config.dedup
    bands, rows = optimal_bands(dedup.jaccard_threshold, dedup.num_perm)
    keys = band_hashes(sign_texts(reps["text"].tolist(), config=dedup), bands=bands, rows=rows)
    return pd.DataFrame(
        {
            "band": np.tile(np.arange(bands, dtype=np.int32), len(reps)),
            "bucket": keys.reshape(-1),
            "key": np.repeat(reps["key"].to_numpy(dtype=np.int64), bands),
        }
    )


def _verify_rows(pairs: pd.DataFrame, *, config: Config) -> pd.DataFrame:
    accepted = [
        verify_pair(left, right, config=config.dedup)
        for left, right in zip(pairs["text_u"], pairs["text_v"], strict=True)
    ]
    return pairs.loc[np.asarray(accepted, dtype=bool), ["u", "v"]]


def _merge_singles(frame: pd.DataFrame) -> pd.DataFrame:
    return _article_rows([merge_drafts([pickle.loads(b)]) for b in frame["blob"]])


def _merge_clusters(frame: pd.DataFrame) -> pd.DataFrame:
    articles = [
        merge_drafts([pickle.loads(b) for b in group["blob"]])
        for _, group in frame.groupby("label", sort=True)
    ]
    return _article_rows(articles)


def _article_rows(articles: list[Article]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": pd.Series([a.id for a in articles], dtype=object),
            "blob": pd.Series([pickle.dumps(a) for a in articles], dtype=object),
        }
    )


_LINES_META = pd.DataFrame(
    {
        "digest": np.zeros(0, np.uint64),
        "order": np.zeros(0, np.int64),
        "scope": pd.Series([], dtype=object),
        "key": pd.Series([], dtype=object),
    }
)
_DOCS_META = pd.DataFrame(
    {
        "key": np.zeros(0, np.int64),
        "hi": np.zeros(0, np.uint64),
        "lo": np.zeros(0, np.uint64),
        "text": pd.Series([], dtype=object),
        "blob": pd.Series([], dtype=object),
    }
)
_BANDS_META = pd.DataFrame(
    {"band": np.zeros(0, np.int32), "bucket": np.zeros(0, np.uint64), "key": np.zeros(0, np.int64)}
)
_EDGES_META = pd.DataFrame({"u": np.zeros(0, np.int64), "v": np.zeros(0, np.int64)})
_ARTICLES_META = pd.DataFrame(
    {"id": pd.Series([], dtype=object), "blob": pd.Series([], dtype=object)}
)


# --- the corpus steps (graphs built on the driver, run on the cluster) --------------


def _repeated_keys(
    client: Client, parts: list[Future[_Part]], *, config: Config, docs: int
) -> dict[str, frozenset[str]]:
    """The repeated-line keys per scope, counted over the first copy of each text."""
    import dask.dataframe as dd

    rows = _coalesce(
        client,
        dd.from_delayed(client.map(_line_rows, parts, config=config, pure=False), meta=_LINES_META),
        docs=docs,
    )
    # The first copy of a text in walk order is the one count_lines counts.
    first = rows.groupby("digest")["order"].min().to_frame("order").reset_index()
    counted = rows.merge(first, on=["digest", "order"], how="inner")
    counts = counted.groupby(["scope", "key"]).size()
    frequent = counts[counts >= config.strip.repeated_line_min_docs].compute()
    found: Counter[tuple[str, str]] = Counter(
        {(str(scope), str(key)): int(n) for (scope, key), n in frequent.items()}
    )
    return repeated_keys(found, config=config.strip)


def _docs_frame(client: Client, parts: list[Future[_Part]], *, docs: int) -> dd.DataFrame:
    import dask.dataframe as dd

    if not parts:
        return dd.from_pandas(_DOCS_META.copy(), npartitions=1)
    frame = dd.from_delayed(client.map(_docs_rows, parts, pure=False), meta=_DOCS_META)
    return _coalesce(client, frame, docs=docs).persist()


def _coalesce(client: Client, frame: dd.DataFrame, *, docs: int) -> dd.DataFrame:
    """Join neighbouring partitions so that each holds about ``DOCS_PER_PARTITION`` documents.

    The read partitions (64 files) are sized for a progress bar; a shuffle's
    cost grows with its partition count, so the corpus steps use fewer,
    larger partitions, but at least one per worker.
    """
    workers = max(1, len(client.scheduler_info().get("workers", {})))
    target = max(workers, -(-docs // DOCS_PER_PARTITION))
    if frame.npartitions <= target:
        return frame
    return frame.repartition(npartitions=target)


def _dedup_edges(docs: dd.DataFrame, *, config: Config) -> dd.DataFrame:
    """Exact-copy edges and verified near-copy edges, as ``cluster_labels`` finds them."""
    import dask.dataframe as dd

    texts = docs[["key", "hi", "lo", "text"]]
    first = texts.groupby(["hi", "lo"])["key"].min().to_frame("first").reset_index()
    tagged = texts.merge(first, on=["hi", "lo"], how="inner").persist()
    copies = tagged[tagged["key"] != tagged["first"]]
    exact = copies[["first", "key"]].rename(columns={"first": "u", "key": "v"})
    if not config.dedup_enabled:
        return exact
    reps = tagged[tagged["key"] == tagged["first"]][["key", "text"]]
    bands = reps.map_partitions(_band_rows, config=config, meta=_BANDS_META)
    # A bucket's star: its smallest key joined to every other member.
    buckets = bands.groupby(["band", "bucket"])["key"].agg(["min", "count"]).reset_index()
    shared = buckets[buckets["count"] > 1][["band", "bucket", "min"]]
    members = bands.merge(shared, on=["band", "bucket"], how="inner")
    members = members[members["key"] != members["min"]]
    pairs = members[["min", "key"]].rename(columns={"min": "u", "key": "v"}).drop_duplicates()
    left = reps.rename(columns={"key": "u", "text": "text_u"})
    right = reps.rename(columns={"key": "v", "text": "text_v"})
    joined = pairs.merge(left, on="u", how="inner").merge(right, on="v", how="inner")
    near = joined.map_partitions(_verify_rows, config=config, meta=_EDGES_META)
    return dd.concat([exact, near])


def _labels(
    client: Client, edges: dd.DataFrame, *, mode: ComponentsMode
) -> tuple[dd.DataFrame, Counter[int]]:
    """Each clustered key's label (its component's smallest key), and the cluster sizes."""
    import dask.dataframe as dd

    edges = client.persist(edges)
    count = len(edges)
    use_memory = mode == "memory" or (mode == "auto" and count <= MEMORY_COMPONENTS_MAX_EDGES)
    log.info("dedup: %d edges, components %s", count, "in memory" if use_memory else "distributed")
    if use_memory:
        frame = edges.compute()
        labels = dd.from_pandas(_memory_labels(frame), npartitions=1)
    else:
        labels = client.persist(star_components(edges))
    sizes = labels.groupby("label").size().compute()
    return labels, Counter(int(n) for n in sizes.tolist())


def _memory_labels(edges: pd.DataFrame) -> pd.DataFrame:
    """Label the keys of an edge list with ``connected_components`` on the driver."""
    pairs = edges[["u", "v"]].to_numpy(dtype=np.int64)
    nodes = np.unique(pairs)
    dense = np.searchsorted(nodes, pairs)
    labels = nodes[connected_components(len(nodes), dense)]
    return pd.DataFrame({"key": nodes, "label": labels.astype(np.int64)})


def _merge(docs: dd.DataFrame, labels: dd.DataFrame) -> list[Article]:
    """Merge each cluster into a record; give the records sorted by id."""
    import dask.dataframe as dd

    # Nullable labels: a float NaN would round keys above 2**53.
    labels = labels.astype({"label": "Int64"})
    blobs = docs[["key", "blob"]].merge(labels, on="key", how="left")
    singles = blobs[blobs["label"].isna()].map_partitions(_merge_singles, meta=_ARTICLES_META)
    grouped = blobs[~blobs["label"].isna()].shuffle(on="label")
    clusters = grouped.map_partitions(_merge_clusters, meta=_ARTICLES_META)
    ordered = dd.concat([singles, clusters]).sort_values("id").compute()
    return [pickle.loads(b) for b in ordered["blob"]]
