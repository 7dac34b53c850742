"""The checklist store on SQLite and PostgreSQL: guarded transitions, concurrency, expiry."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import update

from knowledge.base import KnowledgeBase
from knowledge.checklist_engine import Reply, ReplyKind, Status
from knowledge.model import Checklist
from services.checklist_store import ChecklistStore
from services.db import checklist_runs, create_schema, make_engine
from services.storage import now

YES = Reply(ReplyKind.ANSWER, "yes")


@pytest.fixture
async def runs(database_url: str) -> AsyncIterator[ChecklistStore]:
    engine = make_engine(database_url)
    await create_schema(engine)
    yield ChecklistStore(engine)
    await engine.dispose()


@pytest.fixture
def principles(kb: KnowledgeBase) -> Checklist:
    checklist = kb.checklist("principles")
    assert checklist is not None
    return checklist


async def test_answers_move_the_run_on_and_the_last_completes_it(
    runs: ChecklistStore, principles: Checklist
) -> None:
    run = await runs.start("T1", "C1", "principles", "U1")
    for index in range(len(principles.steps)):
        outcome = await runs.apply(run.id, principles, index, YES, f"U{index}")
        assert outcome.applied, outcome.problem
    done = await runs.get(run.id)
    assert done is not None and done.status == Status.COMPLETE
    answers = await runs.answers(run.id)
    assert len(answers) == 10 and answers["p3"].user_id == "U2"
    assert (await runs.apply(run.id, principles, 9, YES, "U1")).problem == (
        "This checklist is already complete: see the summary in the thread."
    )


async def test_concurrent_identical_answers_record_exactly_one(
    runs: ChecklistStore, principles: Checklist
) -> None:
    run = await runs.start("T1", "C1", "principles", "U1")
    outcomes = await asyncio.gather(*(runs.apply(run.id, principles, 0, YES, f"U{i}") for i in range(10)))
    assert sum(o.applied for o in outcomes) == 1
    assert {o.problem for o in outcomes if not o.applied} == {
        "That step has already been answered. Answer the latest step in the thread."
    }
    after = await runs.get(run.id)
    assert after is not None and after.step_index == 1
    assert list(await runs.answers(run.id)) == ["p1"]


async def test_back_skip_note_and_cancel(runs: ChecklistStore, principles: Checklist) -> None:
    run = await runs.start("T1", "C1", "principles", "U1")
    assert (await runs.apply(run.id, principles, 0, Reply(ReplyKind.BACK), "U1")).problem == (
        "This is the first step, so there is nothing to go back to."
    )
    assert (await runs.apply(run.id, principles, 0, Reply(ReplyKind.SKIP), "U1")).applied
    assert (
        await runs.apply(run.id, principles, 1, Reply(ReplyKind.NOTE, "our DCS sponsors it"), "U2")
    ).applied
    assert (await runs.apply(run.id, principles, 1, Reply(ReplyKind.BACK), "U1")).applied
    again = await runs.apply(run.id, principles, 0, Reply(ReplyKind.ANSWER, "partly"), "U3")
    assert again.applied
    answers = await runs.answers(run.id)
    assert (
        answers["p1"].value == "partly" and answers["p1"].user_id == "U3"
    )  # the re-answer replaces the skip
    [note] = await runs.notes(run.id)
    assert (note.step_id, note.user_id, note.text) == ("p2", "U2", "our DCS sponsors it")
    assert (await runs.apply(run.id, principles, 1, Reply(ReplyKind.ANSWER, "maybe"), "U1")).problem == (
        "That is not one of this step's answers."
    )
    cancelled = await runs.apply(run.id, principles, 1, Reply(ReplyKind.CANCEL), "U4")
    assert (
        cancelled.run is not None
        and cancelled.run.status == Status.CANCELLED
        and cancelled.run.closed_by == "U4"
    )
    assert (await runs.apply(run.id, principles, 1, YES, "U1")).problem == (
        "This checklist was cancelled. Start a new one with /checklist."
    )


async def test_unknown_runs_and_out_of_range_steps(runs: ChecklistStore, principles: Checklist) -> None:
    assert (await runs.apply("no-such-run", principles, 0, YES, "U1")).problem is not None
    run = await runs.start("T1", "C1", "principles", "U1")
    assert (await runs.apply(run.id, principles, 57, YES, "U1")).problem is not None
    assert (await runs.get(run.id)).step_index == 0  # type: ignore[union-attr]


async def test_runs_are_kept_apart_per_workspace_and_channel(runs: ChecklistStore) -> None:
    a = await runs.start("T1", "C1", "principles", "U1")
    await runs.attach_thread(a.id, "111.000001")
    await runs.start("T2", "C1", "principles", "U1")
    assert [r.id for r in await runs.open_runs("T1", "C1")] == [a.id]
    assert await runs.by_thread("T2", "C1", "111.000001") is None
    found = await runs.by_thread("T1", "C1", "111.000001")
    assert found is not None and found.id == a.id


async def test_expiry_closes_only_stale_open_runs_once(runs: ChecklistStore, principles: Checklist) -> None:
    stale = await runs.start("T1", "C1", "principles", "U1")
    fresh = await runs.start("T1", "C1", "principles", "U1")
    async with runs.engine.begin() as conn:
        await conn.execute(
            update(checklist_runs)
            .where(checklist_runs.c.id == stale.id)
            .values(updated_at=now() - timedelta(days=9))
        )
    first, second = await asyncio.gather(runs.expire(timedelta(days=7)), runs.expire(timedelta(days=7)))
    assert [r.id for r in first + second] == [stale.id]
    assert [r.id for r in await runs.open_runs("T1", "C1")] == [fresh.id]
