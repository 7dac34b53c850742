"""/didyouknow [topic]: a "Did you know?" fact, never the same one twice in a row in a channel.

/didyouknow subscribe [daily|weekly] [day] [time] | unsubscribe | status: tips posted to the channel on a
schedule (services/schedules.py posts them).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from handlers import context as ctx
from handlers.blocks import entry_card, escape, notice
from handlers.router import Router
from knowledge.base import next_fact
from knowledge.schedule import ScheduleError, parse_schedule
from services.slack_errors import error_code, explain

COMMAND = "/didyouknow"
USAGE = "[topic | subscribe | unsubscribe | status]"
DESCRIPTION = (
    "a fact from the framework, or about a topic such as nos, standards or principles; "
    "`subscribe [daily|weekly] [day] [time]` posts one to the channel on a schedule"
)
SUBSCRIBE, UNSUBSCRIBE, STATUS = "subscribe", "unsubscribe", "status"
SUBCOMMANDS = {
    SUBSCRIBE: SUBSCRIBE,
    "unsubscribe": UNSUBSCRIBE,
    "stop": UNSUBSCRIBE,
    "off": UNSUBSCRIBE,
    "status": STATUS,
}
EXAMPLES = (
    "`/didyouknow subscribe` (every weekday at 09:00), `/didyouknow subscribe weekly monday 9am`, "
    "`/didyouknow subscribe daily 14:30`"
)
logger = logging.getLogger(__name__)


async def handle_didyouknow(
    ack: AsyncAck,
    command: dict[str, Any],
    respond: AsyncRespond,
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    words = (command.get("text") or "").split()
    sub = SUBCOMMANDS.get(words[0].lower()) if words else None
    if sub == SUBSCRIBE:
        await subscribe(ack, command, respond, client, context, words[1:])
    elif sub == UNSUBSCRIBE:
        await unsubscribe(ack, command, context)
    elif sub == STATUS:
        await status(ack, command, context)
    else:
        await a_fact(ack, command, context)


async def a_fact(ack: AsyncAck, command: dict[str, Any], context: AsyncBoltContext) -> None:
    kb = ctx.kb(context)
    topic = (command.get("text") or "").strip()
    candidates = kb.facts_about(topic) if topic else list(kb.facts)
    if not candidates:
        topics = ", ".join(f"`{t}`" for t in kb.topics)
        await ack(
            response_type="ephemeral",
            **notice(
                f"I have no facts about “{escape(topic)}”. Try `{COMMAND}` alone, or a topic: {topics}. "
                f"To have facts posted here on a schedule: `{COMMAND} subscribe`."
            ).as_kwargs(),
        )
        return
    store = ctx.store(context)
    team, channel = ctx.team_id(command), command.get("channel_id") or ""
    fact = next_fact(candidates, await store.last_fact(team, channel))
    # Saved before the ack: the reply is what lets the person ask again, so the next /didyouknow
    # in this channel always sees this fact as the last one shown.
    await store.set_last_fact(team, channel, fact.id)
    card = entry_card(kb, [fact], heading=f"Did you know? {fact.title}")
    await ack(response_type="ephemeral", **card.as_kwargs())


async def subscribe(
    ack: AsyncAck,
    command: dict[str, Any],
    respond: AsyncRespond,
    client: AsyncWebClient,
    context: AsyncBoltContext,
    words: list[str],
) -> None:
    deps = ctx.deps(context)
    try:
        schedule = parse_schedule(words, deps.settings.tips_timezone)
    except ScheduleError as error:
        await ack(
            response_type="ephemeral",
            **notice(escape(str(error)), detail="For example: " + EXAMPLES).as_kwargs(),
        )
        return
    await ack()
    place, user = ctx.place(command), str(command.get("user_id") or "")
    now = datetime.now(UTC)
    schedules = deps.schedules
    when = schedule.describe()
    existing = await schedules.subscription(place.team_id, place.channel_id)
    if existing is not None and existing.schedule == schedule:  # nothing to change: nothing to announce
        await respond(
            response_type="ephemeral",
            replace_original=False,
            **notice(
                f"This channel already gets a tip {when}. `{COMMAND} status` says when the next comes."
            ).as_kwargs(),
        )
        return
    org_wide = str(command.get("is_enterprise_install") or "").lower() == "true"
    changed = await schedules.subscribe(place, user, schedule, now, enterprise_install=org_wide)
    first = schedule.next_slot(now)
    said = (
        f"<@{user}> {'changed' if changed else 'subscribed'} this channel's “did you know” tips: one comes "
        f"{when}, starting {schedule.local(first):%A %-d %B}. `{COMMAND} unsubscribe` stops them."
    )
    try:
        # In the channel, for everyone in it to see; and a check that the app can post here at all.
        await client.chat_postMessage(channel=place.channel_id, **notice(said).as_kwargs())
    except SlackApiError as error:  # nothing changes after all
        if existing is None:
            await schedules.unsubscribe(place.team_id, place.channel_id)
        else:
            await schedules.subscribe(
                place,
                existing.created_by,
                existing.schedule,
                existing.created_at,
                enterprise_install=existing.enterprise_install,
            )
        logger.info("tips: could not subscribe a channel (%s)", error_code(error))
        await respond(
            response_type="ephemeral",
            replace_original=False,
            **notice(f"I couldn't subscribe this channel: {explain(error)}").as_kwargs(),
        )


async def unsubscribe(ack: AsyncAck, command: dict[str, Any], context: AsyncBoltContext) -> None:
    place, user = ctx.place(command), str(command.get("user_id") or "")
    if await ctx.deps(context).schedules.unsubscribe(place.team_id, place.channel_id):
        await ack(
            response_type="in_channel",
            **notice(f"<@{user}> turned off the “did you know” tips in this channel.").as_kwargs(),
        )
        return
    await ack(
        response_type="ephemeral",
        **notice(
            f"This channel has no scheduled tips, so there was nothing to stop. To start them: {EXAMPLES}."
        ).as_kwargs(),
    )


async def status(ack: AsyncAck, command: dict[str, Any], context: AsyncBoltContext) -> None:
    place = ctx.place(command)
    schedules = ctx.deps(context).schedules
    found = await schedules.subscription(place.team_id, place.channel_id)
    if found is None:
        await ack(
            response_type="ephemeral",
            **notice(f"This channel has no scheduled tips. To start them: {EXAMPLES}.").as_kwargs(),
        )
        return
    facts = len(ctx.kb(context).facts)
    shown = min(await schedules.shown(found), facts)
    upcoming = found.schedule.next_slot(datetime.now(UTC))
    local = found.schedule.local(upcoming)
    text = (
        f"This channel gets a “did you know” tip {found.schedule.describe()}. The next comes on "
        f"{local:%A %-d %B at %H:%M}. {shown} of {facts} facts shown so far in this rotation (none repeats until all have "
        f"been shown). Subscribed by <@{found.created_by}> on {found.created_at:%-d %B %Y}."
    )
    await ack(
        response_type="ephemeral", **notice(text, detail=f"`{COMMAND} unsubscribe` stops them.").as_kwargs()
    )


async def handle_left(event: dict[str, Any], body: dict[str, Any], context: AsyncBoltContext) -> None:
    """Someone left a channel the app is in (member_left_channel): if it was the app itself, removed from the
    channel, that channel's tips stop, with a log line. (Posting there would fail too, and stop them then.)"""
    if event.get("user") != _bot_user(body, context):
        return
    team, channel = ctx.team_id(body), str(event.get("channel") or "")
    if await ctx.deps(context).schedules.unsubscribe(team, channel):
        logger.warning("tips: unsubscribed channel %s in %s: the app was removed from it", channel, team)


def _bot_user(body: dict[str, Any], context: AsyncBoltContext) -> str | None:
    found = context.get("bot_user_id")
    if not found:
        authorizations = body.get("authorizations") or [{}]
        found = next((a.get("user_id") for a in authorizations if a.get("is_bot")), None)
    return str(found) if found else None


async def handle_uninstalled(body: dict[str, Any], context: AsyncBoltContext) -> None:
    """The app was uninstalled from a workspace: every subscription there ends."""
    team = ctx.team_id(body)
    if stopped := await ctx.deps(context).schedules.unsubscribe_team(team):
        logger.warning("tips: unsubscribed %d channels in %s: the app was uninstalled", stopped, team)


def register(app: Router) -> None:
    app.command(COMMAND)(handle_didyouknow)
    app.event("member_left_channel")(handle_left)
    app.event("app_uninstalled")(handle_uninstalled)
