"""Checklist runs in the database. Every change is one transaction guarded by the step it expects.

The guard is the UPDATE's own WHERE clause (`step_index = expected AND status = 'open'`), so of two
identical clicks, Slack's retry of one, or two app processes racing, exactly one moves the run on; the
others change nothing and are told why. The UPDATE comes first in each transaction, so SQLite takes its
write lock at once instead of failing to upgrade a read.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Insert, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.elements import ColumnElement

from knowledge.checklist_engine import (
    NOTE_LIMIT,
    SKIPPED,
    AnswerRecord,
    NoteRecord,
    Reply,
    ReplyKind,
    Status,
    check_transition,
)
from knowledge.model import Checklist
from services.db import aware, checklist_answers, checklist_notes, checklist_runs
from services.storage import now


@dataclass(frozen=True)
class Run:
    id: str
    team_id: str
    enterprise_id: str | None
    channel_id: str
    thread_ts: str | None
    step_ts: str | None
    checklist_id: str
    started_by: str
    status: str
    step_index: int
    created_at: datetime
    updated_at: datetime
    closed_by: str | None
    checklist_version: str | None
    reminded_at: datetime | None
    version: int = 0  # bumped by every change (an Undo button carries the one it undoes)

    @property
    def is_open(self) -> bool:
        return self.status == Status.OPEN

    def belongs_to(self, place: Place) -> bool:
        """Whether a request from `place` may touch this run: the same channel, in the same workspace (in an
        Enterprise Grid, the same organisation: its channel ids are unique across its workspaces, and a shared
        channel's members click from their own)."""
        if self.channel_id != place.channel_id:
            return False
        if self.enterprise_id:
            return self.enterprise_id == place.enterprise_id
        return self.team_id == place.team_id


@dataclass(frozen=True)
class NoteChange:
    """What setting a note did: the step it is on now (None: the run was not open), whether it replaced the
    person's earlier note there, and the step it was moved from (the same words noted there before)."""

    step_id: str | None
    replaced: bool = False
    moved_from: str | None = None
    previous: str | None = None  # the words it replaced, to show the person


@dataclass(frozen=True)
class Place:
    """Where a request came from, as Slack's payload says: workspace, Grid organisation (if any), channel."""

    team_id: str
    enterprise_id: str | None
    channel_id: str


@dataclass(frozen=True)
class Outcome:
    """The result of applying a reply: the run as it now is, and a problem if nothing changed."""

    run: Run | None
    problem: str | None = None

    @property
    def applied(self) -> bool:
        return self.problem is None


UNKNOWN_RUN = "I can't find that checklist any more. Start a new one with /checklist."


def _run(row: object) -> Run:
    mapping = row._mapping  # type: ignore[attr-defined]
    found = {k: mapping[k] for k in Run.__dataclass_fields__}
    for key in ("created_at", "updated_at", "reminded_at"):  # every datetime handed out is aware (UTC)
        if found[key] is not None:
            found[key] = aware(found[key])
    return Run(**found)


KNOWN_THREADS = 10_000


class ChecklistStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        # Checklist threads this process has seen, so that while the database is away a reply in one of them
        # can be told it was not saved, and chat in any other thread is left alone. Bounded; oldest dropped.
        self._threads: OrderedDict[tuple[str, str, str], None] = OrderedDict()

    def is_known_thread(self, team_id: str, channel_id: str, thread_ts: str) -> bool:
        return (team_id, channel_id, thread_ts) in self._threads

    def _remember_thread(self, team_id: str, channel_id: str, thread_ts: str) -> None:
        self._threads[(team_id, channel_id, thread_ts)] = None
        self._threads.move_to_end((team_id, channel_id, thread_ts))
        while len(self._threads) > KNOWN_THREADS:
            self._threads.popitem(last=False)

    async def start(
        self,
        team_id: str,
        channel_id: str,
        checklist_id: str,
        user_id: str,
        *,
        enterprise_id: str | None = None,
        version: str | None = None,
    ) -> Run:
        stamp = now()
        run_id = str(uuid.uuid4())
        values = dict(
            id=run_id,
            team_id=team_id,
            enterprise_id=enterprise_id or None,
            channel_id=channel_id,
            thread_ts=None,
            step_ts=None,
            checklist_id=checklist_id,
            started_by=user_id,
            status=Status.OPEN.value,
            step_index=0,
            version=0,
            created_at=stamp,
            updated_at=stamp,
            closed_by=None,
            checklist_version=version,
            reminded_at=None,
        )
        async with self.engine.begin() as conn:
            row = (
                await conn.execute(checklist_runs.insert().values(**values).returning(checklist_runs))
            ).one()
        return _run(row)

    async def attach_thread(self, run_id: str, thread_ts: str) -> Run | None:
        """Record the run's thread (its parent message); returns the run as it now is."""
        async with self.engine.begin() as conn:
            row = (
                await conn.execute(
                    update(checklist_runs)
                    .where(checklist_runs.c.id == run_id)
                    .values(thread_ts=thread_ts)
                    .returning(checklist_runs)
                )
            ).first()
        if row is None:
            return None
        run = _run(row)
        self._remember_thread(run.team_id, run.channel_id, thread_ts)
        return run

    async def set_step_message(self, run_id: str, step_index: int, ts: str) -> bool:
        """Remember the message showing step `step_index`; False (nothing remembered) if the run has moved on or
        closed meanwhile (a cancel that came in while the step was being posted)."""
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(checklist_runs)
                .where(
                    checklist_runs.c.id == run_id,
                    checklist_runs.c.step_index == step_index,
                    checklist_runs.c.status == Status.OPEN.value,
                )
                .values(step_ts=ts)
            )
        return bool(result.rowcount)

    async def get(self, run_id: str) -> Run | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(checklist_runs).where(checklist_runs.c.id == run_id))).first()
        return _run(row) if row is not None else None

    async def find(self, reference: str) -> Run | None:
        """A run by its id, or by a prefix of 8 or more characters if only one run has it."""
        reference = reference.strip().lower()
        if len(reference) >= 36 or len(reference) < 8 or not all(c in "0123456789abcdef-" for c in reference):
            return await self.get(reference)
        async with self.engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(checklist_runs).where(checklist_runs.c.id.startswith(reference)).limit(2)
                )
            ).all()
        return _run(rows[0]) if len(rows) == 1 else None

    async def by_thread(self, team_id: str, channel_id: str, thread_ts: str) -> Run | None:
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(checklist_runs).where(
                        checklist_runs.c.team_id == team_id,
                        checklist_runs.c.channel_id == channel_id,
                        checklist_runs.c.thread_ts == thread_ts,
                    )
                )
            ).first()
        if row is None:
            return None
        self._remember_thread(team_id, channel_id, thread_ts)
        return _run(row)

    async def open_runs(self, team_id: str, channel_id: str) -> list[Run]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(checklist_runs)
                .where(
                    checklist_runs.c.team_id == team_id,
                    checklist_runs.c.channel_id == channel_id,
                    checklist_runs.c.status == Status.OPEN.value,
                )
                .order_by(checklist_runs.c.created_at)
            )
            return [_run(r) for r in rows]

    async def runs_of(self, team_id: str, user_id: str, *, status: str, limit: int = 5) -> list[Run]:
        """A person's runs in a workspace with this status, the most recently changed first: those they started
        or answered a step of."""
        answered = select(checklist_answers.c.run_id).where(checklist_answers.c.user_id == user_id)
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(checklist_runs)
                .where(
                    checklist_runs.c.team_id == team_id,
                    checklist_runs.c.status == status,
                    (checklist_runs.c.started_by == user_id) | checklist_runs.c.id.in_(answered),
                )
                .order_by(checklist_runs.c.updated_at.desc())
                .limit(limit)
            )
            return [_run(r) for r in rows]

    async def answers(self, run_id: str) -> dict[str, AnswerRecord]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(checklist_answers)
                .where(checklist_answers.c.run_id == run_id)
                .order_by(checklist_answers.c.position)
            )
            return {
                r.step_id: AnswerRecord(r.step_id, r.value, r.user_id, aware(r.answered_at)) for r in rows
            }

    async def notes(self, run_id: str) -> list[NoteRecord]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(checklist_notes)
                .where(checklist_notes.c.run_id == run_id)
                .order_by(checklist_notes.c.id)
            )
            return [NoteRecord(r.step_id, r.user_id, r.text, aware(r.at)) for r in rows]

    async def apply(
        self, run_id: str, checklist: Checklist, expected: int, reply: Reply, user_id: str
    ) -> Outcome:
        """Apply `reply`, meant for step `expected`, if the run is still there; else say why not."""
        total = len(checklist.steps)
        if not 0 <= expected < total:
            return await self._refused(run_id, checklist, expected, reply)
        step = checklist.steps[expected]
        static_problem = check_transition(checklist, Status.OPEN, expected, expected, reply)
        if static_problem is not None and reply.kind != ReplyKind.CANCEL:
            return Outcome(await self.get(run_id), static_problem)
        stamp = now()
        guard = (
            checklist_runs.c.id == run_id,
            checklist_runs.c.status == Status.OPEN.value,
        )
        async with self.engine.begin() as conn:
            if reply.kind in (ReplyKind.ANSWER, ReplyKind.SKIP):
                finished = expected + 1 >= total
                moved = await conn.execute(
                    update(checklist_runs)
                    .where(*guard, checklist_runs.c.step_index == expected)
                    .values(
                        step_index=expected + 1 if not finished else expected,
                        status=Status.COMPLETE.value if finished else Status.OPEN.value,
                        version=checklist_runs.c.version + 1,
                        updated_at=stamp,
                        step_ts=None,
                        reminded_at=None,  # activity: a later wait gets its own reminder
                    )
                )
                if moved.rowcount == 1:
                    await conn.execute(
                        delete(checklist_answers).where(
                            checklist_answers.c.run_id == run_id, checklist_answers.c.step_id == step.id
                        )
                    )
                    await conn.execute(
                        checklist_answers.insert().values(
                            run_id=run_id,
                            step_id=step.id,
                            position=expected,
                            value=reply.value if reply.kind == ReplyKind.ANSWER else SKIPPED,
                            user_id=user_id,
                            answered_at=stamp,
                        )
                    )
                    if reply.note:  # "Partly, budget tight": the note goes in with the answer, as any note
                        await _set_note(conn, run_id, step.id, user_id, reply.note, stamp, add=True)
            elif reply.kind == ReplyKind.BACK:
                moved = await conn.execute(
                    update(checklist_runs)
                    .where(*guard, checklist_runs.c.step_index == expected)
                    .values(
                        step_index=expected - 1,
                        version=checklist_runs.c.version + 1,
                        updated_at=stamp,
                        step_ts=None,
                        reminded_at=None,  # activity: a later wait gets its own reminder
                    )
                )
            elif reply.kind == ReplyKind.CANCEL:
                moved = await conn.execute(
                    update(checklist_runs)
                    .where(*guard)
                    .values(
                        status=Status.CANCELLED.value,
                        closed_by=user_id,
                        version=checklist_runs.c.version + 1,
                        updated_at=stamp,
                    )
                )
            elif reply.kind == ReplyKind.NOTE:
                moved = await conn.execute(
                    update(checklist_runs)
                    .where(*guard, checklist_runs.c.step_index == expected)
                    .values(updated_at=stamp)
                )
                if moved.rowcount == 1:
                    await conn.execute(_note_row(run_id, step.id, user_id, reply.value, stamp))
            else:
                return Outcome(await self.get(run_id), "I didn't understand that reply.")
        if moved.rowcount != 1:
            return await self._refused(run_id, checklist, expected, reply)
        return Outcome(await self.get(run_id), None)

    async def note(self, run_id: str, step_id: str, user_id: str, text: str) -> NoteChange:
        """Set `user_id`'s note on a step of an open run (see _set_note). Returns what changed; a step_id of
        None if the run is not open."""
        stamp = now()
        async with self.engine.begin() as conn:
            touched = await conn.execute(
                update(checklist_runs)
                .where(checklist_runs.c.id == run_id, checklist_runs.c.status == Status.OPEN.value)
                .values(updated_at=stamp, reminded_at=None)
            )
            if touched.rowcount != 1:
                return NoteChange(None)
            return await _set_note(conn, run_id, step_id, user_id, text, stamp)

    async def remove_note(self, run_id: str, user_id: str, step_id: str | None = None) -> str | None:
        """Remove `user_id`'s note on `step_id` (or their latest note in the run); returns the step it was on."""
        query = select(checklist_notes.c.id, checklist_notes.c.step_id).where(
            checklist_notes.c.run_id == run_id, checklist_notes.c.user_id == user_id
        )
        if step_id is not None:
            query = query.where(checklist_notes.c.step_id == step_id)
        async with self.engine.begin() as conn:
            row = (await conn.execute(query.order_by(checklist_notes.c.id.desc()).limit(1))).first()
            if row is None:
                return None
            await conn.execute(delete(checklist_notes).where(checklist_notes.c.id == row.id))
        return str(row.step_id)

    async def move_note(self, run_id: str, user_id: str, from_step: str, to_step: str) -> NoteChange:
        """Move `user_id`'s note from one step to another, as `note` would set it there (replacing their note
        there, which is reported). A step_id of None: they had no note to move."""
        mine = (checklist_notes.c.run_id == run_id, checklist_notes.c.user_id == user_id)
        async with self.engine.begin() as conn:
            row = (
                await conn.execute(
                    select(checklist_notes.c.id, checklist_notes.c.text).where(
                        *mine, checklist_notes.c.step_id == from_step
                    )
                )
            ).first()
            if row is None:
                return NoteChange(None)
            previous = (
                await conn.execute(
                    select(checklist_notes.c.text).where(*mine, checklist_notes.c.step_id == to_step)
                )
            ).scalar_one_or_none()
            await conn.execute(delete(checklist_notes).where(*mine, checklist_notes.c.step_id == to_step))
            await conn.execute(
                update(checklist_notes).where(checklist_notes.c.id == row.id).values(step_id=to_step)
            )
        return NoteChange(to_step, replaced=previous is not None, previous=previous)

    async def reopen(self, run_id: str, within: timedelta, version: int | None = None) -> Run | None:
        """Undo a cancellation made less than `within` ago: the run is open again at the step it was at.
        `version`: the run's version just after that cancellation (from the Undo button), so an old Undo never
        undoes a later one. None if it was not cancelled, too long ago, or cancelled again since."""
        stamp = now()
        guard = [
            checklist_runs.c.id == run_id,
            checklist_runs.c.status == Status.CANCELLED.value,
            checklist_runs.c.updated_at > stamp - within,
        ]
        if version is not None:
            guard.append(checklist_runs.c.version == version)
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(checklist_runs)
                .where(*guard)
                .values(
                    status=Status.OPEN.value,
                    closed_by=None,
                    version=checklist_runs.c.version + 1,
                    updated_at=stamp,
                    step_ts=None,
                    reminded_at=None,
                )
            )
        return await self.get(run_id) if result.rowcount == 1 else None

    async def due_reminders(
        self, idle: timedelta, expiry: timedelta, team_id: str | None = None
    ) -> list[Run]:
        """Open runs untouched for `idle` (but not yet for `expiry`: those are closed instead) that have not had
        their reminder since their last activity; each is marked as reminded here, once, by whichever process
        gets it first, and only if it is still open and idle then."""
        stamp = now()
        waiting = (
            checklist_runs.c.status == Status.OPEN.value,
            checklist_runs.c.updated_at < stamp - idle,
            checklist_runs.c.updated_at >= stamp - expiry,
            checklist_runs.c.reminded_at.is_(None),
        )
        # updated_at stays: a reminder is not activity
        return await self._claim_each(waiting, team_id, reminded_at=stamp)

    async def _claim_each(
        self, conditions: tuple[ColumnElement[bool], ...], team_id: str | None, **values: object
    ) -> list[Run]:
        """Set `values` on each run that meets `conditions` (in one workspace, or all), one guarded UPDATE a
        run, so that of several processes sweeping at once exactly one changes each; returns the runs this call
        changed, as they are now."""
        query = select(checklist_runs.c.id).where(*conditions)
        if team_id is not None:
            query = query.where(checklist_runs.c.team_id == team_id)
        async with self.engine.connect() as conn:
            candidates = [r.id for r in await conn.execute(query)]
        changed: list[Run] = []
        for run_id in candidates:
            async with self.engine.begin() as conn:
                row = (
                    await conn.execute(
                        update(checklist_runs)
                        .where(checklist_runs.c.id == run_id, *conditions)
                        .values(**values)
                        .returning(checklist_runs)
                    )
                ).first()
            if row is not None:
                changed.append(_run(row))
        return changed

    async def _refused(self, run_id: str, checklist: Checklist, expected: int, reply: Reply) -> Outcome:
        run = await self.get(run_id)
        if run is None:
            return Outcome(None, UNKNOWN_RUN)
        problem = check_transition(checklist, run.status, run.step_index, expected, reply)
        return Outcome(run, problem or "That step has already been answered.")

    async def expire(self, older_than: timedelta, team_id: str | None = None) -> list[Run]:
        """Close runs left untouched for `older_than` (in one workspace, or all); returns the runs closed now
        (by this call alone)."""
        stamp = now()
        idle = (
            checklist_runs.c.status == Status.OPEN.value,
            checklist_runs.c.updated_at < stamp - older_than,
        )
        return await self._claim_each(
            idle, team_id, status=Status.EXPIRED.value, version=checklist_runs.c.version + 1, updated_at=stamp
        )


RECENT_NOTE = timedelta(minutes=10)


async def _set_note(
    conn: AsyncConnection,
    run_id: str,
    step_id: str,
    user_id: str,
    text: str,
    stamp: datetime,
    *,
    add: bool = False,
) -> NoteChange:
    """One note a person a step: a second `note:` replaces the first (that is how a note is edited); with `add`
    (a note given with an answer, "No, no legal review yet") it is added to the first, so nothing typed is
    lost. The same words noted by the same person on another step in the last few minutes move here (it went
    on the wrong step, and they noted it again on the right one); an older note with the same words stays."""
    mine = (checklist_notes.c.run_id == run_id, checklist_notes.c.user_id == user_id)
    rows = (await conn.execute(select(checklist_notes).where(*mine))).all()
    previous = next((r.text for r in rows if r.step_id == step_id), None)
    kept = text[:NOTE_LIMIT]  # what the person typed, to find the same words on another step
    if add and previous is not None and kept not in previous:
        text, previous = f"{previous} / {text}", None  # kept whole: nothing was replaced
    moved_from = next(
        (
            r.step_id
            for r in rows
            if r.step_id != step_id and r.text == kept and stamp - aware(r.at) < RECENT_NOTE
        ),
        None,
    )
    gone = checklist_notes.c.step_id == step_id
    if moved_from:
        gone = gone | (checklist_notes.c.step_id == moved_from)
    await conn.execute(delete(checklist_notes).where(*mine, gone))
    await conn.execute(_note_row(run_id, step_id, user_id, text, stamp))
    return NoteChange(step_id, replaced=previous is not None, moved_from=moved_from, previous=previous)


def _note_row(run_id: str, step_id: str, user_id: str, text: str, at: datetime) -> Insert:
    """A note as stored: its first NOTE_LIMIT characters (the person is told when it is cut)."""
    return checklist_notes.insert().values(
        run_id=run_id, step_id=step_id, user_id=user_id, text=text[:NOTE_LIMIT], at=at
    )
