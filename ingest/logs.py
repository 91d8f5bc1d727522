"""Logging for `serve` and the CLI: `log.format` text or JSON lines on standard error, `log.level` for the
collector's own loggers (`consentry.*`, `redact`), libraries at WARNING.

No line may carry a removed value, an install id, a client address or a token: the collector's own messages
name counts, codes and paths only; the library messages known to name the client (aiohttp's "Error handling
request from <address>") lose the address here, and aiohttp's refusals of malformed request lines and headers
(which carry the line: tokens, keys, e-mails) become a fixed message naming only the kind of refusal.
tests/system/test_logs.py scans the log of a full run for planted values."""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

import msgspec
from aiohttp.http_exceptions import HttpProcessingError

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


class _LibraryRefusals(logging.Filter):
    """aiohttp logs what it refuses itself verbatim: a malformed request line or header at ERROR with the line in
    the exception (an admin token, an ingest key, an e-mail in a query) and the client address ("Error handling
    request from <address>"). A parse refusal becomes one fixed WARNING naming only its kind; any other such line
    keeps its message without the address."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith("aiohttp") or not isinstance(record.msg, str):
            return True
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, HttpProcessingError):
            record.msg, record.args = "refused a malformed request: %s", (type(error).__name__,)
            record.exc_info, record.exc_text = None, None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        elif record.msg.endswith(" from %s") and isinstance(record.args, tuple) and len(record.args) == 1:
            record.msg = record.msg.replace(" from %s", "")
            record.args = None
        return True


def setup_logging(fmt: str = "text", level: str = "info", stream: TextIO | None = None) -> None:
    """Replace the root handler (calling it again, once the settings are loaded, switches format and level)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    handler.addFilter(_LibraryRefusals())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    for name in OWN_LOGGERS:
        logging.getLogger(name).setLevel(level.upper())
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
