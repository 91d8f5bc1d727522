"""What a URL's path says beyond its route: one-time credentials in links, the ids of a user's private items and the
customer's account in an error tracker's or dashboard's routes."""

from __future__ import annotations

import re

from redact.rules.base import Context
from redact.rules.handles import plain_word


def _ours(value: str) -> bool:
    return value.startswith("[") and value.endswith("]")


# Routes whose next segments carry a one-time credential: a reset, verification, invitation or login link.
_CREDENTIAL_ROUTES = frozenset(
    """reset reset-password password-reset verify verification confirm confirmation invite invitation invitations
    accept activate activation autologin auto-login magic magic-link magiclink login-link unsubscribe
    one-time otp s share shared sharing""".split()
)
_CREDENTIAL = re.compile(r"(?=[A-Za-z0-9_-]*\d)(?=[A-Za-z0-9_-]*[A-Za-z])[A-Za-z0-9_-]{12,256}")


def credentials_in_path(path: str, ctx: Context) -> str:
    """/password/reset/<token>, /email/verify/318/<hash>, /invite/<code>, a share link (Nextcloud/ownCloud and
    Dropbox `/s/<token>`, `/share/<token>`): within two segments after such a route word, a long id-like segment
    (letters and digits, 12+) is the credential; the route stays for triage."""
    if not ctx.on("secret.url_path") or not any(w in path.lower() for w in ("reset", "verif", "confirm", "invit",
                                                                         "accept", "activat", "login", "magic",
                                                                         "unsubscribe", "otp", "one-time", "/s/",
                                                                         "shar")):
        return path
    segments = path.split("/")
    after = 99
    for i, segment in enumerate(segments):
        if segment.lower() in _CREDENTIAL_ROUTES:
            after = 0
            continue
        after += 1
        if after <= 2 and _CREDENTIAL.fullmatch(segment) and not _ours(segment):
            segments[i] = ctx.hit("secret.url_path")
    return "/".join(segments)


# Route words after which a mail, chat or document app puts the id of one of the user's private items
# (Gmail #inbox/<id>, Outlook /inbox/id/<id>, Slack /archives/<channel>/p<ts>, Google Docs /document/d/<id>/).
_PRIVATE_ROUTES = frozenset(
    """inbox sent drafts starred snoozed important spam trash all imp scheduled outbox archive archives id d
    messages conversations conversation dm dms direct thread threads chat chats""".split()
)
_ITEM_ID = re.compile(
    r"(?=[A-Za-z0-9_-]*\d)(?=[A-Za-z0-9_-]*[A-Za-z])[A-Za-z0-9_-]{12,256}"   # letters and digits
    r"|(?=[A-Za-z0-9_-]*[A-Z])(?=[A-Za-z0-9_-]*[a-z][A-Za-z0-9_-]*[A-Z][A-Za-z0-9_-]*[a-z])"  # mixed case: Gmail's
    r"[A-Za-z0-9_-]{16,256}"
)


def private_items(path: str, ctx: Context) -> str:
    """The id right after such a route word is the user's item: it goes as content; a search in a mail app's
    route (#search/<query>) is what the user typed."""
    if not ctx.on("content"):
        return path
    segments = path.split("/")
    for i in range(1, len(segments)):
        before = segments[i - 1].lower()
        if before in _PRIVATE_ROUTES and _ITEM_ID.fullmatch(segments[i]) or before == "search" and segments[i]:
            segments[i] = ctx.hit("content").replace("{n}", str(len(segments[i])))
    return "/".join(segments)


# Error trackers and build dashboards put the customer's organisation or account in the path:
# app.bugsnag.com/<org>/<project>/errors/..., sentry.io/organizations/<org>/issues/, rollbar.com/<org>/<project>/,
# appcenter.ms/orgs/<org>/apps/ (its /users/<u>/ is a user segment), dev.azure.com/<org>/<project>/_build.
_ACCOUNT_ROUTES: dict[str, re.Pattern[str]] = {
    "app.bugsnag.com": re.compile(r"/(?P<name>[\w.-]{2,64})(?=/[\w.-]{1,100}/)"),
    "sentry.io": re.compile(r"/organizations/(?P<name>[\w.-]{2,64})(?=/|\Z)"),
    "rollbar.com": re.compile(r"/(?P<name>[\w.-]{2,64})(?=/[\w.-]{1,100}/(?:items|rql|deploys|settings)/)"),
    "appcenter.ms": re.compile(r"/orgs/(?P<name>[\w.-]{2,64})(?=/)"),
    "dev.azure.com": re.compile(r"/(?P<name>[\w.-]{2,64})(?=/[^/?#]{1,100}/_)"),
}
_TRACKER_ROUTES = frozenset(
    """settings user users account accounts signin sign_in login logout signup docs api onboarding organizations
    orgs new dashboard projects""".split()
)
TRACKER_HOSTS = frozenset(_ACCOUNT_ROUTES)


def tracker_account(host: str, path: str, ctx: Context) -> str:
    """app.bugsnag.com/<org>/...: the account goes. An organisation named in words ("auto", "pride-in-london")
    names nobody; "oren-novotny-llc" does."""
    account = _ACCOUNT_ROUTES[host].match(path)
    if account is None:
        return path
    name = account["name"]
    if name.lower() in _TRACKER_ROUTES or name[0] in "_[{:$" or plain_word(name):
        return path
    ctx.learn(name, "url.user")
    return path[: account.start("name")] + ctx.hit("url.user") + path[account.end("name") :]
