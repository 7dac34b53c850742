"""/principle, /nos and /standards: show framework content by number, by word, or all of it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext

from handlers import context as ctx
from handlers.blocks import Message, entry_card, escape, notice
from handlers.router import Router
from knowledge.base import KnowledgeBase
from knowledge.lookup import lookup
from knowledge.text import unescape_chat

# (command, member kind, usage hint, what it does): the manifest test and the help card read this.
LOOKUP_COMMANDS: tuple[tuple[str, str, str, str], ...] = (
    (
        "/principle",
        "principle",
        "[number or word]",
        "the ten commissioning principles, one by number, or those matching a word",
    ),
    ("/nos", "nos_function", "[function number]", "the NOS key purpose and four functions, or one function"),
    (
        "/standards",
        "service",
        "[service]",
        "how quality is measured and the five services with national minimum standards",
    ),
)

Listener = Callable[..., Awaitable[None]]


def render_lookup(kb: KnowledgeBase, kind: str, name: str, text: str) -> Message:
    result = lookup(kb, kind, name, text)
    if result.problem:
        return notice(escape(result.problem))
    return entry_card(kb, result.entries, heading=result.heading)


def make_handler(name: str, kind: str) -> Listener:
    async def handle_lookup(ack: AsyncAck, command: dict[str, Any], context: AsyncBoltContext) -> None:
        # Content lookups are in memory and fast, so the answer goes in the ack itself (private).
        message = render_lookup(ctx.kb(context), kind, name, unescape_chat(command.get("text") or ""))
        await ack(response_type="ephemeral", **message.as_kwargs())

    handle_lookup.__name__ = f"handle_{name.strip('/')}"
    return handle_lookup


def register(app: Router) -> None:
    for name, kind, _usage, _what in LOOKUP_COMMANDS:
        app.command(name)(make_handler(name, kind))
