"""Typed settings: defaults, an optional TOML file, then CONSENTRY_* environment overrides."""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import msgspec

from storage.clickhouse.migrate import CLUSTER_PATTERN
from storage.jobs.policy import PolicyError, RetentionPolicy

ENV_PREFIX = "CONSENTRY_"
Port = Annotated[int, msgspec.Meta(ge=0, le=65535)]
Positive = Annotated[int, msgspec.Meta(ge=1)]
NonNegative = Annotated[int, msgspec.Meta(ge=0)]
Identifier = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")]


class ConfigError(Exception):
    """A configuration value is missing or wrong; the message names the key."""


def doc(text: str) -> msgspec.Meta:
    """A setting's documentation, kept at its declaration: `python -m ingest.docgen` renders every one of them
    into docs/reference/settings.md (with its key, type, default and environment name)."""
    return msgspec.Meta(description=text)


class HttpSettings(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """Where the collector listens."""

    host: Annotated[str, doc("listen address")] = "127.0.0.1"
    port: Annotated[Port, doc("listen port")] = 8080
    workers: Annotated[NonNegative, doc(
        "collector worker processes; 0 = one per CPU. `serve --workers N` overrides it, and `serve --workers 0` runs "
        "one process doing everything")] = 0
    trusted_proxies: Annotated[list[str], doc(
        "CIDRs of the proxies in front of the collector (the ingress controller, a load balancer), e.g. "
        "`10.0.0.0/8`; comma-separated in the environment. Only when the direct peer is in one of them is the "
        "client address taken from `http.forwarded_header`: its rightmost hop outside these ranges. Empty: the "
        "direct peer is the client and both headers are ignored. The client address keys the per-client rate "
        "limit only: it is never stored or logged")] = msgspec.field(default_factory=list)
    read_timeout_s: Annotated[float, msgspec.Meta(gt=0), doc(
        "how long a client has to send its request line and headers (from connecting, or from its previous "
        "answer on a kept-alive connection; also how long an idle kept-alive connection stays open: a proxy's "
        "upstream keep-alive timeout should be shorter), and its whole body (from the headers); past it the "
        "connection is closed, or the body refused with 408 `request_timeout`. Raise it for large crash uploads "
        "over slow links")] = 30.0
    max_concurrent_uploads: Annotated[Positive, doc(
        "request bodies one worker process reads at once; one more is refused at once with 503 `uploads_busy` "
        "(with `http.read_timeout_s`, a client that trickles bodies holds few sockets, each for a bounded "
        "time)")] = 256
    forwarded_header: Annotated[Literal["x-forwarded-for", "forwarded"], doc(
        "the one header the trusted proxies append the client address to: `x-forwarded-for` (ingress-nginx and "
        "most load balancers) or `forwarded` (RFC 7239 `for=`). The other header is ignored, since a client could "
        "have sent it")] = "x-forwarded-for"


class ClickHouseSettings(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """The ClickHouse engine: embedded chDB by default, any ClickHouse server by URL."""

    url: Annotated[str, doc(
        "empty: embedded chDB in `<data_dir>/clickhouse`; `chdb:///abs/path` for another engine path; "
        "`http(s)://user:pass@host:8123` for a server (over `https://` its certificate is verified)")] = ""
    database: Annotated[Identifier, doc("database holding every table")] = "consentry"
    ca_file: Annotated[str, doc(
        "PEM CA bundle verifying an `https://` ClickHouse server (empty: the system / certifi bundle); must be "
        "readable at start-up")] = ""
    cluster: Annotated[str, msgspec.Meta(pattern=CLUSTER_PATTERN), doc(
        "empty: one server (or embedded chDB). Otherwise the ClickHouse cluster migrated with `schemas/cluster/`: "
        "`migrate`, `serve` and `jobs run` apply those files, and the jobs mutate the `<table>_local` tables "
        "`ON CLUSTER` this name instead of the Distributed ones; needs an `http(s)://` `clickhouse.url`")] = ""


class LimitSettings(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """Caps on event intake (`POST /v1/events` and the PostHog batches)."""

    max_body_bytes: Annotated[Positive, doc("request body as sent on the wire (compressed or not)")] = 1 << 20
    max_decompressed_bytes: Annotated[Positive, doc(
        "body after undoing `Content-Encoding`; enforced while decompressing (gzip bombs stop here)")] = 10 << 20
    max_events_per_batch: Annotated[Positive, doc("events per request")] = 1000
    max_props_per_event: Annotated[Positive, doc("props per event")] = 64
    max_string_length: Annotated[Positive, doc("characters per prop value and context string")] = 1024
    max_event_age_days: Annotated[Positive, doc("event timestamps older than this are refused")] = 30
    max_clock_skew_seconds: Annotated[NonNegative, doc(
        "how far in the future an event timestamp may be")] = 86_400


class ObjectStoreSettings(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """Where minidumps and attachments go."""

    url: Annotated[str, doc(
        "empty: the directory `<data_dir>/objects`; `file:///abs/path`; `s3://BUCKET` with the `s3.*` settings; "
        "or self-contained, `s3://ACCESS:SECRET@host:port/bucket?secure=true&region=us-east-1&sse=s3"
        "&create_bucket=false`")] = ""


class S3Settings(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """The S3 API behind an `object_store.url` of `s3://BUCKET`."""

    endpoint: Annotated[str, doc("`http(s)://host:port` of the S3 API")] = ""
    access_key: Annotated[str, doc("S3 access key")] = ""
    secret_key: Annotated[str, doc("S3 secret key (never logged or echoed)")] = ""
    region: Annotated[str, doc("S3 region")] = "us-east-1"
    sse: Annotated[str, doc(
        "server-side encryption of stored objects: `s3` (SSE-S3), `kms:<key-id>` or `none`; start-up fails when "
        "the server ignores the one asked for")] = "s3"
    create_bucket: Annotated[bool, doc("create the bucket at start-up when it is missing")] = True
    ca_file: Annotated[str, doc(
        "PEM CA bundle verifying an `https://` endpoint (a private CA; empty: `$SSL_CERT_FILE` or certifi's "
        "bundle); must be readable at start-up")] = ""


class TlsSettings(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """HTTPS on the collector. Both files set: HTTPS only, TLS 1.2 or newer. Both empty: plain HTTP (e.g. behind a
    proxy). Only one set is a configuration error."""

    cert_file: Annotated[str, doc("PEM certificate chain, leaf first (empty: plain HTTP)")] = ""
    key_file: Annotated[str, doc("PEM private key of `tls.cert_file` (may be the same file)")] = ""


class CrashLimitSettings(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """Caps on crash uploads (native, Crashpad, Sentry envelopes)."""

    max_upload_bytes: Annotated[Positive, doc(
        "a whole crash upload (the multipart body or envelope), as sent and again after decompression")] = 64 << 20
    max_report_bytes: Annotated[Positive, doc(
        "the JSON `report` part (a Sentry event or transaction item)")] = 1 << 20
    max_minidump_bytes: Annotated[Positive, doc("the minidump part")] = 50 << 20
    max_attachments: Annotated[NonNegative, doc("text attachments per report")] = 4
    max_attachment_bytes: Annotated[Positive, doc("each attachment")] = 256 << 10
    max_frames: Annotated[Positive, doc("frames per thread")] = 256
    max_threads: Annotated[Positive, doc("threads per report")] = 64
    max_breadcrumbs: Annotated[NonNegative, doc("breadcrumbs per report")] = 100
    max_message_length: Annotated[Positive, doc("characters of the exception message")] = 8192
    deep_chars_per_request: Annotated[Positive, doc(
        "characters of free text (exception messages, extra values, text attachments) one request may give the "
        "deep redaction tier (NER); past it a value gets the fast tier only, counted in "
        "`consentry_deep_tier_skipped_total`. Bounds the CPU one request (a PostHog batch of `$exception` events) "
        "can cost")] = 256 << 10


class AdminSettings(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """The admin API (`/v1/admin/*`) and the admin page (`/admin/`)."""

    token: Annotated[str, doc(
        "bearer token for `/v1/admin/*` and the admin page; empty: the admin routes do not exist (404), never "
        "open")] = ""


class PrivacySettings(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """Keyed hashes of install ids, and deletion requests."""

    hash_key: Annotated[str, msgspec.Meta(pattern=r"^([0-9a-fA-F]{64})?$"), doc(
        "64 hex digits: the HMAC key of the install-id hashes that audit records, the consent registry and the "
        "block list keep instead of ids. Empty: a random key generated once in `<data_dir>/install-hash.key`. "
        "Keep it stable (and the same on every pod and job), or old hashes stop matching")] = ""
    deletion_grace_days: Annotated[NonNegative, doc(
        "after a deletion request, events and crashes of that install are refused (403 `consent_withdrawn`) this "
        "long")] = 30
    deletion_sla_hours: Annotated[int, msgspec.Meta(ge=1, le=720), doc(
        "promised completion time of a deletion request (1 to 720, i.e. at most 30 days); "
        "`consentry_deletion_sla_seconds` exports it for alerts")] = 24


class SpoolSettings(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """The durable spool between the workers and the writer."""

    max_bytes: Annotated[Positive, doc(
        "spool backlog cap; above it intake answers 503 `spool_full` and `/readyz` is unready")] = 1 << 30
    min_free_disk_bytes: Annotated[NonNegative, doc(
        "the same when the spool disk has less free space than this")] = 256 << 20
    segment_bytes: Annotated[Positive, doc(
        "a worker starts a new segment file after this many bytes")] = 16 << 20


class WriterSettings(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """The writer process: the only one that inserts into ClickHouse."""

    max_rows: Annotated[Positive, doc("rows per ClickHouse insert")] = 100_000
    poll_ms: Annotated[Positive, doc("how often an idle writer looks for new spool records")] = 20
    linger_ms: Annotated[NonNegative, doc(
        "pause after an insert smaller than `writer.max_rows`, so the next one is larger: each insert has a fixed "
        "cost (a part per table, their merges), so fewer, larger inserts cost ClickHouse less per event (at "
        "~17,000 events/s, 500 → 2,000 ms: 32k → 67k rows per insert, the writer 10.5 → 7 µs per event); "
        "events become queryable up to this much later, except through a read barrier (`consentry query`, "
        "reports), which does not wait")] = 2000
    backoff_max_ms: Annotated[Positive, doc(
        "ceiling of the exponential retry delay while storage fails")] = 30_000
    shutdown_deadline_s: Annotated[Positive, doc(
        "time to drain the spool on SIGTERM; the rest is written at the next start")] = 20


class RateLimitSettings(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """Token buckets, per worker process (with N workers a client can reach N times the rate): they protect the
    collector, they are not a quota. 0 requests per second disables a limit."""

    per_install_rps: Annotated[float, msgspec.Meta(ge=0), doc(
        "requests per second per install id (0 = off)")] = 20.0
    per_install_burst: Annotated[Positive, doc("bucket size per install id")] = 100
    per_client_rps: Annotated[float, msgspec.Meta(ge=0), doc(
        "requests per second per client address (0 = off)")] = 2000.0
    per_client_burst: Annotated[Positive, doc("bucket size per client address")] = 10_000
    # Each deletion request costs the writer a registration and a share of a deletion batch, and needs no
    # credentials (issue 18, item 11): its own, tighter limit on top of the one above.
    deletion_per_client_rps: Annotated[float, msgspec.Meta(ge=0), doc(
        "POST /v1/deletion-requests per second per client address, on top of per_client_rps (0 = off)")] = 1.0
    deletion_per_client_burst: Annotated[Positive, doc("bucket size of the deletion-request limit")] = 20


class JobSettings(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """The retention and deletion jobs: the in-process scheduler and the ClickHouse job lock."""

    schedule: Annotated[bool, doc(
        "run every job inside `serve` (in the writer process); `false` when CronJobs run them")] = True
    interval_minutes: Annotated[Positive, doc(
        "between scheduled runs; the first one starts a minute after start-up")] = 60
    lock_ttl_s: Annotated[Positive, doc(
        "a job lock nobody renews (its runner died) expires after this")] = 900
    lock_settle_ms: Annotated[NonNegative, doc(
        "claim, wait this long, read back; must exceed how long a claim takes to reach every replica")] = 500


class LogSettings(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """What the collector and the CLI log, on standard error. No line ever carries a removed value, an install id,
    a client address or a token."""

    format: Annotated[Literal["text", "json"], doc(
        "`text`: one readable line per record; `json`: one JSON object per line with `time`, `level`, `logger`, "
        "`message` and the record's structured fields (for a log pipeline)")] = "text"
    level: Annotated[Literal["debug", "info", "warning", "error"], doc(
        "the collector's own loggers (`consentry.*`); libraries (aiohttp, clickhouse-connect, presidio, spaCy) "
        "stay at `warning` whatever this says")] = "info"


PropKey = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_.]{0,63}$")]  # the prop-key pattern intake enforces
# Settings whose environment value is a comma-separated list.
_LIST_SETTINGS = frozenset({"reports.breakdown_props", "http.trusted_proxies"})
# Settings whose environment value is a JSON document.
_JSON_SETTINGS = frozenset({"ingest_keys"})


class ReportSettings(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """The k-anonymous reports (`consentry report`, `/v1/admin/reports/*`)."""

    breakdown_props: Annotated[list[PropKey], doc(
        "string props declared low-cardinality: the only ones reports break down by (rolled up per value from "
        "when a key is added; comma-separated in the environment)")] = msgspec.field(
        default_factory=lambda: ["mode", "theme", "locale"])
    min_installs: Annotated[int, msgspec.Meta(ge=2), doc(
        "k-anonymity: a report cell backed by fewer distinct installs is suppressed (at least 2: 1 would "
        "suppress nothing)")] = 5
    trailing_refresh_s: Annotated[Positive, doc(
        "how often the writer recomputes the trailing-window active rollup for the days that got events. Every "
        "read barrier (a report, `consentry query`) refreshes yesterday and today first, so only older days "
        "touched by late events lag, by up to this much (30 days take 3.3 s at 200,000 installs, two days 0.4 s: "
        "`bench/reports_bench.py`)")] = 300


ConsentScope = Literal["telemetry", "crash_report"]


class IngestKey(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """An SDK credential (Sentry DSN public key, PostHog project api_key) and the consent policy it carries."""

    app: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"), doc(
        "the app its data is stored under (context `app`)")]
    scopes: Annotated[list[ConsentScope], doc(
        "what data this key may carry at all: `telemetry`, `crash_report`")]
    require_marker: Annotated[bool, doc(
        "each event must also carry a consent marker granting its scope (Sentry `tags.consent` / "
        "`contexts.consent`, PostHog `$consent`)")] = False
    revoked: Annotated[bool, doc(
        "refused like an unknown key (401 `unknown_ingest_key`) but kept documented in the config")] = False
    transactions: Annotated[Literal["events", "drop"], doc(
        "Sentry performance transactions: stored as `sentry.transaction` events, or dropped")] = "events"


class Settings(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """Every setting. A leaf at the top level has no section; every other section is one of the structs above."""

    data_dir: Annotated[str, doc(
        "embedded ClickHouse data, the object directory, the spool, the control socket and the published "
        "consent and deletion files")] = "./data"
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
    log: LogSettings = LogSettings()
    ingest_keys: Annotated[dict[str, IngestKey], doc(
        "SDK keys for the Sentry and PostHog endpoints (a Sentry DSN public key, a PostHog `api_key`), keyed by "
        "the key itself, each with its consent policy (the fields below). Empty: those endpoints refuse "
        "everything. In TOML a table per key (`[ingest_keys.phc_abc] app = \"editor\"`), in the environment one "
        "JSON object")] = {}

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
    _check_proxies(settings)


def _check_proxies(settings: Settings) -> None:
    for cidr in settings.http.trusted_proxies:
        try:
            ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            key = "http.trusted_proxies"
            raise ConfigError(f"invalid setting {key} (environment {env_name(key)}): {cidr!r} is not an address "
                              "or CIDR (e.g. 10.0.0.0/8, fd00::/8)") from None


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
