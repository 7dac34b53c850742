"""/commissioning [question | help]: the help card, or an answer to a question asked in plain words."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from handlers import context as ctx
from handlers.answers import count, find_answer, render_answer, should_record
from handlers.blocks import escape, notice
from handlers.catalog import HELP_COMMAND
from handlers.owners import suggest_command
from handlers.router import Router
from knowledge.text import as_read, unescape_chat

logger = logging.getLogger(__name__)


RELOAD = "reload"
SUGGEST = "suggest"
NOT_ADMIN = (
    "Only this app's admins can reload its content. Ask whoever runs the app to add you to ADMIN_USER_IDS."
)


async def handle_commissioning(
    ack: AsyncAck,
    command: dict[str, Any],
    respond: AsyncRespond,
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    text = unescape_chat(command.get("text") or "").strip()  # Slack sends &, <, > as entities
    if text.lower() == RELOAD:
        await reload_content(ack, command, respond, context)
        return
    first, _, rest = text.partition(" ")
    if first.lower() == SUGGEST:
        await suggest_command(ack, command, respond, client, context, rest)
        return
    kb = ctx.kb(context)
    answer = find_answer(kb, text)
    await ack(response_type="ephemeral", **render_answer(kb, text, answer, private=True).as_kwargs())
    count(ctx.metrics(context), answer, "command")
    if should_record(answer):
        await ctx.store(context).record_unanswered(ctx.team_id(command), as_read(text))


async def reload_content(
    ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond, context: AsyncBoltContext
) -> None:
    """/commissioning reload: admins only. New content is validated first; if it has problems the old stays."""
    deps = ctx.deps(context)
    if command.get("user_id") not in deps.settings.admin_user_ids:
        await ack(response_type="ephemeral", **notice(NOT_ADMIN).as_kwargs())
        return
    await ack(response_type="ephemeral", text="Reloading the content…")
    problems = await deps.knowledge.reload()
    if problems:
        listed = "\n".join(f"• {escape(p)}" for p in problems[:20])
        more = f"\n…and {len(problems) - 20} more" if len(problems) > 20 else ""
        message = notice(
            "The new content has problems, so I kept the old content. Fix these and reload again:",
            detail=listed + more,
        )
    else:
        kb = deps.knowledge.current
        message = notice(f"Reloaded: {len(kb.entries)} entries and {len(kb.checklists)} checklists.")
    logger.info("content reload by an admin: %s", "rejected" if problems else "done")
    await respond(response_type="ephemeral", replace_original=False, **message.as_kwargs())


async def handle_unknown_command(ack: AsyncAck, command: dict[str, Any]) -> None:
    """A command this app does not have (an old manifest, a typo'd registration): say what exists."""
    name = escape(str(command.get("command", ""))[:40])
    await ack(
        response_type="ephemeral",
        **notice(f"I don't have a {name} command. Type `/commissioning help` to see mine.").as_kwargs(),
    )


def register(app: Router) -> None:
    app.command(HELP_COMMAND)(handle_commissioning)


def register_fallback(app: Router) -> None:
    """The catch-all for commands no module registered (the router tries its named commands first)."""
    app.command(re.compile(r".*"))(handle_unknown_command)
