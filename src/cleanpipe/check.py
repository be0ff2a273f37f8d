"""Check: an output folder in, a list of findings out; the corpus quality gate for CI.

``check(out)`` reads ``articles.jsonl``, ``rejects.jsonl`` and ``report.json``
(through ``read.read_output``; this module opens files only to hash them against
report.json's ``outputs``) and reports every
problem as a ``CheckFinding`` with a code, the file, the 1-based line and the
record id where there is one, and a one-line message. It changes nothing.
``cleanpipe check OUT`` prints the findings and exits 1 when there are any.

=========================  ==========================================================
code                       finding
=========================  ==========================================================
``missing-file``           one of the three files is absent
``invalid-json``           a line (or report.json) is not UTF-8 JSON, or not an object
``schema-violation``       a record, rejection or report does not match its model
                           (``cleanpipe schema``): a missing or unknown field, a wrong
                           type, a bad id or date pattern, another ``schema_version``
``non-canonical``          a line is not as cleanpipe writes it: keys unsorted, spaces,
                           escaped non-ASCII, CRLF, a blank line, no final newline
``unsorted``               records not in ascending ``id`` order, or rejections not in
                           ``(path, line)`` order
``duplicate-id``           two records share an id
``id-mismatch``            a record's id is not the first 16 hex digits of the SHA-256
                           of its text
``word-count-mismatch``    ``word_count`` is not the number of words of ``text``
``empty-text``             a record's text is empty or only white space
``too-short``              a text has fewer than ``min_words`` words
``near-duplicate``         two records are copies of one article by the pipeline's own
                           detector (MinHash + LSH + rapidfuzz, ``[tool.cleanpipe.dedup]``);
                           skipped when the configuration turns dedup off
``boilerplate``            the strip rules would still remove something from a record
                           (caption, teaser block, byline, dateline, end mark, repeated
                           title or lede); the message names the rule and the text
``unnormalized``           the normalizer would still change a paragraph or the title:
                           no-break or zero-width spaces, repeated spaces, a line break
                           inside a paragraph, an empty paragraph, not NFC, an HTML
                           entity, a control character
``mojibake``               ftfy's badness of a text exceeds ``max_mojibake_badness``
``language``               a record's language is not in ``languages`` (when set)
``missing-date``           a record has no date and ``require_date`` is on
``accounting``             report.json disagrees with the files (records, rejected,
                           merged, rejects by reason, cluster sizes, inputs = origins +
                           rejects), or one input is listed twice
``reject-rate``            rejected / inputs exceeds ``max_reject_rate``
``stale-output``           with ``raw``: a fresh run of the dump gives other
                           articles.jsonl or rejects.jsonl bytes, or another report
                           (timings aside)
``torn-output``            the SHA-256 of articles.* or rejects.jsonl is not the one
                           report.json's ``outputs`` lists (or the file is absent): the
                           files are from different runs, e.g. one killed while writing;
                           a report.json without ``outputs`` (older cleanpipe) is not
                           checked
=========================  ==========================================================

Thresholds come from ``CheckConfig`` (``[tool.cleanpipe.check]``); codes in its
``ignore`` are not reported. Repeated lines across the corpus (the
``repeated_line`` strip rule) are a corpus-level judgement and are not
re-checked here.

>>> from cleanpipe.models import CheckFinding
>>> CheckFinding(code="too-short", message="record 0123456789abcdef has 12 words").code
'too-short'
"""

from __future__ import annotations

import hashlib
import logging
import re
import tempfile
import unicodedata
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from ftfy.badness import BADNESS_RE, badness
from pydantic import BaseModel, ValidationError
from rapidfuzz import fuzz

from cleanpipe.config import Config
from cleanpipe.errors import InputError
from cleanpipe.models import (
    FINDING_CODES,
    Article,
    CheckFinding,
    FindingCode,
    Origin,
    Rejection,
    Report,
)
from cleanpipe.read import OutputFiles, read_output
from cleanpipe.stages.dedup import cluster_labels
from cleanpipe.stages.merge import record_id, word_count
from cleanpipe.stages.normalize import INVISIBLE_CHARS, normalize_text
from cleanpipe.stages.strip import strip_boilerplate
from cleanpipe.write import (
    ARTICLE_FILES,
    ARTICLES_FILE,
    REJECTS_FILE,
    REPORT_FILE,
    canonical_json,
    report_bytes,
)

log = logging.getLogger(__name__)

__all__ = ["check"]

_SNIPPET_CHARS = 60
_HTML_ENTITY = re.compile(r"&(?:[A-Za-z][A-Za-z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});")
_ESCAPED_NON_ASCII = re.compile(rb"\\u(?!00[01][0-9a-fA-F])[0-9a-fA-F]{4}")


@dataclass
class _Line:
    """One line of a JSONL file: its number, bytes, parse and (if valid) model."""

    number: int
    data: bytes
    parsed: dict[str, Any] | None = None
    model: BaseModel | None = None


@dataclass
class _Findings:
    """Collects findings for one output folder."""

    ignore: frozenset[str]
    items: list[CheckFinding] = field(default_factory=list)

    def add(
        self,
        code: FindingCode,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        record_id: str | None = None,
    ) -> None:
        if code not in self.ignore:
            self.items.append(
                CheckFinding(code=code, message=message, file=file, line=line, record_id=record_id)
            )


def check(
    path: Path | str, *, config: Config | None = None, raw: Path | str | None = None
) -> list[CheckFinding]:
    """Check the output folder ``path`` and return its findings (empty when clean).

    With ``raw``, the dump folder is cleaned again (into a temporary folder,
    with the same ``config``) and the output must match it: ``stale-output``
    otherwise. Findings come sorted by file, line and code.

    Raises:
        InputError: ``path`` (or ``raw``) is not a folder, or a file cannot be read.
        OutputError: the temporary folder for the fresh run cannot be written.
    """
    config = config or Config()
    out = Path(path)
    files = read_output(out)
    findings = _Findings(ignore=frozenset(config.check.ignore))
    names = {key: str(out / key) for key in (ARTICLES_FILE, REJECTS_FILE, REPORT_FILE)}
    names[ARTICLES_FILE] = str(out / files.articles_file)

    for name, data in (
        (ARTICLES_FILE, files.articles),
        (REJECTS_FILE, files.rejects),
        (REPORT_FILE, files.report),
    ):
        if data is None:
            findings.add(
                "missing-file",
                f"{name} is missing (cleanpipe run writes it; re-run it)",
                file=names[name],
            )
    records = _check_jsonl(files.articles or b"", Article, names[ARTICLES_FILE], findings)
    rejects = _check_jsonl(files.rejects or b"", Rejection, names[REJECTS_FILE], findings)
    report = _check_report(files.report, names[REPORT_FILE], findings)
    _check_torn(files.report, out, names, findings)

    _check_order(records, rejects, names, findings)
    articles = [(line, line.model) for line in records if isinstance(line.model, Article)]
    for line, article in articles:
        _check_record(line, article, config=config, file=names[ARTICLES_FILE], findings=findings)
    if config.dedup_enabled:
        _check_near_duplicates(
            articles, config=config, file=names[ARTICLES_FILE], findings=findings
        )
    else:
        log.info("dedup is off in the configuration: near-duplicates are not checked")
    _check_accounting(records, rejects, report, names, findings)
    _check_reject_rate(records, rejects, report, config=config, names=names, findings=findings)
    if raw is not None:
        _check_fresh(files, Path(raw), out=out, config=config, names=names, findings=findings)
    return sorted(
        findings.items,
        key=lambda f: (f.file or "", f.line or 0, FINDING_CODES.index(f.code), f.message),
    )


# --- the files: JSON, schema, canonical form ---------------------------------------------------


def _check_jsonl(
    data: bytes, model: type[BaseModel], file: str, findings: _Findings
) -> list[_Line]:
    """Parse and validate each line; report invalid JSON, schema and canonical-form problems."""
    lines: list[_Line] = []
    if not data:
        return lines
    chunks = data.split(b"\n")
    if chunks[-1]:
        findings.add(
            "non-canonical", "no newline at the end of the file", file=file, line=len(chunks)
        )
    else:
        chunks.pop()
    for number, chunk in enumerate(chunks, start=1):
        if not chunk.strip():
            findings.add("non-canonical", "blank line", file=file, line=number)
            continue
        line = _Line(number=number, data=chunk)
        lines.append(line)
        try:
            parsed = orjson.loads(chunk)
        except orjson.JSONDecodeError as exc:
            findings.add("invalid-json", f"not valid JSON ({exc})", file=file, line=number)
            continue
        if not isinstance(parsed, dict):
            what = type(parsed).__name__
            findings.add("invalid-json", f"a JSON {what}, not an object", file=file, line=number)
            continue
        line.parsed = parsed
        ident = parsed.get("id") if isinstance(parsed.get("id"), str) else None
        line.model = _validate(
            model, parsed, file=file, line=number, ident=ident, findings=findings
        )
        if line.model is not None:
            reason = _non_canonical(chunk, parsed, canonical_json(line.model))
            if reason:
                findings.add("non-canonical", reason, file=file, line=number, record_id=ident)
    return lines


def _validate(
    model: type[BaseModel],
    parsed: dict[str, Any],
    *,
    file: str,
    line: int | None,
    ident: str | None,
    findings: _Findings,
) -> BaseModel | None:
    """Validate strictly; in JSONL lines every field must be present, defaults included.

    Records and rejections are written with every field (``schema_version``
    too); a report may lack a field added since it was written (a default
    fills it, and the report is then ``non-canonical``).
    """
    fields = model.model_fields
    problems: list[str] = [
        f"missing field '{name}'"
        for name, info in fields.items()
        if name not in parsed and (model is not Report or info.is_required())
    ]
    if model is Article and isinstance(parsed.get("origins"), list):
        for index, origin in enumerate(parsed["origins"]):
            if isinstance(origin, dict):
                problems += [
                    f"missing field 'origins.{index}.{name}'"
                    for name in Origin.model_fields
                    if name not in origin
                ]
    result: BaseModel | None = None
    empty_text = False
    try:
        result = model.model_validate_json(orjson.dumps(parsed), strict=True)
    except ValidationError as exc:
        for error in exc.errors():
            where = ".".join(str(p) for p in error["loc"]) or "(record)"
            if where == "text" and error["type"] == "string_too_short":
                empty_text = True
                continue
            if error["type"] == "missing":
                continue  # already said, with the same words, above
            problems.append(f"'{where}': {error['msg']}")
    if empty_text:
        findings.add("empty-text", "the text is empty", file=file, line=line, record_id=ident)
    if problems:
        shown = "; ".join(problems[:3]) + (
            f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        )
        findings.add(
            "schema-violation",
            f"does not match the {model.__name__} schema: {shown}",
            file=file,
            line=line,
            record_id=ident,
        )
        return None
    return result


def _non_canonical(data: bytes, parsed: dict[str, Any], canonical: bytes) -> str | None:
    """Say how a line differs from its canonical form, or None if it is canonical."""
    if data == canonical:
        return None
    if data.endswith(b"\r"):
        return "ends in CRLF; lines end in a bare newline"
    if data[:3] == b"\xef\xbb\xbf":
        return "starts with a byte-order mark"
    sorted_form = orjson.dumps(parsed, option=orjson.OPT_SORT_KEYS)
    if sorted_form == canonical:
        if _ESCAPED_NON_ASCII.search(data):
            return "non-ASCII characters are escaped; canonical JSON writes them as UTF-8"
        if list(parsed) != sorted(parsed):
            return "keys are not sorted"
        return "insignificant white space or a different number form; canonical JSON has none"
    return "values differ from the model's serialisation (a coerced type or a default not written)"


def _check_report(data: bytes | None, file: str, findings: _Findings) -> Report | None:
    if data is None:
        return None
    try:
        parsed = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        findings.add("invalid-json", f"not valid JSON ({exc})", file=file)
        return None
    if not isinstance(parsed, dict):
        findings.add("invalid-json", f"a JSON {type(parsed).__name__}, not an object", file=file)
        return None
    report = _validate(Report, parsed, file=file, line=None, ident=None, findings=findings)
    if not isinstance(report, Report):
        return None
    if report_bytes(report) != data:
        absent = [name for name in Report.model_fields if name not in parsed]
        why = (
            f"field(s) {', '.join(absent)} missing (written by an older cleanpipe)"
            if absent
            else "not as cleanpipe writes it (sorted keys, 2-space indent, final newline)"
        )
        findings.add("non-canonical", why, file=file)
    return report


def _check_order(
    records: Sequence[_Line], rejects: Sequence[_Line], names: dict[str, str], findings: _Findings
) -> None:
    """Records ascend by id, each id once; rejections ascend by (path, line)."""
    first_line: dict[str, int] = {}
    previous: str | None = None
    for line in records:
        ident = line.parsed.get("id") if line.parsed else None
        if not isinstance(ident, str):
            continue
        if ident in first_line:
            findings.add(
                "duplicate-id",
                f"id {ident} is also the id of line {first_line[ident]}",
                file=names[ARTICLES_FILE],
                line=line.number,
                record_id=ident,
            )
        else:
            first_line[ident] = line.number
            if previous is not None and ident < previous:
                findings.add(
                    "unsorted",
                    f"id {ident} comes after {previous}; records are sorted by id",
                    file=names[ARTICLES_FILE],
                    line=line.number,
                    record_id=ident,
                )
        previous = max(previous or ident, ident)
    last: tuple[str, int] | None = None
    for line in rejects:
        if not isinstance(line.model, Rejection):
            continue
        key = (line.model.path, line.model.line or 0)
        if last is not None and key < last:
            findings.add(
                "unsorted",
                f"{_where(*key)} comes after {_where(*last)}; "
                "rejections are sorted by path and line",
                file=names[REJECTS_FILE],
                line=line.number,
            )
        last = max(last or key, key)


# --- each record ---------------------------------------------------------------------------------


def _check_record(
    line: _Line, article: Article, *, config: Config, file: str, findings: _Findings
) -> None:
    settings = config.check
    where: dict[str, Any] = {"file": file, "line": line.number, "record_id": article.id}
    text = article.text
    if record_id(text) != article.id:
        findings.add(
            "id-mismatch", f"id is not derived from the text (expected {record_id(text)})", **where
        )
    words = word_count(text)
    if words != article.word_count:
        findings.add(
            "word-count-mismatch",
            f"word_count is {article.word_count}, the text has {words}",
            **where,
        )
    if not text.strip():
        findings.add("empty-text", "the text holds only white space", **where)
        return
    if words < settings.min_words:
        findings.add(
            "too-short", f"{words} words, fewer than min_words ({settings.min_words})", **where
        )
    if settings.languages and article.language not in settings.languages:
        allowed = ", ".join(settings.languages)
        findings.add(
            "language", f"language {article.language or 'unknown'} is not one of {allowed}", **where
        )
    if settings.require_date and article.date is None:
        findings.add("missing-date", "no date (require_date is on)", **where)
    paragraphs = text.split("\n\n")
    mojibake = badness(text)
    if mojibake > settings.max_mojibake_badness:
        match = BADNESS_RE.search(text)
        sample = _snippet(text[max(0, match.start() - 20) : match.end() + 20]) if match else ""
        findings.add(
            "mojibake",
            f"ftfy badness {mojibake} > max_mojibake_badness ({settings.max_mojibake_badness})"
            + (f", near {sample!r}" if sample else ""),
            **where,
        )
    else:
        problems = _unnormalized(paragraphs, article.title)
        if problems:
            findings.add(
                "unnormalized", f"the normalizer would still change it: {problems}", **where
            )
    stripped = strip_boilerplate(
        [p for p in paragraphs if p.strip()], title=article.title, config=config.strip
    )
    if stripped.removed:
        shown = ", ".join(f"{r.rule} {_snippet(r.text)!r}" for r in stripped.removed[:3])
        more = len(stripped.removed) - 3
        findings.add(
            "boilerplate",
            f"the strip rules would still remove: {shown}"
            + (f" (and {more} more)" if more > 0 else ""),
            **where,
        )


def _unnormalized(paragraphs: Sequence[str], title: str | None) -> str:
    """Name what ``normalize_text`` would still change, or '' if nothing."""
    seen: Counter[str] = Counter()
    for paragraph in paragraphs:
        if not paragraph.strip():
            seen["empty paragraph"] += 1
            continue
        seen.update(_text_problems(paragraph))
    if title is not None:
        seen.update(f"title: {p}" for p in _text_problems(title))
    return ", ".join(f"{kind} ×{count}" if count > 1 else kind for kind, count in seen.items())


def _text_problems(text: str) -> list[str]:
    if normalize_text(text) == text:
        return []
    problems = []
    checks = (
        ("no-break space", lambda t: "\u00a0" in t or "\u202f" in t),
        ("zero-width character", lambda t: any(ch in t for ch in INVISIBLE_CHARS + "\u200c\u200d")),
        ("line break", lambda t: any(ch in t for ch in "\n\r\u2028\u2029\x85")),
        ("repeated spaces", lambda t: "  " in t),
        ("space at an end", lambda t: t != t.strip()),
        (
            "other space character",
            lambda t: any(ch.isspace() and ch not in " \n\r\u00a0\u202f" for ch in t),
        ),
        ("not NFC", lambda t: not unicodedata.is_normalized("NFC", t)),
        ("HTML entity", lambda t: bool(_HTML_ENTITY.search(t))),
        ("control character", lambda t: any(unicodedata.category(ch) == "Cc" for ch in t)),
    )
    problems = [name for name, test in checks if test(text)]
    return problems or ["a Unicode repair (ftfy)"]


def _check_near_duplicates(
    articles: Sequence[tuple[_Line, Article]], *, config: Config, file: str, findings: _Findings
) -> None:
    texts = [article.text for _, article in articles]
    labels = cluster_labels(texts, config=config.dedup).tolist()
    for index, label in enumerate(labels):
        if label == index:
            continue
        first_line, first = articles[label]
        line, article = articles[index]
        if first.text == article.text:
            how = "the same text"
        else:
            how = f"rapidfuzz ratio {fuzz.ratio(first.text, article.text):.1f}"
        findings.add(
            "near-duplicate",
            f"a copy of record {first.id} (line {first_line.number}): {how}; "
            "one cluster should be one record",
            file=file,
            line=line.number,
            record_id=article.id,
        )


# --- the report against the files -----------------------------------------------------------------


def _check_accounting(
    records: Sequence[_Line],
    rejects: Sequence[_Line],
    report: Report | None,
    names: dict[str, str],
    findings: _Findings,
) -> None:
    origin_counts = [len(o) for o in map(_origins, records) if o is not None]
    reasons = Counter(
        line.parsed["reason"]
        for line in rejects
        if line.parsed is not None and isinstance(line.parsed.get("reason"), str)
    )
    # Every input once: across records' origins and rejections.
    seen: dict[tuple[str, int], str] = {}
    for file_name, line, key, what in _inputs(records, rejects):
        if key in seen:
            findings.add(
                "accounting",
                f"input {_where(*key)} is listed twice ({seen[key]} and {what})",
                file=names[file_name],
                line=line,
            )
        else:
            seen[key] = what
    if report is None:
        return
    file = names[REPORT_FILE]
    sizes = Counter(n for n in origin_counts if n > 1)
    expected: tuple[tuple[str, object, object], ...] = (
        ("records", report.records, len(records)),
        ("rejected", report.rejected, len(rejects)),
        ("merged", report.merged, sum(n - 1 for n in origin_counts)),
        ("rejects_by_reason", report.rejects_by_reason, dict(reasons)),
        ("cluster_sizes", report.cluster_sizes, {str(k): v for k, v in sizes.items()}),
    )
    for name, stated, actual in expected:
        if stated != actual:
            findings.add(
                "accounting",
                f"report says {name} {_compact(stated)}, the files give {_compact(actual)}",
                file=file,
            )
    origins = sum(origin_counts)
    if report.inputs != origins + len(rejects):
        findings.add(
            "accounting",
            f"report says {report.inputs} inputs, but records hold {origins} origins "
            f"and there are {len(rejects)} rejections ({origins + len(rejects)})",
            file=file,
        )


def _inputs(
    records: Sequence[_Line], rejects: Sequence[_Line]
) -> Iterator[tuple[str, int, tuple[str, int], str]]:
    """Each input named by a record's origin or a rejection: (file, line, key, description)."""
    for line in records:
        for origin in _origins(line) or ():
            if isinstance(origin, dict) and isinstance(origin.get("path"), str):
                key = (origin["path"], _line_of(origin))
                yield ARTICLES_FILE, line.number, key, f"record line {line.number}"
    for line in rejects:
        if line.parsed is not None and isinstance(line.parsed.get("path"), str):
            key = (line.parsed["path"], _line_of(line.parsed))
            yield REJECTS_FILE, line.number, key, f"rejection line {line.number}"


def _check_reject_rate(
    records: Sequence[_Line],
    rejects: Sequence[_Line],
    report: Report | None,
    *,
    config: Config,
    names: dict[str, str],
    findings: _Findings,
) -> None:
    if report is not None:
        inputs, rejected, file = report.inputs, report.rejected, names[REPORT_FILE]
    else:
        origins = sum(len(o) for o in map(_origins, records) if o is not None)
        inputs, rejected, file = origins + len(rejects), len(rejects), names[REJECTS_FILE]
    limit = config.check.max_reject_rate
    if inputs and rejected / inputs > limit:
        findings.add(
            "reject-rate",
            f"{rejected} of {inputs} inputs rejected ({rejected / inputs:.1%}), "
            f"more than max_reject_rate ({limit:.1%})",
            file=file,
        )


def _check_torn(
    report_data: bytes | None, out: Path, names: dict[str, str], findings: _Findings
) -> None:
    """Each file's SHA-256 against the one report.json (written last) lists in ``outputs``."""
    try:
        parsed = orjson.loads(report_data) if report_data is not None else None
    except orjson.JSONDecodeError:
        return  # invalid-json, already
    outputs = parsed.get("outputs") if isinstance(parsed, dict) else None
    if not isinstance(outputs, dict):
        return  # written before report.json carried the hashes: nothing to compare
    hint = "the files are not from one run (was a run killed?); re-run cleanpipe run"
    for name, expected in sorted(outputs.items()):
        if name not in (*ARTICLE_FILES, REJECTS_FILE):
            findings.add(
                "torn-output",
                f"outputs lists {name!r}, which cleanpipe does not write",
                file=names[REPORT_FILE],
            )
            continue
        actual = _sha256(out / name)
        if actual == expected:
            continue
        why = (
            f"{name} is absent, but report.json lists it"
            if actual is None
            else f"SHA-256 {actual[:12]}… is not the {str(expected)[:12]}… report.json lists"
        )
        findings.add("torn-output", f"{why}; {hint}", file=str(out / name))


def _sha256(path: Path) -> str | None:
    try:
        with path.open("rb") as stream:
            return hashlib.file_digest(stream, "sha256").hexdigest()
    except FileNotFoundError:
        return None
    except OSError as exc:
        msg = f"{path}: cannot read ({exc.strerror or exc}); check its permissions"
        raise InputError(msg, path=str(path), reason="unreadable") from exc


# --- the output against a fresh run ---------------------------------------------------------------


def _check_fresh(
    files: OutputFiles,
    raw: Path,
    *,
    out: Path,
    config: Config,
    names: dict[str, str],
    findings: _Findings,
) -> None:
    """Clean ``raw`` again into a temporary folder and compare the outputs."""
    from cleanpipe.pipeline import run  # the pipeline imports much; only --raw needs it

    with tempfile.TemporaryDirectory(prefix="cleanpipe-check-") as tmp:
        run(raw, tmp, config=config)
        fresh = read_output(Path(tmp))
    hint = f"re-run `cleanpipe run {raw} {out}`"
    if files.articles is not None and fresh.articles != files.articles:
        diff = _id_diff(files.articles, fresh.articles or b"")
        findings.add(
            "stale-output",
            f"differs from a fresh run of {raw} ({diff}); {hint}",
            file=names[ARTICLES_FILE],
        )
    if files.rejects is not None and fresh.rejects != files.rejects:
        findings.add(
            "stale-output",
            f"differs from a fresh run of {raw} ({_count_lines(files.rejects)} rejections here, "
            f"{_count_lines(fresh.rejects or b'')} now); {hint}",
            file=names[REJECTS_FILE],
        )
    if files.report is not None and fresh.report is not None:
        fields = _report_diff(files.report, fresh.report)
        if fields:
            findings.add(
                "stale-output",
                f"differs from a fresh run of {raw} in {', '.join(fields)}; {hint}",
                file=names[REPORT_FILE],
            )


def _id_diff(old: bytes, new: bytes) -> str:
    old_ids = _ids(old)
    new_ids = _ids(new)
    added, gone = len(new_ids.keys() - old_ids.keys()), len(old_ids.keys() - new_ids.keys())
    changed = sum(1 for k in old_ids.keys() & new_ids.keys() if old_ids[k] != new_ids[k])
    return f"{len(new_ids)} records now: {added} new, {gone} gone, {changed} changed"


def _ids(data: bytes) -> dict[str, bytes]:
    ids: dict[str, bytes] = {}
    for chunk in data.splitlines():
        try:
            parsed = orjson.loads(chunk)
        except orjson.JSONDecodeError:
            continue
        if isinstance(parsed, dict) and isinstance(parsed.get("id"), str):
            ids[parsed["id"]] = chunk
    return ids


def _report_diff(old: bytes, new: bytes) -> list[str]:
    try:
        before, after = orjson.loads(old), orjson.loads(new)
    except orjson.JSONDecodeError:
        return ["its JSON"]
    if not isinstance(before, dict) or not isinstance(after, dict):
        return ["its JSON"]
    keys = (before.keys() | after.keys()) - {"timings"}
    return sorted(k for k in keys if before.get(k) != after.get(k))


# --- small helpers -------------------------------------------------------------------------------


def _origins(line: _Line) -> list[Any] | None:
    """The ``origins`` list of a parsed record, or None when it has none to count."""
    value = line.parsed.get("origins") if line.parsed is not None else None
    return value if isinstance(value, list) else None


def _line_of(mapping: dict[str, Any]) -> int:
    value = mapping.get("line")
    return value if isinstance(value, int) else 0


def _where(path: str, line: int) -> str:
    return f"{path}:{line}" if line else path


def _snippet(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _SNIPPET_CHARS else flat[: _SNIPPET_CHARS - 1] + "…"


def _compact(value: object) -> str:
    return (
        orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
        if isinstance(value, dict)
        else str(value)
    )


def _count_lines(data: bytes) -> int:
    return sum(1 for chunk in data.splitlines() if chunk.strip())
