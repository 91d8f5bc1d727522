"""The field table: shipped as data, validated at start-up, overridable, and each treatment on real shapes."""

from __future__ import annotations

import pathlib
import re

import pytest

from redact import Policy, PolicyError, Redactor, load_policy
from redact.keys import TREATMENTS, FieldTable, load_defaults, markdown_table, normalize

R = Redactor()
README = pathlib.Path(__file__).resolve().parents[3] / "redact" / "README.md"


@pytest.mark.parametrize(("key", "normal"), [("llm.requestBody", "llm.request_body"), ("$set.name", "set.name"),
                                             ("Machine ID", "machine_id"), ("sourceIPAddress", "source_ip_address"),
                                             ("attr__class", "attr_class"), ("WindowTitle", "window_title")])
def test_field_names_are_normalised(key, normal):
    assert normalize(key) == normal


@pytest.mark.parametrize(("field", "treatment"), [
    ("title", "title"), ("WindowTitle", "title"), ("page.title", "title"), ("searchQuery", "content"),
    ("$current_url", "scrub"), ("errorMessage", "scrub"), ("theme", "enum"), ("$feature_flag_response", "enum"),
    ("user.id", "remove"), ("id", "default"), ("password_set", "remove"), ("$set.name", "person"),
    ("event_name", "enum"), ("context.userAgent", "keep"), ("prompt_tokens", "default"), ("command", "command"),
])
def test_most_specific_selector_wins(field, treatment):
    assert R.fields.treatment(field) == treatment


def test_every_treatment_is_used_and_known():
    table = load_defaults()
    assert set(table.values()) == set(TREATMENTS) - {"default"}


def test_readme_lists_the_shipped_table():
    """redact/README.md's field table is generated from data/fields.toml (python -m redact --fields)."""
    assert markdown_table(load_defaults()) in README.read_text()


def test_unknown_treatment_is_a_start_up_error_naming_the_key(tmp_path):
    policy = tmp_path / "p.toml"
    policy.write_text('fields = { "window_title" = "hide" }')
    with pytest.raises(PolicyError, match=re.escape("fields.window_title: unknown treatment 'hide'")):
        load_policy(policy)
    with pytest.raises(PolicyError, match="fields.Bad Key"):
        Redactor(Policy(fields={"Bad Key": "remove"}))


def test_policy_overrides_the_shipped_table():
    r = Redactor(Policy(fields={"label": "content", "window_title": "enum"}, sensitive_keys=["customer_ref"]))
    assert r.redact_mapping({"label": "does ring doorbell share video"}).value == {"label": "[content:30 chars]"}
    assert r.redact_mapping({"window_title": "notes - Word"}).value == {"window_title": "notes - Word"}
    assert r.redact_mapping({"customer_ref": "C-1"}).value == {"customer_ref": "[removed]"}
    assert FieldTable({"*_x": "enum", "a_x": "remove"}).treatment("a_x") == "remove"


# Issue 15's damage list: flags under keys that mention a sensitive word, and enum-like values.
KEPT = [("has_email", True), ("$feature_flag_response", False), ("$feature_flag_response", "control"),
        ("password_set", False), ("hasFcmToken", True), ("theme", "dark"), ("layout", "left_sidebar"),
        ("$ai_model", "gpt-4o-mini"), ("$el_text", "Export as PDF"), ("$el_text", "Frequently asked questions"),
        ("displayName", "New Chat"), ("window_title", "Untitled-1 - Visual Studio Code"),
        ("page_title", "Features | GrowthBook"), ("command", "asc builds list"), ("tabName", "Sheet1"),
        ("text", "Submission saved"), ("context.userAgent", "Mozilla/5.0 (X11) Chrome/130.0.0.0 Safari/537.36"),
        ("idfa", "00000000-0000-0000-0000-000000000000"), ("user.ip_address", "{{auto}}"),
        ("Data_error", "Error message was removed as it contained PII"), ("$geoip_city_name", "Porto"),
        # one bit as text, statuses under names that mention a credential, counts under document names
        ("has_email", "true"), ("email", "null"), ("cookie_consent", "accepted"), ("cookieConsent", "necessary_only"),
        ("authorizationStatus", "authorized"), ("location_authorization", "whenInUse"), ("messages", 12),
        ("attachments", 3), ("response", 200), ("credit_card_number", "4111********1111"),
        # campaign labels the marketer chose (UTM, GA4, Segment)
        ("utm_content", "logolink"), ("context.campaign.content", "banner_v2"), ("campaign_term", "crm software"),
        # the name of a thing is no person for one given name; UI-element titles are the app's strings
        ("voice_name", "Samantha"), ("bot_name", "Ava"), ("name", "Sierra"), ("name", "dark mode"),
        ("instanceId", "primary"), ("formTitle", "Contact us"),
        ("notification_title", "Your export is ready"),
        # identifiers a program made, periods, query strings, flags, default names, titles' app parts
        ("column_names", "id,name,created_at"), ("feature_names", "dark_mode,beta_editor"),
        ("date_range", "Last 7 days"), ("query", "page=2&sort=asc"), ("args", "--verbose"),
        ("notebookPath", "Untitled.ipynb"), ("document_name", "Untitled document"),
        ("window_title", "notes.md - Obsidian v1.5.3"), ("title", "(3) YouTube"), ("title", "Home / X"),
        ("title", "404 Not Found - Mozilla Firefox"),
        ("text", "TypeError: Cannot read properties of undefined (reading 'map') in the export dialog")]
# User content in telemetry values: titles, queries, sentence-like file names, chat titles, ranges, formulas,
# commands and SQL a user typed.
REMOVED = [("title", "Divorce mediation options - Microsoft Edge", "Divorce mediation"),
           ("window_title", "● Q3 board memo draft.md - personal-notes - Visual Studio Code", "board memo"),
           ("page_title", "checkout-v2-free-shipping-eu | Experiments | GrowthBook", "free-shipping"),
           ("search_term", "does ring doorbell share video with police", "doorbell"),
           ("searchQuery", "wireless earbuds", "earbuds"), ("chat_title", "Семейный чат Ивановых", "Ивановых"),
           ("range", "'Payroll Jan'!A2:F48", "Payroll"), ("outputRange", "B2:B140", "B2"),
           ("formula", "=VLOOKUP(A2,'Client list'!A:D,4,FALSE)", "Client list"),
           ("command", "psql -h db -U reporting -c \"select email from customers\"", "customers"),
           ("query", "SELECT email FROM customers WHERE city = 'Leeds'", "Leeds"),
           ("function_args", '{"command":"rm -rf /home/dara/projects/old-api"}', "old-api"),
           ("displayName", "Clean up this Ex…", "Clean up"), ("name", "Lucie Marchal", "Marchal"),
           ("$set.name", "Renée Duval's iPhone", "Renée"),
           ("device_id", "C8F9E604-F01A-4BD9-95C6-8E5357DF265D", "C8F9"),
           ("location_lat", 37.774929, "37.77"), ("server_name", "Kims-MacBook-Air.local", "Kims"),
           ("author", "Kwame", "Kwame"), ("app_name", "Priya Raman", "Raman"),
           ("prompt", "Translate my letter to Mr. Okoro", "Okoro"),
           ("cookie", "s%3AxK9q2.Lm4", "xK9q2"), ("session_token", 6104928377, "6104928377"),
           ("messages", [{"role": "user", "content": "my plan"}], "plan"), ("inputRange", "Budget!B2:B9", "Budget"),
           ("name", "priya raman", "raman"), ("telemetry_instance", "c41e8a27-5b9d-4f03-a6e2-7d18f0b93c5e", "c41e"),
           ("password_strength", "strong", "strong"), ("user.id", "anon-7c2e9f41-b83d", "7c2e9f41")]


@pytest.mark.parametrize(("field", "value"), KEPT)
def test_enum_like_values_and_flags_survive(field, value):
    assert R.redact_mapping({field: value}).value == {field: value}


@pytest.mark.parametrize(("field", "value", "gone"), REMOVED)
def test_content_identity_and_ids_go(field, value, gone):
    out = R.redact_mapping({field: value}).value[field]
    assert gone not in str(out)


def test_a_title_keeps_the_app_name():
    out = R.redact_mapping({"WindowTitle": "cheap flights lisbon to cape verde - Google Search — Mozilla Firefox"})
    assert out.value["WindowTitle"] == "[content:34 chars] - Google Search — Mozilla Firefox"


def test_an_id_keeps_its_kind():
    assert R.redact_mapping({"user_id": "cus_Q7mX2kLp9RtZ4v"}).value == {"user_id": "cus_[removed]"}
    assert R.redact_mapping({"user_id": "deadbeef-2f61-4b83"}).value == {"user_id": "[removed]"}
    assert R.redact_mapping({"username": "jane_1998x"}).value == {"username": "[removed]"}


def test_json_in_a_string_keeps_its_layout():
    out = R.redact_mapping({"data": '{"email":"s.l@telia.se","plan":"pro"}'})
    assert out.value == {"data": '{"email":"[removed]","plan":"pro"}'}


# Fields no selector lists are read by their words (data/field_words.toml): a failure's word anywhere, else the last
# word that is not a holder ("value", "text", "box").
@pytest.mark.parametrize(("field", "treatment"), [
    ("failureDescription", "scrub"), ("crash_details_text", "scrub"), ("searchBoxValue", "default"),
    ("props.search.value", "default"), ("titleText", "title"), ("emailAddr", "remove"),
    ("search_source", "default"), ("bank", "default"), ("label", "default"),
])
def test_unlisted_fields_are_read_by_their_words(field, treatment):
    assert R.fields.treatment(field) == treatment


# Values under content fields that no person wrote stay; under search and filter boxes a one-word value is a query.
@pytest.mark.parametrize(("field", "value"), [("response", "accepted"), ("output", "stdout"), ("input", "keyboard"),
                                              ("content", "image/png"), ("content", "v2"), ("note", "beta"),
                                              ("q", ""), ("messages", "[]"), ("summary", "passed"),
                                              # media types with parameters, dotted and reverse-DNS identifiers,
                                              # packages at a version (Sentry tags, Segment context, SDK options)
                                              ("description", "text/html; charset=utf-8"),
                                              ("body", "application/vnd.openxmlformats-officedocument.spreadsheetml"
                                                       ".sheet"),
                                              ("description", "com.posthog.app"), ("body", "django.request"),
                                              ("description", "db.sql.query"), ("note", "http.client"),
                                              ("description", "pnpm@8.15.4"), ("body", "frontend@2.14.0+build.5521")])
def test_status_values_under_content_fields_stay(field, value):
    assert R.redact_mapping({field: value}).value == {field: value}


@pytest.mark.parametrize(("field", "value"), [("q", "chemotherapy"), ("search", "divorce"), ("keyword", "bankruptcy"),
                                              ("channel_name", "marta-thesis-nlp"), ("note", "marta"),
                                              ("prompt", "write to my landlord"),
                                              # a person's file name, a dotted name with a person in it, a query
                                              ("description", "taxes.pdf"), ("note", "marta.lindqvist.cv"),
                                              ("q", "com.posthog.app"), ("search", "support.google.com")])
def test_queries_and_names_under_content_fields_go(field, value):
    assert R.redact_mapping({field: value}).value == {field: f"[content:{len(value)} chars]"}


@pytest.mark.parametrize(("title", "kept"), [("IntelliJ IDEA 2023.3.2", "IntelliJ IDEA 2023.3.2"),
                                             ("Administrator: Windows PowerShell", "Windows PowerShell"),
                                             ("~/src/dotfiles — zsh — 80×24", "zsh — 80×24")])
def test_title_versions_and_console_marks_stay(title, kept):
    assert kept in R.redact_mapping({"window_title": title}).value["window_title"]


def test_a_dated_first_part_is_no_version():
    assert "Invoice" not in R.redact_mapping({"window_title": "Invoice 2024.03.15 - Word"}).value["window_title"]


# A given name and a family name inside a telemetry slug; slugs of words and given names alone stay.
@pytest.mark.parametrize(("field", "value", "out"), [
    ("project", "thesis-maria-gonzalez-final", "thesis-[person]-final"), ("workspace", "notes_priya_raman",
                                                                          "notes_[person]"),
    ("layout", "grace-period", "grace-period"), ("css", "max-width", "max-width"), ("color", "rose-gold", "rose-gold"),
])
def test_names_inside_slugs(field, value, out):
    assert R.redact_mapping({field: value}).value == {field: out}


# The kind before an id stays (what the id is), never a person's name before a machine's id.
@pytest.mark.parametrize(("field", "value", "out"), [
    ("distinct_id", "$device:18e4c2a9f71b3d-0c5e8f2a4b19d7-1f525637", "$device:[removed]"),
    ("hostname", "ios-00008110-001A2C3E0E91801E", "ios-[removed]"), ("hostname", "bob-12345678-87654321", "[removed]"),
])
def test_id_kinds_stay(field, value, out):
    assert R.redact_mapping({field: value}).value == {field: out}


@pytest.mark.parametrize(("field", "value", "out"), [
    ("$device_name", "iPhone 12 Pro", "iPhone 12 Pro"),           # make and model: PostHog's own example values
    ("$device_name", "Samsung Galaxy 10", "Samsung Galaxy 10"),
    ("device.name", "Pixel 7a", "Pixel 7a"),
    ("$device_name", "iPhone", "iPhone"),                         # iOS 16+ reports the model only
    ("$device_name", "Priya's iPhone", "[person]'s iPhone"),       # a default name: the owner goes, the model stays
    ("device.name", "Emre’s MacBook Pro", "[person]’s MacBook Pro"),
    ("$device_name", "iPad von Lukas Brenner", "iPad von [person]"),  # the same default name in German, French
    ("$device_name", "iPhone de María", "iPhone de [person]"),
    ("device.name", "Gokhan-PC", "[removed]"),                    # anything the owner chose goes whole
    ("$device_name", "Kitchen iPad", "[removed]"),
    ("hostname", "iPhone", "[removed]"),                          # only device-name fields read the model
])
def test_device_names_keep_make_and_model_only(field, value, out):
    assert R.redact_mapping({field: value}).value[field] == out
    assert R.redact_text(value, field=field).value == out
