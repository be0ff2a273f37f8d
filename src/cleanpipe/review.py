"""Review: an output folder in, a self-contained ``report.html`` beside it, for people to look at.

``report(out)`` reads ``articles.*``, ``rejects.jsonl`` and ``report.json`` and
writes ``out/report.html``: the counts and the accounting identity (inputs =
records' origins + rejects), boilerplate removed by rule, word counts, duplicate
cluster sizes, a sample of merged clusters, rejects by reason with examples,
languages and dates. The plots are matplotlib figures inlined as SVG (text as
paths), so the page loads nothing from anywhere: it can be opened from a CI
artifact, offline.

The records are streamed line by line (or Parquet batch by batch) into counters
and a few samples, so memory stays flat however large the corpus; only
``report.json`` (small) is read whole. It reads, unlike ``check``, without
judging: a line it cannot parse is counted and the page says to run
``cleanpipe check``.

An ``articles.jsonl`` record keeps only the origins of the copies it merged,
not their texts. With ``raw`` (the dump folder of the run), each sampled
copy is read again and stripped (``pipeline.strip_file``) and normalized, and
the page shows a diff of it against the kept text, so over-merging can be
audited; without ``raw`` the page lists the origins and says how to get diffs.
"""

from __future__ import annotations

import difflib
import gzip
import heapq
import html
import io
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from cleanpipe.config import Config
from cleanpipe.errors import ConfigError, InputError
from cleanpipe.write import ARTICLE_FILES, REJECTS_FILE, REPORT_FILE, write_atomic

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.axis import Axis
    from matplotlib.figure import Figure

__all__ = ["report"]

REPORT_HTML = "report.html"

# Enough clusters to judge the merging by, few enough to read: the largest ones
# (where over-merging shows first) and the first ones by id (a fair sample, as
# ids are hashes of the text).
_LARGEST_CLUSTERS = 6
_FIRST_CLUSTERS = 6
_COPIES_SHOWN = 5  # per cluster: a 300-copy cluster is told by its first few diffs
_REJECT_EXAMPLES = 5  # per reason
_SNIPPET_CHARS = 600
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")

SECTIONS: tuple[tuple[str, str], ...] = (
    ("counts", "Counts"),
    ("boilerplate", "Boilerplate removed by rule"),
    ("word-counts", "Word counts of records"),
    ("clusters", "Duplicate cluster sizes"),
    ("merged", "Merged clusters"),
    ("rejects", "Rejects by reason"),
    ("languages", "Languages"),
    ("dates", "Dates"),
)
"""The sections of the page: (HTML id, heading), in order."""


@dataclass
class _Cluster:
    """A merged record: the kept text and the origins of every copy (kept copy first)."""

    record_id: str
    title: str | None
    text: str
    origins: list[dict[str, Any]]


@dataclass
class _Tally:
    """What the streamed files add up to: counters and bounded samples only."""

    records: int = 0
    origins: int = 0
    unparsed: Counter[str] = field(default_factory=Counter)
    word_counts: Counter[int] = field(default_factory=Counter)
    cluster_sizes: Counter[int] = field(default_factory=Counter)
    languages: Counter[str] = field(default_factory=Counter)
    months: Counter[str] = field(default_factory=Counter)
    undated: int = 0
    largest: list[tuple[int, int, _Cluster]] = field(default_factory=list)  # a min-heap
    first: list[_Cluster] = field(default_factory=list)
    rejects: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def add_record(self, record: dict[str, Any]) -> None:
        origins = record.get("origins")
        origins = origins if isinstance(origins, list) else []
        self.records += 1
        self.origins += len(origins)
        words = record.get("word_count")
        if isinstance(words, int):
            self.word_counts[words] += 1
        self.languages[str(record.get("language") or "unknown")] += 1
        date = record.get("date")
        if isinstance(date, str) and len(date) >= 7:
            self.months[date[:7]] += 1
        else:
            self.undated += 1
        if len(origins) < 2:
            return
        self.cluster_sizes[len(origins)] += 1
        cluster = _Cluster(
            record_id=str(record.get("id")),
            title=record.get("title") if isinstance(record.get("title"), str) else None,
            text=str(record.get("text") or ""),
            origins=[o for o in origins if isinstance(o, dict)],
        )
        if len(self.first) < _FIRST_CLUSTERS:
            self.first.append(cluster)
            return
        entry = (len(origins), -self.records, cluster)  # ties: the earlier record stays
        if len(self.largest) < _LARGEST_CLUSTERS:
            heapq.heappush(self.largest, entry)
        elif entry[:2] > self.largest[0][:2]:
            heapq.heapreplace(self.largest, entry)

    def add_reject(self, reject: dict[str, Any]) -> None:
        self.rejects += 1
        reason = str(reject.get("reason"))
        self.reasons[reason] += 1
        shown = self.examples.setdefault(reason, [])
        if len(shown) < _REJECT_EXAMPLES:
            shown.append(reject)

    def clusters(self) -> list[_Cluster]:
        """The sampled clusters: the largest first, then the first ones by id."""
        largest = [c for _, _, c in sorted(self.largest, key=lambda e: e[:2], reverse=True)]
        return largest + self.first


def report(out: Path | str, *, raw: Path | str | None = None, config: Config | None = None) -> Path:
    """Write ``out/report.html`` from the output folder ``out`` and return its path.

    With ``raw`` (the run's dump folder, or its single dump file), the merged
    copies of the sampled clusters are read again, stripped with ``config``
    (default: the defaults) and diffed against the kept text.

    Raises:
        InputError: ``out`` is not a folder, holds none of the output files, or one
            cannot be read.
        OutputError: ``report.html`` cannot be written.
    """
    out = Path(out)
    if not out.is_dir():
        msg = f"{out}: not a folder (give the output folder of cleanpipe run)"
        raise InputError(msg, path=str(out), reason="unreadable")
    articles = next((out / n for n in ARTICLE_FILES if (out / n).exists()), None)
    rejects, summary = out / REJECTS_FILE, out / REPORT_FILE
    if articles is None and not rejects.exists() and not summary.exists():
        msg = (
            f"{out}: holds no {ARTICLE_FILES[0]}, {REJECTS_FILE} or {REPORT_FILE} "
            "(is it the output folder of cleanpipe run?)"
        )
        raise InputError(msg, path=str(out), reason="unreadable")
    tally = _Tally()
    if articles is not None:
        for record in _records(articles, tally):
            tally.add_record(record)
    if rejects.exists():
        for reject in _json_lines(rejects, tally):
            tally.add_reject(reject)
    stated = _report_json(summary, tally)
    copies = _reread(tally.clusters(), Path(raw), config=config or Config()) if raw else None
    page = _page(
        out=out,
        articles=articles.name if articles else None,
        tally=tally,
        stated=stated,
        copies=copies,
    )
    target = out / REPORT_HTML
    write_atomic(target, page.encode("utf-8"))
    return target


# --- reading, streaming --------------------------------------------------------------------------


def _records(path: Path, tally: _Tally) -> Iterator[dict[str, Any]]:
    if path.name.endswith(".parquet"):
        yield from _parquet_rows(path)
    else:
        yield from _json_lines(path, tally)


def _json_lines(path: Path, tally: _Tally) -> Iterator[dict[str, Any]]:
    """The JSON objects of a JSONL (or gzipped JSONL) file, one line at a time."""
    try:
        with _open(path) as stream:
            for line in stream:
                if not line.strip():
                    continue
                try:
                    parsed = orjson.loads(line)
                except orjson.JSONDecodeError:
                    parsed = None
                if isinstance(parsed, dict):
                    yield parsed
                else:
                    tally.unparsed[path.name] += 1
    except (OSError, EOFError) as exc:
        msg = f"{path}: cannot read ({exc}); run cleanpipe check {path.parent}"
        raise InputError(msg, path=str(path), reason="unreadable") from exc


def _open(path: Path) -> io.BufferedIOBase:
    return gzip.open(path, "rb") if path.name.endswith(".gz") else path.open("rb")


def _parquet_rows(path: Path) -> Iterator[dict[str, Any]]:
    try:
        import pyarrow.parquet as pq  # type: ignore[import-untyped,unused-ignore]
    except ImportError as exc:
        msg = f"{path}: reading Parquet needs pyarrow: pip install 'cleanpipe[parquet]'"
        raise ConfigError(msg) from exc

    try:
        for batch in pq.ParquetFile(path).iter_batches(batch_size=1000):
            yield from batch.to_pylist()
    except OSError as exc:
        msg = f"{path}: cannot read the Parquet records ({exc}); run cleanpipe check"
        raise InputError(msg, path=str(path), reason="unreadable") from exc


def _report_json(path: Path, tally: _Tally) -> dict[str, Any] | None:
    try:
        parsed = orjson.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except orjson.JSONDecodeError:
        tally.unparsed[path.name] += 1
        return None
    except OSError as exc:
        msg = f"{path}: cannot read ({exc.strerror or exc}); check its permissions"
        raise InputError(msg, path=str(path), reason="unreadable") from exc
    return parsed if isinstance(parsed, dict) else None


def _reread(clusters: list[_Cluster], raw: Path, *, config: Config) -> dict[tuple[str, int], str]:
    """The cleaned text of each sampled copy, by (path, line), read again from ``raw``.

    Each input file is read once, however many of its lines are wanted.
    """
    from cleanpipe.pipeline import strip_file  # the pipeline imports much; only --raw needs it
    from cleanpipe.stages.normalize import normalize_text

    if not raw.exists():
        msg = f"{raw}: no such dump folder or file (give the RAW of cleanpipe run)"
        raise InputError(msg, path=str(raw), reason="unreadable")
    wanted: dict[str, set[int]] = {}
    for cluster in clusters:
        for origin in cluster.origins[1 : 1 + _COPIES_SHOWN]:
            wanted.setdefault(str(origin.get("path")), set()).add(_line(origin))
    texts: dict[tuple[str, int], str] = {}
    root = raw.resolve()
    for rel, lines in sorted(wanted.items()):
        source = raw if raw.is_file() else raw / rel
        if not source.resolve().is_relative_to(root):
            continue  # an origin is relative to the dump; this one is not read
        try:
            outcomes = strip_file(source, config=config)
        except InputError:
            continue  # gone since the run: the page says "not found in RAW"
        for outcome in outcomes:
            line = outcome.origin.line or 0
            if line in lines and outcome.result is not None:
                paragraphs = (normalize_text(p) for p in outcome.result.paragraphs)
                texts[rel, line] = "\n\n".join(p for p in paragraphs if p)
    return texts


def _line(origin: dict[str, Any]) -> int:
    value = origin.get("line")
    return value if isinstance(value, int) else 0


# --- the page ------------------------------------------------------------------------------------


def _page(
    *,
    out: Path,
    articles: str | None,
    tally: _Tally,
    stated: dict[str, Any] | None,
    copies: dict[tuple[str, int], str] | None,
) -> str:
    body = {
        "counts": _counts(articles, tally, stated),
        "boilerplate": _boilerplate(stated),
        "word-counts": _word_counts(tally),
        "clusters": _cluster_sizes(tally),
        "merged": _merged(tally, copies),
        "rejects": _rejects(tally),
        "languages": _counter_section(tally.languages, "language", "records"),
        "dates": _dates(tally),
    }
    toc = "".join(f'<li><a href="#{key}">{_e(title)}</a></li>' for key, title in SECTIONS)
    sections = "".join(
        f'<section id="{key}"><h2>{_e(title)}</h2>{body[key]}</section>' for key, title in SECTIONS
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        # Nothing may load from elsewhere: no scripts, styles, fonts or images but inline ones.
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; img-src data:\">"
        f"<title>cleanpipe report: {_e(out.name or str(out))}</title>"
        f"<style>{_CSS}</style></head><body>"
        f"<header><h1>cleanpipe report</h1><p class=muted>{_e(str(out))}</p>"
        f"<nav><ul>{toc}</ul></nav></header><main>{sections}</main></body></html>\n"
    )


def _counts(articles: str | None, tally: _Tally, stated: dict[str, Any] | None) -> str:
    rows = [
        ("records", f"{tally.records:,}", f"in {articles or 'articles.jsonl (absent)'}"),
        ("origins", f"{tally.origins:,}", "inputs the records stand for"),
        ("merged", f"{tally.origins - tally.records:,}", "copies merged into another's record"),
        ("rejected", f"{tally.rejects:,}", "lines of rejects.jsonl"),
    ]
    notes: list[str] = []
    if stated is None:
        notes.append("report.json is absent or unreadable: the identity cannot be checked.")
        identity = ""
    else:
        inputs = stated.get("inputs")
        rows.insert(0, ("inputs", f"{inputs:,}" if isinstance(inputs, int) else "?", "report.json"))
        total = tally.origins + tally.rejects
        holds = inputs == total
        identity = (
            f'<p class="identity {"ok" if holds else "bad"}">inputs {_e(str(inputs))} '
            f"{'=' if holds else '≠'} origins {tally.origins:,} + rejects {tally.rejects:,}"
            f" ({total:,}) {'✓' if holds else '✗ the files do not balance: run cleanpipe check'}"
            "</p>"
        )
        skipped = stated.get("skipped_records")
        if isinstance(skipped, dict) and skipped:
            n = sum(v for v in skipped.values() if isinstance(v, int))
            rows.append(("skipped WARC records", f"{n:,}", _joined(skipped) + " (not inputs)"))
    for name, n in sorted(tally.unparsed.items()):
        notes.append(
            f"{n} line(s) of {name} could not be read as JSON objects: run cleanpipe check."
        )
    table = _table(("", "count", ""), rows)
    return identity + table + "".join(f'<p class="warn">{_e(n)}</p>' for n in notes)


def _boilerplate(stated: dict[str, Any] | None) -> str:
    removed = stated.get("removed_by_rule") if stated else None
    if not isinstance(removed, dict):
        return "<p>report.json is absent or has no removed_by_rule.</p>"
    counts = Counter({str(k): v for k, v in removed.items() if isinstance(v, int)})
    return _counter_section(counts, "rule", "pieces removed")


def _word_counts(tally: _Tally) -> str:
    if not tally.word_counts:
        return "<p>No records.</p>"
    values = sorted(tally.word_counts.elements())  # one int per record: see _quantile
    fig, ax = _figure()
    ax.hist(
        list(tally.word_counts), weights=list(tally.word_counts.values()), bins=40, color="#3b6ea8"
    )
    ax.set_xlabel("words")
    ax.set_ylabel("records")
    _integers(ax.yaxis)
    rows = [
        (name, f"{_quantile(values, q):,}")
        for name, q in (("min", 0.0), ("median", 0.5), ("90th percentile", 0.9), ("max", 1.0))
    ]
    return _pair(_svg(fig), _table(("", "words"), rows))


def _quantile(values: list[int], q: float) -> int:
    return values[min(len(values) - 1, int(q * (len(values) - 1) + 0.5))]


def _cluster_sizes(tally: _Tally) -> str:
    if not tally.cluster_sizes:
        return "<p>No duplicate clusters: every record stands for one input.</p>"
    sizes = sorted(tally.cluster_sizes.items())
    fig, ax = _figure()
    ax.bar([str(s) for s, _ in sizes], [n for _, n in sizes], color="#3b6ea8")
    ax.set_xlabel("copies in the cluster")
    ax.set_ylabel("clusters")
    _integers(ax.yaxis)
    rows = [(str(s), f"{n:,}") for s, n in sizes]
    return _pair(_svg(fig), _table(("size", "clusters"), rows))


def _merged(tally: _Tally, copies: dict[tuple[str, int], str] | None) -> str:
    clusters = tally.clusters()
    if not clusters:
        return "<p>No merged clusters.</p>"
    shown = len(clusters)
    parts = [
        f"<p>{shown} of {sum(tally.cluster_sizes.values()):,} clusters: the largest, then the "
        "first by id. The kept text is the record's; each other copy is diffed against it.</p>"
    ]
    if copies is None:
        parts.append(
            '<p class="warn">The copies\' texts are not in the output, only their origins: '
            "run <code>cleanpipe report --raw RAW OUT</code> with the run's dump folder "
            "to see a diff of each copy against the kept text.</p>"
        )
    for index, cluster in enumerate(clusters):
        kept = cluster.origins[0] if cluster.origins else {}
        title = _e(cluster.title or "(no title)")
        items = []
        for origin in cluster.origins[1 : 1 + _COPIES_SHOWN]:
            items.append(_copy(origin, cluster.text, copies))
        more = len(cluster.origins) - 1 - _COPIES_SHOWN
        if more > 0:
            items.append(f"<li class=muted>and {more} more cop(ies)</li>")
        parts.append(
            f'<details class="cluster"{" open" if index < 2 else ""}>'
            f"<summary><b>{len(cluster.origins)} copies</b> · "
            f"record <code>{_e(cluster.record_id)}</code> · {title}</summary>"
            f"<p>kept: <code>{_e(_where(kept))}</code></p>"
            f'<pre class="text">{_e(_cut(cluster.text))}</pre><ul>{"".join(items)}</ul></details>'
        )
    return "".join(parts)


def _copy(origin: dict[str, Any], kept: str, copies: dict[tuple[str, int], str] | None) -> str:
    where = f"<code>{_e(_where(origin))}</code>"
    if copies is None:
        return f"<li>{where}</li>"
    text = copies.get((str(origin.get("path")), _line(origin)))
    if text is None:
        return f'<li>{where}: <span class="warn">not found in RAW (or no text left)</span></li>'
    if text == kept:
        return f"<li>{where}: the same text</li>"
    ratio = difflib.SequenceMatcher(None, kept, text, autojunk=False).quick_ratio()
    diff = difflib.unified_diff(_sentences(kept), _sentences(text), "kept", "copy", lineterm="")
    lines = []
    for line in list(diff)[2:]:  # the ---/+++ header says nothing here
        kind = {"+": "add", "-": "del", "@": "hunk"}.get(line[:1], "ctx")
        lines.append(f'<span class="{kind}">{_e(line)}</span>')
    return f'<li>{where}: similarity {ratio:.2f}<pre class="diff">{"".join(lines)}</pre></li>'


def _sentences(text: str) -> list[str]:
    return [s for p in text.split("\n\n") for s in _SENTENCE_END.split(p) if s] or [""]


def _rejects(tally: _Tally) -> str:
    if not tally.reasons:
        return "<p>No rejects.</p>"
    parts = [_counter_section(tally.reasons, "reason", "inputs")]
    for reason, _ in tally.reasons.most_common():
        rows = [(_where(r), str(r.get("detail", ""))) for r in tally.examples.get(reason, [])]
        parts.append(f"<h3>{_e(reason)}</h3>" + _table(("input", "detail"), rows))
    return "".join(parts)


def _dates(tally: _Tally) -> str:
    if not tally.months:
        return f"<p>No dated records ({tally.undated:,} without a date).</p>"
    months = sorted(tally.months.items())
    fig, ax = _figure()
    ax.bar([m for m, _ in months], [n for _, n in months], color="#3b6ea8")
    ax.set_ylabel("records")
    _integers(ax.yaxis)
    step = max(1, len(months) // 12)
    ax.set_xticks(range(0, len(months), step), [m for m, _ in months][::step], rotation=45)
    rows = [("first", months[0][0]), ("last", months[-1][0]), ("no date", f"{tally.undated:,}")]
    return _pair(_svg(fig), _table(("", "month"), rows))


def _counter_section(counts: Counter[str], key: str, unit: str) -> str:
    if not counts:
        return "<p>None.</p>"
    ranked = counts.most_common()
    fig, ax = _figure(height=0.6 + 0.28 * min(len(ranked), 25))
    top = ranked[:25][::-1]
    ax.barh([k for k, _ in top], [n for _, n in top], color="#3b6ea8")
    ax.set_xlabel(unit)
    _integers(ax.xaxis)
    total = sum(counts.values())
    rows = [(k, f"{n:,}", f"{n / total:.1%}") for k, n in ranked]
    return _pair(_svg(fig), _table((key, unit, "share"), rows))


# --- HTML and SVG helpers ------------------------------------------------------------------------


def _figure(*, height: float = 2.6) -> tuple[Figure, Axes]:
    """A figure of its own (no pyplot: no global state, no GUI backend); counts are integers."""
    # Imported here: matplotlib takes a second to import, and only this page needs it.
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.0, height), layout="constrained")
    return fig, fig.add_subplot()


def _integers(axis: Axis) -> None:
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True))


def _svg(fig: Figure) -> str:
    """The figure as an inline ``<svg>`` element, the same bytes for the same figure."""
    from matplotlib import rc_context

    buffer = io.StringIO()
    # Text as paths: no font to load. A fixed salt and no date: the same page for the same data.
    with rc_context({"svg.fonttype": "path", "svg.hashsalt": "cleanpipe"}):
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    svg = buffer.getvalue()
    return f"<figure>{svg[svg.index('<svg') :]}</figure>"


def _pair(plot: str, table: str) -> str:
    return f'<div class="pair">{plot}{table}</div>'


def _table(head: Iterable[str], rows: Iterable[Iterable[str]]) -> str:
    header = "".join(f"<th>{_e(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>"


def _where(item: dict[str, Any]) -> str:
    line = item.get("line")
    return f"{item.get('path')}:{line}" if isinstance(line, int) else str(item.get("path"))


def _joined(counts: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in counts.items())


def _cut(text: str) -> str:
    return text if len(text) <= _SNIPPET_CHARS else text[: _SNIPPET_CHARS - 1] + "…"


def _e(text: str) -> str:
    return html.escape(text, quote=True)


_CSS = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 0; color: #1d232b; background: #f6f7f9 }
header { background: #1d3557; color: #fff; padding: 1rem 2rem }
header h1 { margin: 0 0 .2rem }
header .muted { color: #c9d4e3 }
nav ul { list-style: none; padding: 0; margin: .4rem 0 0; display: flex; flex-wrap: wrap;
  gap: .3rem 1rem }
nav a { color: #fff }
main { max-width: 64rem; margin: 0 auto; padding: 1rem 2rem }
section { background: #fff; border: 1px solid #dde2e8; border-radius: 6px; margin: 1rem 0;
  padding: .5rem 1.2rem }
table { border-collapse: collapse; margin: .5rem 0 }
td, th { border-bottom: 1px solid #e5e8ec; padding: .2rem .8rem; text-align: left;
  vertical-align: top }
figure { margin: .5rem 0; flex: 0 1 36rem; min-width: 0 }
figure svg { width: 100%; height: auto }
.pair { display: flex; flex-wrap: wrap; gap: .5rem 2rem; align-items: flex-start }
.identity { font-size: 1.1rem; font-weight: 600; padding: .4rem .8rem; border-radius: 4px }
.ok { background: #e3f4e6; color: #17612a }
.bad { background: #fbe4e4; color: #8c1d1d }
.warn { color: #8a5300 }
.muted { color: #68717d }
pre { white-space: pre-wrap; background: #f3f5f7; padding: .5rem; border-radius: 4px;
  font-size: 13px }
.diff span { display: block }
.add { background: #e3f4e6 }
.del { background: #fbe4e4 }
.hunk { color: #68717d }
details.cluster { border-top: 1px solid #e5e8ec; padding: .4rem 0 }
summary { cursor: pointer }
"""
