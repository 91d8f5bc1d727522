"""Credentials: vendor API keys, JWTs, auth headers, PEM keys, key=value secrets, high-entropy tokens."""

from __future__ import annotations

import math
import re
from collections import Counter

from redact.rules.base import Context, Rule

SECRET = "[secret]"

_KV = re.compile(
    r"""(?x)
    (?P<key>[^:：=\n]*?[:：=]\s*["']?|.*?(?<=\w)[ ]+["']?)   # up to the separator (= or :, else spaces) and a quote
    (?P<value>.+?)                # the secret itself
    (?P<close>["']?)\Z            # a closing quote stays
    """,
    re.DOTALL,
)
_AUTH = re.compile(r"(?x) (?P<scheme>.*?(?i:bearer|basic|token|digest)\s+) (?P<cred>.+)", re.DOTALL)


_PEM = re.compile(r"(?P<begin>-----BEGIN[^-]*-----)(?P<body>.*?)(?P<end>-----END[^-]*-----)?\Z", re.DOTALL)
_SLACK_HOOK = re.compile(r"(?P<prefix>https://hooks\.slack\.com/\w+/)(?P<secret>.+)")
_AWS_PARTS = re.compile(r"(?:AKIA|ASIA|ABIA|ACCA|AROA|AIDA)[A-Z2-7]{16}|[A-Za-z0-9/+]{40}\Z")
_INTEGRITY = re.compile(r"(?i:sha(?:1|256|384|512)-|h1:)")


def _pem(text: str, ctx: Context) -> str | None:
    """Keep the armor lines (they say what kind of key leaked), drop the body."""
    m = _PEM.match(text)
    if m is None:
        return None
    return m["begin"] + ctx.hit("secret.pem") + (m["end"] or "")


def _slack(text: str, ctx: Context) -> str | None:
    m = _SLACK_HOOK.match(text)
    return (m["prefix"] if m else "") + ctx.hit("secret.slack")


def _keep_key(text: str, ctx: Context) -> str | None:
    """`password=hunter2` -> `password=[secret]`: the key tells triage what was there."""
    m = _KV.match(text)
    if m is None:
        return None
    return m["key"] + ctx.hit("secret.kv") + m["close"]


def _keep_scheme(text: str, ctx: Context) -> str | None:
    m = _AUTH.match(text)
    if m is None:
        return None
    return m["scheme"] + ctx.hit("secret.auth_header")


_COOKIE_HEAD = re.compile(r"(?P<head>(?:(?i:set-cookie|cookie)[ \t]*:|--cookie|-b)[ \t]*['\"]?)(?P<rest>.*)", re.DOTALL)
_COOKIE_PAIR = re.compile(r"(?P<name>[^=;,\s]{1,128})=(?P<value>[^;\r\n'\"]*)")
_COOKIE_ATTRIBUTES = frozenset(
    "path domain expires max-age samesite secure httponly priority partitioned version".split()
)
_LAST_LITERAL = re.compile(r"(?P<q>['\"])(?P<secret>[^'\"\r\n]*)(?P=q)\s*\)?\Z")


def _cookies(text: str, ctx: Context) -> str | None:
    """Cookie: every value goes; Set-Cookie: the cookie's value goes, its attributes (Path, Expires, ...) stay."""
    m = _COOKIE_HEAD.match(text)
    if m is None:
        return None

    def pair(p: re.Match[str]) -> str:
        if p["name"].lower() in _COOKIE_ATTRIBUTES or not p["value"] or p["value"].startswith("["):
            return p.group()
        return p["name"] + "=" + ctx.hit("secret.cookie")

    return m["head"] + _COOKIE_PAIR.sub(pair, m["rest"])


def _positional(text: str, ctx: Context) -> str | None:
    """login('me@x.org', 'pw'), connect('db', 'app', 'pw'), auth=('u', 'pw'): the last literal is the password."""
    m = _LAST_LITERAL.search(text)
    if m is None or not m["secret"]:
        return None
    return ctx.inner(text[: m.start("secret")], ctx) + ctx.hit("secret.positional") + text[m.end("secret") :]


def _shannon(text: str) -> float:
    n = len(text)
    return -sum(c / n * math.log2(c / n) for c in Counter(text).values())


def looks_random(text: str) -> bool:
    """Random tokens mix cases and digits densely; identifiers and words do not."""
    if _INTEGRITY.match(text):
        return False  # subresource-integrity and go.sum hashes are public checksums
    core = text.rstrip("=")
    longest = max(len(part) for part in re.split(r"[/_.-]", core))
    if longest < 24:
        return False  # path-like or kebab-case runs of short words
    upper = sum(c.isupper() for c in core)
    lower = sum(c.islower() for c in core)
    digits = sum(c.isdigit() for c in core)
    return upper >= 2 and lower >= 2 and digits >= 2 and _shannon(core) >= 4.0


def random_somewhere(text: str) -> bool:
    """The run is a random token, or a path with one (`/invite/accept/<token>`)."""
    return looks_random(text) or "/" in text and any(looks_random(seg) for seg in text.split("/"))


def _entropy(text: str, ctx: Context) -> str | None:
    """A path-like run (`/admin/autologin/<token>`) loses only its random segments: the route stays for triage.
    A run with no random segment that is random as a whole (base64 with slashes) goes whole."""
    if "/" in text:
        segments = text.split("/")
        if any(looks_random(seg) for seg in segments):
            return "/".join(ctx.hit("secret.entropy") if looks_random(seg) else seg for seg in segments)
    return ctx.hit("secret.entropy") if looks_random(text) else None


RULES: tuple[Rule, ...] = (
    Rule(
        id="secret.pem",
        needs=r"-----BEGIN ",
        token="[private key]",
        why="a PEM private key block, also with JSON-escaped newlines or cut off by a size limit",
        pattern=r"""
            -----BEGIN[ ](?:[A-Z0-9]+[ ])*PRIVATE[ ]KEY-----
            (?s:.*?)                                     # body, lazily, across lines
            (?:-----END[ ](?:[A-Z0-9]+[ ])*PRIVATE[ ]KEY-----|\Z)   # a truncated key is still a key
        """,
        rewrite=_pem,
        matches=("-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----",
                 "-----BEGIN PRIVATE KEY-----\\nMIIEvQ\\n-----END PRIVATE KEY-----"),
        must_not_match=("-----BEGIN CERTIFICATE-----", "-----BEGIN PUBLIC KEY-----"),
    ),
    Rule(
        id="secret.slack",
        needs=r"xox|xapp-|https://hooks\.slack\.com/",
        token=SECRET,
        why="Slack bot/user/app tokens and incoming-webhook URLs (the path is the secret)",
        pattern=r"""
            (?<![\w-])(?:xox[abposre]|xapp)-[A-Za-z0-9-]{10,}
          | https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_-]{10,}
        """,
        rewrite=_slack,
        matches=("xoxb-2345678901-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
                 "xapp-1-A0123456789-1234567890123-3f2a9c41b7d05e86a1c4f9b2d7e03a5c8b6f1d4e2a9c7b05e3f8d1a6c4b2e97f0",
                 "https://hooks.slack.com/services/T0000/B0000/XXXXXXXXXXXXXXXX"),
        must_not_match=("xox-tool", "https://slack.com/help"),
    ),
    Rule(
        id="secret.jwt",
        needs=r"\.eyJ",
        token=SECRET,
        why="JSON Web Tokens: base64url header and payload both start with eyJ ('{\"')",
        pattern=r"(?<![\w-])eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{8,}",
        matches=("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",),
        must_not_match=("eyJhbGciOiJIUzI1NiJ9", "eyJ.eyJ.x"),
    ),
    Rule(
        id="secret.anthropic",
        needs=r"sk-ant-",
        token=SECRET,
        why="Anthropic keys (sk-ant-api03-..., sk-ant-admin01-...); listed before OpenAI's broader sk-",
        pattern=r"(?<![\w-])sk-ant-[A-Za-z0-9_-]{20,}",
        matches=("sk-ant-api03-AbCdEf0123456789_abcdefGHIJKL-xyz",),
        must_not_match=("sk-ant-short", "task-ant-api03-AbCdEf0123456789_abcdef"),
    ),
    Rule(
        id="secret.openai",
        needs=r"sk-",
        token=SECRET,
        why="OpenAI keys: sk-, sk-proj-, sk-svcacct-, sk-admin-; a digit is required so sk-learn-... prose is spared",
        pattern=r"""
            (?<![\w-])sk-(?:proj-|svcacct-|admin-|None-)?
            (?=[A-Za-z0-9_-]*\d)[A-Za-z0-9_-]{20,}
        """,
        matches=("sk-proj-Abc123Def456Ghi789Jkl012Mno345", "sk-AbCdEfGhIjKlMnOpQrStT3BlbkFJ0123456789abcdefghij"),
        must_not_match=("sk-learn-compatible-estimators", "risk-score-0123456789abcdefghij"),
    ),
    Rule(
        id="secret.github",
        needs=r"gh[pousr]_|github_pat_",
        token=SECRET,
        why="GitHub tokens have fixed prefixes: ghp_, gho_, ghu_, ghs_, ghr_, github_pat_",
        pattern=r"(?<![\w-])(?:gh[pousr]_[A-Za-z0-9]{30,255}|github_pat_[A-Za-z0-9_]{22,255})",
        matches=("ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
                 "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz"),
        must_not_match=("ghp_short", "gh_pages"),
    ),
    Rule(
        id="secret.gitlab",
        needs=r"gl[a-z]+-",
        token=SECRET,
        why="GitLab personal, deploy, runner and feed tokens have glpat-/gldt-/glrt-/... prefixes",
        pattern=r"(?<![\w-])gl(?:pat|dt|rt|ptt|ft|soat|agent|cbt|imt|oas)-[A-Za-z0-9_-]{20,}",
        matches=("glpat-xxxxXXXX1234yyyyZZZZ",),
        must_not_match=("glpat-short", "global-setting-name-long-enough"),
    ),
    Rule(
        id="secret.stripe",
        needs=r"_(?:live|test)_|whsec_",
        token=SECRET,
        why="Stripe secret, restricted and publishable keys and webhook signing secrets",
        pattern=r"(?<![\w-])(?:(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}|whsec_[A-Za-z0-9]{24,})",
        matches=("sk_live_4eC39HqLyjWDarjtT1zdp7dc", "whsec_abcdefghijklmnopqrstuvwxyz012345"),
        must_not_match=("sk_live_", "desk_test_cases_for_the_win"),
    ),
    Rule(
        id="secret.aws",
        needs=r"A(?:KIA|SIA|BIA|CCA|ROA|IDA)",
        token=SECRET,
        why="AWS access key ids (a four-letter kind prefix then 16 upper-case base32 characters), and the 40-character "
        "secret access key printed right after one (credentials CSV, a pasted key pair)",
        pattern=r"""
            (?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA|AROA|AIDA)[A-Z2-7]{16}(?![A-Za-z0-9])
            (?:[\s,:;|'"=]{1,6}[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=]))?   # and its secret key (a CSV row, a paste)
        """,
        rewrite=lambda text, ctx: _AWS_PARTS.sub(lambda m: ctx.hit("secret.aws"), text),
        matches=("AKIAIOSFODNN7EXAMPLE", "key=ASIAY34FZKBOKMUTVV7A",
                 "AKIAZ3MXQ5TQKL7HWNGE,Jx4p1H9cT0vYk2Qm8WbZr5LdNs7Ea3Gu6Fo0XiKj"),
        must_not_match=("AKIAIOSFODNN7", "akiaiosfodnn7example"),
    ),
    Rule(
        id="secret.google",
        needs=r"AIza|ya29\.",
        token=SECRET,
        why="Google API keys (AIza + 35) and OAuth access tokens (ya29.)",
        pattern=r"(?<![\w-])(?:AIza[0-9A-Za-z_-]{35}|ya29\.[0-9A-Za-z_-]{20,})",
        matches=("AIzaSyA1234567890abcdefghijklmnopqrstuv", "ya29.a0AfH6SMBabcdefghijklmnop"),
        must_not_match=("AIzaShort", "ya29.1"),
    ),
    Rule(
        id="secret.vendor",
        token=SECRET,
        why="other services' tokens with fixed prefixes or shapes: npm, Docker Hub, SendGrid, Telegram bots, Hugging "
        "Face, PyPI, Shopify, Groq, Replicate, DigitalOcean, Twilio, Mailgun, Mailchimp, Square, Postman, Linear, "
        "Notion, Atlassian, Databricks, Vault, Pulumi, Terraform Cloud, New Relic, Doppler, Figma, Sentry, Grafana, "
        "PostHog, Supabase, Google OAuth client secrets and refresh tokens, age keys, Azure AD client secrets, Discord",
        pattern=r"""
            (?<![\w-])
            (?:npm_[A-Za-z0-9]{36}
              | dckr_pat_[A-Za-z0-9_-]{20,}
              | SG\.[A-Za-z0-9_-]{16,32}\.[A-Za-z0-9_-]{30,64}
              | (?:bot)?\d{8,10}:AA[A-Za-z0-9_-]{33}
              | hf_[A-Za-z0-9]{30,}
              | pypi-AgE[A-Za-z0-9_-]{50,}
              | shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}
              | gsk_[A-Za-z0-9]{40,}
              | r8_[A-Za-z0-9]{30,}
              | do[opr]_v1_[a-f0-9]{64}
              | SK[0-9a-f]{32}(?![\w-])                        # Twilio API key
              | key-[0-9a-z]{32}(?![\w-])                      # Mailgun
              | [0-9a-f]{32}-us\d{1,2}(?![\w-])                # Mailchimp
              | sq0(?:atp|csp)-[\w-]{22,43}                     # Square
              | PMAK-[0-9a-f]{24}-[0-9a-f]{34}                  # Postman
              | lin_(?:api|oauth)_[A-Za-z0-9]{40}               # Linear
              | (?:ntn|secret)_[A-Za-z0-9]{43}(?![\w-])         # Notion
              | ATATT3[A-Za-z0-9_=-]{150,250}                   # Atlassian API token
              | dapi[0-9a-f]{32}(?:-\d)?(?![\w-])              # Databricks
              | hv[sb]\.[A-Za-z0-9_-]{24,}                      # HashiCorp Vault
              | pul-[0-9a-f]{40}                                # Pulumi
              | [A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,}   # Terraform Cloud
              | NRAK-[A-Z0-9]{27}                               # New Relic
              | dp\.(?:pt|st|sa|ct)\.[A-Za-z0-9]{40,44}         # Doppler
              | figd_[\w-]{40}                                  # Figma
              | sntr[ysu]_[A-Za-z0-9+/=_]{40,200}               # Sentry auth tokens
              | gl(?:sa|c)_[A-Za-z0-9+/_=]{32,}                  # Grafana
              | phx_[A-Za-z0-9]{30,}                            # PostHog personal API key
              | sbp_[0-9a-f]{40}                                # Supabase
              | GOCSPX-[\w-]{28}                                # Google OAuth client secret
              | 1//0[\w-]{40,}                                  # Google OAuth refresh token
              | AGE-SECRET-KEY-1[0-9A-Z]{58}
              | [A-Za-z0-9_~.-]{3}\dQ~[A-Za-z0-9_~.-]{31,34}(?![\w~.-])   # Azure AD client secret
              | [MN][A-Za-z\d]{23,25}\.[\w-]{6}\.[\w-]{27,38}(?![\w-]))  # Discord bot token
        """,
        matches=("npm_70NNqToJoRdR5i18FtWzLKpqWlGnxg5HO5wK", "dckr_pat_UFuqyr1zr4HR4l6j2_Ktcv8rbV4",
                 "bot7123456789:AAHhD_azgdM1c-BhfzY6J4FuAsRLhrRWpxD", "hf_abcdefghijklmnopqrstuvwxyz012345",
                 "SK2b4c6d8e0f2a4b6c8d0e2f4a6b8c0d2e", "key-3ax6xnjp29jd6fds4gc373sgvjxteol0",
                 "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", "hvs.CAESIJ3kq8xW2mZpL7vN0bR5tY9uA1cE4gH6jK",
                 "Qx78Q~aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3x", "dapi0123456789abcdef0123456789abcdef"),
        must_not_match=("npm_config_cache", "hf_hub_download", "12345678:AA", "key-value-store-for-the-app",
                        "SKIP_THIS_STEP", "secret_key_base"),
    ),
    Rule(
        id="secret.auth_header",
        needs=r"(?i:bearer|basic|token|digest)\s",
        token=SECRET,
        why="Authorization/Bearer/Basic credentials; the scheme word stays, a digit or 20+ chars marks a credential",
        pattern=r"""
            (?:(?i:proxy-)?(?i:authorization)["']?\s*[:=]\s*["']?)?   # optional header name
            (?<![\w-])(?i:bearer|basic|token|digest)\s+
            (?=[A-Za-z0-9._~+/=-]*\d|[A-Za-z0-9._~+/=-]{20})           # prose like 'Basic auth' has neither
            [A-Za-z0-9._~+/-]{8,}=*
        """,
        rewrite=_keep_scheme,
        matches=("Authorization: Bearer abc123def456ghi", "Basic dXNlcjpwYXNzd29yZA==", "bearer 0123456789"),
        must_not_match=("Basic authentication failed", "Bearer tokens expired", "token refresh"),
    ),
    Rule(
        id="secret.kv",
        token=SECRET,
        why="key=value or key: value pairs whose key names a secret, in logs, env dumps, JSON text, CLI args",
        pattern=r"""
            (?:(?<=;)(?i:password|pwd)=                    # connection strings: Password=a&b c;... up to the ';'
               (?![\s;\[*<$%]|(?i:null|none|true|false|undefined|yes|no)(?![^;\r\n"']))
               [^;\r\n"']{1,128}(?=;|["']|[ \t]*(?:\r?\n|\Z))
             | (?<![^"'\s;])(?i:password|passwd|pwd|passphrase)=(?![\[*<$%/~]|[A-Za-z]:\\)   # Password=a&b,c)d
               (?!(?i:null|none|true|false|undefined|yes|no)(?!\w))                  # (not PWD=/srv: a directory)
               [^;\s"']{0,127}[^;\s"',.)\]}])
          | (?<![A-Za-z0-9])
            (?:[A-Za-z0-9]{1,32}[_.-]){0,4}?             # prefixes: DB_, aws_, x-api- (bounded: linear on a-a-a-...)
            (?:[A-Z]{2,8}(?=PASS|SECRET|TOKEN)|[a-z][a-z0-9]{1,15}(?=[A-Z]))?   # glued: PGPASSWORD, _authToken
            (?i:password|passwd|passphrase|secret|token|api[_-]?key|apikey|access[_-]?key|secret[_-]?key
               |private[_-]?key|account[_-]?key|shared[_-]?access[_-]?key|signing[_-]?key|master[_-]?key
               |encryption[_-]?key|credentials?|session[_-]?id)
            (?:[_-](?i:key|id|value|token|secret|access)){0,4}  # suffixes that keep it a secret (not token_count)
            (?![A-Za-z0-9])
            ["']?\s*[:=]\s*                               # = or : with optional JSON/shell quoting
            (?!["']?(?i:null|none|true|false|undefined|yes|no)(?!\w)|["']?[*\[<]|["']?%\w+%   # placeholders,
               |["']?\$(?:\{|\(|[A-Z_][A-Z0-9_]*(?![a-z])|[a-z_][a-z0-9_]*(?![A-Z0-9])))  # variables, not $Tq88
            (?:"[^"\r\n]{1,256}"|'[^'\r\n]{1,256}'|[^\s"',;&}\])]+)
          | (?i:password|passphrase)[ ](?=["'][^"'\s]{3,64}["'])["'][^"'\s]{3,64}["']  # prose: and password "x"
          | (?:密码|密碼|口令|パスワード|비밀번호|Passwort|Kennwort|пароль|Пароль|contraseña|Contraseña|senha|Senha
               |hasło|Hasło)
            [^:：=\n]{0,12}[:：=][ \t]{0,4}(?![\[*<$%])[^\s"'，,]{1,64}   # localized prompts: 请输入密码(必填): x
          | --(?:[A-Za-z0-9]+-)*(?i:password|passwd|secret|token|api-?key|key|credentials?)  # CLI flags
            (?:=|[ ]+(?=[^\s"']*[\d_/+=]))(?!-)[^\s"']+     # spaced values need a digit or symbol
        """,
        rewrite=_keep_key,
        matches=("password=hunter2", "DB_PASSWORD=s3cr3t", '"api_key": "abc123"', "token: 9f8e7d",
                 "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG", "client_secret=xyz", "PGPASSWORD='a b&c'",
                 "AccountKey=abc/def==;", "--wandb-key 85ce677f1d04",
                 "Server=db;User Id=app;Password=Tr0ub4dor&3-kiwi;",
                 "//registry.npmjs.org/:_authToken=2a7c1f3e-9b4d-4e8a-a1c2-5f6e7d8c9b0a",
                 'i enter the username "r00tk1d" and password "wasiq" and', "请输入数据库的密码(必填): kq*ze&nT4w8pxlo",
                 'password: "$Tq8841275"'),
        must_not_match=("max_tokens=512", "token_count=42", "password=null", "tokens: 1234", "password: [secret]",
                        "api_key: ${ACME_API_KEY}", "using password: YES", "PWD=/srv/app", "--sort-by name",
                        "Using --password via the CLI", "maxTokens=512", "hasPassword=false",
                        "the password 'is wrong'", 'password: "$DB_PASSWORD"', "password: ${{ secrets.DB }}"),
    ),
    Rule(
        id="secret.entropy",
        needs=r"[A-Za-z0-9_+/-]{32}",
        token=SECRET,
        why="any other long random-looking token (base62/base64, mixed case and digits); hex ids stay for triage",
        pattern=r"(?<![\w/+=.-])(?<!h1:)[A-Za-z0-9_+/-]{32,}={0,2}(?![\w/+=-])",
        validate=random_somewhere,
        rewrite=_entropy,
        matches=("Xk9mP2qR7vT4wY8zA3bC6dE1fG5hJ0kL", "dGhpcyBpcyBhIHNlY3JldCB0b2tlbjEyMzQ1Njc4OTA="),
        must_not_match=("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                        "550e8400-e29b-41d4-a716-446655440000", "ThisIsAVeryLongCamelCaseFunctionName",
                        "site-packages/httpx/_transports/default.py"),
    ),
    Rule(
        id="secret.cookie",
        needs=r"(?i:cookie)|-b",
        token=SECRET,
        why="Cookie and Set-Cookie header values (sessions, CSRF and auth cookies), also curl's -b/--cookie; "
        "cookie names and Set-Cookie attributes stay for triage",
        pattern=r"""
            (?<![\w-])(?i:set-cookie|cookie)[ \t]*:[ \t]*[^\r\n]{1,4096}      # the header line
          | (?<![\w-])(?:--cookie|-b)[ ]+['"][^'"\r\n]{1,4096}(?=['"])          # curl -b 'a=b; c=d'
        """,
        rewrite=_cookies,
        matches=("Cookie: sessionid=9a8b7c6d5e; csrftoken=Zx81Qp", "Set-Cookie: JSESSIONID=AB12CD34; Path=/; HttpOnly",
                 "curl -b 'laravel_session=eyJpdiI6; XSRF-TOKEN=abc' https://x.example"),
        must_not_match=("Cookie: [secret]", "cookie policy: none", "Set-Cookie: Path=/; Secure"),
    ),
    Rule(
        id="secret.positional",
        needs=r"\(",
        token=SECRET,
        why="passwords passed by position to well-known calls: smtplib/imaplib/ftplib login(user, pw), "
        "requests auth=(user, pw), HTTPBasicAuth, JDBC getConnection(url, user, pw), MySQLdb/pymysql/mysqli "
        "connect(host, user, pw), PHP mysql_connect, LDAP simple_bind_s(dn, pw), .NET NetworkCredential",
        pattern=r"""
            (?<![\w])(?:login|log_in|signin|sign_in|authenticate|HTTPBasicAuth|HTTPDigestAuth|BasicAuth
               |simple_bind_s|bind_s|NetworkCredential|UsernamePasswordCredentials|PasswordAuthentication
               |setCredentials|set_credentials)
            \s{0,4}\(\s{0,4}(?:'[^'\\\r\n]{1,128}'|"[^"\\\r\n]{1,128}")\s{0,4},\s{0,4}
            (?:'[^'\\\r\n]{1,128}'|"[^"\\\r\n]{1,128}")(?=\s{0,4}[,)])
          | (?<![\w])auth\s{0,4}=\s{0,4}\(\s{0,4}(?:'[^'\r\n]{1,128}'|"[^"\r\n]{1,128}")\s{0,4},\s{0,4}
            (?:'[^'\r\n]{1,128}'|"[^"\r\n]{1,128}")(?=\s{0,4}\))
          | (?<![\w])(?:connect|mysql_connect|mysqli_connect|mysqli|getConnection|FTP|FTP_TLS|pg_connect)
            \s{0,4}\(\s{0,4}(?:'[^'\r\n]{1,256}'|"[^"\r\n]{1,256}"|[\w.$]{1,100})\s{0,4},\s{0,4}
            (?:'[^'\r\n]{1,128}'|"[^"\r\n]{1,128}")\s{0,4},\s{0,4}
            (?:'[^'\r\n]{1,128}'|"[^"\r\n]{1,128}")(?=\s{0,4}[,)])
        """,
        rewrite=_positional,
        matches=("mail.login('someone@example.com','8842017356')", "requests.post(url, auth=('svc_etl', 'Xu7!pQ2zLm'))",
                 'MySQLdb.connect("localhost", "testuser", "test623", "TESTDB")',
                 'DriverManager.getConnection(url, "app", "s3cret!")', "ftp.login('anon', 'guest@x')"),
        must_not_match=("login(user, password)", "connect('localhost', 5432)", "auth=('[secret]', x)",
                        'getConnection(url, "app", props)'),
    ),
)
