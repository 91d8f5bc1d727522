"""Open the configured stores, ClickHouse and the object store: the one place settings meet storage."""

from __future__ import annotations

from urllib.parse import urlsplit

from ingest.settings import ConfigError, Settings, env_name
from storage.clickhouse.client import ClickHouseStore, open_client
from storage.objects import ObjectStore, S3ObjectStore, open_object_store

SETTING = "object_store.url"


def open_objects(settings: Settings) -> ObjectStore:
    """`s3://BUCKET` takes endpoint and credentials from the [s3] settings; other forms are self-contained."""
    url = settings.object_store.url
    parts = urlsplit(url)
    try:
        if parts.scheme == "s3" and not parts.username:
            s3 = settings.s3
            if not s3.endpoint:
                raise ConfigError(f"{SETTING} is {url!r}: set s3.endpoint ({env_name('s3.endpoint')}) too")
            return S3ObjectStore(s3.endpoint, s3.access_key, s3.secret_key, parts.netloc, region=s3.region,
                                 sse=s3.sse, create_bucket=s3.create_bucket, setting=SETTING,
                                 ca_file=s3.ca_file, staging_dir=str(settings.data_path))
        return open_object_store(url, settings.data_path, setting=SETTING)
    except ValueError as exc:
        raise ConfigError(f"invalid setting {exc}") from None


def open_clickhouse(settings: Settings) -> ClickHouseStore:
    """The configured engine: embedded chDB under the data dir, or the server clickhouse.url names."""
    house = settings.clickhouse
    return ClickHouseStore(open_client(house.url, settings.data_path, house.ca_file), house.database, house.cluster)


def embedded(settings: Settings) -> bool:
    """chDB in-process: one process owns the engine, so commands ask the running collector first."""
    return not settings.clickhouse.url or settings.clickhouse.url.startswith("chdb:")
