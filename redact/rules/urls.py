"""URLs: credentials in the authority, values of sensitive query parameters, personal hosts, inner findings."""

from __future__ import annotations

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


def _params(text: str, ctx: Context) -> str:
    def one(m: re.Match[str]) -> str:
        if m["eq"] and m["value"] and _sensitive(m["name"]) and ctx.on("secret.url_query") and not _ours(m["value"]):
            return m["name"] + "=" + ctx.hit("secret.url_query")
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
        out.append(ctx.inner(m["path"], ctx) if m["path"] else "")
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
        reports=("secret.url_query",),
        matches=("https://user:pass@example.com/x", "postgres://app:hunter2@db.internal:5432/prod",
                 "https://api.example.com/v1?access_token=abc123&page=2", "https://alice@example.com/x",
                 "https://x.example/cb#id_token=eyJabc"),
        must_not_match=("https://example.com/docs/page?lang=en", "http://localhost:8080/health",
                        "https://github.com/encode/httpx/blob/master/httpx/_client.py#L120"),
    ),
)
