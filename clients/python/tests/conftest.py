"""Fixtures for the client's tests. The folder is self-contained: its helpers are in client_support.py, next to
this file, and need nothing from the repository's tests/."""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from client_support import Collector, new_collector  # noqa: E402


@pytest.fixture(scope="session")
def collector() -> Iterator[Collector]:
    """One collector shared by the tests that do not stop it."""
    served = new_collector()
    served.start()
    try:
        yield served
    finally:
        served.stop()
        shutil.rmtree(served.data_dir, ignore_errors=True)


@pytest.fixture
def own_collector() -> Iterator[Collector]:
    """A collector the test starts, stops and reconfigures itself."""
    served = new_collector()
    try:
        yield served
    finally:
        served.stop()
        shutil.rmtree(served.data_dir, ignore_errors=True)


@pytest.fixture
def app_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="cc-app-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)
