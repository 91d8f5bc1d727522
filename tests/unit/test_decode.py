"""Decode stage: bounded decompression and parsing, each failure with its own code."""

from __future__ import annotations

import gzip
import random
import time
import zlib

import brotli
import msgspec
import pytest
import zstandard

from ingest.errors import REFUSALS, Refusal
from ingest.stages.decode import MAX_DEPTH, decompress, json_value, parse, too_deep
from ingest.stages.encodings import PIECE, decoder_for


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


def test_many_empty_gzip_members_take_one_pass() -> None:
    """4 MiB of empty gzip members (~210,000, each a legal member) decode in well under a second: no copy of the
    rest of the body per member (that was quadratic: 9 s here)."""
    empty = gzip.compress(b"", mtime=0)
    body = empty * ((4 << 20) // len(empty))
    started = time.thread_time()  # CPU time of this thread: a bound on the work done, not on how busy the machine is
    assert decompress(body, "gzip", 1 << 20) == b""
    assert time.thread_time() - started < 1.0
    tail = gzip.compress(b'{"a": 1}')
    assert decompress(body[: 100 * len(empty)] + tail, "gzip", 1 << 20) == b'{"a": 1}'


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "raw-deflate", "br", "zstd", "identity"])
def test_streaming_decoders_give_the_same_bytes_whatever_the_pieces(encoding: str) -> None:
    rng = random.Random(encoding)
    plain = b"".join(rng.choice([b"\xff\n", b'{"a": 1}', bytes(range(256)), b"x" * 70_000]) for _ in range(60))
    packed = {"gzip": lambda p: gzip.compress(p[:1000]) + gzip.compress(p[1000:]),
              "deflate": zlib.compress, "raw-deflate": _raw_deflate, "br": brotli.compress,
              "zstd": zstandard.ZstdCompressor().compress, "identity": bytes}[encoding](plain)
    name = "deflate" if encoding == "raw-deflate" else encoding
    for _ in range(5):
        decoder = decoder_for(name)
        out = bytearray()
        at = 0
        while at < len(packed):
            step = rng.choice([1, 2, 7, 1000, 65536, 1 << 20])
            for piece in decoder.feed(packed[at:at + step]):
                assert len(piece) <= max(PIECE, 16 << 20)
                out += piece
            at += step
        decoder.finish()
        assert bytes(out) == plain


def _raw_deflate(plain: bytes) -> bytes:
    squeezer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return squeezer.compress(plain) + squeezer.flush()


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
def test_a_stream_cut_short_is_refused(encoding: str) -> None:
    packed = {"gzip": gzip.compress, "deflate": zlib.compress, "br": brotli.compress}[encoding](b"abc" * 1000)
    decoder = decoder_for(encoding)
    list(decoder.feed(packed[:-3]))
    with pytest.raises(Refusal) as refused:
        decoder.finish()
    assert refused.value.code == "malformed_encoding"


def test_bytes_after_the_last_gzip_member_are_refused() -> None:
    with pytest.raises(Refusal) as refused:
        decompress(gzip.compress(b"abc") + b"junk after the member", "gzip", 100)
    assert refused.value.code == "malformed_encoding"


@pytest.mark.parametrize("depth", [65, 999, 1000, 100_000])
def test_nesting_past_the_limit_is_a_malformed_body(depth: int) -> None:
    for body, ctype in ((b"[" * depth + b"]" * depth, "application/json"),
                        (b'{"a":' * depth + b"1" + b"}" * depth, "application/json"),
                        (b"\x81\xa1a" * depth + b"\x01", "application/msgpack")):
        with pytest.raises(Refusal) as refused:
            parse(body, ctype)
        assert refused.value.code == "malformed_body"


def test_nesting_to_the_limit_is_read() -> None:
    assert too_deep([[[]]], 3) is False and too_deep([[[[]]]], 3) is True
    assert too_deep({"a": [1, {"b": 2}]}, 3) is False and too_deep({"a": [1, {"b": {}}]}, 3) is True
    body = b'{"a":' * (MAX_DEPTH - 1) + b"[1]" + b"}" * (MAX_DEPTH - 1)
    assert isinstance(json_value(body), dict)
    with pytest.raises(Refusal):
        json_value(b"[" + body + b"]")
