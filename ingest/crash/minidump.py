"""Safe minidump reader: the few facts a crash report needs, read from an untrusted dump.

Pure parsing: no I/O and no redaction (module paths come back exactly as the dump holds them;
the caller redacts them). Every count, RVA and length is checked against the buffer before use,
and decoded strings share a budget of len(data) bytes, so hostile input costs O(len(data)) and
yields MinidumpInfo(ok=False, error=...) instead of an exception. Layout: Microsoft MINIDUMP_*
structures plus the Breakpad/Crashpad extensions (platform/CPU ids, signals as exception codes,
ELF build ids as CodeView records).
"""

from __future__ import annotations

import re
import struct

import msgspec

SIGNATURE = 0x504D444D  # "MDMP" read as a little-endian u32
VERSION_LOW = 0xA793  # MINIDUMP_VERSION; the high word is writer-specific and ignored
THREAD_LIST_STREAM, MODULE_LIST_STREAM, EXCEPTION_STREAM, SYSTEM_INFO_STREAM = 3, 4, 6, 7
UNUSED_STREAM = 0  # writers reserve directory slots with type 0; they carry nothing

# Signature, Version, NumberOfStreams, StreamDirectoryRva, CheckSum, TimeDateStamp, Flags.
HEADER = struct.Struct("<IIIIIIQ")
# StreamType, Location.DataSize, Location.Rva.
DIRECTORY_ENTRY = struct.Struct("<III")
# ProcessorArchitecture, ProcessorLevel, ProcessorRevision, NumberOfProcessors, ProductType,
# MajorVersion, MinorVersion, BuildNumber, PlatformId, CSDVersionRva (the CPU block is not read).
SYSTEM_INFO = struct.Struct("<HHHBBIIIII")
SYSTEM_INFO_V0 = struct.Struct("<HHHBBIIII")  # the same without the CSD string
# ThreadId, alignment, ExceptionCode, ExceptionFlags, ExceptionRecord, ExceptionAddress.
EXCEPTION = struct.Struct("<IIIIQQ")
U32 = struct.Struct("<I")
# MINIDUMP_MODULE (packed, 108 bytes): BaseOfImage, SizeOfImage, CheckSum, TimeDateStamp,
# ModuleNameRva, VS_FIXEDFILEINFO (13 u32), CvRecord (size, rva); MiscRecord and Reserved0/1 skipped.
MODULE = struct.Struct("<QIIII13III8x16x")
# The fields read when ids are not wanted: BaseOfImage, SizeOfImage, ModuleNameRva, and of VS_FIXEDFILEINFO
# dwSignature, dwFileVersionMS and dwFileVersionLS (the rest skipped as padding); same 108-byte stride.
MODULE_BRIEF = struct.Struct("<QI4x4xII4xII68x")
THREAD_SIZE = 48  # MINIDUMP_THREAD; only counted, never read
VS_FFI_SIGNATURE = 0xFEEF04BD
# CodeView records: RSDS = signature, GUID, age (PDB 7.0); NB10 = signature, offset, timestamp, age.
CV_RSDS = struct.Struct("<I16sI")
CV_NB10 = struct.Struct("<IIII")
GUID = struct.Struct("<IHH8s")  # Data1, Data2, Data3, Data4: the field split Breakpad debug ids use
CV_SIG_RSDS, CV_SIG_NB10, CV_SIG_ELF = 0x53445352, 0x3031424E, 0x4270454C  # "RSDS", "NB10", "LEpB"

MAX_STREAMS = 1024  # real dumps carry ~10-30; more is a forged header
MAX_STRING_BYTES = 65534  # 32767 UTF-16 units: the Windows long-path limit
MAX_BUILD_ID = 256  # GNU build ids are 16-20 bytes; longer "ids" are ignored, not hex-dumped

# One row per family keeps these lookup tables readable; the formatter would explode them.
# fmt: off
PLATFORMS = {
    0: "windows", 1: "windows", 2: "windows", 3: "windows",  # VER_PLATFORM_WIN32s/_WINDOWS/_NT/_CE
    0x8000: "unix", 0x8101: "macos", 0x8102: "ios", 0x8201: "linux", 0x8202: "solaris",
    0x8203: "android", 0x8204: "ps3", 0x8205: "nacl", 0x8206: "fuchsia",  # Breakpad's custom ids
}
ARCHES = {
    0: "x86", 1: "mips", 2: "alpha", 3: "ppc", 4: "shx", 5: "arm", 6: "ia64", 7: "alpha64", 8: "msil",
    9: "amd64", 10: "x86", 12: "arm64",  # 10 = IA32 on Win64 (a WOW64 process)
    0x8001: "sparc", 0x8002: "ppc64", 0x8003: "arm64", 0x8004: "mips64", 0x8005: "riscv", 0x8006: "riscv64",
}
WINDOWS_EXCEPTIONS = {
    0x80000001: "EXCEPTION_GUARD_PAGE", 0x80000002: "EXCEPTION_DATATYPE_MISALIGNMENT",
    0x80000003: "EXCEPTION_BREAKPOINT", 0x80000004: "EXCEPTION_SINGLE_STEP",
    0xC0000005: "EXCEPTION_ACCESS_VIOLATION", 0xC0000006: "EXCEPTION_IN_PAGE_ERROR",
    0xC0000008: "EXCEPTION_INVALID_HANDLE", 0xC000000D: "STATUS_INVALID_PARAMETER", 0xC0000017: "EXCEPTION_NO_MEMORY",
    0xC000001D: "EXCEPTION_ILLEGAL_INSTRUCTION", 0xC0000025: "EXCEPTION_NONCONTINUABLE_EXCEPTION",
    0xC0000026: "EXCEPTION_INVALID_DISPOSITION", 0xC000008C: "EXCEPTION_ARRAY_BOUNDS_EXCEEDED",
    0xC000008D: "EXCEPTION_FLT_DENORMAL_OPERAND", 0xC000008E: "EXCEPTION_FLT_DIVIDE_BY_ZERO",
    0xC000008F: "EXCEPTION_FLT_INEXACT_RESULT", 0xC0000090: "EXCEPTION_FLT_INVALID_OPERATION",
    0xC0000091: "EXCEPTION_FLT_OVERFLOW", 0xC0000092: "EXCEPTION_FLT_STACK_CHECK",
    0xC0000093: "EXCEPTION_FLT_UNDERFLOW", 0xC0000094: "EXCEPTION_INT_DIVIDE_BY_ZERO",
    0xC0000095: "EXCEPTION_INT_OVERFLOW", 0xC0000096: "EXCEPTION_PRIV_INSTRUCTION",
    0xC00000FD: "EXCEPTION_STACK_OVERFLOW", 0xC0000194: "EXCEPTION_POSSIBLE_DEADLOCK",
    0xC0000374: "EXCEPTION_HEAP_CORRUPTION", 0xC0000409: "EXCEPTION_STACK_BUFFER_OVERRUN",
    0xC0000602: "EXCEPTION_FAIL_FAST",
}
# Breakpad/Crashpad on Linux and Android store the signal number as the exception code.
LINUX_SIGNALS = {
    1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT", 7: "SIGBUS",
    8: "SIGFPE", 9: "SIGKILL", 10: "SIGUSR1", 11: "SIGSEGV", 12: "SIGUSR2", 13: "SIGPIPE",
    14: "SIGALRM", 15: "SIGTERM", 16: "SIGSTKFLT", 24: "SIGXCPU", 25: "SIGXFSZ", 31: "SIGSYS",
    0xFFFFFFFF: "DUMP_REQUESTED",  # Breakpad: a dump written on request, not after a crash
}
# On macOS/iOS they store the Mach exception type (the BSD signal is not in the dump).
MACH_EXCEPTIONS = {
    1: "EXC_BAD_ACCESS", 2: "EXC_BAD_INSTRUCTION", 3: "EXC_ARITHMETIC", 4: "EXC_EMULATION",
    5: "EXC_SOFTWARE", 6: "EXC_BREAKPOINT", 7: "EXC_SYSCALL", 8: "EXC_MACH_SYSCALL", 9: "EXC_RPC_ALERT",
    10: "EXC_CRASH", 11: "EXC_RESOURCE", 12: "EXC_GUARD", 13: "EXC_CORPSE_NOTIFY",
}
# Codes that name no fault: the writer was asked for a dump (Crashpad's DumpWithoutCrash / SimulateCrash,
# Breakpad's WriteMinidump), the process may well have kept running. Triage must tell them from real faults.
DUMP_WITHOUT_CRASH = "DUMP_WITHOUT_CRASH"  # exception code 0: the exception stream records no exception
SIMULATED_CRASH = "SIMULATED_CRASH"
SIMULATED = {
    "windows": {0x0517A7ED: SIMULATED_CRASH},  # Crashpad's kSimulatedExceptionCode
    "macos": {0x43507378: SIMULATED_CRASH,  # 'CPsx': Crashpad's kMachExceptionSimulated
              0x43506E78: "NSEXCEPTION_UNCAUGHT"},  # 'CPnx': an uncaught NSException, a real (fatal) crash
}
SIMULATED["ios"] = SIMULATED["macos"]
# fmt: on


class ModuleInfo(msgspec.Struct, frozen=True):
    """One loaded module; path is raw (unredacted) as written in the dump."""

    path: str
    base: int
    size: int
    version: str | None = None
    debug_id: str | None = None
    code_id: str | None = None


class MinidumpInfo(msgspec.Struct, frozen=True):
    """What parse_minidump read; when ok is False only error is meaningful."""

    ok: bool
    error: str | None = None
    exception_code: int | None = None
    exception_name: str | None = None
    crash_address: int | None = None
    crashing_thread_id: int | None = None
    os: str | None = None
    os_version: str | None = None
    cpu_arch: str | None = None
    thread_count: int | None = None
    module_count: int = 0
    modules: list[ModuleInfo] = msgspec.field(default_factory=list)
    stream_types: list[int] = msgspec.field(default_factory=list)


class _Invalid(Exception):
    """Internal: the dump is malformed; reason becomes MinidumpInfo.error."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _file_version(signature: int, ms: int, ls: int) -> str | None:
    """A module's VS_FIXEDFILEINFO file version; None where the block is zeroed (Breakpad on Linux/macOS)."""
    if signature != VS_FFI_SIGNATURE:
        return None
    return f"{ms >> 16}.{ms & 0xFFFF}.{ls >> 16}.{ls & 0xFFFF}"


def parse_minidump(data: bytes | bytearray | memoryview, *, max_modules: int = 2000,
                   ids: bool = True) -> MinidumpInfo:
    """Parse an untrusted minidump; never raises, returns ok=False with a short reason instead.

    `data` is read in place, never copied whole: a memoryview of a mapped file (a dump staged on disk as it
    arrived) has only the pages the parser touches read in. `ids=False` skips the modules' debug and code ids
    (CodeView records), which the ingest pipeline does not store."""
    if not isinstance(data, bytes | bytearray | memoryview):
        return MinidumpInfo(ok=False, error="not_bytes")
    view = data if isinstance(data, bytes) else memoryview(data).cast("B")
    try:
        return _Parser(view, max(0, max_modules), ids).parse()
    except _Invalid as exc:
        return MinidumpInfo(ok=False, error=exc.reason)
    except Exception:  # a reader bug must not kill the ingest worker; the fuzz test asserts this never fires
        return MinidumpInfo(ok=False, error="internal_error")


class _Parser:
    def __init__(self, data: bytes | memoryview, max_modules: int, ids: bool = True) -> None:
        self.data = data
        self.max_modules = max_modules
        self.ids = ids
        # Honest dumps never decode the same bytes twice, so total string bytes <= len(data);
        # forged dumps pointing every module at one long name hit this instead of our memory.
        self.string_budget = len(data)

    def need(self, rva: int, size: int, reason: str) -> None:
        if rva + size > len(self.data):  # rva and size are u32s read from the dump: never negative
            raise _Invalid(reason)

    def parse(self) -> MinidumpInfo:
        data = self.data
        if not data:
            raise _Invalid("empty")
        if data[:4] != U32.pack(SIGNATURE)[: len(data)]:
            raise _Invalid("bad_signature")
        self.need(0, HEADER.size, "truncated")
        _sig, version, n_streams, dir_rva, _cksum, _stamp, _flags = HEADER.unpack_from(data, 0)
        if version & 0xFFFF != VERSION_LOW:
            raise _Invalid("bad_version")
        if n_streams > MAX_STREAMS:
            raise _Invalid("too_many_streams")
        self.need(dir_rva, n_streams * DIRECTORY_ENTRY.size, "directory_out_of_bounds")
        streams: dict[int, tuple[int, int]] = {}
        stream_types: list[int] = []
        for i in range(n_streams):
            stype, size, rva = DIRECTORY_ENTRY.unpack_from(data, dir_rva + i * DIRECTORY_ENTRY.size)
            self.need(rva, size, "stream_out_of_bounds")
            if stype != UNUSED_STREAM:
                stream_types.append(stype)
                streams.setdefault(stype, (rva, size))  # first wins, as in Breakpad's processor

        os_name = os_version = cpu_arch = None
        if SYSTEM_INFO_STREAM in streams:
            rva, size = streams[SYSTEM_INFO_STREAM]
            if size < SYSTEM_INFO_V0.size:
                raise _Invalid("bad_system_info")
            arch, _lvl, _rev, _ncpu, _ptype, major, minor, build, platform, csd_rva = SYSTEM_INFO.unpack_from(
                data, rva) if size >= SYSTEM_INFO.size else (*SYSTEM_INFO_V0.unpack_from(data, rva), 0)
            os_name, cpu_arch = PLATFORMS.get(platform), ARCHES.get(arch)
            os_version = f"{major}.{minor}.{build}" if (major, minor, build) != (0, 0, 0) else None
            if os_version is None and csd_rva and os_name in ("linux", "android"):
                try:
                    os_version = _kernel_release(self.string(csd_rva))
                except _Invalid:
                    os_version = None  # a broken CSD string costs the version, not the dump

        code = address = thread_id = None
        name = None if EXCEPTION_STREAM in streams else DUMP_WITHOUT_CRASH  # no fault recorded: written on request
        if EXCEPTION_STREAM in streams:
            rva, size = streams[EXCEPTION_STREAM]
            if size < EXCEPTION.size:
                raise _Invalid("bad_exception_stream")
            thread_id, _align, code, _flags, _record, address = EXCEPTION.unpack_from(data, rva)
            name = _exception_name(code, os_name)

        thread_count = None
        if THREAD_LIST_STREAM in streams:
            thread_count, _first = self.list_layout(streams[THREAD_LIST_STREAM], THREAD_SIZE, "thread_list")

        module_count, modules = 0, []
        if MODULE_LIST_STREAM in streams:
            module_count, first = self.list_layout(streams[MODULE_LIST_STREAM], MODULE.size, "module_list")
            read = min(module_count, self.max_modules)
            if self.ids:
                modules = [self.module(first + i * MODULE.size, os_name) for i in range(read)]
            else:
                modules = self.brief_modules(first, read)

        return MinidumpInfo(
            ok=True,
            exception_code=code,
            exception_name=name,
            crash_address=address,
            crashing_thread_id=thread_id,
            os=os_name,
            os_version=os_version,
            cpu_arch=cpu_arch,
            thread_count=thread_count,
            module_count=module_count,
            modules=modules,
            stream_types=stream_types,
        )

    def list_layout(self, location: tuple[int, int], entry_size: int, name: str) -> tuple[int, int]:
        """Validate a count-prefixed list stream; return (count, rva of the first entry)."""
        rva, size = location
        if size < U32.size:
            raise _Invalid(f"{name}_truncated")
        (count,) = U32.unpack_from(self.data, rva)
        body = count * entry_size
        if U32.size + body > size:
            raise _Invalid(f"{name}_count_out_of_bounds")
        # Exactly count entries, optionally after 4 padding bytes that some writers put after the
        # count to 8-align the entries (Breakpad on Linux did); anything else is a forged size.
        if size == U32.size + body:
            return count, rva + U32.size
        if size == 2 * U32.size + body:
            return count, rva + 2 * U32.size
        raise _Invalid(f"{name}_size_mismatch")

    def module(self, rva: int, os_name: str | None) -> ModuleInfo:
        base, size, _cksum, stamp, name_rva, *rest = MODULE.unpack_from(self.data, rva)
        ffi, (cv_size, cv_rva) = rest[:13], rest[13:]
        version = _file_version(ffi[0], ffi[2], ffi[3])  # dwSignature, dwFileVersionMS, dwFileVersionLS
        # The PE code id Windows symbol servers use: TimeDateStamp then SizeOfImage. Mach-O dumps
        # also carry RSDS records (holding the UUID), where these two fields mean nothing.
        debug_id = code_id = None
        if self.ids:
            pe_code_id = f"{stamp:08X}{size:x}" if os_name in (None, "windows") else None
            debug_id, code_id = self.codeview(cv_rva, cv_size, pe_code_id)
        return ModuleInfo(self.string(name_rva), base, size, version, debug_id, code_id)

    def brief_modules(self, first: int, count: int) -> list[ModuleInfo]:
        """`module` without the CodeView ids, for the whole list in one pass (the ingest pipeline's case: a
        dump's 100-300 modules were a fifth of a Crashpad upload's parse-and-redact time, read one by one)."""
        entries = memoryview(self.data)[first:first + count * MODULE_BRIEF.size]
        string, modules = self.string, []
        for base, size, name_rva, signature, ms, ls in MODULE_BRIEF.iter_unpack(entries):
            modules.append(ModuleInfo(string(name_rva), base, size, _file_version(signature, ms, ls), None, None))
        return modules

    def string(self, rva: int) -> str:
        """Read a MINIDUMP_STRING: u32 byte length, then UTF-16LE without the terminator."""
        self.need(rva, U32.size, "string_out_of_bounds")
        (length,) = U32.unpack_from(self.data, rva)
        if length > MAX_STRING_BYTES:
            raise _Invalid("string_too_long")
        self.need(rva + U32.size, length, "string_out_of_bounds")
        self.string_budget -= length
        if self.string_budget < 0:
            raise _Invalid("string_budget_exceeded")
        length -= length % 2  # a stray odd byte cannot be UTF-16; drop it rather than fail the dump
        return str(self.data[rva + U32.size : rva + U32.size + length], "utf-16-le", "replace")

    def codeview(self, rva: int, size: int, pe_code_id: str | None) -> tuple[str | None, str | None]:
        """(debug_id, code_id) in Breakpad form from a CodeView record; unknown kinds give (None, None)."""
        if size == 0:
            return None, None
        self.need(rva, size, "cv_record_out_of_bounds")
        if size < U32.size:
            return None, None
        (sig,) = U32.unpack_from(self.data, rva)
        if sig == CV_SIG_RSDS and size >= CV_RSDS.size:
            _sig, guid, age = CV_RSDS.unpack_from(self.data, rva)
            return _guid_hex(guid) + f"{age:X}", pe_code_id
        if sig == CV_SIG_NB10 and size >= CV_NB10.size:
            _sig, _offset, stamp, age = CV_NB10.unpack_from(self.data, rva)
            return f"{stamp:08X}{age:X}", pe_code_id
        if sig == CV_SIG_ELF and U32.size < size <= U32.size + MAX_BUILD_ID:
            build_id = bytes(self.data[rva + U32.size : rva + size])
            # Breakpad's ELF debug id: the first 16 build-id bytes read as a GUID, age 0.
            return _guid_hex(build_id[:16].ljust(16, b"\0")) + "0", build_id.hex()
        return None, None


def _guid_hex(raw: bytes) -> str:
    data1, data2, data3, data4 = GUID.unpack(raw)
    return f"{data1:08X}{data2:04X}{data3:04X}{data4.hex().upper()}"


_KERNEL_RELEASE = re.compile(r"\d+(?:\.\d+){1,3}")


def _kernel_release(csd: str) -> str | None:
    """Breakpad on Linux leaves the version numbers 0 and writes `uname` as the CSD string
    ("Linux 4.9.60-linuxkit-aufs #1 SMP ... x86_64"): the kernel release's numbers are the OS version."""
    words = csd.split()
    found = _KERNEL_RELEASE.match(words[1]) if len(words) > 1 and words[0] == "Linux" else None
    return found.group(0) if found else None


def _exception_name(code: int, os_name: str | None) -> str | None:
    if code == 0:
        return DUMP_WITHOUT_CRASH
    simulated = SIMULATED.get(os_name or "windows", {}).get(code)
    if simulated is not None:
        return simulated
    if os_name in ("linux", "android"):
        return LINUX_SIGNALS.get(code)
    if os_name in ("macos", "ios"):
        return MACH_EXCEPTIONS.get(code)
    if os_name in (None, "windows"):
        return WINDOWS_EXCEPTIONS.get(code)
    return None
