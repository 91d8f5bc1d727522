"""unpack_dump: compressed minidumps (gzip, zstd, bzip2, xz, as Relay accepts them) are read like plain ones."""

from __future__ import annotations

import bz2
import gzip
import lzma
from pathlib import Path

import pytest
import zstandard

from ingest.crash.unpack import unpack_dump
from ingest.errors import Refusal

DUMP = (Path(__file__).parents[1] / "fixtures" / "thirdparty" / "symbolic" / "crash_linux.dmp").read_bytes()


@pytest.mark.parametrize("pack", [gzip.compress, bz2.compress, lzma.compress, zstandard.ZstdCompressor().compress])
def test_compressed_dumps_are_unpacked(pack: object) -> None:
    assert callable(pack)
    assert unpack_dump(pack(DUMP), len(DUMP)) == DUMP


@pytest.mark.parametrize("pack", [gzip.compress, bz2.compress, lzma.compress, zstandard.ZstdCompressor().compress])
def test_a_bomb_stops_at_the_cap(pack: object) -> None:
    assert callable(pack)
    with pytest.raises(Refusal) as refused:
        unpack_dump(pack(b"\0" * 10_000_000), 1 << 20)
    assert refused.value.code == "part_too_large"


@pytest.mark.parametrize("data", [DUMP, b"\x1f\x8b not gzip", b"BZh9 not bzip2", b"\xfd7zXZ\x00 not xz", b""])
def test_plain_and_broken_dumps_are_kept_as_sent(data: bytes) -> None:
    assert unpack_dump(data, 1 << 20) == data


def test_a_truncated_stream_is_kept_as_sent() -> None:
    cut = bz2.compress(DUMP)[:-40]
    assert unpack_dump(cut, 1 << 20) == cut
