"""Parse a (decompressed) multipart/form-data body into named parts; upload file names are dropped here."""

from __future__ import annotations

import email.parser
import email.policy
import re

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


class Part(msgspec.Struct, frozen=True):
    name: str
    data: bytes
    is_file: bool  # sent with a filename; the name itself is never kept (it may hold a path or a user name)


class _Unusual(Exception):
    """Internal: the body is not in the common CRLF shape the fast path reads; the stdlib parser decides."""


def parse_form(body: bytes, content_type: str, max_parts: int = 256) -> list[Part]:
    """All parts in order; the caller bounds the body size.

    Bodies in the shape every form client sends (CRLF line ends, parts with only Content-Disposition and
    Content-Type headers, a closing delimiter) are split with bytes.find: the binary parts are sliced, never
    read line by line. Anything else goes through the stdlib parser, which handles binary parts byte-exactly, so
    both paths give the same parts."""
    if not content_type.lower().startswith(FORM_TYPE):
        raise Refusal("unsupported_media_type", "crash uploads must be multipart/form-data")
    header = b"Content-Type: " + content_type.encode("latin-1", "replace") + b"\r\n\r\n"
    boundary = _headers(header).get_boundary()
    if boundary:
        try:
            return _fast(body, boundary.encode("latin-1"), max_parts)
        except (_Unusual, UnicodeEncodeError):
            pass
    return _stdlib(header + body, max_parts)


def _headers(raw: bytes) -> email.message.Message:
    return email.parser.BytesHeaderParser(policy=email.policy.HTTP).parsebytes(raw)


def _part(item: email.message.Message, data: bytes, parts: list[Part], max_parts: int) -> None:
    name = item.get_param("name", header="content-disposition")
    if not isinstance(name, str) or not name:
        raise Refusal("malformed_body", "every form part needs a Content-Disposition name")
    parts.append(Part(name, data, item.get_filename() is not None))
    if len(parts) > max_parts:
        raise Refusal("malformed_body", f"more than {max_parts} form parts")


def _fast(body: bytes, boundary: bytes, max_parts: int) -> list[Part]:
    dash = b"--" + boundary
    first = body.find(dash)
    if first < 0 or (first > 0 and body[first - 2 : first] != _CRLF):  # a preamble ends with CRLF
        raise _Unusual
    pos = first + len(dash)
    parts: list[Part] = []
    while True:
        if body.startswith(b"--", pos):  # the close delimiter; the epilogue after its line end is ignored
            if body[pos + 2 : pos + 4] not in (b"", _CRLF) or not parts:
                raise _Unusual
            return parts
        if not body.startswith(_CRLF, pos):  # transport padding, or a longer line that is no delimiter
            raise _Unusual
        start = pos + 2
        head_end = body.find(b"\r\n\r\n", start)
        if head_end <= start:  # a part without headers, or none that end
            raise _Unusual
        raw = body[start : head_end + 2]
        crlf = raw.count(_CRLF)
        if raw.count(b"\r") != crlf or raw.count(b"\n") != crlf:  # bare CR or LF: other line ends to the stdlib
            raise _Unusual
        plain = _plain_headers(raw)
        item = None if plain else _headers(raw + _CRLF)
        if item is not None and item.get_content_maintype() == "multipart":
            raise _Unusual
        end = body.find(dash, head_end + 4)
        # The stdlib parser also takes `--boundary` after a bare CR or LF as a delimiter: such bodies, and bodies
        # without a closing delimiter, are left to it.
        if end < 0 or body[end - 2 : end] != _CRLF:
            raise _Unusual
        end -= 2
        if plain:
            parts.append(Part(plain[0], body[head_end + 4 : end], plain[1]))
            if len(parts) > max_parts:
                raise Refusal("malformed_body", f"more than {max_parts} form parts")
        else:
            assert item is not None
            _part(item, body[head_end + 4 : end], parts, max_parts)
        pos = end + 2 + len(dash)


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
