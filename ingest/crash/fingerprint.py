"""Crash grouping: a stable hash of what the crash *is*, independent of who had it and where it was installed.

Algorithm (version 1):
1. Take the crashing thread's frames (innermost first); prefer in-app frames, else all frames.
2. From the first 5 that have a function, take (module, function): module falls back to the file's base name
   without extension; addresses (`+0x1a`) and line numbers are never used, so rebuilt or moved code groups.
3. If at least one frame qualifies: hash "v1|stack|<exception type>|module:function|...".
4. Otherwise: hash "v1|message|<exception type>|<normalised message>", where numbers, hex values, UUIDs and
   quoted strings are replaced by placeholders (the message is already redacted, so user paths are tokens).
The group id is the first 32 hex digits of the SHA-256."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

from storage.rows import FrameRow

TOP_FRAMES = 5
_OFFSET = re.compile(r"\s*\+\s*0x[0-9a-fA-F]+$")
_NORMALISE = [
    (re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"), "<uuid>"),
    (re.compile(r"0x[0-9a-fA-F]+"), "<hex>"),
    (re.compile(r"'[^']*'|\"[^\"]*\""), "<str>"),
    (re.compile(r"\d+"), "<n>"),
    (re.compile(r"\s+"), " "),
]


def _module(frame: FrameRow) -> str:
    if frame.module:
        return frame.module
    base = re.split(r"[\\/]", frame.file)[-1]
    return base.rsplit(".", 1)[0] if "." in base else base


def normalise_message(message: str) -> str:
    for pattern, placeholder in _NORMALISE:
        message = pattern.sub(placeholder, message)
    return message.strip()[:200]


def signature(frames: Sequence[FrameRow]) -> list[str]:
    """Steps 1 and 2: the normalised `module:function` frames a stack-based group is keyed on (may be empty)."""
    chosen = [f for f in frames if f.in_app] or list(frames)
    return [f"{_module(f)}:{_OFFSET.sub('', f.function)}" for f in chosen if f.function][:TOP_FRAMES]


def fingerprint(exception_type: str, message: str, frames: Sequence[FrameRow]) -> str:
    top = signature(frames)
    if top:
        basis = "|".join(["v1", "stack", exception_type, *top])
    else:
        basis = "|".join(["v1", "message", exception_type, normalise_message(message)])
    return hashlib.sha256(basis.encode()).hexdigest()[:32]
