"""A minidump as uploaded: plain (`MDMP`), or compressed the way Relay accepts it (gzip, zstd, bzip2, xz; Sentry's
tools and some Crashpad setups send them so). Decompressed with the output capped; what is neither a known
compression nor decompresses cleanly is kept as sent (the reader then flags it `minidump_parsed = false`).

A dump in memory (unpack_dump) is decompressed into memory; a dump staged in the object store as it arrived
(unpack_staged) is decompressed from its file into a new staged object, in bounded pieces."""

from __future__ import annotations

import bz2
import lzma
from collections.abc import Callable, Iterator

from ingest.errors import Refusal
from ingest.stages.decode import decompress
from ingest.stages.encodings import PIECE, Decoder, decoder_for
from storage.objects import StagedObject


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


class _Stepwise:
    """bzip2 / xz as a streaming Decoder: at most PIECE bytes out per step."""

    def __init__(self, make: Callable[[], bz2.BZ2Decompressor | lzma.LZMADecompressor]) -> None:
        self._decompressor = make()

    def feed(self, data: bytes) -> Iterator[bytes]:
        decompressor = self._decompressor
        out = decompressor.decompress(data, max_length=PIECE)
        while True:
            if out:
                yield out
            if decompressor.eof or decompressor.needs_input:
                return
            out = decompressor.decompress(b"", max_length=PIECE)

    def finish(self) -> None:
        if not self._decompressor.eof:
            raise ValueError("truncated")


STREAMED: tuple[tuple[bytes, Callable[[], Decoder | _Stepwise]], ...] = (
    (b"\x1f\x8b", lambda: decoder_for("gzip")), (b"\x28\xb5\x2f\xfd", lambda: decoder_for("zstd")),
    (b"BZh", lambda: _Stepwise(bz2.BZ2Decompressor)), (b"\xfd7zXZ\x00", lambda: _Stepwise(lzma.LZMADecompressor)),
)


def unpack_staged(dump: StagedObject, limit: int, stage: Callable[[], StagedObject]) -> StagedObject:
    """unpack_dump for a staged dump: a new staged object holding it decompressed (at most `limit` bytes, else 413
    `part_too_large`; the caller still owns, and discards, `dump`), or `dump` itself when it is not compressed
    or does not decompress cleanly."""
    make = next((make for magic, make in STREAMED if dump.head.startswith(magic)), None)
    if make is None:
        return dump
    decoder, out = make(), stage()
    try:
        for chunk in dump.chunks():
            for piece in decoder.feed(chunk):
                if out.size + len(piece) > limit:
                    raise Refusal("part_too_large", f"the minidump is over {limit} bytes decompressed")
                out.write(piece)
        decoder.finish()
    except Refusal as refusal:
        out.discard()
        if refusal.code == "part_too_large":
            raise
        return dump  # malformed_encoding: not what its first bytes claim
    except (ValueError, EOFError, lzma.LZMAError, OSError):
        out.discard()
        return dump
    except BaseException:
        out.discard()
        raise
    return out
