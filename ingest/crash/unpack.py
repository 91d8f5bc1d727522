"""A minidump as uploaded: plain (`MDMP`), or compressed the way Relay accepts it (gzip, zstd, bzip2, xz; Sentry's
tools and some Crashpad setups send them so). Decompressed with the output capped; what is neither a known
compression nor decompresses cleanly is kept as sent (the reader then flags it `minidump_parsed = false`)."""

from __future__ import annotations

import bz2
import lzma
from collections.abc import Callable

from ingest.errors import Refusal
from ingest.stages.decode import decompress


def _bounded(make: Callable[[], bz2.BZ2Decompressor | lzma.LZMADecompressor]) -> Callable[[bytes, int], bytes]:
    def run(data: bytes, limit: int) -> bytes:
        decompressor = make()
        out = decompressor.decompress(data, max_length=limit + 1)
        if len(out) > limit:
            raise Refusal("part_too_large", f"the minidump is over {limit} bytes decompressed")
        if not decompressor.eof:
            raise ValueError("truncated")
        return out

    return run


def _by_encoding(name: str) -> Callable[[bytes, int], bytes]:
    def run(data: bytes, limit: int) -> bytes:
        try:
            return decompress(data, name, limit)
        except Refusal as refusal:
            if refusal.code == "decompressed_too_large":
                raise Refusal("part_too_large", f"the minidump is over {limit} bytes decompressed") from None
            raise ValueError(refusal.code) from None

    return run


MAGIC: tuple[tuple[bytes, Callable[[bytes, int], bytes]], ...] = (
    (b"\x1f\x8b", _by_encoding("gzip")), (b"\x28\xb5\x2f\xfd", _by_encoding("zstd")),
    (b"BZh", _bounded(bz2.BZ2Decompressor)), (b"\xfd7zXZ\x00", _bounded(lzma.LZMADecompressor)),
)


def unpack_dump(data: bytes, limit: int) -> bytes:
    """The dump decompressed (at most `limit` bytes, else 413 `part_too_large`), or as sent."""
    for magic, run in MAGIC:
        if data.startswith(magic):
            try:
                return run(data, limit)
            except (ValueError, OSError, EOFError, lzma.LZMAError):
                return data  # not what its first bytes claim: stored as sent, flagged by the reader
    return data
