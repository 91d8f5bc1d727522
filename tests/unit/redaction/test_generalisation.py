"""Rules that describe a format, checked on variants written for this file (not taken from the real corpus).

Each case is a telemetry property (field, value) or free crash text (field None), what must go and what must stay.
The real corpus (tests/corpus/real) measures the engine; these pin the general rules behind its figures: URL and
query-string grammar, code-host owners, path and file-name grammar, UNC and intranet hosts, cloud account ids,
four-part versions, @mentions, role-named person fields, SQL by shape.
"""

from __future__ import annotations

from typing import Any

import pytest

from redact import Redactor

REDACTOR = Redactor()

# (field, value, must go, must stay)
CASES: list[tuple[str | None, Any, list[str], list[str]]] = [
    # a git remote names the user's own repository: its owner is their account, whatever its shape
    ("repository_url", "https://github.com/jane-okafor/budget-tracker", ["jane-okafor"],
     ["https://github.com/", "/budget-tracker"]),
    ("git_remote", "git@gitlab.com:tmarsh/dotfiles.git", ["tmarsh"], ["git@gitlab.com:", "/dotfiles.git"]),
    ("repo", "git@github.com:hana-suzuki/notes.git", ["hana-suzuki"], ["/notes.git"]),
    # elsewhere in telemetry only a handle made of a person's names goes; a project's owner stays
    ("$current_url", "https://github.com/lindqvist-oskar/dotfiles/pulls", ["lindqvist-oskar"], ["/dotfiles/pulls"]),
    ("docs_url", "https://github.com/python/cpython/blob/main/README.rst", [],
     ["https://github.com/python/cpython/blob/main/README.rst"]),
    (None, "see https://github.com/rust-lang/cargo/issues/2675", [], ["rust-lang/cargo/issues/2675"]),
    # relative URLs: query values read like a full URL's
    ("request.url", "/api/v2/customers?email=a.b%40c.de&page=2", ["a.b%40c.de"], ["/api/v2/customers", "page=2"]),
    ("url", "/search?q=lisa+marchetti+address", ["lisa+marchetti+address"], ["/search?q="]),
    ("path", "/orders?first_name=Oskar&last_name=Lind&sort=asc", ["Oskar", "Lind"], ["sort=asc"]),
    # personal parameters by name in the languages web forms use, by role, and by value (a full name)
    ("$current_url", "https://shop.example.de/checkout?vorname=Jonas&nachname=Becker&step=2", ["Jonas", "Becker"],
     ["step=2"]),
    ("$current_url", "https://example.org/book?guest=Amina%20Juma&date=2025-04-01", ["Amina%20Juma"],
     ["date=2025-04-01"]),
    ("$current_url", "https://example.org/survey?enumerator=Kwame+Mensah&form=7", ["Kwame+Mensah"], ["form=7"]),
    ("$current_url", "https://example.com/account?user=kpetrov&tab=billing", ["kpetrov"], ["tab=billing"]),
    ("$current_url", "https://docs.example.com/guide?theme=dark&lang=en&page=2", [], ["theme=dark&lang=en&page=2"]),
    ("$current_url", "https://example.com/search?category=shoes&size=42&color=blue", [],
     ["category=shoes&size=42&color=blue"]),
    # a random segment in a URL path goes; the route around it stays
    ("request.url", "https://app.example.io/invite/accept/Qm9Tz2Lp8XwR4vNk7Hc3Yb6J", ["Qm9Tz2Lp8XwR4vNk7Hc3Yb6J"],
     ["https://app.example.io/invite/accept/"]),
    ("url", "https://example.io/magic-link/verify/7QxR2mK7vLp4TzW8nB3cY6hJ1dF5gS0a?next=/home",
     ["7QxR2mK7vLp4TzW8nB3cY6hJ1dF5gS0a"], ["https://example.io/magic-link/verify/", "next=/home"]),
    # file names in routes and identifiers a program chose stay; a document a person named goes
    ("request.url", "/v1/exports/monthly_report.csv?format=csv", [], ["/v1/exports/monthly_report.csv"]),
    ("$pathname", "/docs/getting-started/INSTALL.md", [], ["/docs/getting-started/INSTALL.md"]),
    ("cwd", "D:\\src\\Contoso.Billing.Api", [], ["D:\\src\\Contoso.Billing.Api"]),
    (None, "Loaded C:\\ProgramData\\Acme\\AcmeAgent.Settings", [], ["C:\\ProgramData\\Acme\\AcmeAgent.Settings"]),
    (None, "wrote /tmp/run/SystemCheckLog.txt", [], ["SystemCheckLog.txt"]),
    (None, "open /data/frames/at06_000702_2.jpg", [], ["at06_000702_2.jpg"]),
    (None, "open ~/Documents/notes for therapist.txt", ["notes for therapist"], [".txt"]),
    (None, "Permission denied: '/home/x/Desktop/JaneDoeResume.txt'", ["JaneDoeResume"], [".txt"]),
    # private host names: LAN and intranet suffixes, UNC servers
    ("message", "GET http://nas.smith-family.lan:5000/api failed", ["nas.smith-family.lan"], [":5000/api failed"]),
    ("error", "connect ECONNREFUSED homeassistant.local:8123", ["homeassistant.local"], ["connect ECONNREFUSED"]),
    ("cwd", "\\\\FILESRV-HR\\payroll\\2025", ["FILESRV-HR"], ["\\payroll\\2025"]),
    (None, "curl http://metadata.google.internal/computeMetadata/v1/", [], ["metadata.google.internal"]),
    (None, "debug1: identity file -1\\\\r\\\\ndebug1: Remote protocol", [], ["\\\\r\\\\ndebug1"]),
    # cloud accounts and customers
    ("error_message", "User with account ID 123456789012 is not authorized", ["123456789012"], ["is not authorized"]),
    ("message", "Access denied for AWS account 210987654321", ["210987654321"], ["Access denied for AWS account"]),
    ("context", "gke_shopfront-prod-44120_us-central1-a_web", ["shopfront-prod-44120"], ["gke_", "_us-central1-a_web"]),
    (None, "Permission denied on projects/ledger-eu-5521/locations/europe-west1/jobs/x", ["ledger-eu-5521"],
     ["/locations/europe-west1/jobs/x"]),
    ("customer", "cus_NffrFeUfNV2Hib", ["NffrFeUfNV2Hib"], ["cus_"]),
    # four-part versions are no IPs
    (None, "Could not load 'Foo, Version=4.0.3.0, Culture=neutral'", [], ["Version=4.0.3.0"]),
    (None, "  rails (7.1.3.2)\n  nokogiri (1.16.2.1)\n", [], ["(7.1.3.2)", "(1.16.2.1)"]),
    (None, "    actionpack (= 7.1.3.2)", [], ["7.1.3.2"]),
    (None, "Chrome/131.0.0.0 Safari/537.36", [], ["Chrome/131.0.0.0"]),
    (None, "PING example.com (93.184.216.34) 56(84) bytes of data.", ["93.184.216.34"], ["PING example.com"]),
    # @mentions go; annotations, decorators, at-rules and scopes stay
    (None, "cc @tkaminski-dev can you look?", ["tkaminski-dev"], ["can you look?"]),
    (None, "> @RiyaKapoor07 thanks", ["RiyaKapoor07"], ["thanks"]),
    (None, "@Override\npublic void run() {}\n@media screen { }\n@babel/core\n@staticmethod", [],
     ["@Override", "@media", "@babel/core", "@staticmethod"]),
    # people named by their role in the field name
    ("created_by", "Hannah Schmidt", ["Hannah Schmidt"], []),
    ("assigned_to", "Tom Becker", ["Tom Becker"], []),
    ("manager", "Jonas", ["Jonas"], []),
    ("sender", "support-bot", [], ["support-bot"]),
    ("from", "/settings/billing", [], ["/settings/billing"]),
    # SQL is content whatever field carries it; typed search text by its field family
    ("sql_text", "SELECT * FROM users WHERE email = 'a@b.c'", ["users WHERE"], []),
    ("searchString", "cheap flights to lisbon", ["cheap flights"], []),
    ("search_type", "web", [], ["web"]),
    ("search_location", "header", [], ["header"]),
    # where a person is: coordinates and street addresses by their printed forms
    ("location", "48.858370, 2.294481", ["48.858370"], []),
    (None, "Location[fused -33,868820,151,209290 hAcc=12", ["-33,868820,151,209290"], ["hAcc=12"]),
    ("text", "Deliver to 221B Baker Street, London NW1 6XE", ["Baker Street", "NW1 6XE"], ["Deliver to"]),
    ("note", "Pickup at 4500 Oak Grove Drive, Austin, TX 78745 at noon", ["Oak Grove"], []),
    ("place", "Hauptstraße 12, 10115 Berlin", ["Hauptstraße 12"], []),
    (None, "geocoder failed for 7 Avenue des Lilas", ["Avenue des Lilas"], ["geocoder failed"]),
    (None, "epoch 3 loss 0.69314, 0.12345 acc", [], ["0.69314, 0.12345"]),
    (None, "File main.py, line 42, in Way", [], ["line 42"]),
    # social networks put the account in the first path segment; pages hosts in the subdomain
    ("$referrer", "https://x.com/kemi_adebayo_/status/1790000000000", ["kemi_adebayo_"], ["/status/1790000000000"]),
    ("url", "https://www.instagram.com/hana.suzuki/", ["hana.suzuki"], ["https://www.instagram.com/"]),
    ("url", "https://www.instagram.com/explore/tags/travel/", [], ["/explore/tags/travel/"]),
    ("$current_url", "https://jdoe.github.io/blog/", ["jdoe"], [".github.io/blog/"]),
    # a one-time credential in a link's path: within two segments after the route word that says so
    ("request.url", "https://id.example.com/password/reset/8d3f1a6c9e2b7f40d5a8c1e3b6f9a2d4", ["8d3f1a6c9e2b7f40"],
     ["https://id.example.com/password/reset/"]),
    ("url", "/email/verify/77/2b7e9c41f0d8a3e6b5c2f1a9d4e7?expires=1767225600", ["2b7e9c41f0d8"],
     ["/email/verify/77/", "expires=1767225600"]),
    ("url", "/docs/reset/how-to-reset-your-password", [], ["/docs/reset/how-to-reset-your-password"]),
    # VS Code remote authorities: the resolver stays, the account and machine go
    ("remoteAuthority", "ssh-remote+akiko@gpu-box-3.lab.example.com", ["akiko", "gpu-box-3"], ["ssh-remote+"]),
    ("remoteAuthority", "wsl+Ubuntu-22.04", [], ["wsl+Ubuntu-22.04"]),
    # who wrote something, where git and mail print it before an address (handles too)
    (None, "commit 1a2b3c\nAuthor: NightOwl42 <owl@example.net>\nDate:   Mon", ["NightOwl42"], ["Author: ", "Date:"]),
    (None, "On Tue, Mar 4, 2025 at 9:12 AM Ines Duarte <notifications@github.com> wrote:", ["Ines Duarte"],
     ["wrote:"]),
    (None, "Co-authored-by: bramvdb <bram@example.org>", ["bramvdb"], ["Co-authored-by:"]),
    # account names where more daemons print them; a machine before DOMAIN\user goes too
    (None, "Fehler bei der Anmeldung für den Benutzer 'kschulz'.", ["kschulz"], ["Fehler bei der Anmeldung"]),
    (None, "550 5.1.1 <x@example.org>: no such user mlopez here", ["mlopez"], ["550 5.1.1"]),
    (None, "Login failed for user 'LAPTOP-9QX7M2KD\\svc_report'.", ["LAPTOP-9QX7M2KD"], ["Login failed for user"]),
    # reverse DNS names that spell an IP, credentials in any scheme's authority
    (None, "connect from host-81-174-203-10.static.example.net[81.174.203.10]", ["81-174-203-10"],
     ["connect from"]),
    (None, "notify tgram://bot123:AAHhsecretvalue@chat/ failed", ["AAHhsecretvalue"], ["notify", "failed"]),
    # names where forms and directories print them: capitals, handles made of names, Vietnamese letters
    ("caller_name", "AMARA OKAFOR", ["AMARA"], []),
    ("owner", "a.okafor", ["okafor"], []),
    ("profile_name", "amara_okafor92", ["amara_okafor92"], []),
    ("author", "Nguyễn Văn An", ["Nguyễn"], []),
    ("name", "grace_period", [], ["grace_period"]),
    ("owner", "team_platform", [], ["team_platform"]),
    ("asset", "logo@2x.png", [], ["logo@2x.png"]),
    # the id of a private item (a mail, a document) right after the route word of a mail or docs app
    ("url", "https://mail.example.com/mail/u/0/#inbox/QmFyTeLoWkPqZxVbNmRtYsUa", ["QmFyTeLoWkPqZxVbNmRtYsUa"],
     ["https://mail.example.com/mail/u/0/#inbox/"]),
    ("url", "https://docs.example.com/document/d/1Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0/edit",
     ["1Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0"], ["/document/d/", "/edit"]),
    ("url", "https://mail.example.com/mail/u/0/#search/custody+hearing", ["custody+hearing"], ["#search/"]),
    ("url", "https://app.example.com/#/settings/profile", [], ["#/settings/profile"]),
    # apps greet people by name
    ("toast", "Welcome back, Amara!", ["Amara"], ["Welcome back, "]),
    (None, "Good morning Kwame.", ["Kwame"], ["Good morning"]),
    ("banner", "Welcome to Acme!", [], ["Welcome to Acme!"]),
]


@pytest.mark.parametrize(("field", "value", "gone", "kept"), CASES)
def test_general_rules_hold_on_unseen_variants(field: str | None, value: Any, gone: list[str],
                                                kept: list[str]) -> None:
    if field is None:
        out = REDACTOR.redact_text(value).value
    else:
        out = REDACTOR.redact_mapping({field: value}).value[field]
    assert not [g for g in gone if g in out], out
    assert not [k for k in kept if k not in out], out
