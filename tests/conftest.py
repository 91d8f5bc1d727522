"""Shared fixtures: one real chDB engine per test process, a fresh database and data dir per test."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from admin_support import TOKEN
from aiohttp.test_utils import TestClient, TestServer

from ingest.app import create_app
from ingest.settings import Settings, load_settings
from storage.clickhouse.client import ClickHouseStore, open_client
from storage.clickhouse.migrate import migrate
from storage.objects import ObjectStore, open_object_store


@pytest.fixture(scope="session")
def chdb_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """chDB hosts one engine per process: every test shares this path and gets its own database."""
    return tmp_path_factory.mktemp("chdb")


@pytest.fixture
def data_dir() -> Iterator[Path]:
    # Short path on purpose: the control socket lives here and Unix socket paths are limited to ~100 bytes.
    path = Path(tempfile.mkdtemp(prefix="cs-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def make_settings(chdb_path: Path, data_dir: Path) -> Iterator[Any]:
    database = f"t_{uuid.uuid4().hex[:12]}"

    def build(**env: str) -> Settings:
        base = {"CONSENTRY_DATA_DIR": str(data_dir), "CONSENTRY_CLICKHOUSE_URL": f"chdb://{chdb_path}",
                "CONSENTRY_CLICKHOUSE_DATABASE": database}
        return load_settings(environ=base | env)

    yield build
    # The engine is shared by the whole session: a database left behind keeps its parts merging and its
    # memory held for every later test.
    client = open_client(f"chdb://{chdb_path}", data_dir)
    client.command(f"DROP DATABASE IF EXISTS {database} SYNC")


@pytest.fixture
def settings(make_settings: Any) -> Settings:
    return make_settings()


@pytest.fixture
def store(settings: Settings) -> Iterator[ClickHouseStore]:
    """A direct handle on the test's database, for asserting what was (not) stored."""
    client = open_client(settings.clickhouse.url, settings.data_path)
    handle = ClickHouseStore(client, settings.clickhouse.database)
    yield handle
    handle.close()


@pytest.fixture
def db(store: ClickHouseStore) -> ClickHouseStore:
    """The test's database, migrated: for tests that write straight to storage, past the collector."""
    migrate(store)
    return store


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[TestClient]:
    """The real app on a real aiohttp server on 127.0.0.1."""
    async with TestClient(TestServer(create_app(settings), host="127.0.0.1")) as test_client:
        yield test_client


@pytest.fixture
async def admin(make_settings: Any) -> AsyncIterator[TestClient]:
    """The real app with the admin API (and /admin/ page) on, token admin_support.TOKEN."""
    settings = make_settings(CONSENTRY_ADMIN_TOKEN=TOKEN)
    async with TestClient(TestServer(create_app(settings), host="127.0.0.1")) as admin_client:
        yield admin_client


pytest_plugins = ["s3server"]


@pytest.fixture(params=["local", "s3"])
async def app_on_each_store(request: pytest.FixtureRequest,
                            make_settings: Any) -> AsyncIterator[tuple[TestClient, Settings]]:
    """The app on the local object store, then on a real S3 server (SeaweedFS) with a fresh bucket."""
    env: dict[str, str] = {}
    if request.param == "s3":
        server = request.getfixturevalue("s3_server")
        bucket = request.getfixturevalue("s3_bucket")
        env = {"CONSENTRY_OBJECT_STORE_URL": f"s3://{bucket}", "CONSENTRY_S3_ENDPOINT": server.endpoint,
               "CONSENTRY_S3_ACCESS_KEY": server.access_key, "CONSENTRY_S3_SECRET_KEY": server.secret_key}
    settings = make_settings(**env)
    async with TestClient(TestServer(create_app(settings), host="127.0.0.1")) as client:
        yield client, settings


@pytest.fixture(params=["local", "s3"])
def object_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ObjectStore]:
    """Both stores, opened from their URLs the way the collector opens them."""
    if request.param == "local":
        url = f"file://{tmp_path / 'objects'}"
    else:
        server = request.getfixturevalue("s3_server")
        url = server.url(request.getfixturevalue("s3_bucket"))
    with open_object_store(url, tmp_path) as store:
        store.check()
        yield store
