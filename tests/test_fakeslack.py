"""The Slack stand-in refuses what Slack refuses, reads messages back as Slack does, and misbehaves on request."""

from __future__ import annotations

import asyncio
import json
import time
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.fakeslack import BOT_USER_ID, FakeSlack, message_problems, view_problems

CHANNEL = "C0FAKETEST"
PERSON = "U0PERSON"


def button(action_id: str, label: str = "Yes", value: str = "v") -> dict[str, Any]:
    return {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": label},
        "value": value,
    }


def actions(*elements: dict[str, Any], block_id: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "actions", "elements": list(elements)}
    if block_id is not None:
        block["block_id"] = block_id
    return block


def section(text: str, block_id: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "section", "text": {"type": "mrkdwn", "text": text}}
    if block_id is not None:
        block["block_id"] = block_id
    return block


VALID = {
    "text": "Principle 9: Spend money wisely",
    "blocks": [
        {"type": "header", "text": {"type": "plain_text", "text": "Principle 9"}},
        section("Spend money wisely", block_id="quote") | {"accessory": button("share")},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "📚 Source"}]},
        {"type": "divider"},
        actions(button("answer:yes", "Yes"), button("answer:no", "No"), block_id="answers"),
    ],
}


def client(fake: FakeSlack, token: str = "xoxb-x") -> AsyncWebClient:
    return AsyncWebClient(base_url=fake.api_url, token=token)


# message_problems --------------------------------------------------------------------------------------------


def test_a_valid_message_passes() -> None:
    assert message_problems(VALID) == []
    assert message_problems(VALID | {"blocks": json.dumps(VALID["blocks"])}) == []  # as a form body has it


def test_a_repeated_action_id_in_one_actions_block_is_refused() -> None:
    problems = message_problems({"text": "t", "blocks": [actions(button("answer"), button("answer", "No"))]})
    assert len(problems) == 1
    assert "action_id 'answer' already exists" in problems[0]
    assert "/blocks/0/elements/1/action_id" in problems[0]


def test_the_same_action_id_in_two_blocks_is_allowed() -> None:
    blocks = [actions(button("answer"), block_id="one"), actions(button("answer"), block_id="two")]
    assert message_problems({"text": "t", "blocks": blocks}) == []


def test_a_repeated_block_id_is_refused() -> None:
    problems = message_problems({"text": "t", "blocks": [section("a", "same"), section("b", "same")]})
    assert problems == ["block_id 'same' already exists [json-pointer:/blocks/1/block_id]"]


def test_more_than_fifty_blocks_are_refused_in_a_message_but_not_in_a_view() -> None:
    blocks = [section(f"line {i}") for i in range(51)]
    assert any("no more than 50 items" in p for p in message_problems({"text": "t", "blocks": blocks}))
    assert message_problems({"text": "t", "blocks": blocks[:50]}) == []
    assert message_problems({"text": "t", "blocks": blocks}, max_blocks=100) == []
    assert view_problems({"type": "home", "blocks": blocks}) == []
    assert view_problems({"type": "home", "blocks": blocks * 2}) != []


def test_a_button_label_over_75_characters_is_refused() -> None:
    problems = message_problems({"text": "t", "blocks": [actions(button("a", "x" * 76))]})
    assert problems and "cannot exceed 75 characters" in problems[0]
    assert message_problems({"text": "t", "blocks": [actions(button("a", "x" * 75))]}) == []


def test_section_text_over_3000_characters_is_refused() -> None:
    problems = message_problems({"text": "t", "blocks": [section("x" * 3001)]})
    assert problems and "3000" in problems[0]


def test_an_unknown_block_type_is_refused() -> None:
    problems = message_problems({"text": "t", "blocks": [{"type": "banner", "text": "hi"}]})
    assert problems == ["unknown block type 'banner' [json-pointer:/blocks/0/type]"]


def test_an_unknown_element_type_is_refused() -> None:
    problems = message_problems({"text": "t", "blocks": [actions({"type": "slider", "action_id": "s"})]})
    assert problems and "/blocks/0/elements" in problems[0]
    accessory = section("a") | {"accessory": {"type": "slider", "action_id": "s"}}
    assert any("/blocks/0/accessory" in p for p in message_problems({"text": "t", "blocks": [accessory]}))


def test_a_message_needs_something_to_show_and_not_too_much_text() -> None:
    assert message_problems({"channel": CHANNEL}) == ["no_text: a message needs text, blocks or attachments"]
    assert message_problems({"text": "x" * 40_000}) == []
    assert message_problems({"text": "x" * 40_001}) != []


# Through a running stand-in, with slack_sdk's own client --------------------------------------------------


async def test_posting_invalid_blocks_answers_invalid_blocks(fake_slack: FakeSlack) -> None:
    bad = [actions(button("answer"), button("answer", "No"))]
    with pytest.raises(SlackApiError) as raised:
        await client(fake_slack).chat_postMessage(channel=CHANNEL, text="t", blocks=bad)
    assert raised.value.response.status_code == 200  # Slack refuses in the body, not the HTTP status
    assert raised.value.response["error"] == "invalid_blocks"
    assert "already exists" in raised.value.response["errors"][0]
    [call] = fake_slack.api_calls("chat.postMessage")
    assert call.result["error"] == "invalid_blocks"
    assert fake_slack.messages.get(CHANNEL, []) == []  # nothing was posted
    assert len(fake_slack.refusals) == 1 and fake_slack.refusals[0].startswith(
        "chat.postMessage (invalid_blocks)"
    )
    fake_slack.refusals.clear()


async def test_a_view_with_bad_blocks_answers_invalid_arguments(fake_slack: FakeSlack) -> None:
    view = {"type": "home", "blocks": [{"type": "banner"}]}
    with pytest.raises(SlackApiError) as raised:
        await client(fake_slack).views_publish(user_id=PERSON, view=view)
    assert raised.value.response["error"] == "invalid_arguments"
    fake_slack.refusals.clear()


async def test_a_response_url_refuses_invalid_blocks_with_http_400(fake_slack: FakeSlack) -> None:
    bad = {"text": "t", "blocks": [section("a", "x"), section("b", "x")]}
    async with aiohttp.ClientSession() as session:
        async with session.post(fake_slack.response_url("k1"), json=bad) as resp:
            assert (resp.status, await resp.text()) == (400, "invalid_blocks")
        async with session.post(fake_slack.response_url("k2"), json={"delete_original": True}) as resp:
            assert resp.status == 200
    assert [c.result["ok"] for c in fake_slack.responses()] == [False, True]
    assert len(fake_slack.refusals) == 1
    fake_slack.refusals.clear()


async def test_an_ack_with_a_message_is_held_to_the_same_rules(fake_slack: FakeSlack) -> None:
    assert fake_slack.check_ack({}) == []
    assert fake_slack.check_ack({"response_action": "clear"}) == []
    assert fake_slack.check_ack(VALID) == []
    assert fake_slack.check_ack({"text": "t", "blocks": [{"type": "banner"}]}) != []
    assert fake_slack.refusals and fake_slack.refusals[0].startswith("ack (invalid_blocks)")
    fake_slack.refusals.clear()


async def test_metadata_comes_back_only_when_asked_for(fake_slack: FakeSlack) -> None:
    web = client(fake_slack)
    metadata = {"event_type": "checklist_step", "event_payload": {"run": "r1", "step": 2}}
    parent = await web.chat_postMessage(channel=CHANNEL, text="Checklist")
    reply = await web.chat_postMessage(
        channel=CHANNEL, text="Step 2", thread_ts=parent["ts"], metadata=metadata
    )
    assert reply["message"]["metadata"] == metadata
    assert reply["message"]["thread_ts"] == parent["ts"]
    person = fake_slack.add_message(CHANNEL, "yes", user=PERSON, thread_ts=parent["ts"])

    plain = await web.conversations_replies(channel=CHANNEL, ts=parent["ts"])
    assert [m["ts"] for m in plain["messages"]] == [parent["ts"], reply["ts"], person]
    assert all("metadata" not in m for m in plain["messages"])
    assert plain["messages"][0]["reply_count"] == 2

    full = await web.conversations_replies(channel=CHANNEL, ts=parent["ts"], include_all_metadata=True)
    assert full["messages"][1]["metadata"] == metadata
    assert full["messages"][1]["user"] == BOT_USER_ID and full["messages"][2]["user"] == PERSON

    with pytest.raises(SlackApiError) as raised:
        await web.conversations_replies(channel=CHANNEL, ts="1.000001")
    assert raised.value.response["error"] == "thread_not_found"


async def test_metadata_in_a_form_body_and_malformed_metadata(fake_slack: FakeSlack) -> None:
    metadata = {"event_type": "answer", "event_payload": {"value": "yes"}}
    async with aiohttp.ClientSession() as session:
        form = {"channel": CHANNEL, "text": "t", "metadata": json.dumps(metadata), "token": "xoxb-x"}
        async with session.post(fake_slack.api_url + "chat.postMessage", data=form) as resp:
            posted = await resp.json()
    assert posted["message"]["metadata"] == metadata
    with pytest.raises(SlackApiError) as raised:
        await client(fake_slack).chat_postMessage(channel=CHANNEL, text="t", metadata={"event_type": "x"})
    assert raised.value.response["error"] == "invalid_metadata_format"
    fake_slack.refusals.clear()


async def test_an_update_changes_the_stored_message(fake_slack: FakeSlack) -> None:
    web = client(fake_slack)
    posted = await web.chat_postMessage(channel=CHANNEL, text="before", blocks=[section("before")])
    await web.chat_update(channel=CHANNEL, ts=posted["ts"], text="after", blocks=[section("after")])
    history = await web.conversations_history(channel=CHANNEL)
    assert history["messages"][0]["text"] == "after"
    assert history["messages"][0]["blocks"][0]["text"]["text"] == "after"
    with pytest.raises(SlackApiError) as raised:
        await web.chat_update(channel=CHANNEL, ts="1.000001", text="nowhere")
    assert raised.value.response["error"] == "message_not_found"
    mine = fake_slack.add_message(CHANNEL, "a person's", user=PERSON)
    with pytest.raises(SlackApiError) as raised:
        await web.chat_update(channel=CHANNEL, ts=mine, text="edited by the bot")
    assert raised.value.response["error"] == "cant_update_message"


async def test_history_is_newest_first_without_thread_replies(fake_slack: FakeSlack) -> None:
    web = client(fake_slack)
    first = fake_slack.add_message(CHANNEL, "first", user=PERSON, ts="1700000000.000100")
    second = (await web.chat_postMessage(channel=CHANNEL, text="second"))["ts"]
    await web.chat_postMessage(channel=CHANNEL, text="a reply", thread_ts=second)
    third = fake_slack.add_message(CHANNEL, "third", user=PERSON)
    history = await web.conversations_history(channel=CHANNEL)
    assert [m["ts"] for m in history["messages"]] == [third, second, first]
    assert history["has_more"] is False

    page = await web.conversations_history(channel=CHANNEL, limit=2)
    assert [m["ts"] for m in page["messages"]] == [third, second] and page["has_more"] is True
    cursor = page["response_metadata"]["next_cursor"]
    rest = await web.conversations_history(channel=CHANNEL, limit=2, cursor=cursor)
    assert [m["ts"] for m in rest["messages"]] == [first] and rest["has_more"] is False

    window = await web.conversations_history(channel=CHANNEL, oldest=first)
    assert [m["ts"] for m in window["messages"]] == [third, second]  # oldest is exclusive, as in Slack
    window = await web.conversations_history(channel=CHANNEL, oldest=first, latest=third, inclusive=True)
    assert [m["ts"] for m in window["messages"]] == [third, second, first]


async def test_a_new_message_is_later_than_every_message_before_it(fake_slack: FakeSlack) -> None:
    web = client(fake_slack)
    question = fake_slack.add_message(CHANNEL, "a question", user=PERSON, ts=f"{int(time.time())}.900000")
    answer = await web.chat_postMessage(channel=CHANNEL, text="the answer", thread_ts=question)
    assert Decimal(answer["ts"]) > Decimal(question)
    unseen = f"{int(time.time()) + 5}.000001"  # a thread the stand-in only hears of from the reply
    reply = await web.chat_postMessage(channel="C0OTHER", text="a reply", thread_ts=unseen)
    assert Decimal(reply["ts"]) > Decimal(unseen)
    later = await web.conversations_replies(channel=CHANNEL, ts=question, oldest=question)
    assert [m["ts"] for m in later["messages"]] == [answer["ts"]]


async def test_replies_paginate_in_ts_order(fake_slack: FakeSlack) -> None:
    parent = fake_slack.add_message(CHANNEL, "parent", user=PERSON)
    replies = [fake_slack.add_message(CHANNEL, f"reply {i}", user=PERSON, thread_ts=parent) for i in range(4)]
    seen: list[str] = []
    cursor = ""
    web = client(fake_slack)
    for _ in range(5):
        page = await web.conversations_replies(channel=CHANNEL, ts=parent, limit=2, cursor=cursor or None)
        seen.extend(m["ts"] for m in page["messages"])
        cursor = page["response_metadata"]["next_cursor"]
        if not page["has_more"]:
            break
    assert seen == [parent, *replies]


async def test_a_delayed_method_takes_effect_before_it_answers(fake_slack: FakeSlack) -> None:
    fake_slack.delays["chat.postMessage"] = 0.5
    started = time.monotonic()
    posting = asyncio.create_task(client(fake_slack).chat_postMessage(channel=CHANNEL, text="slow"))
    await fake_slack.wait_for(lambda c: c.method == "chat.postMessage", within=5)
    await asyncio.sleep(0.05)
    assert not posting.done()
    assert [m["text"] for m in fake_slack.messages[CHANNEL]] == ["slow"]  # stored while the reply waits
    assert (await posting)["ok"]
    assert time.monotonic() - started >= 0.5


async def test_a_server_error_answers_503_with_html(fake_slack: FakeSlack) -> None:
    fake_slack.server_errors["chat.postMessage"] = 1
    web = client(fake_slack)
    with pytest.raises(SlackApiError) as raised:
        await web.chat_postMessage(channel=CHANNEL, text="t")
    assert raised.value.response.status_code == 503
    assert fake_slack.api_calls("chat.postMessage")[0].result["error"] == "service_unavailable"
    assert CHANNEL not in fake_slack.messages  # nothing was posted
    assert (await web.chat_postMessage(channel=CHANNEL, text="t"))["ok"]  # the next try goes through
    assert len(fake_slack.api_calls("chat.postMessage")) == 2


async def test_a_channel_the_bot_is_not_in_answers_not_in_channel(fake_slack: FakeSlack) -> None:
    fake_slack.outside.add(CHANNEL)
    web = client(fake_slack)
    attempts = [
        web.chat_postMessage(channel=CHANNEL, text="t"),
        web.chat_postEphemeral(channel=CHANNEL, user=PERSON, text="t"),
        web.chat_update(channel=CHANNEL, ts="1.000001", text="t"),
        web.conversations_history(channel=CHANNEL),
        web.conversations_replies(channel=CHANNEL, ts="1.000001"),
    ]
    for attempt in attempts:
        with pytest.raises(SlackApiError) as raised:
            await attempt
        assert raised.value.response["error"] == "not_in_channel"
    assert (await web.chat_postMessage(channel="C0ELSEWHERE", text="t"))["ok"]


async def test_a_revoked_token_answers_invalid_auth_everywhere(fake_slack: FakeSlack) -> None:
    fake_slack.revoked_tokens.add("xoxb-x")
    web = client(fake_slack)
    for attempt in (web.auth_test(), web.chat_postMessage(channel=CHANNEL, text="t")):
        with pytest.raises(SlackApiError) as raised:
            await attempt
        assert raised.value.response["error"] == "invalid_auth"
    assert (await client(fake_slack, "xoxb-other").auth_test())["ok"]
