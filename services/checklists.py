"""Checklist runs as a service: start, answer, note, cancel and undo, show, remind, expire, export.

Handlers (Slack's buttons and thread replies), the command line and the sweeper all call this module; it talks
to the database (services.checklist_store) and to Slack's Web API, and asks `views` (Block Kit builders, in
handlers/checklist_blocks.py) how each message looks, so it never builds a block itself.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from knowledge.base import KnowledgeBase
from knowledge.checklist_engine import (
    NOTE_LIMIT,
    AnswerRecord,
    Reply,
    ReplyKind,
    RunFacts,
    Status,
    Summary,
    check_transition,
    chosen_label,
    describe_value,
    is_removal,
    moves,
    note_step,
    parse_reply,
    summarise,
    to_markdown,
)
from knowledge.model import Checklist
from services.checklist_store import UNKNOWN_RUN, ChecklistStore, Place, Run
from services.metrics import Metrics
from services.mrkdwn import escape
from services.slack_errors import error_code, explain
from services.storage import Store

logger = logging.getLogger(__name__)

GONE = "This checklist's content has been removed, so the run can't continue."
CHANGED = "This checklist's content has changed since the run started, so it can't continue. Start a new one with /checklist."
NOT_HERE = "That checklist belongs to another channel or workspace, so I can't change it from here. Type `/checklist status` in this channel to see its own."
UNREACHABLE = "Slack didn't answer in time. Please try again in a minute."
STEP_NOT_POSTED = "The checklist started, but I couldn't post its first step. Type `/checklist status` and press *Show current step* to post it."
ALREADY_EXPORTED = "These results are already exported in the thread, as `{name}`."
EMPTY_NOTE = "That note is empty: write it after *note:*, e.g. `note: agreed at the May board`. To take your note off a step, reply `note: -`."
UNRECOGNISED = "I didn't recognise “{text}” as an answer to step {number}. Reply with {options} (with a note after a comma if you like: *Partly, budget agreed*), {moves}, or start with *note:* to add a note. (I'll only say this once for this step.)"
NOT_OPEN = "That checklist isn't open any more."
STEP_CANCELLED = "The checklist was cancelled."
STEP_MOVED_ON = "The checklist moved on before this step was shown: see the latest step below."
STALE_NOTE_BUTTON = (
    "That button doesn't fit the checklist as it is now. Type `note: …` in the thread instead."
)
UNDO_TOO_LATE = (
    "It's too late to undo that cancellation (or it was already undone). Start a new run with /checklist."
)
NAMES_WITHIN = 5.0  # seconds to wait for Slack to name the people in an export
# A Slack call that failed: refused, or not answered (aiohttp's errors and timeouts).
SLACK_FAILURES = (SlackApiError, aiohttp.ClientError, TimeoutError)


class Rendered(Protocol):
    """A message as the views build it: the keyword arguments of chat.postMessage / chat.update."""

    def as_kwargs(self) -> dict[str, Any]: ...


class Views(Protocol):
    """How each checklist message looks (handlers/checklist_blocks.py, a module, is one)."""

    def notice(self, text: str) -> Rendered: ...

    def parent_message(
        self,
        run: Run,
        checklist: Checklist,
        answered: int,
        score: int | None = None,
        about: str | None = None,
    ) -> Rendered: ...

    def step_message(
        self,
        kb: KnowledgeBase,
        run: Run,
        checklist: Checklist,
        index: int,
        earlier: AnswerRecord | None = None,
    ) -> Rendered: ...

    def answered_step(self, checklist: Checklist, index: int, label: str, user_id: str) -> Rendered: ...

    def closed_step(self, checklist: Checklist, index: int, why: str) -> Rendered: ...

    def summary_message(self, summary: Summary, run_id: str) -> Rendered: ...

    def cancelled_message(self, run: Run, user_id: str, answered: int, undo_minutes: int) -> Rendered: ...

    def undone_message(self, user_id: str) -> Rendered: ...

    def cancel_confirmation(self, run: Run, index: int) -> Rendered: ...

    def noted(
        self, run: Run, checklist: Checklist, index: int, current: int, said: str, moved_from: int | None
    ) -> Rendered: ...

    def current_step_link(self, index: int, total: int, link: str) -> Rendered: ...

    def reminder(self, run: Run, checklist: Checklist, expires_in_days: float) -> Rendered: ...

    def status_list(self, runs: Sequence[OpenRun]) -> Rendered: ...


Tell = Callable[[Rendered], Awaitable[None]]
ClientFor = Callable[[str], Awaitable[AsyncWebClient | None]]


@dataclass(frozen=True)
class OpenRun:
    """An open run as /checklist status lists it."""

    run: Run
    checklist: Checklist
    answered: int
    link: str | None
    about: str | None
    last_answer: AnswerRecord | None


@dataclass(frozen=True)
class PersonsRuns:
    """What a person's Home tab lists: their open runs (with a link to each one's current step) and the
    runs they finished lately, with their summaries."""

    open: tuple[OpenRun, ...]
    done: tuple[tuple[Run, Summary], ...]


@dataclass(frozen=True)
class Timing:
    """The checklist settings that are about time."""

    expiry_days: float = 7.0
    remind_days: float = 2.0
    note_grace: timedelta = timedelta(minutes=10)  # a note this soon after an answer is about that answer
    undo_window: timedelta = timedelta(minutes=15)


class Checklists:
    def __init__(
        self, runs: ChecklistStore, store: Store, views: Views, metrics: Metrics, timing: Timing = Timing()
    ) -> None:
        self.runs = runs
        self.store = store
        self.views = views
        self.metrics = metrics
        self.timing = timing

    # --- starting --------------------------------------------------------------------------------------------

    async def first_time(self, team_id: str, trigger_id: str) -> bool:
        """False for a request already handled: each slash command or click has its own trigger_id, so the
        same one again is a replay (by any replica sharing the database), and must not start a second run."""
        if not trigger_id:
            return True
        if await self.store.claim(f"start:{team_id}:{trigger_id}"):
            return True
        logger.warning("a request to start a checklist was replayed; ignored")
        return False

    async def start(
        self,
        kb: KnowledgeBase,
        client: AsyncWebClient,
        place: Place,
        checklist: Checklist,
        user: str,
        tell: Tell,
    ) -> Run | None:
        """Post the parent message and the first step in its thread."""
        run = await self.runs.start(
            place.team_id,
            place.channel_id,
            checklist.id,
            user,
            enterprise_id=place.enterprise_id,
            version=checklist.edition,
        )
        try:
            parent = await client.chat_postMessage(
                channel=place.channel_id, **self.views.parent_message(run, checklist, 0).as_kwargs()
            )
        except SLACK_FAILURES as error:
            await self.runs.apply(
                run.id, checklist, 0, Reply(ReplyKind.CANCEL), user
            )  # no run nobody can see
            await tell(self.views.notice(_why(error)))
            return None
        started = await self.runs.attach_thread(run.id, str(parent["ts"]))
        assert started is not None
        try:
            await self.post_step(kb, client, started, checklist, 0, answers={})  # a new run has none
        except SLACK_FAILURES as error:
            # The run and its parent message exist: the step can be shown again from /checklist status.
            logger.warning("checklist %s: could not post its first step: %s", run.id, _code(error))
            await _quietly(tell, self.views.notice(f"{STEP_NOT_POSTED} ({_why(error)})"))
        logger.info("checklist started: %s", checklist.id)
        return started

    async def post_step(
        self,
        kb: KnowledgeBase,
        client: AsyncWebClient,
        run: Run,
        checklist: Checklist,
        index: int,
        answers: Mapping[str, AnswerRecord] | None = None,
    ) -> None:
        """Post step `index` in the run's thread; `answers` (read here if not given) says what the step had, if
        someone went back to it."""
        if answers is None:
            answers = await self.runs.answers(run.id)
        message = self.views.step_message(kb, run, checklist, index, answers.get(checklist.steps[index].id))
        posted = await client.chat_postMessage(
            channel=run.channel_id, thread_ts=run.thread_ts, **message.as_kwargs()
        )
        if await self.runs.set_step_message(run.id, index, str(posted["ts"])):
            return
        # The run was cancelled (or moved) while this step was being posted: whoever did that could not
        # close a message that was not there yet, so its buttons are taken away here.
        now = await self.runs.get(run.id)
        if now is None or (now.is_open and now.step_index == index):
            return
        if now.status == Status.CANCELLED:
            why = f"<@{now.closed_by}> cancelled the checklist." if now.closed_by else STEP_CANCELLED
        else:
            why = STEP_MOVED_ON
        closed = self.views.closed_step(checklist, index, why)
        await client.chat_update(channel=run.channel_id, ts=str(posted["ts"]), **closed.as_kwargs())

    # --- replies: buttons and typed ----------------------------------------------------------------------------

    async def apply(
        self,
        kb: KnowledgeBase,
        client: AsyncWebClient,
        run_id: str,
        expected: int,
        reply: Reply,
        user: str,
        *,
        place: Place,
        step_ts: str | None,
        tell: Tell,
    ) -> None:
        """Record `reply` to step `expected` if the run is still there and `place` is its own, then show what
        changed in the thread."""
        found = await self._own(kb, run_id, place, tell)
        if found is None:
            return
        before, checklist = found
        if not 0 <= expected < len(checklist.steps) or before.step_index >= len(checklist.steps):
            await tell(self.views.notice(CHANGED))
            return
        clicked = step_ts
        notes_before = await self.runs.notes(run_id) if reply.note else []
        outcome = await self.runs.apply(run_id, checklist, expected, reply, user)
        if not outcome.applied or outcome.run is None:
            await tell(self.views.notice(outcome.problem or UNKNOWN_RUN))
            return
        run = outcome.run
        # The step message to update: the one clicked; for a cancel, the one showing when it went in (a step
        # posted while the cancel's confirmation was open is only known now); else the one read before.
        step_ts = clicked or (run.step_ts if reply.kind == ReplyKind.CANCEL else None) or before.step_ts
        if reply.kind in (ReplyKind.ANSWER, ReplyKind.SKIP):
            self.metrics.checklist_steps.inc()
            if run.status == Status.COMPLETE:
                self.metrics.checklist_completions.inc()
        # A cancel applies wherever the run is (a confirmation can be older than the step now showing): the
        # step message shown is the one the run was at.
        shown_index = run.step_index if reply.kind == ReplyKind.CANCEL else expected
        try:
            await self._show(kb, client, run, checklist, shown_index, reply, user, step_ts)
        except SLACK_FAILURES as error:
            self.metrics.slack_errors.labels(_code(error)).inc()
            # The answer is recorded; the thread catches up on the next reply or "Show current step".
            logger.warning("checklist %s: could not update Slack: %s", run.id, _code(error))
            await _quietly(
                tell,
                self.views.notice(
                    f"Your answer to step {expected + 1} is recorded, but I couldn't update the thread: {_why(error)}"
                ),
            )
        if reply.kind == ReplyKind.ANSWER and reply.note:  # "Partly, budget tight": answer and note in one
            step = checklist.steps[expected]
            previous = next(
                (n.text for n in notes_before if n.step_id == step.id and n.user_id == user), None
            )
            said = f"Noted on step {expected + 1}{_cut(reply.note)}"
            if previous is not None and reply.note[:NOTE_LIMIT] not in previous:
                said = f"Added to your note on step {expected + 1}{_cut(reply.note)}"
            said += f" Recorded *{describe_value(step, reply.value)}* as its answer"
            said += (
                ": that completed the checklist."
                if run.status == Status.COMPLETE
                else ": reply *back* to change it."
            )
            await _quietly(tell, self.views.noted(run, checklist, expected, run.step_index, said, None))

    async def typed(
        self,
        kb: KnowledgeBase,
        client: AsyncWebClient,
        run: Run,
        text: str,
        user: str,
        place: Place,
        tell: Tell,
    ) -> None:
        """A message typed in a run's thread: an answer, a move, a note, or chat (nudged once a step)."""
        checklist = kb.checklist(run.checklist_id)
        if checklist is None:
            await tell(self.views.notice(GONE))
            return
        if run.step_index >= len(checklist.steps):  # the content was reloaded with fewer steps
            await tell(self.views.notice(CHANGED))
            return
        step = checklist.steps[run.step_index]
        reply = parse_reply(step, text)
        if not run.is_open:
            # People go on talking in a finished checklist's thread: only a reply meant for it is answered.
            if reply.kind != ReplyKind.UNKNOWN and not reply.note:
                problem = check_transition(checklist, run.status, run.step_index, run.step_index, reply)
                if reply.kind == ReplyKind.NOTE:
                    problem = f"{problem or GONE} Notes can't be added or changed now."
                if run.status == Status.CANCELLED:
                    problem = (
                        f"{problem or GONE} Undo in the thread reopens it for a few minutes after a cancel."
                    )
                await tell(self.views.notice(problem or GONE))
            return
        if reply.kind == ReplyKind.NOTE:
            await self.note(kb, run, checklist, reply, user, tell)
            return
        if reply.kind == ReplyKind.CANCEL:  # typed: ask first, as the button's dialog does
            await tell(self.views.cancel_confirmation(run, run.step_index))
            return
        if reply.kind == ReplyKind.UNKNOWN:
            # Chat in a busy thread is not an answer: say what would work, once a person a step.
            if await self.store.claim(f"nudge:{run.id}:{run.step_index}:{user}"):
                options = ", ".join(f"*{o.label}*" for o in step.options)
                shown = escape(" ".join(text.split())[:80])
                moves_ = ", ".join(m for m in moves(checklist, run.step_index) if m != "an answer")
                await tell(
                    self.views.notice(
                        UNRECOGNISED.format(
                            text=shown, number=run.step_index + 1, options=options, moves=moves_
                        )
                    )
                )
            return
        await self.apply(
            kb, client, run.id, run.step_index, reply, user, place=place, step_ts=None, tell=tell
        )

    async def note(
        self, kb: KnowledgeBase, run: Run, checklist: Checklist, reply: Reply, user: str, tell: Tell
    ) -> None:
        """Add, replace or remove a person's note: on the step just answered, if that was moments ago."""
        if is_removal(reply):
            removed = await self.runs.remove_note(run.id, user)
            if removed is None:
                await tell(self.views.notice("You have no note on this checklist to remove."))
                return
            number = _index(checklist, removed) + 1
            await tell(self.views.notice(f"Removed your note from step {number}."))
            return
        if not reply.value:
            await tell(self.views.notice(EMPTY_NOTE))
            return
        answers = await self.runs.answers(run.id)
        mine = {n.step_id for n in await self.runs.notes(run.id) if n.user_id == user}
        index = note_step(
            checklist,
            run.step_index,
            answers,
            datetime.now(UTC),
            self.timing.note_grace,
            user=user,
            noted=mine,
        )
        change = await self.runs.note(run.id, checklist.steps[index].id, user, reply.value)
        if change.step_id is None:
            await tell(self.views.notice(NOT_OPEN))
            return
        said = f"Noted on step {index + 1}{_cut(reply.value)}"
        if change.previous is not None:
            said = f"Updated your note on step {index + 1}{_cut(reply.value)} It was: “{_short(change.previous)}”."
        moved = _index(checklist, change.moved_from) if change.moved_from else None
        if moved is not None:
            said += f" (moved from step {moved + 1}, where you had noted the same)."
        await tell(self.views.noted(run, checklist, index, run.step_index, said, moved))

    async def move_note(
        self,
        kb: KnowledgeBase,
        run_id: str,
        from_index: int,
        to_index: int,
        user: str,
        place: Place,
        tell: Tell,
    ) -> None:
        found = await self._own(kb, run_id, place, tell)
        if found is None:
            return
        run, checklist = found
        steps = checklist.steps
        if not run.is_open:
            await tell(self.views.notice(f"{NOT_OPEN} Notes can't be moved now."))
            return
        # only between steps the run has reached, and somewhere else
        if (
            not (0 <= from_index <= run.step_index and 0 <= to_index <= run.step_index)
            or from_index == to_index
        ):
            await tell(self.views.notice(STALE_NOTE_BUTTON))
            return
        change = await self.runs.move_note(run.id, user, steps[from_index].id, steps[to_index].id)
        if change.step_id is None:
            await tell(self.views.notice(f"You have no note on step {from_index + 1} to move."))
            return
        said = f"Moved your note to step {to_index + 1}."
        if change.previous is not None:
            said += f" It replaced your note there, which was: “{_short(change.previous)}”."
        await tell(self.views.notice(said))

    async def remove_note(
        self, kb: KnowledgeBase, run_id: str, index: int, user: str, place: Place, tell: Tell
    ) -> None:
        found = await self._own(kb, run_id, place, tell)
        if found is None:
            return
        run, checklist = found
        if not run.is_open:
            await tell(self.views.notice(f"{NOT_OPEN} Its notes are as the summary shows them."))
            return
        if not 0 <= index < len(checklist.steps):
            await tell(self.views.notice(CHANGED))
            return
        removed = await self.runs.remove_note(run.id, user, checklist.steps[index].id)
        said = (
            f"Removed your note from step {index + 1}."
            if removed
            else f"You have no note on step {index + 1} any more (moved or removed already)."
        )
        await tell(self.views.notice(said))

    async def undo_cancel(
        self,
        kb: KnowledgeBase,
        client: AsyncWebClient,
        run_ref: str,
        user: str,
        place: Place,
        message_ts: str | None,
        tell: Tell,
    ) -> None:
        """Reopen a run cancelled moments ago, at the step it was at. `run_ref` is the run id, with the run's
        version after that cancellation ("id|version") on buttons posted since versions were carried."""
        run_id, _, version = run_ref.partition("|")
        found = await self._own(kb, run_id, place, tell)
        if found is None:
            return
        cancelled, checklist = found
        if cancelled.step_index >= len(checklist.steps):  # the content was reloaded with fewer steps
            await tell(self.views.notice(CHANGED))
            return
        run = await self.runs.reopen(
            run_id, self.timing.undo_window, int(version) if version.isdigit() else None
        )
        if run is None:
            await tell(self.views.notice(UNDO_TOO_LATE))
            return
        try:
            if message_ts:
                await client.chat_update(
                    channel=run.channel_id, ts=message_ts, **self.views.undone_message(user).as_kwargs()
                )
            answers = await self.runs.answers(run.id)
            await self._update_parent(client, run, checklist, answers)
            await self.post_step(kb, client, run, checklist, run.step_index, answers)
        except SLACK_FAILURES as error:
            await tell(
                self.views.notice(
                    f"The checklist is open again, but I couldn't update the thread: {_why(error)}"
                )
            )

    # --- showing -----------------------------------------------------------------------------------------------

    async def _show(
        self,
        kb: KnowledgeBase,
        client: AsyncWebClient,
        run: Run,
        checklist: Checklist,
        expected: int,
        reply: Reply,
        user: str,
        step_ts: str | None,
    ) -> None:
        answers = await self.runs.answers(run.id)
        if step_ts:
            if reply.kind in (ReplyKind.ANSWER, ReplyKind.SKIP):
                value = reply.value if reply.kind == ReplyKind.ANSWER else "skipped"
                label = describe_value(checklist.steps[expected], value)
                shown = self.views.answered_step(checklist, expected, label, user)
            elif reply.kind == ReplyKind.BACK:
                shown = self.views.closed_step(
                    checklist, expected, f"<@{user}> went back to step {expected}."
                )
            else:
                shown = self.views.closed_step(checklist, expected, f"<@{user}> cancelled the checklist.")
            await client.chat_update(channel=run.channel_id, ts=step_ts, **shown.as_kwargs())
        summary = (
            summarise(kb, checklist, answers, await self.runs.notes(run.id))
            if run.status == Status.COMPLETE
            else None
        )
        await self._update_parent(client, run, checklist, answers, summary)
        if run.status == Status.OPEN:
            await self.post_step(kb, client, run, checklist, run.step_index, answers)
        elif summary is not None:
            await client.chat_postMessage(
                channel=run.channel_id,
                thread_ts=run.thread_ts,
                **self.views.summary_message(summary, run.id).as_kwargs(),
            )
            logger.info("checklist completed: %s", checklist.id)
        elif run.status == Status.CANCELLED:
            minutes = int(self.timing.undo_window.total_seconds() // 60)
            await client.chat_postMessage(
                channel=run.channel_id,
                thread_ts=run.thread_ts,
                **self.views.cancelled_message(run, user, len(answers), minutes).as_kwargs(),
            )

    async def _update_parent(
        self,
        client: AsyncWebClient,
        run: Run,
        checklist: Checklist,
        answers: Mapping[str, AnswerRecord],
        summary: Summary | None = None,
    ) -> None:
        if not run.thread_ts:
            return
        parent = self.views.parent_message(
            run,
            checklist,
            len(answers),
            summary.percent if summary else None,
            chosen_label(checklist, answers),
        )
        await client.chat_update(channel=run.channel_id, ts=run.thread_ts, **parent.as_kwargs())

    async def resume(
        self, kb: KnowledgeBase, client: AsyncWebClient, run_id: str, place: Place, tell: Tell
    ) -> None:
        """Show current step: point to the step already in the thread, or post it if it never got there."""
        found = await self._own(kb, run_id, place, tell)
        if found is None:
            return
        run, checklist = found
        if not run.is_open or run.step_index >= len(checklist.steps):
            await tell(self.views.notice(NOT_OPEN))
            return
        try:
            if run.step_ts:
                link = await client.chat_getPermalink(channel=run.channel_id, message_ts=run.step_ts)
                permalink = link.get("permalink")
                if permalink:
                    await tell(
                        self.views.current_step_link(run.step_index, len(checklist.steps), str(permalink))
                    )
                    return
            await self.post_step(kb, client, run, checklist, run.step_index)
        except SLACK_FAILURES as error:
            await tell(self.views.notice(_why(error)))

    async def status(self, kb: KnowledgeBase, client: AsyncWebClient, place: Place) -> Rendered:
        """The open runs in a channel, with what each is about, its age and who answered last."""
        await self.expire(kb, _only(client), team_id=place.team_id)
        listed = []
        for run in await self.runs.open_runs(place.team_id, place.channel_id):
            checklist = kb.checklist(run.checklist_id)
            if checklist is None:
                continue
            link = None
            if run.thread_ts:
                try:
                    found = await client.chat_getPermalink(channel=run.channel_id, message_ts=run.thread_ts)
                    link = found.get("permalink")
                except SLACK_FAILURES:
                    link = None
            answers = await self.runs.answers(run.id)
            last = max(answers.values(), key=lambda a: a.answered_at, default=None)
            listed.append(OpenRun(run, checklist, len(answers), link, chosen_label(checklist, answers), last))
        return self.views.status_list(listed)

    async def for_person(
        self, kb: KnowledgeBase, client: AsyncWebClient, team_id: str, user_id: str, limit: int = 5
    ) -> PersonsRuns:
        """The runs a person started or answered in this workspace: open ones, each with a link to its current
        step (its thread if the step was never posted), and the latest finished ones with their scores."""
        listed: list[OpenRun] = []
        for run in await self.runs.runs_of(team_id, user_id, status=Status.OPEN.value, limit=limit):
            checklist = kb.checklist(run.checklist_id)
            if checklist is None:
                continue
            answers = await self.runs.answers(run.id)
            last = max(answers.values(), key=lambda a: a.answered_at, default=None)
            listed.append(OpenRun(run, checklist, len(answers), None, chosen_label(checklist, answers), last))

        async def link(item: OpenRun) -> OpenRun:
            ts = item.run.step_ts or item.run.thread_ts
            if not ts:
                return item
            try:
                found = await client.chat_getPermalink(channel=item.run.channel_id, message_ts=ts)
            except SLACK_FAILURES:
                return item
            return dataclasses.replace(item, link=found.get("permalink"))

        linked = await asyncio.gather(*(link(item) for item in listed))
        done: list[tuple[Run, Summary]] = []
        for run in await self.runs.runs_of(team_id, user_id, status=Status.COMPLETE.value, limit=limit):
            checklist = kb.checklist(run.checklist_id)
            if checklist is not None:
                done.append((run, summarise(kb, checklist, await self.runs.answers(run.id))))
        return PersonsRuns(tuple(linked), tuple(done))

    # --- the sweeper: reminders and expiry -----------------------------------------------------------------------

    async def remind(self, kb: KnowledgeBase, client_for: ClientFor, *, team_id: str | None = None) -> int:
        """One gentle reminder in the thread of each run left waiting `remind_days` (before it expires)."""
        if self.timing.remind_days >= self.timing.expiry_days:
            return 0
        reminded = 0
        idle, expiry = timedelta(days=self.timing.remind_days), timedelta(days=self.timing.expiry_days)
        for run in await self.runs.due_reminders(idle, expiry, team_id):
            checklist = kb.checklist(run.checklist_id)
            client = await client_for(run.team_id)
            if checklist is None or not run.thread_ts or client is None:
                continue
            left = self.timing.expiry_days - (datetime.now(UTC) - run.updated_at).total_seconds() / 86400
            try:
                await client.chat_postMessage(
                    channel=run.channel_id,
                    thread_ts=run.thread_ts,
                    **self.views.reminder(run, checklist, max(left, 0.0)).as_kwargs(),
                )
                reminded += 1
            except SLACK_FAILURES as error:
                logger.warning("could not post a checklist reminder: %s", _code(error))
        return reminded

    async def expire(self, kb: KnowledgeBase, client_for: ClientFor, *, team_id: str | None = None) -> int:
        """Close runs left alone for `expiry_days`, with a note in each thread, posted with each workspace's own
        client. Only `team_id`'s runs when given. Returns how many were closed."""
        closed = await self.runs.expire(timedelta(days=self.timing.expiry_days), team_id)
        for run in closed:
            checklist = kb.checklist(run.checklist_id)
            client = await client_for(run.team_id)
            if checklist is None or not run.thread_ts or client is None:
                continue
            answers = await self.runs.answers(run.id)
            try:
                await client.chat_postMessage(
                    channel=run.channel_id,
                    thread_ts=run.thread_ts,
                    text="This checklist was closed because nobody answered for a while. "
                    "The answers so far are kept; start again with /checklist.",
                )
                await self._update_parent(client, run, checklist, answers)
            except SLACK_FAILURES as error:
                logger.warning("could not note the expiry of a checklist: %s", _code(error))
        return len(closed)

    # --- export ------------------------------------------------------------------------------------------------

    async def export(
        self,
        kb: KnowledgeBase,
        client: AsyncWebClient,
        run_id: str,
        user: str,
        place: Place,
        message_ts: str,
        tell: Tell,
    ) -> None:
        """Post the run's results as a Markdown file in its thread, once."""
        found = await self._own(kb, run_id, place, tell)
        if found is None:
            return
        run, _checklist = found
        claim = f"export:{run.id}:{message_ts}:{user}"
        if not await self.store.claim(claim):  # a double click, or a second press, exports once
            await tell(self.views.notice(ALREADY_EXPORTED.format(name=export_name(run))))
            return
        document = await self.markdown(kb, run.id, client=client)
        if document is None:  # removed between the two reads
            await self.store.release(claim)
            await tell(self.views.notice(UNKNOWN_RUN))
            return
        try:
            await client.files_upload_v2(
                channel=run.channel_id,
                thread_ts=run.thread_ts,
                content=document,
                filename=export_name(run),
                title=f"Checklist results ({run.checklist_id})",
            )
        except SLACK_FAILURES as error:
            await self.store.release(claim)  # it did not happen: the next click may try again
            await tell(self.views.notice(_why(error)))

    async def markdown(
        self, kb: KnowledgeBase, run_ref: str, *, client: AsyncWebClient | None = None
    ) -> str | None:
        """A run's results as Markdown, with when, by whom, where and which version; `run_ref` is its id or the
        id's first 8 or more characters. With a Slack `client`, people are named as they appear in Slack and
        the thread is linked."""
        run = await self.runs.find(run_ref)
        checklist = kb.checklist(run.checklist_id) if run else None
        if run is None or checklist is None:
            return None
        answers = await self.runs.answers(run.id)
        summary = summarise(kb, checklist, answers, await self.runs.notes(run.id))
        names: dict[str, str] = {}
        link = None
        if client is not None:
            names = await people_names(client, {a.user_id for a in answers.values()} | {run.started_by})
            if run.thread_ts:
                try:
                    link = (
                        await client.chat_getPermalink(channel=run.channel_id, message_ts=run.thread_ts)
                    ).get("permalink")
                except SLACK_FAILURES:
                    link = None
        facts = RunFacts(
            run_id=run.id,
            status=run.status,
            started_by=names.get(run.started_by, run.started_by),
            started_at=run.created_at,
            last_change=run.updated_at,
            channel=run.channel_id,
            thread_link=str(link) if link else None,
            version=run.checklist_version or "not recorded",
            current_version=checklist.edition,
        )
        suffix = "" if run.status == Status.COMPLETE else f" ({run.status})"
        return to_markdown(summary, title_suffix=suffix, names=names, facts=facts)

    # --- helpers -----------------------------------------------------------------------------------------------

    async def _own(
        self, kb: KnowledgeBase, run_id: str, place: Place, tell: Tell
    ) -> tuple[Run, Checklist] | None:
        """The run and its checklist, if the run exists and `place` is its own channel and workspace."""
        run = await self.runs.get(run_id)
        if run is None:
            await tell(self.views.notice(UNKNOWN_RUN))
            return None
        if not run.belongs_to(place):
            logger.warning("refused a checklist request from outside the run's channel or workspace")
            await tell(self.views.notice(NOT_HERE))
            return None
        checklist = kb.checklist(run.checklist_id)
        if checklist is None:
            await tell(self.views.notice(GONE))
            return None
        return run, checklist


def export_name(run: Run) -> str:
    return f"checklist-{run.checklist_id}-{run.id[:8]}.md"


async def people_names(client: AsyncWebClient, user_ids: Iterable[str]) -> dict[str, str]:
    """The names people go by in Slack (display name, else full name), by user id. An id Slack will not name
    (no users:read scope on an older install, a deleted user, Slack not answering within NAMES_WITHIN seconds)
    is left out, so it is shown as it is: the export never fails for want of a name."""

    async def name_of(user_id: str) -> tuple[str, str | None]:
        try:
            async with asyncio.timeout(NAMES_WITHIN):
                user = (await client.users_info(user=user_id)).get("user") or {}
        except SLACK_FAILURES as error:
            logger.info("no name for a user in an export: %s", _code(error))
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


def _index(checklist: Checklist, step_id: str) -> int:
    return next((i for i, s in enumerate(checklist.steps) if s.id == step_id), 0)


def _short(text: str) -> str:
    """A note as quoted back to the person who wrote it: escaped, and cut to a line."""
    flat = " ".join(text.split())
    return escape(flat if len(flat) <= 120 else flat[:119] + "…")


def _cut(note: str) -> str:
    return f". Only its first {NOTE_LIMIT:,} characters are kept." if len(note) > NOTE_LIMIT else "."


def _code(error: BaseException) -> str:
    return error_code(error) if isinstance(error, SlackApiError) else type(error).__name__


def _why(error: BaseException) -> str:
    """What to tell a person about a failed Slack call, in words."""
    return explain(error) if isinstance(error, SlackApiError) else UNREACHABLE


def _only(client: AsyncWebClient) -> ClientFor:
    async def this_workspace(_team: str) -> AsyncWebClient:
        return client

    return this_workspace


async def _quietly(tell: Tell, message: Rendered) -> None:
    """Tell someone, when Slack lets us: a failure here is already logged, and must not lose a saved answer."""
    try:
        await tell(message)
    except SLACK_FAILURES as error:
        logger.warning("could not tell someone privately: %s", _code(error))
