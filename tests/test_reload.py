"""Reloading the content without a restart: admins only; invalid content is refused and the old stays."""

from __future__ import annotations

import asyncio
import shutil
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.fakeslack import FakeSlack
from knowledge.loader import DEFAULT_DIR
from tests.processes import serve_app, stop_processes
from tests.slack import SECRET, USER, RunningApp, SlackClient, start_app

NEW_ENTRY = """source: {framework: Our council's commissioning team, page: Local notes}
entries:
  - id: local-panel
    kind: fact
    title: Our commissioning panel
    text: The panel meets on the first Tuesday of each month.
    aliases: [when does the panel meet]
"""


@pytest.fixture
def content(tmp_path: Path) -> Path:
    folder = tmp_path / "content"
    shutil.copytree(DEFAULT_DIR, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return folder


@pytest.fixture
async def admin_app(fake_slack: FakeSlack, sqlite_url: str, content: Path) -> AsyncIterator[RunningApp]:
    running = await start_app(fake_slack, sqlite_url, knowledge_dir=content, admin_user_ids=frozenset({USER}))
    yield running
    await running.stop()


async def test_only_admins_may_reload(admin_app: RunningApp) -> None:
    response, _ = await admin_app.command("/commissioning", "reload", user="U0SOMEONEELSE")
    assert "Only this app's admins can reload its content" in response.shown


async def test_an_admin_reloads_new_content(admin_app: RunningApp, content: Path) -> None:
    before, _ = await admin_app.command("/commissioning", "when does the commissioning panel meet")
    assert "first Tuesday" not in before.shown
    (content / "local.yaml").write_text(NEW_ENTRY)
    response, key = await admin_app.command("/commissioning", "reload")
    assert "Reloading" in response.shown
    [done] = await admin_app.fake.wait_for(lambda c: c.method == key)
    assert "Reloaded: " in done.text
    after, _ = await admin_app.command("/commissioning", "when does the commissioning panel meet")
    assert "The panel meets on the first Tuesday of each month." in after.shown


async def test_invalid_content_is_refused_and_the_old_content_stays(
    admin_app: RunningApp, content: Path
) -> None:
    (content / "principles.yaml").write_text("entries:\n  - id: Not An Id\n")
    _, key = await admin_app.command("/commissioning", "reload")
    [done] = await admin_app.fake.wait_for(lambda c: c.method == key)
    assert "The new content has problems, so I kept the old content" in done.text
    assert "principles.yaml: entry 1 (id 'Not An Id')" in done.text
    response, _ = await admin_app.command("/principle", "9")
    assert "Spend money wisely" in response.shown


async def test_sighup_reloads_a_running_process(fake_slack: FakeSlack, content: Path, tmp_path: Path) -> None:
    process, base = await serve_app(
        f"sqlite:///{tmp_path / 'hup.db'}", fake_slack.api_url, SECRET, KNOWLEDGE_DIR=str(content)
    )
    import aiohttp

    async with aiohttp.ClientSession() as session:
        client = SlackClient(fake_slack, base, session)
        try:
            (content / "local.yaml").write_text(NEW_ENTRY)
            process.send_signal(signal.SIGHUP)
            for _ in range(50):
                response, _ = await client.command("/commissioning", "when does the commissioning panel meet")
                if "first Tuesday" in response.shown:
                    break
                await asyncio.sleep(0.1)
            assert "The panel meets on the first Tuesday of each month." in response.shown
        finally:
            assert await stop_processes(process) == [0]
