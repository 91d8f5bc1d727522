"""Redaction benchmark: Consentry fast/deep tiers vs presidio-analyzer alone vs Sentry Relay's default scrubbing.

    python bench/redaction_bench.py [--events 200000] [--crashes 2000] [--deep 200]

Prints throughput on one core (the process is pinned to one CPU when the OS allows) and, for a fixed set
of probe strings, what each tool leaves behind. Not a test: nothing here asserts a timing.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from redact import Redactor  # noqa: E402

ENUMS = {
    "layout": ["split", "stacked", "compact"], "theme": ["dark_mode", "light_mode", "system"],
    "locale": ["en-US", "de-DE", "fr-FR", "pt_BR", "ja"], "app.version": ["1.4.2", "1.4.3", "1.5.0-beta.1"],
    "model": ["gpt-4o-mini", "claude-3-5-sonnet", "llama-3.1-8b"], "os": ["macos", "windows", "linux"],
    "status": ["ok", "error", "cancelled"], "action": ["open_settings", "send_message", "new_chat", "export"],
    "screen": ["home", "chat", "settings.privacy"], "plan": ["free", "pro", "team"],
}
ODD = ["/Users/{u}/Library/Application Support/Consentry/cache.db", r"C:\Users\{u}\Documents\{u} notes.docx",
       "https://api.example.com/v1/items?page=2&token=abc{n}XYZ", "/home/{u}/.venv/lib/python3.11/site-packages/x.py",
       "{u}@example.com", "192.168.{n}.20"]
USERS = ["alice", "bob", "Carol Diaz", "dmitri", "eve.k"]

CRASH_TEMPLATES = [
    'Traceback (most recent call last):\n  File "/Users/{u}/app/.venv/lib/python3.11/site-packages/httpx/_client.py",'
    ' line {n}, in send\n  File "/Users/{u}/app/sync.py", line 88, in push\nhttpx.ConnectError: [Errno 61] '
    "Connection refused to 10.{n}.0.7:443 while uploading /Users/{u}/Documents/Q{q} report.pdf",
    "Error: ENOENT: no such file or directory, open 'C:\\Users\\{u}\\Desktop\\taxes {n}.xlsx'\n    at Object.openSync "
    "(node:fs:596:3)\n    at readConfig (C:\\Program Files\\Consentry\\resources\\app.asar\\main.js:{n}:17)",
    "thread 'tokio-runtime-worker' panicked at /Users/{u}/.cargo/registry/src/index.crates.io-6f17d22bba15001f/"
    "hyper-1.3.1/src/proto/h1/conn.rs:{n}:9: connection reset by 2001:db8::{q}:1 on Bobs-MacBook-Pro.local",
    "sync failed for {u}@corp.example (auth: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ7dX0ifQ.c2lnbmF0dXJlX3{n}) "
    "api_key=sk-proj-Abc{n}Def456Ghi789Jkl012Mno345 retry in 30s",
    "Exception code 0xC0000005 at 0x00007ff6a1b2c3d4 in consentry.exe+0x{n}f0; machine DESKTOP-7H2K9QX, "
    "user profile \\\\fileserver\\home$\\{u}\\profile.dat, card on file 4111 1111 1111 1111",
    "HTTP 401 from https://{u}:hunter{n}@git.example.com/org/repo.git; mac a4:83:e7:1b:2c:{q}{q}; "
    "call support +1 415 555 26{q}{q}",
]
PROBES = [  # (text, substrings that must not survive)
    ("/Users/alice/Documents/taxes 2025.pdf", ["alice", "taxes"]),
    (r"C:\Users\Bob Smith\Desktop\cv.docx", ["Bob Smith", "cv.docx"]),
    ("mail alice@example.com", ["alice@example.com"]),
    ("peer 203.0.113.9", ["203.0.113.9"]),
    ("key sk-proj-Abc123Def456Ghi789Jkl012Mno345", ["Abc123Def456"]),
    ("ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789", ["AbCdEf"]),
    ("password=hunter2", ["hunter2"]),
    ("https://bob:pw123@git.example.com/x", ["pw123"]),
    ("https://x.example/?access_token=tok987", ["tok987"]),
    ("card 4111 1111 1111 1111", ["4111 1111"]),
    ("host Bobs-MacBook-Pro.local", ["Bobs"]),
    ("mac a4:83:e7:1b:2c:3d", ["a4:83:e7"]),
    ("call +1 415 555 2671", ["555 2671"]),
    ("ssn 078-05-1120", ["078-05-1120"]),
    ("Hi Sarah, thanks for the contract. I reviewed it last night and have questions about the clause.", ["Sarah"]),
]
KEEP = ["httpx/_client.py", "ECONNREFUSED", "0xC0000005", "1.4.2", "550e8400-e29b-41d4-a716-446655440000",
        "line 915", "gpt-4o-mini", "en-US"]


def events(n: int, rng: random.Random) -> list[dict[str, Any]]:
    out = []
    for _ in range(n):
        keys = rng.sample(list(ENUMS), rng.randint(3, 5))
        ev: dict[str, Any] = {k: rng.choice(ENUMS[k]) for k in keys}
        ev["latency_ms"] = rng.randint(1, 5000)
        ev["cached"] = rng.random() < 0.5
        if rng.random() < 0.3:
            ev["ratio"] = rng.random()
        if rng.random() < 0.05:
            ev["detail"] = rng.choice(ODD).format(u=rng.choice(USERS), n=rng.randint(1, 250))
        out.append(ev)
    return out


def crashes(n: int, rng: random.Random) -> list[str]:
    return [rng.choice(CRASH_TEMPLATES).format(u=rng.choice(USERS), n=rng.randint(10, 250), q=rng.randint(1, 9))
            for _ in range(n)]


def rate(fn: Callable[[Any], Any], items: list[Any]) -> float:
    start = time.perf_counter()
    for item in items:
        fn(item)
    return len(items) / (time.perf_counter() - start)


def presidio_alone() -> Callable[[str], str]:
    """presidio's default recognizers with the small spaCy model, as a user would set it up (kept offline)."""
    import tldextract
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    from redact.deep import installed_model
    offline = tldextract.TLDExtract(suffix_list_urls=())  # the default would fetch the suffix list
    tldextract.extract = offline  # type: ignore[assignment]
    import presidio_analyzer.predefined_recognizers.generic.email_recognizer as email_mod
    email_mod.tldextract.extract = offline  # type: ignore[attr-defined]
    model = installed_model() or "en_core_web_sm"
    nlp = NlpEngineProvider(nlp_configuration={"nlp_engine_name": "spacy",
                                               "models": [{"lang_code": "en", "model_name": model}]}).create_engine()
    engine = AnalyzerEngine(nlp_engine=nlp, supported_languages=["en"])

    def run(text: str) -> str:
        for r in sorted(engine.analyze(text=text, language="en"), key=lambda r: -r.start):
            text = text[: r.start] + f"<{r.entity_type}>" + text[r.end :]
        return text

    return run


def relay() -> tuple[Callable[[str], str], Callable[[dict[str, Any]], Any]]:
    from sentry_relay.processing import convert_datascrubbing_config, pii_strip_event
    cfg = convert_datascrubbing_config({"scrubData": True, "scrubDefaults": True, "scrubIpAddresses": True,
                                        "sensitiveFields": [], "excludeFields": []})

    def text(t: str) -> str:
        return pii_strip_event(cfg, {"extra": {"detail": t}})["extra"]["detail"]

    return text, lambda ev: pii_strip_event(cfg, {"extra": ev})


def leftovers(name: str, fn: Callable[[str], str]) -> None:
    leaked = [(t, out) for t, bad in PROBES if any(b in (out := fn(t)) for b in bad)]
    lost = [k for k in KEEP if k not in fn(k)]
    print(f"  {name:<22} leaks {len(leaked)}/{len(PROBES)} probes, loses {len(lost)}/{len(KEEP)} triage values")
    for t, out in leaked:
        print(f"      leaked: {t!r} -> {out!r}")
    for k in lost:
        print(f"      lost:   {k!r} -> {fn(k)!r}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=200_000)
    ap.add_argument("--crashes", type=int, default=2_000)
    ap.add_argument("--deep", type=int, default=200)
    args = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    rng = random.Random(7)
    evs, texts = events(args.events, rng), crashes(args.crashes, rng)
    r = Redactor()
    r.redact_text("warm-up", tier="deep")
    print(f"one core; {len(evs)} events ({sum(map(len, evs)) / len(evs):.1f} props avg), {len(texts)} crash texts")
    print(f"  consentry fast   events/s : {rate(r.redact_mapping, evs):>10,.0f}")
    print(f"  consentry fast   crash/s  : {rate(lambda t: r.redact_text(t, field='stacktrace'), texts):>10,.0f}")
    deep = texts[: args.deep]
    print(f"  consentry deep   crash/s  : {rate(lambda t: r.redact_text(t, tier='deep'), deep):>10,.0f}"
          f"  (NER {'on' if r.ner_available else 'off: no spaCy model'})")
    pres = presidio_alone()
    print(f"  presidio alone   crash/s  : {rate(pres, deep):>10,.0f}")
    try:
        rtext, revent = relay()
    except ImportError:  # the reference is an optional extra; the rest of the comparison still means something
        print("  relay default    : not installed (pip install -e '.[bench]'); its rows are left out")
        rtext = None
    else:
        print(f"  relay default    events/s : {rate(revent, evs[: args.events // 10]):>10,.0f}")
        print(f"  relay default    crash/s  : {rate(rtext, texts):>10,.0f}")
    print("what each leaves behind (probe strings) and which triage values it destroys:")
    leftovers("consentry fast", lambda t: r.redact_text(t, field="stacktrace").value)
    leftovers("consentry deep", lambda t: r.redact_text(t, tier="deep").value)
    leftovers("presidio alone", pres)
    if rtext is not None:
        leftovers("relay default", rtext)
    print("sample crash text, each tool:")
    sample = texts[0]
    tools: list[tuple[str, Callable[[str], str]]] = [
        ("input", lambda t: t), ("consentry deep", lambda t: r.redact_text(t, tier="deep").value),
        ("presidio alone", pres)]
    if rtext is not None:
        tools.append(("relay default", rtext))
    for name, fn in tools:
        print(f"  [{name}]\n    " + fn(sample).replace("\n", "\n    "))


if __name__ == "__main__":
    main()
