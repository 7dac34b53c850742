"""Driving a checklist through the Slack stand-in, as people in a channel would."""

from __future__ import annotations

from typing import Any

from bot.fakeslack import Call
from tests.slack import CHANNEL, TEAM, USER, SlackClient, button, new_ts


def step_posts(app: SlackClient) -> list[Call]:
    """Step messages posted so far (in threads, with answer buttons)."""
    return [
        c
        for c in app.fake.api_calls("chat.postMessage")
        if c.payload.get("thread_ts") and "checklist_answer" in str(c.payload.get("blocks"))
    ]


async def start(
    app: SlackClient, name: str = "principles", *, user: str = USER, team: str = TEAM
) -> tuple[Call, Call]:
    """Start a checklist with the slash command; returns the parent post and the first step post."""
    before = len(app.fake.api_calls("chat.postMessage"))
    response, _ = await app.command("/checklist", name, user=user, team=team)
    assert response.status == 200, response.text
    posts = await app.fake.wait_for(lambda c: c.method == "chat.postMessage", count=before + 2)
    parent, first = posts[before], posts[before + 1]
    assert first.payload["thread_ts"] == parent.result["ts"]
    return parent, first


async def click_option(app: SlackClient, step: Call, label: str, *, user: str = USER) -> str:
    """Press a button on a posted step message; returns the response_url key used."""
    message = {
        "type": "message",
        "ts": step.result["ts"],
        "text": step.payload["text"],
        "blocks": step.payload["blocks"],
        "thread_ts": step.payload.get("thread_ts"),
    }
    _, key = await app.click(
        button(step.payload, label),
        message_ts=step.result["ts"],
        user=user,
        is_ephemeral=False,
        message=message,
        block_id="step",
    )
    return key


async def wait_steps(app: SlackClient, count: int) -> Call:
    """Wait until `count` step messages have been posted; returns the latest."""
    await app.fake.wait_for(lambda c: c in step_posts(app), count=count)
    return step_posts(app)[-1]


async def reply_in_thread(app: SlackClient, parent: Call, text: str, *, user: str = USER) -> None:
    event = {
        "type": "message",
        "user": user,
        "text": text,
        "ts": new_ts(),
        "team": TEAM,
        "channel": CHANNEL,
        "event_ts": new_ts(),
        "channel_type": "channel",
        "thread_ts": parent.result["ts"],
    }
    response = await app.event(event)
    assert response.status == 200


def latest_step(app: SlackClient) -> Call:
    return step_posts(app)[-1]


def summary_posts(app: SlackClient) -> list[Call]:
    return [c for c in app.fake.api_calls("chat.postMessage") if "Summary:" in c.text]


def parent_updates(app: SlackClient, parent: Call) -> list[Call]:
    return [c for c in app.fake.api_calls("chat.update") if c.payload.get("ts") == parent.result["ts"]]


def ephemerals(app: SlackClient, key: str | None = None) -> list[dict[str, Any]]:
    """Private replies: through a response_url (buttons) or chat.postEphemeral (thread replies)."""
    found = [c.payload for c in app.fake.responses() if key is None or c.method == key]
    found += [c.payload for c in app.fake.api_calls("chat.postEphemeral")]
    return found


async def answer_every_step(app: SlackClient, step: Call, labels: list[str]) -> Call:
    """Press `labels` on the steps in turn, from `step` to the end; returns the summary message."""
    for number, label in enumerate(labels, start=1):
        before = len(step_posts(app))  # counted before the click: the next step may arrive at once
        await click_option(app, step, label)
        if number < len(labels):
            step = await wait_steps(app, before + 1)
    [summary] = await app.fake.wait_for(lambda c: c.method == "chat.postMessage" and "Summary:" in c.text)
    return summary
