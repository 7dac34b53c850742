"""/didyouknow [topic]: a "Did you know?" fact, never the same one twice in a row in a channel."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext

from handlers import context as ctx
from handlers.blocks import entry_card, escape, notice
from handlers.router import Router
from knowledge.base import next_fact

COMMAND = "/didyouknow"
USAGE = "[topic]"
DESCRIPTION = "a fact from the framework, or about a topic such as nos, standards or principles"


async def handle_didyouknow(ack: AsyncAck, command: dict[str, Any], context: AsyncBoltContext) -> None:
    kb = ctx.kb(context)
    topic = (command.get("text") or "").strip()
    candidates = kb.facts_about(topic) if topic else list(kb.facts)
    if not candidates:
        topics = ", ".join(f"`{t}`" for t in kb.topics)
        await ack(
            response_type="ephemeral",
            **notice(
                f"I have no facts about “{escape(topic)}”. Try `{COMMAND}` alone, or a topic: {topics}."
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


def register(app: Router) -> None:
    app.command(COMMAND)(handle_didyouknow)
