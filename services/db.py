"""The database: one async SQLAlchemy engine and the schema, for SQLite (default) and PostgreSQL."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
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
    inspect,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, make_url
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
    # The question's own message ts: an answer carries it in its metadata, so a job retried after a post that
    # may have reached Slack can look for its answer before posting again.
    Column("message_ts", String(32), nullable=True),
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
    # The Enterprise Grid organisation, when there is one: a run is only touched from its own workspace
    # (or organisation) and channel.
    Column("enterprise_id", String(32), nullable=True),
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
    # The checklist's version when the run started (its YAML `version`, and a fingerprint of its content).
    Column("checklist_version", String(64), nullable=True),
    # When the one gentle reminder was posted in the run's thread (None: not yet).
    Column("reminded_at", DateTime(timezone=True), nullable=True),
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


# Channels (and people, by user id: their messages tab) that asked for "did you know" tips on a schedule.
tip_subscriptions = Table(
    "tip_subscriptions",
    metadata,
    Column("team_id", String(32), primary_key=True),
    Column("channel_id", String(32), primary_key=True),
    Column("enterprise_id", String(32), nullable=True),
    Column("enterprise_install", Boolean, nullable=False, default=False),
    Column("frequency", String(8), nullable=False),
    Column("at_time", String(5), nullable=False),  # "09:00", wall-clock time in `zone`
    Column("weekday", Integer, nullable=False),  # weekly: 0 is Monday
    Column("zone", String(64), nullable=False),
    Column("created_by", String(32), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # Facts are shown in rotation: a cycle ends when every fact has been posted in it.
    Column("cycle", Integer, nullable=False),
    Column("last_slot_at", DateTime(timezone=True), nullable=True),  # the latest slot claimed
)

# One row a scheduled post: the primary key is the claim, so however many processes share the database, a
# slot (a channel's 09:00 tip on Monday, the content owners' weekly digest) is posted once.
scheduled_posts = Table(
    "scheduled_posts",
    metadata,
    Column("kind", String(16), primary_key=True),  # "tip" or "digest"
    Column("team_id", String(32), primary_key=True),
    Column("channel_id", String(32), primary_key=True),
    Column("slot_at", DateTime(timezone=True), primary_key=True),
    Column("entry_id", String(64), nullable=True),
    Column("cycle", Integer, nullable=True),
    Column("claimed_at", DateTime(timezone=True), nullable=False),
    Column("posted_ts", String(32), nullable=True),
)

# What people said was wrong with an answer after a thumbs-down: the words and the entries, never who.
feedback_reasons = Table(
    "feedback_reasons",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("team_id", String(32), nullable=False),
    Column("entry_ids", String(200), nullable=False),
    Column("text", Text, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
)


def aware(stamp: datetime) -> datetime:
    """A timestamp as the app uses it: SQLite hands back naive datetimes, and everything stored is UTC."""
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


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
    engine = create_async_engine(
        url,
        pool_size=10,
        max_overflow=20,
        pool_timeout=WAIT_AT_MOST,
        pool_pre_ping=True,  # a connection that died while the database was away is replaced, not used
        hide_parameters=True,
        # asyncpg's timeouts: a database that stops answering fails in seconds, instead of holding requests
        connect_args={"timeout": WAIT_AT_MOST, "command_timeout": WAIT_AT_MOST},
    )

    @event.listens_for(engine.sync_engine, "do_connect")
    def _connect(dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
        """asyncpg raises a refused or timed-out connection as a bare OSError / TimeoutError, which SQLAlchemy
        passes through unwrapped, so it would look like any network error (Slack's too). As the driver's own
        OperationalError, SQLAlchemy wraps it like every other database failure."""
        dbapi = dialect.loaded_dbapi
        try:
            return dbapi.connect(*cargs, **cparams)
        except (OSError, TimeoutError) as error:
            raise dbapi.OperationalError(f"cannot connect: {type(error).__name__}: {error}") from error

    return engine


WAIT_AT_MOST = 10  # seconds: connecting, a statement, or waiting for a pooled connection


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
                await conn.run_sync(_add_missing_columns)
            return
        except OperationalError:  # SQLite: another process created a table between the check and the create
            if attempt == 2:
                raise
            await asyncio.sleep(0.1)


def _missing(conn: Connection) -> Iterator[tuple[Table, Column[Any] | None]]:
    """What the database lacks of the app's schema: (table, None) for a missing table, (table, column) for a
    column a newer version added."""
    inspector = inspect(conn)
    for table in metadata.sorted_tables:
        if not inspector.has_table(table.name):
            yield table, None
            continue
        present = {column["name"] for column in inspector.get_columns(table.name)}
        yield from ((table, column) for column in table.columns if column.name not in present)


def _add_missing_columns(conn: Connection) -> None:
    """Columns added to a table after it was first created, added to a database made by an older version
    (run after create_all, so every table is there).

    Only nullable columns are ever added to an existing table, so this is all a new version needs: no data
    is rewritten and an older process sharing the database keeps working.
    """
    for table, column in _missing(conn):
        if column is None:
            continue
        if not column.nullable:
            raise RuntimeError(f"cannot add the required column {table.name}.{column.name} in place")
        kind = column.type.compile(dialect=conn.dialect)
        conn.execute(text(f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}'))


def schema_problems_sync(conn: Connection) -> list[str]:
    """Tables or columns the app needs that the database lacks (empty when the schema is complete)."""
    return [
        f"table {table.name} is missing"
        if column is None
        else f"column {table.name}.{column.name} is missing"
        for table, column in _missing(conn)
    ]


def insert_ignoring_duplicates(engine: AsyncEngine, table: Table) -> Insert:
    """INSERT ... ON CONFLICT DO NOTHING in the engine's dialect."""
    if engine.dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    return sqlite.insert(table).on_conflict_do_nothing()


class DatabaseUnavailable(RuntimeError):
    """The database in DATABASE_URL cannot be used; the message says why and what to do, in one line."""


def sqlite_file_problem(url: str) -> str | None:
    """For a SQLite DATABASE_URL, what stops the file being made or opened (None when it can be)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    folder = Path(parsed.database).resolve().parent
    shown = parsed.render_as_string(hide_password=True)
    if not folder.is_dir():
        return f"DATABASE_URL={shown}: the folder {folder} does not exist. Create it, or set DATABASE_URL to a path in one that does."
    if not os.access(folder, os.W_OK):
        return f"DATABASE_URL={shown}: the folder {folder} is not writable. Make it writable, or set DATABASE_URL elsewhere."
    return None


def explain_connection_error(url: str, error: BaseException) -> str:
    """One line for an operator: which DATABASE_URL (password hidden), what went wrong, and the fix."""
    parsed = make_url(url)
    shown = parsed.render_as_string(hide_password=True)
    cause: BaseException = getattr(error, "orig", None) or error
    while cause.__cause__ is not None:  # the driver's error behind SQLAlchemy's and ours
        cause = cause.__cause__
    name = type(cause).__name__
    words = " ".join(str(cause).split())[:200]
    if parsed.get_backend_name() == "sqlite":
        return (
            f"DATABASE_URL={shown}: cannot use the SQLite file ({words or name}). "
            "Check that its folder exists and is writable, or set DATABASE_URL to another path."
        )
    where = f"{parsed.host or 'localhost'}:{parsed.port or 5432}"
    if name == "InvalidCatalogNameError" or ("does not exist" in words and "database" in words):
        return (
            f"DATABASE_URL={shown}: database {parsed.database!r} does not exist on {where}. Create it "
            f"(createdb -h {parsed.host or 'localhost'} -p {parsed.port or 5432} -U {parsed.username or 'postgres'} "
            f"{parsed.database}) or point DATABASE_URL at one that exists."
        )
    if (
        isinstance(cause, ConnectionRefusedError)
        or "refused" in words.lower()
        or name == "ConnectionRefusedError"
    ):
        return (
            f"DATABASE_URL={shown}: nothing is listening at {where}. Start PostgreSQL there, "
            "or point DATABASE_URL at a running server."
        )
    if name in ("InvalidPasswordError", "InvalidAuthorizationSpecificationError"):
        return (
            f"DATABASE_URL={shown}: {where} refused the user or password ({words}). Fix them in DATABASE_URL."
        )
    return (
        f"DATABASE_URL={shown}: could not use the database at {where} ({name}: {words}). "
        "Check that it is running and that the URL is right."
    )
