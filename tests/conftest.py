"""Shared fixtures: the Slack stand-in, databases, and the real app served over HTTP."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.fakeslack import FakeSlack
from knowledge.base import KnowledgeBase
from knowledge.loader import load_knowledge
from services.db import make_engine, metadata
from services.settings import normalise_database_url
from services.storage import Store
from tests.slack import RunningApp, start_app, start_socket_app

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load_knowledge()


LOCAL_POSTGRES = "postgresql://postgres@127.0.0.1:5432/commissioning_guide_test"
LEAVE_OUT = "skip"
_made_a_database = False


def postgres_url() -> str | None:
    """The PostgreSQL the tests use: this machine's by default; None only when asked to leave it out.
    Each run has a database of its own (the name gets this process's id), so two runs on one server,
    as when CI runs beside a developer's `make test`, never drop each other's tables."""
    url = os.environ.get("TEST_DATABASE_URL") or LOCAL_POSTGRES
    if url == LEAVE_OUT:
        return None
    parsed = make_url(normalise_database_url(url))
    return parsed.set(database=f"{parsed.database}_{os.getpid()}").render_as_string(hide_password=False)


async def _admin(url: str) -> Any:
    """A connection to the server's `postgres` database, or a failed test saying how to get one."""
    import asyncpg  # type: ignore[import-untyped]

    parsed = make_url(url)
    try:
        return await asyncpg.connect(
            host=parsed.host, port=parsed.port or 5432, user=parsed.username, database="postgres", timeout=10
        )
    except (OSError, asyncpg.PostgresError) as error:
        pytest.fail(
            f"No PostgreSQL at {parsed.host}:{parsed.port or 5432} ({error}). Start it (`.ci/run` does), "
            f"point TEST_DATABASE_URL at another, or set TEST_DATABASE_URL={LEAVE_OUT} to leave those tests out.",
            pytrace=False,
        )


async def _ensure_postgres_database(url: str) -> None:
    conn = await _admin(url)
    try:
        name = make_url(url).database
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def _drop_postgres_database(url: str) -> None:
    conn = await _admin(url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')
    finally:
        await conn.close()


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Drop this run's PostgreSQL database, if a test made one."""
    url = postgres_url()
    if url is not None and _made_a_database:
        asyncio.run(_drop_postgres_database(url))


async def fresh_engine(kind: str, tmp_path: Path) -> AsyncEngine:
    if kind == "sqlite":
        return make_engine(f"sqlite+aiosqlite:///{tmp_path / 'test.db'}")
    url = postgres_url()
    if url is None:
        pytest.skip(f"TEST_DATABASE_URL={LEAVE_OUT}: the PostgreSQL tests were left out on purpose")
    global _made_a_database
    await _ensure_postgres_database(url)
    _made_a_database = True
    engine = make_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.drop_all)
    return engine


@pytest.fixture(params=["sqlite", "postgres"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A clean database of each kind: SQLite, and PostgreSQL (this machine's unless TEST_DATABASE_URL says)."""
    engine = await fresh_engine(request.param, tmp_path)
    url = engine.url.render_as_string(hide_password=False)
    await engine.dispose()
    yield url


@pytest.fixture
async def shared_postgres(tmp_path: Path) -> AsyncIterator[str]:
    """A clean PostgreSQL database only: for what only a shared server shows (two processes at once)."""
    engine = await fresh_engine("postgres", tmp_path)
    url = engine.url.render_as_string(hide_password=False)
    await engine.dispose()
    yield url


@pytest.fixture
async def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'app.db'}"


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    from services.db import create_schema

    engine = make_engine(database_url)
    await create_schema(engine)
    yield Store(engine)
    await engine.dispose()


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack()
    await fake.start()
    yield fake
    await fake.stop()
    if fake.refusals:  # a test that means to send what Slack refuses clears the list itself
        listed = "\n".join(f"  {refusal}" for refusal in fake.refusals)
        pytest.fail(f"Slack would have refused what the app sent:\n{listed}", pytrace=False)


@pytest.fixture(params=["http", "socket"])
async def app(
    request: pytest.FixtureRequest, fake_slack: FakeSlack, sqlite_url: str
) -> AsyncIterator[RunningApp]:
    """The real app talking to the Slack stand-in, on SQLite: served over HTTP, or connected over Socket Mode.

    End-to-end scenarios take this fixture, so each runs over both transports.
    """
    running = await (start_app if request.param == "http" else start_socket_app)(fake_slack, sqlite_url)
    yield running
    await running.stop()


@pytest.fixture
async def http_app(fake_slack: FakeSlack, sqlite_url: str) -> AsyncIterator[RunningApp]:
    """The app over HTTP only: for what only HTTP has (signatures, /healthz, /metrics, content types)."""
    running = await start_app(fake_slack, sqlite_url)
    yield running
    await running.stop()
