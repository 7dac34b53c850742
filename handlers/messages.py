"""@mentions and direct messages: answer the question in the thread or conversation it was asked in."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.jobs import Question
from bot.router import Router
from handlers import context as ctx
from handlers.answers import count, find_answer, render_answer, should_record
from handlers.checklist import handle_thread_reply
from knowledge.text import MAX_QUESTION, as_read

logger = logging.getLogger(__name__)

# Messages with these subtypes are edits, joins, bot posts and the like: never questions.
ANSWERABLE_SUBTYPES = frozenset({None, "", "file_share", "thread_broadcast"})


def is_from_a_bot(event: dict[str, Any], context: AsyncBoltContext) -> bool:
    return bool(event.get("bot_id") or event.get("bot_profile")) or event.get("user") in (
        None,
        context.bot_user_id,
    )


async def queue_question(
    event: dict[str, Any], body: dict[str, Any], context: AsyncBoltContext, *, thread: bool
) -> None:
    """Queue `event`'s question for answering once, however many times and by however many routes Slack
    delivers it. `thread`: answer in the message's thread (a channel mention) rather than beside it (a DM)."""
    team = ctx.team_id(body)
    channel, ts = event.get("channel", ""), event.get("ts", "")
    question = Question(
        team_id=team,
        channel_id=channel,
        thread_ts=event.get("thread_ts") or (ts if thread else None),
        route="mention" if thread else "dm",
        text=str(event.get("text") or "")[:MAX_QUESTION],
        enterprise_id=context.enterprise_id,
        enterprise_install=bool(context.is_enterprise_install),
    )
    # A channel mention arrives as both app_mention and message events, and Slack retries either:
    # whichever copy claims the message first queues it for the answer worker (bot/worker.py), in this
    # process or any other, in the same transaction.
    with ctx.deps(context).inflight.track():  # counted, so a flood of questions meets backpressure
        if not await ctx.store(context).claim(f"answer:{team}:{channel}:{ts}", then_queue=question):
            logger.debug("message %s in %s already answered", ts, channel)


async def answer_question(deps: ctx.Deps, client: AsyncWebClient, question: Question) -> None:
    """Answer a queued question where it was asked (called by the answer worker)."""
    kb = deps.knowledge.current
    answer = find_answer(kb, question.text)
    message = render_answer(kb, question.text, answer, private=False)
    await client.chat_postMessage(
        channel=question.channel_id,
        thread_ts=question.thread_ts,
        unfurl_links=False,
        **message.as_kwargs(),
    )
    # after the post: a retried job is counted, and its question recorded, once
    count(deps.metrics, answer, question.route)
    if should_record(answer):
        # as it reads: a mention of the app or of a colleague is a user id, and no user id is kept
        await deps.store.record_unanswered(question.team_id, as_read(question.text))
    logger.info("answered %s: %s", question.route, answer.best.id if answer.best else "declined")


# Events are acknowledged as they arrive (the router's auto_ack), and a question is saved in the queue a few
# milliseconds later. Acknowledging only after the save would close that window on a hard crash, but measured
# with bench/load.py it cuts mention throughput to 0.36 of the floor (Bolt polls for the ack every 10 ms).


async def handle_mention(event: dict[str, Any], body: dict[str, Any], context: AsyncBoltContext) -> None:
    if not is_from_a_bot(event, context):
        await queue_question(event, body, context, thread=True)


async def handle_message(
    event: dict[str, Any],
    body: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    if is_from_a_bot(event, context) or event.get("subtype") not in ANSWERABLE_SUBTYPES:
        return
    if event.get("channel_type") == "im":
        await queue_question(event, body, context, thread=False)
        return
    # A mention is answered by handle_mention; other channel messages matter only as replies in
    # checklist threads.
    if context.bot_user_id and f"<@{context.bot_user_id}>" in str(event.get("text") or ""):
        return
    await handle_thread_reply(event, body, client, context)


def register(app: Router) -> None:
    app.event("app_mention")(handle_mention)
    app.event("message")(handle_message)
