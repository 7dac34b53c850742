"""The "Did this help?" buttons: record the vote against the entry, then thank the person."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from handlers import context as ctx
from handlers.blocks import HELPFUL_ACTION, NOT_HELPFUL_ACTION, entry_card, notice
from handlers.owners import offer_reason, owners_hear
from handlers.router import Router
from handlers.share import STALE

NOTED = "Thanks for telling us."
ALREADY = "You've already told us about this answer, thank you; your first answer is kept."
THANKS = {
    True: "Thanks, glad it helped.",
    False: "Thanks for telling us: the people who maintain my content see every 👎 in their weekly digest.",
}


async def handle_feedback(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: AsyncRespond,
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    kb = ctx.kb(context)
    helpful = action.get("action_id") == HELPFUL_ACTION
    ids = str(action.get("value", "")).split(",")
    entries = [e for e in (kb.get(i) for i in ids) if e is not None]
    if not entries:
        await ack()
        await respond(response_type="ephemeral", replace_original=False, **notice(STALE).as_kwargs())
        return
    team = ctx.team_id(body)
    container = body.get("container") or {}
    user = (body.get("user") or {}).get("id", "")
    where = container.get("message_ts") or body.get("action_ts", "")
    recorded = False
    for entry in entries:
        vote = f"{team}:{where}:{user}:{entry.id}"
        recorded = await ctx.store(context).record_feedback(team, entry.id, helpful, vote) or recorded
    if recorded:
        ctx.metrics(context).feedback.labels("yes" if helpful else "no").inc()
    # Acked once the vote is saved (one insert): a second click sent on seeing the first's reply comes after it.
    await ack()
    heard = owners_hear(ctx.deps(context), team)  # only then is anyone asked, or told, about a digest
    if recorded and not helpful and heard:  # first, while the click's trigger_id is fresh (3 seconds)
        await offer_reason(client, str(body.get("trigger_id") or ""), entries)
    # One vote a person an answer: a second click (an old button) keeps the first vote, and says so.
    thanks = (THANKS[helpful] if heard or helpful else NOTED) if recorded else ALREADY
    if container.get("is_ephemeral"):
        # A private answer: the buttons give way to the thank-you.
        card = entry_card(kb, entries, shareable=True, thanks=thanks)
        await respond(replace_original=True, **card.as_kwargs())
    else:
        # An answer in a channel or thread: others may vote too, so the thanks goes to this person alone.
        await respond(response_type="ephemeral", replace_original=False, **notice(thanks).as_kwargs())


def register(app: Router) -> None:
    app.action(HELPFUL_ACTION)(handle_feedback)
    app.action(NOT_HELPFUL_ACTION)(handle_feedback)
