"""The "Share in channel" and "Did you mean" buttons on private cards."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext, AsyncRespond

from handlers import context as ctx
from handlers.blocks import SHARE_ACTION, SHOW_ACTION, entry_card, notice
from handlers.router import Router

STALE = (
    "That card's content has changed since it was shown. Run the command again to get the current version."
)


async def handle_share(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: AsyncRespond,
    context: AsyncBoltContext,
) -> None:
    await ack()
    kb = ctx.kb(context)
    entries = [kb.get(i) for i in str(action.get("value", "")).split(",")]
    found = [e for e in entries if e is not None]
    if not found or len(found) != len(entries):
        await respond(response_type="ephemeral", replace_original=False, **notice(STALE).as_kwargs())
        return
    user = body.get("user", {}).get("id")
    message_ts = (body.get("container") or {}).get("message_ts", "")
    # A double click on Share shares once.
    if not await ctx.store(context).claim(
        f"share:{ctx.team_id(body)}:{user}:{message_ts}:{action.get('value')}"
    ):
        return
    card = entry_card(kb, found, shared_by=user, shareable=False)
    # The response_url posts into the conversation the command came from, even one the app is not in.
    await respond(response_type="in_channel", replace_original=False, **card.as_kwargs())
    await respond(delete_original=True)


async def handle_show(
    ack: AsyncAck, action: dict[str, Any], respond: AsyncRespond, context: AsyncBoltContext
) -> None:
    await ack()
    kb = ctx.kb(context)
    entry = kb.get(str(action.get("value", "")))
    if entry is None:
        await respond(response_type="ephemeral", replace_original=False, **notice(STALE).as_kwargs())
        return
    card = entry_card(kb, [entry], feedback=True)
    await respond(response_type="ephemeral", replace_original=False, **card.as_kwargs())


def register(app: Router) -> None:
    app.action(SHARE_ACTION)(handle_share)
    app.action_prefix(SHOW_ACTION)(handle_show)
    app.action(SHOW_ACTION.removesuffix(":"))(handle_show)  # cards posted before "Show" buttons had own ids
