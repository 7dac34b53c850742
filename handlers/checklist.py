"""/checklist [name | status]: guided checklists a team answers together in a thread.

Thin: each handler acks, reads the payload, and calls the checklist service (services/checklists.py), which
does the work and asks handlers/checklist_blocks.py how each message looks.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from handlers import checklist_blocks as cb
from handlers import context as ctx
from handlers.blocks import escape, notice, truncate
from handlers.catalog import CHECKLIST_COMMAND
from handlers.router import Router
from knowledge.checklist_engine import Reply, ReplyKind
from knowledge.text import unescape_chat
from services.checklists import Rendered, Tell

logger = logging.getLogger(__name__)

BUTTON_KINDS = {
    cb.ANSWER_ACTION: ReplyKind.ANSWER,
    cb.SKIP_ACTION: ReplyKind.SKIP,
    cb.BACK_ACTION: ReplyKind.BACK,
    cb.CANCEL_ACTION: ReplyKind.CANCEL,
}
STALE_BUTTON = "That button isn't valid any more. Type `/checklist status` to find the checklist."
# Before each answer button had its own action_id, they all had this one: messages posted then still work.
OLD_ANSWER_ACTION = cb.ANSWER_ACTION.removesuffix(":")


def _privately(respond: AsyncRespond) -> Tell:
    """Tell the person who pressed a button, privately, through the button's response_url."""

    async def tell(message: Rendered) -> None:
        await respond(response_type="ephemeral", replace_original=False, **message.as_kwargs())

    return tell


def _user(body: dict[str, Any]) -> str:
    return str((body.get("user") or {}).get("id") or body.get("user_id") or "")


async def handle_checklist(
    ack: AsyncAck,
    command: dict[str, Any],
    client: AsyncWebClient,
    respond: AsyncRespond,
    context: AsyncBoltContext,
) -> None:
    kb = ctx.kb(context)
    text = " ".join((command.get("text") or "").split()).lower()
    if text in ("", "list", "help"):
        await ack(response_type="ephemeral", **cb.checklist_list(kb.checklists).as_kwargs())
        return
    if text == "status":
        await ack()
        status = await ctx.checklists(context).status(kb, client, ctx.place(command))
        await respond(response_type="ephemeral", **status.as_kwargs())
        return
    checklist = kb.checklist(text)
    if checklist is None:
        names = ", ".join(f"`{c.id}`" for c in kb.checklists)
        message = (
            f"There is no checklist called “{escape(truncate(text, 100))}”. "
            f"Try one of {names}, or `/checklist` to see them all."
        )
        await ack(response_type="ephemeral", **notice(message).as_kwargs())
        return
    await ack()
    service = ctx.checklists(context)
    if not await service.first_time(ctx.team_id(command), str(command.get("trigger_id") or "")):
        return
    await service.start(kb, client, ctx.place(command), checklist, _user(command), _privately(respond))


async def handle_start_button(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    respond: AsyncRespond,
    context: AsyncBoltContext,
) -> None:
    await ack()
    service = ctx.checklists(context)
    if not await service.first_time(ctx.team_id(body), str(body.get("trigger_id") or "")):
        return
    kb = ctx.kb(context)
    checklist = kb.checklist(str(action.get("value", "")))
    if checklist is None:
        await _privately(respond)(
            notice("That checklist no longer exists. Type `/checklist` to see the current ones.")
        )
        return
    await service.start(kb, client, ctx.place(body), checklist, _user(body), _privately(respond))


async def handle_step_button(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    respond: AsyncRespond,
    context: AsyncBoltContext,
) -> None:
    """Answer, Skip, Back and Cancel, on a step message (or Cancel on the private "Cancel this checklist?")."""
    await ack()
    parsed = cb.parse_step_value(str(action.get("value", "")))
    action_id = str(action.get("action_id"))
    answer = action_id.startswith(cb.ANSWER_ACTION) or action_id == OLD_ANSWER_ACTION
    kind = BUTTON_KINDS.get(cb.ANSWER_ACTION if answer else action_id)
    if parsed is None or kind is None:
        await _privately(respond)(notice(STALE_BUTTON))
        return
    run_id, index, value = parsed
    container = body.get("container") or {}
    # A button on a private message (the cancel question) has no step message of its own to update.
    step_ts = None if container.get("is_ephemeral") else container.get("message_ts")
    if container.get("is_ephemeral") and kind == ReplyKind.CANCEL:
        await respond(delete_original=True)  # the question is answered
    await ctx.checklists(context).apply(
        ctx.kb(context),
        client,
        run_id,
        index,
        Reply(kind, value),
        _user(body),
        place=ctx.place(body),
        step_ts=step_ts,
        tell=_privately(respond),
    )


async def handle_keep_going(ack: AsyncAck, respond: AsyncRespond) -> None:
    """ "Keep going" on the private cancel question: the question goes away, nothing changes."""
    await ack()
    await respond(delete_original=True)


async def handle_undo(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    respond: AsyncRespond,
    context: AsyncBoltContext,
) -> None:
    await ack()
    await ctx.checklists(context).undo_cancel(
        ctx.kb(context),
        client,
        str(action.get("value", "")),
        _user(body),
        ctx.place(body),
        (body.get("container") or {}).get("message_ts"),
        _privately(respond),
    )


async def handle_note_button(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: AsyncRespond,
    context: AsyncBoltContext,
) -> None:
    """Move to step N / Remove note, on the private "Noted on step N" message: only the presser's own note."""
    await ack()
    parts = str(action.get("value", "")).split("|")
    if len(parts) != 3 or not (parts[1].isdigit() and (parts[2].isdigit() or parts[2] == "")):
        await _privately(respond)(notice(STALE_BUTTON))
        return
    service, kb, place, tell = ctx.checklists(context), ctx.kb(context), ctx.place(body), _privately(respond)
    if action.get("action_id") == cb.NOTE_MOVE_ACTION and parts[2]:
        await service.move_note(kb, parts[0], int(parts[1]), int(parts[2]), _user(body), place, tell)
    else:
        await service.remove_note(kb, parts[0], int(parts[1]), _user(body), place, tell)


async def handle_thread_reply(
    event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> bool:
    """A message in a checklist thread: apply it as a reply. False if the thread is not a checklist's."""
    team = ctx.team_id(body)
    channel, thread_ts, user = event.get("channel", ""), event.get("thread_ts"), event.get("user", "")
    if not thread_ts or thread_ts == event.get("ts"):
        return False
    run = await ctx.deps(context).runs.by_thread(team, channel, str(thread_ts))
    if run is None:
        return False
    if not await ctx.store(context).claim(f"reply:{team}:{channel}:{event.get('ts')}"):
        return True  # a retry of a reply already applied

    async def tell(message: Rendered) -> None:
        await client.chat_postEphemeral(
            channel=channel, user=user, thread_ts=str(thread_ts), **message.as_kwargs()
        )

    text = unescape_chat(str(event.get("text") or ""))  # "A &amp; B" as Slack sends it is "A & B" as typed
    await ctx.checklists(context).typed(ctx.kb(context), client, run, text, user, ctx.place(body), tell)
    return True


async def handle_export(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    respond: AsyncRespond,
    context: AsyncBoltContext,
) -> None:
    await ack()
    await ctx.checklists(context).export(
        ctx.kb(context),
        client,
        str(action.get("value", "")),
        _user(body),
        ctx.place(body),
        str((body.get("container") or {}).get("message_ts", "")),
        _privately(respond),
    )


async def handle_resume(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    respond: AsyncRespond,
    context: AsyncBoltContext,
) -> None:
    await ack()
    await ctx.checklists(context).resume(
        ctx.kb(context), client, str(action.get("value", "")), ctx.place(body), _privately(respond)
    )


def register(app: Router) -> None:
    app.command(CHECKLIST_COMMAND)(handle_checklist)
    app.action(cb.START_ACTION)(handle_start_button)
    app.action_prefix(cb.ANSWER_ACTION)(handle_step_button)
    app.action(OLD_ANSWER_ACTION)(handle_step_button)
    for action_id in BUTTON_KINDS:
        if action_id != cb.ANSWER_ACTION:
            app.action(action_id)(handle_step_button)
    app.action(cb.KEEP_ACTION)(handle_keep_going)
    app.action(cb.UNDO_ACTION)(handle_undo)
    app.action(cb.NOTE_MOVE_ACTION)(handle_note_button)
    app.action(cb.NOTE_REMOVE_ACTION)(handle_note_button)
    app.action(cb.EXPORT_ACTION)(handle_export)
    app.action(cb.RESUME_ACTION)(handle_resume)
