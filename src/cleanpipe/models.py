"""Every data shape that crosses a module boundary.

The flow is ``RawDocument`` (read) → ``Draft`` (extract, strip, normalize) →
``Article`` (merge), with a ``Rejection`` possible at any step. ``Article`` is
the published record (``articles.jsonl``, schema version 1); its JSON Schema is
what ``cleanpipe schema`` prints.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION: Literal[1] = 1

InputFormat = Literal["text", "html", "json", "jsonl", "warc"]
"""The format an input was read as (sniffed from content and suffix)."""

RejectReason = Literal[
    "empty",
    "binary",
    "undecodable",
    "malformed-json",
    "corrupt-archive",
    "no-content",
    "too-large",
    "unreadable",
    "unsupported",
    "symlink-outside",
]
"""Why an input could not be used.

- ``empty``: the file (or JSONL line) holds no bytes or only whitespace (a JSONL
  file of blank lines, or a compressed file that inflates to nothing, too).
- ``binary``: the bytes are not text (NUL bytes, a known binary signature).
- ``undecodable``: the bytes are not valid in any encoding we could establish.
- ``malformed-json``: a JSON file or JSONL line that does not parse, or parses to
  something other than an object with a text field.
- ``corrupt-archive``: a gzip (or WARC) container that is truncated or corrupt.
- ``no-content``: extraction and stripping left no article text.
- ``too-large``: the input (or its decompressed size) exceeds ``max_bytes``.
- ``unreadable``: the file vanished or could not be opened or read, or changed
  under the run (became a folder, a FIFO or a link after it was listed).
- ``unsupported``: a file whose format cleanpipe does not read, a special file
  (FIFO, socket, device), a link inside the dump not followed (``follow_symlinks``
  is off), or a link loop.
- ``symlink-outside``: a symbolic link pointing outside the dump folder (never
  followed, even with ``follow_symlinks``).
"""

REJECT_REASONS: tuple[str, ...] = RejectReason.__args__  # type: ignore[attr-defined]

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class Origin(BaseModel):
    """One input that a record stands for."""

    model_config = _FROZEN

    format: InputFormat
    line: int | None = Field(
        default=None, description="1-based line (JSONL) or record index (WARC); null for files"
    )
    path: str = Field(description="Path relative to the dump folder, with / separators")
    sha256: str = Field(description="SHA-256 of the input's bytes (the line's, for JSONL members)")


class RawDocument(BaseModel):
    """A decoded input document, as ``read`` hands it to ``extract``."""

    model_config = _FROZEN

    origin: Origin
    content: str
    url: str | None = None
    date: str | None = None


class SkippedRecord(BaseModel):
    """A WARC record that holds no article (a request, metadata, an image response).

    Counted in the report (``skipped_records``), never an input: it is neither a
    record's origin nor a rejection.
    """

    model_config = _FROZEN

    path: str
    line: int = Field(description="1-based index of the record in its WARC file")
    kind: str = Field(
        description="Record type (`request`), or `response:<why>` for a response "
        "that is not an HTML page (`response:image/png`, `response:status-404`)"
    )


class Removal(BaseModel):
    """A piece of text removed as boilerplate, with the rule that removed it."""

    model_config = _FROZEN

    rule: str
    text: str


class Draft(BaseModel):
    """A document on its way through extract → strip → normalize."""

    model_config = _FROZEN

    origin: Origin
    paragraphs: tuple[str, ...]
    title: str | None = None
    date: str | None = None
    source: str | None = None
    dateline: str | None = None
    url: str | None = None
    author: str | None = None
    language: str | None = None
    removed: tuple[Removal, ...] = ()

    @property
    def text(self) -> str:
        """The body: paragraphs joined by one blank line."""
        return "\n\n".join(self.paragraphs)


class StripResult(BaseModel):
    """What the stripper kept and what it removed, by rule."""

    model_config = _FROZEN

    paragraphs: tuple[str, ...]
    removed: tuple[Removal, ...] = ()
    dateline: str | None = None
    source: str | None = None

    @property
    def text(self) -> str:
        """The kept paragraphs joined by one blank line."""
        return "\n\n".join(self.paragraphs)


class Article(BaseModel):
    """The published record: one per distinct article (``articles.jsonl``)."""

    model_config = ConfigDict(frozen=True, extra="forbid", title="cleanpipe article record")

    dateline: str | None = Field(description="Place of the dateline (`Ben Tre`), or null")
    date: str | None = Field(
        description="Publication date, ISO YYYY-MM-DD, or null",
        pattern=r"^\d{4}-\d{2}-\d{2}$",
    )
    id: str = Field(
        description="First 16 hex digits of the SHA-256 of the kept text",
        pattern=r"^[0-9a-f]{16}$",
    )
    language: str | None = Field(description="ISO 639-1 code of the text's language")
    origins: tuple[Origin, ...] = Field(
        min_length=1, description="Every input this record stands for; the kept copy first"
    )
    schema_version: Literal[1] = SCHEMA_VERSION
    source: str | None = Field(description="Agency or publisher (`VNA`), or null")
    text: str = Field(min_length=1, description="Article body; paragraphs separated by \\n\\n")
    title: str | None
    url: str | None
    word_count: int = Field(ge=0)


class Rejection(BaseModel):
    """An input that could not be used, and why (``rejects.jsonl``)."""

    model_config = _FROZEN

    detail: str
    line: int | None = None
    path: str
    reason: RejectReason


class DuplicateOf(BaseModel):
    """Documents of a stream that copy a record yielded earlier (``iter_clean``).

    A streaming run cannot add origins to a record it has already handed
    over, so the copies are reported with the id of the record they copy.
    """

    model_config = _FROZEN

    record_id: str = Field(description="The id of the record yielded earlier")
    origins: tuple[Origin, ...] = Field(min_length=1)


class DuplicateCluster(BaseModel):
    """Indices (into the caller's sequence) of documents that are one article."""

    model_config = _FROZEN

    members: tuple[int, ...] = Field(description="Sorted indices; the first is the smallest")


class Timings(BaseModel):
    """How the run went: seconds per phase and files (re)read; the only run-dependent part.

    The file counts belong here, not beside the corpus counts, because they
    depend on the run's history (an ``--incremental`` run reuses the last
    run's work), not on the input: a full and an incremental run of one dump
    give the same report outside ``timings``.
    """

    model_config = ConfigDict(extra="forbid")

    read_extract_strip: float = 0.0
    repeated_lines: float = 0.0
    dedup: float = 0.0
    merge: float = 0.0
    write: float = 0.0
    total: float = 0.0
    files_processed: int = Field(
        default=0, ge=0, description="Input files read, extracted, stripped and normalized"
    )
    files_unchanged: int = Field(
        default=0,
        ge=0,
        description="Input files an --incremental run found unchanged (same path and SHA-256) "
        "and took from the last run's state instead of processing them",
    )
    files_gone: int = Field(
        default=0,
        ge=0,
        description="Input files of the last --incremental run no longer in the dump folder",
    )
    partitions_prepared: int = Field(
        default=0, ge=0, description="Partitions read, extracted, stripped, normalized and signed"
    )
    partitions_reused: int = Field(
        default=0,
        ge=0,
        description="Partitions whose artifacts a resumed or --incremental run found on disk",
    )


class Report(BaseModel):
    """Counts for one run (``report.json``)."""

    model_config = ConfigDict(extra="forbid")

    schema_version: Literal[1] = SCHEMA_VERSION
    inputs: int = Field(description="Documents read: files, plus JSONL lines and WARC records")
    records: int = Field(description="Records written to articles.jsonl")
    merged: int = Field(description="Documents merged into another record")
    rejected: int
    rejects_by_reason: dict[str, int]
    removed_by_rule: dict[str, int]
    cluster_sizes: dict[str, int] = Field(
        description="How many duplicate clusters have each size (size as a string key)"
    )
    skipped_records: dict[str, int] = Field(
        default_factory=dict,
        description="WARC records that hold no article, by kind (`request`, `metadata`, "
        "`response:image/png`…); not inputs, so not part of inputs = origins + rejects",
    )
    outputs: dict[str, str] = Field(
        default_factory=dict,
        description="SHA-256 of the records file and of rejects.jsonl, by file name: report.json "
        "is written last, so a set torn by a crash shows as a mismatch",
    )
    timings: Timings = Field(
        default_factory=Timings,
        exclude=True,
        description="How the run went; not written to report.json (it differs between runs)",
    )


FindingCode = Literal[
    "missing-file",
    "invalid-json",
    "schema-violation",
    "non-canonical",
    "unsorted",
    "duplicate-id",
    "id-mismatch",
    "word-count-mismatch",
    "empty-text",
    "too-short",
    "near-duplicate",
    "boilerplate",
    "unnormalized",
    "mojibake",
    "language",
    "missing-date",
    "accounting",
    "reject-rate",
    "stale-output",
    "torn-output",
]
"""What ``cleanpipe check`` can find; the table in ``cleanpipe.check`` says what each means."""

FINDING_CODES: tuple[str, ...] = FindingCode.__args__  # type: ignore[attr-defined]


class CheckFinding(BaseModel):
    """One problem found by ``cleanpipe check``: a code, where, and a one-line message."""

    model_config = _FROZEN

    code: FindingCode
    message: str = Field(description="One line: what is wrong and, where it helps, the fix")
    file: str | None = Field(default=None, description="The output file, as given to check")
    line: int | None = Field(default=None, description="1-based line in ``file``, if one")
    record_id: str | None = Field(default=None, description="The record's id, if known")


class StripOutcome(BaseModel):
    """What stripping did to one document of a file (``cleanpipe strip``)."""

    model_config = _FROZEN

    origin: Origin
    title: str | None = None
    result: StripResult | None = None
    rejection: Rejection | None = None
