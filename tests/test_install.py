"""One deployment for many workspaces: the OAuth install flow against the stand-in, a token per workspace."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlparse

import pytest

from bot.fakeslack import FakeSlack
from bot.manifest import load_manifest
from bot.oauth import BOT_SCOPES
from bot.payloads import message_event
from tests.checklist_helpers import start
from tests.slack import RunningApp, new_ts, start_oauth_app


@pytest.fixture
async def app(fake_slack: FakeSlack, sqlite_url: str) -> AsyncIterator[RunningApp]:
    running = await start_oauth_app(fake_slack, sqlite_url)
    yield running
    await running.stop()


async def install(app: RunningApp, team: str) -> str:
    """Go through the install flow for `team` as a person's browser would; returns the success page."""
    async with app.session.get(app.base_url.rstrip("/") + "/slack/install") as resp:
        assert resp.status == 200
        page = await resp.text()
        # Bolt binds the state to this browser with a Secure cookie; a browser sends it back over HTTPS.
        cookie = resp.headers["Set-Cookie"].split(";")[0]
    link = re.search(r'href="([^"]+/oauth/v2/authorize\?[^"]+)"', page)
    assert link is not None, page
    query = parse_qs(urlparse(link.group(1).replace("&amp;", "&")).query)
    assert query["client_id"] == ["123.456"]
    assert set(query["scope"][0].split(",")) == set(BOT_SCOPES)
    state = query["state"][0]
    url = app.base_url.rstrip("/") + f"/slack/oauth_redirect?code=team:{team}&state={state}"
    async with app.session.get(url, headers={"Cookie": cookie}) as resp:
        assert resp.status == 200, await resp.text()
        return await resp.text()


def test_the_install_asks_for_the_manifests_scopes() -> None:
    assert set(BOT_SCOPES) == set(load_manifest()["oauth_config"]["scopes"]["bot"])


async def test_each_installed_workspace_is_served_with_its_own_token(app: RunningApp) -> None:
    await install(app, "T0AAAA")
    await install(app, "T0BBBB")
    for team in ("T0AAAA", "T0BBBB"):
        response, _ = await app.command("/principle", "9", team=team)
        assert "Spend money wisely" in response.shown
        await app.event(
            message_event(
                "value for money", channel="D0DM", user="U1", ts=new_ts(), team_id=team, channel_type="im"
            ),
            team=team,
        )
    posts = await app.fake.wait_for(lambda c: c.method == "chat.postMessage", count=2)
    assert sorted(p.token for p in posts) == ["xoxb-T0AAAA-token", "xoxb-T0BBBB-token"]


async def test_a_workspace_that_has_not_installed_is_not_served(app: RunningApp) -> None:
    response, key = await app.command("/principle", "9", team="T0NOTYET")
    assert "Spend money wisely" not in response.text
    [told] = await app.fake.wait_for(
        lambda c: c.method == key
    )  # privately, through the command's response_url
    assert "Commissioning Guide isn't installed in this workspace yet" in told.text


async def test_a_forged_or_stale_install_state_is_refused(app: RunningApp) -> None:
    async with app.session.get(
        app.base_url.rstrip("/") + "/slack/oauth_redirect?code=team:T0EVIL&state=forged"
    ) as resp:
        assert resp.status in (400, 401, 403) or "error" in (await resp.text()).lower()
    response, _ = await app.command("/principle", "9", team="T0EVIL")
    assert "Spend money wisely" not in response.text


async def test_checklist_runs_are_kept_apart_per_workspace(app: RunningApp) -> None:
    await install(app, "T0AAAA")
    await install(app, "T0BBBB")
    await start(app, "nos", team="T0AAAA")
    assert len(await app.deps.runs.open_runs("T0AAAA", "C0TESTCHAN")) == 1
    assert await app.deps.runs.open_runs("T0BBBB", "C0TESTCHAN") == []
