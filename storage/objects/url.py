"""The object-store URL: parsed in one function, turned into a store in another."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from storage.objects.base import DEFAULT_SETTING, ObjectStore
from storage.objects.local import LocalObjectStore
from storage.objects.s3 import S3ObjectStore

URL_FORMS = "empty (a directory under the data dir), file:///abs/path, or s3://ACCESS:SECRET@host:port/bucket?..."
S3_OPTIONS = {"secure": "true", "region": "us-east-1", "sse": "s3", "create_bucket": "false"}
_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}


@dataclasses.dataclass(frozen=True)
class S3Target:
    endpoint: str
    access_key: str
    secret_key: str = dataclasses.field(repr=False)
    bucket: str
    region: str
    sse: str
    create_bucket: bool


def parse_object_url(url: str, data_dir: Path, *, setting: str = DEFAULT_SETTING) -> Path | S3Target:
    """Where the objects go: a directory, or an S3 bucket. Errors name ``setting`` and never echo the secret.

    ``s3://ACCESS:SECRET@host[:port]/bucket?secure=true&region=us-east-1&sse=s3&create_bucket=false``
    (those are the defaults). ACCESS and SECRET are percent-encoded; ``secure=false`` speaks plain http;
    ``sse`` is ``none``, ``s3`` or ``kms:<key-id>``; ``create_bucket=true`` lets start-up create the bucket.
    """
    if not url:
        return data_dir / "objects"
    parts = urlsplit(url)
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost") or not parts.path.startswith("/") or parts.query:
            raise ValueError(f"{setting}: a file URL needs an absolute path and nothing else: file:///abs/path")
        return Path(unquote(parts.path))
    if parts.scheme != "s3":
        raise ValueError(f"{setting}: unsupported scheme {parts.scheme!r}; expected {URL_FORMS}")
    options = dict(parse_qsl(parts.query, keep_blank_values=True))
    if unknown := sorted(set(options) - set(S3_OPTIONS)):
        raise ValueError(f"{setting}: unknown option(s) {', '.join(unknown)}; known: {', '.join(S3_OPTIONS)}")
    options = S3_OPTIONS | options
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        raise ValueError(f"{setting}: the port must be a number from 1 to 65535") from None
    bucket = parts.path.removeprefix("/")
    if not host or not parts.username or not parts.password or not bucket or "/" in bucket:
        raise ValueError(f"{setting}: expected s3://ACCESS:SECRET@host:port/bucket (one bucket, no path)")
    netloc = (f"[{host}]" if ":" in host else host) + (f":{port}" if port else "")
    return S3Target(endpoint=f"{'https' if _flag(options, 'secure', setting) else 'http'}://{netloc}",
                    access_key=unquote(parts.username), secret_key=unquote(parts.password), bucket=bucket,
                    region=options["region"], sse=options["sse"],
                    create_bucket=_flag(options, "create_bucket", setting))


def open_object_store(url: str, data_dir: Path, *, setting: str = DEFAULT_SETTING) -> ObjectStore:
    """The store ``url`` names (see parse_object_url); nothing is contacted until ``check()`` or a call."""
    target = parse_object_url(url, data_dir, setting=setting)
    if isinstance(target, Path):
        return LocalObjectStore(target, setting=setting)
    # Staged uploads (stage()) wait in the data dir, as the spool does, not in a /tmp that may be memory.
    return S3ObjectStore(**dataclasses.asdict(target), setting=setting, staging_dir=str(data_dir))


def _flag(options: dict[str, str], name: str, setting: str) -> bool:
    try:
        return _BOOLEANS[options[name].lower()]
    except KeyError:
        raise ValueError(f"{setting}: {name} must be true or false, not {options[name]!r}") from None
