"""Typed keys for what the app holds; no module globals."""

from __future__ import annotations

from aiohttp import web

from ingest.consent.blocklist import Blocklist
from ingest.consent.registry import ConsentRegistry
from ingest.durable.service import WriterService
from ingest.durable.spool import SpoolAppender
from ingest.metrics import Metrics
from ingest.ratelimit import RateLimiter
from ingest.settings import Settings
from redact import Redactor
from storage.objects import ObjectStore

SETTINGS = web.AppKey("settings", Settings)
METRICS = web.AppKey("metrics", Metrics)
REDACTOR = web.AppKey("redactor", Redactor)
SPOOL = web.AppKey("spool", SpoolAppender)
CLIENT_LIMITER = web.AppKey("client_limiter", RateLimiter)
INSTALL_LIMITER = web.AppKey("install_limiter", RateLimiter)
WRITER_SERVICE = web.AppKey("writer_service", WriterService)
OBJECTS = web.AppKey("objects", ObjectStore)
BLOCKLIST = web.AppKey("blocklist", Blocklist)
CONSENT_REGISTRY = web.AppKey("consent_registry", ConsentRegistry)
