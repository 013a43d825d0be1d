"""Metrics: per-instance registries, the reminder API for the dispatcher, and Bot API error kinds."""

from __future__ import annotations

import json

import pytest
from telegram.error import BadRequest, Conflict, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.instrumentation import error_kind, status_kind
from bot.metrics import Metrics


def _value(metrics: Metrics, name: str, labels: dict[str, str] | None = None) -> float:
    value = metrics.registry.get_sample_value(name, labels or {})
    return 0.0 if value is None else value


def test_two_instances_do_not_share_a_registry() -> None:
    one, two = Metrics(), Metrics()
    one.update_received("message")
    assert _value(one, "clotcare_updates_total", {"type": "message"}) == 1
    assert _value(two, "clotcare_updates_total", {"type": "message"}) == 0


def test_reminder_calls_count_outcomes_and_record_lag() -> None:
    metrics = Metrics()
    metrics.reminder_sent(late=False, lag_seconds=3.0)
    metrics.reminder_sent(late=True, lag_seconds=900.0)
    metrics.reminder_sent(late=False, lag_seconds=-1.0)  # clock skew must not make a negative lag
    metrics.reminder_follow_up_sent()
    metrics.reminder_missed(2)
    metrics.reminder_failed()
    metrics.reminder_blocked()
    for outcome, count in {
        "sent": 2,
        "late": 1,
        "follow_up": 1,
        "missed": 2,
        "failed": 1,
        "blocked": 1,
    }.items():
        assert _value(metrics, "clotcare_reminders_total", {"outcome": outcome}) == count, outcome
    assert _value(metrics, "clotcare_reminder_dispatch_lag_seconds_count") == 3
    assert _value(metrics, "clotcare_reminder_dispatch_lag_seconds_sum") == 903.0
    assert _value(metrics, "clotcare_reminder_dispatch_lag_seconds_bucket", {"le": "5.0"}) == 2


def test_unknown_error_kinds_are_counted_as_other() -> None:
    metrics = Metrics()
    metrics.telegram_error("SomethingNew")
    assert _value(metrics, "clotcare_telegram_errors_total", {"kind": "other"}) == 1


def test_render_is_prometheus_text() -> None:
    metrics = Metrics()
    metrics.message_sent("sendMessage")
    text = metrics.render().decode()
    assert "# TYPE clotcare_messages_sent_total counter" in text
    assert 'clotcare_messages_sent_total{method="sendMessage"} 1.0' in text
    assert metrics.content_type.startswith("text/plain")


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (BadRequest("Bad Request: message is too long"), "BadRequest"),
        (Forbidden("Forbidden: bot was blocked by the user"), "Forbidden"),
        (RetryAfter(3), "RetryAfter"),
        (TimedOut(), "TimedOut"),
        (NetworkError("connection reset"), "NetworkError"),
        (Conflict("terminated by other getUpdates request"), "other"),
    ],
)
def test_error_kind(error: Exception, kind: str) -> None:
    assert error_kind(error) == kind


def _body(description: str, **parameters: int) -> bytes:
    body: dict[str, object] = {"ok": False, "description": description}
    if parameters:
        body["parameters"] = parameters
    return json.dumps(body).encode()


@pytest.mark.parametrize(
    ("code", "payload", "kind"),
    [
        (400, _body("Bad Request: chat not found"), "BadRequest"),
        (403, _body("Forbidden: bot was blocked by the user"), "Forbidden"),
        (429, _body("Too Many Requests: retry after 5", retry_after=5), "RetryAfter"),
        (400, _body("Bad Request: group chat was upgraded", migrate_to_chat_id=-100), "other"),
        (401, _body("Unauthorized"), "other"),
        (502, b"<html>Bad Gateway</html>", "NetworkError"),
        (500, _body("Internal Server Error"), "NetworkError"),
    ],
)
def test_status_kind_mirrors_ptbs_mapping(code: int, payload: bytes, kind: str) -> None:
    assert status_kind(code, payload) == kind
