"""Typed keys for what the app holds; no module globals."""

from __future__ import annotations

from aiohttp import web

from ingest.inserter import GroupInserter
from ingest.metrics import Metrics
from ingest.settings import Settings
from redact import Redactor
from storage.executor import AsyncStore

SETTINGS = web.AppKey("settings", Settings)
METRICS = web.AppKey("metrics", Metrics)
REDACTOR = web.AppKey("redactor", Redactor)
STORE = web.AppKey("store", AsyncStore)
INSERTER = web.AppKey("inserter", GroupInserter)
