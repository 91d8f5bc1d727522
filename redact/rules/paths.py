"""File paths: user-name segments become tokens, document names outside code locations become [file].ext."""

from __future__ import annotations

import re

from redact.rules.base import Context, Rule
from redact.rules.handles import GENERIC_ACCOUNTS

# Separators: a JSON-escaped slash or backslash (two characters), a backslash, a slash.
SEP = r"(?:\\/|\\\\|\\|/)"
# A word inside a path segment: no whitespace, no separator, none of Windows' forbidden characters.
_W = r"""[^\s\\/:*?"<>|]+"""
# The last segment of a path also stops at punctuation that ends a path in prose or code.
_L = r"""[^\s\\/:*?"<>|'`,;()\[\]{}]+"""
_EXT = r"\.[A-Za-z0-9]{1,8}(?![\w.])"
# A segment: words joined by single spaces ("Program Files") when another separator follows,
# a spaced file name when it ends in an extension ("taxes 2025.pdf"), else one word. The lazy word
# group comes first so the engine shortens the last word before it adds another ("a.pdf to b.c").
SEGMENT = rf"(?:{_W}(?:[ ]{_W}){{0,5}}(?={SEP})|(?:{_L}[ ]){{0,5}}?{_L}{_EXT}|{_L})"
REST = rf"(?:{SEP}{SEGMENT})*"

_HOME_ROOT = rf"""
    (?:file:(?://)?/?)?                                          # file:///C:/... and file:///Users/...
    (?:
        (?<![\w])[A-Za-z]:{SEP}(?i:users|documents[ ]and[ ]settings){SEP}   # Windows drive
      | (?:\\\\\\\\|\\\\)[\w.$-]+{SEP}(?:[\w.$-]+{SEP})?(?i:users|homes?\$?|profiles?\$?){SEP}  # UNC, \\wsl$\distro
      | /mnt/[A-Za-z]/(?i:users)/                                 # WSL
      | (?<![\w.-])/[a-z]/Users/                                  # Git Bash / MSYS
      | (?<![\w.-])/(?:private/)?var/folders/                     # macOS per-user temp
      | (?<![\w.-])/(?:private/)?(?:Users|home)/                  # macOS, Linux
      | (?<=[\w.-])/Users/                                        # below any prefix: /Volumes/Disk/Users/
      | (?<![\w.-])/(?:mnt|media|Volumes|data|net|nfs|export|storage|scratch|srv|tmp)  # /mnt/data/home/<u>
        (?:/[\w.-]{{1,64}}){{0,3}}/home/
      | (?<![\w.-])/(?:run/)?media/(?=[^/\s]+/)                    # udisks mounts: /media/<u>/<volume>
      | (?<![\w.-])_/(?:[A-Za-z]_/)?(?:Users|home)/               # Go's _/home/u/pkg, _/C_/Users/u/pkg
      | \\/(?:Users|home)\\/                                       # JSON-escaped: \/Users\/u\/
      | (?i:lxss)(?:\\\\|\\)home(?:\\\\|\\)                            # WSL 1: ...\lxss\home\<u>
    )
"""
_USER = rf"(?:{_W}(?:[ ]{_W}){{0,3}}(?={SEP})|{_L})"

_HEAD = re.compile(rf"(?P<root>{_HOME_ROOT})(?P<user>{_USER})", re.VERBOSE)
_SPLIT = re.compile(rf"({SEP})")
_EXT_OF = re.compile(r"(?<=[^.\\/])\.([A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*)\Z")

# Not people: shared, system, CI and cloud-image accounts keep their names, and so do placeholders
# (/Users/$USER, C:\Users\username, C:\Users\...\) and 8.3 short names of Administrator.
_NOT_USERS = GENERIC_ACCOUNTS | frozenset(
    """shared public default all rustbuild username your_username yourname usuario utilisateur benutzer
    utente admini~1 ... … default user all users""".split()
)


def _generic_user(name: str) -> bool:
    return name.lower() in _NOT_USERS or name[:1] in "$%<{[" or name.startswith("...")

# Extensions a crash frame, a config or a log has: these file names help triage and name nobody.
KEEP_EXTS = frozenset(
    """py pyc pyd pyi pyx pxd js mjs cjs jsx ts tsx mts cts vue svelte rs go c cc cpp cxx h hh hpp hxx inl
    m mm swift java kt kts scala groovy class jar war rb php cs fs vb lua pl pm r jl dart ex exs erl hs ml
    zig nim sh bash zsh fish ps1 psm1 bat cmd so dylib dll exe sys node wasm a lib o obj pdb dsym app
    framework bundle asar pak git dmg pkg msi deb rpm appimage iso img bin gguf safetensors onnx pt ckpt
    hprof dat tar gz tgz zst xz bz2 json json5 toml yaml yml ini cfg conf config plist xml properties lock log
    map html htm css scss less gradle cmake mk proto gyp whl egg dmp mdmp db sqlite sqlite3 nib
    storyboard xib car icns ttf otf woff woff2 mo pot tmp pid sock sln csproj vbproj fsproj vcxproj props
    targets nuspec rlib rmeta d bc ll s asm ps1xml psd1 xaml resx cshtml razor pub crt cer pem jks keystore
    pts ts gop rts""".split()
)

# Document-like names that are replaced even with no directory in front of them.
DOC_EXTS = (
    "pdf|docx?|odt|rtf|pages|xlsx?|ods|numbers|csv|tsv|pptx?|odp|key|jpe?g|png|heic|gif|tiff?|bmp|webp|psd"
    "|mp3|m4a|wav|aac|flac|mp4|mov|avi|mkv|eml|msg|vcf|ics|epub|mobi|ipynb"
)

# Where third-party and system code lives: frames there are kept whole (only the user segment goes).
CODE_MARKERS: tuple[str, ...] = (
    "/site-packages/", "/dist-packages/", "/node_modules/", "/.cargo/registry/", "/.cargo/git/", "/.rustup/",
    "/rustc/", "/go/pkg/mod/", "/.m2/repository/", "/.gradle/caches/", ".app/contents/", ".framework/",
    "/program files/", "/program files (x86)/", "/usr/lib/", "/usr/local/lib/", "/usr/share/", "/usr/bin/",
    "/opt/homebrew/", "/usr/local/cellar/", "/system/library/", "/library/frameworks/", "/library/developer/",
    "/windows/system32/", "/windows/syswow64/", "/windows/winsxs/", "/appdata/local/programs/", "/lib/python",
    "/.pyenv/versions/", "/.nvm/versions/", "/.npm/_npx/", "/.bun/install/", "/vendor/bundle/", "/.rbenv/",
    "/nix/store/", "/.dotnet/", "/microsoft.net/", "/.nuget/packages/", "/.local/share/uv/", "/.conda/",
    "/anaconda3/", "/miniconda3/", "/.deno/", "/go/src/", "/gems/",
)


# Names programs give files, not people: tempfile's tmpXXXXXXXX, Office and Jupyter defaults.
_DEFAULT_NAME = re.compile(
    r"(?i:tmp[a-z0-9_]{6,12}|untitled[ -]?\d*|book\d+|document\d+|presentation\d+|drawing\d+|new[ ]text[ ]document"
    r"|image\d*|screenshot[ _][\d_. -]{8,40}(?:at[ ][\d.]{5,8})?)\.[A-Za-z0-9]{1,8}\Z"
)


def is_code_location(path: str, markers: tuple[str, ...]) -> bool:
    norm = "/" + path.lower().replace("\\\\", "/").replace("\\", "/")
    return any(m in norm for m in markers)


_DOC_EXT = re.compile(rf"(?i:{DOC_EXTS})")
# A stem a person typed: words of letters, maybe with spaces ("taxes 2025", "kasia", "Offer letter - Sipho").
_HUMAN_STEM = re.compile(r"[^\W\d_]+\w*(?:[ ._-]+\w+)*|.*\s.*")
_CAMEL_PART = re.compile(r"[A-Z][a-z]+")
_ASSET_SCALE = re.compile(r"@[1-4]x\Z")
# A stem a program wrote: CamelCase or ALL-CAPS identifiers (SystemCheckLog, README, INSTALL).
_MACHINE_STEM = re.compile(r"[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)+|[A-Z0-9]+(?:[_-][A-Z0-9]+)*")


def document_ext(name: str, ctx: Context | None = None) -> str | None:
    """The extension of a file name that is a person's document, or None.

    An extension is lower or upper case (`Contoso.Billing.Api` is a namespace, not a file of type "Api").
    Document types (pdf, docx, xlsx, jpg, ...) name a person's document unless the stem is mostly a sequence
    number (`at06_000702_2.jpg`, a data set's frame); other types (md, txt, ...) only when the stem is words a
    person typed (`kasia.txt`, `letters to Mum.md`), not an identifier a program chose (`README.md`,
    `SystemCheckLog.txt`) unless its words hold a person's name (`JaneDoeNotes.txt`). Code, config and build
    types (KEEP_EXTS) never.
    """
    m = _EXT_OF.search(name)
    if m is None or _DEFAULT_NAME.match(name):
        return None
    ext, stem = m[1], name[: m.start()]
    if ext.lower() in KEEP_EXTS or not (ext.islower() or ext.isupper()) or _ASSET_SCALE.search(stem):
        return None  # a code or config file, a namespace, an app's image asset (logo@2x.png)
    alnum = [c for c in stem if c.isalnum()]
    if _DOC_EXT.fullmatch(ext):
        return ext if sum(c.isdigit() for c in alnum) < 0.7 * len(alnum) else None
    if _MACHINE_STEM.fullmatch(stem):
        return ext if ctx is not None and _names_inside(stem, ctx) else None
    return ext if _HUMAN_STEM.fullmatch(stem) else None


def _names_inside(stem: str, ctx: Context) -> bool:
    words = _CAMEL_PART.findall(stem)
    return ctx.person is not None and any(ctx.person(f"{a} {b}") for a, b in zip(words, words[1:], strict=False))


def rewrite_file(rest: str, whole: str, ctx: Context) -> str:
    """Replace the last segment of `rest` by [file].ext when it is a document outside code locations."""
    rest = ctx.inner(rest, ctx)  # e-mails, hosts, secrets inside segments
    if not ctx.on("path.file") or ctx.in_url or is_code_location(whole, ctx.code_markers):
        return rest
    parts = _SPLIT.split(rest)
    ext = document_ext(parts[-1], ctx)
    if ext is None:
        return rest
    parts[-1] = ctx.hit("path.file") + "." + ext
    return "".join(parts)


# The server of a UNC path (\\\\server\\share, also JSON-escaped): a customer's or a home machine's name. WSL's
# `wsl$` / `wsl.localhost`, the device (`\\\\.\\`) and long-path (`\\\\?\\`) prefixes name no machine.
_UNC = re.compile(r"(?P<lead>\\\\\\\\|\\\\)(?P<server>[A-Za-z0-9][\w.-]{1,62})(?=\\)")
_NOT_SERVERS = frozenset("wsl$ wsl.localhost localhost 127.0.0.1".split())


def unc_server(text: str, ctx: Context) -> str:
    """`\\\\NAS-FINANCE\\projects` -> `\\\\[host]\\projects`; the path rules call it on a whole match only (a
    fragment's leading backslashes are no UNC prefix)."""
    m = _UNC.match(text)
    if m is None or m["server"].lower() in _NOT_SERVERS or not ctx.on("hostname"):
        return text
    ctx.learn(m["server"], "hostname")
    return m["lead"] + ctx.hit("hostname") + text[m.end() :]


def _rewrite_home(text: str, ctx: Context) -> str | None:
    m = _HEAD.match(text)
    if m is None:
        return None
    root, user, rest = ctx.inner(unc_server(m["root"], ctx), ctx), m["user"], text[m.end() :]
    if _generic_user(user) or not (ctx.on("path.user") or ctx.on("path.home")):
        return root + user + rewrite_file(rest, text, ctx)
    if root.endswith("folders/"):  # /var/folders/xy/<random>/T: both random segments identify the user
        rest = "".join(_SPLIT.split(rest)[3:])
    rest = rewrite_file(rest, text, ctx)
    ctx.learn(user, "path.user")
    if root.lstrip("/").startswith(("Users/", "home/", "private/Users", "private/home")) and ctx.on("path.home"):
        return ctx.hit("path.home") + rest  # /Users/alice/x -> ~/x, as a shell would print it
    if not ctx.on("path.user"):
        return root + user + rest
    return root + ctx.hit("path.user") + rest


def _rewrite_plain(text: str, ctx: Context) -> str | None:
    home = _HEAD.search(text, 1)
    if home is not None:  # a home directory below a mount or checkout prefix: /Volumes/Disk/Users/<u>/...
        inner = _rewrite_home(text[home.start() :], ctx)
        return None if inner is None else ctx.inner(text[: home.start()], ctx) + inner
    if _SPLIT.search(text) is None:  # a bare document name: the whole match is a file name
        ext = document_ext(text, ctx)
        return None if ext is None else ctx.hit("path.file") + "." + ext
    whole = rewrite_file(unc_server(text, ctx), text, ctx)
    return whole if whole != text else None


RULES: tuple[Rule, ...] = (
    Rule(
        id="path.user",
        needs=r"[/\\]",
        token="[user]",
        why="home directories on every OS: the segment after Users/home is the account name",
        pattern=rf"{_HOME_ROOT}{_USER}{REST}",
        rewrite=_rewrite_home,
        reports=("path.home", "path.file", "hostname"),
        matches=("/Users/alice/.venv/lib/python3.11/site-packages/httpx/_client.py",
                 r"C:\Users\Bob Smith\Documents\taxes 2025.pdf", "/home/alice/notes.txt",
                 "/mnt/c/Users/alice/Desktop/x.py", r"C:\\Users\\bob\\AppData\\Local\\app.log",
                 "file:///Users/alice/Downloads/scan.png", "/var/folders/x8/abc123def456/T/tmpk2.pdf",
                 r"\\fileserver\home$\bob\plan.docx", "/Volumes/Work SSD/Users/nadia/src/app.py",
                 "/mnt/data/home/tkaur/run.sh", "/tmp/ci/Users/jmarsh/repo/x.py", "/media/bearclaw22/Disk/x.rs",
                 "_/home/daryl/kvexpress/commands.init.8()", "_/C_/Users/Tsukada/GoSrc/nyagos/main.go",
                 r'"dataPath" : "\/Users\/filipa\/Library\/x"', r"C:\Users\a\AppData\Local\lxss\home\m41b\.wsl"),
        must_not_match=("/usr/lib/python3.11/json/decoder.py", "/Users/Shared/app.log", "users/alice",
                        "/home/runner/work/app/app/src/main.rs", "/home/ec2-user/app/index.js", "/Users/$USER/.npm",
                        r"C:\Users\Administrator\vcpkg\x.targets", r"C:\Users\ADMINI~1\AppData\Local\Temp",
                        "/srv/www/home.html"),
    ),
    Rule(
        id="path.file",
        needs=r"[/\\.]",
        token="[file]",
        why="document names in paths outside code locations, and bare or quoted document names",
        pattern=rf"""
            (?:
                (?<![\w])[A-Za-z]:{SEP}{SEGMENT}{REST}                       # D:\Finance\taxes.pdf
              | (?<![\w:\\])(?:\\\\\\\\|\\\\)[\w.$-]+{SEP}{SEGMENT}{REST}     # \\server\share\x.pdf
              | (?<![\w.~:/\\-])(?:~|\$HOME|%USERPROFILE%|%HOMEPATH%)?/{SEGMENT}{REST}  # /tmp/x.pdf, ~/x.pdf
              | (?<![\w.~:/\\-])(?:~|%USERPROFILE%){SEP}{SEGMENT}{REST}
              | (?<![\w./\\@-])[\w][\w()+&,-]{{0,80}}\.(?i:{DOC_EXTS})(?![\w.])  # bare: taxes_2025.pdf
              | (?<=["'‘“])[^"'‘’“”\r\n\\/]{{1,80}}\.(?i:{DOC_EXTS})(?=["'’”])  # quoted: 'Q3 deck.pptx'
              | \A[^"\r\n\\/]{{1,80}}\.(?i:{DOC_EXTS})\Z                       # a whole value: "taxes 2025.pdf"
            )
        """,
        rewrite=_rewrite_plain,
        reports=("hostname",),
        matches=(r"D:\Finance\taxes 2025.xlsx", r"\\NAS-FINANCE\projects\Cmf.Custom.Baseline",
                 "/tmp/report.pdf", "~/Documents/cv.docx", "/Volumes/USB/scan.jpg",
                 "taxes_2025.pdf", "'Q3 board deck.pptx'", "IMG_2041.HEIC"),
        must_not_match=("/usr/lib/x86_64-linux-gnu/libc.so.6", "/api/v1/users", "and/or", "/opt/app/main.py",
                        "README.md", "requirements.txt", "icon.svgz"),
    ),
)
