"""Window, tab and page titles: keep the app or site name and one-word labels, remove what the user opened.

Titles are built as `<what is open> <sep> <container> <sep> <app>`: "Budget 2024.xlsx - Excel",
"● notes.md - my-project - Visual Studio Code", "Features | GrowthBook", "Inbox (4) - a@b.c - Gmail".
A part stays when it reads like a product or site name (capitalised words, no person's name: "Google Docs",
"Adobe Acrobat Reader (64-bit)"), a one-word label or a default name ("Untitled-1", "New Tab"); the first part,
what the user opened, needs to be a label, a default name or a short product name without digits ("Google
Calendar", not "Budget 2024"). A path or a one-word file name goes to the structural rules ("notes.md" stays,
a home directory loses its user). Every other part becomes `[content:<n> chars]`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from redact.content import is_label
from redact.names import NameFinder

# Separators apps put between title parts (spaced, so "Beckham-Reyes" and "a|b" are not split).
SEPARATORS = re.compile(r"[ \u00a0]+(?:-|–|—|\||·|•|::|»|/)[ \u00a0]+")
# Marks an app puts before a title: unsaved (●, *), an unread count ("(3) YouTube", "(12) Inbox"), a Windows
# console's elevated or selection mode ("Administrator: Windows PowerShell").
_DIRTY = re.compile(r"\A(?:[●•*◉]\s*|\(\d{1,5}\+?\)\s+|(?:Administrator|Select|Elevated):[ ]+)")
# Decorations apps append to a part and that carry no user data: VS Code's remote and workspace markers,
# browser modes, Windows' elevated marker.
DECORATIONS = re.compile(
    r"""(?x)
      [ ]?\[(?:WSL:[ ][\w .-]{1,30}|Dev[ ]Container(?::[ ][\w .-]{1,40})?|Codespaces|Administrator|Unsupported
             |Extension[ ]Development[ ]Host|Restricted[ ]Mode)\]
    | [ ]?\((?:Workspace|Private[ ]Browsing|Incognito|Not[ ]Responding|Administrator|Read-Only|Preview|Compatibility
             [ ]Mode|Protected[ ]View|Remote|Safe[ ]Mode)\)
    """
)
# Names a program gives a new document or page: nothing the user chose.
# "Untitled", "Untitled document" (Google Docs), "Untitled design" (Canva), "New Text Document.txt" (Windows),
# "Document1", "Book1.xlsx"; an error page's status line ("404 Not Found", "502 Bad Gateway").
DEFAULT_NAMES = re.compile(
    r"(?i)(?:untitled(?:[ _-][a-z]+)?|new(?:[ ][a-z]+){0,2}[ ](?:tab|chat|document|window|folder|file|note|page"
    r"|query|conversation|spreadsheet|presentation|project)|document\d*|book\d*|sheet\d*"
    r"|presentation\d*|drawing\d*|blank|start[ ]page|home|settings|welcome|inbox)(?:[-_ ]?\d+)?(?:\.\w{1,5})?"
    r"|[1-5]\d\d[ ][A-Z][a-z]+(?:[ ][A-Z][a-z]+){0,3}"
)
_PRODUCT_WORD = re.compile(r"[\w.+#’'-]+|\(\w[\w.-]{0,15}\)")
# Words of a product name that do not start upper case: versions (v1.5.3, 2023.3), brand casing (iTerm2, macOS).
_PRODUCT_LOWER = re.compile(r"v?\d+(?:\.\w+)+|[a-z]{1,3}[A-Z][\w.+-]*")
# A site's host, with a port or a path: "draw.io", "localhost:3000", "github.com/settings" (the URL rules look in).
_HOST = re.compile(r"(?:localhost|[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,})(?::\d{1,5})?(?:/\S*)?")
_VERSION = re.compile(r"v?\d+(?:\.(?:[1-9]\d*|0))+")  # 2023.3.2, v1.4.16: a leading zero (2024.03.15) is a date
_TERMINAL_SIZE = re.compile(r"\d{2,3}[×x]\d{2,3}")
_PROGRAM = re.compile(r"[a-z][a-z0-9]{1,7}")  # a program's command name in a later part: zsh, bash, python3, ssh
_FILE = re.compile(r"\S+\.[A-Za-z][A-Za-z0-9]{0,5}")
_PATH = re.compile(r"[/\\]")


def redact_title(title: str, names: NameFinder | None, removed: Callable[[str], str],
                 scrub: Callable[[str], str]) -> str:
    """The title with every part that is not kept replaced by `removed`; paths and file names go to `scrub`."""
    dirty = _DIRTY.match(title)
    head = dirty.group() if dirty else ""
    body = title[len(head):]
    cuts = [(m.start(), m.end()) for m in SEPARATORS.finditer(body)]
    bounds = [0, *(x for c in cuts for x in c), len(body)]
    parts = [body[bounds[i] : bounds[i + 1]] for i in range(0, len(bounds), 2)]
    out = [head]
    for i, part in enumerate(parts):
        role = "first" if i == 0 else "other"
        out.append(_part(part, role, names, removed, scrub))
        if i < len(cuts):
            out.append(body[cuts[i][0] : cuts[i][1]])
    return "".join(out)


def _part(part: str, role: str, names: NameFinder | None, removed: Callable[[str], str],
          scrub: Callable[[str], str]) -> str:
    decorations = "".join(m.group() for m in DECORATIONS.finditer(part))
    core = DECORATIONS.sub("", part).strip()
    if not core or _keeps(core, role, names):
        return part
    if _PATH.search(core) and " " not in core.strip() or _FILE.fullmatch(core) or _HOST.fullmatch(core):
        return scrub(part)
    return removed(core) + decorations


def _keeps(core: str, role: str, names: NameFinder | None) -> bool:
    if DEFAULT_NAMES.fullmatch(core):
        return True
    words = core.replace("\u200b", " ").split()
    name_word = names.name_word if names is not None else None
    if len(words) == 1 and is_label(core, name_word) and not _FILE.fullmatch(core):
        return role != "first" or core[0].isupper()  # "Checkout", "Pricing"; a lower-case first part is a slug
    if role != "first" and (_TERMINAL_SIZE.fullmatch(core) or _PROGRAM.fullmatch(core)):
        return True  # a terminal's shell and size: "~/src — zsh — 80×24"
    product = len(words) <= 5 and len(core) <= 48 and all(_product_word(w) for w in words)
    if not product or names is not None and names.whole(core) or _FILE.fullmatch(words[-1]):
        return False
    # the first part may carry a product's version ("IntelliJ IDEA 2023.3.2"), not other digits ("Budget 2024")
    return role != "first" or len(words) <= 3 and not any(ch.isdigit() for w in words if not _VERSION.fullmatch(w)
                                                          for ch in w)


def _product_word(word: str) -> bool:
    return bool(_PRODUCT_WORD.fullmatch(word)) and (word[0].isupper() or word[0].isdigit() or word[0] == "("
                                                    or bool(_PRODUCT_LOWER.fullmatch(word)))
