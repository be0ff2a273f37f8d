"""The command line: a thin shell over the library.

Every command is a library function of the same name; this module parses
arguments, draws progress, prints results and maps errors to exit codes:
0 success, 1 data problems (or findings), 2 usage, input or output errors.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

import orjson

from cleanpipe.config import Config, load_config
from cleanpipe.errors import (
    AccountingError,
    CleanpipeError,
    ConfigError,
    InputError,
    OutputError,
    StrictModeError,
)
from cleanpipe.formats.output import OUTPUT_FORMATS, articles_filename
from cleanpipe.models import Article, CheckFinding, Report
from cleanpipe.pipeline import Progress, open_executor, run, strip_file

EXIT_OK, EXIT_DATA, EXIT_USAGE = 0, 1, 2

_COLOURS = {"rule": "\033[33m", "removed": "\033[2;31m", "reset": "\033[0m", "head": "\033[1m"}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # noqa: ANN401 - argparse's signature
        self.print_usage(sys.stderr)
        print(f"cleanpipe: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = _Parser(prog="cleanpipe", description="Clean and deduplicate scraped news articles.")
    _add_global_options(parser, default=True)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True

    p_run = commands.add_parser(
        "run",
        help="clean and deduplicate a dump (a folder or one file) into OUT",
        description="Clean and deduplicate the dump RAW (a folder, or one file); "
        "write articles.jsonl, rejects.jsonl and report.json to OUT.",
    )
    p_run.add_argument(
        "raw",
        type=Path,
        metavar="RAW",
        help="the dump: a folder, or one file (e.g. feed.jsonl.gz, crawl.warc.gz)",
    )
    p_run.add_argument("out", type=Path, metavar="OUT", help="the output folder")
    p_run.add_argument(
        "--workers", type=int, default=None, help="worker processes (default: cores)"
    )
    p_run.add_argument(
        "--no-dedup",
        action="store_true",
        help="skip near-duplicate detection (exact copies are still merged)",
    )
    p_run.add_argument("--strict", action="store_true", help="fail on the first rejected input")
    p_run.add_argument("--quiet", action="store_true", help="no progress and no summary")
    p_run.add_argument(
        "--config",
        type=Path,
        default=None,
        metavar="FILE",
        help="a cleanpipe.toml or pyproject.toml ([tool.cleanpipe])",
    )
    p_run.add_argument(
        "--jaccard-threshold",
        type=float,
        default=None,
        help="MinHash Jaccard threshold for candidate pairs",
    )
    p_run.add_argument(
        "--engine",
        choices=["local", "dask"],
        default=None,
        help="where partitions run: a local process pool (default) or Dask "
        "(needs pip install 'cleanpipe[dask]')",
    )
    p_run.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="with --engine dask: a running scheduler (tcp://host:8786); "
        "default: a local cluster of --workers processes",
    )
    p_run.add_argument(
        "--format",
        choices=OUTPUT_FORMATS,
        default=None,
        help="how the records are written: articles.jsonl (default), articles.jsonl.gz, "
        "or articles.parquet (needs the parquet extra)",
    )
    p_run.add_argument(
        "--incremental",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="reuse the last incremental run's work in OUT: unchanged files are not read "
        "again, new copies join their records; the output is a full run's",
    )
    p_run.add_argument(
        "--work-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="where the run keeps its per-partition artifacts (default: OUT/.cleanpipe/work)",
    )
    p_run.set_defaults(handler=_cmd_run)

    p_strip = commands.add_parser(
        "strip",
        help="show what the stripper keeps and removes in FILE",
        description="Show the kept text of FILE, then each removed "
        "piece with the rule that removed it.",
    )
    p_strip.add_argument("file", type=Path, metavar="FILE")
    p_strip.add_argument("--config", type=Path, default=None, metavar="FILE")
    p_strip.add_argument(
        "--color",
        choices=["auto", "always", "never"],
        default="auto",
        help="colour the rules (default: on a terminal)",
    )
    p_strip.set_defaults(handler=_cmd_strip)

    p_check = commands.add_parser(
        "check",
        help="check a cleaned corpus in OUT for quality problems (the CI gate)",
        description="Check articles.jsonl, rejects.jsonl and report.json in OUT; print one "
        "line per finding. Exit 0 when clean, 1 with findings, 2 on a usage or I/O error. "
        "Thresholds come from [tool.cleanpipe.check] or --config, then the flags below.",
    )
    p_check.add_argument("out", type=Path, metavar="OUT", help="the output folder of `run`")
    p_check.add_argument(
        "--raw",
        type=Path,
        default=None,
        metavar="RAW",
        help="also check that OUT is what `cleanpipe run RAW OUT` gives now",
    )
    p_check.add_argument("--config", type=Path, default=None, metavar="FILE")
    p_check.add_argument(
        "--findings-format",
        choices=FINDINGS_FORMATS,
        default=None,
        help="text lines, a JSON array, or GitHub Actions annotations (default: text)",
    )
    # --format is the output format of `run` (Config.format) everywhere else; on
    # check it was the findings format until 0.1, and keeps working for a release.
    p_check.add_argument(
        "--format",
        dest="deprecated_format",
        choices=FINDINGS_FORMATS,
        default=None,
        help="deprecated spelling of --findings-format",
    )
    p_check.add_argument(
        "--languages", default=None, metavar="CODES", help="allowed languages, e.g. en,vi"
    )
    p_check.add_argument("--min-words", type=int, default=None, metavar="N")
    p_check.add_argument("--max-reject-rate", type=float, default=None, metavar="RATE")
    p_check.add_argument("--require-date", action=argparse.BooleanOptionalAction, default=None)
    p_check.add_argument("--max-mojibake-badness", type=int, default=None, metavar="N")
    p_check.add_argument(
        "--ignore",
        action="append",
        default=None,
        metavar="CODE",
        help="a finding code not to report (repeatable, or comma-separated)",
    )
    p_check.add_argument("--quiet", action="store_true", help="no summary line on stderr")
    p_check.set_defaults(handler=_cmd_check)

    p_report = commands.add_parser(
        "report",
        help="render OUT's files into a self-contained OUT/report.html",
        description="Read articles.jsonl, rejects.jsonl and report.json in OUT (streaming) and "
        "write OUT/report.html: counts, boilerplate by rule, word counts, duplicate "
        "clusters with diffs, rejects, languages and dates. The page loads nothing from "
        "elsewhere.",
    )
    p_report.add_argument("out", type=Path, metavar="OUT", help="the output folder of `run`")
    p_report.add_argument(
        "--raw",
        type=Path,
        default=None,
        metavar="RAW",
        help="the dump folder of the run: re-read the merged copies to diff them against "
        "the kept text",
    )
    p_report.add_argument(
        "--config", type=Path, default=None, metavar="FILE", help="strip settings for --raw"
    )
    p_report.set_defaults(handler=_cmd_report)

    p_config = commands.add_parser(
        "config",
        help="print the effective configuration as TOML",
        description="Print the configuration a run would use (the --config file, or the "
        "cleanpipe.toml or pyproject.toml [tool.cleanpipe] found from here upwards, over "
        "the defaults) in the form of a cleanpipe.toml.",
    )
    p_config.add_argument("--config", type=Path, default=None, metavar="FILE")
    p_config.set_defaults(handler=_cmd_config)

    p_schema = commands.add_parser(
        "schema",
        help="print the JSON Schema of the record",
        description="Print the JSON Schema of an articles.jsonl record.",
    )
    p_schema.set_defaults(handler=_cmd_schema)
    for subcommand in commands.choices.values():
        # The same options after the subcommand, too (`cleanpipe run RAW OUT --debug`).
        _add_global_options(subcommand, default=False)
    return parser


FINDINGS_FORMATS = ("text", "json", "github")


def _add_global_options(parser: argparse.ArgumentParser, *, default: bool) -> None:
    """Add ``--debug`` and ``--log-level`` to the main parser or (``default=False``) a subcommand.

    A subcommand's copies default to SUPPRESS, so that they leave a value given
    before the subcommand alone when they are not given after it.
    """
    parser.add_argument(
        "--debug",
        action="store_true",
        default=False if default else argparse.SUPPRESS,
        help="show tracebacks on errors",
    )
    parser.add_argument(
        "--log-level",
        default="WARNING" if default else argparse.SUPPRESS,
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="logging level",
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level, format="cleanpipe: %(levelname)s: %(message)s")
    handler: Callable[[argparse.Namespace], int] = args.handler
    previous = signal.getsignal(signal.SIGINT)
    if previous is signal.default_int_handler:
        signal.signal(signal.SIGINT, _interrupt_main_process_only(os.getpid()))
    try:
        return handler(args)
    except KeyboardInterrupt:
        print(
            "cleanpipe: interrupted; no output was changed by the unfinished run", file=sys.stderr
        )
        return 130
    except CleanpipeError as exc:
        if args.debug:
            raise
        print(f"cleanpipe: error: {exc}", file=sys.stderr)
        if isinstance(exc, StrictModeError | AccountingError):
            return EXIT_DATA
        if isinstance(exc, InputError | OutputError | ConfigError):
            return EXIT_USAGE
        return EXIT_DATA
    finally:
        if previous is signal.default_int_handler:
            signal.signal(signal.SIGINT, previous)


def _interrupt_main_process_only(main_pid: int) -> Callable[[int, FrameType | None], None]:
    """A SIGINT handler that forked workers inherit but ignore.

    Ctrl-C signals the whole process group; workers that raised too would each
    print a traceback. The main process alone stops, and shuts its pool down.
    """

    def on_sigint(_signum: int, _frame: FrameType | None) -> None:
        if os.getpid() == main_pid:
            raise KeyboardInterrupt

    return on_sigint


def _config(args: argparse.Namespace) -> Config:
    config = load_config(args.config)
    updates: dict[str, Any] = {}
    if getattr(args, "workers", None) is not None:
        if args.workers < 1:
            msg = "--workers must be at least 1"
            raise ConfigError(msg)
        updates["workers"] = args.workers
    if getattr(args, "no_dedup", False):
        updates["dedup_enabled"] = False
    if getattr(args, "strict", False):
        updates["strict"] = True
    if getattr(args, "incremental", None) is not None:
        updates["incremental"] = args.incremental
    if getattr(args, "format", None) is not None:
        updates["format"] = args.format
    if getattr(args, "work_dir", None) is not None:
        updates["work_dir"] = str(args.work_dir)
    for flag in ("engine", "scheduler"):
        if getattr(args, flag, None) is not None:
            updates[flag] = getattr(args, flag)
    if getattr(args, "jaccard_threshold", None) is not None:
        updates["dedup"] = config.dedup.model_copy(
            update={"jaccard_threshold": args.jaccard_threshold}
        )
    if not updates:
        return config
    merged = config.model_dump()
    for key, value in updates.items():
        merged[key] = value.model_dump() if hasattr(value, "model_dump") else value
    from cleanpipe.config import config_from_mapping

    return config_from_mapping(merged, origin="command line")


def _cmd_run(args: argparse.Namespace) -> int:
    config = _config(args)
    show = not args.quiet and sys.stderr.isatty()
    bars: dict[str, Any] = {}

    def progress(phase: str, done: int, total: int | None) -> None:
        from tqdm import tqdm

        if phase not in bars:
            label, unit = _STAGES.get(phase, (phase, "doc"))
            # leave=True: each finished stage stays on screen with its rate.
            bars[phase] = tqdm(
                total=total,
                desc=f"{label:<18}",
                unit=unit if unit == "B" else f" {unit}",
                unit_scale=unit == "B",
                file=sys.stderr,
                leave=True,
            )
        bars[phase].update(done)

    callback: Progress | None = progress if show else None
    # Dask's executor is opened here to print its dashboard first; a local pool
    # is left to run(), which shuts its workers down before the write (that
    # step is the driver's alone, and idle workers would keep their memory).
    executor = open_executor(config) if config.engine == "dask" else None
    try:
        dashboard = getattr(executor, "dashboard_link", None)
        if dashboard and not args.quiet:
            print(f"cleanpipe: dask dashboard at {dashboard}", file=sys.stderr)
        report = run(args.raw, args.out, config=config, executor=executor, progress=callback)
    finally:
        for bar in bars.values():
            bar.close()
        if executor is not None:
            executor.close()
    if not args.quiet:
        _print_summary(report, args.out, sys.stderr, articles=articles_filename(config.format))
    return EXIT_OK


# Progress phases of pipeline.run: the label of the bar and its unit.
_STAGES = {
    "prepare": ("read/extract/strip", "B"),
    "documents": ("documents", "doc"),
    "dedup": ("dedup", "doc"),
    "write": ("write", "record"),
}


def _print_summary(
    report: Report, out: Path, stream: TextIO, *, articles: str = "articles.jsonl"
) -> None:
    """Print the headline, a table of the run (counts, then seconds and docs/s per stage)."""
    rejects = _joined(report.rejects_by_reason)
    timings = report.timings
    rows: list[tuple[str, str, str]] = [
        ("inputs", str(report.inputs), "documents: files, JSONL lines, WARC records"),
        (
            "files",
            str(timings.files_processed + timings.files_unchanged),
            f"{timings.files_processed} processed, {timings.files_unchanged} unchanged "
            f"since the last incremental run, {timings.files_gone} gone",
        ),
        ("records", str(report.records), f"in {articles}"),
        ("merged", str(report.merged), "copies merged into another document's record"),
        ("rejected", str(report.rejected), rejects),
        (
            "removed by rule",
            str(sum(report.removed_by_rule.values())),
            _joined(report.removed_by_rule),
        ),
        (
            "duplicate clusters",
            str(sum(report.cluster_sizes.values())),
            ", ".join(f"{n} of size {size}" for size, n in report.cluster_sizes.items()) or "none",
        ),
        (
            "skipped WARC records",
            str(sum(report.skipped_records.values())),
            _joined(report.skipped_records),
        ),
    ]
    stages = [
        ("read/extract/strip", timings.read_extract_strip),
        ("repeated lines", timings.repeated_lines),
        ("dedup", timings.dedup),
        ("merge", timings.merge),
        ("write", timings.write),
        ("total", timings.total),
    ]
    lines = [
        f"cleanpipe: {report.inputs} inputs → {report.records} records "
        f"({report.merged} merged), {report.rejected} rejected ({rejects}) in "
        f"{timings.total:.2f}s"
    ]
    lines += [f"  {name:<20} {value:>9}  {detail}" for name, value, detail in rows]
    lines.append(f"  {'stage':<20} {'seconds':>9}  {'docs/s':>9}")
    for name, seconds in stages:
        per_second = report.inputs / seconds if seconds > 0 else 0.0
        rate = f"{per_second:9.1f}" if 0 < per_second < 100 else f"{per_second:9.0f}"
        lines.append(f"  {name:<20} {seconds:9.2f}  {rate if seconds > 0 else '-':>9}")
    lines.append(f"cleanpipe: wrote {out}/{articles}, rejects.jsonl, report.json")
    print("\n".join(lines), file=stream)


def _joined(counts: dict[str, int]) -> str:
    return ", ".join(f"{key} {n}" for key, n in counts.items()) or "none"


def _cmd_strip(args: argparse.Namespace) -> int:
    config = _config(args)
    colour = args.color == "always" or (args.color == "auto" and sys.stdout.isatty())

    def paint(kind: str, text: str) -> str:
        return f"{_COLOURS[kind]}{text}{_COLOURS['reset']}" if colour else text

    outcomes = strip_file(args.file, config=config)
    status = EXIT_OK
    for outcome in outcomes:
        where = outcome.origin.path + (f":{outcome.origin.line}" if outcome.origin.line else "")
        if outcome.rejection is not None:
            print(f"{where}: rejected ({outcome.rejection.reason}): {outcome.rejection.detail}")
            status = EXIT_DATA
            continue
        if outcome.result is None:
            continue
        if len(outcomes) > 1:
            print(paint("head", f"== {where}"))
        if outcome.title:
            print(paint("head", f"title: {outcome.title}"))
        print(paint("head", "--- kept"))
        print(outcome.result.text)
        print(paint("head", f"--- removed ({len(outcome.result.removed)})"))
        for removal in outcome.result.removed:
            text = removal.text if len(removal.text) <= 300 else removal.text[:297] + "..."
            print(f"{paint('rule', f'[{removal.rule}]')} {paint('removed', text)}")
    return status


def _cmd_check(args: argparse.Namespace) -> int:
    from cleanpipe.check import check
    from cleanpipe.config import config_from_mapping

    config = _config(args)
    updates: dict[str, Any] = {}
    if args.languages is not None:
        updates["languages"] = [c.strip() for c in args.languages.split(",") if c.strip()]
    if args.ignore is not None:
        updates["ignore"] = [c.strip() for v in args.ignore for c in v.split(",") if c.strip()]
    for name in ("min_words", "max_reject_rate", "require_date", "max_mojibake_badness"):
        if getattr(args, name) is not None:
            updates[name] = getattr(args, name)
    if updates:
        merged = config.model_dump()
        merged["check"] = {**merged["check"], **updates}
        config = config_from_mapping(merged, origin="command line")
    fmt = args.findings_format or args.deprecated_format or "text"
    if args.deprecated_format is not None:
        print(
            "cleanpipe: warning: check --format is deprecated and will be removed in 0.2; "
            "use --findings-format (--format is the output format of run)",
            file=sys.stderr,
        )
    findings = check(args.out, config=config, raw=args.raw)
    if fmt == "json":
        rows = [f.model_dump(mode="json") for f in findings]
        sys.stdout.write(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode() + "\n")
    for finding in findings if fmt != "json" else ():
        if fmt == "github":
            print(_github_annotation(finding))
        else:
            where = (finding.file or str(args.out)) + (f":{finding.line}" if finding.line else "")
            record = f"record {finding.record_id}: " if finding.record_id else ""
            print(f"{where}: {finding.code}: {record}{finding.message}")
    if not args.quiet:
        counts = Counter(f.code for f in findings)
        summary = ", ".join(f"{code} {n}" for code, n in sorted(counts.items()))
        state = f"{len(findings)} finding(s): {summary}" if findings else "no findings"
        print(f"cleanpipe: check {args.out}: {state}", file=sys.stderr)
    return EXIT_DATA if findings else EXIT_OK


def _github_annotation(finding: CheckFinding) -> str:
    """One GitHub Actions workflow command (``::error file=…,line=…,title=…::message``)."""

    def escape(value: str, *, prop: bool) -> str:
        value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        return value.replace(":", "%3A").replace(",", "%2C") if prop else value

    props = []
    if finding.file:
        props.append(f"file={escape(finding.file, prop=True)}")
    if finding.line:
        props.append(f"line={finding.line}")
    props.append(f"title={escape('cleanpipe ' + finding.code, prop=True)}")
    message = finding.message
    if finding.record_id:
        message = f"record {finding.record_id}: {message}"
    return f"::error {','.join(props)}::{escape(message, prop=False)}"


def _cmd_report(args: argparse.Namespace) -> int:
    from cleanpipe.review import report

    path = report(args.out, raw=args.raw, config=_config(args))
    print(f"cleanpipe: wrote {path}", file=sys.stderr)
    return EXIT_OK


def _cmd_config(args: argparse.Namespace) -> int:
    sys.stdout.write(_config(args).to_toml())
    return EXIT_OK


def _cmd_schema(_args: argparse.Namespace) -> int:
    schema = Article.model_json_schema()
    sys.stdout.write(
        orjson.dumps(schema, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode() + "\n"
    )
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
