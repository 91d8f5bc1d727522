"""The minidump reader: every field on synthetic Windows/Linux/macOS dumps, and hostile input never raises."""

from __future__ import annotations

import dataclasses
import importlib.util
import random
import struct
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest

from ingest.crash.minidump import MODULE, MinidumpInfo, ModuleInfo, parse_minidump

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "minidumps"
U32 = struct.Struct("<I")
DIRECTORY_ENTRY = struct.Struct("<III")


def _load_maker() -> ModuleType:
    spec = importlib.util.spec_from_file_location("minidump_fixture_maker", FIXTURES / "make.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


make = _load_maker()
WINDOWS_DMP = (FIXTURES / "windows_amd64.dmp").read_bytes()
LINUX_DMP = (FIXTURES / "linux_arm64.dmp").read_bytes()


def _stream(data: bytes, stype: int) -> tuple[int, int, int]:
    """(offset of the directory entry, data size, rva) of the first stream of this type."""
    n_streams, dir_rva = struct.unpack_from("<II", data, 8)
    for i in range(n_streams):
        off = dir_rva + i * DIRECTORY_ENTRY.size
        found, size, rva = DIRECTORY_ENTRY.unpack_from(data, off)
        if found == stype:
            return off, size, rva
    raise LookupError(stype)


def _patched(data: bytes, offset: int, value: int) -> bytes:
    buf = bytearray(data)
    U32.pack_into(buf, offset, value)
    return bytes(buf)


def _first_module_name_rva(data: bytes) -> int:
    _off, _size, rva = _stream(data, 4)
    return rva + 4 + 20  # count, then BaseOfImage(8) SizeOfImage CheckSum TimeDateStamp -> ModuleNameRva


def test_fixtures_are_what_make_py_writes() -> None:
    assert WINDOWS_DMP == make.build_minidump(make.WINDOWS)
    assert LINUX_DMP == make.build_minidump(make.LINUX)
    assert MODULE.size == 108  # MINIDUMP_MODULE is packed: no padding before the 8-byte reserved fields


def test_windows_dump_every_field() -> None:
    info = parse_minidump(WINDOWS_DMP)
    assert info == MinidumpInfo(
        ok=True,
        error=None,
        exception_code=0xC0000005,
        exception_name="EXCEPTION_ACCESS_VIOLATION",
        crash_address=0x7FF6_1234_5678,
        crashing_thread_id=4242,
        os="windows",
        os_version="10.0.22631",
        cpu_arch="amd64",
        thread_count=2,
        module_count=3,
        modules=[
            ModuleInfo(
                path=r"C:\Users\Bob Smith\AppData\Local\Programs\interpreter\interpreter.exe",
                base=0x7FF6_1230_0000,
                size=0x9000,
                version="1.4.2.7",
                debug_id="3249D99D0F4083194B4BB7D6E7B1D0E31",
                code_id="5AB380779000",
            ),
            ModuleInfo(
                path=r"C:\Windows\System32\ntdll.dll",
                base=0x7FFA_0000_0000,
                size=0x1F8000,
                version="10.0.22621.2506",
                debug_id="1EB2FE24A2E14C5A9D2F0D0A1B2C3D4E2",
                code_id="4A6E1F2B1f8000",
            ),
            ModuleInfo(path=r"C:\Windows\System32\KERNEL32.DLL", base=0x7FF9_F000_0000, size=0xC4000),
        ],
        stream_types=[7, 6, 3, 4],
    )


def test_linux_breakpad_dump_every_field() -> None:
    info = parse_minidump(LINUX_DMP)
    assert info == MinidumpInfo(
        ok=True,
        exception_code=11,
        exception_name="SIGSEGV",
        crash_address=0xDEADBEEF,
        crashing_thread_id=777,
        os="linux",
        os_version="6.5.0",
        cpu_arch="arm64",
        thread_count=1,
        module_count=2,
        modules=[
            ModuleInfo(path="/usr/bin/app", base=0x5555_5555_0000, size=0x20000),
            ModuleInfo(
                path="/home/alice/.local/share/app/libfoo.so",
                base=0x7F00_0000_0000,
                size=0x4000,
                # Breakpad/Sentry form of this build id: 451a38b5-0679-79d2-0738-22a5ceb24c4b, age 0.
                debug_id="451A38B5067979D2073822A5CEB24C4B0",
                code_id="b5381a457906d279073822a5ceb24c4bfef94ddb",
            ),
        ],
        stream_types=[7, 6, 3, 4],
    )


@pytest.mark.parametrize(
    ("platform_id", "arch", "code", "os_name", "cpu", "name"),
    [
        (0x8101, 0x8003, 1, "macos", "arm64", "EXC_BAD_ACCESS"),
        (0x8102, 12, 6, "ios", "arm64", "EXC_BREAKPOINT"),
        (0x8203, 5, 6, "android", "arm", "SIGABRT"),
        (0x8201, 0, 0xFFFFFFFF, "linux", "x86", "DUMP_REQUESTED"),
        (2, 10, 0xC0000409, "windows", "x86", "EXCEPTION_STACK_BUFFER_OVERRUN"),
        (2, 12, 0x12345678, "windows", "arm64", None),
        # dumps that record no fault, named so triage tells them from crashes (Crashpad's own codes)
        (2, 9, 0, "windows", "amd64", "DUMP_WITHOUT_CRASH"),
        (0x8101, 0x8003, 0, "macos", "arm64", "DUMP_WITHOUT_CRASH"),
        (2, 9, 0x0517A7ED, "windows", "amd64", "SIMULATED_CRASH"),
        (0x8101, 0x8003, 0x43507378, "macos", "arm64", "SIMULATED_CRASH"),
        (0x8102, 12, 0x43507378, "ios", "arm64", "SIMULATED_CRASH"),
        (0x8102, 12, 0x43506E78, "ios", "arm64", "NSEXCEPTION_UNCAUGHT"),  # 'CPnx': a real uncaught NSException
        (0x8201, 0, 0x43507378, "linux", "x86", None),  # the Mach code means nothing on Linux
        (0x9999, 0x7777, 11, None, None, None),
    ],
)
def test_platform_arch_and_exception_names(
    platform_id: int, arch: int, code: int, os_name: str | None, cpu: str | None, name: str | None
) -> None:
    dump = dataclasses.replace(make.LINUX, platform_id=platform_id, arch=arch, exception=(code, 0x10, 1))
    info = parse_minidump(make.build_minidump(dump))
    assert (info.ok, info.os, info.cpu_arch, info.exception_code, info.exception_name) == (
        True,
        os_name,
        cpu,
        code,
        name,
    )


def test_macos_rsds_has_debug_id_but_no_pe_code_id() -> None:
    mod = make.Module(
        "/Applications/App.app/Contents/MacOS/App",
        base=0x1000,
        size=0x2000,
        timestamp=7,
        codeview=("rsds", (0x11223344, 0x5566, 0x7788, bytes(range(8))), 0),
    )
    info = parse_minidump(make.build_minidump(dataclasses.replace(make.LINUX, platform_id=0x8101, modules=[mod])))
    assert info.modules[0].debug_id == "112233445566778800010203040506070"
    assert info.modules[0].code_id is None


def test_dump_without_exception_or_modules() -> None:
    info = parse_minidump(make.build_minidump(dataclasses.replace(make.WINDOWS, exception=None, modules=[])))
    assert info.ok and info.exception_code is None and info.crash_address is None
    assert info.exception_name == "DUMP_WITHOUT_CRASH"  # no exception stream: no fault was recorded
    assert info.crashing_thread_id is None and info.module_count == 0 and info.modules == []
    assert info.stream_types == [7, 3, 4]  # the unused (type 0) slot is not reported


def test_max_modules_caps_the_list_not_the_count() -> None:
    info = parse_minidump(WINDOWS_DMP, max_modules=2)
    assert info.ok and info.module_count == 3 and len(info.modules) == 2
    assert parse_minidump(WINDOWS_DMP, max_modules=0).modules == []


def test_module_list_with_padding_after_the_count() -> None:
    # Older Breakpad Linux writers put 4 bytes after the count; rebuild the stream that way at the end.
    off, size, rva = _stream(LINUX_DMP, 4)
    body = LINUX_DMP[rva : rva + size]
    padded = body[:4] + b"\0\0\0\0" + body[4:]
    buf = bytearray(LINUX_DMP + padded)
    DIRECTORY_ENTRY.pack_into(buf, off, 4, len(padded), len(LINUX_DMP))
    assert parse_minidump(bytes(buf)).modules == parse_minidump(LINUX_DMP).modules


def test_accepts_bytearray_and_memoryview() -> None:
    expected = parse_minidump(LINUX_DMP)
    assert parse_minidump(bytearray(LINUX_DMP)) == expected
    assert parse_minidump(memoryview(LINUX_DMP)) == expected
    assert parse_minidump("MDMP").error == "not_bytes"  # type: ignore[arg-type]


def _hostile_cases() -> list[tuple[str, bytes, str]]:
    dmp = WINDOWS_DMP
    mod_off, mod_size, mod_rva = _stream(dmp, 4)
    exc_off, _exc_size, _exc_rva = _stream(dmp, 6)
    sys_off, _sys_size, _sys_rva = _stream(dmp, 7)
    thr_off, thr_size, thr_rva = _stream(dmp, 3)
    name_rva_at = _first_module_name_rva(dmp)
    (name_rva,) = U32.unpack_from(dmp, name_rva_at)
    cv_size_at = mod_rva + 4 + 24 + 52  # CvRecord follows the header fields and VS_FIXEDFILEINFO
    return [
        ("empty", b"", "empty"),
        ("wrong signature", b"PAGEDU64" + dmp[8:], "bad_signature"),
        ("text file", b"hello world, not a dump", "bad_signature"),
        ("signature only", b"MDM", "truncated"),
        ("truncated header", dmp[:20], "truncated"),
        ("bad version", _patched(dmp, 4, 0x1234), "bad_version"),
        ("stream count 2^31", _patched(dmp, 8, 2**31), "too_many_streams"),
        ("directory outside", _patched(dmp, 12, len(dmp) - 4), "directory_out_of_bounds"),
        ("directory rva 2^32-1", _patched(dmp, 12, 0xFFFFFFFF), "directory_out_of_bounds"),
        ("truncated after directory", dmp[:80], "stream_out_of_bounds"),
        ("stream rva outside", _patched(dmp, mod_off + 8, len(dmp)), "stream_out_of_bounds"),
        ("stream size past end", _patched(dmp, mod_off + 4, 0xFFFFFFFF), "stream_out_of_bounds"),
        ("tiny system info", _patched(dmp, sys_off + 4, 8), "bad_system_info"),
        ("tiny exception", _patched(dmp, exc_off + 4, 8), "bad_exception_stream"),
        ("module count 2^31", _patched(dmp, mod_rva, 2**31), "module_list_count_out_of_bounds"),
        ("module count 2^32-1", _patched(dmp, mod_rva, 0xFFFFFFFF), "module_list_count_out_of_bounds"),
        ("module list one byte short", _patched(dmp, mod_off + 4, mod_size - 1), "module_list_count_out_of_bounds"),
        ("thread list one byte long", _patched(dmp, thr_off + 4, thr_size + 1), "thread_list_size_mismatch"),
        ("module list under 4 bytes", _patched(dmp, mod_off + 4, 3), "module_list_truncated"),
        ("thread count 2^31", _patched(dmp, thr_rva, 2**31), "thread_list_count_out_of_bounds"),
        ("string length past end", _patched(dmp, name_rva, len(dmp)), "string_out_of_bounds"),
        ("string length 2^31", _patched(dmp, name_rva, 2**31), "string_too_long"),
        ("string rva outside", _patched(dmp, name_rva_at, len(dmp) - 2), "string_out_of_bounds"),
        ("cv record outside", _patched(dmp, cv_size_at + 4, len(dmp) - 8), "cv_record_out_of_bounds"),
        ("cv size 2^32-1", _patched(dmp, cv_size_at, 0xFFFFFFFF), "cv_record_out_of_bounds"),
        ("unused thread stream type", _patched(dmp, thr_off, 0xFFFF), "ok"),
    ]


@pytest.mark.parametrize(("label", "data", "error"), _hostile_cases(), ids=[c[0] for c in _hostile_cases()])
def test_hostile_input_table(label: str, data: bytes, error: str) -> None:
    info = parse_minidump(data)
    if error == "ok":
        assert info.ok and info.error is None
        return
    assert info == MinidumpInfo(ok=False, error=error), label


def test_odd_string_length_drops_the_stray_byte() -> None:
    (name_rva,) = U32.unpack_from(WINDOWS_DMP, _first_module_name_rva(WINDOWS_DMP))
    info = parse_minidump(_patched(WINDOWS_DMP, name_rva, 5))
    assert info.ok and info.modules[0].path == "C:"


def test_every_module_pointing_at_one_long_name_hits_the_string_budget() -> None:
    # 2000 modules share one 64 KiB name: decoding each would cost ~128 MB for a ~280 KB upload.
    name = "A" * 32767
    mods = [make.Module(name, base=i, size=1) for i in range(2)]
    data = bytearray(make.build_minidump(dataclasses.replace(make.WINDOWS, modules=mods)))
    _off, size, rva = _stream(bytes(data), 4)
    (shared_name,) = U32.unpack_from(data, rva + 4 + 20)
    entry = bytearray(data[rva + 4 : rva + 4 + MODULE.size])
    U32.pack_into(entry, 20, shared_name)
    listing = U32.pack(2000) + bytes(entry) * 2000
    DIRECTORY_ENTRY.pack_into(data, _off, 4, len(listing), len(data))
    data.extend(listing)
    started = time.thread_time()  # CPU time of this thread: a bound on the work done, not on how busy the machine is
    assert parse_minidump(bytes(data)) == MinidumpInfo(ok=False, error="string_budget_exceeded")
    assert time.thread_time() - started < 1.0


def _mutations(seed: int, count: int) -> list[bytes]:
    rng = random.Random(seed)
    seeds = [WINDOWS_DMP, LINUX_DMP]
    boundary = [0, 1, 3, 4, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFFFFFC, len(WINDOWS_DMP), len(WINDOWS_DMP) - 1]
    out: list[bytes] = []
    for i in range(count):
        base = bytearray(rng.choice(seeds))
        kind = i % 5
        if kind == 0:  # pure noise, sometimes with a valid signature
            noise = bytearray(rng.randbytes(rng.randrange(0, 1200)))
            out.append(bytes((b"MDMP\x93\xa7\0\0" + noise) if rng.random() < 0.5 else noise))
            continue
        if kind == 1:  # bit flips anywhere
            for _ in range(rng.randrange(1, 8)):
                pos = rng.randrange(len(base))
                base[pos] ^= 1 << rng.randrange(8)
        elif kind == 2:  # aligned u32 overwritten with a boundary value (hits counts, sizes, RVAs)
            for _ in range(rng.randrange(1, 4)):
                pos = rng.randrange(0, len(base) - 3) & ~3
                U32.pack_into(base, pos, rng.choice(boundary))
        elif kind == 3:  # truncation
            del base[rng.randrange(len(base)) :]
        else:  # random byte runs
            pos = rng.randrange(len(base))
            base[pos : pos + 16] = rng.randbytes(16)
        out.append(bytes(base))
    return out


def test_fuzzed_variants_never_raise_and_finish_quickly() -> None:
    variants = _mutations(seed=20240601, count=2000)
    started = time.thread_time()  # CPU time of this thread: a bound on the work done, not on how busy the machine is
    errors: set[str] = set()
    for data in variants:
        info = parse_minidump(data)
        assert isinstance(info, MinidumpInfo)
        assert info.ok == (info.error is None)
        assert info.error != "internal_error", data.hex()
        if info.error:
            errors.add(info.error)
        assert len(info.modules) <= info.module_count <= len(data)
        assert all(len(m.path) <= 32767 for m in info.modules)
    assert time.thread_time() - started < 5.0
    assert {"bad_signature", "truncated", "stream_out_of_bounds"} <= errors  # the fuzzer reaches deep checks


def test_the_module_list_read_in_one_pass_matches_reading_each_module(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without ids the module list is read with one struct pass (Parser.brief_modules); on the fixtures and on the
    fuzzed variants it gives what reading each module on its own gives: the same modules, errors and budget."""
    from ingest.crash import minidump

    dumps = [WINDOWS_DMP, LINUX_DMP, *_mutations(seed=20251203, count=1500)]
    fast = [parse_minidump(data, ids=False) for data in dumps]
    monkeypatch.setattr(minidump._Parser, "brief_modules", lambda self, first, count: [
        self.module(first + i * MODULE.size, None) for i in range(count)])
    one_by_one = [parse_minidump(data, ids=False) for data in dumps]
    assert fast == one_by_one
    assert sum(len(info.modules) for info in fast) > 1000  # the variants keep module lists to compare
