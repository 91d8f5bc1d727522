"""Generate schemas/*.schema.json from the wire types: `python -m ingest.schema` rewrites them."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import msgspec

from ingest.model import EventBatch

SCHEMAS: dict[str, type] = {"events.schema.json": EventBatch}


def render(wire_type: type) -> bytes:
    schema = msgspec.json.schema(wire_type)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return msgspec.json.format(msgspec.json.encode(schema), indent=2) + b"\n"


def main() -> None:
    folder = Path(str(resources.files("schemas")))
    for name, wire_type in SCHEMAS.items():
        (folder / name).write_bytes(render(wire_type))
        print(f"wrote {folder / name}")


if __name__ == "__main__":
    main()
