"""The content owners' loop: "what was wrong?" after a thumbs-down, and suggestions sent to CONTENT_OWNER_CHANNEL
(`/commissioning suggest <text>`, or the message shortcut "Suggest a Guide edit")."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncAck, AsyncBoltContext, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from handlers import context as ctx
from handlers.blocks import escape, notice
from handlers.owner_blocks import (
    INPUT_ACTION,
    INPUT_BLOCK,
    REASON_VIEW,
    SAID_LIMIT,
    SUGGEST_SHORTCUT,
    SUGGEST_VIEW,
    reason_modal,
    sent_modal,
    suggest_modal,
    suggestion_message,
)
from handlers.router import Router
from knowledge.model import Entry
from knowledge.text import as_read
from services.deps import Deps
from services.slack_errors import error_code

logger = logging.getLogger(__name__)

NOT_SET_UP = (
    "Suggestions aren't switched on here: whoever runs the app sets CONTENT_OWNER_CHANNEL to the channel where "
    "the content owners read them."
)
OTHER_WORKSPACE = (
    "Suggestions go to the content owners' channel in another workspace, so they can't be sent from this one."
)
HOW_TO_SUGGEST = (
    "Write your suggestion after the command, e.g. `/commissioning suggest principle 4 should link to our local "
    "strategy`. Or use the message shortcut *Suggest a Guide edit* (in the message's ⋮ menu) on any of my answers."
)
NOT_DELIVERED = (
    "I couldn't deliver your suggestion ({why}), so nothing was sent. Please tell whoever runs the app; your "
    "words were: “{text}”"
)
TOO_LONG = "That's {length:,} characters: please keep it to {limit:,} (send the rest as another suggestion)."
POST_WITHIN = 2.0  # seconds: a modal's submission must be answered within 3
LINK_WITHIN = 0.7  # of which the link to the message may take this much
MAYBE_SENT = (
    "Slack was slow to answer, so your suggestion may or may not have reached the content owners. Check with "
    "them before sending it again; your words were: “{text}”"
)


async def offer_reason(client: AsyncWebClient, trigger_id: str, entries: list[Entry]) -> None:
    """After a thumbs-down: ask what was wrong, in a modal the person may just close."""
    if not trigger_id:
        return
    try:
        await client.views_open(
            trigger_id=trigger_id, view=reason_modal([e.id for e in entries], [e.label for e in entries])
        )
    except (SlackApiError, aiohttp.ClientError, TimeoutError) as error:
        # e.g. expired_trigger_id, when the vote took over 3 seconds: the vote is kept all the same
        logger.info("could not offer the 'what was wrong?' modal (%s)", _why(error))


def _said(view: dict[str, Any]) -> str:
    """What was typed in the form: spaces tidied, line breaks kept."""
    values = ((view.get("state") or {}).get("values") or {}).get(INPUT_BLOCK) or {}
    typed = str((values.get(INPUT_ACTION) or {}).get("value") or "")
    return "\n".join(" ".join(line.split()) for line in typed.splitlines()).strip()


def _metadata(view: dict[str, Any]) -> dict[str, Any]:
    try:
        found = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


async def handle_reason(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
) -> None:
    said = _said(view)
    if not said or len(said) > SAID_LIMIT:  # Slack's form stops at the limit; a forged submission may not
        problem = (
            TOO_LONG.format(length=len(said), limit=SAID_LIMIT)
            if said
            else "Write what was wrong, or press Skip."
        )
        await ack(response_action="errors", errors={INPUT_BLOCK: problem})
        return
    deps = ctx.deps(context)
    ids = [str(i) for i in _metadata(view).get("ids") or [] if deps.knowledge.current.get(str(i))]
    # One submission a modal, however often Slack delivers it.
    if ids and await deps.store.claim(f"reason:{view.get('id')}"):
        await deps.schedules.record_reason(ctx.team_id(body), ids, said, datetime.now(UTC))
    await ack(
        response_action="update",
        view=sent_modal("Thanks. The people who maintain the Guide's content will see it."),
    )


def owners_hear(deps: Deps, team_id: str) -> bool:
    """Whether the content owners get what people in this workspace say (a digest is sent, and covers it)."""
    try:
        _owner_channel(deps, team_id)
    except ValueError:
        return False
    return True


def _owner_channel(deps: Deps, team_id: str) -> str:
    """Where suggestions go from this workspace, or why they can't be sent (raised as ValueError)."""
    channel = deps.settings.content_owner_channel
    if not channel:
        raise ValueError(NOT_SET_UP)
    if deps.settings.content_owner_team and deps.settings.content_owner_team != team_id:
        raise ValueError(OTHER_WORKSPACE)
    return channel


async def deliver(
    deps: Deps,
    client: AsyncWebClient,
    *,
    team_id: str,
    user_id: str,
    channel_id: str | None,
    text: str,
    excerpt: str = "",
    message_ts: str | None = None,
) -> str | None:
    """Post a suggestion to the content owners; None when delivered, else what went wrong, in words."""
    try:
        owners = _owner_channel(deps, team_id)
    except ValueError as error:
        return str(error)
    # All within POST_WITHIN: a form's submission must be answered within 3 seconds.
    deadline = asyncio.get_running_loop().time() + POST_WITHIN
    link = None
    if channel_id and message_ts:
        try:
            async with asyncio.timeout(LINK_WITHIN):
                found = await client.chat_getPermalink(channel=channel_id, message_ts=message_ts)
            link = found.get("permalink")
        except (SlackApiError, aiohttp.ClientError, TimeoutError):
            link = None  # the suggestion goes without the link
    message = suggestion_message(text, user_id, channel_id, excerpt, link)
    try:
        async with asyncio.timeout_at(deadline):
            await client.chat_postMessage(channel=owners, **message.as_kwargs())
    except TimeoutError:
        logger.warning("no answer from Slack posting a suggestion to CONTENT_OWNER_CHANNEL %s", owners)
        return MAYBE_SENT.format(text=escape(text))
    except (SlackApiError, aiohttp.ClientError) as error:
        why = _why(error)
        logger.warning("could not post a suggestion to CONTENT_OWNER_CHANNEL %s (%s)", owners, why)
        reason = (
            "I'm not in the content owners' channel"
            if why in ("not_in_channel", "channel_not_found")
            else why
        )
        return NOT_DELIVERED.format(why=reason, text=escape(text))
    logger.info("suggestion sent to the content owners")
    return None


async def suggest_command(
    ack: AsyncAck,
    command: dict[str, Any],
    respond: AsyncRespond,
    client: AsyncWebClient,
    context: AsyncBoltContext,
    text: str,
) -> None:
    """/commissioning suggest <text>."""
    text = text.strip()
    if not text:
        await ack(response_type="ephemeral", **notice(HOW_TO_SUGGEST).as_kwargs())
        return
    if len(text) > SAID_LIMIT:
        await ack(
            response_type="ephemeral",
            **notice(TOO_LONG.format(length=len(text), limit=SAID_LIMIT)).as_kwargs(),
        )
        return
    await ack()
    deps = ctx.deps(context)
    problem = await deliver(
        deps,
        client,
        team_id=ctx.team_id(command),
        user_id=str(command.get("user_id") or ""),
        channel_id=str(command.get("channel_id") or "") or None,
        text=text,
    )
    said = (
        problem
        or f"Thanks: your suggestion went to the content owners in <#{deps.settings.content_owner_channel}>."
    )
    await respond(response_type="ephemeral", replace_original=False, **notice(said).as_kwargs())


async def handle_suggest_shortcut(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    """The message shortcut: a form about the message it was used on."""
    await ack()
    deps = ctx.deps(context)
    message = body.get("message") or {}
    channel = str((body.get("channel") or {}).get("id") or "")
    try:
        _owner_channel(deps, ctx.team_id(body))
        view = suggest_modal(as_read(str(message.get("text") or "")), channel, str(message.get("ts") or ""))
    except ValueError as error:
        view = sent_modal(str(error))
    try:
        await client.views_open(trigger_id=str(body.get("trigger_id") or ""), view=view)
    except (SlackApiError, aiohttp.ClientError, TimeoutError) as error:
        logger.warning("could not open the suggestion form (%s)", _why(error))


async def handle_suggest_submit(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    said = _said(view)
    if not said:
        await ack(
            response_action="errors", errors={INPUT_BLOCK: "Write what should change, or press Cancel."}
        )
        return
    about = _metadata(view)
    problem = await deliver(
        ctx.deps(context),
        client,
        team_id=ctx.team_id(body),
        user_id=str((body.get("user") or {}).get("id") or ""),
        channel_id=str(about.get("channel") or "") or None,
        text=said,
        excerpt=str(about.get("excerpt") or ""),
        message_ts=str(about.get("ts") or "") or None,
    )
    if problem:
        await ack(response_action="errors", errors={INPUT_BLOCK: problem[:150]})
        return
    await ack(
        response_action="update", view=sent_modal("Thanks: your suggestion went to the content owners.")
    )


def _why(error: BaseException) -> str:
    return error_code(error) if isinstance(error, SlackApiError) else type(error).__name__


def register(app: Router) -> None:
    app.view(REASON_VIEW)(handle_reason)
    app.shortcut(SUGGEST_SHORTCUT)(handle_suggest_shortcut)
    app.view(SUGGEST_VIEW)(handle_suggest_submit)
