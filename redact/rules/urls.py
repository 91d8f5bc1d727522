"""URLs: credentials in the authority, values of sensitive query parameters, personal hosts, inner findings."""

from __future__ import annotations

import base64
import binascii
import re

from redact.rules.base import Context, Rule
from redact.rules.routes import TRACKER_HOSTS, credentials_in_path, private_items, tracker_account

SENSITIVE_PARAMS = frozenset(
    """token access_token refresh_token id_token auth auth_token key api_key apikey secret client_secret
    password pass pwd passwd sig signature x-amz-signature x-amz-credential x-amz-security-token
    x-goog-signature x-goog-credential code session sessionid session_id sid jwt ticket otp email
    private_token sas skoid sktid rlkey""".split()
)
# Search boxes and prompts put what the user typed into the query string: that is content.
CONTENT_PARAMS = frozenset("q query search search_query searchterm keywords prompt text message msg input".split())
_SENSITIVE_SUFFIXES = ("token", "secret", "password", "signature", "apikey", "api_key")
# Query parameters that carry a person: any of these words in the name (email-or-name, customer_phone,
# loginOrName), "name" with a person word, and e-mail tracking ids (Mailchimp, Klaviyo, Marketo, HubSpot).
PERSONAL_WORDS = frozenset(
    """email mail phone mobile tel telefon telephone msisdn login username userid uid surname firstname lastname
    fullname prenom vorname nachname fornavn efternavn etternavn efternamn voornaam achternaam imie nazwisko
    apellido apellidos cognome sobrenome etunimi sukunimi soyad soyadi""".split()
)
# Nouns for a person's role: "name" next to one of them is a person's name (customer_name, guestName), and a
# parameter made of them alone carries the person (user=kpetrov, guest=..., member_id=...).
PERSON_ROLES = frozenset(
    """user customer contact guest member patient recipient sender owner author buyer passenger applicant student
    employee invitee attendee participant assignee reporter person holder cardholder""".split()
)
PERSON_NAME_WORDS = PERSON_ROLES | frozenset("first last full display given family real or".split())
_ROLE_SUFFIXES = frozenset("id name handle".split())
TRACKING_PARAMS = frozenset("mc_eid _kx klaviyo_id mkt_tok _hsenc _hsmi email_hash vero_id".split())
_WORDS = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
_BASE64 = re.compile(r"[A-Za-z0-9+/_-]{16,}={0,2}")
# Path segments after these name a user: /users/<u>, /u/<u>, /in/<u> (LinkedIn), /@<u>, /~<u>.
_USER_SEGMENT = re.compile(
    r"(?<=/)(?:(?i:users?|u|in|profiles?|people|members?|authors?|persons?)/|@|~)(?P<name>[^/?#\[\]\s]{2,100})"
)
# Stack Exchange profiles: /users/<numeric id>/<display-name slug>: both name the person.
_ID_SLUG = re.compile(r"(?P<head>/users/)\d{1,12}/[a-z0-9][a-z0-9-]{1,60}(?=/|\?|\#|\Z)")
_NOT_USER_SEGMENTS = frozenset(
    """me self current new edit search settings login logout sign_in sign_up signup signin register admin all
    list index profile account password reset invite apps""".split()
)
_UUID = re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}")
CODE_HOSTS = frozenset("github.com www.github.com gitlab.com bitbucket.org codeberg.org gitee.com".split())
# Social networks put the account in the first path segment (x.com/<u>, instagram.com/<u>/, t.me/<u>).
SOCIAL_HOSTS = frozenset(
    """twitter.com x.com instagram.com facebook.com fb.com threads.net tiktok.com t.me telegram.me vk.com
    pinterest.com snapchat.com tumblr.com flickr.com soundcloud.com twitch.tv patreon.com ko-fi.com
    buymeacoffee.com linktr.ee mastodon.social keybase.io""".split()
)
_SOCIAL_ROUTES = frozenset(
    """home explore search settings login logout signup i intent share hashtag about help privacy terms policies
    notifications messages watch reel reels p stories tv groups pages events marketplace gaming direct accounts
    legal tos developers business ads jobs download""".split()
)
# Hosts that give every account its own subdomain: <u>.github.io, <u>.substack.com, <u>.bsky.social.
PERSONAL_SUBDOMAIN_HOSTS = (
    ".github.io", ".gitlab.io", ".substack.com", ".medium.com", ".tumblr.com", ".wordpress.com", ".blogspot.com",
    ".bsky.social", ".hashnode.dev", ".neocities.org", ".itch.io",
)
_SOCIAL_PATH = re.compile(r"/(?P<name>[A-Za-z0-9_.][A-Za-z0-9_.-]{0,49})(?=/|\Z)")
_PROFILE_PATH = re.compile(r"/(?P<name>[A-Za-z0-9][A-Za-z0-9-]{0,38})/?\Z")
_OWNER_REPO = re.compile(r"/(?P<name>[A-Za-z0-9][A-Za-z0-9._-]{0,38})/[A-Za-z0-9._-]+")
# Owners in a telemetry URL that name nobody: placeholders from docs and the organisations of widely used
# projects (a user reading their issues or README is no account of theirs).
PUBLIC_OWNERS = frozenset(
    """user username owner org organization your-org your-username yourname you me example octocat
    microsoft dotnet azure aws awslabs aws-samples google googleapis googlecloudplatform firebase android facebook
    meta facebookresearch apple swiftlang mozilla rust-lang golang python pypa psf nodejs npm vercel denoland
    oven-sh microsoft-docs apache kubernetes kubernetes-sigs docker moby hashicorp elastic grafana prometheus
    openai anthropics huggingface pytorch tensorflow jupyter numpy pandas-dev scipy scikit-learn matplotlib django
    pallets encode tiangolo rails ruby php laravel symfony spring-projects jetbrains flutter dart-lang angular
    vuejs sveltejs reactjs facebookincubator webpack vitejs babel eslint prettier typescript-eslint
    posthog getsentry sentry segmentio mixpanel amplitude rudderlabs electron tauri-apps neovim vim
    cli github actions gitlab-org atlassian redis mongodb postgres mysql sqlite curl git git-for-windows
    ohmyzsh homebrew nixos archlinux ubuntu debian fedora-infra canonical torvalds""".split()
)
_CODE_HOST_ROUTES = frozenset(
    """about features pricing login join settings orgs organizations explore topics trending marketplace sponsors
    notifications new issues pulls search security enterprise apps collections events site contact""".split()
)

_URL = re.compile(
    r"""(?x)
    (?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)
    (?:(?P<userinfo>[^@/?#\s]*)@)?
    (?P<host>\[[0-9A-Fa-f:.%\w]+\]|[^:/?#\s]*)
    (?P<port>:\d+)?
    (?P<path>[^?#]*)
    (?:\?(?P<query>[^#]*))?
    (?:\#(?P<fragment>.*))?
    """,
    re.DOTALL,
)
_TRAILING = re.compile(r"[.,;:!?)\]}'\"]+\Z")
_PARAM = re.compile(r"(?P<name>[^=&]+)(?P<eq>=?)(?P<value>[^&]*)")


_PERCENT = re.compile(rb"%([0-9A-Fa-f]{2})")


def unquote_plus(value: str) -> str:
    """A query value as typed: `+` is a space, %XX a UTF-8 byte (urllib is out of bounds for this package)."""
    raw = value.replace("+", " ").encode("utf-8", "surrogatepass")
    return _PERCENT.sub(lambda m: bytes([int(m[1], 16)]), raw).decode("utf-8", "replace")


def _sensitive(name: str) -> bool:
    n = name.lower()
    return n in SENSITIVE_PARAMS or n.endswith(_SENSITIVE_SUFFIXES)


def _ours(value: str) -> bool:
    """A value we already replaced: scanning it again must change nothing."""
    return value.startswith("[") and value.endswith("]")


def _personal(name: str, value: str, ctx: Context) -> bool:
    """A parameter whose name says it carries a person (in the languages web forms use), or whose value is one:
    a person's full name once decoded ("Amina+Juma"), or base64 of an e-mail address."""
    words = {w.lower() for w in _WORDS.findall(name)}
    if words & PERSONAL_WORDS or name.lower() in TRACKING_PARAMS or name.lower() == "name":
        return True
    if "name" in words and words & PERSON_NAME_WORDS:
        return True
    if words and words <= PERSON_ROLES | _ROLE_SUFFIXES and words & PERSON_ROLES:
        return True  # user=kpetrov, guest=..., member_id=...
    if ctx.person is not None and ("+" in value or "%20" in value or " " in value):
        decoded = unquote_plus(value)
        if len(decoded) <= 80 and ctx.person(decoded):
            return True
    return _BASE64.fullmatch(value) is not None and _base64_email(value)


def _base64_email(value: str) -> bool:
    try:
        raw = base64.b64decode(value + "=" * (-len(value) % 4), altchars=b"-_" if "-" in value or "_" in value
                               else None)
    except (ValueError, binascii.Error):
        return False
    return re.search(rb"[\w.+-]+@[\w-]+\.[\w.]+", raw) is not None


def _users_in_path(host: str, path: str, ctx: Context) -> str:
    """/users/<u>/..., /in/<u>, /@<u>, and a code host's profile page github.com/<u>: the name goes."""
    if not ctx.on("url.user"):
        return path

    code_host = host.lower() in CODE_HOSTS

    def one(m: re.Match[str]) -> str:
        name = m["name"]
        if code_host and m.start() == 1 and not path.lower().startswith("/users/"):
            return m.group()  # github.com/user/repo: a placeholder owner, read as an owner below
        if name.lower() in _NOT_USER_SEGMENTS or _ours(name) or name[:1] in "{:<$" or name.isdigit() \
                or _UUID.fullmatch(name):  # person/device UUIDs are install_id's
            return m.group()
        ctx.learn(name, "url.user")
        return m.group()[: m.start("name") - m.start()] + ctx.hit("url.user")

    path = _USER_SEGMENT.sub(one, path)
    path = _ID_SLUG.sub(lambda m: m["head"] + ctx.hit("url.user") + "/" + ctx.hit("url.user"), path)
    bare = host.lower().removeprefix("www.").removeprefix("m.").removeprefix("mobile.")
    if bare in SOCIAL_HOSTS:
        account = _SOCIAL_PATH.match(path)
        if account is not None and account["name"].lower() not in _SOCIAL_ROUTES and not account["name"].isdigit():
            ctx.learn(account["name"], "url.user")
            return "/" + ctx.hit("url.user") + path[account.end("name") :]
        return path
    if bare in TRACKER_HOSTS:
        return tracker_account(bare, path, ctx)
    if host.lower() not in CODE_HOSTS:
        return path
    profile = _PROFILE_PATH.fullmatch(path)
    if profile is not None and profile["name"].lower() not in _CODE_HOST_ROUTES:
        ctx.learn(profile["name"], "url.user")
        return "/" + ctx.hit("url.user") + path[profile.end("name") :]
    owner = _OWNER_REPO.match(path)
    if owner is not None and owner["name"].lower() not in _CODE_HOST_ROUTES and personal_owner(owner["name"], ctx):
        ctx.learn(owner["name"], "url.user")
        return "/" + ctx.hit("url.user") + path[owner.end("name") :]
    return path


def personal_owner(handle: str, ctx: Context) -> bool:
    """The owner of a repository on a code host is a person's account: always when the field or the line names the
    user's own repository (a git remote, a push), and in a telemetry value (a page the user
    visited, a repository they opened) unless the owner is a placeholder or a well-known project's organisation.
    In crash text, `owner/repo` is a project the program uses and stays."""
    return (ctx.owner or ctx.telemetry) and handle.lower() not in PUBLIC_OWNERS


def _params(text: str, ctx: Context) -> str:
    def one(m: re.Match[str]) -> str:
        if m["eq"] and m["value"] and _sensitive(m["name"]) and ctx.on("secret.url_query") and not _ours(m["value"]):
            return m["name"] + "=" + ctx.hit("secret.url_query")
        personal = m["eq"] and m["value"] and ctx.on("url.param") and not _ours(m["value"])
        if personal and _personal(m["name"], m["value"], ctx):
            return m["name"] + "=" + ctx.hit("url.param")
        if m["eq"] and m["value"] and m["name"].lower() in CONTENT_PARAMS and ctx.on("content"):
            return m["name"] + "=" + ctx.hit("content").replace("{n}", str(len(m["value"])))
        return m["name"] + m["eq"] + ctx.rescan(m["value"], ctx)

    return _PARAM.sub(one, text)


def _host(host: str, ctx: Context) -> str:
    lower = host.lower()
    for suffix in PERSONAL_SUBDOMAIN_HOSTS:
        label = lower[: -len(suffix)]
        if lower.endswith(suffix) and label and "." not in label and label != "www" and ctx.on("url.user"):
            ctx.learn(host[: len(label)], "url.user")
            return ctx.hit("url.user") + host[len(label) :]
    if host.startswith("["):
        inner = ctx.rescan(host[1:-1], ctx)
        return host if inner == host[1:-1] else "[" + inner.strip("[]") + "]"
    return ctx.rescan(host, ctx)


def rewrite_url(text: str, ctx: Context) -> str | None:
    tail = _TRAILING.search(text)
    suffix = tail.group() if tail else ""
    if "[" in text:  # our own tokens end in "]": only prose punctuation is trailing
        suffix = suffix[: len(suffix) - len(suffix.lstrip(".,;:!?)}'\""))] if suffix.startswith("]") else suffix
    m = _URL.fullmatch(text[: len(text) - len(suffix)])
    if m is None:
        return None
    out = [m["scheme"]]
    if m["userinfo"] is not None:
        creds = m["userinfo"]
        keep = _ours(creds) or not ctx.on("secret.url_credentials")
        out.append((creds if keep else ctx.hit("secret.url_credentials")) + "@")
    out.append(_host(m["host"], ctx))
    out.append(m["port"] or "")
    out.append(_path_query(m["host"], m["path"], m["query"], m["fragment"], ctx))
    rewritten = "".join(out) + suffix
    return rewritten if rewritten != text else None


def _path_query(host: str, path: str, query: str | None, fragment: str | None, ctx: Context,
                relative: bool = False) -> str:
    """A URL's path (user segments, then the other rules with file names read as routes) and its query values.

    A relative URL's path may be a file path too (`/Users/alice/x?y=1`): it gets every rule, the path rules too."""
    out = []
    was, ctx.in_url = ctx.in_url, True  # document-like names in URL paths are downloads and routes, not files
    scan = ctx.rescan if relative else ctx.inner
    try:
        inner = private_items(credentials_in_path(_users_in_path(host, path, ctx), ctx), ctx)
        out.append(scan(inner, ctx) if path else "")
    finally:
        ctx.in_url = was
    if query is not None:
        out.append("?" + _params(query, ctx))
    if fragment is not None:
        if "/" in fragment and "=" not in fragment:  # a single-page app's route: #inbox/<id>, #/review/412
            out.append("#" + ctx.inner(private_items(fragment, ctx), ctx))
        else:
            out.append("#" + _params(fragment, ctx))
    return "".join(out)


_RELATIVE = re.compile(r"(?P<path>[^?#]*)\?(?P<query>[^#]*)(?:\#(?P<fragment>.*))?", re.DOTALL)


def _rewrite_relative(text: str, ctx: Context) -> str | None:
    """A URL without scheme and host (`/v1/users?q=...`, a router's `to`, an access log's request line): the same
    treatment as a full URL's path and query."""
    tail = _TRAILING.search(text)
    suffix = tail.group() if tail and not text.endswith("]") else ""
    m = _RELATIVE.fullmatch(text[: len(text) - len(suffix)])
    if m is None:
        return None
    rewritten = _path_query("", m["path"], m["query"], m["fragment"], ctx, relative=True) + suffix
    return rewritten if rewritten != text else None


_SCP = re.compile(r"(?P<head>[\w.-]+@(?P<host>[\w.-]+):/?)(?P<owner>[\w.-]+)(?P<rest>/.*)", re.DOTALL)


def rewrite_scp(text: str, ctx: Context) -> str | None:
    """git's scp-like remote `git@github.com:owner/repo.git`: the owner as in an https URL of the same host."""
    m = _SCP.fullmatch(text)
    if m is None or not ctx.on("url.user") or m["host"].lower() not in CODE_HOSTS or _ours(m["owner"]):
        return None
    if not personal_owner(m["owner"], ctx):
        return None
    ctx.learn(m["owner"], "url.user")
    return m["head"] + ctx.hit("url.user") + m["rest"]


RULES: tuple[Rule, ...] = (
    Rule(
        id="secret.url_query",
        needs=r"=",
        token="[secret]",
        why="sensitive query parameters outside a full URL: access logs, relative links (/dl?sig=...)",
        pattern=r"""
            (?<=[?&;])
            (?!(?<=;)(?i:password|pwd)=)                 # after ';' a connection string's: the kv rule reads to ';'
            (?i:access_token|refresh_token|id_token|auth_token|token|api_?key|apikey|secret|client_secret
               |password|passwd|sig|signature|x-amz-signature|x-amz-credential|x-amz-security-token
               |x-goog-signature|x-goog-credential|code|sessionid|session_id|sid|jwt|ticket|otp)
            =(?!\[)[^&\s"'#]+
        """,
        rewrite=lambda text, ctx: text.split("=", 1)[0] + "=" + ctx.hit("secret.url_query"),
        matches=("GET /exports/download?sig=4m5dJ1R6OOqgrcdjdUFDZ&expires=1", "/cb?code=abc123"),
        must_not_match=("/search?q=shoes&page=2", "?lang=en"),
    ),
    Rule(
        id="url.relative",
        needs=r"\?",
        token="[personal]",
        why="URLs without scheme and host (router paths, request lines, `to`/`from` properties): the query values are "
        "read like a full URL's (sensitive names, a person's name or e-mail, search terms), path segments as routes",
        pattern=r"""
            /(?<![\w/:.%~\\-]/)(?:[^\s?#"'<>`\\|]{0,400})\?(?=[^\s#"'<>`=&]{1,100}=)[^\s#"'<>`]{1,4000}
            (?:\#[^\s"'<>`]{0,1000})?
        """,
        rewrite=_rewrite_relative,
        reports=("secret.url_query", "url.user", "url.param", "content", "secret.url_path"),
        matches=("/v1/users?q=olumide.bakare", "GET /book?guest=Amina%20Juma&date=2025-04-01 HTTP/1.1",
                 "/salons/214/reservations?customer_name=%E5%B1%B1%E7%94%B0&tel=090", "/reset?uid=MTA0Mjc&x=1",
                 "/orders?first_name=Oskar&sort=asc"),
        must_not_match=("/search?page=2&sort=asc", "/docs?theme=dark&lang=en", "/usr/bin/python? no",
                        "/api/items?id=42&ref=docs"),
    ),
    Rule(
        id="url.scp",
        needs=r"@",
        token="[user]",
        why="git's scp-like remotes (`git@github.com:owner/repo.git`): the owner is read as in the https URL of the "
        "same code host",
        pattern=r"""
            (?<![\w.@-])[\w.-]{1,64}@(?:github\.com|gitlab\.com|bitbucket\.org|codeberg\.org|gitee\.com):/?
            [\w.-]{1,100}/[\w.-]{1,200}(?:/[\w.-]{1,200}){0,8}
        """,
        rewrite=rewrite_scp,
        reports=("url.user",),
        matches=("git@github.com:lindqvist-oskar/dotfiles.git",),
        must_not_match=("git@github.com:rust-lang/cargo.git", "git@example.com:owner/repo.git"),
    ),
    Rule(
        id="secret.url_credentials",
        needs=r"://",
        token="[secret]",
        why="URLs are taken apart: user:pass@ goes, sensitive query values go, the rest is scanned like text",
        pattern=r"""
            (?<![\w+.-])
            (?:(?i:https?|wss?|ftps?|sftp|ssh|git|postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?
               |amqps?|ldaps?|smtps?|imaps?|nats|kafka|s3|gs)://
              | [A-Za-z][A-Za-z0-9+.-]{1,20}://(?=[^\s/@:"'<>`]{1,256}:[^\s/@"'<>`]{1,256}@))  # user:pass@ any scheme
            [^\s"'<>`\\]+
        """,
        rewrite=rewrite_url,
        reports=("secret.url_query", "url.user", "url.param", "secret.url_path", "content"),
        matches=("https://mail.google.com/mail/u/0/#inbox/FMfcgzQXKbRwLmNpTvHsDcXqZjPlBfGh",
                 "https://user:pass@example.com/x", "https://clients.example.fr/password/reset/4c1f8e0b7a2d9e63f5b1",
                 "postgres://app:hunter2@db.internal:5432/prod",
                 "https://api.example.com/v1?access_token=abc123&page=2", "https://alice@example.com/x",
                 "https://x.example/cb#id_token=eyJabc", "https://appcenter.ms/users/Orvyn/apps/Fluff/crashes",
                 "https://www.linkedin.com/in/adaeze-nwosu-4b1a7290/", "https://github.com/mkhalil-dev?tab=repositories",
                 "https://admin.example.gov.uk/platform-admin/user?email-or-name=Hannah+Whitcombe",
                 "https://shop.example/?customer_name=%E5%B1%B1%E7%94%B0", "https://x.example/r?ref=YWxpY2VAZXhhbXBsZS5jb20=",
                 "https://x.com/kemi_adebayo_/status/1790000000000", "https://www.instagram.com/hana.suzuki/",
                 "https://cloud.example.fr/s/qTM7LbVwZyE3nPd", "https://www.dropbox.com/scl/fi/x/a.zip?rlkey=ab12cd&dl=0",
                 "https://stackoverflow.com/users/4821937/priya-raghunathan",
                 "https://jdoe.github.io/blog/", "https://marta.substack.com/p/why",
                 "https://app.bugsnag.com/lindqvist-games/tiles/errors/5c41c1da22a18600196e23e8?event_id=5c41",
                 "https://sentry.io/organizations/kovac-labs/issues/4412/", "https://dev.azure.com/tkaur/site/_build",
                 "twilio://AC4e81b07c2d9f3a56e1870b4c9d2f63a4:9b3f0e5c71a84d26b0c9e4f17a2d58c3@14155550179/16175550126"),
        must_not_match=("https://example.com/docs/page?lang=en", "http://localhost:8080/health", "https://x.example/?theme=dark",
                        "https://github.com/rust-lang/cargo/issues/2675", "https://api.example.com/v1/users/me",
                        "https://example.com/?page_name=home&ref=docs",
                        "https://github.com/encode/httpx/blob/master/httpx/_client.py#L120",
                        "https://x.com/home", "https://www.instagram.com/explore/tags/x/", "https://docs.github.com/en/pages",
                        "https://app.bugsnag.com/settings/my-account/", "https://sentry.io/organizations/"),
    ),
)
