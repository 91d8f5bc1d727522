"""Property tests: the decode and validate stages answer every input with a value or a Refusal, nothing else."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from typing import Any

import msgspec
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.consent.request import check_consent
from ingest.errors import Refusal
from ingest.model import Decoded, EventBatch
from ingest.settings import LimitSettings
from ingest.stages.decode import decompress, parse
from ingest.stages.validate import validate_batch

ENCODINGS = st.sampled_from([None, "identity", "gzip", "x-gzip", "zstd", "br", "GZIP", "", "gzip, zstd"])
CTYPES = st.sampled_from(["application/json", "application/msgpack", "application/x-msgpack", "text/plain", ""])
scalars = st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | st.floats() | st.text(max_size=40)
json_like = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                         | st.dictionaries(st.text(max_size=12), inner, max_size=4), max_leaves=25)
NOW = datetime.now(UTC)
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _decode(body: bytes, encoding: str | None, ctype: str) -> dict[str, Any] | None:
    try:
        return parse(decompress(body, encoding, 1 << 16), ctype)
    except Refusal:
        return None


@FUZZ
@given(st.binary(max_size=2048), ENCODINGS, CTYPES)
def test_random_bytes_only_ever_refuse(body: bytes, encoding: str | None, ctype: str) -> None:
    _decode(body, encoding, ctype)


@FUZZ
@given(json_like, st.sampled_from(["gzip", "zstd", None]), st.sampled_from(["application/json",
                                                                         "application/msgpack"]))
def test_structured_bodies_decode_or_refuse(value: Any, encoding: str | None, ctype: str) -> None:
    raw = msgspec.json.encode(value) if ctype == "application/json" else msgspec.msgpack.encode(value)
    body = {"gzip": gzip.compress, "zstd": zstandard.ZstdCompressor().compress, None: bytes}[encoding](raw)
    decoded = _decode(body, encoding, ctype)
    if isinstance(value, dict) and decoded is not None:
        assert decoded == msgspec.json.decode(msgspec.json.encode(value)) or ctype == "application/msgpack"


batch_like = st.fixed_dictionaries(
    {"install_id": st.uuids().map(str) | json_like,
     "consent": st.fixed_dictionaries({"telemetry": st.sampled_from(["granted", "denied"]) | json_like}),
     "context": st.fixed_dictionaries({"app": st.text(max_size=70), "app_version": st.text(max_size=10),
                                       "os": st.sampled_from(["linux", "macos", ""])}) | json_like,
     "events": st.lists(st.fixed_dictionaries(
         {"event_id": st.uuids().map(str), "name": st.from_regex(r"[a-z][a-z.]{0,10}", fullmatch=True) | st.text(),
          "ts": st.just(NOW.isoformat()) | st.text(max_size=30),
          "props": st.dictionaries(st.text(max_size=70), scalars | json_like, max_size=5)}), max_size=5)},
)


@FUZZ
@given(batch_like)
def test_consent_then_validate_yield_a_batch_or_a_refusal(raw: dict[str, Any]) -> None:
    try:
        check_consent(Decoded(raw=raw), "telemetry")
        batch = validate_batch(Decoded(raw=raw), LimitSettings(), NOW)
    except Refusal as refusal:
        assert refusal.status in (403, 413, 422)
        return
    assert isinstance(batch, EventBatch)
    assert raw["consent"]["telemetry"] == "granted"
