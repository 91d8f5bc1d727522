"""Admin HTTP API: crash triage under /v1/admin/, behind a bearer token; absent when no token is set."""

from ingest.admin.routes import setup_admin

__all__ = ["setup_admin"]
