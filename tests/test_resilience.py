"""Slack's delivery rules and bad input: rate limits retried, retries answered once, generated payloads never
crash the app or corrupt its state."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_bolt.async_app import AsyncApp

from bot import payloads
from bot.payloads import message_event
from handlers import register_all
from tests.slack import CHANNEL, TEAM, USER, RunningApp, new_ts

# Every button the app handles, as registered (so a new one is thrown odd input too).
ACTION_IDS = sorted(register_all(AsyncApp(signing_secret="x", token="xoxb-x")).actions)


@pytest.fixture
def app(http_app: RunningApp) -> RunningApp:
    """These scenarios are about HTTP itself (signatures, status codes, operator endpoints)."""
    return http_app


async def test_a_rate_limited_reply_is_retried_after_retry_after_and_not_lost(app: RunningApp) -> None:
    app.fake.rate_limits["chat.postMessage"] = 1
    await app.event(
        message_event(
            "value for money", channel="D0DM", user=USER, ts=new_ts(), team_id=TEAM, channel_type="im"
        )
    )
    [posted] = await app.fake.wait_for(lambda c: c.method == "chat.postMessage", within=10)
    assert app.fake.limited == ["chat.postMessage"]
    assert "Spend money wisely" in posted.text


async def test_an_event_retried_after_a_restart_is_answered_once(app: RunningApp) -> None:
    event = message_event(
        "early intervention", channel="D0DM", user=USER, ts=new_ts(), team_id=TEAM, channel_type="im"
    )
    await app.event(event, event_id="Ev0RETRY1")
    await app.fake.wait_for(lambda c: c.method == "chat.postMessage")
    # Slack re-sends the same event (same event_id) with X-Slack-Retry-Num, to any process sharing the database.
    for attempt in ("1", "2"):
        response = await app.event(
            event,
            event_id="Ev0RETRY1",
            extra_headers={"X-Slack-Retry-Num": attempt, "X-Slack-Retry-Reason": "http_timeout"},
        )
        assert response.status == 200
    await asyncio.sleep(0.5)
    assert len(app.fake.api_calls("chat.postMessage")) == 1


async def _healthy(app: RunningApp) -> None:
    async with app.session.get(app.base_url.rstrip("/") + "/healthz") as resp:
        assert resp.status == 200
    response, _ = await app.command("/principle", "9")
    assert response.status == 200 and "Spend money wisely" in response.shown


text = st.text(max_size=3000)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=50),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=10), kids, max_size=4),
    max_leaves=20,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    command=st.sampled_from(
        ["/principle", "/nos", "/standards", "/didyouknow", "/commissioning", "/checklist", "/x"]
    ),
    words=text,
)
async def test_any_signed_command_text_gets_a_reply_never_a_500(
    app: RunningApp, command: str, words: str
) -> None:
    response, _ = await app.command(command, words)
    assert response.status in (200, 404)
    if command != "/x" and response.status == 200 and response.text:
        assert "Traceback" not in response.text


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.dictionaries(st.text(max_size=20), json_values, max_size=6))
async def test_generated_event_payloads_never_crash_the_app(app: RunningApp, body: dict[str, object]) -> None:
    response = await app.send(json.dumps(body), payloads.JSON)
    assert response.status < 500
    response = await app.send(urlencode({"payload": json.dumps(body)}), payloads.FORM)
    assert response.status < 500


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    value=st.text(max_size=300),
    action_id=st.sampled_from([*ACTION_IDS, "nope"]),
)
async def test_generated_button_values_change_nothing_they_should_not(
    app: RunningApp, value: str, action_id: str
) -> None:
    button = {"action_id": action_id, "value": value, "text": {"type": "plain_text", "text": "x"}}
    response, _ = await app.click(button)
    assert response.status in (200, 404)


async def test_state_is_intact_after_a_storm_of_bad_input(app: RunningApp) -> None:
    bad = [
        "",
        "{",
        "payload=%7B",
        "payload=" + "x" * 100_000,
        json.dumps({"type": "event_callback"}),
        json.dumps({"type": "event_callback", "event": "nonsense"}),
        "\udcff".encode("utf-8", "surrogatepass").decode("latin-1"),
    ]
    for body in bad:
        for content_type in (payloads.JSON, payloads.FORM):
            response = await app.send(body, content_type)
            assert response.status < 500, (body[:40], content_type, response.status)
    response = await app.post(b"\xff\xfe\x00garbage", {"Content-Type": payloads.FORM})
    assert response.status == 401
    await _healthy(app)
    assert CHANNEL


maybe_text = st.none() | st.text(max_size=80) | st.integers()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    event=st.fixed_dictionaries(
        {"type": st.sampled_from(["app_mention", "message", "reaction_added"])},
        optional={
            "text": maybe_text,
            "user": maybe_text,
            "channel": maybe_text,
            "ts": maybe_text,
            "thread_ts": maybe_text,
            "channel_type": st.sampled_from(["im", "channel", "group", "mpim"]),
            "subtype": st.sampled_from(["bot_message", "message_changed", "file_share", "thread_broadcast"]),
            "bot_id": maybe_text,
        },
    )
)
async def test_slack_shaped_events_with_odd_fields_never_crash(
    app: RunningApp, event: dict[str, object]
) -> None:
    response = await app.event(event)
    assert response.status < 500


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    action=st.fixed_dictionaries(
        {"action_id": st.sampled_from(ACTION_IDS)},
        optional={"value": maybe_text, "block_id": maybe_text, "type": st.just("button")},
    ),
    container=st.fixed_dictionaries(
        {}, optional={"message_ts": maybe_text, "channel_id": maybe_text, "is_ephemeral": st.booleans()}
    ),
)
async def test_slack_shaped_actions_with_odd_fields_never_crash(
    app: RunningApp, action: dict[str, object], container: dict[str, object]
) -> None:
    payload = {
        "type": "block_actions",
        "user": {"id": USER},
        "team": {"id": TEAM},
        "actions": [action],
        "container": container,
        "response_url": app.fake.response_url("prop"),
        "channel": {"id": CHANNEL},
    }
    response = await app.send(urlencode({"payload": json.dumps(payload)}), payloads.FORM)
    assert response.status < 500
