"""The answer queue: questions acknowledged to Slack and waiting for a worker to answer them.

A question is queued in the same transaction that claims its Slack message (services/storage.py), so a message is
queued once however often Slack delivers it. A worker leases a batch of jobs, answers each, then deletes them.
If the worker dies, its lease runs out and another worker (or the same one after a restart) takes the job:
an answer may be late, never lost. On PostgreSQL, workers in several processes lease with SKIP LOCKED and so
never share a job; on SQLite, leasing is one write transaction and writers take turns.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.elements import ColumnElement

from services.db import answer_jobs, aware

LEASE = timedelta(seconds=60)


@dataclass(frozen=True)
class Question:
    """A question to answer: where it was asked and its text. `route` is "mention" or "dm". The enterprise
    fields find the right token for a workspace in an Enterprise Grid (with many workspaces installed)."""

    team_id: str
    channel_id: str
    thread_ts: str | None
    route: str
    text: str
    enterprise_id: str | None = None
    enterprise_install: bool = False
    message_ts: str | None = None  # the question's own message; None in jobs queued by older versions

    def row(self, now: datetime) -> dict[str, object]:
        return {
            "team_id": self.team_id,
            "channel_id": self.channel_id,
            "thread_ts": self.thread_ts,
            "route": self.route,
            "text": self.text.replace("\x00", ""),  # PostgreSQL text cannot hold NUL
            "enterprise_id": self.enterprise_id,
            "enterprise_install": self.enterprise_install,
            "message_ts": self.message_ts,
            "enqueued_at": now,
            "attempts": 0,
        }


@dataclass(frozen=True)
class Job:
    id: int
    question: Question
    attempts: int  # including this one
    enqueued_at: datetime
    lease_token: str


class JobQueue:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        # Set when this process queues a job, so its own worker starts at once instead of at its next poll.
        self.added = asyncio.Event()

    async def lease(self, limit: int, lease_for: timedelta = LEASE) -> list[Job]:
        """Take up to `limit` jobs nobody holds (or whose holder's lease ran out), oldest first."""
        now = datetime.now(UTC)
        token = str(uuid.uuid4())
        due = (
            select(answer_jobs.c.id)
            .where(or_(answer_jobs.c.lease_until.is_(None), answer_jobs.c.lease_until < now))
            .order_by(answer_jobs.c.id)
            .limit(limit)
        )
        if self.engine.dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        statement = (
            update(answer_jobs)
            .where(answer_jobs.c.id.in_(due.scalar_subquery()))
            .values(lease_until=now + lease_for, lease_token=token, attempts=answer_jobs.c.attempts + 1)
            .returning(answer_jobs)
        )
        async with self.engine.begin() as conn:
            rows = (await conn.execute(statement)).mappings().all()
        jobs = [
            Job(
                id=row["id"],
                question=Question(
                    row["team_id"],
                    row["channel_id"],
                    row["thread_ts"],
                    row["route"],
                    row["text"],
                    row["enterprise_id"],
                    bool(row["enterprise_install"]),
                    row["message_ts"],
                ),
                attempts=row["attempts"],
                enqueued_at=aware(row["enqueued_at"]),
                lease_token=token,
            )
            for row in rows
        ]
        return sorted(jobs, key=lambda job: job.id)

    async def finish(self, jobs: list[Job]) -> None:
        """Delete answered (or abandoned) jobs, if this lease still holds them."""
        if jobs:
            async with self.engine.begin() as conn:
                await conn.execute(delete(answer_jobs).where(_held(jobs)))

    async def release(self, jobs: list[Job]) -> None:
        """Give leased jobs back at once (a worker stopping before it got to them), if still held."""
        if jobs:
            async with self.engine.begin() as conn:
                await conn.execute(
                    update(answer_jobs).where(_held(jobs)).values(lease_until=None, lease_token=None)
                )

    async def expire(self, older_than: timedelta) -> int:
        """Drop questions queued longer ago than `older_than` (no worker ran): an answer days late helps
        nobody, and the question's text should not wait in the database for ever."""
        cutoff = datetime.now(UTC) - older_than
        async with self.engine.begin() as conn:
            result = await conn.execute(delete(answer_jobs).where(answer_jobs.c.enqueued_at < cutoff))
        return int(result.rowcount or 0)

    async def depth(self) -> int:
        """How many questions are waiting or being answered."""
        async with self.engine.connect() as conn:
            return int((await conn.execute(select(func.count()).select_from(answer_jobs))).scalar_one())


def _held(jobs: list[Job]) -> ColumnElement[bool]:
    """These jobs, as long as the lease that took each still holds it."""
    by_lease: dict[str, list[int]] = defaultdict(list)
    for job in jobs:
        by_lease[job.lease_token].append(job.id)
    return or_(
        *(
            and_(answer_jobs.c.id.in_(ids), answer_jobs.c.lease_token == token)
            for token, ids in by_lease.items()
        )
    )
