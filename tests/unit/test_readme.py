"""The front page and docs/ hold together in a clone: commands exist, links and named files resolve, nothing
points outside the repository, and every metric is documented."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
README = ROOT / "README.md"
DOCS = sorted([README, *(ROOT / "docs").rglob("*.md")])
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
REPO_PATH = re.compile(r"`((?:ingest|storage|redact|schemas|bench|tests|k8s|docs)/[A-Za-z0-9_./-]*)`")
OUTSIDE = "../" + "shared"  # the workspace folder beside the repository, which a clone does not have


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _anchors(markdown: str) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    found = set()
    in_code = False
    for line in markdown.splitlines():
        if line.startswith("```"):
            in_code = not in_code
        if not in_code and (match := re.match(r"#{1,6} (.+)", line)):
            found.add(re.sub(r"[^\w\- ]", "", match.group(1).strip().lower()).replace(" ", "-"))
    return found


def test_readme_is_a_front_page() -> None:
    assert len(_text(README).splitlines()) <= 160


def test_the_two_commands_are_make_targets() -> None:
    makefile = _text(ROOT / "Makefile")
    for target in ("run", "test"):
        assert f"make {target}" in _text(README)
        assert re.search(rf"^{target}:", makefile, re.M), target


def test_readme_commands_parse_with_the_cli() -> None:
    from ingest.cli import _parser

    commands = [line.split("consentry ", 1)[1] for line in _text(README).splitlines()
                if re.match(r"^\$? ?(\.venv/bin/)?consentry ", line)]
    assert commands, "the README shows a consentry command"
    for command in commands:
        _parser().parse_args(shlex.split(command))


@pytest.mark.parametrize("page", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_links_resolve(page: Path) -> None:
    for target in LINK.findall(_text(page)):
        if re.match(r"[a-z]+:", target):
            continue  # http(s), mailto: not checked offline
        file_part, _, anchor = target.partition("#")
        path = (page.parent / file_part).resolve() if file_part else page
        assert path.exists(), f"{page.name}: {target}"
        assert ROOT in path.parents or path == ROOT, f"{page.name}: {target} leaves the repository"
        if anchor and path.suffix == ".md":
            assert anchor in _anchors(_text(path)), f"{page.name}: {target}: no such heading"


@pytest.mark.parametrize("page", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_named_repository_files_exist(page: Path) -> None:
    """A file or folder named in the docs (`ingest/...`, `schemas/...`) exists: a move updates the docs too."""
    for named in REPO_PATH.findall(_text(page)):
        if "*" in named or "NNNN" in named or "<" in named:
            continue
        path = ROOT / named.rstrip("/")
        assert path.exists() or any(path.parent.glob(path.name + "*")), f"{page.name}: {named}"


def test_nothing_needs_the_workspace_beside_the_clone() -> None:
    for folder in ("ingest", "storage", "redact", "tests", "docs", "k8s", "bench"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in (".py", ".md", ".yaml", ".toml") and path != Path(__file__):
                assert OUTSIDE not in _text(path), path
    assert OUTSIDE not in _text(README)


def test_every_metric_is_documented() -> None:
    from ingest.metrics import Metrics

    operations = _text(ROOT / "docs" / "operations.md")
    for metric in Metrics().registry.collect():
        assert f"`{metric.name}" in operations, metric.name
