"""The App Home tab: published for each person when they open it, and again when they change a setting."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from handlers import context as ctx
from handlers.home_blocks import BROWSE_ACTION, LINK_ACTION, TIPS_ACTION, card_modal, home_view
from handlers.router import Router
from knowledge.schedule import Frequency, Schedule
from services.checklist_store import Place
from services.deps import Deps
from services.slack_errors import error_code

logger = logging.getLogger(__name__)


def personal_schedule(deps: Deps) -> Schedule:
    """The tips a person turns on in their Home tab: one a week, Monday 09:00, in their messages with the app."""
    return Schedule(Frequency.WEEKLY, time(9, 0), 0, deps.settings.tips_timezone)


async def publish_home(deps: Deps, client: AsyncWebClient, team_id: str, user_id: str) -> dict[str, Any]:
    """Build and publish one person's Home tab in one workspace; returns the view."""
    kb = deps.knowledge.current
    runs = await deps.checklists.for_person(kb, client, team_id, user_id)
    tips = await deps.schedules.subscription(team_id, user_id)
    offered = personal_schedule(deps)
    now = datetime.now(UTC)
    schedule = tips.schedule if tips else None
    next_tip = schedule.local(schedule.next_slot(now)) if schedule else None
    view = home_view(kb, offered.local(now).date(), runs, schedule, offered, next_tip)
    await client.views_publish(user_id=user_id, view=view)
    return view


async def handle_home_opened(
    event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    if event.get("tab") != "home":  # the Messages tab: nothing to publish
        return
    user = str(event.get("user") or "")
    try:
        await publish_home(ctx.deps(context), client, ctx.team_id(body), user)
    except SlackApiError as error:
        logger.warning("could not publish a Home tab (%s)", error_code(error))


async def handle_browse(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    """A card chosen from a browse menu opens in a modal, for this person only."""
    await ack()
    kb = ctx.kb(context)
    chosen = (action.get("selected_option") or {}).get("value", "")
    entry = kb.get(str(chosen))
    if entry is None:  # the content changed since the tab was published: show it afresh
        await publish_home(
            ctx.deps(context), client, ctx.team_id(body), str((body.get("user") or {}).get("id", ""))
        )
        return
    try:
        await client.views_open(trigger_id=str(body.get("trigger_id") or ""), view=card_modal(kb, entry))
    except SlackApiError as error:
        logger.warning("could not open a card from the Home tab (%s)", error_code(error))


async def handle_link(ack: AsyncAck) -> None:
    """A link button: Slack opens the link itself, and still tells the app, which need only acknowledge it."""
    await ack()


async def handle_tips(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    """Turn the person's own tips on or off, then show the tab again as it now is."""
    await ack()
    deps = ctx.deps(context)
    team, user = ctx.team_id(body), str((body.get("user") or {}).get("id", ""))
    if action.get("value") == "on":
        place = Place(
            team, ctx.enterprise_id(body), user
        )  # their messages with the app: posted to their user id
        await deps.schedules.subscribe(
            place,
            user,
            personal_schedule(deps),
            datetime.now(UTC),
            enterprise_install=bool(body.get("is_enterprise_install")),
        )
    else:
        await deps.schedules.unsubscribe(team, user)
    await publish_home(deps, client, team, user)


def register(app: Router) -> None:
    app.event("app_home_opened")(handle_home_opened)
    app.action_prefix(BROWSE_ACTION)(handle_browse)
    app.action_prefix(LINK_ACTION)(handle_link)
    app.action(TIPS_ACTION)(handle_tips)
