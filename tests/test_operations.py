"""What operators see: /metrics, one log line per request (JSON on request), and no secrets or text in either."""

from __future__ import annotations

import json
import logging

import pytest

from bot.logs import JsonFormatter
from bot.payloads import message_event
from tests.slack import TEAM, USER, RunningApp, button, eventually, new_ts


@pytest.fixture
def app(http_app: RunningApp) -> RunningApp:
    """These scenarios are about HTTP itself (signatures, status codes, operator endpoints)."""
    return http_app


async def metrics_text(app: RunningApp) -> str:
    async with app.session.get(app.base_url.rstrip("/") + "/metrics") as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("text/plain")
        return await resp.text()


async def test_metrics_count_what_the_app_does(app: RunningApp) -> None:
    await app.command("/principle", "9")
    await app.command("/principle", "banana")
    await app.command("/commissioning", "what's the weather in Leicester")
    await app.event(
        message_event(
            "value for money?", channel="D0DM", user=USER, ts=new_ts(), team_id=TEAM, channel_type="im"
        )
    )
    [posted] = await app.fake.wait_for(lambda c: c.method == "chat.postMessage")
    await app.click(button(posted.payload, "Helpful"), is_ephemeral=False)
    await app.fake.wait_for(lambda c: c.kind == "response")
    counted = ("commissioning_guide_answer_seconds_count 1.0", "commissioning_guide_questions_queued 0.0")
    text = await eventually(lambda: metrics_text(app), lambda t: all(line in t for line in counted))
    assert 'commissioning_guide_commands_total{command="/principle"} 2.0' in text
    assert 'commissioning_guide_requests_total{kind="command /principle",outcome="ok"} 2.0' in text
    assert 'commissioning_guide_declines_total{route="command"} 1.0' in text
    assert 'commissioning_guide_answers_total{route="dm"} 1.0' in text
    assert 'commissioning_guide_feedback_total{helpful="yes"} 1.0' in text
    assert 'commissioning_guide_ack_seconds_count{kind="event message"} 1.0' in text
    assert "commissioning_guide_answer_seconds_count 1.0" in text  # the DM, from its ack to its answer
    assert "commissioning_guide_questions_queued 0.0" in text  # answered, so nothing waits
    assert USER not in text and "Leicester" not in text and "money" not in text


async def test_refused_requests_are_counted_as_refused(app: RunningApp) -> None:
    await app.post("command=%2Fprinciple&text=9", {"Content-Type": "application/x-www-form-urlencoded"})
    assert (
        'commissioning_guide_requests_total{kind="unverified",outcome="refused"} 1.0'
        in await metrics_text(app)
    )


async def test_one_log_line_per_request_without_text_or_ids(
    app: RunningApp, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    await app.command("/principle", "secret words about partnership")
    await app.event(
        message_event(
            "my private question about fostering",
            channel="D0DM",
            user=USER,
            ts=new_ts(),
            team_id=TEAM,
            channel_type="im",
        )
    )
    await app.fake.wait_for(lambda c: c.method == "chat.postMessage")
    lines = [r for r in caplog.records if r.name == "bot.requests"]
    assert [r.getMessage().split(" in ")[0] for r in lines] == [
        "command /principle -> 200",
        "event message -> 200",
    ]
    everything = "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.INFO)
    for secret in ("secret words", "private question", USER, "xoxb-test-token", "test-signing-secret"):
        assert secret not in everything


def test_json_log_lines_carry_kind_outcome_and_time() -> None:
    record = logging.LogRecord(
        "bot.requests", logging.INFO, __file__, 1, "%s -> %d", ("command /nos", 200), None
    )
    record.kind, record.outcome, record.duration_ms = "command /nos", "ok", 2.5
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "command /nos -> 200"
    assert (line["kind"], line["outcome"], line["duration_ms"], line["level"]) == (
        "command /nos",
        "ok",
        2.5,
        "INFO",
    )


async def test_nothing_a_sender_writes_becomes_a_metric_label(app: RunningApp) -> None:
    # Bolt would answer ssl_check unsigned; the app checks every signature before it parses anything, so an
    # unsigned body is refused unread and cannot choose labels (unbounded series, forged counts).
    body = json.dumps({"ssl_check": "1", "type": "event_callback", "event": {"type": "<!channel> junk"}})
    for _ in range(3):
        response = await app.post(body, {"Content-Type": "application/json"})
        assert response.status == 401
    text = await metrics_text(app)
    assert "junk" not in text and "<!channel>" not in text
    assert 'commissioning_guide_requests_total{kind="unverified",outcome="refused"} 3.0' in text
    # signed, it is Slack's own check, and its label is the fixed "ssl_check"
    await app.send(body, "application/json")
    assert 'kind="ssl_check"' in await metrics_text(app)
