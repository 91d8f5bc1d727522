"""Typed settings: defaults, an optional TOML file, then CONSENTRY_* environment overrides."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import msgspec

from storage.jobs.policy import PolicyError, RetentionPolicy
from storage.migrate import CLUSTER_PATTERN

ENV_PREFIX = "CONSENTRY_"
Port = Annotated[int, msgspec.Meta(ge=0, le=65535)]
Positive = Annotated[int, msgspec.Meta(ge=1)]
NonNegative = Annotated[int, msgspec.Meta(ge=0)]
Identifier = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")]


class ConfigError(Exception):
    """A configuration value is missing or wrong; the message names the key."""


class HttpSettings(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    host: str = "127.0.0.1"
    port: Port = 8080
    workers: NonNegative = 0  # collector worker processes; 0 = one per CPU (`serve --workers` overrides)


class ClickHouseSettings(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    # "" means embedded chDB under <data_dir>/clickhouse; "chdb:///abs/path" picks the engine path;
    # "http(s)://user:password@host:port" talks to a ClickHouse server.
    url: str = ""
    database: Identifier = "consentry"
    ca_file: str = ""  # PEM CA bundle to verify an https:// server (empty = the system / certifi bundle)
    # A sharded/replicated cluster (schemas/cluster/): migrate uses it and the jobs mutate `<table>_local ON
    # CLUSTER` instead of the Distributed tables. Empty = one server (or embedded chDB).
    cluster: Annotated[str, msgspec.Meta(pattern=CLUSTER_PATTERN)] = ""


class LimitSettings(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    max_body_bytes: Positive = 1 << 20  # as sent on the wire (compressed or not)
    max_decompressed_bytes: Positive = 10 << 20  # after Content-Encoding is undone
    max_events_per_batch: Positive = 1000
    max_props_per_event: Positive = 64
    max_string_length: Positive = 1024  # per prop value and context string, in characters
    max_event_age_days: Positive = 30  # older client timestamps are refused
    max_clock_skew_seconds: NonNegative = 86_400  # newer-than-now tolerance


class ObjectStoreSettings(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    # "" = a directory under the data dir; "file:///abs/path"; "s3://BUCKET" with the [s3] settings;
    # or the self-contained "s3://ACCESS:SECRET@host:port/bucket?secure=..&region=..&sse=.." form.
    url: str = ""


class S3Settings(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    endpoint: str = ""  # http(s)://host:port of the S3 API
    access_key: str = ""
    secret_key: str = ""
    region: str = "us-east-1"
    sse: str = "s3"  # server-side encryption: s3, kms:<key-id> or none
    create_bucket: bool = True
    ca_file: str = ""  # PEM CA bundle to verify an https endpoint (empty = $SSL_CERT_FILE or certifi's bundle)


class TlsSettings(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    # Both set: the collector serves HTTPS only (TLS 1.2 or newer). Both empty: plain HTTP (e.g. behind a proxy).
    cert_file: str = ""  # PEM certificate chain, leaf first
    key_file: str = ""  # PEM private key of that certificate


class CrashLimitSettings(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    max_upload_bytes: Positive = 64 << 20  # the whole multipart body
    max_report_bytes: Positive = 1 << 20  # the JSON report part
    max_minidump_bytes: Positive = 50 << 20
    max_attachments: NonNegative = 4
    max_attachment_bytes: Positive = 256 << 10
    max_frames: Positive = 256  # per thread
    max_threads: Positive = 64
    max_breadcrumbs: NonNegative = 100
    max_message_length: Positive = 8192


class AdminSettings(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    token: str = ""  # bearer token for /v1/admin/*; empty = admin routes disabled (404), never open


class PrivacySettings(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    # 64 hex digits; empty = a random key generated once in <data_dir>/install-hash.key. Audit records and
    # block lists keep HMAC(key, install id), never the id: keep the key stable, or old hashes stop matching.
    hash_key: Annotated[str, msgspec.Meta(pattern=r"^([0-9a-fA-F]{64})?$")] = ""
    deletion_grace_days: NonNegative = 30  # after a deletion request, events of that install are refused this long
    deletion_sla_hours: Annotated[int, msgspec.Meta(ge=1, le=720)] = 24  # promised completion time (max 30 days)


class SpoolSettings(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    max_bytes: Positive = 1 << 30  # intake answers 503 above this backlog on disk
    min_free_disk_bytes: NonNegative = 256 << 20  # ... or when the spool disk has less free space than this
    segment_bytes: Positive = 16 << 20  # a worker starts a new segment file after this many bytes


class WriterSettings(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    max_rows: Positive = 100_000  # rows per ClickHouse insert
    poll_ms: Positive = 20  # how often an idle writer looks for new spool records
    linger_ms: NonNegative = 500  # pause after a partial insert so the next one is larger (read barriers skip it)
    backoff_max_ms: Positive = 30_000  # ceiling of the exponential retry delay while storage fails
    shutdown_deadline_s: Positive = 20  # time to drain the spool on SIGTERM; the rest waits for the next start


class RateLimitSettings(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    # Token buckets, per worker process; 0 disables a limit. Requests per second, and the burst allowed.
    per_install_rps: Annotated[float, msgspec.Meta(ge=0)] = 20.0
    per_install_burst: Positive = 100
    per_client_rps: Annotated[float, msgspec.Meta(ge=0)] = 2000.0
    per_client_burst: Positive = 10_000
    # POST /v1/deletion-requests, per client address, on top of the limit above: each request costs the writer a
    # registration and a share of a deletion batch, and needs no credentials (issue 18, item 11).
    deletion_per_client_rps: Annotated[float, msgspec.Meta(ge=0)] = 1.0
    deletion_per_client_burst: Positive = 20


class JobSettings(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    schedule: bool = True  # run every job inside `serve` (in the writer process); false = CronJobs only
    interval_minutes: Positive = 60  # between scheduled runs; the first one starts a minute after start-up
    lock_ttl_s: Positive = 900  # a lock nobody renews (a killed runner) expires after this
    lock_settle_ms: NonNegative = 500  # claim, wait this long, read back: longer than claims take to replicate


PropKey = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_.]{0,63}$")]  # the prop-key pattern intake enforces
# Settings whose environment value is a comma-separated list.
_LIST_SETTINGS = frozenset({"reports.breakdown_props"})
# Settings whose environment value is a JSON document.
_JSON_SETTINGS = frozenset({"ingest_keys"})


class ReportSettings(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    # String props declared low-cardinality: the only ones reports may break down by (rolled up per value).
    breakdown_props: list[PropKey] = msgspec.field(default_factory=lambda: ["mode", "theme", "locale"])
    # k-anonymity: a report cell backed by fewer distinct installs is suppressed; 1 would suppress nothing.
    min_installs: Annotated[int, msgspec.Meta(ge=2)] = 5
    # How often the writer recomputes the trailing-window active rollup for the days that got events. A read
    # barrier (a report, `consentry query`) refreshes yesterday and today itself; older days late events
    # touched may lag by this much (re-merging 30 days of sketches takes seconds at scale).
    trailing_refresh_s: Positive = 300


ConsentScope = Literal["telemetry", "crash_report"]


class IngestKey(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """An SDK credential (Sentry DSN public key, PostHog project api_key) and the consent policy it carries."""

    app: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    scopes: list[ConsentScope]  # what data this key may carry at all
    require_marker: bool = False  # true: each event must also carry a consent marker granting its scope
    revoked: bool = False  # a revoked key is refused like an unknown one (401) but stays documented in config
    transactions: Literal["events", "drop"] = "events"  # Sentry performance transactions: stored as events or not


class Settings(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    data_dir: str = "./data"
    http: HttpSettings = HttpSettings()
    tls: TlsSettings = TlsSettings()
    clickhouse: ClickHouseSettings = ClickHouseSettings()
    limits: LimitSettings = LimitSettings()
    object_store: ObjectStoreSettings = ObjectStoreSettings()
    s3: S3Settings = S3Settings()
    crash_limits: CrashLimitSettings = CrashLimitSettings()
    admin: AdminSettings = AdminSettings()
    privacy: PrivacySettings = PrivacySettings()
    spool: SpoolSettings = SpoolSettings()
    writer: WriterSettings = WriterSettings()
    rate_limit: RateLimitSettings = RateLimitSettings()
    retention: RetentionPolicy = RetentionPolicy()  # defined in storage/jobs/policy.py (storage owns the policy)
    jobs: JobSettings = JobSettings()
    reports: ReportSettings = ReportSettings()
    # SDK keys for the Sentry and PostHog endpoints, keyed by the key itself. Empty: those endpoints refuse all.
    ingest_keys: dict[str, IngestKey] = {}

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir).resolve()

    @property
    def spool_path(self) -> Path:
        return self.data_path / "spool"

    @property
    def control_socket(self) -> Path:
        """Unix socket where a running `serve` answers CLI calls (chDB allows one process per path)."""
        return self.data_path / "control.sock"


def env_name(key: str) -> str:
    return ENV_PREFIX + key.replace(".", "_").upper()


def setting_names(struct_type: type[msgspec.Struct] = Settings, prefix: str = "") -> dict[str, str]:
    """Map every leaf setting's environment name to its dotted key."""
    keys: dict[str, str] = {}
    for field in msgspec.structs.fields(struct_type):
        dotted = prefix + field.name
        if isinstance(field.type, type) and issubclass(field.type, msgspec.Struct):
            keys.update(setting_names(field.type, dotted + "."))
        else:
            keys[env_name(dotted)] = dotted
    return keys


def _merge_env(raw: dict[str, Any], environ: Mapping[str, str]) -> None:
    known = setting_names()
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX):
            continue
        if name not in known:
            raise ConfigError(f"unknown setting {name}; known: {', '.join(sorted(known))}")
        section, _, leaf = known[name].rpartition(".")
        target = raw.setdefault(section, {}) if section else raw
        if not isinstance(target, dict):
            raise ConfigError(f"{section}: expected a table in the config file")
        target[leaf] = _env_value(known[name], value)


def _env_value(key: str, value: str) -> Any:
    if key in _LIST_SETTINGS:
        return [item.strip() for item in value.split(",") if item.strip()]
    if key in _JSON_SETTINGS:
        try:
            return msgspec.json.decode(value)
        except msgspec.DecodeError as exc:
            raise ConfigError(f"invalid setting {key} (environment {env_name(key)}): not JSON: {exc}") from None
    return value


_PATH_RE = re.compile(r"at `\$\.?(?P<path>[^`]*)`")


def _explain(error: msgspec.ValidationError) -> ConfigError:
    message = str(error)
    match = _PATH_RE.search(message)
    if not match or not match.group("path"):
        return ConfigError(f"invalid configuration: {message}")
    key = re.sub(r"\[.*?\]", "", match.group("path"))
    if key.startswith("ingest_keys"):  # one setting (a JSON document in the environment), not a section
        key = "ingest_keys"
    reason = message[: match.start()].rstrip(" -")
    return ConfigError(f"invalid setting {key} (environment {env_name(key)}): {reason}")


def _check(settings: Settings) -> None:
    url = settings.clickhouse.url
    scheme = urlsplit(url).scheme if url else ""
    if scheme not in ("", "chdb", "http", "https"):
        raise ConfigError(
            f"invalid setting clickhouse.url (environment {env_name('clickhouse.url')}): "
            f"scheme {scheme!r} is not one of chdb, http, https"
        )
    if scheme == "chdb" and not urlsplit(url).path:
        raise ConfigError("invalid setting clickhouse.url: chdb:// needs a path, e.g. chdb:///var/lib/consentry/ch")
    if settings.clickhouse.cluster and scheme not in ("http", "https"):
        raise ConfigError(f"invalid setting clickhouse.cluster (environment {env_name('clickhouse.cluster')}): "
                          "a cluster needs clickhouse.url to be a ClickHouse server (http(s)://...), not embedded chDB")
    _check_retention(settings)
    _check_files(settings)


def _check_files(settings: Settings) -> None:
    """TLS material and CA bundles must be readable now: a typo is a start-up error, not a failed handshake."""
    tls = settings.tls
    if bool(tls.cert_file) != bool(tls.key_file):
        missing = "tls.key_file" if tls.cert_file else "tls.cert_file"
        raise ConfigError(f"invalid setting {missing} (environment {env_name(missing)}): "
                          "tls.cert_file and tls.key_file are set together or not at all")
    files = {"tls.cert_file": tls.cert_file, "tls.key_file": tls.key_file, "s3.ca_file": settings.s3.ca_file,
             "clickhouse.ca_file": settings.clickhouse.ca_file}
    for key, path in files.items():
        if not path:
            continue
        try:
            with open(path, "rb") as handle:
                handle.read(1)
        except OSError as exc:
            raise ConfigError(f"invalid setting {key} (environment {env_name(key)}): cannot read {path}: "
                              f"{exc.strerror or exc}") from None


def _check_retention(settings: Settings) -> None:
    try:
        settings.retention.check()
    except PolicyError as exc:
        key = f"retention.{exc.key}"
        raise ConfigError(f"invalid setting {key} (environment {env_name(key)}): {exc.message}") from None
    # De-identification rewrites whole days; a day must be closed to intake before it is rewritten.
    if settings.retention.events_deidentify_days < settings.limits.max_event_age_days:
        key = "retention.events_deidentify_days"
        raise ConfigError(f"invalid setting {key} (environment {env_name(key)}): "
                          f"{settings.retention.events_deidentify_days} must be at least limits.max_event_age_days "
                          f"({settings.limits.max_event_age_days}): older events are still accepted")


def load_settings(
    config_file: str | os.PathLike[str] | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Build the settings from the optional TOML file and the environment; raise ConfigError naming the key."""
    raw: dict[str, Any] = {}
    if config_file is not None:
        try:
            raw = tomllib.loads(Path(config_file).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read config file {config_file}: {exc}") from exc
    _merge_env(raw, os.environ if environ is None else environ)
    try:
        settings = msgspec.convert(raw, Settings, strict=False)
    except msgspec.ValidationError as exc:
        raise _explain(exc) from None
    _check(settings)
    return settings
