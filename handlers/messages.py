"""@mentions and direct messages: answer the question in the thread or conversation it was asked in."""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from handlers import context as ctx
from handlers.answers import count, find_answer, render_answer, should_record
from handlers.blocks import notice
from handlers.checklist import handle_thread_reply
from handlers.router import Router
from knowledge.text import MAX_QUESTION, as_read
from services.jobs import Question
from services.slack_errors import error_code
from services.storage import DATABASE_ERRORS

logger = logging.getLogger(__name__)

THREAD_REPLY_NOT_SAVED = (
    "I couldn't record that reply: my database isn't reachable just now. Please send it again in a minute."
)
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
        message_ts=ts or None,
    )
    # A channel mention arrives as both app_mention and message events, and Slack retries either:
    # whichever copy claims the message first queues it for the answer worker (bot/worker.py), in this
    # process or any other, in the same transaction.
    with ctx.deps(context).inflight.track():  # counted, so a flood of questions meets backpressure
        if not await ctx.store(context).claim_question(f"answer:{team}:{channel}:{ts}", question):
            logger.debug("message %s in %s already answered", ts, channel)


async def answer_question(
    deps: ctx.Deps, client: AsyncWebClient, question: Question, *, may_be_posted: bool = False
) -> None:
    """Answer a queued question where it was asked (called by the answer worker). `may_be_posted`: an earlier
    attempt may have reached Slack (its worker died or gave up waiting), so look for that answer first."""
    if may_be_posted and await already_answered(client, question):
        logger.info("a retried question was already answered; not posting it again")
        return
    kb = deps.knowledge.current
    answer = find_answer(kb, question.text)
    message = render_answer(kb, question.text, answer, private=False)
    await client.chat_postMessage(
        channel=question.channel_id,
        thread_ts=question.thread_ts,
        unfurl_links=False,
        metadata=answer_metadata(question),
        **message.as_kwargs(),
    )
    # after the post: a retried job is counted, and its question recorded, once
    count(deps.metrics, answer, question.route)
    if should_record(answer):
        # as it reads: a mention of the app or of a colleague is a user id, and no user id is kept
        await deps.store.record_unanswered(question.team_id, as_read(question.text))
    logger.info("answered %s: %s", question.route, answer.best.id if answer.best else "declined")


ANSWER_EVENT = "commissioning_guide_answer"
LOOK_BACK_PAGES = (
    5  # pages of 200 messages searched for an earlier answer: a busy thread, not a whole channel
)


def answer_metadata(question: Question) -> dict[str, Any] | None:
    """Slack message metadata tagging an answer with the question it answers (its message ts), so that a
    retried job can find it. None for a job from an older version, which never recorded the question's ts."""
    if not question.message_ts:
        return None
    return {"event_type": ANSWER_EVENT, "event_payload": {"question_ts": question.message_ts}}


async def already_answered(client: AsyncWebClient, question: Question) -> bool:
    """Whether the question's answer is already in its thread or conversation, found by its metadata.

    Raises SlackApiError when Slack cannot say; the worker then tries again later. A refusal that will not
    change (no history scope on an old install, say) answers False: a second answer beats a lost one.
    """
    if not question.message_ts:
        return False
    cursor: str | None = None
    for _page in range(LOOK_BACK_PAGES):
        arguments: dict[str, Any] = {
            "channel": question.channel_id,
            "oldest": question.message_ts,
            "include_all_metadata": True,
            "limit": 200,
        }
        if cursor:
            arguments["cursor"] = cursor
        try:
            if question.thread_ts:
                page = await client.conversations_replies(ts=question.thread_ts, **arguments)
            else:
                page = await client.conversations_history(**arguments)
        except SlackApiError as error:
            if error_code(error) in LOOKUP_REFUSALS:
                logger.warning("could not look for an earlier answer (%s); posting it", error_code(error))
                return False
            raise
        for message in page.get("messages") or []:
            metadata = message.get("metadata") or {}
            payload = metadata.get("event_payload") or {}
            if (
                metadata.get("event_type") == ANSWER_EVENT
                and payload.get("question_ts") == question.message_ts
            ):
                return True
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            return False
    return False


# Slack errors that looking again will not change.
LOOKUP_REFUSALS = frozenset({"missing_scope", "not_in_channel", "channel_not_found", "thread_not_found"})


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
    try:
        await handle_thread_reply(event, body, client, context)
    except DATABASE_ERRORS as error:
        thread = (ctx.team_id(body), str(event.get("channel") or ""), str(event.get("thread_ts") or ""))
        if not ctx.deps(context).runs.is_known_thread(*thread):
            return  # not a checklist thread this process knows: chat, and nobody needs telling
        logger.warning("database unavailable for a thread reply: %s", type(error).__name__)
        try:
            await client.chat_postEphemeral(
                channel=str(event.get("channel") or ""),
                user=str(event.get("user") or ""),
                thread_ts=str(event["thread_ts"]),
                **notice(THREAD_REPLY_NOT_SAVED).as_kwargs(),
            )
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as failed:
            logger.warning("could not tell someone their reply was not saved: %s", type(failed).__name__)


def register(app: Router) -> None:
    app.event("app_mention")(handle_mention)
    app.event("message")(handle_message)
