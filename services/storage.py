"""The app's records: idempotency claims, channel state, unanswered questions and feedback."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, ProgrammingError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from services.db import (
    answer_jobs,
    channel_state,
    claims,
    create_schema,
    feedback,
    insert_ignoring_duplicates,
    schema_problems_sync,
    unanswered,
)
from services.held import HeldQuestions
from services.jobs import JobQueue, Question

# What an unreachable or broken database raises, for code that does nothing but database work: SQLAlchemy wraps
# the driver's errors (services/db.py makes a refused connection one of them); a hung one times out.
DATABASE_FAILURES: tuple[type[BaseException], ...] = (SQLAlchemyError, OSError, TimeoutError)
# The same, where Slack calls happen too: aiohttp's errors are OSErrors and TimeoutErrors as well, so there
# only SQLAlchemy's own count as the database's.
DATABASE_ERRORS: tuple[type[BaseException], ...] = (SQLAlchemyError,)
UNREACHABLE = "database unreachable"
SAVE_WITHIN = 3.0  # seconds a question may wait for the database before it is held instead

CLAIM_LIFETIME = timedelta(days=1)
logger = logging.getLogger(__name__)


def now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class FeedbackCount:
    entry_id: str
    helpful: int
    not_helpful: int


@dataclass(frozen=True)
class UnansweredQuestion:
    text: str
    asked_at: datetime


MAX_CLAIM_BATCH = 500
CLAIM_LINGER = 0.005  # seconds


def _transient(error: BaseException) -> bool:
    """Whether a database error may pass by itself (the connection or server), rather than being about the
    data (a value the column cannot hold, say), which no retry will change."""
    # ProgrammingError: a missing table, until the schema is made again
    if isinstance(error, (OSError, TimeoutError, OperationalError, InterfaceError, ProgrammingError)):
        return True
    if isinstance(error, DBAPIError):
        return bool(error.connection_invalidated)
    return not isinstance(error, SQLAlchemyError)


class Store:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.jobs = JobQueue(engine)
        self._claim_statement = insert_ignoring_duplicates(engine, claims).returning(claims.c.key)
        self._waiting: list[tuple[str, Question | None, asyncio.Future[bool]]] = []
        self._writer: asyncio.Task[None] | None = None
        self.held = HeldQuestions(self._save_held, DATABASE_FAILURES, transient=_transient)
        self._repair: asyncio.Task[list[str]] | None = None

    async def _save_held(self, key: str, question: Question) -> bool:
        try:
            return await self.claim(key, then_queue=question)
        except DATABASE_FAILURES:
            # Reachable again but without the app's tables (a database restored empty, say): make them, as
            # a start would, and try once more; still failing, the question stays held.
            problems = await self.schema_problems()
            if not problems or any(p.startswith(UNREACHABLE) for p in problems):
                raise
            await self.repair_schema()
            return await self.claim(key, then_queue=question)

    async def claim_question(self, key: str, question: Question) -> bool:
        """Claim `key` and queue `question` once (as `claim`); if the database is unreachable, hold the question
        in memory and save it when the database is back (services/held.py). True unless it was already claimed or
        could not even be held."""
        try:
            return await self.claim(key, then_queue=question)
        except DATABASE_FAILURES as error:
            logger.warning("could not save a question (%s); holding it", type(error).__name__)
            return self.held.hold(key, question)

    async def claim(self, key: str, *, then_queue: Question | None = None) -> bool:
        """True the first time `key` is claimed, by any process sharing the database; False after.

        `then_queue`: a question to queue for the answer worker in the same transaction, if the claim is won.

        Claims are group-committed: those that arrive while one transaction is being written go together in
        the next, one INSERT ... ON CONFLICT DO NOTHING RETURNING for the lot. A lone claim waits for nothing.
        """
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.append((key[:200], then_queue, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_claims())
        return await future

    async def _write_claims(self) -> None:
        first = True
        while self._waiting:
            if not first and len(self._waiting) < MAX_CLAIM_BATCH:
                # Claims kept arriving while the last batch was written: under load, let a few more gather,
                # so there are fewer, larger transactions. None of this is on an ack's path.
                await asyncio.sleep(CLAIM_LINGER)
            first = False
            batch, self._waiting = self._waiting[:MAX_CLAIM_BATCH], self._waiting[MAX_CLAIM_BATCH:]
            questions: dict[str, Question | None] = {}
            for key, question, _future in batch:  # a key twice in one batch: the first wins
                questions.setdefault(key, question)
            stamp = now()
            # in key order: two processes inserting overlapping keys then lock rows in the same order (PostgreSQL
            # would otherwise deadlock them)
            rows = [{"key": key, "created_at": stamp} for key in sorted(questions)]
            try:
                # A hung database must not keep claims (and the questions they queue) in limbo: one timer a
                # batch, not one a claim (a timer a claim cost a tenth of mention throughput in bench/load.py).
                async with asyncio.timeout(SAVE_WITHIN), self.engine.begin() as conn:
                    # One statement, compiled once and cached: SQLAlchemy sends the rows as multi-row VALUES.
                    inserted = set((await conn.execute(self._claim_statement, rows)).scalars())
                    to_queue = [q.row(stamp) for key, q in questions.items() if q and key in inserted]
                    if to_queue:
                        await conn.execute(answer_jobs.insert(), to_queue)
            except Exception as error:  # every claim in the batch learns of the failure
                for _key, _question, future in batch:
                    if not future.done():
                        future.set_exception(error)
                continue
            if to_queue:
                self.jobs.added.set()
            given: set[str] = set()
            for key, _question, future in batch:
                won = key in inserted and key not in given
                given.add(key)
                if not future.done():
                    future.set_result(won)

    async def release(self, key: str) -> None:
        """Undo a claim whose work failed, so a later attempt may do it."""
        async with self.engine.begin() as conn:
            await conn.execute(delete(claims).where(claims.c.key == key[:200]))

    async def prune_claims(self, older_than: timedelta = CLAIM_LIFETIME) -> int:
        async with self.engine.begin() as conn:
            result = await conn.execute(delete(claims).where(claims.c.created_at < now() - older_than))
        return int(result.rowcount or 0)

    async def last_fact(self, team_id: str, channel_id: str) -> str | None:
        async with self.engine.connect() as conn:
            row = await conn.execute(
                select(channel_state.c.last_fact_id).where(
                    channel_state.c.team_id == team_id, channel_state.c.channel_id == channel_id
                )
            )
            return row.scalar_one_or_none()

    async def set_last_fact(self, team_id: str, channel_id: str, fact_id: str) -> None:
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(channel_state)
                .where(channel_state.c.team_id == team_id, channel_state.c.channel_id == channel_id)
                .values(last_fact_id=fact_id, updated_at=now())
            )
            if not result.rowcount:
                await conn.execute(
                    insert_ignoring_duplicates(self.engine, channel_state).values(
                        team_id=team_id, channel_id=channel_id, last_fact_id=fact_id, updated_at=now()
                    )
                )

    async def record_unanswered(self, team_id: str, text: str) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(unanswered.insert().values(team_id=team_id, text=text[:2000], asked_at=now()))

    async def record_feedback(self, team_id: str, entry_id: str, helpful: bool, voter: str) -> bool:
        """Record one vote; False if this voter already voted on this answer. `voter` is hashed."""
        vote_key = hashlib.sha256(voter.encode()).hexdigest()
        statement = insert_ignoring_duplicates(self.engine, feedback).values(
            team_id=team_id, entry_id=entry_id, helpful=helpful, vote_key=vote_key, at=now()
        )
        async with self.engine.begin() as conn:
            result = await conn.execute(statement)
        return bool(result.rowcount)

    async def feedback_counts(self) -> list[FeedbackCount]:
        helpful = func.sum(case((feedback.c.helpful, 1), else_=0))
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(feedback.c.entry_id, helpful, func.count())
                .group_by(feedback.c.entry_id)
                .order_by(feedback.c.entry_id)
            )
            return [
                FeedbackCount(entry, int(yes or 0), int(total) - int(yes or 0)) for entry, yes, total in rows
            ]

    async def unanswered_questions(self, limit: int = 200) -> list[UnansweredQuestion]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(unanswered.c.text, unanswered.c.asked_at)
                .order_by(unanswered.c.asked_at.desc())
                .limit(limit)
            )
            return [UnansweredQuestion(text, asked_at) for text, asked_at in rows]

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(select(1))
        except DATABASE_FAILURES:
            return False
        return True

    async def schema_problems(self) -> list[str]:
        """What the schema lacks, or that the database cannot be reached: empty when all is in place."""
        try:
            async with self.engine.connect() as conn:
                return await conn.run_sync(schema_problems_sync)
        except DATABASE_FAILURES as error:
            return [f"{UNREACHABLE} ({type(error).__name__})"]

    def start_schema_repair(self) -> None:
        """Repair the schema in the background (once at a time), for a caller that must answer at once."""
        if self._repair is None or self._repair.done():
            self._repair = asyncio.create_task(self.repair_schema())

    async def repair_schema(self) -> list[str]:
        """The schema's problems, after making any missing tables and columns when the database is reachable
        (a database restored empty, say): as at start, so the app recovers without a restart. Returns what
        is still wrong (empty when ready)."""
        problems = await self.schema_problems()
        if not problems or any(p.startswith(UNREACHABLE) for p in problems):
            return problems
        logger.warning("the database lacks the app's tables (%s); creating them", problems[0])
        try:
            await create_schema(self.engine)
        except DATABASE_FAILURES as error:
            logger.warning("could not create the app's tables: %s", type(error).__name__)
        return await self.schema_problems()

    async def close(self) -> None:
        if self._repair is not None:
            await asyncio.gather(self._repair, return_exceptions=True)
        await self.held.close()
        if self._writer is not None:
            await asyncio.gather(self._writer, return_exceptions=True)
        await self.engine.dispose()
