"""A checklist run is touched only from its own workspace (or Grid organisation) and channel: a signed payload
from anywhere else, carrying the run's id, gets a short private refusal and changes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bot.fakeslack import FakeSlack
from services.checklist_store import Place, Run
from tests.checklist_helpers import click_option, start, wait_steps
from tests.slack import CHANNEL, TEAM, RunningApp, button, new_ts, start_oauth_app
from tests.test_install import install

REFUSAL = "belongs to another channel or workspace"


def _run(team: str = "T1", enterprise: str | None = None, channel: str = "C1") -> Run:
    stamp = datetime.now(UTC)
    return Run(
        id="r",
        team_id=team,
        enterprise_id=enterprise,
        channel_id=channel,
        thread_ts=None,
        step_ts=None,
        checklist_id="principles",
        started_by="U1",
        status="open",
        step_index=0,
        created_at=stamp,
        updated_at=stamp,
        closed_by=None,
        checklist_version=None,
        reminded_at=None,
    )


def test_a_run_belongs_to_its_own_workspace_and_channel() -> None:
    run = _run()
    assert run.belongs_to(Place("T1", None, "C1"))
    assert not run.belongs_to(Place("T2", None, "C1"))  # another workspace, the same channel id
    assert not run.belongs_to(Place("T1", None, "C2"))  # another channel
    grid = _run(team="T1", enterprise="E1")
    # In a Grid organisation, a shared channel's members press buttons from their own workspace.
    assert grid.belongs_to(Place("T9", "E1", "C1"))
    assert not grid.belongs_to(Place("T1", "E2", "C1"))  # another organisation
    assert not grid.belongs_to(Place("T1", None, "C1"))


async def _press(app: RunningApp, step_payload: dict[str, object], label: str, **where: str) -> str:
    """Press a button of a posted message as someone else, somewhere else; returns the response_url key."""
    _, key = await app.click(
        button(step_payload, label), message_ts=new_ts(), is_ephemeral=False, block_id="x", **where
    )
    return key


async def test_buttons_from_another_channel_change_nothing(app: RunningApp) -> None:
    """Over HTTP and Socket Mode: answer, skip, cancel and Show current step with the run's ids, pressed in
    another channel of the same workspace."""
    _parent, first = await start(app)
    [run] = await app.deps.runs.open_runs(TEAM, CHANNEL)
    posts_before = len(app.fake.api_calls("chat.postMessage"))
    for label in ("Yes", "Skip", "Cancel checklist"):
        key = await _press(app, first.payload, label, channel="C0OTHER")
        [told] = await app.fake.wait_for(lambda c, k=key: c.method == k)
        assert REFUSAL in told.text
        assert told.payload["response_type"] == "ephemeral"
    # the run is untouched: still open at step 1 with no answers, nothing posted or updated for the others
    after = await app.deps.runs.get(run.id)
    assert after is not None and after.is_open and after.step_index == 0
    assert await app.deps.runs.answers(run.id) == {}
    assert len(app.fake.api_calls("chat.postMessage")) == posts_before
    assert app.fake.api_calls("chat.update") == []
    # and in its own channel the same button still works
    await click_option(app, first, "Yes")
    await wait_steps(app, 2)


@pytest.fixture
async def two_workspaces(fake_slack: FakeSlack, sqlite_url: str) -> AsyncIterator[RunningApp]:
    running = await start_oauth_app(fake_slack, sqlite_url)
    await install(running, "T0AAAA")
    await install(running, "T0BBBB")
    yield running
    await running.stop()


async def test_another_workspace_cannot_answer_cancel_show_or_export_a_run(
    two_workspaces: RunningApp,
) -> None:
    app = two_workspaces
    _parent, first = await start(app, "principles", team="T0AAAA")
    [run] = await app.deps.runs.open_runs("T0AAAA", CHANNEL)
    # Workspace B's channel happens to have the same id (ids are only unique within a workspace).
    for label in ("Yes", "Cancel checklist"):
        key = await _press(app, first.payload, label, team="T0BBBB")
        [told] = await app.fake.wait_for(lambda c, k=key: c.method == k)
        assert REFUSAL in told.text
    resume = {
        "action_id": "checklist_resume",
        "value": run.id,
        "text": {"type": "plain_text", "text": "Show"},
    }
    export = {
        "action_id": "checklist_export",
        "value": run.id,
        "text": {"type": "plain_text", "text": "Export"},
    }
    for forged in (resume, export):
        _, key = await app.click(forged, team="T0BBBB")
        [told] = await app.fake.wait_for(lambda c, k=key: c.method == k)
        assert REFUSAL in told.text
    after = await app.deps.runs.get(run.id)
    assert after is not None and after.is_open and after.step_index == 0
    assert await app.deps.runs.answers(run.id) == {}
    # Workspace B's token was never used on workspace A's run: no post, update or upload with it.
    used_by_b = [c for c in app.fake.calls if c.kind == "api" and c.token == "xoxb-T0BBBB-token"]
    assert [c.method for c in used_by_b if c.method != "auth.test"] == []
    assert app.fake.api_calls("files.getUploadURLExternal") == []
