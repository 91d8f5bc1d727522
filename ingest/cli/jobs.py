"""`consentry jobs run|status`: through the running collector's control socket, or on the engine directly."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, TextIO

import msgspec

from ingest.cli.engine import ask_collector, engine
from ingest.consent.keys import hash_key
from ingest.durable import control_client
from ingest.durable.jobs import JobOutcome, holder, now_utc, run_named, selected
from ingest.settings import Settings
from ingest.stores import embedded, open_objects
from storage.jobs import JobContext, job_status

BAR_WIDTH = 30


class ProgressBar:
    """`job [#####-----] 3/10` redrawn in place on stderr; silent unless stderr is a terminal."""

    def __init__(self, stream: TextIO = sys.stderr) -> None:
        self._stream = stream
        self._on = stream.isatty()
        self._job = ""

    def __call__(self, job: str, done: int, total: int) -> None:
        if not self._on:
            return
        if job != self._job and self._job:
            self._stream.write("\n")
        self._job = job
        filled = BAR_WIDTH * done // total if total else BAR_WIDTH
        self._stream.write(f"\r{job:<11} [{'#' * filled}{'-' * (BAR_WIDTH - filled)}] {done}/{total}")
        self._stream.flush()

    def close(self) -> None:
        if self._on and self._job:
            self._stream.write("\n")
            self._stream.flush()


def add_parser(commands: Any) -> None:
    jobs = commands.add_parser("jobs", help="retention jobs: run them (cron), or show their status")
    sub = jobs.add_subparsers(dest="jobs_command", required=True)
    run = sub.add_parser("run", help="run one job, or all of them in order; a job running elsewhere is skipped")
    run.add_argument("job", metavar="JOB", help="deletions, expire, deidentify, rescrub, reconcile or all")
    status = sub.add_parser("status", help="one line per job: last run, last success, rows and objects affected")
    status.add_argument("--format", choices=("table", "json"), default="table")


def main(settings: Settings, args: argparse.Namespace) -> int:
    """Exit status: 0 when every job succeeded or was skipped (running elsewhere), 1 when one failed, 2 bad name."""
    if args.jobs_command == "status":
        _print_status(_status(settings), args.format)
        return 0
    try:
        names = selected(args.job)
    except ValueError as exc:
        print(f"consentry: {exc}", file=sys.stderr)
        return 2
    bar = ProgressBar()
    try:
        outcomes = _run(settings, args.job, names, bar)
    finally:
        bar.close()
    for outcome in outcomes:
        print(_outcome_line(outcome))
    return 1 if any(outcome.outcome == "failed" for outcome in outcomes) else 0


def _run(settings: Settings, job: str, names: list[str], bar: ProgressBar) -> list[JobOutcome]:
    if embedded(settings):  # the running collector owns the engine: ask it
        lines = control_client.stream(settings.control_socket, "/jobs/run", {"job": job})
        if lines is not None:
            return _follow(lines, bar)
    with engine(settings, migrated=True) as store, open_objects(settings) as objects:
        return run_named(names, store, objects, settings, holder("cli"), bar)


def _follow(lines: Iterator[dict[str, Any]], bar: ProgressBar) -> list[JobOutcome]:
    for line in lines:
        if "progress" in line:
            bar(line["progress"]["job"], line["progress"]["done"], line["progress"]["total"])
        elif "outcomes" in line:
            return msgspec.convert(line["outcomes"], list[JobOutcome])
    raise control_client.ControlError("the collector ended the job run without a result (is it stopping?)")


def _status(settings: Settings) -> list[dict[str, Any]]:
    answer = ask_collector(settings, "/jobs/status", {})
    if answer is not None:
        return list(answer["jobs"])
    with engine(settings, migrated=True) as store, open_objects(settings) as objects:
        ctx = JobContext(store, objects, settings.retention, now_utc, lambda done, total: None, hash_key(settings))
        return [msgspec.to_builtins(entry) for entry in job_status(ctx)]


def _outcome_line(outcome: JobOutcome) -> str:
    if outcome.result is None:
        return f"{outcome.job:<11} {outcome.outcome:<7} {outcome.message}"
    result = outcome.result
    seconds = result.details.get("seconds", 0)
    return f"{outcome.job:<11} ok      rows {_counts(result.rows)}  objects {result.objects}  {seconds} s"


def _print_status(entries: list[dict[str, Any]], fmt: str) -> None:
    out = sys.stdout
    for entry in entries:
        if fmt == "json":
            out.write(msgspec.json.encode(entry).decode() + "\n")
            continue
        extra = "".join(f"  {name} {_value(value)}" for name, value in entry["extra"].items())
        error = f"  error: {entry['error'].splitlines()[0]}" if entry["last_status"] == "failed" else ""
        out.write(f"{entry['job']:<11} last run {_when(entry['last_run'])} {entry['last_status']:<6} "
                  f"last success {_when(entry['last_success'])}  rows {_counts(entry['rows'])}  "
                  f"objects {entry['objects']}{extra}{error}\n")


def _counts(rows: dict[str, int]) -> str:
    return " ".join(f"{table}={count}" for table, count in sorted(rows.items())) or "-"


def _when(value: str | None) -> str:
    if not value:
        return "never"
    return datetime.fromisoformat(value).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def _value(value: object) -> str:
    return value if isinstance(value, str) else msgspec.json.encode(value).decode()
