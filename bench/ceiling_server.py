"""Ceiling server: a POST /v1/events that only reads and decodes the body, then answers 202 (no storage)."""

from __future__ import annotations

import argparse
import gzip

import msgspec
import zstandard
from aiohttp import web

_MSGPACK = frozenset({"application/msgpack", "application/x-msgpack", "application/vnd.msgpack"})


def decode(body: bytes, content_type: str, encoding: str | None) -> object:
    """Undo Content-Encoding and parse JSON / MessagePack, as the collector's decode stage does."""
    name = (encoding or "identity").strip().lower()
    if name in ("gzip", "x-gzip"):
        body = gzip.decompress(body)
    elif name == "zstd":
        body = zstandard.ZstdDecompressor().decompressobj().decompress(body)
    if content_type in _MSGPACK:
        return msgspec.msgpack.decode(body)
    return msgspec.json.decode(body)


async def post_events(request: web.Request) -> web.Response:
    body = await request.read()
    try:
        doc = decode(body, request.content_type, request.headers.get("Content-Encoding"))
    except (msgspec.DecodeError, OSError, EOFError, zstandard.ZstdError):
        return web.json_response({"error": {"code": "malformed_body", "message": "cannot decode"}}, status=400)
    events = doc.get("events", []) if isinstance(doc, dict) else []
    accepted = len(events) if isinstance(events, list) else 0
    return web.Response(status=202, body=msgspec.json.encode({"accepted": accepted, "redactions": {}}),
                        content_type="application/json")


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def make_app() -> web.Application:
    app = web.Application(client_max_size=16 * 1024 * 1024, handler_args={"auto_decompress": False})
    app.router.add_post("/v1/events", post_events)
    app.router.add_get("/healthz", healthz)
    return app


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--host", default="127.0.0.1", choices=("127.0.0.1",), help="loopback only")
    p.add_argument("--port", type=int, default=8080)
    args = p.parse_args()
    web.run_app(make_app(), host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
