"""Client address behind trusted proxies: the rightmost untrusted hop, and nothing a client can forge."""

from __future__ import annotations

import ipaddress
from unittest import mock

import pytest
from aiohttp.test_utils import make_mocked_request
from multidict import CIMultiDict

from ingest.middleware import client_address
from ingest.settings import ConfigError, load_settings

TRUSTED = [ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("fd00::/8")]


def _request(peer: str, headers: list[tuple[str, str]]) -> object:
    transport = mock.Mock()
    transport.get_extra_info.side_effect = lambda name, default=None: (peer, 1234) if name == "peername" else default
    return make_mocked_request("POST", "/v1/events", headers=CIMultiDict(headers), transport=transport)


@pytest.mark.parametrize(("peer", "headers", "header", "client"), [
    ("203.0.113.5", [("X-Forwarded-For", "198.51.100.1")], "x-forwarded-for", "203.0.113.5"),  # untrusted peer
    ("10.1.2.3", [], "x-forwarded-for", "10.1.2.3"),  # a trusted peer with no header: itself
    ("10.1.2.3", [("X-Forwarded-For", "198.51.100.1")], "x-forwarded-for", "198.51.100.1"),
    ("10.1.2.3", [("X-Forwarded-For", "6.6.6.6, 198.51.100.1, 10.9.9.9")], "x-forwarded-for", "198.51.100.1"),
    ("10.1.2.3", [("X-Forwarded-For", "6.6.6.6"), ("X-Forwarded-For", "198.51.100.1")], "x-forwarded-for",
     "198.51.100.1"),  # several header lines are one list
    ("10.1.2.3", [("X-Forwarded-For", "198.51.100.1:5555")], "x-forwarded-for", "198.51.100.1"),
    ("10.1.2.3", [("X-Forwarded-For", "garbage, 10.9.9.9")], "x-forwarded-for", "10.9.9.9"),  # stops at garbage
    ("10.1.2.3", [("X-Forwarded-For", "10.5.5.5, 10.9.9.9")], "x-forwarded-for", "10.5.5.5"),  # all trusted
    ("10.1.2.3", [("Forwarded", "for=198.51.100.1")], "x-forwarded-for", "10.1.2.3"),  # not the configured header
    ("10.1.2.3", [("Forwarded", 'for=6.6.6.6, for="[2001:db8::7]:4711";proto=https')], "forwarded", "2001:db8::7"),
    ("10.1.2.3", [("Forwarded", "for=unknown")], "forwarded", "10.1.2.3"),
    ("fd00::1", [("X-Forwarded-For", "2001:db8::9")], "x-forwarded-for", "2001:db8::9"),
    ("::ffff:10.1.2.3", [("X-Forwarded-For", "198.51.100.1")], "x-forwarded-for", "198.51.100.1"),
])
def test_client_address(peer: str, headers: list[tuple[str, str]], header: str, client: str) -> None:
    assert client_address(_request(peer, headers), TRUSTED, header) == client  # type: ignore[arg-type]


def test_trusted_proxies_setting() -> None:
    settings = load_settings(environ={"CONSENTRY_HTTP_TRUSTED_PROXIES": "10.0.0.0/8, fd00::/8,192.168.1.1"})
    assert settings.http.trusted_proxies == ["10.0.0.0/8", "fd00::/8", "192.168.1.1"]
    assert load_settings(environ={}).http.trusted_proxies == []
    with pytest.raises(ConfigError, match="http.trusted_proxies.*CONSENTRY_HTTP_TRUSTED_PROXIES.*'10.0.0.0/33'"):
        load_settings(environ={"CONSENTRY_HTTP_TRUSTED_PROXIES": "10.0.0.0/33"})
