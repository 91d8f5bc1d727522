"""CLI side of the control socket: talk to a running collector, or report that none is there."""

from __future__ import annotations

import http.client
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec

TIMEOUT_S = 300.0  # long analytics queries are legitimate


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: Path, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(str(self._path))
        except OSError:
            sock.close()
            raise
        self.sock = sock


class ControlError(Exception):
    """The running collector refused the call; the message is its explanation."""


def stream(path: Path, route: str, payload: dict[str, Any]) -> Iterator[dict[str, Any]] | None:
    """POST to the control socket and yield the JSON lines of a streamed answer; None when no collector listens."""
    connection = _UnixConnection(path, TIMEOUT_S)
    try:
        connection.request("POST", route, body=msgspec.json.encode(payload),
                           headers={"Content-Type": "application/json"})
    except (FileNotFoundError, ConnectionRefusedError):
        connection.close()
        return None
    response = connection.getresponse()
    if response.status != 200:
        body = msgspec.json.decode(response.read())
        connection.close()
        raise ControlError(body.get("error", {}).get("message", f"control call failed with {response.status}"))
    return _lines(connection, response)


def _lines(connection: http.client.HTTPConnection, response: http.client.HTTPResponse) -> Iterator[dict[str, Any]]:
    try:
        while line := response.readline():
            yield msgspec.json.decode(line)
    finally:
        connection.close()


def call(path: Path, route: str, payload: dict[str, Any]) -> dict[str, Any] | None:
    """POST to the collector's control socket; None when no collector listens there."""
    connection = _UnixConnection(path, TIMEOUT_S)
    try:
        connection.request("POST", route, body=msgspec.json.encode(payload),
                           headers={"Content-Type": "application/json"})
    except (FileNotFoundError, ConnectionRefusedError):
        return None  # no socket, or a stale one left by a killed process
    try:
        response = connection.getresponse()
        body = msgspec.json.decode(response.read(), type=dict[str, Any])
    finally:
        connection.close()
    if response.status != 200:
        raise ControlError(body.get("error", {}).get("message", f"control call failed with {response.status}"))
    return body
