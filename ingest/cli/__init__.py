"""The `consentry` command: serve, migrate, query, crashes (triage), jobs (retention), dsr, report.

Every command reaches the engine the same way (engine.py): through the running collector when it owns an
embedded engine, else by opening it."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from ingest.cli import crashes, dsr, jobs, query, report
from ingest.cli.engine import run_migrate
from ingest.durable import control_client
from ingest.logs import QUIET_LOGGERS, setup_logging
from ingest.serve import serve
from ingest.settings import ConfigError, Settings, load_settings
from storage.errors import StorageError

# Our own loggers speak at INFO; libraries (presidio's "Loaded recognizer" lines, say) only at WARNING unless
# --verbose asks for their INFO too.
COMMANDS = {"crashes": crashes.main, "jobs": jobs.main, "dsr": dsr.main, "report": report.main, "query": query.main}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="consentry", description="Privacy-first telemetry collector")
    parser.add_argument("--config", help="TOML config file; CONSENTRY_* environment variables override it")
    parser.add_argument("--verbose", action="store_true", help="also log the libraries' INFO messages")
    commands = parser.add_subparsers(dest="command", required=True)
    serve_cmd = commands.add_parser("serve", help="run the collector")
    serve_cmd.add_argument("--workers", type=int, default=None,
                           help="worker processes (default: http.workers, 0 there = one per CPU); "
                                "0 here = a single process that also writes")
    migrate_cmd = commands.add_parser("migrate", help="apply schemas/*.sql (idempotent)")
    migrate_cmd.add_argument("--cluster", metavar="NAME", default=None,
                             help="apply schemas/cluster/*.sql ON CLUSTER NAME (replicated + Distributed tables); "
                                  "default: the clickhouse.cluster setting")
    for command in (query, crashes, jobs, dsr, report):
        command.add_parser(commands)
    return parser


def _logging(verbose: bool, fmt: str = "text", level: str = "info") -> None:
    """Our loggers at `level`, libraries at WARNING; --verbose lets library INFO lines through too."""
    setup_logging(fmt, level)
    if verbose:
        logging.getLogger().setLevel(logging.INFO)
        for name in QUIET_LOGGERS:
            logging.getLogger(name).setLevel(logging.NOTSET)


def _workers(flag: int | None, settings: Settings) -> int:
    if flag is not None:
        if flag < 0:
            raise ConfigError("--workers must be >= 0")
        return flag
    return settings.http.workers or os.cpu_count() or 1


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    _logging(args.verbose)
    try:
        settings = load_settings(args.config)
        _logging(args.verbose, settings.log.format, settings.log.level)  # the format and level the settings ask
        if args.command == "serve":
            return serve(settings, _workers(args.workers, settings))
        if args.command == "migrate":
            applied = run_migrate(settings, args.cluster)
            print(f"applied {len(applied)} migration(s)" + (": " + ", ".join(applied) if applied else ""))
            return 0
        return COMMANDS[args.command](settings, args)
    except ConfigError as exc:
        print(f"consentry: configuration error: {exc}", file=sys.stderr)
        return 2
    except query.FormatError as exc:
        print(f"consentry query: {exc}", file=sys.stderr)
        return 2
    except (StorageError, control_client.ControlError, crashes.TriageError) as exc:
        print(f"consentry: {exc}", file=sys.stderr)
        return 1
