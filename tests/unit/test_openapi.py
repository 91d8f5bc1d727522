"""schemas/openapi.yaml is what ingest/openapi.py builds, and it describes exactly the routes the app registers."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from ingest.app import create_app
from ingest.openapi import build

SPEC_FILE = Path(__file__).parents[2] / "schemas" / "openapi.yaml"


def test_the_shipped_file_is_current() -> None:
    assert yaml.safe_load(SPEC_FILE.read_text()) == build(), "run: python -m ingest.openapi > schemas/openapi.yaml"


def _normalise(path: str) -> str | None:
    """Aliases the SDKs need are one operation each: without the trailing slash, and under a DSN path prefix."""
    if path.startswith("/{prefix}"):
        return None
    path = re.sub(r"\{(\w+):[^}]*\}", r"{\1}", path)
    return path.rstrip("/") or "/"


def test_every_route_is_described_and_every_description_is_a_route(make_settings: Any) -> None:
    app = create_app(make_settings(CONSENTRY_ADMIN_TOKEN="t" * 40))  # admin routes exist only with a token
    routes = [(route.method.lower(), _normalise(route.resource.canonical))
              for route in app.router.routes() if route.method != "HEAD" and route.resource is not None]
    registered = {(method, path) for method, path in routes if path is not None}
    described = {(method, _normalise(path)) for path, item in build()["paths"].items() for method in item}
    assert registered == described
