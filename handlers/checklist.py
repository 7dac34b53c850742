"""/checklist [name | status]: guided checklists a team answers together in a thread."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import timedelta
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncAck, AsyncBoltContext, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.checklist_store import UNKNOWN_RUN, ChecklistStore, Place, Run
from bot.metrics import Metrics
from bot.router import Router
from handlers import checklist_blocks as cb
from handlers import context as ctx
from handlers.blocks import Message, escape, notice
from handlers.catalog import CHECKLIST_COMMAND
from handlers.slack_errors import error_code, explain
from knowledge.base import KnowledgeBase
from knowledge.checklist_engine import (
    NOTE_LIMIT,
    AnswerRecord,
    Reply,
    ReplyKind,
    Status,
    check_transition,
    describe_value,
    parse_reply,
    summarise,
    to_markdown,
)
from knowledge.model import Checklist

logger = logging.getLogger(__name__)

Tell = Callable[[str], Awaitable[None]]
GONE = "This checklist's content has been removed, so the run can't continue."
CHANGED = "This checklist's content has changed since the run started, so it can't continue. Start a new one with /checklist."
NOT_HERE = "That checklist belongs to another channel or workspace, so I can't change it from here. Type `/checklist status` in this channel to see its own."
UNREACHABLE = "Slack didn't answer in time. Please try again in a minute."
STEP_NOT_POSTED = "The checklist started, but I couldn't post its first step. Type `/checklist status` and press *Show current step* to post it."
# A Slack call that failed: refused, or not answered (aiohttp's errors and timeouts).
SLACK_FAILURES = (SlackApiError, aiohttp.ClientError, TimeoutError)
ALREADY_EXPORTED = "These results are already exported in the thread, as `{name}`."
NAMES_WITHIN = 5.0  # seconds to wait for Slack to name the people in an export
EMPTY_NOTE = "That note is empty: write it after *note:*, e.g. `note: agreed at the May board`."
UNRECOGNISED = "I didn't recognise “{text}” as an answer to step {number}. Reply with {options} (with a note after a comma if you like: *Partly, budget agreed*), *skip*, *back*, *cancel*, or start with *note:* to add a note."
BUTTON_KINDS = {
    cb.ANSWER_ACTION: ReplyKind.ANSWER,
    cb.SKIP_ACTION: ReplyKind.SKIP,
    cb.BACK_ACTION: ReplyKind.BACK,
    cb.CANCEL_ACTION: ReplyKind.CANCEL,
}


def runs(context: Any) -> ChecklistStore:
    return ctx.deps(context).runs


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
        days = ctx.deps(context).settings.checklist_expiry_days
        status = await _status(kb, runs(context), client, command, days)
        await respond(response_type="ephemeral", **status.as_kwargs())
        return
    checklist = kb.checklist(text)
    if checklist is None:
        names = ", ".join(f"`{c.id}`" for c in kb.checklists)
        message = f"There is no checklist called “{escape(text)}”. Try one of {names}, or `/checklist` to see them all."
        await ack(response_type="ephemeral", **notice(message).as_kwargs())
        return
    await ack()
    if not await _first_time(context, command):
        return
    user = command.get("user_id", "")
    await start_run(
        kb,
        runs(context),
        client,
        ctx.place(command),
        checklist,
        user,
        tell=lambda t: _respond_privately(respond, t),
    )


async def handle_start_button(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    respond: AsyncRespond,
    context: AsyncBoltContext,
) -> None:
    await ack()
    if not await _first_time(context, body):
        return
    kb = ctx.kb(context)
    checklist = kb.checklist(str(action.get("value", "")))
    if checklist is None:
        await _respond_privately(
            respond, "That checklist no longer exists. Type `/checklist` to see the current ones."
        )
        return
    await start_run(
        kb,
        runs(context),
        client,
        ctx.place(body),
        checklist,
        body["user"]["id"],
        tell=lambda t: _respond_privately(respond, t),
    )


async def _first_time(context: AsyncBoltContext, body: dict[str, Any]) -> bool:
    """False for a request already handled: each slash command or click has its own trigger_id, so the same
    one again is a replay (by any replica sharing the database), and must not start a second run."""
    trigger = str(body.get("trigger_id") or "")
    if not trigger:
        return True
    if await ctx.store(context).claim(f"start:{ctx.team_id(body)}:{trigger}"):
        return True
    logger.warning("a request to start a checklist was replayed; ignored")
    return False


async def start_run(
    kb: KnowledgeBase,
    store: ChecklistStore,
    client: AsyncWebClient,
    place: Place,
    checklist: Checklist,
    user: str,
    *,
    tell: Tell,
) -> Run | None:
    """Post the parent message and the first step in its thread."""
    channel = place.channel_id
    run = await store.start(place.team_id, channel, checklist.id, user, enterprise_id=place.enterprise_id)
    try:
        parent = await client.chat_postMessage(
            channel=channel, **cb.parent_message(run, checklist, 0).as_kwargs()
        )
    except SLACK_FAILURES as error:
        await store.apply(
            run.id, checklist, 0, Reply(ReplyKind.CANCEL), user
        )  # never leave a run nobody can see
        await tell(_why(error))
        return None
    await store.attach_thread(run.id, str(parent["ts"]))
    started = await store.get(run.id)
    assert started is not None
    try:
        await post_step(kb, store, client, started, checklist, 0, answers={})  # a new run has none
    except SLACK_FAILURES as error:
        # The run and its parent message exist: the step can be shown again from /checklist status.
        logger.warning("checklist %s: could not post its first step: %s", run.id, _code(error))
        await _tell_quietly(tell, f"{STEP_NOT_POSTED} ({_why(error)})")
    logger.info("checklist started: %s", checklist.id)
    return started


async def post_step(
    kb: KnowledgeBase,
    store: ChecklistStore,
    client: AsyncWebClient,
    run: Run,
    checklist: Checklist,
    index: int,
    answers: Mapping[str, AnswerRecord] | None = None,
) -> None:
    """Post step `index` in the run's thread; `answers`, the run's answers when the caller has just read them
    (read here otherwise), says what the step had if someone went back to it."""
    if answers is None:
        answers = await store.answers(run.id)
    message = cb.step_message(kb, run, checklist, index, answers.get(checklist.steps[index].id))
    posted = await client.chat_postMessage(
        channel=run.channel_id, thread_ts=run.thread_ts, **message.as_kwargs()
    )
    await store.set_step_message(run.id, index, str(posted["ts"]))


async def apply_reply(
    kb: KnowledgeBase,
    store: ChecklistStore,
    client: AsyncWebClient,
    run_id: str,
    expected: int,
    reply: Reply,
    user: str,
    *,
    place: Place,
    step_ts: str | None,
    tell: Tell,
    metrics: Metrics | None = None,
) -> None:
    """Record `reply` to step `expected` if the run is still there and `place` is its own, then show what
    changed."""
    before = await store.get(run_id)
    if before is None:
        await tell(UNKNOWN_RUN)
        return
    if not before.belongs_to(place):
        logger.warning("refused a checklist change from outside the run's channel or workspace")
        await tell(NOT_HERE)
        return
    checklist = kb.checklist(before.checklist_id)
    if checklist is None:
        await tell(GONE)
        return
    if not 0 <= expected < len(checklist.steps) or before.step_index >= len(checklist.steps):
        await tell(CHANGED)
        return
    step_ts = step_ts or before.step_ts
    outcome = await store.apply(run_id, checklist, expected, reply, user)
    if not outcome.applied or outcome.run is None:
        await tell(outcome.problem or UNKNOWN_RUN)
        return
    run = outcome.run
    step = checklist.steps[expected]
    if metrics is not None and reply.kind in (ReplyKind.ANSWER, ReplyKind.SKIP):
        metrics.checklist_steps.inc()
        if run.status == Status.COMPLETE:
            metrics.checklist_completions.inc()
    try:
        await _show(kb, store, client, run, checklist, expected, reply, user, step_ts)
    except SLACK_FAILURES as error:
        code = _code(error)
        if metrics is not None:
            metrics.slack_errors.labels(code).inc()
        # The answer is recorded; the thread catches up on the next reply or "Show current step".
        logger.warning("checklist %s: could not update Slack: %s", run.id, code)
        await _tell_quietly(
            tell,
            f"Your answer to step {expected + 1} is recorded, but I couldn't update the thread: {_why(error)}",
        )
    note = reply.value if reply.kind == ReplyKind.NOTE else reply.note
    if note:
        cut = f" Only its first {NOTE_LIMIT:,} characters are kept." if len(note) > NOTE_LIMIT else ""
        said = f"Noted on step {expected + 1} ({escape(step.prompt[:80])}…).{cut}"
        if reply.kind == ReplyKind.ANSWER:  # "no, wait...": chat can look like an answer with a note
            said += f" Recorded *{escape(describe_value(step, reply.value))}* as its answer: reply *back* to change it."
        await tell(said)


async def _show(
    kb: KnowledgeBase,
    store: ChecklistStore,
    client: AsyncWebClient,
    run: Run,
    checklist: Checklist,
    expected: int,
    reply: Reply,
    user: str,
    step_ts: str | None,
) -> None:
    channel = run.channel_id
    if reply.kind == ReplyKind.NOTE:
        return
    answers = await store.answers(run.id)
    if step_ts:
        if reply.kind in (ReplyKind.ANSWER, ReplyKind.SKIP):
            label = describe_value(
                checklist.steps[expected], reply.value if reply.kind == ReplyKind.ANSWER else "skipped"
            )
            shown = cb.answered_step(checklist, expected, label, user)
        elif reply.kind == ReplyKind.BACK:
            shown = cb.closed_step(checklist, expected, f"<@{user}> went back to step {expected}.")
        else:
            shown = cb.closed_step(checklist, expected, f"<@{user}> cancelled the checklist.")
        await client.chat_update(channel=channel, ts=step_ts, **shown.as_kwargs())
    summary = (
        summarise(kb, checklist, answers, await store.notes(run.id))
        if run.status == Status.COMPLETE
        else None
    )
    if run.thread_ts:
        parent = cb.parent_message(run, checklist, len(answers), summary.percent if summary else None)
        await client.chat_update(channel=channel, ts=run.thread_ts, **parent.as_kwargs())
    if run.status == Status.OPEN:
        await post_step(kb, store, client, run, checklist, run.step_index, answers)
    elif summary is not None:
        await client.chat_postMessage(
            channel=channel, thread_ts=run.thread_ts, **cb.summary_message(summary, run.id).as_kwargs()
        )
        logger.info("checklist completed: %s", checklist.id)
    elif run.status == Status.CANCELLED:
        await client.chat_postMessage(
            channel=channel,
            thread_ts=run.thread_ts,
            text=f"<@{user}> cancelled this checklist. {_kept(len(answers))}",
        )


async def handle_step_button(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    respond: AsyncRespond,
    context: AsyncBoltContext,
) -> None:
    await ack()
    parsed = cb.parse_step_value(str(action.get("value", "")))
    action_id = str(action.get("action_id"))
    answer = action_id.startswith(cb.ANSWER_ACTION) or action_id == cb.ANSWER_ACTION.removesuffix(":")
    kind = BUTTON_KINDS.get(cb.ANSWER_ACTION if answer else action_id)
    if parsed is None or kind is None:
        await _respond_privately(
            respond, "That button isn't valid any more. Type `/checklist status` to find the checklist."
        )
        return
    run_id, index, value = parsed
    message_ts = (body.get("container") or {}).get("message_ts")
    await apply_reply(
        ctx.kb(context),
        runs(context),
        client,
        run_id,
        index,
        Reply(kind, value),
        body["user"]["id"],
        place=ctx.place(body),
        step_ts=message_ts,
        tell=lambda t: _respond_privately(respond, t),
        metrics=ctx.metrics(context),
    )


async def handle_thread_reply(
    event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> bool:
    """A message in a checklist thread: apply it as a reply. False if the thread is not a checklist's."""
    team = ctx.team_id(body)
    channel, thread_ts, user = event.get("channel", ""), event.get("thread_ts"), event.get("user", "")
    if not thread_ts or thread_ts == event.get("ts"):
        return False
    store = runs(context)
    run = await store.by_thread(team, channel, str(thread_ts))
    if run is None:
        return False
    if not await ctx.store(context).claim(f"reply:{team}:{channel}:{event.get('ts')}"):
        return True  # a retry of a reply already applied

    async def tell(text: str) -> None:
        await client.chat_postEphemeral(
            channel=channel, user=user, thread_ts=str(thread_ts), **notice(text).as_kwargs()
        )

    kb = ctx.kb(context)
    checklist = kb.checklist(run.checklist_id)
    if checklist is None:
        await tell(GONE)
        return True
    if run.step_index >= len(checklist.steps):  # the content was reloaded with fewer steps
        await tell(CHANGED)
        return True
    step = checklist.steps[run.step_index]
    reply = parse_reply(step, str(event.get("text") or ""))
    if not run.is_open:
        # People go on talking in a finished checklist's thread: only a reply meant for the checklist is answered.
        if reply.kind != ReplyKind.UNKNOWN and not reply.note:  # "yes, thanks all" is chat, not an answer
            await tell(check_transition(checklist, run.status, run.step_index, run.step_index, reply) or GONE)
        return True
    if reply.kind == ReplyKind.NOTE and not reply.value:
        await tell(EMPTY_NOTE)
        return True
    if reply.kind == ReplyKind.UNKNOWN:
        options = ", ".join(f"*{o.label}*" for o in step.options)
        shown = escape(" ".join(str(event.get("text") or "").split())[:80])
        await tell(UNRECOGNISED.format(text=shown, number=run.step_index + 1, options=options))
        return True
    await apply_reply(
        kb,
        store,
        client,
        run.id,
        run.step_index,
        reply,
        user,
        place=ctx.place(body),
        step_ts=None,
        tell=tell,
        metrics=ctx.metrics(context),
    )
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
    run_id = str(action.get("value", ""))
    run = await runs(context).get(run_id)
    if run is None or ctx.kb(context).checklist(run.checklist_id) is None:
        await _respond_privately(respond, UNKNOWN_RUN)
        return
    if not run.belongs_to(ctx.place(body)):
        logger.warning("refused a checklist export from outside the run's channel or workspace")
        await _respond_privately(respond, NOT_HERE)
        return
    message_ts = (body.get("container") or {}).get("message_ts", "")
    claim = f"export:{run.id}:{message_ts}:{body['user']['id']}"
    if not await ctx.store(context).claim(claim):  # a double click, or a second press, exports once
        await _respond_privately(respond, ALREADY_EXPORTED.format(name=_export_name(run)))
        return
    answered = {a.user_id for a in (await runs(context).answers(run_id)).values()}
    names = await people_names(client, answered)
    document = await export_markdown(ctx.kb(context), runs(context), run_id, names=names)
    if document is None:  # removed between the two reads
        await ctx.store(context).release(claim)
        await _respond_privately(respond, UNKNOWN_RUN)
        return
    try:
        await client.files_upload_v2(
            channel=run.channel_id,
            thread_ts=run.thread_ts,
            content=document,
            filename=_export_name(run),
            title=f"Checklist results ({run.checklist_id})",
        )
    except SLACK_FAILURES as error:
        await ctx.store(context).release(claim)  # it did not happen: the next click may try again
        await _respond_privately(respond, _why(error))


def _export_name(run: Run) -> str:
    return f"checklist-{run.checklist_id}-{run.id[:8]}.md"


async def people_names(client: AsyncWebClient, user_ids: Iterable[str]) -> dict[str, str]:
    """The names people go by in Slack (display name, else full name), by user id. An id Slack will not name
    (no users:read scope on an older install, a deleted user, Slack not answering within NAMES_WITHIN seconds)
    is left out, so it is shown as it is: the export never fails for want of a name."""

    async def name_of(user_id: str) -> tuple[str, str | None]:
        try:
            async with asyncio.timeout(NAMES_WITHIN):
                user = (await client.users_info(user=user_id)).get("user") or {}
        except SlackApiError as error:
            logger.info("no name for a user in an export: %s", error_code(error))
            return user_id, None
        except (aiohttp.ClientError, TimeoutError) as error:
            logger.info("no name for a user in an export: %s", type(error).__name__)
            return user_id, None
        profile = user.get("profile") or {}
        name = (
            profile.get("display_name")
            or profile.get("real_name")
            or user.get("real_name")
            or user.get("name")
        )
        return user_id, str(name) if name else None

    found = await asyncio.gather(*(name_of(u) for u in sorted(set(user_ids)) if u))
    return {user_id: name for user_id, name in found if name}


async def export_markdown(
    kb: KnowledgeBase, store: ChecklistStore, run_ref: str, *, names: Mapping[str, str] | None = None
) -> str | None:
    """A run's results as Markdown; `run_ref` is its id or the id's first 8 or more characters; `names` gives
    the people who answered by user id."""
    run = await store.find(run_ref)
    checklist = kb.checklist(run.checklist_id) if run else None
    if run is None or checklist is None:
        return None
    summary = summarise(kb, checklist, await store.answers(run.id), await store.notes(run.id))
    suffix = "" if run.status == Status.COMPLETE else f" ({run.status})"
    return to_markdown(summary, title_suffix=suffix, names=names)


async def handle_resume(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    respond: AsyncRespond,
    context: AsyncBoltContext,
) -> None:
    await ack()
    kb, store = ctx.kb(context), runs(context)
    run = await store.get(str(action.get("value", "")))
    if run is not None and not run.belongs_to(ctx.place(body)):
        logger.warning("refused a checklist resume from outside the run's channel or workspace")
        await _respond_privately(respond, NOT_HERE)
        return
    checklist = kb.checklist(run.checklist_id) if run else None
    if run is None or checklist is None or not run.is_open:
        await _respond_privately(respond, "That checklist isn't open any more.")
        return
    try:
        await post_step(kb, store, client, run, checklist, run.step_index)
    except SLACK_FAILURES as error:
        await _respond_privately(respond, _why(error))


async def _status(
    kb: KnowledgeBase,
    store: ChecklistStore,
    client: AsyncWebClient,
    command: dict[str, Any],
    expiry_days: float,
) -> Message:
    async def this_workspace(_team: str) -> AsyncWebClient:
        return client

    await expire_runs(kb, store, this_workspace, days=expiry_days, team_id=ctx.team_id(command))
    listed = []
    for run in await store.open_runs(ctx.team_id(command), command.get("channel_id", "")):
        checklist = kb.checklist(run.checklist_id)
        if checklist is None:
            continue
        link = None
        if run.thread_ts:
            try:
                link = (await client.chat_getPermalink(channel=run.channel_id, message_ts=run.thread_ts)).get(
                    "permalink"
                )
            except SlackApiError:
                link = None
        listed.append((run, checklist, len(await store.answers(run.id)), link))
    return cb.status_list(listed)


ClientFor = Callable[[str], Awaitable[AsyncWebClient | None]]


async def expire_runs(
    kb: KnowledgeBase,
    store: ChecklistStore,
    client_for: ClientFor,
    *,
    days: float,
    team_id: str | None = None,
) -> int:
    """Close runs left alone for `days`, with a note in each thread, posted with each workspace's own client
    (`client_for(team_id)`). Only `team_id`'s runs when given. Returns how many were closed."""
    closed = await store.expire(timedelta(days=days), team_id)
    for run in closed:
        checklist = kb.checklist(run.checklist_id)
        client = await client_for(run.team_id)
        if checklist is None or not run.thread_ts or client is None:
            continue
        answered = len(await store.answers(run.id))
        try:
            await client.chat_postMessage(
                channel=run.channel_id,
                thread_ts=run.thread_ts,
                text="This checklist was closed because nobody answered for a while. "
                "The answers so far are kept; start again with /checklist.",
            )
            await client.chat_update(
                channel=run.channel_id,
                ts=run.thread_ts,
                **cb.parent_message(run, checklist, answered).as_kwargs(),
            )
        except SlackApiError as error:
            logger.warning("could not note the expiry of a checklist: %s", error_code(error))
    return len(closed)


def _kept(count: int) -> str:
    if count == 0:
        return "No answers had been given."
    return "The 1 answer given is kept." if count == 1 else f"The {count} answers given so far are kept."


def _code(error: BaseException) -> str:
    return error_code(error) if isinstance(error, SlackApiError) else type(error).__name__


def _why(error: BaseException) -> str:
    """What to tell a person about a failed Slack call, in words."""
    return explain(error) if isinstance(error, SlackApiError) else UNREACHABLE


async def _tell_quietly(tell: Tell, text: str) -> None:
    """Tell someone, when Slack lets us: a failure here is already logged, and must not lose a saved answer."""
    try:
        await tell(text)
    except SLACK_FAILURES as error:
        logger.warning("could not tell someone privately: %s", type(error).__name__)


async def _respond_privately(respond: AsyncRespond, text: str) -> None:
    await respond(response_type="ephemeral", replace_original=False, **notice(text).as_kwargs())


def register(app: Router) -> None:
    app.command(CHECKLIST_COMMAND)(handle_checklist)
    app.action(cb.START_ACTION)(handle_start_button)
    app.action_prefix(cb.ANSWER_ACTION)(handle_step_button)
    # Step messages posted before answer buttons had their own action_ids still work.
    app.action(cb.ANSWER_ACTION.removesuffix(":"))(handle_step_button)
    for action_id in BUTTON_KINDS:
        if action_id != cb.ANSWER_ACTION:
            app.action(action_id)(handle_step_button)
    app.action(cb.EXPORT_ACTION)(handle_export)
    app.action(cb.RESUME_ACTION)(handle_resume)
