"""Deep tier: presidio with our recognizers, fully offline, NER when a model is installed, pattern-only when not."""

from __future__ import annotations

import socket
import threading

import pytest

from redact import Redactor
from redact import deep as deep_module

CRASH = ("User Jennifer Lawrence in Paris reported: could not sync C:\\Users\\jlaw\\Documents\\budget.xlsx "
         "to 10.2.3.4 (ConnectionResetError in httpx._client.send)")


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the redactor tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def test_deep_tier_runs_offline_and_keeps_triage_text(no_network):
    out = Redactor().redact_text(CRASH, tier="deep")
    assert "C:\\Users\\[user]\\Documents\\[file].xlsx" in out.value and "[ip]" in out.value
    assert "ConnectionResetError" in out.value and "httpx._client.send" in out.value
    assert {"path.user", "path.file", "ip.v4"} <= set(out.findings)


@pytest.mark.skipif(deep_module.installed_model() is None, reason="the optional nlp extra is not installed")
def test_ner_finds_people_and_places(no_network):
    r = Redactor()
    out = r.redact_text(CRASH, tier="deep")
    assert "Jennifer" not in out.value and "Paris" not in out.value
    # The fast tier's name list finds the person first; spaCy still finds the place.
    assert out.findings.get("name.pair", 0) + out.findings.get("ner.person", 0) == 1
    assert out.findings.get("ner.location") == 1
    assert r.ner_available


def test_pattern_only_without_a_model(monkeypatch, caplog, no_network):
    monkeypatch.setattr(deep_module, "installed_model", lambda: None)
    r = Redactor()
    out = r.redact_text("mail bob@corp.com, Jennifer Lawrence in Paris", tier="deep")
    assert out.value == "mail [email], [person] in Paris"  # names come from the list, places need the model
    assert out.findings == {"email": 1, "name.pair": 1}
    assert not r.ner_available
    assert "pattern-only" in caplog.text


def test_analyzer_is_built_once_per_redactor():
    r = Redactor()
    r.redact_text("a", tier="deep")
    first = r._deep.analyzer()
    r.redact_text("b", tier="deep")
    assert r._deep.analyzer() is first


def test_concurrent_first_calls_build_one_analyzer(monkeypatch):
    """The crash path's first requests arrive on several executor threads at once: one build, not one each."""
    builds = []
    real = deep_module.build_analyzer

    def counted(enabled):
        builds.append(threading.get_ident())
        return real(enabled)

    monkeypatch.setattr(deep_module, "build_analyzer", counted)
    r = Redactor()
    start = threading.Barrier(4)

    def first_call():
        start.wait()
        r.redact_text("Jennifer Lawrence called from Paris about the failed sync.", tier="deep")

    threads = [threading.Thread(target=first_call) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(builds) == 1


def test_deep_tier_on_values_and_pattern_recognizers_use_our_rules():
    r = Redactor()
    out = r.redact_value({"message": "card 4111 1111 1111 1111", "n": 1}, tier="deep")
    assert out.value == {"message": "card [card]", "n": 1}
    names = {rec.name for rec in r._deep.analyzer().registry.recognizers}
    assert "consentry:email" in names and "EmailRecognizer" not in names
