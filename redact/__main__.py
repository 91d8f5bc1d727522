"""`python -m redact [--tier fast|deep] [--policy FILE]`: JSON Lines in on stdin, redacted JSON Lines out.

`python -m redact --fields` prints the field table in force (shipped table plus --policy overrides) as Markdown.
`python -m redact --explain [--field NAME] [TEXT]`: which rule replaced which character range of TEXT (or of
stdin) and with what; the removed text itself is never printed.
"""

from __future__ import annotations

import argparse
import sys
from typing import IO

import msgspec

from redact.deep import NO_MODEL, installed_model
from redact.explain import render
from redact.keys import markdown_table
from redact.model import Tier
from redact.policy import PolicyError, load_policy
from redact.redactor import Redactor


class Line(msgspec.Struct, forbid_unknown_fields=True):
    text: str
    field: str | None = None


class Out(msgspec.Struct):
    text: str
    findings: dict[str, int]


def run(redactor: Redactor, tier: Tier, src: IO[bytes], dst: IO[bytes], err: IO[str]) -> int:
    decoder, encoder, status = msgspec.json.Decoder(Line), msgspec.json.Encoder(), 0
    for n, raw in enumerate(src, 1):
        if not raw.strip():
            continue
        try:
            line = decoder.decode(raw)
        except msgspec.DecodeError as exc:  # the message names the field, never echoes the input
            err.write(f"redact: line {n}: {exc}\n")
            status = 1
            continue
        res = redactor.redact_text(line.text, field=line.field, tier=tier)
        dst.write(encoder.encode(Out(res.value, res.findings)) + b"\n")
    dst.flush()
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m redact", description=__doc__)
    parser.add_argument("--tier", choices=("fast", "deep"), default="fast")
    parser.add_argument("--policy", metavar="FILE", help="policy overrides (.toml or .json)")
    parser.add_argument("--explain", action="store_true",
                        help="show which rule replaced which range of TEXT (or stdin), never the removed text")
    parser.add_argument("--fields", action="store_true", help="print the field table in force (Markdown)")
    parser.add_argument("--field", help="with --explain: the field name the text was sent under")
    parser.add_argument("text", nargs="?", help="with --explain: the text (default: all of stdin)")
    args = parser.parse_args(argv)
    if args.text is not None and not args.explain or args.field is not None and not args.explain:
        parser.error("TEXT and --field go with --explain")
    try:
        redactor = Redactor(load_policy(args.policy) if args.policy else None)
    except PolicyError as exc:
        print(f"redact: {exc}", file=sys.stderr)
        return 2
    if args.tier == "deep" and installed_model() is None:
        print(NO_MODEL, file=sys.stderr)
    if args.fields:
        print(markdown_table(redactor.fields.entries))
        return 0
    if args.explain:
        text = args.text if args.text is not None else sys.stdin.read()
        redacted, found = redactor.explain(text, field=args.field, tier=args.tier)
        print(render(found, redacted))
        return 0
    return run(redactor, args.tier, sys.stdin.buffer, sys.stdout.buffer, sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
