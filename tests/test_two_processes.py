"""Two app processes sharing PostgreSQL serve one checklist run alternately, and a click sent to both at
once is recorded once. Real `python -m bot serve` processes, real signed HTTP."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import aiohttp

from bot.fakeslack import FakeSlack
from tests.checklist_helpers import click_option, start, step_posts, wait_steps
from tests.processes import serve_app, stop_processes
from tests.slack import CHANNEL, SECRET, SlackClient

ROOT = Path(__file__).resolve().parent.parent


async def test_two_processes_on_postgres_serve_one_run_alternately(
    shared_postgres: str, fake_slack: FakeSlack
) -> None:
    (first, url_a), (second, url_b) = await asyncio.gather(
        serve_app(shared_postgres, fake_slack.api_url, SECRET),
        serve_app(shared_postgres, fake_slack.api_url, SECRET),
    )
    session = aiohttp.ClientSession()
    a, b = SlackClient(fake_slack, url_a, session), SlackClient(fake_slack, url_b, session)
    try:
        _, step = await start(a, "nos")
        for number in range(1, 6):
            via = b if number % 2 else a  # each click goes to the other process
            await click_option(via, step, "Yes")
            if number < 5:
                step = await wait_steps(a, number + 1)
        [summary] = await fake_slack.wait_for(
            lambda c: c.method == "chat.postMessage" and "Summary:" in c.text
        )
        assert "Score:* 100% over 5 scored answers" in summary.text

        # The same click delivered to both processes at once moves the run once.
        _, step = await start(a, "principles")
        before = len(step_posts(a))
        await asyncio.gather(click_option(a, step, "No"), click_option(b, step, "No"))
        await wait_steps(a, before + 1)
        await asyncio.sleep(1.0)
        assert len(step_posts(a)) == before + 1
        told = [c for c in fake_slack.responses() if "already been answered" in c.text]
        assert len(told) == 1
    finally:
        await session.close()
        codes = await stop_processes(first, second)
    assert codes == [0, 0]  # SIGTERM is a clean stop
    assert CHANNEL


async def test_the_socket_mode_process_answers_over_the_websocket(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_APP_TOKEN": "xapp-1-test",
        "SLACK_API_URL": fake_slack.api_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'socket.db'}",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("SLACK_SIGNING_SECRET", None)  # Socket Mode needs no public endpoint, so no signing secret
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        from urllib.parse import parse_qsl

        from bot import payloads

        form = payloads.slash_command(
            "/principle",
            "9",
            team_id="T1",
            channel_id="C1",
            user_id="U1",
            response_url=fake_slack.response_url("s"),
        )
        ack = await fake_slack.send_envelope("slash_commands", dict(parse_qsl(form)), within=30)
        assert "Spend money wisely to secure effective and efficient services" in json.dumps(ack)
        assert [c.token for c in fake_slack.api_calls("apps.connections.open")] == ["xapp-1-test"]
    finally:
        assert await stop_processes(process) == [0]
