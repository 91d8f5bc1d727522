"""`consentry serve`: run the app on TCP until SIGTERM / SIGINT, then shut down in order."""

from __future__ import annotations

import asyncio
import logging
import signal

from aiohttp import web

from ingest import control_client
from ingest.app import create_app
from ingest.settings import ConfigError, Settings

log = logging.getLogger("consentry.serve")
SHUTDOWN_TIMEOUT_S = 30.0


def _refuse_second_collector(settings: Settings) -> None:
    try:
        answer = control_client.call(settings.control_socket, "/query", {"sql": "SELECT 1"})
    except control_client.ControlError:
        answer = {}
    if answer is not None:
        raise ConfigError(f"data_dir {settings.data_path} is already served by a running collector")


async def serve(settings: Settings) -> None:
    _refuse_second_collector(settings)
    app = create_app(settings)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT_S)
    await runner.setup()  # opens storage and migrates before anything listens
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        site = web.TCPSite(runner, settings.http.host, settings.http.port)
        await site.start()
        log.info("listening on http://%s:%s, data in %s", settings.http.host, settings.http.port, settings.data_path)
        await stop.wait()
        log.info("stopping: finishing in-flight requests and inserts")
    finally:
        await runner.cleanup()
