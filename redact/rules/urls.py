"""URLs: credentials in the authority, values of sensitive query parameters, personal hosts, inner findings."""

from __future__ import annotations

import base64
import binascii
import re

from redact.rules.base import Context, Rule

SENSITIVE_PARAMS = frozenset(
    """token access_token refresh_token id_token auth auth_token key api_key apikey secret client_secret
    password pass pwd passwd sig signature x-amz-signature x-amz-credential x-amz-security-token
    x-goog-signature x-goog-credential code session sessionid session_id sid jwt ticket otp email
    private_token sas skoid sktid""".split()
)
# Search boxes and prompts put what the user typed into the query string: that is content.
CONTENT_PARAMS = frozenset("q query search search_query searchterm keywords prompt text message msg input".split())
_SENSITIVE_SUFFIXES = ("token", "secret", "password", "signature", "apikey", "api_key")
# Query parameters that carry a person: any of these words in the name (email-or-name, customer_phone,
# loginOrName), "name" with a person word, and e-mail tracking ids (Mailchimp, Klaviyo, Marketo, HubSpot).
PERSONAL_WORDS = frozenset(
    "email mail phone mobile tel msisdn login username userid uid surname firstname lastname".split()
)
PERSON_NAME_WORDS = frozenset("first last full display user customer contact given family real or".split())
TRACKING_PARAMS = frozenset("mc_eid _kx klaviyo_id mkt_tok _hsenc _hsmi email_hash vero_id".split())
_WORDS = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
_BASE64 = re.compile(r"[A-Za-z0-9+/_-]{16,}={0,2}")
# Path segments after these name a user: /users/<u>, /u/<u>, /in/<u> (LinkedIn), /@<u>, /~<u>.
_USER_SEGMENT = re.compile(
    r"(?<=/)(?:(?i:users?|u|in|profiles?|people|members?|authors?|persons?)/|@|~)(?P<name>[^/?#\[\]\s]{2,100})"
)
_NOT_USER_SEGMENTS = frozenset(
    """me self current new edit search settings login logout sign_in sign_up signup signin register admin all
    list index profile account password reset invite apps""".split()
)
_UUID = re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}")
CODE_HOSTS = frozenset("github.com www.github.com gitlab.com bitbucket.org codeberg.org gitee.com".split())
_PROFILE_PATH = re.compile(r"/(?P<name>[A-Za-z0-9][A-Za-z0-9-]{0,38})/?\Z")
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


def _sensitive(name: str) -> bool:
    n = name.lower()
    return n in SENSITIVE_PARAMS or n.endswith(_SENSITIVE_SUFFIXES)


def _ours(value: str) -> bool:
    """A value we already replaced: scanning it again must change nothing."""
    return value.startswith("[") and value.endswith("]")


def _personal(name: str, value: str) -> bool:
    """A parameter whose name says it carries a person, or whose value is base64 of an e-mail address."""
    words = {w.lower() for w in _WORDS.findall(name)}
    if words & PERSONAL_WORDS or name.lower() in TRACKING_PARAMS or name.lower() == "name":
        return True
    if "name" in words and words & PERSON_NAME_WORDS:
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

    def one(m: re.Match[str]) -> str:
        name = m["name"]
        if name.lower() in _NOT_USER_SEGMENTS or _ours(name) or name[:1] in "{:<$" or name.isdigit() \
                or _UUID.fullmatch(name):  # person/device UUIDs are install_id's
            return m.group()
        ctx.learn(name, "url.user")
        return m.group()[: m.start("name") - m.start()] + ctx.hit("url.user")

    path = _USER_SEGMENT.sub(one, path)
    profile = _PROFILE_PATH.fullmatch(path) if host.lower() in CODE_HOSTS else None
    if profile is not None and profile["name"].lower() not in _CODE_HOST_ROUTES:
        ctx.learn(profile["name"], "url.user")
        path = "/" + ctx.hit("url.user") + path[profile.end("name") :]
    return path


def _params(text: str, ctx: Context) -> str:
    def one(m: re.Match[str]) -> str:
        if m["eq"] and m["value"] and _sensitive(m["name"]) and ctx.on("secret.url_query") and not _ours(m["value"]):
            return m["name"] + "=" + ctx.hit("secret.url_query")
        personal = m["eq"] and m["value"] and ctx.on("url.param") and not _ours(m["value"])
        if personal and _personal(m["name"], m["value"]):
            return m["name"] + "=" + ctx.hit("url.param")
        if m["eq"] and m["value"] and m["name"].lower() in CONTENT_PARAMS and ctx.on("content"):
            return m["name"] + "=" + ctx.hit("content").replace("{n}", str(len(m["value"])))
        return m["name"] + m["eq"] + ctx.rescan(m["value"], ctx)

    return _PARAM.sub(one, text)


def _host(host: str, ctx: Context) -> str:
    if host.startswith("["):
        inner = ctx.rescan(host[1:-1], ctx)
        return host if inner == host[1:-1] else "[" + inner.strip("[]") + "]"
    return ctx.rescan(host, ctx)


def _rewrite(text: str, ctx: Context) -> str | None:
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
    ctx.in_url = True  # document-like names in URL paths are downloads and routes, not a user's files
    try:
        out.append(ctx.inner(_users_in_path(m["host"], m["path"], ctx), ctx) if m["path"] else "")
    finally:
        ctx.in_url = False
    if m["query"] is not None:
        out.append("?" + _params(m["query"], ctx))
    if m["fragment"] is not None:
        out.append("#" + _params(m["fragment"], ctx))
    rewritten = "".join(out) + suffix
    return rewritten if rewritten != text else None


RULES: tuple[Rule, ...] = (
    Rule(
        id="secret.url_query",
        token="[secret]",
        why="sensitive query parameters outside a full URL: access logs, relative links (/dl?sig=...)",
        pattern=r"""
            (?<=[?&;])
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
        id="secret.url_credentials",
        token="[secret]",
        why="URLs are taken apart: user:pass@ goes, sensitive query values go, the rest is scanned like text",
        pattern=r"""
            (?<![\w+.-])
            (?i:https?|wss?|ftps?|sftp|ssh|git|postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?
               |amqps?|ldaps?|smtps?|imaps?|nats|kafka|s3|gs)://
            [^\s"'<>`\\]+
        """,
        rewrite=_rewrite,
        reports=("secret.url_query", "url.user", "url.param"),
        matches=("https://user:pass@example.com/x", "postgres://app:hunter2@db.internal:5432/prod",
                 "https://api.example.com/v1?access_token=abc123&page=2", "https://alice@example.com/x",
                 "https://x.example/cb#id_token=eyJabc", "https://appcenter.ms/users/Orvyn/apps/Fluff/crashes",
                 "https://www.linkedin.com/in/adaeze-nwosu-4b1a7290/", "https://github.com/mkhalil-dev?tab=repositories",
                 "https://admin.example.gov.uk/platform-admin/user?email-or-name=Hannah+Whitcombe",
                 "https://shop.example/?customer_name=%E5%B1%B1%E7%94%B0", "https://x.example/r?ref=YWxpY2VAZXhhbXBsZS5jb20="),
        must_not_match=("https://example.com/docs/page?lang=en", "http://localhost:8080/health", "https://x.example/?theme=dark",
                        "https://github.com/rust-lang/cargo/issues/2675", "https://api.example.com/v1/users/me",
                        "https://example.com/?page_name=home&ref=docs",
                        "https://github.com/encode/httpx/blob/master/httpx/_client.py#L120"),
    ),
)
