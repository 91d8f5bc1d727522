"""Settings: defaults, file, environment precedence, and errors that name the key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ingest.settings import ConfigError, Settings, load_settings


def test_defaults_run_everything_embedded() -> None:
    settings = load_settings(environ={})
    assert settings == Settings()
    assert (settings.http.host, settings.http.port, settings.data_dir) == ("127.0.0.1", 8080, "./data")
    assert (settings.clickhouse.url, settings.clickhouse.database) == ("", "consentry")


def test_environment_overrides_file(tmp_path: Path) -> None:
    config = tmp_path / "consentry.toml"
    config.write_text(
        'data_dir = "/srv/c"\n[http]\nport = 9000\nhost = "0.0.0.0"\n[limits]\nmax_events_per_batch = 5\n'
    )
    settings = load_settings(config, environ={"CONSENTRY_HTTP_PORT": "9100", "UNRELATED": "x"})
    assert (settings.http.port, settings.http.host, settings.data_dir) == (9100, "0.0.0.0", "/srv/c")
    assert settings.limits.max_events_per_batch == 5


@pytest.mark.parametrize(
    ("environ", "needle"),
    [
        ({"CONSENTRY_HTTP_PORT": "eighty"}, "http.port (environment CONSENTRY_HTTP_PORT)"),
        ({"CONSENTRY_HTTP_PORT": "70000"}, "http.port"),
        ({"CONSENTRY_LIMITS_MAX_BODY_BYTES": "0"}, "limits.max_body_bytes"),
        ({"CONSENTRY_CLICKHOUSE_DATABASE": "drop table;"}, "clickhouse.database"),
        ({"CONSENTRY_CLICKHOUSE_URL": "ftp://host"}, "clickhouse.url"),
        ({"CONSENTRY_CLICKHOUSE_URL": "chdb://"}, "clickhouse.url"),
        ({"CONSENTRY_HTTP_PROT": "1"}, "unknown setting CONSENTRY_HTTP_PROT"),
    ],
)
def test_bad_values_name_the_key(environ: dict[str, str], needle: str) -> None:
    with pytest.raises(ConfigError, match=needle.replace("(", r"\(").replace(")", r"\)")):
        load_settings(environ=environ)


def test_unknown_key_in_file_is_an_error(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("[http]\nprot = 1\n")
    with pytest.raises(ConfigError, match="prot"):
        load_settings(config, environ={})


def test_unreadable_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_settings(tmp_path / "missing.toml", environ={})


@pytest.mark.parametrize(("env", "key"), [
    ({"CONSENTRY_TLS_CERT_FILE": __file__}, "tls.key_file"),
    ({"CONSENTRY_TLS_KEY_FILE": __file__}, "tls.cert_file"),
    ({"CONSENTRY_TLS_CERT_FILE": __file__, "CONSENTRY_TLS_KEY_FILE": "/nonexistent/key.pem"}, "tls.key_file"),
    ({"CONSENTRY_S3_CA_FILE": "/nonexistent/ca.pem"}, "s3.ca_file"),
    ({"CONSENTRY_CLICKHOUSE_CA_FILE": "/nonexistent/ca.pem"}, "clickhouse.ca_file"),
])
def test_tls_files_are_checked_at_start_up(env: dict[str, str], key: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(key)):
        load_settings(environ=env)


def test_readable_tls_and_ca_files_are_accepted() -> None:
    settings = load_settings(environ={"CONSENTRY_TLS_CERT_FILE": __file__, "CONSENTRY_TLS_KEY_FILE": __file__,
                                      "CONSENTRY_S3_CA_FILE": __file__})
    assert settings.tls.cert_file == __file__ and settings.s3.ca_file == __file__
