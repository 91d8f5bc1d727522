"""Streaming decoders for each HTTP Content-Encoding: bytes in as they arrive, bounded pieces out.

Each decoder is fed the body in pieces and yields its output in pieces of about `PIECE` bytes (zstd: at most
what 512 input bytes expand to), so a caller that counts what it gets can stop a decompression bomb after one
piece past its cap, and memory never holds more than that piece. `finish()` refuses a stream that stopped
mid-way. Each step costs time in proportion to the bytes it is fed and the bytes it yields, whatever the shape
of the stream: concatenated gzip members (legal, RFC 1952) are decoded in the same single pass, so a body of
tens of thousands of empty members costs no more than any other body of its size."""

from __future__ import annotations

import zlib
from collections.abc import Iterator

import brotli
import zstandard

from ingest.errors import Refusal

PIECE = 64 * 1024  # the most output one step yields (gzip, deflate, brotli)
# Input is fed to zlib in slices this long: the bytes left after a gzip member ends (zlib hands them back as a
# copy) are then at most one slice, not the rest of the body, whatever the number of members.
_SLICE = 4096
_ZSTD_SLICE = 512  # zstd expands a byte by up to ~32,000: 512 input bytes give at most ~16 MiB at once
ENCODINGS = "identity, gzip, zstd, deflate, br"


class Identity:
    def feed(self, data: bytes) -> Iterator[bytes]:
        if data:
            yield data

    def finish(self) -> None:
        pass


class Gunzip:
    """Any number of concatenated gzip members in one pass."""

    def __init__(self) -> None:
        self._inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        self._open = False  # bytes of a member were fed and its end is not yet seen

    def feed(self, data: bytes) -> Iterator[bytes]:
        view = memoryview(data)
        for start in range(0, len(view), _SLICE):
            yield from self._member_bytes(view[start:start + _SLICE])

    def _member_bytes(self, pending: bytes | memoryview) -> Iterator[bytes]:
        inflater = self._inflater
        self._open = True
        while True:
            try:
                out = inflater.decompress(pending, PIECE)
            except zlib.error as exc:
                raise Refusal("malformed_encoding", f"invalid gzip stream: {exc}") from None
            if out:
                yield out
            if inflater.eof:  # the member ended; what follows it starts the next one
                pending = inflater.unused_data
                inflater = self._inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
                self._open = bool(pending)
                if not pending:
                    return
                continue
            pending = inflater.unconsumed_tail
            if not pending and len(out) < PIECE:  # input used up and no output held back
                return

    def finish(self) -> None:
        if self._open:
            raise Refusal("malformed_encoding", "truncated gzip stream")


class Inflate:
    """HTTP `deflate` is a zlib stream (RFC 9110); some clients send raw deflate, which is accepted too. The first
    two bytes decide: a valid zlib header means zlib, anything else raw deflate. Bytes after the stream's end are
    ignored."""

    def __init__(self) -> None:
        self._inflater: zlib._Decompress | None = None
        self._head = b""

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self._inflater is None:
            self._head += data
            if len(self._head) < 2:
                return
            data, self._head = self._head, b""
            cmf, flg = data[0], data[1]
            zlib_header = cmf & 0x0F == 8 and cmf >> 4 <= 7 and (cmf << 8 | flg) % 31 == 0
            self._inflater = zlib.decompressobj(wbits=zlib.MAX_WBITS if zlib_header else -zlib.MAX_WBITS)
        inflater = self._inflater
        view = memoryview(data)
        try:
            for start in range(0, len(view), _SLICE):
                pending: bytes | memoryview = view[start:start + _SLICE]
                while not inflater.eof:
                    out = inflater.decompress(pending, PIECE)
                    if out:
                        yield out
                    pending = inflater.unconsumed_tail
                    if not pending and len(out) < PIECE:  # input used up and no output held back
                        break
        except zlib.error:
            raise Refusal("malformed_encoding", "invalid deflate stream") from None

    def finish(self) -> None:
        if self._head or (self._inflater is not None and not self._inflater.eof):
            raise Refusal("malformed_encoding", "truncated deflate stream")


class Unbrotli:
    def __init__(self) -> None:
        self._decompressor = brotli.Decompressor()

    def feed(self, data: bytes) -> Iterator[bytes]:
        decompressor = self._decompressor
        try:
            out = decompressor.process(data, output_buffer_limit=PIECE)
            # The output is bounded per call (loosely: a call may give somewhat more than the limit); the
            # decompressor holds the rest until asked with no input, and answers b"" once it needs input.
            while out:
                yield out
                out = decompressor.process(b"", output_buffer_limit=PIECE)
        except brotli.error as exc:
            raise Refusal("malformed_encoding", f"invalid brotli stream: {exc}") from None

    def finish(self) -> None:
        if not self._decompressor.is_finished():
            raise Refusal("malformed_encoding", "truncated brotli stream")


class Unzstd:
    """Concatenated zstd frames, fed in short slices (the library's streaming object bounds no output)."""

    def __init__(self) -> None:
        self._decompressor = zstandard.ZstdDecompressor().decompressobj(read_across_frames=True)

    def feed(self, data: bytes) -> Iterator[bytes]:
        view = memoryview(data)
        for start in range(0, len(view), _ZSTD_SLICE):
            try:
                out = self._decompressor.decompress(view[start:start + _ZSTD_SLICE])
            except zstandard.ZstdError as exc:
                raise Refusal("malformed_encoding", f"invalid zstd stream: {exc}") from None
            if out:
                yield out

    def finish(self) -> None:
        pass


Decoder = Identity | Gunzip | Inflate | Unbrotli | Unzstd


def decoder_for(encoding: str | None) -> Decoder:
    """The streaming decoder for a Content-Encoding header value, or 415 `unsupported_encoding`."""
    name = (encoding or "identity").strip().lower()
    if name == "identity":
        return Identity()
    if name in ("gzip", "x-gzip"):
        return Gunzip()
    if name == "zstd":
        return Unzstd()
    if name == "deflate":
        return Inflate()
    if name == "br":
        return Unbrotli()
    raise Refusal("unsupported_encoding", f"Content-Encoding {name[:32]!r} is not one of {ENCODINGS}")
