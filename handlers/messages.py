"""@mentions and direct messages: answer the question in the thread or conversation it was asked in."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncBoltContext, AsyncSay
from slack_sdk.web.async_client import AsyncWebClient

from bot.router import Router
from handlers import context as ctx
from handlers.answers import count, find_answer, render_answer, should_record
from handlers.checklist import handle_thread_reply

logger = logging.getLogger(__name__)

# Messages with these subtypes are edits, joins, bot posts and the like: never questions.
ANSWERABLE_SUBTYPES = frozenset({None, "", "file_share", "thread_broadcast"})


def is_from_a_bot(event: dict[str, Any], context: AsyncBoltContext) -> bool:
    return bool(event.get("bot_id") or event.get("bot_profile")) or event.get("user") in (
        None,
        context.bot_user_id,
    )


async def answer_in_thread(
    event: dict[str, Any], body: dict[str, Any], say: AsyncSay, context: AsyncBoltContext, *, thread: bool
) -> None:
    """Answer `event` once, however many times and by however many routes Slack delivers it."""
    with ctx.deps(context).inflight.track():  # counted, so a flood of questions meets backpressure
        await _answer(event, body, say, context, thread=thread)


async def _answer(
    event: dict[str, Any], body: dict[str, Any], say: AsyncSay, context: AsyncBoltContext, *, thread: bool
) -> None:
    team = ctx.team_id(body)
    channel, ts = event.get("channel", ""), event.get("ts", "")
    # A channel mention arrives as both app_mention and message events, and Slack retries either:
    # whichever copy claims the message first answers it, in this process or any other.
    if not await ctx.store(context).claim(f"answer:{team}:{channel}:{ts}"):
        logger.debug("message %s in %s already answered", ts, channel)
        return
    kb = ctx.kb(context)
    question = event.get("text") or ""
    answer = find_answer(kb, question)
    message = render_answer(kb, question, answer, private=False)
    count(ctx.metrics(context), answer, "mention" if thread else "dm")
    if should_record(answer):
        await ctx.store(context).record_unanswered(team, question)
    thread_ts = event.get("thread_ts") or (ts if thread else None)
    await say(channel=channel, thread_ts=thread_ts, unfurl_links=False, **message.as_kwargs())
    logger.info(
        "answered %s: %s", "mention" if thread else "dm", answer.best.id if answer.best else "declined"
    )


async def handle_mention(
    event: dict[str, Any], body: dict[str, Any], say: AsyncSay, context: AsyncBoltContext
) -> None:
    if is_from_a_bot(event, context):
        return
    await answer_in_thread(event, body, say, context, thread=True)


async def handle_message(
    event: dict[str, Any],
    body: dict[str, Any],
    say: AsyncSay,
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    if is_from_a_bot(event, context) or event.get("subtype") not in ANSWERABLE_SUBTYPES:
        return
    if event.get("channel_type") == "im":
        await answer_in_thread(event, body, say, context, thread=False)
        return
    # A mention is answered by handle_mention; other channel messages matter only as replies in
    # checklist threads.
    if context.bot_user_id and f"<@{context.bot_user_id}>" in str(event.get("text") or ""):
        return
    await handle_thread_reply(event, body, client, context)


def register(app: Router) -> None:
    app.event("app_mention")(handle_mention)
    app.event("message")(handle_message)
