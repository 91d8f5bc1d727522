"""Deep tier: spaCy NER over the fast tier's output, fully offline, names checked against the lists; without a
model the deep tier is the fast tier."""

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


NEEDS_MODEL = pytest.mark.skipif(deep_module.installed_model() is None,
                                 reason="the optional nlp extra is not installed")


@NEEDS_MODEL
def test_ner_finds_people_the_name_list_confirms(no_network):
    r = Redactor()
    out = r.redact_text(CRASH, tier="deep")
    assert "Jennifer" not in out.value
    # The fast tier's name list finds the person first; a city alone is no personal datum and stays.
    assert out.findings.get("name.pair", 0) + out.findings.get("ner.person", 0) == 1
    assert "in Paris reported" in out.value and "ner.location" not in out.findings
    assert r.ner_available
    # Names no cue or known pair gives away: a lone name signing a mail, a name with a two-letter part.
    signed = r.redact_text("tkx, Peter\n\nFrom: GitHub <notifications@github.com>", tier="deep")
    assert signed.value.startswith("tkx, [person]\n") and signed.findings.get("ner.person") == 1
    account = r.redact_text("info: [ui] [AppStore] found account: kjh0415 (Kim Ji Hoon)", tier="deep")
    assert "Kim Ji Hoon" not in account.value and "Ji" not in account.value


@NEEDS_MODEL
@pytest.mark.parametrize("text", [
    "OS version: Darwin x64 21.6.0",                       # a kernel with its version, though Darwin is a name
    "Login Succeeded",                                     # words the model calls a person
    "go: github.com/spf13/pflag@v1.0.5/go.mod: verifying module: checksum mismatch",
    "2024-01-01 10:00:00 RAS KERNEL INFO Kernel started",
    "Thread 0 Crashed:: Dispatch queue: com.apple.main-thread",
    "remote: Invalid username or token. Password authentication is not supported for Git operations.",
    "dvbstream v0.7.01 - (C) Dave Chapman 2001-2004",        # a copyright notice
    "Starting FarmApplication v3.0.7 using Java 21.0.5 with PID 4127",
    "A Tokio 1.x context was found, but it is being shutdown.",
    "seems to default to the center of Durham",             # a place alone
    "$ uname -s\nDarwin\n$ sw_vers",                        # a lone name-like word that no one signs with
    "git push --set-upstream origin woot\nremote: Invalid username or token.",
])
def test_deep_tier_keeps_what_the_model_takes_for_names(text, no_network):
    assert Redactor().redact_text(text, tier="deep").value == text


@NEEDS_MODEL
def test_a_place_goes_only_with_the_address_it_completes(no_network):
    out = Redactor().redact_text("Ship to 42 Wallaby Way, Sydney before Friday", tier="deep")
    assert out.value == "Ship to [location], [location] before Friday"
    assert out.findings == {"location.address": 1, "ner.location": 1}


def test_deep_tier_is_the_fast_tier_where_the_model_finds_nothing(no_network):
    """No pattern runs twice: the fast tier's context (a code host's git user, a public path) stands."""
    r = Redactor()
    for text in ("git clone git@github.com:acme/widgets.git failed", CRASH,
                 "ENOENT: no such file or directory, scandir '/Projects/Kestrel_Ad/shots'"):
        assert r.redact_text(text, tier="deep").value == r.redact_text(text).value.replace("Jennifer Lawrence",
                                                                                          "[person]")


def test_fast_tier_only_without_a_model(monkeypatch, caplog, no_network):
    monkeypatch.setattr(deep_module, "installed_model", lambda: None)
    r = Redactor()
    out = r.redact_text("mail bob@corp.com, Jennifer Lawrence in Paris", tier="deep")
    assert out.value == "mail [email], [person] in Paris"  # names come from the list, places need the model
    assert out.findings == {"email": 1, "name.pair": 1}
    assert not r.ner_available
    assert "no spaCy model installed" in caplog.text


def test_model_is_loaded_once_per_redactor():
    r = Redactor()
    r.redact_text("a b", tier="deep")
    first = r._deep.model()
    r.redact_text("b c", tier="deep")
    assert r._deep.model() is first


def test_concurrent_first_calls_load_one_model(monkeypatch):
    """The crash path's first requests arrive on several executor threads at once: one load, not one each."""
    builds = []
    real = deep_module.load_model

    def counted():
        builds.append(threading.get_ident())
        return real()

    monkeypatch.setattr(deep_module, "load_model", counted)
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


def test_deep_tier_on_values():
    r = Redactor()
    out = r.redact_value({"message": "card 4111 1111 1111 1111", "n": 1}, tier="deep")
    assert out.value == {"message": "card [card]", "n": 1}
