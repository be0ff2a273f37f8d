"""Incremental runs: only the files that changed are read again; the output is a full run's.

``cleanpipe run RAW OUT --incremental`` (``Config.incremental``) keeps the
work of each run as state in OUT's slot, beside the records and switched with
them in the same rename (``write.OutputSwap.add_state``; so a crash never
leaves state that disagrees with ``articles.jsonl``), and the next run reuses it:

``inputs.jsonl.gz`` (the manifest)
    One line per input file: its path and SHA-256; what read → extract →
    strip → normalize made of it (drafts, rejections, removals by rule,
    skipped WARC records); and the fate of each of its documents: the id of
    the record it is an origin of, or the rejection's reason.
``index.npz``
    The MinHash signature of every distinct text this run clustered (by its
    128-bit digest, ``stages.dedup.exact_digest``) with the id of its record,
    and the verdict of every candidate pair it verified (by the two digests).
``incremental.json``
    The state's format version, the cleanpipe version and configuration
    fingerprints it was made with, and the SHA-256 of the files above and of
    the articles file, so damaged or foreign state is never used.

A run then:

1. Lists RAW and hashes each file. A file whose (path, SHA-256) is in the
   manifest is not read again: its drafts, rejections and counts come from
   the manifest. New and changed files are processed on the executor as in
   a full run. Files gone from RAW are simply absent from this run: their
   origins leave their records, a record left without origins is gone, their
   rejections leave ``rejects.jsonl``, so ``inputs == origins + rejects``
   holds and ``cleanpipe check --raw`` finds nothing stale.
2. Runs the corpus steps (repeated lines, dedup, merge) over all drafts,
   exactly as a full run does, except that a text signed before is not signed
   again and a candidate pair verified before is not verified again. The
   candidate pairs themselves come from the LSH bands of all the signatures,
   so they are the full run's (the star edges of ``sketch.lsh`` depend on
   every member of a bucket, new and old).

So the output equals a full run over the new RAW, byte for byte, the report's
``timings`` aside (there ``files_processed``, ``files_unchanged`` and
``files_gone`` say what was reused). In particular:

- A new copy of a stored story joins its record (its origins grow). If the
  copy is the longer text, the merge policy (``stages.merge``) keeps it and
  the record's id, derived from the kept text, changes, as it would in a full
  run: the old id is no longer in ``articles.jsonl``; the manifest maps each
  input to its record's id as of this run.
- Repeated-line statistics are counted again over all drafts, so a line that
  turns into boilerplate with the new documents is removed from the old ones
  too (those are re-clustered from their stored drafts, not re-extracted).

Nothing is reused (every file is processed, and a log line says why) on the
first incremental run into OUT, after a run without ``--incremental`` (it
keeps no state), after a change of the read/extract/strip/normalize settings
or of the cleanpipe version, or when the state fails its checksums. Signatures
and verdicts are dropped alone when only the dedup settings changed. The state
costs about the size of the extracted texts, gzipped, plus ``4 * num_perm``
bytes per distinct text.

Not supported: the Dask engine (``ConfigError``); its corpus steps run on the
cluster, not over a driver-side index.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import logging
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np
import numpy.typing as npt
import orjson

from cleanpipe.config import Config, DedupConfig
from cleanpipe.errors import ConfigError
from cleanpipe.executors.base import Executor
from cleanpipe.executors.dask import DaskExecutor
from cleanpipe.formats.output import articles_filename
from cleanpipe.models import Draft, Rejection
from cleanpipe.pipeline import (
    PARTITION_FILES,
    CleanResult,
    PartitionResult,
    PartitionTask,
    Progress,
    combine,
    prepare_partition,
)
from cleanpipe.read import InputEntry, display_path, input_sha256, read_state
from cleanpipe.sketch.lsh import candidate_pairs, optimal_bands
from cleanpipe.sketch.unionfind import connected_components
from cleanpipe.stages.dedup import exact_digest, sign_texts
from cleanpipe.stages.verify import verify_pair

__all__ = [
    "INDEX_FILE",
    "INPUTS_FILE",
    "META_FILE",
    "DedupIndex",
    "IncrementalRun",
    "InputState",
    "check_engine",
    "clean_incremental",
    "load_state",
]

log = logging.getLogger(__name__)

STATE_VERSION = 1
"""The layout of the state files; a state of another version is not used."""
META_FILE = "incremental.json"
INPUTS_FILE = "inputs.jsonl.gz"
INDEX_FILE = "index.npz"

_DIGEST_BYTES = 16  # exact_digest: xxh3-128
# gzip level 1: the state is written on every run and read on the next; level 6
# saves a tenth more space on news text for three times the time.
_GZIP_LEVEL = 1


def check_engine(config: Config, executor: Executor | None = None) -> None:
    """Refuse an incremental run on the Dask engine.

    Raises:
        ConfigError: ``config.engine`` (or ``executor``) is Dask.
    """
    if config.engine == "dask" or isinstance(executor, DaskExecutor):
        msg = (
            "--incremental runs on the local engine only (the Dask engine runs the corpus "
            "steps on the cluster, without the index); drop --engine dask or --incremental"
        )
        raise ConfigError(msg)


@dataclass
class InputState:
    """What one input file gave, and the digest of the bytes that gave it."""

    path: str
    """The path as origins show it (``read.display_path``)."""
    sha256: str
    result: PartitionResult


class DedupIndex:
    """Signatures by text digest and verdicts by digest pair: the work dedup can reuse.

    ``labels`` clusters texts exactly as ``stages.dedup.cluster_labels`` does
    (same exact fast path, same LSH star candidates, same verification), but
    signs only texts it has no signature for and verifies only pairs it has
    no verdict for. It remembers what this call used, which is what
    ``to_npz`` persists, so the index never grows with texts that are gone.

    >>> index = DedupIndex(config=DedupConfig())
    >>> a = "The Mekong Delta province of Ben Tre hopes to continue receiving support."
    >>> index.labels([a, "Rice exports rose in May, the ministry said.", a]).tolist()
    [0, 1, 0]
    >>> index.signed, len(DedupIndex.from_npz(index.to_npz(), config=DedupConfig()))
    (2, 2)
    """

    def __init__(
        self,
        *,
        config: DedupConfig,
        digests: Sequence[bytes] = (),
        signatures: npt.NDArray[np.uint32] | None = None,
        verdicts: dict[tuple[bytes, bytes], bool] | None = None,
    ) -> None:
        self.config = config
        self._row = {digest: row for row, digest in enumerate(digests)}
        self._signatures = (
            signatures
            if signatures is not None
            else np.zeros((0, config.num_perm), dtype=np.uint32)
        )
        self._verdicts = verdicts or {}
        self.signed = 0
        """Texts signed by the last ``labels`` call (not found in the index)."""
        self.verified = 0
        """Candidate pairs verified by the last ``labels`` call (not found in the index)."""
        self._used_digests: list[bytes] = []
        self._used_signatures = np.zeros((0, config.num_perm), dtype=np.uint32)
        self._used_verdicts: dict[tuple[bytes, bytes], bool] = {}
        self._label_of: dict[bytes, int] = {}

    def __len__(self) -> int:
        return len(self._row)

    def labels(self, texts: Sequence[str], *, near: bool = True) -> np.ndarray:
        """Label each text with the smallest index of its duplicate cluster."""
        n = len(texts)
        digests = [exact_digest(text) for text in texts]
        first_of: dict[bytes, int] = {}
        pairs: list[tuple[int, int]] = []
        representatives: list[int] = []
        for index, digest in enumerate(digests):
            first = first_of.setdefault(digest, index)
            if first == index:
                representatives.append(index)
            else:
                pairs.append((first, index))
        self._used_digests, self._used_verdicts = [], {}
        self._used_signatures = np.zeros((0, self.config.num_perm), dtype=np.uint32)
        self.signed = self.verified = 0
        if near and len(representatives) > 1:
            rep_digests = [digests[i] for i in representatives]
            signatures = self._signatures_of(rep_digests, [texts[i] for i in representatives])
            self._used_digests, self._used_signatures = rep_digests, signatures
            bands, rows = optimal_bands(self.config.jaccard_threshold, self.config.num_perm)
            for left, right in candidate_pairs(signatures, bands=bands, rows=rows).tolist():
                i, j = representatives[left], representatives[right]
                if self._verdict(digests[i], digests[j], texts[i], texts[j]):
                    pairs.append((i, j))
        edges = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
        labels = connected_components(n, edges)
        self._label_of = dict(zip(digests, labels.tolist(), strict=True))
        return labels

    def label_of(self, text: str) -> int | None:
        """The label the last ``labels`` call gave ``text`` (None if it was not there)."""
        return self._label_of.get(exact_digest(text))

    def _signatures_of(self, digests: list[bytes], texts: list[str]) -> npt.NDArray[np.uint32]:
        rows = np.fromiter(
            (self._row.get(d, -1) for d in digests), dtype=np.int64, count=len(digests)
        )
        missing = np.flatnonzero(rows < 0)
        out = np.empty((len(digests), self.config.num_perm), dtype=np.uint32)
        known = rows >= 0
        out[known] = self._signatures[rows[known]]
        if len(missing):
            out[missing] = sign_texts([texts[i] for i in missing.tolist()], config=self.config)
        self.signed = len(missing)
        return out

    def _verdict(self, left: bytes, right: bytes, text_left: str, text_right: str) -> bool:
        key = (left, right) if left < right else (right, left)
        verdict = self._verdicts.get(key)
        if verdict is None:
            verdict = verify_pair(text_left, text_right, config=self.config)
            self.verified += 1
        self._used_verdicts[key] = verdict
        return verdict

    def to_npz(self, record_ids: Mapping[int, str] | None = None) -> bytes:
        """Serialise what the last ``labels`` call used.

        ``record_ids`` maps a label to its record's id, stored beside each
        signature for people and tools that inspect the index.
        """
        pairs = sorted(self._used_verdicts)
        ids = record_ids or {}
        labels = (self._label_of.get(d) for d in self._used_digests)
        arrays = {
            "digests": _digest_array(self._used_digests),
            "signatures": self._used_signatures,
            "record_ids": np.asarray(
                [ids.get(label, "") if label is not None else "" for label in labels], dtype="S16"
            ).reshape(-1),
            "pair_digests": _digest_array([d for pair in pairs for d in pair]).reshape(-1, 2, 16),
            "pair_verdicts": np.asarray([self._used_verdicts[p] for p in pairs], dtype=bool),
        }
        buffer = io.BytesIO()
        np.savez(buffer, allow_pickle=False, **arrays)  # type: ignore[arg-type]
        return buffer.getvalue()

    @classmethod
    def from_npz(cls, data: bytes, *, config: DedupConfig) -> DedupIndex:
        """Load an index written by ``to_npz``.

        Raises:
            ValueError: the bytes are not such an index, or its signatures have
                another length than ``config.num_perm``.
        """
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
                digests = _digest_list(arrays["digests"])
                signatures = np.asarray(arrays["signatures"], dtype=np.uint32)
                pair_digests = arrays["pair_digests"]
                verdicts = arrays["pair_verdicts"].tolist()
        except (OSError, KeyError, EOFError) as exc:
            msg = f"not an index ({exc})"
            raise ValueError(msg) from exc
        if signatures.shape != (len(digests), config.num_perm):
            expected = (len(digests), config.num_perm)
            msg = f"signatures of shape {signatures.shape}, expected {expected}"
            raise ValueError(msg)
        pairs = {
            (bytes(pair[0]), bytes(pair[1])): bool(verdict)
            for pair, verdict in zip(pair_digests, verdicts, strict=True)
        }
        return cls(config=config, digests=digests, signatures=signatures, verdicts=pairs)


def _digest_array(digests: Sequence[bytes]) -> npt.NDArray[np.uint8]:
    # uint8 rows, not numpy's "S16": that type drops trailing NUL bytes.
    return np.frombuffer(b"".join(digests), dtype=np.uint8).reshape(-1, _DIGEST_BYTES)


def _digest_list(array: npt.NDArray[np.uint8]) -> list[bytes]:
    return [bytes(row) for row in np.asarray(array, dtype=np.uint8).reshape(-1, _DIGEST_BYTES)]


@dataclass
class LoadedState:
    """The reusable part of the last run's state: inputs by path, and the dedup index."""

    inputs: dict[str, InputState] = field(default_factory=dict)
    index: DedupIndex | None = None
    why_not: str | None = None
    """Why nothing was reused, for the log (None when the state was used)."""


def load_state(out: Path, *, config: Config) -> LoadedState:
    """Load the state the last incremental run left in ``out``, keeping what ``config`` allows.

    Never raises on bad state: it is only a cache, so anything wrong with it
    (missing, damaged, another version or configuration) means processing
    everything, with the reason in ``why_not``.

    Raises:
        InputError: a state file exists but cannot be read (permissions).
    """
    meta_bytes = read_state(out, META_FILE)
    if meta_bytes is None:
        return LoadedState(why_not="no incremental state in OUT (first incremental run)")
    try:
        meta = orjson.loads(meta_bytes)
    except orjson.JSONDecodeError:
        return LoadedState(why_not=f"{META_FILE} is not valid JSON")
    if not isinstance(meta, dict) or meta.get("state_version") != STATE_VERSION:
        return LoadedState(why_not="the state was written by another version of its format")
    if meta.get("cleanpipe") != _cleanpipe_version():
        return LoadedState(why_not=f"the state was written by cleanpipe {meta.get('cleanpipe')}")
    files: dict[str, bytes] = {}
    for name in (INPUTS_FILE, INDEX_FILE):
        data = read_state(out, name)
        if data is None or hashlib.sha256(data).hexdigest() != meta.get("files", {}).get(name):
            return LoadedState(why_not=f"{name} is missing or does not match {META_FILE}")
        files[name] = data
    loaded = LoadedState()
    if meta.get("dedup") == _fingerprint(config.dedup):
        try:
            loaded.index = DedupIndex.from_npz(files[INDEX_FILE], config=config.dedup)
        except ValueError as exc:
            log.warning("%s: %s: not used (%s)", out, INDEX_FILE, exc)
    else:
        log.info("%s: dedup settings changed: every text is signed again", out)
    if meta.get("prepare") != _prepare_fingerprint(config):
        loaded.why_not = "the read/extract/strip/normalize settings changed"
        return loaded
    try:
        loaded.inputs = {state.path: state for state in _parse_inputs(files[INPUTS_FILE])}
    except (ValueError, TypeError, KeyError, OSError, EOFError) as exc:
        # pydantic's ValidationError is a ValueError.
        loaded.why_not = f"{INPUTS_FILE} cannot be read back ({type(exc).__name__})"
    return loaded


@dataclass
class IncrementalRun:
    """The result of an incremental run, and the state to keep beside it."""

    result: CleanResult
    inputs: list[InputState]
    index: DedupIndex

    def state_files(self, *, config: Config, articles: bytes) -> dict[str, bytes]:
        """The state files, given the bytes of the articles file they sit beside."""
        record_of: dict[tuple[str, int], str] = {}
        label_to_id: dict[int, str] = {}
        for article in self.result.articles:
            for origin in article.origins:
                record_of[(origin.path, origin.line or 0)] = article.id
            label = self.index.label_of(article.text)
            if label is not None:
                label_to_id[label] = article.id
        reason_of = {(r.path, r.line or 0): r.reason for r in self.result.rejections}
        inputs = _inputs_bytes(self.inputs, record_of=record_of, reason_of=reason_of)
        index = self.index.to_npz(label_to_id)
        meta = {
            "articles": {
                "name": articles_filename(config.format),
                "sha256": hashlib.sha256(articles).hexdigest(),
            },
            "cleanpipe": _cleanpipe_version(),
            "dedup": _fingerprint(config.dedup),
            "files": {
                INDEX_FILE: hashlib.sha256(index).hexdigest(),
                INPUTS_FILE: hashlib.sha256(inputs).hexdigest(),
            },
            "prepare": _prepare_fingerprint(config),
            "state_version": STATE_VERSION,
        }
        meta_bytes = orjson.dumps(meta, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2) + b"\n"
        return {INPUTS_FILE: inputs, INDEX_FILE: index, META_FILE: meta_bytes}


def clean_incremental(
    raw: Path,
    out: Path,
    *,
    entries: Sequence[InputEntry],
    extra_rejections: Sequence[Rejection],
    executor: Executor,
    config: Config,
    started: float | None = None,
    progress: Progress | None = None,
) -> IncrementalRun:
    """Clean the files of ``raw`` listed in ``entries``, reusing the state in ``out``.

    Unchanged files (same path and SHA-256 as in the state) are not read
    again; the corpus steps run over all drafts with the stored signatures
    and verdicts. The result equals a full run's (see the module docstring).

    Raises:
        ConfigError: the Dask engine is asked for.
        StrictModeError: ``config.strict`` is on and an input was rejected.
        AccountingError: an input was lost (a bug: please report it).
    """
    check_engine(config, executor)
    started = time.perf_counter() if started is None else started
    loaded = load_state(out, config=config)
    if loaded.why_not:
        log.info("%s: every file is processed: %s", out, loaded.why_not)
    shown = [display_path(entry.rel_path) for entry in entries]
    clashes = {path for path, count in Counter(shown).items() if count > 1}
    states: list[InputState | None] = [None] * len(entries)
    changed: list[tuple[int, str]] = []  # (position, sha256 when read)
    unchanged = 0
    for position, (entry, path) in enumerate(zip(entries, shown, strict=True)):
        sha = input_sha256(raw, entry, config=config.read) or ""  # "": unreadable, read it
        previous = loaded.inputs.get(path)
        if sha and previous is not None and previous.sha256 == sha and path not in clashes:
            states[position] = previous
            unchanged += 1
            if progress and unchanged % PARTITION_FILES == 0:
                progress("files", PARTITION_FILES)
        else:
            changed.append((position, sha))
    if progress and unchanged % PARTITION_FILES:
        progress("files", unchanged % PARTITION_FILES)
    tasks = [
        _EntriesTask(
            config=config,
            root=str(raw),
            entries=tuple(entries[p] for p, _ in changed[i : i + PARTITION_FILES]),
        )
        for i in range(0, len(changed), PARTITION_FILES)
    ]
    results = executor.map(_prepare_entries, tasks) if tasks else iter(())
    pending = iter(changed)
    for task, parts in zip(tasks, results, strict=True):
        for part in parts:
            position, sha = next(pending)
            states[position] = InputState(path=shown[position], sha256=sha, result=part)
        if progress:
            progress("files", len(task.entries))
    kept = [state for state in states if state is not None]
    index = loaded.index or DedupIndex(config=config.dedup)
    result = combine(
        [state.result for state in kept],
        config=config,
        extra_rejections=extra_rejections,
        started=started,
        progress=progress,
        cluster=lambda texts: index.labels(texts, near=config.dedup_enabled),
    )
    timings = result.report.timings
    timings.files_processed = len(changed)
    timings.files_unchanged = len(entries) - len(changed)
    timings.files_gone = len(loaded.inputs.keys() - set(shown))
    log.info(
        "%s: %d files processed, %d unchanged, %d gone; %d texts signed, %d pairs verified",
        out,
        timings.files_processed,
        timings.files_unchanged,
        timings.files_gone,
        index.signed,
        index.verified,
    )
    return IncrementalRun(result=result, inputs=kept, index=index)


@dataclass(frozen=True)
class _EntriesTask:
    config: Config
    root: str
    entries: tuple[InputEntry, ...]


def _prepare_entries(task: _EntriesTask) -> list[PartitionResult]:
    """Prepare each file of a partition alone, so its result can be kept per file."""
    return [
        prepare_partition(PartitionTask(config=task.config, root=task.root, entries=(entry,)))
        for entry in task.entries
    ]


def _inputs_bytes(
    inputs: Sequence[InputState],
    *,
    record_of: Mapping[tuple[str, int], str],
    reason_of: Mapping[tuple[str, int], str],
) -> bytes:
    lines = []
    for state in sorted(inputs, key=lambda s: s.path):
        part = state.result
        # What became of each document: its record, or why it was rejected (a
        # draft may still be rejected by the corpus steps: repeated lines only).
        fates: list[tuple[int, dict[str, object]]] = []
        for draft in part.drafts:
            key = (draft.origin.path, draft.origin.line or 0)
            fate = {"record": record_of[key]} if key in record_of else {"rejected": reason_of[key]}
            fates.append((key[1], {"line": draft.origin.line, **fate}))
        fates.extend((r.line or 0, {"line": r.line, "rejected": r.reason}) for r in part.rejections)
        line = {
            "documents": [fate for _, fate in sorted(fates, key=lambda f: f[0])],
            "drafts": [d.model_dump(mode="json") for d in part.drafts],
            "path": state.path,
            "rejections": [r.model_dump(mode="json") for r in part.rejections],
            "removed": dict(sorted(part.removed.items())),
            "sha256": state.sha256,
            "skipped": dict(sorted(part.skipped.items())),
        }
        lines.append(orjson.dumps(line, option=orjson.OPT_SORT_KEYS) + b"\n")
    return gzip.compress(b"".join(lines), compresslevel=_GZIP_LEVEL, mtime=0)


def _parse_inputs(data: bytes) -> Iterator[InputState]:
    for raw_line in gzip.decompress(data).splitlines():
        line = orjson.loads(raw_line)
        part = PartitionResult(
            drafts=[Draft.model_validate(d) for d in line["drafts"]],
            rejections=[Rejection.model_validate(r) for r in line["rejections"]],
            removed=Counter({str(k): int(v) for k, v in line["removed"].items()}),
            skipped=Counter({str(k): int(v) for k, v in line["skipped"].items()}),
        )
        yield InputState(path=str(line["path"]), sha256=str(line["sha256"]), result=part)


def _fingerprint(*parts: object) -> str:
    dumped = [p.model_dump(mode="json") if hasattr(p, "model_dump") else p for p in parts]
    return hashlib.sha256(orjson.dumps(dumped, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]


def _prepare_fingerprint(config: Config) -> str:
    """What a file's drafts depend on besides its bytes: the per-document settings."""
    return _fingerprint(config.read, config.extract, config.strip, config.normalize)


def _cleanpipe_version() -> str:
    try:
        return version("cleanpipe")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "unknown"
