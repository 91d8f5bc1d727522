"""Typed keys for what the app holds; no module globals."""

from __future__ import annotations

from aiohttp import web

from ingest.durable.service import WriterService
from ingest.metrics import Metrics
from ingest.settings import Settings
from ingest.stages.pipeline import Intake

SETTINGS = web.AppKey("settings", Settings)
METRICS = web.AppKey("metrics", Metrics)
INTAKE = web.AppKey("intake", Intake)  # what every front door hands the pipeline
WRITER_SERVICE = web.AppKey("writer_service", WriterService)
