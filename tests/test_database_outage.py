"""The database gone mid-request: no question acked in the meantime is lost, /readyz says not ready, and the
app recovers by itself once the database is back. Against this machine's PostgreSQL, behind a proxy the test
cuts and restores."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.fakeslack import Call, FakeSlack
from services.db import make_engine
from tests.checklist_helpers import reply_in_thread, start
from tests.conftest import fresh_engine
from tests.slack import CHANNEL, TEAM, RunningApp, eventually, new_ts, start_app, start_socket_app
from tests.tcpproxy import TcpProxy
from tests.test_questions_http import dm, mention

pytestmark = pytest.mark.postgres


@pytest.fixture
async def proxied_url(tmp_path: Path) -> AsyncIterator[tuple[str, TcpProxy]]:
    """A clean PostgreSQL database, reached through a proxy the test can cut."""
    engine = await fresh_engine("postgres", tmp_path)
    url = make_url(engine.url.render_as_string(hide_password=False))
    await engine.dispose()
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    yield url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False), proxy
    await proxy.stop()


@pytest.fixture(params=["http", "socket"])
async def outage_app(
    request: pytest.FixtureRequest, fake_slack: FakeSlack, proxied_url: tuple[str, TcpProxy]
) -> AsyncIterator[tuple[RunningApp, TcpProxy]]:
    url, proxy = proxied_url
    starter = start_app if request.param == "http" else start_socket_app
    running = await starter(fake_slack, url)
    yield running, proxy
    await proxy.restore()
    await running.stop()


async def readiness(app: RunningApp) -> tuple[int, dict[str, Any]]:
    """GET /readyz; in Socket Mode (no HTTP server in these tests) the same database checks, asked directly."""
    if app.server is None:
        problems = await app.deps.store.schema_problems()
        return (200 if not problems else 503), {"database_problems": problems}
    async with app.session.get(str(app.server.make_url("/readyz"))) as resp:
        return resp.status, await resp.json()


async def test_questions_acked_while_the_database_is_down_are_answered_when_it_is_back(
    outage_app: tuple[RunningApp, TcpProxy],
) -> None:
    app, proxy = outage_app
    await proxy.cut()
    status, _ready = await readiness(app)
    assert status == 503
    asked = [
        mention("what is principle 9?", ts=new_ts()),
        dm("when do the NOS launch?", ts=new_ts()),
    ]
    for event in asked:
        response = await app.event(event)
        assert response.status == 200  # acked within Slack's 3 seconds, though nothing could be saved
    await eventually(lambda: _held(app), lambda n: n == 2, within=15)
    assert app.fake.api_calls("chat.postMessage") == []
    await proxy.restore()  # the database is back: no restart
    posts = await app.fake.wait_for(lambda c: c.method == "chat.postMessage", count=2, within=30)
    assert {p.payload["channel"] for p in posts} == {CHANNEL, "D0DIRECT"}
    status, _ = await readiness(app)
    assert status == 200
    await asyncio.sleep(0.5)
    assert len(app.fake.api_calls("chat.postMessage")) == 2  # each answered once
    assert len(app.deps.store.held) == 0


async def _held(app: RunningApp) -> int:
    return len(app.deps.store.held)


async def test_a_checklist_reply_while_the_database_is_down_is_told_it_was_not_saved(
    outage_app: tuple[RunningApp, TcpProxy],
) -> None:
    app, proxy = outage_app
    parent, _first = await start(app)
    await proxy.cut()
    await reply_in_thread(app, parent, "yes")
    [told] = await app.fake.wait_for(lambda c: c.method == "chat.postEphemeral", within=20)
    assert "couldn't record that reply" in told.text and "again in a minute" in told.text
    # chat in a thread that is not a checklist's is left alone
    other = new_ts()
    await reply_in_thread(app, Call("api", "chat.postMessage", {}, result={"ts": other}), "lunch?")
    await asyncio.sleep(0.5)
    assert len(app.fake.api_calls("chat.postEphemeral")) == 1
    await proxy.restore()
    await reply_in_thread(app, parent, "yes")
    run = await eventually(
        lambda: app.deps.runs.by_thread(TEAM, CHANNEL, parent.result["ts"]),
        lambda r: r is not None and r.step_index == 1,
        within=20,
    )
    assert run is not None and run.step_index == 1


async def test_readiness_reports_a_missing_schema_and_recovers_when_it_is_back(
    fake_slack: FakeSlack, proxied_url: tuple[str, TcpProxy]
) -> None:
    url, _proxy = proxied_url
    app = await start_app(fake_slack, url)
    try:
        engine = make_engine(url)
        async with engine.begin() as conn:
            await conn.execute(text("DROP TABLE answer_jobs"))
        await engine.dispose()
        status, ready = await readiness(app)
        assert status == 503 and ready["checks"]["schema"] is False
        assert "table answer_jobs is missing" in ready["database_problems"]
        # The app makes the tables again itself (no restart), and a question is answered as usual.
        status, _ = await eventually(lambda: readiness(app), lambda r: r[0] == 200, within=20)
        assert status == 200
        await app.event(dm("what is principle 9?", ts=new_ts()))
        await app.fake.wait_for(lambda c: c.method == "chat.postMessage", within=30)
    finally:
        await app.stop()


async def test_a_hung_database_holds_questions_and_commands_that_need_none_still_answer(
    fake_slack: FakeSlack, proxied_url: tuple[str, TcpProxy]
) -> None:
    """The server stops answering but keeps its connections open (a hang, not a refusal)."""
    url, proxy = proxied_url
    app = await start_app(fake_slack, url)
    try:
        await app.event(dm("what is principle 9?", ts=new_ts()))
        await app.fake.wait_for(lambda c: c.method == "chat.postMessage", within=20)
        proxy.freeze()
        started = asyncio.get_running_loop().time()
        response, _ = await app.command("/checklist")  # the list needs no database
        assert response.status == 200 and "Checklists" in response.shown
        assert asyncio.get_running_loop().time() - started < 2.0
        await app.event(dm("when do the NOS launch?", ts=new_ts()))
        held = await eventually(lambda: _held(app), lambda n: n == 1, within=10)
        assert held == 1  # saved nowhere yet, but held: within seconds, not never
        proxy.thaw()
        await app.fake.wait_for(lambda c: c.method == "chat.postMessage", count=2, within=40)
    finally:
        proxy.thaw()
        await app.stop()


async def test_a_button_pressed_while_the_database_is_down_is_acked_and_told_in_words(
    outage_app: tuple[RunningApp, TcpProxy],
) -> None:
    """Bolt would answer Slack 404 "unhandled request" after 3 s when a handler fails after its ack; the router
    handles the failure itself, so Slack gets its 200 at once and the person a reason."""
    app, proxy = outage_app
    await proxy.cut()
    started = asyncio.get_running_loop().time()
    response, key = await app.command("/checklist", "principles")
    assert response.status == 200
    assert asyncio.get_running_loop().time() - started < 2.5
    [told] = await app.fake.wait_for(lambda c: c.method == key, within=20)
    assert "database isn't reachable" in told.text and "nothing was changed" in told.text


async def test_an_installed_workspace_keeps_being_served_while_the_database_is_down(
    fake_slack: FakeSlack, proxied_url: tuple[str, TcpProxy]
) -> None:
    """Many workspaces: the installation found once is cached, so Bolt's authorization does not need the
    database, and the question is held like any other."""
    from tests.slack import start_oauth_app
    from tests.test_install import install

    url, proxy = proxied_url
    app = await start_oauth_app(fake_slack, url)
    try:
        await install(app, "T0AAAA")
        await app.event(dm("what is principle 9?", ts=new_ts()), team="T0AAAA")  # served once: cached
        await app.fake.wait_for(lambda c: c.method == "chat.postMessage", within=20)
        await proxy.cut()
        response = await app.event(dm("when do the NOS launch?", ts=new_ts()), team="T0AAAA")
        assert response.status == 200
        await eventually(lambda: _held(app), lambda n: n == 1, within=10)
        await proxy.restore()
        [_, later] = await app.fake.wait_for(lambda c: c.method == "chat.postMessage", count=2, within=40)
        assert later.token == "xoxb-T0AAAA-token"
    finally:
        await proxy.restore()
        await app.stop()
