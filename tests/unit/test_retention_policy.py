"""The retention policy: documented defaults, start-up validation naming the key, whole-day cutoffs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from ingest.settings import ConfigError, load_settings
from storage.jobs import PolicyError, RetentionPolicy
from storage.jobs.policy import cutoff


def test_defaults_are_the_documented_ones() -> None:
    policy = load_settings(environ={}).retention
    assert policy == RetentionPolicy(events_deidentify_days=30, events_delete_days=180, crashes_deidentify_days=30,
                                     crashes_delete_days=180, objects_delete_days=30, deletion_audit_days=1095)
    policy.check()


@pytest.mark.parametrize(("env", "key", "reason"), [
    ({"EVENTS_DELETE_DAYS": "30"}, "retention.events_delete_days", "greater than events_deidentify_days"),
    ({"EVENTS_DEIDENTIFY_DAYS": "200"}, "retention.events_delete_days", "greater than events_deidentify_days"),
    ({"CRASHES_DELETE_DAYS": "20"}, "retention.crashes_delete_days", "greater than crashes_deidentify_days"),
    ({"OBJECTS_DELETE_DAYS": "181"}, "retention.objects_delete_days", "must not exceed crashes_delete_days"),
    ({"EVENTS_DEIDENTIFY_DAYS": "7"}, "retention.events_deidentify_days", "limits.max_event_age_days"),
    ({"EVENTS_DELETE_DAYS": "0"}, "retention.events_delete_days", ">= 1"),
    ({"DELETION_AUDIT_DAYS": "three years"}, "retention.deletion_audit_days", "Expected `int`"),
])
def test_a_bad_policy_is_a_config_error_naming_the_key(env: dict[str, str], key: str, reason: str) -> None:
    environ = {f"CONSENTRY_RETENTION_{name}": value for name, value in env.items()}
    with pytest.raises(ConfigError) as caught:
        load_settings(environ=environ)
    assert f"invalid setting {key} (environment CONSENTRY_{key.upper().replace('.', '_')})" in str(caught.value)
    assert reason in str(caught.value)


def test_consistent_custom_values_pass() -> None:
    settings = load_settings(environ={"CONSENTRY_RETENTION_EVENTS_DEIDENTIFY_DAYS": "7",
                                      "CONSENTRY_LIMITS_MAX_EVENT_AGE_DAYS": "7",
                                      "CONSENTRY_RETENTION_EVENTS_DELETE_DAYS": "8",
                                      "CONSENTRY_RETENTION_OBJECTS_DELETE_DAYS": "180"})
    assert settings.retention.events_deidentify_days == 7 and settings.retention.objects_delete_days == 180


def test_policy_error_carries_the_bare_field() -> None:
    with pytest.raises(PolicyError) as caught:
        RetentionPolicy(crashes_deidentify_days=180).check()
    assert caught.value.key == "crashes_delete_days"


@pytest.mark.parametrize(("now", "days", "first_kept"), [
    (datetime(2026, 6, 15, 0, 0, tzinfo=UTC), 30, date(2026, 5, 16)),  # exactly N days: that day is kept
    (datetime(2026, 6, 15, 23, 59, tzinfo=UTC), 30, date(2026, 5, 16)),
    (datetime(2026, 3, 1, 12, 0, tzinfo=UTC), 1, date(2026, 2, 28)),
])
def test_cutoff_is_the_first_whole_day_still_kept(now: datetime, days: int, first_kept: date) -> None:
    assert cutoff(now, days) == first_kept
    # Every row of every earlier day is older than `days` days at `now`.
    assert datetime.combine(first_kept, datetime.min.time(), UTC) <= now - timedelta(days=days)
