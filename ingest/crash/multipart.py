"""Read a (decompressed) multipart/form-data body, as it arrives, into named parts; upload file names are dropped
here."""

from __future__ import annotations

import email.parser
import email.policy
import re
from collections.abc import Callable
from typing import Protocol

import msgspec

from ingest.errors import Refusal

FORM_TYPE = "multipart/form-data"
_CRLF = b"\r\n"
# Part headers the fast path understands; any other header (Content-Transfer-Encoding, ...) takes the stdlib path.
_PLAIN_HEADERS = (b"content-disposition", b"content-type")
# The part headers every form client writes, read without the stdlib's header objects: a quoted name and filename
# of plain characters (no quotes, backslashes, encoded words or RFC 2231 forms) and a media type without parameters
# (a `name` parameter there would make the part a file to the stdlib). Other spellings take the stdlib's reading.
_DISPOSITION = re.compile(
    rb'form-data; name="([A-Za-z0-9_.:/+\[\] -]{1,256})"(; filename="[^"\\\x00-\x1f\x7f-\xff=?%*]*")?')
_MEDIA_TYPE = re.compile(rb"[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+")
# The request's Content-Type in the form every SDK sends (`multipart/form-data; boundary=X`, X a token or quoted
# without escapes): read without the stdlib's header parser, which costs about as much as the rest of a small
# upload's form; anything else (more parameters, escapes, comments) is left to it. Same boundary either way.
_PLAIN_FORM_TYPE = re.compile(
    r'multipart/form-data[ \t]*;[ \t]*boundary='
    r'(?:"([\w.+=:/?-][\w.+=:/? -]{0,68}[\w.+=:/?-]|[\w.+=:/?-])"|([\w.+-]{1,70}))[ \t]*',
    re.IGNORECASE | re.ASCII)


# An unusual body (bare LF line ends, a transfer encoding, no closing delimiter, ...) is read by the stdlib parser,
# which holds the whole message and many times its size while it works: only bodies up to this size get there.
# Every form client sends the common shape; a larger unusual body is refused.
STDLIB_MAX_BYTES = 256 << 10
_MAX_HEAD = 16 << 10  # one part's header lines


class PartSink(Protocol):
    """Where a streamed part's data goes as it arrives (storage.objects.StagedObject is one)."""

    def write(self, data: memoryview) -> None: ...

    def discard(self) -> None: ...


class Part(msgspec.Struct, frozen=True):
    name: str
    data: bytes  # b"" when the part was streamed to `staged`
    is_file: bool  # sent with a filename; the name itself is never kept (it may hold a path or a user name)
    dropped: bool = False  # over its PartLimit with drop=True: read past, its data not kept (b"")
    staged: PartSink | None = None  # PartLimit(stream=True): the part's data, written there as it arrived


class PartLimit(msgspec.Struct, frozen=True):
    max_bytes: int
    drop: bool = False  # over max_bytes: drop the part's data and go on (else 413 part_too_large at once)
    stream: bool = False  # write the data to a sink from FormReader's `stage` as it arrives, never held whole


PartLimits = Callable[[str, bool], PartLimit]  # (part name, is_file) -> its limit


def _no_limit(name: str, is_file: bool) -> PartLimit:
    return PartLimit(1 << 62)


class _Unusual(Exception):
    """Internal: the body is not in the common CRLF shape the fast path reads; the stdlib parser decides."""


def parse_form(body: bytes, content_type: str, max_parts: int = 256, limits: PartLimits = _no_limit) -> list[Part]:
    """All parts in order, read from a whole body (FormReader fed once)."""
    reader = FormReader(content_type, max_parts=max_parts, limits=limits)
    reader.feed(body)
    return reader.close()


_PREAMBLE, _AFTER_DELIMITER, _HEADERS, _DATA, _DONE = range(5)


class FormReader:
    """A multipart/form-data body read as it arrives: feed() the (decompressed) pieces, close() for the parts.

    The part count and each part's size (`limits`, by name) are enforced while reading, so a bomb of one huge
    part or of thousands of empty ones is refused after at most one limit's worth of bytes, and memory holds
    the parts kept plus a delimiter's length, never the body twice. Bodies in the shape every form client sends
    (CRLF line ends, parts with only Content-Disposition and Content-Type headers, a closing delimiter) are split
    with bytes.find: the binary parts are sliced, never read line by line. Anything else goes through the stdlib
    parser, which handles binary parts byte-exactly, so both paths give the same parts; that parser is given
    bodies of at most STDLIB_MAX_BYTES."""

    def __init__(self, content_type: str, *, max_parts: int = 256, limits: PartLimits = _no_limit,
                 stage: Callable[[], PartSink] | None = None) -> None:
        if not content_type.lower().startswith(FORM_TYPE):
            raise Refusal("unsupported_media_type", "crash uploads must be multipart/form-data")
        self._header = _type_header(content_type)
        self._max_parts = max_parts
        self._limits = limits
        self._stage = stage
        self._sink: PartSink | None = None  # the part being read streams here
        self._sinks: list[PartSink] = []  # every sink opened, for discard()
        self._parts: list[Part] = []
        # The bytes fed and not yet consumed are self._buf[self._pos:]: consuming moves _pos, and only what is
        # left (at most a delimiter's length, or an unfinished header block) is copied when the next piece comes.
        self._buf = b""
        self._pos = 0
        self._raw: list[bytes] | None = []  # the pieces so far (not copies), while the stdlib parser may need them
        self._seen = 0
        self._state = _PREAMBLE
        self._skipped = 0  # preamble bytes already consumed
        self._name: str | None = None  # the part being read
        self._is_file = False
        self._limit = PartLimit(0)
        self._data: list[memoryview] = []
        self._size = 0
        self._over = False
        self._flushed = False  # some of this part's data was taken before its delimiter came
        boundary = _boundary(content_type)
        try:
            self._dash = b"--" + boundary.encode("latin-1") if boundary else b""
        except UnicodeEncodeError:
            self._dash = b""
        self._unusual = not self._dash

    def feed(self, data: bytes) -> None:
        self._seen += len(data)
        if self._raw is not None:
            if self._seen <= STDLIB_MAX_BYTES:
                self._raw.append(data)
            else:
                self._raw = None
        if self._unusual:
            self._check_fallback()
        elif self._state != _DONE:  # the epilogue after the close delimiter is ignored
            rest = self._buf[self._pos:] if self._pos < len(self._buf) else b""
            self._buf, self._pos = (rest + data if rest else data), 0
            self._run(final=False)

    def close(self) -> list[Part]:
        if not self._unusual and self._state != _DONE:
            self._run(final=True)
        if not self._unusual:
            return self._parts
        self._check_fallback()
        assert self._raw is not None
        raw = b"".join(self._raw)
        if raw.count(self._dash or b"--") > self._max_parts + 1:  # bounds the stdlib parser's work
            raise Refusal("malformed_body", f"more than {self._max_parts} form parts")
        parts = []
        for part in _stdlib(self._header + raw, self._max_parts):
            limit = self._limits(part.name, part.is_file)
            if len(part.data) > limit.max_bytes:
                if not limit.drop:
                    raise _too_large(part.name, limit)
                part = Part(part.name, b"", part.is_file, dropped=True)
            parts.append(part)
        return parts

    def discard(self) -> None:
        """Drop the data of every streamed part (a refused upload; a no-op for sinks already committed)."""
        sinks, self._sinks, self._sink = self._sinks, [], None
        for sink in sinks:
            sink.discard()

    def _run(self, final: bool) -> None:
        try:
            self._advance(final)
        except _Unusual:
            self._unusual = True
            self._buf, self._pos, self._data = b"", 0, []
            self.discard()  # the stdlib parser reads the (small) body again, every part into memory
            self._check_fallback()

    def _check_fallback(self) -> None:
        if self._raw is None:
            raise Refusal("malformed_body", f"a multipart form over {STDLIB_MAX_BYTES} bytes must use CRLF line ends, "
                          "plain part headers and a closing delimiter")

    def _advance(self, final: bool) -> None:  # noqa: C901 - one state machine, read top to bottom
        buf, pos, dash = self._buf, self._pos, self._dash
        size, view = len(buf), memoryview(self._buf)  # part data is taken as views: copied once, when it ends
        # A delimiter not found in the buffer may start in its last len(dash) - 1 bytes; one more byte is kept so
        # that a delimiter found later has the two bytes before it in the buffer.
        keep = len(dash) + 1
        try:
            while True:
                state = self._state
                if state == _PREAMBLE:
                    at = buf.find(dash, pos)
                    if at < 0:
                        if final:
                            raise _Unusual
                        if size - keep > pos:
                            self._skipped += size - keep - pos
                            pos = size - keep
                        return
                    first = self._skipped + at - pos
                    if first == 1 or (first > 1 and buf[at - 2:at] != _CRLF):  # a preamble ends with CRLF
                        raise _Unusual
                    pos = at + len(dash)
                    self._state = _AFTER_DELIMITER
                elif state == _AFTER_DELIMITER:
                    if size - pos < 4 and not final:
                        return
                    if buf.startswith(b"--", pos):  # the close delimiter; the epilogue after its line end is ignored
                        if buf[pos + 2:pos + 4] not in (b"", _CRLF) or not self._parts:
                            raise _Unusual
                        self._state = _DONE
                        pos = size
                        return
                    if not buf.startswith(_CRLF, pos):  # transport padding, or a longer line that is no delimiter
                        raise _Unusual
                    pos += 2
                    self._state = _HEADERS
                elif state == _HEADERS:
                    head_end = buf.find(b"\r\n\r\n", pos)
                    if head_end < 0:
                        if final or size - pos > _MAX_HEAD:
                            raise _Unusual
                        return
                    self._start_part(buf[pos:head_end + 2])
                    pos = head_end + 4
                    self._state = _DATA
                elif state == _DATA:
                    at = buf.find(dash, pos)
                    if at < 0:
                        if final:  # no closing delimiter
                            raise _Unusual
                        if size - keep > pos:
                            self._take(view[pos:size - keep])
                            pos = size - keep
                            self._flushed = True
                        return
                    # The stdlib parser also takes `--boundary` after a bare CR or LF as a delimiter: such bodies
                    # are left to it. A delimiter right after the part's headers ends an empty part.
                    if at - pos >= 2 and buf[at - 2:at] == _CRLF:
                        self._take(view[pos:at - 2])
                    elif at != pos or self._flushed:
                        raise _Unusual
                    pos = at + len(dash)
                    self._end_part()
                    self._state = _AFTER_DELIMITER
                else:
                    return
        finally:
            self._pos = pos

    def _start_part(self, raw: bytes) -> None:
        if not raw or raw == _CRLF:  # a part without headers
            raise _Unusual
        crlf = raw.count(_CRLF)
        if raw.count(b"\r") != crlf or raw.count(b"\n") != crlf:  # bare CR or LF: other line ends to the stdlib
            raise _Unusual
        plain = _plain_headers(raw)
        if plain:
            name: str | None
            name, self._is_file = plain
        else:
            item = _headers(raw + _CRLF)
            if item.get_content_maintype() == "multipart":
                raise _Unusual
            found = item.get_param("name", header="content-disposition")
            name = found if isinstance(found, str) and found else None
            self._is_file = item.get_filename() is not None
        self._name = name
        self._limit = self._limits(name or "", self._is_file)
        self._data, self._size = [], 0
        self._over = self._flushed = False
        self._sink = None
        if self._limit.stream and self._stage is not None:
            self._sink = self._stage()
            self._sinks.append(self._sink)

    def _take(self, data: memoryview) -> None:
        if self._over or not data:
            return
        self._size += len(data)
        if self._size > self._limit.max_bytes:
            if not self._limit.drop:
                raise _too_large(self._name or "", self._limit)
            self._over = True
            self._data = []
            if self._sink is not None:
                self._sink.discard()
                self._sink = None
            return
        if self._sink is not None:
            self._sink.write(data)  # the part is never held whole: the sink buffers and writes it on
        else:
            self._data.append(data)

    def _end_part(self) -> None:
        if self._name is None:
            raise Refusal("malformed_body", "every form part needs a Content-Disposition name")
        data = b"" if self._over else b"".join(self._data)
        self._parts.append(Part(self._name, data, self._is_file, self._over, self._sink))
        self._data, self._sink = [], None
        if len(self._parts) > self._max_parts:
            raise Refusal("malformed_body", f"more than {self._max_parts} form parts")


def _too_large(name: str, limit: PartLimit) -> Refusal:
    return Refusal("part_too_large", f"the form part {name[:64]!r} is over {limit.max_bytes} bytes")


def _boundary(content_type: str) -> str | None:
    if plain := _PLAIN_FORM_TYPE.fullmatch(content_type):
        return plain[1] or plain[2]
    return _headers(_type_header(content_type)).get_boundary()


def _type_header(content_type: str) -> bytes:
    """The request's Content-Type as a header block, for the stdlib parser (which reads a message, not a value)."""
    return b"Content-Type: " + content_type.encode("latin-1", "replace") + b"\r\n\r\n"


def _headers(raw: bytes) -> email.message.Message:
    return email.parser.BytesHeaderParser(policy=email.policy.HTTP).parsebytes(raw)


def _part(item: email.message.Message, data: bytes, parts: list[Part], max_parts: int) -> None:
    name = item.get_param("name", header="content-disposition")
    if not isinstance(name, str) or not name:
        raise Refusal("malformed_body", "every form part needs a Content-Disposition name")
    parts.append(Part(name, data, item.get_filename() is not None))
    if len(parts) > max_parts:
        raise Refusal("malformed_body", f"more than {max_parts} form parts")


def _plain_headers(raw: bytes) -> tuple[str, bool] | None:
    """(name, is_file) from a part's header lines when they are in the common form; None when the stdlib's header
    parser must read them (it would read the common form the same way). Raises _Unusual for headers the fast path
    does not take at all."""
    dispositions: list[bytes] = []
    media: list[bytes] = []
    for line in raw.split(_CRLF)[:-1]:
        name, colon, value = line.partition(b":")
        name = name.lower()
        if not colon or name not in _PLAIN_HEADERS:
            raise _Unusual
        (media if name == b"content-type" else dispositions).append(value.strip())
    if media and media[0].split(b"/", 1)[0].strip().lower() == b"multipart":
        raise _Unusual
    if len(dispositions) != 1 or len(media) > 1 or (media and not _MEDIA_TYPE.fullmatch(media[0])):
        return None
    found = _DISPOSITION.fullmatch(dispositions[0])
    return (found[1].decode("ascii"), found[2] is not None) if found else None


def _stdlib(whole: bytes, max_parts: int) -> list[Part]:
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(whole)
    if not message.is_multipart():
        raise Refusal("malformed_body", "the body is not a multipart/form-data stream with a boundary")
    parts: list[Part] = []
    for item in message.iter_parts():
        payload = item.get_payload(decode=True)
        _part(item, payload if isinstance(payload, bytes) else b"", parts, max_parts)
    return parts
