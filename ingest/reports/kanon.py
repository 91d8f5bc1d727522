"""k-anonymity: blank every report cell backed by fewer than K distinct installs, and say which were blanked."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def suppress(rows: Sequence[Mapping[str, Any]], guards: Mapping[str, Sequence[str]], k: int,
             hidden: Sequence[str] = ()) -> list[dict[str, Any]]:
    """Rows with guarded cells set to None where any of their install counts is under k (or missing).

    Each row gains `suppressed`: the names of its blanked cells. Support is read before anything is blanked,
    and `hidden` support columns are dropped last, so no count under k leaves this function.
    """
    out = []
    for row in rows:
        blanked = [col for col, support in guards.items() if any(not row.get(s) or row[s] < k for s in support)]
        shown = {col: (None if col in blanked else value) for col, value in row.items() if col not in hidden}
        out.append(shown | {"suppressed": blanked})
    return out
