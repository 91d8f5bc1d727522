"""Parse a (decompressed) multipart/form-data body into named parts; upload file names are dropped here."""

from __future__ import annotations

import email.parser
import email.policy

import msgspec

from ingest.errors import Refusal

FORM_TYPE = "multipart/form-data"


class Part(msgspec.Struct, frozen=True):
    name: str
    data: bytes
    is_file: bool  # sent with a filename; the name itself is never kept (it may hold a path or a user name)


def parse_form(body: bytes, content_type: str, max_parts: int = 256) -> list[Part]:
    """All parts in order. The stdlib parser handles binary parts byte-exactly; the caller bounds the body size."""
    if not content_type.lower().startswith(FORM_TYPE):
        raise Refusal("unsupported_media_type", "crash uploads must be multipart/form-data")
    header = b"Content-Type: " + content_type.encode("latin-1", "replace") + b"\r\n\r\n"
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(header + body)
    if not message.is_multipart():
        raise Refusal("malformed_body", "the body is not a multipart/form-data stream with a boundary")
    parts: list[Part] = []
    for item in message.iter_parts():
        name = item.get_param("name", header="content-disposition")
        if not isinstance(name, str) or not name:
            raise Refusal("malformed_body", "every form part needs a Content-Disposition name")
        payload = item.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        parts.append(Part(name, data, item.get_filename() is not None))
        if len(parts) > max_parts:
            raise Refusal("malformed_body", f"more than {max_parts} form parts")
    return parts
