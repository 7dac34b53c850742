"""The database: one async SQLAlchemy engine and the schema, for SQLite (default) and PostgreSQL."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.sql.dml import Insert

metadata = MetaData()

# Idempotency keys: a Slack event, message or action handled once. Pruned after a day.
claims = Table(
    "claims",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
)

# Questions acknowledged but not yet answered: the worker (in the same process or another) leases a job, posts
# the answer, and deletes the job. A job whose worker died is leased again once its lease has run out.
answer_jobs = Table(
    "answer_jobs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("team_id", String(32), nullable=False),
    Column("channel_id", String(32), nullable=False),
    Column("thread_ts", String(32), nullable=True),
    Column("route", String(16), nullable=False),
    Column("enterprise_id", String(32), nullable=True),
    Column("enterprise_install", Boolean, nullable=False, default=False),
    Column("text", Text, nullable=False),
    Column("enqueued_at", DateTime(timezone=True), nullable=False),
    # Not indexed: the queue is short (answered in well under a second), and every index slows each insert.
    Column("lease_until", DateTime(timezone=True), nullable=True),
    # Who holds the lease: only the holder may delete or hand back the job (a lease can run out under a slow
    # worker and pass to another).
    Column("lease_token", String(36), nullable=True),
    Column("attempts", Integer, nullable=False, default=0),
)

channel_state = Table(
    "channel_state",
    metadata,
    Column("team_id", String(32), primary_key=True),
    Column("channel_id", String(32), primary_key=True),
    Column("last_fact_id", String(64), nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Questions nothing answered: the text and time only, never who asked.
unanswered = Table(
    "unanswered",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("team_id", String(32), nullable=False),
    Column("text", Text, nullable=False),
    Column("asked_at", DateTime(timezone=True), nullable=False),
)

# "Did this help?" votes, one per person per answer (the key is a hash, not a user id).
feedback = Table(
    "feedback",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("team_id", String(32), nullable=False),
    Column("entry_id", String(64), nullable=False, index=True),
    Column("helpful", Boolean, nullable=False),
    Column("vote_key", String(64), nullable=False, unique=True),
    Column("at", DateTime(timezone=True), nullable=False),
)

checklist_runs = Table(
    "checklist_runs",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("team_id", String(32), nullable=False),
    Column("channel_id", String(32), nullable=False),
    Column("thread_ts", String(32), nullable=True),
    Column("step_ts", String(32), nullable=True),
    Column("checklist_id", String(32), nullable=False),
    Column("started_by", String(32), nullable=False),
    Column("status", String(16), nullable=False, index=True),
    Column("step_index", Integer, nullable=False),
    # Bumped on every change to the run: how much it has moved, for operators reading the table.
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("closed_by", String(32), nullable=True),
    UniqueConstraint("team_id", "channel_id", "thread_ts", name="uq_run_thread"),
)

checklist_answers = Table(
    "checklist_answers",
    metadata,
    Column("run_id", String(36), primary_key=True),
    Column("step_id", String(32), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("value", String(32), nullable=False),
    Column("user_id", String(32), nullable=False),
    Column("answered_at", DateTime(timezone=True), nullable=False),
)

checklist_notes = Table(
    "checklist_notes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(36), nullable=False, index=True),
    Column("step_id", String(32), nullable=False),
    Column("user_id", String(32), nullable=False),
    Column("text", Text, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)


def make_engine(url: str) -> AsyncEngine:
    if url.startswith("sqlite"):
        # hide_parameters: a failed statement's values (questions, notes, user ids) never reach the logs.
        engine = create_async_engine(url, connect_args={"timeout": 30}, hide_parameters=True)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            # WAL lets readers run beside the one writer; busy_timeout waits rather than failing.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    return create_async_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True, hide_parameters=True)


SCHEMA_LOCK = 7_372_001  # any fixed number: PostgreSQL's advisory lock for "creating the schema"


async def create_schema(engine: AsyncEngine) -> None:
    """Create any missing tables (safe to run on every start, and by several processes starting at once)."""
    for attempt in range(3):
        try:
            async with engine.begin() as conn:
                if (
                    engine.dialect.name == "postgresql"
                ):  # one process at a time; the others then find the tables
                    await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK})
                await conn.run_sync(metadata.create_all, checkfirst=True)
            return
        except OperationalError:  # SQLite: another process created a table between the check and the create
            if attempt == 2:
                raise
            await asyncio.sleep(0.1)


def insert_ignoring_duplicates(engine: AsyncEngine, table: Table) -> Insert:
    """INSERT ... ON CONFLICT DO NOTHING in the engine's dialect."""
    if engine.dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    return sqlite.insert(table).on_conflict_do_nothing()
