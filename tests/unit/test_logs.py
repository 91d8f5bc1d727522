"""log.format / log.level: JSON lines with the required fields, levels, quiet libraries, no client address."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from ingest.logs import setup_logging
from ingest.settings import ConfigError, load_settings


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    levels = {name: logging.getLogger(name).level for name in ("consentry", "redact", "aiohttp", "clickhouse_connect")}
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
    for name, old in levels.items():
        logging.getLogger(name).setLevel(old)


def _lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_json_lines_carry_time_level_logger_message_and_fields(restore_logging: None) -> None:
    out = io.StringIO()
    setup_logging("json", "info", out)
    logging.getLogger("consentry.writer").info("inserted %d rows", 12, extra={"rows": 12, "table": "events"})
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("consentry.jobs").exception("job failed")
    first, second = _lines(out)
    assert first["level"] == "info" and first["logger"] == "consentry.writer"
    assert first["message"] == "inserted 12 rows" and first["rows"] == 12 and first["table"] == "events"
    assert str(first["time"]).endswith("+00:00") and "T" in str(first["time"])
    assert second["level"] == "error" and "ValueError: boom" in str(second["exception"])
    assert len(out.getvalue().splitlines()) == 2  # a traceback stays inside its line


def test_levels_own_loggers_follow_the_setting_libraries_stay_at_warning(restore_logging: None) -> None:
    out = io.StringIO()
    setup_logging("json", "debug", out)
    logging.getLogger("consentry.http").debug("own debug")
    logging.getLogger("redact").debug("redact debug")
    logging.getLogger("aiohttp.server").info("library chatter")
    logging.getLogger("clickhouse_connect.driver").info("library chatter")
    logging.getLogger("aiohttp.server").warning("library warning")
    assert [line["message"] for line in _lines(out)] == ["own debug", "redact debug", "library warning"]
    out = io.StringIO()
    setup_logging("text", "warning", out)  # called again: replaces the handler, no duplicate lines
    logging.getLogger("consentry.http").info("hidden")
    logging.getLogger("consentry.http").warning("shown")
    assert out.getvalue().count("shown") == 1 and "hidden" not in out.getvalue()
    assert " WARNING consentry.http: shown" in out.getvalue()


def test_aiohttp_error_line_loses_the_client_address(restore_logging: None) -> None:
    out = io.StringIO()
    setup_logging("json", "info", out)
    logging.getLogger("aiohttp.server").error("Error handling request from %s", "203.0.113.77")
    assert _lines(out)[0]["message"] == "Error handling request"
    assert "203.0.113.77" not in out.getvalue()


def test_log_settings() -> None:
    settings = load_settings(environ={"CONSENTRY_LOG_FORMAT": "json", "CONSENTRY_LOG_LEVEL": "debug"})
    assert (settings.log.format, settings.log.level) == ("json", "debug")
    assert (load_settings(environ={}).log.format, load_settings(environ={}).log.level) == ("text", "info")
    with pytest.raises(ConfigError, match="log.format"):
        load_settings(environ={"CONSENTRY_LOG_FORMAT": "xml"})


def test_aiohttp_refusals_of_malformed_requests_log_a_fixed_message(restore_logging: None) -> None:
    """aiohttp's "Error handling request from <address>" with a BadStatusLine / InvalidHeader naming the line
    (here an admin token and an e-mail): one WARNING naming the refusal's kind, no line, no address, no traceback."""
    from aiohttp.http_exceptions import BadStatusLine, InvalidHeader

    out = io.StringIO()
    setup_logging("json", "info", out)
    server = logging.getLogger("aiohttp.server")
    for error in (BadStatusLine("GET /?key=phc_secretkey&email=alice@example.com HTTP/1.1"),
                  InvalidHeader(b"Authorization: Bearer \x01admin-token-123")):
        try:
            raise error
        except Exception:
            server.exception("Error handling request from %s", "203.0.113.9")
    server.error("Error handling request from %s", "203.0.113.9")  # any other such line: the address goes
    text = out.getvalue()
    for secret in ("phc_secretkey", "alice@example.com", "admin-token-123", "203.0.113.9", "Traceback"):
        assert secret not in text
    lines = _lines(out)
    assert [(line["level"], line["message"]) for line in lines] == [
        ("warning", "refused a malformed request: BadStatusLine"),
        ("warning", "refused a malformed request: InvalidHeader"),
        ("error", "Error handling request")]
