"""The name finder: names in prose and log lines in any script, next to what must never be taken for a name."""

from __future__ import annotations

import pytest

from redact import Redactor
from redact.names import NameFinder, load

NAMES = NameFinder()
R = Redactor()

# (text, the name that must go) — real shapes: greetings, sign-offs, git and mail headers, JSON, escapes.
FOUND = [
    ("Hi Sarah, thanks for the contract.", "Sarah"),
    ("ticket assigned to Priya Raman yesterday", "Priya Raman"),
    ("referred by Dr. Okafor for review", "Okafor"),
    ("Author: Joaquim Ferraz <jf@example.org>", "Joaquim Ferraz"),
    ("Signed-off-by: Lucie Marchal <lucie@example.org>", "Lucie Marchal"),
    ("No module named '_struct'\n```\n\nThanks\nBram", "Bram"),
    ("thanks, Malcolm\n\n2020/06/01 08:53:59 [error] 32197#0", "Malcolm"),
    ('{"author":{"name":"Daniel Wren","email":"dw@example.com"}}', "Daniel Wren"),
    ('"author": "Derek Hollins (dhollins)",', "Derek Hollins"),
    ("Thank you,\nJoaquim Ferraz", "Joaquim Ferraz"),
    ("Submission by Lukas Brandstätter saved", "Lukas Brandstätter"),
    ("Applicant Marcus Whitfield, file 28 391 047", "Marcus Whitfield"),
    ("On Wed, 1 Dec 2021, 20:22 Saifullah, ***@***.***> wrote:", "Saifullah"),
    ('Incoming mail from "Graham Whitlock" <g.whitlock@example.gov.au>', "Graham Whitlock"),
    ("it is not found.\n\nMartin B. Keller", "Martin B. Keller"),
    ("Hi, I'm Meiling and I am new to this", "Meiling"),
    ("Привет Иван, как дела?", "Иван"),
    ("Отчёт подготовил Сергей Смирнов", "Сергей Смирнов"),
    ("陈晓明先生您好", "陈晓明"),
    # family name first (Japanese, Hungarian, Chinese order); a corporate directory's "Family, Given <mail>"
    ("Nakamura Yuki reported that the export hangs", "Nakamura Yuki"),
    ("Kovács Péter opened this issue", "Kovács Péter"),
    ("From: Hollins, Derek <dhollins@example.com>", "Hollins, Derek"),
    # roles and thanks inside a line; sign-offs that are also everyday words, followed by a known name
    ("Last edited by Ingrid Johansson", "Ingrid Johansson"),
    ("Started by user Priya Natarajan\nRunning as SYSTEM", "Priya Natarajan"),
    ("Thanks Mehmet for the quick fix", "Mehmet"),
    ("Does that help?\n\nBest,\nValentina", "Valentina"),
    ("\\u0418\\u0432\\u0430\\u043d \\u041f\\u0435\\u0442\\u0440\\u043e\\u0432 wrote",
     "\\u0418\\u0432\\u0430\\u043d \\u041f\\u0435\\u0442\\u0440\\u043e\\u0432"),
]
# Code identifiers, class names, products, places and protocol words that must stay (damage).
KEPT = [
    "at com.example.JordanService.run(JordanService.java:12)", "Connection Refused by Max Retries Exceeded",
    "Visual Studio Code", "Mozilla Firefox", "Google Chrome", "Apache Ivy resolve failed", "Hello World",
    "Hi all,", "Grant Access Denied", "Will Retry Later", "Chase Mode", "Java Development Kit",
    "Victoria Station", "San Francisco Bay", "Porto, Portugal", "Ruby Gems", "Julia Computing",
    "System.Net.Http.HttpClient", "HttpClientHandler", "KeyError: 'Austin'", "NullPointerException",
    "dvbstream v0.7.01 - (C) Dave Chapman 2001-2004", "Copyright 2019 Jane Smith", "done.\n\nSegmentation Fault",
    "panic: runtime error\n\nAborted", "Mon May 26 20:56:31 PDT 2020", "Internal Server Error", "Bad Gateway",
    "ERROR Unable To Connect", "Traceback (most recent call last):", "Caused by: java.io.IOException",
    "550 5.1.1 <x@example.com>: Recipient address rejected", "MainActivity.onCreate", "@Override",
    "Thanks Docker for nothing", "this works best\nRelease Notes", "Jackson Hole, Wyoming",
    "Started by timer\nBuilding in workspace", "Error, Retry <later@example.com>",
]


@pytest.mark.parametrize(("text", "name"), FOUND)
def test_names_are_found(text, name):
    spans = NAMES.spans(text)
    assert [text[a:b] for a, b, _ in spans] == [name]


@pytest.mark.parametrize("text", KEPT)
def test_code_products_and_places_are_not_names(text):
    assert NAMES.spans(text) == []


@pytest.mark.parametrize("value", ["Priya Raman", "Marcus Oyelaran", "Tom Beckham-Reyes", "Jean-Baptiste Lefèvre",
                                   "Siobhán Gallagher", "Renée Duval's iPhone", "陈晓明", "Priya", "Sipho Ndlovu"])
def test_whole_values_that_are_names(value):
    assert NAMES.whole(value)


@pytest.mark.parametrize("value", ["siren", "department", 'Button 2"', "Porto", "Stremio", "Windows", "Dart",
                                   "Pro Annual", "United States", "New Chat", "Mac OS", "Sheet1", "Checkout",
                                   "Rahul Verma Traders", "WxPusher演示", "WSL: Ubuntu", "analytics.js"])
def test_whole_values_that_are_not_names(value):
    assert not NAMES.whole(value)


def test_the_fast_tier_replaces_names_and_counts_them():
    out = R.redact_text("Hi Sarah, the build assigned to Priya Raman failed")
    assert out.value == "Hi [person], the build assigned to [person] failed"
    assert out.findings == {"name.cue": 2}


def test_names_in_a_name_field_are_removed_whole_other_values_stay():
    assert R.redact_mapping({"name": "Lucie Marchal"}).value == {"name": "[person]"}
    assert R.redact_mapping({"name": "department"}).value == {"name": "department"}
    assert R.redact_mapping({"merchant_name": "Rahul Verma Traders"}).value == {"merchant_name": "[person] Traders"}


def test_the_list_ships_with_the_package_and_is_large_enough():
    data = load()
    assert data.size > 50_000 and len(data.english) > 60_000 and {"Daniel", "Иван"} <= data.first
    assert "will" in data.common and "Will" not in data.first  # ambiguous names need a cue
