"""The client: consent, the install id, the event queue, crash capture, withdrawal."""

from __future__ import annotations

import atexit
import collections
import faulthandler
import gzip
import json
import logging
import os
import platform
import random
import sys
import threading
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from consentry_client import _crash, _limits, _redaction, _transport
from consentry_client._store import OutboxItem, Store
from consentry_client._transport import Answer, Refusal
from consentry_client._validate import (
    check_context_value,
    check_name,
    check_policy_version,
    check_props,
    context_value_or_none,
)

log = logging.getLogger("consentry_client")

CONSENT_STATES = ("private", "telemetry", "telemetry+crash")
DEFAULT_POLICY_VERSION = "unspecified"  # the registry requires one: pass the version your consent screen showed
PRIVATE_ENV = "CONSENTRY_CLIENT_PRIVATE"  # set (to anything but 0/false/no/off) to force `private`, as DO_NOT_TRACK
_TRUTHY_OFF = ("", "0", "false", "no", "off")
_CONSENT_SCOPES = {"private": ("denied", "denied"), "telemetry": ("granted", "denied"),
                   "telemetry+crash": ("granted", "granted")}
# Refusals that end sending for the install, not just for one batch.
_STOP_CODES = ("consent_denied", "consent_withdrawn")
_SPLIT_CODES = ("too_many_events", "body_too_large", "decompressed_too_large")
# A batch is kept under the collector's body cap uncompressed, so it is under it compressed too (gzip adds ~0.1 %).
_BATCH_BYTES = min(_limits.MAX_BODY_BYTES, _limits.MAX_DECOMPRESSED_BYTES) - (64 << 10)
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))  # once: dumps() with options builds one per call
_PERSIST_AFTER_S = 1.0  # tracked events reach the on-disk queue within this long


class ConsentError(RuntimeError):
    """An action the recorded consent does not allow (sending a crash report without `telemetry+crash`)."""


def _uuid4_strings(n: int) -> list[str]:
    """n random (version 4) UUIDs as text, from one read of the OS's random source."""
    raw = bytearray(os.urandom(16 * n))
    raw[6::16] = bytes((b & 0x0F) | 0x40 for b in raw[6::16])  # version 4
    raw[8::16] = bytes((b & 0x3F) | 0x80 for b in raw[8::16])  # RFC 4122 variant
    h = raw.hex()
    return [f"{h[i:i + 8]}-{h[i + 8:i + 12]}-{h[i + 12:i + 16]}-{h[i + 16:i + 20]}-{h[i + 20:i + 32]}"
            for i in range(0, 32 * n, 32)]


_second: tuple[int, str] = (-1, "")  # the last whole second formatted, and its text (swapped whole: thread-safe)


def _iso_ms(t: float) -> str:
    """`2026-11-22T18:00:00.123Z` from epoch seconds; the date part is formatted once per second."""
    global _second
    whole, text = _second
    if whole != int(t):
        whole = int(t)
        text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole))
        _second = (whole, text)
    return f"{text}.{int((t - whole) * 1000):03d}Z"


def _platform_context() -> tuple[str, str | None]:
    if sys.platform == "darwin":
        return "macos", context_value_or_none(platform.mac_ver()[0])
    if sys.platform == "win32":
        return "windows", context_value_or_none(platform.release())
    if sys.platform.startswith("linux"):
        return "linux", context_value_or_none(platform.release())
    return context_value_or_none(sys.platform) or "unknown", context_value_or_none(platform.release())


class Client:
    """Consentry's client for one app on one machine. Nothing is sent until the app records a consent choice
    other than `private`, and crash reports only when the user accepts each one (`pending_crashes()`).

    endpoint:          the collector's base URL, e.g. "https://telemetry.example.com"
    app, app_version:  context of every event and crash (the collector's context pattern)
    data_dir:          the app's data directory; the client keeps `consentry/` in it
    policy_version:    the privacy-policy version the user agreed to ("2026-11"), recorded with each consent choice
                       and sent with every event and crash report (the registry's pattern; default "unspecified")
    batch_size:        events per request, and the queue length that triggers a send (at most 1000)
    flush_interval:    seconds an event may wait before a send is due
    max_queued_events: the on-disk queue's bound; past it the oldest events are dropped (`client.dropped`)
    capture_crashes:   install sys.excepthook / threading.excepthook (they only write pending reports)
    hard_crashes:      also enable faulthandler into the data directory (segfaults, aborts)
    environ:           where DO_NOT_TRACK / CONSENTRY_CLIENT_PRIVATE are read (default os.environ)
    """

    def __init__(self, endpoint: str, *, app: str, app_version: str, data_dir: str | os.PathLike[str],
                 policy_version: str = DEFAULT_POLICY_VERSION, device_type: str | None = None, batch_size: int = 100,
                 flush_interval: float = 10.0, max_queued_events: int = 10_000, request_timeout: float = 10.0,
                 backoff_max: float = 300.0, capture_crashes: bool = True, hard_crashes: bool = False,
                 environ: Mapping[str, str] | None = None) -> None:
        if not endpoint.startswith(("http://", "https://")):
            raise ValueError(f"endpoint must be an http(s) URL, not {endpoint!r}")
        if not 1 <= batch_size <= _limits.MAX_EVENTS_PER_BATCH:
            raise ValueError(f"batch_size must be 1 to {_limits.MAX_EVENTS_PER_BATCH}")
        self.endpoint = endpoint.rstrip("/")
        os_name, os_version = _platform_context()
        context = {"app": check_context_value(app, "app"),
                   "app_version": check_context_value(app_version, "app_version"), "os": os_name}
        if os_version:
            context["os_version"] = os_version
        if device_type is not None:
            context["device_type"] = check_context_value(device_type, "device_type")
        self._context = context
        self._context_json = json.dumps(context, sort_keys=True, separators=(",", ":"))
        self._policy_version = check_policy_version(policy_version)
        self._batch_size = batch_size
        self._max_queued = max_queued_events
        self._max_batch = batch_size  # halved when a collector with lower limits answers 413
        self._flush_interval = float(flush_interval)
        self._request_timeout = float(request_timeout)
        self._backoff_max = float(backoff_max)
        env = os.environ if environ is None else environ
        self.forced_private: str | None = next(
            (name for name in ("DO_NOT_TRACK", PRIVATE_ENV) if env.get(name, "").strip().lower() not in _TRUTHY_OFF),
            None)
        """The environment variable that forces `private`, or None."""

        self._dir = Path(data_dir) / "consentry"
        self._dir.mkdir(parents=True, exist_ok=True)
        self._crash_dir = self._dir / "crashes"
        self._store = Store(self._dir / "client.sqlite3", max_queued_events)
        self._lock = threading.RLock()
        self._progress = threading.Condition()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._buffer: collections.deque[tuple[str, dict[str, Any], float]] = collections.deque()
        self._breadcrumbs: collections.deque[str] = collections.deque(maxlen=20)
        self._session_id = str(uuid.uuid4())
        self._failures = 0
        self._backoff_until = 0.0
        self._retry_after_until = float(self._store.get("retry_after_until") or 0.0)
        # flush() asks by bumping _flush_gen; the sender marks a request done (_flushed_gen) only after a pass that
        # began after it (so it moved everything tracked before the flush to disk) left nothing queued.
        self._flush_gen = 0
        self._flushed_gen = 0
        self.dropped = 0
        """Events dropped because the queue was full or they grew older than the collector accepts."""

        stored = self._store.get("consent")
        self._consent = stored if stored in CONSENT_STATES else "private"
        self._install_id = self._store.get("install_id")
        self._blocked = self._install_id is not None and self._store.get("blocked") == self._install_id
        self._closed = False

        self._fault_file: IO[str] | None = None
        self._hard_crashes = hard_crashes
        self._collect_fatal()
        self._hooks = capture_crashes
        if capture_crashes:
            self._prev_excepthook = sys.excepthook
            self._prev_threadhook = threading.excepthook
            sys.excepthook = self._excepthook
            threading.excepthook = self._threadhook
        self._sync_faulthandler()
        atexit.register(self._atexit)
        self._thread = threading.Thread(target=self._run, name="consentry-client", daemon=True)
        self._thread.start()

    # what the app reads ---------------------------------------------------------------------------------------
    @property
    def consent(self) -> str:
        """"private" (the default until the app records a choice, and whenever DO_NOT_TRACK or
        CONSENTRY_CLIENT_PRIVATE is set), "telemetry" or "telemetry+crash"."""
        return "private" if self.forced_private else self._consent

    @property
    def install_id(self) -> str | None:
        """The random install id (created on the first consent other than private), or None."""
        return self._install_id

    @property
    def refusal(self) -> Refusal | None:
        """The last terminal refusal from the collector (what was dropped and why), or None."""
        text = self._store.get("refusal")
        return Refusal.from_json(text) if text else None

    @property
    def deletion_receipt(self) -> str | None:
        """The id of the last deletion request the collector acknowledged (see `withdraw()`)."""
        return self._store.get("deletion_receipt")

    @property
    def queued(self) -> int:
        """Events waiting to be sent (in memory and on disk)."""
        return len(self._buffer) + self._store.queued

    # consent ----------------------------------------------------------------------------------------------------
    def set_consent(self, state: str) -> None:
        """Record the user's choice: "private", "telemetry" or "telemetry+crash". The change is sent to the
        consent registry (queued when offline). Going private drops queued events and pending crash reports;
        going to "telemetry" drops pending crash reports."""
        if state not in CONSENT_STATES:
            raise ValueError(f"consent must be one of {', '.join(CONSENT_STATES)}, not {state!r}")
        with self._lock:
            if state == self._consent and not self._blocked:
                return
            if state != "private" and self._install_id is None:
                self._install_id = str(uuid.uuid4())
            if state == "private":
                self._drop_telemetry()
            if state != "telemetry+crash":
                self._drop_crashes()
            self._consent = state
            self._store.put(consent=state, install_id=self._install_id, blocked=None)
            self._blocked = False
            if self._install_id is not None:
                self._queue_consent(self._install_id, state)
            if state == "private":
                self._store.purge()
            self._sync_faulthandler()
        self._wake.set()

    def reset_id(self) -> str | None:
        """Start a new random install id (nothing links it to the old one); returns it, or None while private.
        Events and crash reports already queued keep the id they were recorded under."""
        with self._lock:
            if self._consent == "private":
                self._install_id = None
                self._store.put(install_id=None)
                return None
            self._install_id = str(uuid.uuid4())
            self._store.put(install_id=self._install_id, blocked=None)
            self._blocked = False
            self._queue_consent(self._install_id, self._consent)
        self._wake.set()
        return self._install_id

    def withdraw(self, timeout: float = 5.0) -> str | None:
        """The user withdraws consent: queued events and pending crash reports are deleted, sending stops
        (consent becomes private, the install id is forgotten) and a deletion request for everything collected
        under the id is filed. Returns its receipt id once the collector acknowledged it within `timeout`,
        else None (the request stays queued and is sent later; `deletion_receipt` then holds the id)."""
        with self._lock:
            install_id = self._install_id
            self._drop_telemetry()
            self._drop_crashes()
            self._store.outbox_drop(["consent"])
            self._consent, self._install_id = "private", None
            self._store.put(consent="private", install_id=None, blocked=None, deletion_receipt=None)
            self._blocked = False
            self._sync_faulthandler()
            seq = None
            if install_id is not None:
                if not self.forced_private:
                    self._queue_consent(install_id, "private")
                body = json.dumps({"install_id": install_id, "reason": "consent_withdrawn"})
                seq = self._store.outbox_add("deletion", install_id, body, time.time())
            self._store.purge()
        if seq is None:
            return None
        self._flush_gen += 1
        self._wake.set()
        deadline = time.monotonic() + timeout
        with self._progress:
            while self._store.outbox_has(seq) and not self._closed:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._progress.wait(remaining)
        return self.deletion_receipt

    def _queue_consent(self, install_id: str, state: str) -> None:
        telemetry, crash_report = _CONSENT_SCOPES[state]
        body = {"telemetry": telemetry, "crash_report": crash_report, "policy_version": self._policy_version}
        self._store.outbox_drop_consent(install_id)  # only the latest choice matters to the registry
        self._store.outbox_add("consent", install_id, json.dumps(body), time.time())

    def _drop_telemetry(self) -> None:
        self._buffer.clear()
        self._store.drop_events()

    def _drop_crashes(self) -> None:
        self._store.outbox_drop(["crash"])
        if self._crash_dir.exists():
            for path in self._crash_dir.iterdir():
                if path.name != "fatal.log":
                    _crash._unlink(path)

    # events -----------------------------------------------------------------------------------------------------
    def track(self, name: str, /, **props: Any) -> None:
        """Queue one event. `name` and `props` are checked as the collector checks them, whatever the consent:
        a ValidationError says what is wrong. Under `private` the event is then dropped, never stored."""
        check_name(name)
        check_props(props)
        self._breadcrumbs.append(name)
        if self._consent == "private" or self.forced_private or self._blocked or self._closed:
            return
        buffer = self._buffer
        if len(buffer) >= self._max_queued:  # the sender is stuck (a slow request): the oldest go, counted
            buffer.popleft()
            self.dropped += 1
        buffer.append((name, props, time.time()))
        if len(buffer) == 1 or len(buffer) == self._batch_size:  # on crossing only: set() is not free
            self._wake.set()

    def flush(self, timeout: float = 5.0) -> bool:
        """Send what is queued now (consent changes, accepted crash reports, events), waiting at most `timeout`
        seconds; True when nothing is left to send. A Retry-After from the collector is honoured even here."""
        deadline = time.monotonic() + timeout
        self._flush_gen += 1
        self._backoff_until = 0.0
        self._wake.set()
        with self._progress:
            while True:
                if self._empty():
                    return True
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._closed or not self._thread.is_alive():
                    return self._empty()
                self._progress.wait(min(remaining, 0.25))

    def _empty(self) -> bool:
        with self._lock:  # not while _persist() holds events popped from memory but not yet on disk
            return not self._buffer and self._store.queued == 0 and self._store.outbox_count() == 0

    def shutdown(self, timeout: float = 2.0) -> None:
        """Flush what can be sent within `timeout` seconds, then stop. Never blocks longer; what was not sent
        stays on disk for the next start."""
        if self._closed:
            return
        deadline = time.monotonic() + max(0.0, timeout)
        self._persist()
        if timeout > 0:
            self.flush(timeout)
        self._stopping.set()
        self._wake.set()
        self._thread.join(max(0.0, deadline - time.monotonic()))
        self._persist()
        self._closed = True
        with self._progress:
            self._progress.notify_all()
        if self._hooks:
            if sys.excepthook == self._excepthook:
                sys.excepthook = self._prev_excepthook
            if threading.excepthook == self._threadhook:
                threading.excepthook = self._prev_threadhook
        self._stop_faulthandler(remove=False)
        atexit.unregister(self._atexit)
        if not self._thread.is_alive():
            self._store.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    def _atexit(self) -> None:
        try:
            self._persist()
        except Exception:  # the app is exiting: never raise from here
            pass

    def _persist(self) -> None:
        """Move tracked events from memory to the on-disk queue (each gets its event id and timestamp here)."""
        if not self._buffer:
            return
        with self._lock:  # so withdraw() or a consent change cannot interleave with moving events to disk
            buffer, items = self._buffer, []
            while True:
                try:
                    items.append(buffer.popleft())
                except IndexError:
                    break
            install_id = self._install_id
            if not items or install_id is None or self._consent == "private" or self._blocked or self._closed:
                return
            # Built as text: the name matched its pattern and the ids and time need no escaping, so only the
            # props go through the JSON encoder. (About half the cost of encoding the whole event.)
            head = f'","session_id":"{self._session_id}","props":'
            dumps, ids = _JSON.encode, _uuid4_strings(len(items))
            rows = [(f'{{"event_id":"{event_id}","name":"{name}","ts":"{_iso_ms(created)}{head}'
                     f'{dumps(props)}}}', created)
                    for event_id, (name, props, created) in zip(ids, items)]
            self.dropped += self._store.add_events(install_id, self._context_json, rows)

    # crashes ----------------------------------------------------------------------------------------------------
    def pending_crashes(self) -> list[_crash.PendingCrash]:
        """Crash reports waiting for the user's decision, oldest first (none unless consent is
        "telemetry+crash"). Show `report.preview()`, then call `report.send()` or `report.discard()`."""
        if self.consent != "telemetry+crash" or not self._crash_dir.exists():
            return []
        found = []
        for path in sorted(self._crash_dir.glob("*.json")):
            try:
                report = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                _crash._unlink(path)  # a torn or unreadable file is never offered
                continue
            found.append(_crash.PendingCrash(self, path, report))
        return sorted(found, key=lambda r: r.ts)

    def capture_crash(self, exc: BaseException) -> _crash.PendingCrash | None:
        """Write a pending report for a handled exception (nothing is sent); None unless consent is
        "telemetry+crash"."""
        return self._capture(type(exc), exc.__str__(), _crash.frames_from_traceback(exc.__traceback__))

    def _capture(self, kind: type[BaseException] | str, message: str,
                 frames: list[_crash.FrameTuple]) -> _crash.PendingCrash | None:
        install_id = self._install_id
        if self.consent != "telemetry+crash" or install_id is None:
            return None
        report = _crash.build_report(
            install_id=install_id, context=self._context, policy_version=self._policy_version,
            exc_type=kind if isinstance(kind, str) else _crash.type_name(kind), message=message, frames=frames,
            ts=_iso_ms(time.time()), breadcrumbs=list(self._breadcrumbs), extra=_crash.runtime_extra(),
            scrub=_redaction.scrubber())
        path = _crash.write_pending(self._crash_dir, report)
        return _crash.PendingCrash(self, path, report)

    def _excepthook(self, kind: type[BaseException], value: BaseException,
                    tb: TracebackType | None) -> None:
        self._on_uncaught(kind, value, tb)
        self._prev_excepthook(kind, value, tb)

    def _threadhook(self, args: Any) -> None:
        if args.exc_type is not SystemExit:
            self._on_uncaught(args.exc_type, args.exc_value, args.exc_traceback)
        self._prev_threadhook(args)

    def _on_uncaught(self, kind: type[BaseException], value: BaseException | None,
                     tb: TracebackType | None) -> None:
        try:
            self._persist()
            if not issubclass(kind, KeyboardInterrupt):
                self._capture(kind, "" if value is None else str(value), _crash.frames_from_traceback(tb))
        except Exception:  # a broken report must never hide the app's own traceback
            log.debug("crash capture failed", exc_info=True)

    def _send_crash(self, report: dict[str, Any], path: Path) -> None:
        with self._lock:
            if self.consent != "telemetry+crash":
                raise ConsentError(f"crash reports need consent telemetry+crash (consent is {self.consent})")
            self._store.outbox_add("crash", str(report["install_id"]), json.dumps(report, ensure_ascii=False),
                                   time.time())
            _crash._unlink(path)
        self._flush_gen += 1
        self._wake.set()

    def _collect_fatal(self) -> None:
        """A faulthandler dump left by the last run becomes a pending report (or is deleted without consent)."""
        path = self._crash_dir / "fatal.log"
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return
        path.write_text("")
        if text.strip():
            what, frames = _crash.frames_from_faulthandler(text)
            self._capture("FatalError", what, frames)

    def _sync_faulthandler(self) -> None:
        if self._hard_crashes and self.consent == "telemetry+crash":
            if self._fault_file is None:
                self._crash_dir.mkdir(parents=True, exist_ok=True)
                self._fault_file = open(self._crash_dir / "fatal.log", "w", encoding="utf-8")  # noqa: SIM115
                faulthandler.enable(file=self._fault_file, all_threads=False)
        else:
            self._stop_faulthandler(remove=True)

    def _stop_faulthandler(self, remove: bool) -> None:
        if self._fault_file is not None:
            faulthandler.disable()
            self._fault_file.close()
            self._fault_file = None
            if remove:
                _crash._unlink(self._crash_dir / "fatal.log")

    # sending ----------------------------------------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self._step()
            except Exception:
                log.warning("consentry client: sending failed", exc_info=True)
                self._backoff()
            with self._progress:
                self._progress.notify_all()
            self._wake.wait(self._next_wait())
            self._wake.clear()

    def _next_wait(self) -> float | None:
        now = time.time()
        if self._buffer:
            return _PERSIST_AFTER_S
        blocked_until = max(self._retry_after_until, self._backoff_until)
        if blocked_until > now:
            return blocked_until - now
        if self._store.outbox_count() and self._sendable_outbox():
            return 0.5
        if self._store.queued and self._telemetry_allowed():
            if self._flush_gen > self._flushed_gen:
                return 0.05
            oldest = self._store.oldest_event() or now
            return max(0.05, oldest + self._flush_interval - now)
        return None

    def _telemetry_allowed(self) -> bool:
        return self.consent != "private" and self._install_id is not None and not self._blocked

    def _sendable(self, item: OutboxItem) -> bool:
        if item.kind == "deletion":
            return True  # the user's own request to delete: sent even when forced private
        if self.forced_private:
            return False
        return item.kind == "consent" or self.consent == "telemetry+crash"

    def _sendable_outbox(self) -> bool:
        return any(self._sendable(item) for item in self._store.outbox_items())

    def _step(self) -> None:
        gen = self._flush_gen
        self._persist()
        now = time.time()
        if now < self._retry_after_until or now < self._backoff_until:
            return
        for item in self._store.outbox_items():
            if self._stopping.is_set():
                return
            if self._sendable(item) and not self._deliver(item):
                return
        if not self._telemetry_allowed() or not self._store.queued:
            self._flushed_gen = gen
            return
        oldest_allowed = now - _limits.MAX_EVENT_AGE_DAYS * 86_400 + 3_600
        self.dropped += self._store.drop_events_before(oldest_allowed)
        oldest = self._store.oldest_event()
        due = (gen > self._flushed_gen or self._store.queued >= self._batch_size
               or (oldest is not None and oldest + self._flush_interval <= now))
        while due and self._store.queued and not self._stopping.is_set() and self._telemetry_allowed():
            batch = self._store.next_batch(self._max_batch, _BATCH_BYTES)
            if not batch or not self._send_events(batch):
                return
        if not self._store.queued:
            self._flushed_gen = gen

    def _deliver(self, item: OutboxItem) -> bool:
        """Send one outbox item; True when it is done with (sent, or refused for good)."""
        if item.kind == "consent":
            answer = self._call("PUT", f"/v1/installs/{item.install_id}/consent", item.body.encode("utf-8"),
                                {"Content-Type": "application/json"})
        elif item.kind == "deletion":
            answer = self._call("POST", "/v1/deletion-requests", item.body.encode("utf-8"),
                                {"Content-Type": "application/json"})
        else:
            boundary = uuid.uuid4().hex
            body = _transport.multipart({"report": ("application/json", item.body.encode("utf-8"))}, boundary)
            answer = self._call("POST", "/v1/crashes", gzip.compress(body, mtime=0),
                                {"Content-Type": f"multipart/form-data; boundary={boundary}",
                                 "Content-Encoding": "gzip"})
        if answer is None or answer.transient:
            return False
        if answer.ok:
            if item.kind == "deletion":
                self._store.put(deletion_receipt=str(answer.json().get("request_id", "")) or None)
        else:
            self._refused(answer, item.kind)
        self._store.outbox_delete(item.seq)
        return True

    def _send_events(self, batch: list[tuple[int, str, str, str]]) -> bool:
        consent = {"telemetry": "granted", "policy_version": self._policy_version}
        head = json.dumps({"install_id": batch[0][1], "consent": consent}, separators=(",", ":"))
        text = f'{head[:-1]},"context":{batch[0][2]},"events":[{",".join(row[3] for row in batch)}]}}'
        answer = self._call("POST", "/v1/events", _transport.gzip_json(text),
                            {"Content-Type": "application/json", "Content-Encoding": "gzip"})
        if answer is None or answer.transient:
            return False
        if not answer.ok:
            code, _ = answer.error()
            if code in _SPLIT_CODES and len(batch) > 1:
                self._max_batch = max(1, len(batch) // 2)  # a collector configured below the defaults
                return True
            self._refused(answer, "events")
            if code in _STOP_CODES:
                return False
        self._store.delete_events(row[0] for row in batch)
        return True

    def _call(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> Answer | None:
        """One request; on a network failure or a transient answer, schedules the retry and returns None/answer."""
        try:
            answer = _transport.request(method, self.endpoint + path, body, headers, self._request_timeout)
        except (OSError, ValueError) as exc:
            log.debug("consentry client: %s %s failed: %s", method, path, exc)
            self._backoff()
            return None
        if answer.transient:
            delay = answer.retry_after()
            if delay is not None:
                self._retry_after_until = time.time() + delay
                self._store.put(retry_after_until=repr(self._retry_after_until))
                self._failures += 1
            else:
                self._backoff()
        else:
            self._failures = 0
        return answer

    def _backoff(self) -> None:
        """Exponential backoff with jitter: 1 s, 2 s, 4 s ... up to backoff_max, each times 0.5 to 1."""
        delay = min(self._backoff_max, 2.0 ** min(self._failures, 30))
        self._failures += 1
        self._backoff_until = time.time() + delay * random.uniform(0.5, 1.0)

    def _refused(self, answer: Answer, what: str) -> None:
        code, message = answer.error()
        refusal = Refusal(answer.status, code, message, what, time.time())
        log.warning("consentry client: %s refused: %s %s", what, answer.status, code)
        with self._lock:
            self._store.put(refusal=refusal.to_json())
            if what == "events" and code in _STOP_CODES:
                self._buffer.clear()
                self._store.drop_events()
                if code == "consent_withdrawn":  # deleted on request elsewhere: this id is done with
                    self._drop_crashes()
                    self._consent, self._install_id = "private", None
                    self._store.put(consent="private", install_id=None)
                    self._sync_faulthandler()
                else:  # the registry says no: nothing more until the app records a new choice
                    self._store.put(blocked=self._install_id)
                    self._blocked = True
                self._store.purge()
