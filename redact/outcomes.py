"""Keys and replay data of the Redactor's outcome memo (Redactor._fast_found): values the fast tier found
something in recur within an install's events, and so do the other values of an event that taught a name.

Nothing removed is kept: the value and the names learned before it only enter a keyed digest, and a name a value
taught is kept as where it stands in that value, to be read from the value again when it recurs."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

# Values the fast tier found something in (a user's e-mail in a message, an IP in a log line) recur within an
# install's events: outcomes of values up to this length are remembered, this many at most.
FOUND_MAX_LEN = 512
FOUND_MAX_ENTRIES = 16_384
# [start, end) of a taught name in the value, and the rule that learned it
Place = tuple[int, int, str]
# redacted value, findings, the names it taught (in learning order)
Outcome = tuple[str, dict[str, int], tuple[Place, ...]]


def outcome_key(secret: bytes, text: str, kind: str, learned: Mapping[str, str]) -> bytes:
    """A keyed digest of the value, what decides how it is read (`kind`, at most 15 bytes) and the names learned
    before it with their rules, in order (propagated into it; their number caps what it may learn)."""
    if learned:
        parts = [text, *(item for pair in learned.items() for item in pair)]
        data = b"".join(len(piece).to_bytes(4, "little") + piece
                        for piece in (part.encode("utf-8", "surrogatepass") for part in parts))
        kind += "L"  # never the same key as a lone value's, whatever its bytes
    else:
        data = text.encode("utf-8", "surrogatepass")
    return hashlib.blake2b(data, digest_size=16, key=secret, person=kind.encode()).digest()


def places(text: str, names: list[tuple[str, str]]) -> tuple[Place, ...] | None:
    """Where each taught name stands in the value, or None if one is not a piece of it as sent (decoded from it):
    such a value is not remembered."""
    found = []
    for name, rule in names:
        start = text.find(name)
        if start < 0:
            return None
        found.append((start, start + len(name), rule))
    return tuple(found)
