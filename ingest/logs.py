"""Logging for `serve` and the CLI: `log.format` text or JSON lines on standard error, `log.level` for the
collector's own loggers (`consentry.*`, `redact`), libraries at WARNING.

No line may carry a removed value, an install id, a client address or a token: the collector's own messages
name counts, codes and paths only, and the one library message known to name the client (aiohttp's "Error
handling request from <address>") loses the address here. tests/system/test_logs.py scans the log of a full run
for planted values."""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

import msgspec

OWN_LOGGERS = ("consentry", "redact")
# Libraries that log at INFO or DEBUG on their own (aiohttp's access log is off: access_log=None).
QUIET_LOGGERS = ("aiohttp", "asyncio", "clickhouse_connect", "chdb", "urllib3", "presidio-analyzer",
                 "decision_process", "spacy", "filelock")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Every attribute a LogRecord has on its own; anything else came from `extra=` and is a structured field.
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601, ms), level, logger, message, then the record's `extra=`
    fields, process id, and `exception` (the formatted traceback) when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        return msgspec.json.encode(entry, enc_hook=str).decode()


class _NoClientAddress(logging.Filter):
    """aiohttp names the client in "Error handling request from %s": keep the message, drop the address."""

    def filter(self, record: logging.LogRecord) -> bool:
        if (record.name.startswith("aiohttp") and isinstance(record.msg, str) and record.msg.endswith(" from %s")
                and isinstance(record.args, tuple) and len(record.args) == 1):
            record.msg = record.msg.replace(" from %s", "")
            record.args = None
        return True


def setup_logging(fmt: str = "text", level: str = "info", stream: TextIO | None = None) -> None:
    """Replace the root handler (calling it again, once the settings are loaded, switches format and level)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    handler.addFilter(_NoClientAddress())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    for name in OWN_LOGGERS:
        logging.getLogger(name).setLevel(level.upper())
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
