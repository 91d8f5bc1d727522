"""Addresses that point at a person or their machine: e-mail, IPv4/IPv6, MAC, machine names."""

from __future__ import annotations

import ipaddress
import re

from redact.rules.base import Context, Rule

# E-mail "TLDs" that are really file extensions: icon@2x.png is an asset, not an address.
_FILE_TLDS = frozenset(
    "png jpg jpeg gif svg webp ico pdf js mjs ts tsx py rb rs go json txt md css html htm zip gz so dll exe "
    "dylib lock toml yaml yml xml wasm map".split()
)


def _real_email(text: str) -> bool:
    return text.rsplit(".", 1)[-1].lower() not in _FILE_TLDS


# VS Code's remote authority `ssh-remote+<user>@<host>`: the resolver before the '+' names no one and stays.
_RESOLVER = re.compile(r"[a-z-]{0,30}(?:remote|container|tunnel|codespaces|wsl)\+")


def _email(text: str, ctx: Context) -> str | None:
    if not _real_email(text):
        return None
    resolver = _RESOLVER.match(text)
    return (resolver.group() if resolver else "") + ctx.hit("email")


def _public_v4(text: str) -> bool:
    """A host address: loopback, unspecified, network (.0) and broadcast (.255) addresses name no machine."""
    ip = ipaddress.IPv4Address(text)
    return not (ip.is_loopback or ip.is_unspecified or text.endswith((".0", ".255")))


def _public_v6(text: str) -> bool:
    try:
        ip = ipaddress.IPv6Address(text.split("%", 1)[0])
    except ValueError:
        return False
    if ip.is_loopback or ip.is_unspecified:
        return False
    groups = [g for g in text.split("%", 1)[0].split(":") if g]
    # 'a::b' and 'dead::beef' are C++/Rust paths or prose, not addresses
    return len(groups) >= 3 or (len(groups) == 2 and len(groups[0]) >= 3 and "::" in text)


_NOT_OWNERS = frozenset("the a an my your this that new old on using apple his her our their".split())


_OWNER = re.compile(r"(?P<owner>[A-Za-z]\w*?)(?P<poss>['’]s)?(?P<sep>[- ])")


def _owned_device(text: str) -> bool:
    """Bobs-MacBook-Pro and Alice's iPhone name an owner; 'and iphone' or 'the MacBook Pro' do not."""
    if "." in text or text.split("-", 1)[0].isupper() or text[:1].islower() and "-" in text and " " not in text:
        return True  # mDNS names, DESKTOP-7H2K9QX, jdoe-ThinkPad-X1
    m = _OWNER.match(text)
    if m is None or m["owner"].lower() in _NOT_OWNERS:
        return False
    return m["sep"] == "-" or m["poss"] is not None or m["owner"][0].isupper()


# Platforms that give each customer (an app, a tenant, a storage account, a workspace) its own subdomain: the label
# names the customer. Labels the platform itself uses (www, api, status, ...) stay.
TENANT_SUFFIXES = (
    r"azurewebsites\.net|azurestaticapps\.net|cloudapp\.azure\.com|cloudapp\.net|(?:blob|file|queue|table|dfs)\.core"
    r"\.windows\.net|vault\.azure\.net|database\.windows\.net|servicebus\.windows\.net|azurecr\.io|onmicrosoft\.com"
    r"|sharepoint\.com|herokuapp\.com|vercel\.app|netlify\.app|fly\.dev|onrender\.com|pages\.dev|workers\.dev"
    r"|firebaseapp\.com|web\.app|appspot\.com|run\.app|cloudfunctions\.net|ngrok\.io|ngrok-free\.app|ngrok\.app"
    r"|loca\.lt|trycloudflare\.com|supabase\.co|firebaseio\.com|atlassian\.net|slack\.com|zendesk\.com"
    r"|myshopify\.com|okta\.com|auth0\.com|my\.salesforce\.com|service-now\.com|freshdesk\.com|sentry\.io"
    r"|execute-api\.[a-z0-9-]{4,20}\.amazonaws\.com|lambda-url\.[a-z0-9-]{4,20}\.on\.aws"
)
_PLATFORM_LABELS = frozenset(
    """www api app apps status docs doc login auth portal admin console dashboard help support community blog cdn
    static mail developer developers my id account accounts files hooks slack-files edge global management
    graph portal-api ingest de us eu""".split()
)


def _tenant(text: str, ctx: Context) -> str | None:
    if text.lower() in _PLATFORM_LABELS or not ctx.on("hostname.tenant"):
        return None
    ctx.learn(text, "hostname.tenant")
    return ctx.hit("hostname.tenant")


RULES: tuple[Rule, ...] = (
    Rule(
        id="hostname.tenant",
        token="[host]",
        why="a customer's own subdomain on a platform (an Azure/Heroku/Vercel/Netlify/Firebase app, a storage account, "
        "an Atlassian/Slack/Zendesk/Okta/Sentry tenant, an API Gateway id): the label names the customer",
        pattern=rf"""
            (?<![\w.-])[A-Za-z0-9][A-Za-z0-9-]{{0,62}}+(?=\.)     # possessive: a label not before a dot fails at once
            (?=(?:\.[a-z0-9-]{{1,30}}){{0,2}}\.(?:{TENANT_SUFFIXES})(?![\w-]|\.\w))
        """,
        rewrite=_tenant,
        matches=("https://quiet-fern-04b7c2e31-212.centralus.1.azurestaticapps.net/authentication-callback",
                 "acmestore.blob.core.windows.net", "https://kestrel-billing.herokuapp.com/api",
                 "northwind.atlassian.net",
                 "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/prod"),
        must_not_match=("https://api.slack.com/apps", "https://status.atlassian.net", "https://www.herokuapp.com",
                        "https://docs.sentry.io/platforms/", "https://app.slack.com/client"),
    ),
    Rule(
        id="email",
        needs=r"@|%40",
        token="[email]",
        why="e-mail addresses; the TLD must be letters and not a file extension",
        pattern=r"""
            [A-Za-z0-9](?<![\w.%+-][A-Za-z0-9])         # the first character, then what is before it (fast)
            [A-Za-z0-9._%+-]{0,63}?
            (?:@|%40)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.){1,8}[A-Za-z]{2,24}(?![\w-])
            (?!:[\w~/])                                  # git@github.com:owner/repo is an scp-style target
        """,
        validate=_real_email,
        rewrite=_email,
        matches=("alice@example.com", "bob.smith+tag@mail.co.uk", "x_y@sub.example.org", "jane.roe%40example.com",
                 "ssh-remote+brian@brian.development.example.com"),
        must_not_match=("icon@2x.png", "react@18.2.0", "@decorator", "user@localhost", "name@host",
                        "git@github.com:owner/repo.git"),
    ),
    Rule(
        id="mac",
        needs=r"[0-9A-Fa-f]{2}[:-][0-9A-Fa-f]{2}[:-]|[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}",
        token="[mac]",
        why="hardware (MAC) addresses, colon or dash separated; checked before IPv6 which they resemble",
        pattern=r"""
            (?<![\w:.-])
            (?:(?<=MAC=)(?:[0-9A-Fa-f]{2}:){13}[0-9A-Fa-f]{2}     # iptables/ufw LOG: dst MAC, src MAC, ethertype
              | (?:[0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}|(?:[0-9A-Fa-f]{2}-){5}[0-9A-Fa-f]{2}
              | [0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4})   # Cisco notation
            (?![\w:-])
        """,
        matches=("a4:83:e7:1b:2c:3d", "A4-83-E7-1B-2C-3D", "001a.2b3c.4d5e",
                 "OUT= MAC=d4:3b:a1:57:ee:c9:00:16:91:4e:28:bf:08:00 SRC="),
        must_not_match=("12:34:56", "a4:83:e7:1b:2c", "2024-01-15-10-30-45"),
    ),
    Rule(
        id="ip.v6",
        needs=r":",
        token="[ip]",
        why="IPv6 addresses (full or compressed, optional zone); loopback and unspecified stay",
        pattern=r"""
            (?<![\w:.])
            (?:[0-9A-Fa-f]{1,4}:){1,7}:?(?::?[0-9A-Fa-f]{1,4}){1,7}
            (?:%[\w]+)?
            (?![\w:])
        """,
        validate=_public_v6,
        matches=("2001:db8:85a3::8a2e:370:7334", "fe80::1ff:fe23:4567:890a%en0",
                 "2001:0db8:0000:0000:0000:ff00:0042:8329"),
        must_not_match=("::1", "12:34:56", "std::vector", "a::b", "10:30:45.123"),
    ),
    Rule(
        id="ip.v4",
        needs=r"\d\.\d",
        token="[ip]",
        why="IPv4 addresses, also glued to CJK text and in tcpdump's addr.port; not 4-part versions (after 'version', "
        "a browser product token, `~~` in Windows package names, or before -py3/-microsoft), not network or "
        "broadcast addresses (.0/.255); loopback and 0.0.0.0 stay",
        pattern=r"""
            (?<![A-Za-z0-9_.~])                                       # CJK before an IP is still a boundary
            (?<!(?i:version)[ :=/])(?<!(?i:version)[ ]:[ ])(?<!(?i:version):[ ])(?<!\d\()   # Version 1.0.0.26(1.0.0.26)
            (?<!Chrome/)(?<!Chromium/)(?<!Edg/)(?<!Edge/)(?<!OPR/)(?<!CriOS/)(?<!YaBrowser/)(?<!Electron/)
            (?<!\(=[ ])(?<![<>~]=[ ])(?<!~>[ ])                       # gem/pip constraints: (= 7.1.3.2), ~> 4.2.11.3
            (?!(?<=[a-z0-9_-][ ]\()\d\.\d{1,3}\.\d{1,3}\.\d{1,5}\)(?=[ \t]*(?:\r?\n|\Z|,)))  # rails (7.1.3.2)
            (?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)
            (?:
                (?![A-Za-z0-9_]|\.\d|-[A-Za-z])           # not the head of a longer dotted number or a version
              | (?=\.\d{1,5}(?:[ ]>|:[ ]))                  # tcpdump: 10.0.1.3.65269 > 10.0.1.4.22: Flags
            )
        """,
        validate=_public_v4,
        matches=("192.168.1.23", "8.8.8.8", "10.0.0.5:8080", "IP 192.168.1.14.12345 > 192.168.1.1.80: Flags [S]",
                 "可以ping通192.168.1.57，如何", "stop-node-10.1.2.3.log", "failed to connect to /192.168.232.9",
                 "PING example.com (93.184.216.34) 56(84) bytes", "host = 10.0.0.5"),
        must_not_match=("127.0.0.1", "0.0.0.0", "10.0.19045.2965", "1.3.6.1.4.1", "v1.2.3.4", "1.4.2",
                        "Version=3.1.3.0, Culture=neutral", "Chrome/130.0.0.0 Safari/537.36",
                        "5.15.153.1-microsoft-standard-WSL2", "lmql-0.0.6.3-py3.11.egg",
                        "### Version 1.0.0.26(1.0.0.26)",
                        "Faulting application name: x.exe, version: 1.6.0.0, time stamp",
                        "Package_for_KB3045685~31bf3856ad364e35~amd64~~6.1.1.0", "on network 10.128.0.0 via",
                        "brd 192.168.0.255 scope global", "    actionpack (7.1.3.2)\n", "rails (= 7.1.3.2)",
                        "gem 'rails', '~> 4.2.11.3'"),
    ),
    Rule(
        id="hostname",
        needs=r"[-.]|['’]s |(?i:mac|mb[pa]|iphone|ipad)",
        token="[host]",
        why="machine names carry owner names (Bobs-MacBook-Pro, Alice's iPhone) or are unique (DESKTOP-7H2K9QX)",
        pattern=r"""
            (?<![\w.-])
            (?:
                (?:DESKTOP|LAPTOP|WIN|PC)-[A-Z0-9]{5,15}          # Windows default names
              | [A-Z][A-Za-z]{1,30}-PC                             # Windows 7: <USERNAME>-PC
              | [A-Za-z][\w]{0,30}(?:-[A-Z][\w]{0,30}){0,2}         # owner, 'Bobs-', 'Jan-Pieters-' or "Alice's "
                (?:['’]?s)?[- ]?                                    # ('yukinoMacBook-Air': Japanese owner names)
                (?i:MacBook(?:[- ](?:Pro|Air))?|MBP|MBA|iMac(?:[- ]Pro)?|Mac[- ](?:mini|Pro|Studio)|iPhone|iPad)
                (?:-\d+)?(?:\.(?:local|lan|home|fritz\.box))?
              | (?i:MacBook(?:-Pro|-Air)?|iMac|Mac-mini|iPhone|iPad)                  # localized macOS names:
                -(?:de|von|di|van|do|da|du)-[A-Za-z][\w]{0,30}(?:-[A-Za-z][\w]{0,30}){0,2}   # MacBook-Pro-de-Juan
              | [A-Z][\w]{1,30}['’]s[ ](?:Computer|PC|Laptop|Desktop|Mac)     # "Renata's Computer"
              | [a-z][a-z0-9]{1,31}-                                # Linux installers name hosts user-Model
                (?:ThinkPad|XPS|Latitude|Inspiron|Precision|Vostro|IdeaPad|Legion|Yoga|ZenBook|VivoBook|ROG
                  |EliteBook|ProBook|Pavilion|Envy|OMEN|Spectre|Surface|Aspire|Swift|Galaxy|Pixel|VirtualBox
                  |System-Product-Name|Blade|Framework|MS-7[A-Z0-9]{3})(?:-[A-Za-z0-9]+){0,4}
              | (?i:[a-z]{0,12}-?\d{1,3}(?:-\d{1,3}){3}(?:\.[a-z0-9-]{1,63}){1,6}\.[a-z]{2,24})  # reverse DNS of an IP
              | (?!(?:metadata\.google|host\.docker|gateway\.docker|kubernetes\.docker)\.internal)  # public names
                [A-Za-z0-9][A-Za-z0-9-]{0,62}(?:\.[A-Za-z0-9][A-Za-z0-9-]{0,62}){0,4}   # mDNS / LAN / intranet names:
                \.(?:local|lan|localdomain|home\.arpa|fritz\.box|internal|intranet|corp)   # private suffixes
            )
            (?!\.?[\w-])                                  # not 'settings.local.json'
        """,
        validate=_owned_device,
        matches=("Bobs-MacBook-Pro.local", "DESKTOP-7H2K9QX", "Alice's MacBook Pro", "printer-3.lan", "bobs-imac",
                 "jdoe-ThinkPad-X1-Carbon", "alice-XPS-13-9310", "Jan-Pieters-MBP-2", "Gokhan-PC",
                 "Lindas-iMac.fritz.box", "Renee-Duvals-iPhone", "MacBook-Pro-de-Juan", "yukinoMacBook-Air",
                 "Renata's Computer", "jellyfin.hollis-home.lan:8096", "build-rig-07.corp.lan", "db1.prod.internal",
                 "relay=r909-22-834-54.dialup.adsl.anteldata.net.uy [186.14.189.141]",
                 "c-73-189-42-116.hsd1.ca.comcast.net"),
        must_not_match=("MacBook-Pro", "The MacBook Pro", "settings.local.json", "localhost", "MacBookPro18,3",
                        ".env.local", "metadata.google.internal", "backup-2024-01-15-10.tar.gz",
                        "i686-pc-windows-gnu", "the computer", "MBP", "my-PC"),
    ),
)
