"""Decode stage: bounded decompression and parsing, each failure with its own code."""

from __future__ import annotations

import gzip
import zlib

import brotli
import msgspec
import pytest
import zstandard

from ingest.errors import REFUSALS, Refusal
from ingest.stages.decode import decompress, parse


def test_gzip_and_zstd_round_trip() -> None:
    payload = b'{"a": 1}' * 1000
    assert decompress(gzip.compress(payload), "gzip", 1 << 20) == payload
    assert decompress(gzip.compress(payload[:8]) + gzip.compress(payload[8:]), "x-gzip", 1 << 20) == payload
    assert decompress(zstandard.ZstdCompressor().compress(payload), "zstd", 1 << 20) == payload
    assert decompress(payload, None, 1 << 20) == payload
    assert decompress(payload, "identity", 1 << 20) == payload


@pytest.mark.parametrize("encoding", ["gzip", "zstd", None])
def test_output_is_capped(encoding: str | None) -> None:
    payload = b"x" * 10_001
    body = {"gzip": gzip.compress, "zstd": zstandard.ZstdCompressor().compress, None: bytes}[encoding](payload)
    with pytest.raises(Refusal) as caught:
        decompress(body, encoding, 10_000)
    assert caught.value.code == "decompressed_too_large"
    assert decompress(body, encoding, 10_001) == payload


def test_unknown_encoding() -> None:
    with pytest.raises(Refusal) as caught:
        decompress(b"", "gzip, br", 100)
    assert caught.value.code == "unsupported_encoding"


@pytest.mark.parametrize(("body", "ctype"), [(b"{", "application/json"), (b"1", "application/json"),
                                             (msgspec.msgpack.encode([1]), "application/msgpack")])
def test_parse_refuses_non_objects_and_bad_syntax(body: bytes, ctype: str) -> None:
    with pytest.raises(Refusal) as caught:
        parse(body, ctype)
    assert caught.value.code == "malformed_body"


def test_every_refusal_code_maps_to_an_error_status() -> None:
    for code, (status, meaning) in REFUSALS.items():
        assert code == code.lower() and " " not in code
        assert 400 <= status < 600 and meaning
    with pytest.raises(ValueError):
        Refusal("not_declared", "x")


@pytest.mark.parametrize("encoding", ["br", "deflate"])
def test_brotli_and_deflate_are_capped_while_decompressing(encoding: str) -> None:


    plain = b'{"events": []}' * 1000
    packed = brotli.compress(plain) if encoding == "br" else zlib.compress(plain)
    assert decompress(packed, encoding, len(plain)) == plain
    bomb = brotli.compress(b"\0" * (64 << 20)) if encoding == "br" else zlib.compress(b"\0" * (64 << 20))
    with pytest.raises(Refusal) as refused:
        decompress(bomb, encoding, 1 << 20)
    assert refused.value.code == "decompressed_too_large"
    with pytest.raises(Refusal) as refused:
        decompress(packed[: len(packed) // 2], encoding, len(plain))
    assert refused.value.code == "malformed_encoding"


def test_raw_deflate_is_accepted_too() -> None:
    plain = b"x" * 5000
    squeezer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    assert decompress(squeezer.compress(plain) + squeezer.flush(), "deflate", 10_000) == plain
