"""The content owners' loop, end to end over HTTP and Socket Mode: "what was wrong?" after a thumbs-down,
suggestions by command and by message shortcut, and the weekly digest in CONTENT_OWNER_CHANNEL."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.app import workspace_client
from bot.fakeslack import Call, FakeSlack, _block_text
from handlers.owner_blocks import INPUT_ACTION, INPUT_BLOCK, REASON_VIEW, SUGGEST_SHORTCUT, SUGGEST_VIEW
from knowledge.base import KnowledgeBase
from services.schedules import DIGEST_SCHEDULE
from tests.slack import CHANNEL, USER, RunningApp, button, start_app, start_socket_app

OWNERS = "C0OWNERS"
ANSWER_TS = "1733300000.000001"  # the private answer's ts, the same for both clicks on it


@pytest.fixture(params=["http", "socket"])
async def owners_app(
    request: pytest.FixtureRequest, fake_slack: FakeSlack, sqlite_url: str
) -> AsyncIterator[RunningApp]:
    start = start_app if request.param == "http" else start_socket_app
    running = await start(fake_slack, sqlite_url, content_owner_channel=OWNERS)
    yield running
    await running.stop()


def posts_to(fake: FakeSlack, channel: str) -> list[Call]:
    return [
        c
        for c in fake.api_calls("chat.postMessage")
        if c.payload.get("channel") == channel and c.result.get("ok")
    ]


def words(view: dict[str, Any]) -> str:
    return "\n".join(_block_text(view.get("blocks")))


async def thumbs_down(app: RunningApp, question: str) -> dict[str, Any]:
    """Ask privately, press 👎 on the answer; returns the answer's payload."""
    response, _ = await app.command("/commissioning", question)
    answer = response.json
    await app.click(button(answer, "Not helpful"), is_ephemeral=True, message_ts=ANSWER_TS)
    return answer


async def test_a_thumbs_down_asks_what_was_wrong_and_the_digest_shows_it(
    owners_app: RunningApp, kb: KnowledgeBase
) -> None:
    app = owners_app
    answer = await thumbs_down(app, "which principle is about spending money wisely?")
    [opened] = await app.fake.wait_for(lambda c: c.method == "views.open")
    modal = opened.payload["view"]
    assert modal["callback_id"] == REASON_VIEW
    assert "What was wrong with *Principle 9" in words(modal)
    # nothing written: Slack shows the error under the box
    empty = await app.submit(modal, {INPUT_BLOCK: {INPUT_ACTION: "   "}})
    assert empty.json["response_action"] == "errors"
    done = await app.submit(
        modal, {INPUT_BLOCK: {INPUT_ACTION: "Our <!channel> local policy says otherwise"}}
    )
    assert done.json["response_action"] == "update"
    assert "Thanks" in words(done.json["view"])
    # the same click again keeps the first vote and asks nothing more
    await app.click(button(answer, "Not helpful"), is_ephemeral=True, message_ts=ANSWER_TS)
    await app.fake.wait_for(lambda c: c.kind == "response", count=2)
    assert len(app.fake.api_calls("views.open")) == 1

    for question in ("what's the price of fish", "What's the price of fish?", "who won the football"):
        await app.command("/commissioning", question)

    now = datetime.now(UTC)
    slot = DIGEST_SCHEDULE.next_slot(now)
    client_for = workspace_client(app.app)
    assert (await app.deps.schedules.tick(kb, client_for, slot + timedelta(minutes=2))).posted == 1
    assert (
        await app.deps.schedules.tick(kb, client_for, slot + timedelta(minutes=3))
    ).posted == 0  # once a week
    [digest] = posts_to(app.fake, OWNERS)
    text = digest.text
    assert "Questions nothing answered* (3, 2 different)" in text
    assert "“what's the price of fish” ×2" in text
    assert "who won the football" in text
    assert "Principle 9: Spend money wisely*: 1 :thumbsdown:" in text
    assert "“Our &lt;!channel&gt; local policy says otherwise”" in text
    assert USER not in text and "<@" not in text  # never who asked or voted


async def test_a_suggestion_by_command_reaches_the_owners_with_who_sent_it(owners_app: RunningApp) -> None:
    app = owners_app
    response, key = await app.command(
        "/commissioning", "suggest <@U0JO> says principle 4 should link to our <!channel> strategy"
    )
    assert response.status == 200
    [sent] = await app.fake.wait_for(lambda c: c.method == "chat.postMessage")
    assert sent.payload["channel"] == OWNERS
    assert f"*Suggestion for the Guide* from <@{USER}> in <#{CHANNEL}>" in sent.text
    # a person mentioned stays a mention; nothing pings the channel
    assert "<@U0JO> says principle 4 should link to our &lt;!channel&gt; strategy" in sent.text
    [reply] = await app.fake.wait_for(lambda c: c.kind == "response" and c.method == key)
    assert f"your suggestion went to the content owners in <#{OWNERS}>" in reply.text

    response, _ = await app.command("/commissioning", "suggest")
    assert "Write your suggestion after the command" in response.shown


async def test_a_suggestion_the_app_cannot_deliver_says_so_and_keeps_the_words(
    owners_app: RunningApp,
) -> None:
    app = owners_app
    app.fake.outside.add(OWNERS)
    _, key = await app.command("/commissioning", "suggest add our local JSNA")
    [reply] = await app.fake.wait_for(lambda c: c.kind == "response" and c.method == key)
    assert "I couldn't deliver your suggestion (I'm not in the content owners' channel)" in reply.text
    assert "“add our local JSNA”" in reply.text


async def test_without_an_owner_channel_suggestions_say_who_can_switch_them_on(app: RunningApp) -> None:
    _, key = await app.command("/commissioning", "suggest something")
    [reply] = await app.fake.wait_for(lambda c: c.kind == "response" and c.method == key)
    assert "CONTENT_OWNER_CHANNEL" in reply.text
    assert not app.fake.api_calls("chat.postMessage")


async def test_the_message_shortcut_sends_a_suggestion_about_that_message(owners_app: RunningApp) -> None:
    app = owners_app
    message = {
        "type": "message",
        "ts": "1733300000.000100",
        "text": "Principle 9: Spend money wisely",
        "user": "U0GUIDEBOT",
    }
    response = await app.shortcut(SUGGEST_SHORTCUT, message)
    assert response.status == 200
    [opened] = await app.fake.wait_for(lambda c: c.method == "views.open")
    modal = opened.payload["view"]
    assert modal["callback_id"] == SUGGEST_VIEW
    assert "Principle 9: Spend money wisely" in words(modal)
    assert json.loads(modal["private_metadata"])["channel"] == CHANNEL
    done = await app.submit(modal, {INPUT_BLOCK: {INPUT_ACTION: "Quote our local guidance too"}})
    assert done.json["response_action"] == "update"
    [sent] = posts_to(app.fake, OWNERS)
    assert f"from <@{USER}> in <#{CHANNEL}>" in sent.text
    assert "Quote our local guidance too" in sent.text
    assert "About: “Principle 9: Spend money wisely” (<https://console.example/archives/" in sent.text


async def test_an_overlong_suggestion_is_refused_with_the_limit_not_cut_short(owners_app: RunningApp) -> None:
    response, _ = await owners_app.command("/commissioning", "suggest " + "x" * 1500)
    assert "That's 1,500 characters: please keep it to 1,000" in response.shown
    assert not owners_app.fake.api_calls("chat.postMessage")


async def test_the_digest_is_tried_again_when_slack_fails_and_not_when_the_app_is_not_in_the_channel(
    owners_app: RunningApp, kb: KnowledgeBase, caplog: pytest.LogCaptureFixture
) -> None:
    app = owners_app
    slot = DIGEST_SCHEDULE.next_slot(datetime.now(UTC))
    client_for = workspace_client(app.app)
    app.fake.server_errors["chat.postMessage"] = 1
    assert (await app.deps.schedules.tick(kb, client_for, slot + timedelta(minutes=1))).posted == 0
    assert (await app.deps.schedules.tick(kb, client_for, slot + timedelta(minutes=2))).posted == 1
    assert len(posts_to(app.fake, OWNERS)) == 1
    app.fake.outside.add(OWNERS)
    later = DIGEST_SCHEDULE.next_slot(slot + timedelta(minutes=1)) + timedelta(minutes=1)
    assert (await app.deps.schedules.tick(kb, client_for, later)).posted == 0
    assert "content digest: could not post to CONTENT_OWNER_CHANNEL C0OWNERS (not_in_channel)" in caplog.text
    assert (await app.deps.schedules.tick(kb, client_for, later + timedelta(minutes=1))).posted == 0
    assert (
        len(app.fake.api_calls("chat.postMessage")) == 3
    )  # the 503, the digest, one refused: no retry storm


async def test_without_content_owners_a_thumbs_down_asks_nothing_and_promises_nothing(
    app: RunningApp,
) -> None:
    await thumbs_down(app, "which principle is about spending money wisely?")
    [thanks] = await app.fake.wait_for(lambda c: c.kind == "response")
    assert "Thanks for telling us." in thanks.text and "digest" not in thanks.text
    assert not app.fake.api_calls("views.open")


async def test_with_many_workspaces_only_the_owners_workspace_is_heard(
    fake_slack: FakeSlack, sqlite_url: str, kb: KnowledgeBase
) -> None:
    from tests.slack import start_oauth_app
    from tests.test_install import install

    app = await start_oauth_app(
        fake_slack, sqlite_url, content_owner_channel=OWNERS, content_owner_team="T0AAAA"
    )
    try:
        await install(app, "T0AAAA")
        await install(app, "T0BBBB")
        _, key = await app.command("/commissioning", "suggest from the other workspace", team="T0BBBB")
        [reply] = await fake_slack.wait_for(lambda c: c.kind == "response" and c.method == key)
        assert "another workspace" in reply.text
        await app.command("/commissioning", "what's the price of fish", team="T0AAAA")
        await app.command("/commissioning", "who won the cricket", team="T0BBBB")
        now = datetime.now(UTC)
        digest = await app.deps.schedules.digest(now - timedelta(days=1), now + timedelta(seconds=5))
        assert [q.text for q in digest.questions] == ["what's the price of fish"]
        slot = DIGEST_SCHEDULE.next_slot(now)
        assert (
            await app.deps.schedules.tick(kb, workspace_client(app.app), slot + timedelta(minutes=1))
        ).posted == 1
        [posted] = posts_to(fake_slack, OWNERS)
        assert posted.token == "xoxb-T0AAAA-token"
    finally:
        await app.stop()


async def test_a_slow_slack_leaves_the_suggestion_marked_as_maybe_sent(owners_app: RunningApp) -> None:
    app = owners_app
    app.fake.delays["chat.postMessage"] = 2.5
    message = {"type": "message", "ts": "1733300000.000100", "text": "Principle 9", "user": "U0GUIDEBOT"}
    await app.shortcut(SUGGEST_SHORTCUT, message)
    [opened] = await app.fake.wait_for(lambda c: c.method == "views.open")
    done = await app.submit(opened.payload["view"], {INPUT_BLOCK: {INPUT_ACTION: "a long story"}})
    assert done.json["response_action"] == "errors"
    assert "may or may not have reached the content owners" in done.json["errors"][INPUT_BLOCK]


def test_a_long_excerpt_is_shortened_to_fit_the_forms_metadata() -> None:
    from handlers.owner_blocks import suggest_modal

    modal = suggest_modal("😀" * 300, "C1", "1.2")
    metadata = json.loads(modal["private_metadata"])  # still JSON: shortened, never cut
    assert len(modal["private_metadata"]) <= 3000
    assert metadata["channel"] == "C1" and metadata["excerpt"].startswith("😀")
