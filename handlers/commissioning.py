"""/commissioning [question | help]: the help card, or an answer to a question asked in plain words."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext

from handlers import context as ctx
from handlers.answers import find_answer, render_answer, should_record
from handlers.catalog import HELP_COMMAND


async def handle_commissioning(ack: AsyncAck, command: dict[str, Any], context: AsyncBoltContext) -> None:
    text = (command.get("text") or "").strip()
    kb = ctx.kb(context)
    answer = find_answer(kb, text)
    await ack(response_type="ephemeral", **render_answer(kb, text, answer, private=True).as_kwargs())
    if should_record(answer):
        await ctx.store(context).record_unanswered(ctx.team_id(command), text)


def register(app: AsyncApp) -> None:
    app.command(HELP_COMMAND)(handle_commissioning)
