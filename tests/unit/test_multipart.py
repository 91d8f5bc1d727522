"""parse_form: the fast path (bytes.find) gives exactly the stdlib parser's parts, and leaves unusual bodies to it."""

from __future__ import annotations

import base64
import random
import time

import pytest

from ingest.crash import multipart
from ingest.crash.multipart import FormReader, Part, PartLimit, parse_form
from ingest.errors import Refusal

B = "XyZ"
TYPE = f"multipart/form-data; boundary={B}"


def part(name: str, data: bytes, filename: str | None = None, extra: str = "") -> bytes:
    disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
    head = f"--{B}\r\nContent-Disposition: {disposition}\r\n{extra}"
    head += "Content-Type: application/octet-stream\r\n" if filename else ""
    return head.encode() + b"\r\n" + data + b"\r\n"


def stdlib(body: bytes, content_type: str = TYPE) -> object:
    try:
        return multipart._stdlib(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body, 256)
    except Refusal as exc:
        return exc.code


def either(body: bytes, content_type: str = TYPE) -> object:
    try:
        return parse_form(body, content_type)
    except Refusal as exc:
        return exc.code


def test_crashpad_body_takes_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    dump = bytes(range(256)) * 1200 + b"\r\n--Xy\r\n-XyZ\r\n"  # binary, CRLFs, near-delimiters
    body = part("prod", b"Example App") + part("ver", b"28.2.1") + part("upload_file_minidump", dump, "up.dmp") \
        + f"--{B}--\r\n".encode()
    expected = [Part("prod", b"Example App", False), Part("ver", b"28.2.1", False),
                Part("upload_file_minidump", dump, True)]
    assert stdlib(body) == expected

    def refuse(*args: object) -> None:
        raise AssertionError("the stdlib parser was used")

    headers_read = []
    read_headers = multipart._headers
    monkeypatch.setattr(multipart, "_stdlib", refuse)
    monkeypatch.setattr(multipart, "_headers", lambda raw: headers_read.append(raw) or read_headers(raw))
    assert parse_form(body, TYPE) == expected
    assert headers_read == []  # the request's Content-Type and the part headers all take the plain reading


@pytest.mark.parametrize("body", [
    part("a", base64.b64encode(b"\x00\x01binary"), extra="Content-Transfer-Encoding: base64\r\n") + b"--XyZ--\r\n",
    part("a", b"x").replace(b"\r\n", b"\n") + b"--XyZ--\n",  # LF line ends
    part("a", b"x\n--XyZ\nContent-Disposition: form-data; name=\"b\"\n\ny") + b"--XyZ--\r\n",  # a bare-LF delimiter
    part("a", b"x") + b"--XyZ--trailing\r\n",
    part("a", b"x\r\n--XyZ-is-data") + b"--XyZ--\r\n",
    part("a", b"x"),  # no closing delimiter
    b"preamble\r\n" + part("a", b"x", "C:\\Users\\bob\\f.dmp") + b"--XyZ--\r\nepilogue",
    part("a", b"x", extra="Content-Type: text/plain; name=\"f.txt\"\r\n") + b"--XyZ--\r\n",  # a file by its type
    f'--{B}\r\nContent-Disposition: form-data; name=u\r\n\r\nx\r\n--{B}--\r\n'.encode(),
    f'--{B}\r\nContent-Disposition: form-data; name="a"; filename*=utf-8\'\'x\r\n\r\nx\r\n--{B}--\r\n'.encode(),
    f"--{B}\r\nContent-Disposition: form-data\r\n\r\nx\r\n--{B}--\r\n".encode(),  # no name: refused
    f"--{B}--\r\n".encode(),  # no parts
])
def test_unusual_bodies_read_as_the_stdlib_reads_them(body: bytes) -> None:
    assert either(body) == stdlib(body)


def test_decoded_transfer_encoding_is_kept() -> None:
    body = part("a", base64.b64encode(b"\x00\x01binary"), extra="Content-Transfer-Encoding: base64\r\n") \
        + b"--XyZ--\r\n"
    assert parse_form(body, TYPE) == [Part("a", b"\x00\x01binary", False)]


def test_random_and_mangled_bodies_match_the_stdlib() -> None:
    rng = random.Random(7)
    pieces = [b"\r\n", b"\n", b"\r", b"--", B.encode(), b"a", b"\x00", b"\xff", b" ", b'"', b";", b":", b"\t",
              b"Content-Transfer-Encoding: base64\r\n", b"name=", b"\\", b"filename*=",
              b"CONTENT-DISPOSITION: form-data; name=q\r\n"]
    for _ in range(3000):
        parts = [part(f"n{j}", b"".join(rng.choice(pieces) for _ in range(rng.randrange(12))),
                      "f" if rng.random() < 0.3 else None) for j in range(rng.randrange(4))]
        body = bytearray((b"pre\r\n" if rng.random() < 0.1 else b"") + b"".join(parts) + f"--{B}--\r\n".encode())
        if rng.random() < 0.6:
            for _ in range(rng.randrange(1, 4)):
                at = rng.randrange(len(body) + 1)
                if rng.random() < 0.4:
                    del body[at : at + rng.randrange(1, 4)]
                else:
                    body[at:at] = rng.choice(pieces)
        assert either(bytes(body)) == stdlib(bytes(body)), bytes(body)


def test_too_many_parts_is_refused_on_the_fast_path() -> None:
    body = b"".join(part(f"n{i}", b"x") for i in range(5)) + f"--{B}--\r\n".encode()
    with pytest.raises(Refusal) as info:
        parse_form(body, TYPE, max_parts=4)
    assert info.value.code == "malformed_body"


def pieces(body: bytes, rng: random.Random) -> list[bytes]:
    out, at = [], 0
    while at < len(body):
        step = rng.choice([1, 2, 3, 5, 8, 64, 4096])
        out.append(body[at:at + step])
        at += step
    return out


def streamed(body: bytes, rng: random.Random, **kwargs: object) -> object:
    try:
        reader = FormReader(TYPE, **kwargs)  # type: ignore[arg-type]
        for piece in pieces(body, rng):
            reader.feed(piece)
        return reader.close()
    except Refusal as exc:
        return exc.code


def test_bodies_fed_in_pieces_read_as_whole_bodies() -> None:
    """FormReader fed 1 to 4096 bytes at a time gives what the whole body gives (and so the stdlib's parts)."""
    rng = random.Random(11)
    pieces_ = [b"\r\n", b"\n", b"\r", b"--", B.encode(), b"-" + B.encode(), b"a", b"\x00", b" ", b'"', b":"]
    dump = bytes(range(256)) * 40 + b"\r\n--Xy\r\n-XyZ\r\n"
    for _ in range(1500):
        parts = [part(f"n{j}", b"".join(rng.choice(pieces_) for _ in range(rng.randrange(12)))
                      + (dump if rng.random() < 0.2 else b""), "f" if rng.random() < 0.3 else None)
                 for j in range(rng.randrange(4))]
        body = bytearray((b"pre\r\n" if rng.random() < 0.1 else b"") + b"".join(parts) + f"--{B}--\r\n".encode())
        if rng.random() < 0.5:
            at = rng.randrange(len(body) + 1)
            body[at:at] = rng.choice(pieces_)
        assert streamed(bytes(body), rng) == either(bytes(body)), bytes(body)


def test_part_limits_refuse_or_drop_while_reading() -> None:
    def limits(name: str, is_file: bool) -> PartLimit:
        return PartLimit(10) if name == "small" else PartLimit(4, drop=True)

    reader = FormReader(TYPE, limits=limits)
    reader.feed(part("note", b"long enough") + part("small", b"0123456789"))
    with pytest.raises(Refusal) as refused:
        reader.feed(part("small", b"0123456789" + b"X" * 20)[:-2])  # refused before the part (or the body) ends
    assert refused.value.code == "part_too_large"
    body = part("note", b"long enough") + part("ok", b"abc") + f"--{B}--\r\n".encode()
    assert parse_form(body, TYPE, limits=limits) == [Part("note", b"", False, dropped=True), Part("ok", b"abc", False)]


def test_one_huge_part_is_refused_at_its_limit_with_bounded_memory() -> None:
    """63 MiB of `\\xff\\n` in one part, fed as it would inflate: refused once the part passes its limit; the
    reader held at most that limit."""
    reader = FormReader(TYPE, limits=lambda name, is_file: PartLimit(1 << 20))
    reader.feed(f'--{B}\r\nContent-Disposition: form-data; name="upload_file_minidump"; filename="d"\r\n\r\n'.encode())
    chunk = b"\xff\n" * (32 << 10)
    started = time.thread_time()  # CPU time of this thread: a bound on the work done, not on how busy the machine is
    with pytest.raises(Refusal) as refused:
        for _ in range(63 * 16):
            reader.feed(chunk)
    assert refused.value.code == "part_too_large"
    assert time.thread_time() - started < 0.5


@pytest.mark.parametrize("shape", ["crlf", "bare-lf"])
def test_many_empty_parts_are_refused_quickly(shape: str) -> None:
    """164,000 empty parts in ~24 KB gzip (here plain): refused at the part limit, not parsed to the end."""
    one = f'--{B}\r\nContent-Disposition: form-data; name="a"\r\n\r\n\r\n'.encode()
    body = one * 164_000 + f"--{B}--\r\n".encode()
    if shape == "bare-lf":
        body = body.replace(b"\r\n", b"\n")
    started = time.thread_time()  # CPU time of this thread: a bound on the work done, not on how busy the machine is
    with pytest.raises(Refusal) as refused:
        parse_form(body, TYPE)
    assert refused.value.code == "malformed_body"
    assert time.thread_time() - started < 0.5


class Sink:
    """A PartSink that records what it was given (copies: the views are of the reader's buffer)."""

    def __init__(self) -> None:
        self.pieces: list[bytes] = []
        self.discarded = False

    def write(self, data: memoryview) -> None:
        self.pieces.append(bytes(data))

    def discard(self) -> None:
        self.discarded = True


def streaming(sinks: list[Sink], cap: int = 1 << 20) -> tuple[multipart.PartLimits, object]:
    def limits(name: str, is_file: bool) -> PartLimit:
        return PartLimit(cap, stream=True) if name == "dump" else PartLimit(1024)

    def stage() -> Sink:
        sinks.append(Sink())
        return sinks[-1]

    return limits, stage


def test_a_streamed_part_goes_to_its_sink_as_it_arrives_never_held() -> None:
    dump = random.Random(7).randbytes(200_000)
    body = part("note", b"hello") + part("dump", dump, "d.dmp") + f"--{B}--\r\n".encode()
    sinks: list[Sink] = []
    limits, stage = streaming(sinks)
    reader = FormReader(TYPE, limits=limits, stage=stage)  # type: ignore[arg-type]
    for start in range(0, len(body), 7000):
        reader.feed(body[start:start + 7000])
        assert sum(len(p) for s in sinks for p in s.pieces) <= start + 7000  # written while reading
    note, streamed = reader.close()
    assert (note.data, note.staged) == (b"hello", None)
    assert streamed.data == b"" and streamed.staged is sinks[0] and len(sinks) == 1
    assert b"".join(sinks[0].pieces) == dump and len(sinks[0].pieces) > 1


def test_a_streamed_part_over_its_cap_is_refused_and_its_sink_dropped() -> None:
    body = part("dump", b"x" * 5000, "d.dmp") + f"--{B}--\r\n".encode()
    sinks: list[Sink] = []
    limits, stage = streaming(sinks, cap=4000)
    reader = FormReader(TYPE, limits=limits, stage=stage)  # type: ignore[arg-type]
    with pytest.raises(Refusal) as refused:
        for start in range(0, len(body), 1000):
            reader.feed(body[start:start + 1000])
    assert refused.value.code == "part_too_large"
    reader.discard()
    assert [s.discarded for s in sinks] == [True]


def test_an_unusual_small_body_drops_its_sinks_and_reads_in_memory() -> None:
    """No closing delimiter: found only at the end, after the part began streaming; the stdlib parser reads the
    body again, every part into memory."""
    body = part("dump", b"MDMP data " * 100, "d.dmp")
    sinks: list[Sink] = []
    limits, stage = streaming(sinks)
    reader = FormReader(TYPE, limits=limits, stage=stage)  # type: ignore[arg-type]
    reader.feed(body)
    assert len(sinks) == 1 and sinks[0].pieces  # streaming had begun
    (dump,) = reader.close()
    assert dump.data == b"MDMP data " * 100 and dump.staged is None
    assert sinks[0].discarded


# --- the request's boundary ----------------------------------------------------------------------------------


def _stdlib_boundary(content_type: str) -> str | None:
    return multipart._headers(multipart._type_header(content_type)).get_boundary()


@pytest.mark.parametrize("content_type", [
    "multipart/form-data; boundary=---------------------------crashpad-7d8f2c1e9a",  # Crashpad
    "multipart/form-data; boundary=f8d4c2a1b3e5",  # Breakpad's HTTPUpload, sentry-native
    'multipart/form-data; boundary="----WebKitFormBoundary7MA4YWxkTrZu0gW"',
    "Multipart/Form-Data;boundary=abc", "multipart/form-data ;  boundary=x'y*z ",
    'multipart/form-data; boundary="a b;c=d"', 'multipart/form-data; boundary="ends in space "',
    "multipart/form-data; boundary=abc; charset=utf-8", 'multipart/form-data; boundary="a\\"b"',
    "multipart/form-data; boundary=a(b)", "multipart/form-data; charset=utf-8; boundary=abc",
    "multipart/form-data; boundary=", "multipart/form-data", "multipart/form-data; boundary*=utf-8''abc",
])
def test_the_plain_boundary_reading_agrees_with_the_stdlib(content_type: str) -> None:
    assert multipart._boundary(content_type) == _stdlib_boundary(content_type)


def test_generated_content_types_get_the_stdlib_boundary() -> None:
    """Content types made of the characters that matter (quotes, escapes, separators, spaces): wherever the
    plain reading takes one, it reads the boundary the stdlib parser does."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    pieces = st.text(alphabet='ab-_\'"\\;= \t(),.:/?*%', max_size=24)

    @settings(max_examples=400, deadline=None, derandomize=True)
    @given(head=st.sampled_from(["multipart/form-data; boundary=", "multipart/form-data;boundary=",
                                 'MULTIPART/form-data; boundary="']), rest=pieces)
    def agrees(head: str, rest: str) -> None:
        assert multipart._boundary(head + rest) == _stdlib_boundary(head + rest)

    agrees()
