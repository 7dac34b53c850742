"""Slack slow, failing or refusing, and requests forged, replayed or oversized: each gives a clear outcome, and
nothing is lost or done twice."""

from __future__ import annotations

import asyncio
import io
import json
import signal
import sys
from typing import Any

import pytest

from bot import payloads
from bot.fakeslack import FakeSlack
from bot.manifest import load_manifest
from tests.checklist_helpers import click_option, ephemerals, start, step_posts, wait_steps
from tests.processes import ROOT, free_port, serve_app, stop_processes
from tests.slack import CHANNEL, SECRET, TEAM, USER, RunningApp, eventually, new_ts, start_app
from tests.test_questions_http import dm, mention

PRINCIPLE_9 = "Spend money wisely"


def answers_posted(fake: FakeSlack, words: str = PRINCIPLE_9) -> list[Any]:
    return [c for c in fake.api_calls("chat.postMessage") if c.result.get("ok") and words in c.text]


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()]


# --- 4. Posted once ------------------------------------------------------------------------------------------


async def test_a_slow_post_that_outlives_its_attempt_is_not_posted_twice(
    fake_slack: FakeSlack, sqlite_url: str
) -> None:
    """Slack takes longer to answer chat.postMessage than the worker waits (it gives up at half the lease), so
    the job is tried again: the retry finds the first answer in the thread by its metadata and posts nothing."""
    app = await start_app(fake_slack, sqlite_url, answer_lease_seconds=2.0)
    try:
        fake_slack.delays["chat.postMessage"] = 1.6  # longer than the 1 s the worker waits
        ts = new_ts()
        fake_slack.add_message(CHANNEL, "<@U0GUIDEBOT> what is principle 9?", user=USER, ts=ts)
        await app.event(mention("what is principle 9?", ts=ts))
        await fake_slack.wait_for(lambda c: c.method == "conversations.replies", within=20)
        await eventually(app.deps.store.jobs.depth, lambda n: n == 0, within=20)
        lookups = fake_slack.api_calls("conversations.replies")
        assert lookups and lookups[-1].payload["ts"] == ts  # the retry looked in the thread first
        [answer] = answers_posted(fake_slack)
        assert answer.payload["metadata"]["event_payload"] == {"question_ts": ts}
        stored = [m for m in fake_slack.messages[CHANNEL] if PRINCIPLE_9 in str(m.get("blocks"))]
        assert len(stored) == 1
    finally:
        await app.stop()


async def test_a_process_killed_while_posting_does_not_post_the_answer_twice(
    fake_slack: FakeSlack, sqlite_url: str
) -> None:
    """SIGKILL mid-post: the post reached Slack, the job was never marked done. The next process takes the job
    when its lease runs out, finds the answer already in the conversation, and posts nothing."""
    fake_slack.delays["chat.postMessage"] = 5.0
    db = sqlite_url.replace("sqlite+aiosqlite:///", "sqlite:///")
    first, base = await serve_app(db, fake_slack.api_url, SECRET, ANSWER_LEASE_SECONDS="2")
    ts = new_ts()
    fake_slack.add_message("D0DIRECT", "what is principle 9?", user=USER, ts=ts)
    body = payloads.event_callback(dm("what is principle 9?", ts=ts), team_id=TEAM)
    async with __import__("aiohttp").ClientSession() as session:
        headers = payloads.signed_headers(SECRET, body, payloads.JSON)
        async with session.post(base + "/slack/events", data=body, headers=headers) as resp:
            assert resp.status == 200
    await fake_slack.wait_for(lambda c: c.method == "chat.postMessage", within=20)
    first.send_signal(signal.SIGKILL)  # while Slack is still "answering" the post
    await first.wait()
    fake_slack.delays.clear()
    second, _ = await serve_app(db, fake_slack.api_url, SECRET, ANSWER_LEASE_SECONDS="2")
    try:
        await fake_slack.wait_for(lambda c: c.method == "conversations.history", within=20)
        await asyncio.sleep(1.0)
        assert len(answers_posted(fake_slack)) == 1
        assert len([m for m in fake_slack.messages["D0DIRECT"] if m.get("bot_id")]) == 1
    finally:
        await stop_processes(second)


# --- 5. Faults give clear outcomes ---------------------------------------------------------------------------


async def test_an_html_503_from_slack_keeps_the_answer_and_says_so(
    app: RunningApp, caplog: pytest.LogCaptureFixture
) -> None:
    """Slack's edge answers chat.update with an HTML error page: the answer is saved, the person is told in
    words, and the next step still arrives; no traceback anywhere."""
    _parent, first = await start(app)
    app.fake.server_errors["chat.update"] = 1
    key = await click_option(app, first, "Yes")
    [told] = await app.fake.wait_for(lambda c: c.method == key)
    assert "Your answer to step 1 is recorded" in told.text
    assert "Slack didn't answer properly" in told.text
    [run] = await app.deps.runs.open_runs(TEAM, CHANNEL)
    assert (await app.deps.runs.answers(run.id))["p1"].value == "yes"
    assert tracebacks(caplog) == []


async def test_an_html_503_to_the_answer_worker_is_retried_and_answered_once(
    fake_slack: FakeSlack, sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = await start_app(fake_slack, sqlite_url, answer_lease_seconds=2.0)
    try:
        fake_slack.server_errors["chat.postMessage"] = 1
        for question in ("what is principle 9?", "when do the NOS launch?"):
            await app.event(dm(question, ts=new_ts()))
        await fake_slack.wait_for(lambda c: c.method == "chat.postMessage" and c.result.get("ok"), count=2)
        await eventually(app.deps.store.jobs.depth, lambda n: n == 0, within=20)
        assert len(answers_posted(fake_slack)) == 1
        assert len(answers_posted(fake_slack, "NOS")) >= 1  # the worker went on leasing
        assert tracebacks(caplog) == []
    finally:
        await app.stop()


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("postgresql://postgres@127.0.0.1:5432/commissioning_guide_no_such_db", "createdb"),
        (f"postgresql://postgres@127.0.0.1:{free_port()}/x", "nothing is listening"),
        ("sqlite:////no/such/folder/guide.db", "does not exist"),
    ],
)
async def test_a_database_that_cannot_be_used_at_start_is_named_in_one_line(url: str, says: str) -> None:
    env = {"DATABASE_URL": url, "SLACK_BOT_TOKEN": "", "SLACK_APP_TOKEN": "", "PATH": "/usr/bin:/bin"}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "console",
        cwd=ROOT,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _out, err = await asyncio.wait_for(process.communicate(), 60)
    lines = err.decode().strip().splitlines()
    assert process.returncode == 4
    assert len(lines) == 1, lines
    assert lines[0].startswith("Database error: DATABASE_URL=") and says in lines[0]


async def test_a_refused_bot_token_fails_readiness_and_users_are_told_in_words(
    http_app: RunningApp,
) -> None:
    http_app.fake.revoked_tokens.add("xoxb-test-token")
    async with http_app.session.get(http_app.base_url.rstrip("/") + "/readyz") as resp:
        assert resp.status == 503
        ready = await resp.json()
    assert ready["checks"]["slack"] is False
    assert "invalid_auth" in ready["slack_problem"] and "xoxb" not in json.dumps(ready)
    response, _ = await http_app.command("/principle", "9")
    assert response.status == 200
    assert "SLACK_BOT_TOKEN" in response.text and PRINCIPLE_9 not in response.text


async def test_unsigned_oversized_and_deeply_nested_bodies_are_refused_before_parsing(
    http_app: RunningApp, caplog: pytest.LogCaptureFixture
) -> None:
    app = http_app
    nested = '{"type":"event_callback","event":' + "[" * 100_000 + "]" * 100_000 + "}"
    unsigned = await app.post(nested, {"Content-Type": payloads.JSON})
    assert unsigned.status == 401
    huge = "payload=" + "x" * (2 * 1024 * 1024)
    headers = payloads.signed_headers(SECRET, huge, payloads.FORM)
    async with app.session.post(app.url, data=io.BytesIO(huge.encode()), headers=headers) as resp:
        assert resp.status == 413
    signed_nested = await app.send(nested, payloads.JSON)  # only Slack can sign: still no crash
    assert signed_nested.status == 400
    assert tracebacks(caplog) == []
    assert app.fake.calls == [] or all(c.method == "auth.test" for c in app.fake.calls)


async def test_a_replayed_signed_slash_command_starts_one_run(http_app: RunningApp) -> None:
    app = http_app
    _key, url = app.response_url()
    body = payloads.slash_command(
        "/checklist", "principles", team_id=TEAM, channel_id=CHANNEL, user_id=USER, response_url=url
    )
    headers = payloads.signed_headers(SECRET, body, payloads.FORM)
    first = await app.post(body, headers)
    again = await app.post(body, headers)  # the same bytes, signature and timestamp, captured and re-sent
    assert first.status == 200 and again.status == 200
    await wait_steps(app, 1)
    await asyncio.sleep(0.5)
    assert len(await app.deps.runs.open_runs(TEAM, CHANNEL)) == 1
    assert len(step_posts(app)) == 1


async def test_a_replayed_slash_command_starts_one_run_across_replicas(
    fake_slack: FakeSlack, sqlite_url: str
) -> None:
    """Two app processes share the database: the same signed command sent to each still starts one run."""
    first = await start_app(fake_slack, sqlite_url)
    second = await start_app(fake_slack, sqlite_url)
    try:
        _key, url = first.response_url()
        body = payloads.slash_command(
            "/checklist", "principles", team_id=TEAM, channel_id=CHANNEL, user_id=USER, response_url=url
        )
        headers = payloads.signed_headers(SECRET, body, payloads.FORM)
        responses = await asyncio.gather(first.post(body, headers), second.post(body, headers))
        assert [r.status for r in responses] == [200, 200]
        await wait_steps(first, 1)
        await asyncio.sleep(0.5)
        assert len(await first.deps.runs.open_runs(TEAM, CHANNEL)) == 1
        assert len(step_posts(first)) == 1
    finally:
        await first.stop()
        await second.stop()


# --- 7. Least privilege, 8. channels the app is not in --------------------------------------------------------

# Every scope the manifest asks for, and what needs it: a scope nothing here needs is a defect.
SCOPE_NEEDS = {
    "app_mentions:read": "the app_mention event",
    "channels:history": "message.channels events (typed checklist replies) and conversations.replies",
    "groups:history": "message.groups events in private channels and conversations.replies there",
    "im:history": "message.im events (direct messages) and conversations.history in them",
    "chat:write": "chat.postMessage, chat.update, chat.postEphemeral",
    "commands": "the slash commands",
    "files:write": "files.uploadV2 for checklist exports",
    "users:read": "users.info for names in exports",
    "channels:read": "member_left_channel: the app removed from a channel, whose tips then stop",
    "groups:read": "member_left_channel in private channels",
}


def test_the_manifest_asks_only_for_scopes_the_code_uses() -> None:
    scopes = set(load_manifest()["oauth_config"]["scopes"]["bot"])
    assert scopes == set(SCOPE_NEEDS), f"unneeded: {scopes - set(SCOPE_NEEDS)}"
    events = set(load_manifest()["settings"]["event_subscriptions"]["bot_events"])
    assert events == {
        "app_mention",
        "message.channels",
        "message.groups",
        "message.im",
        "app_home_opened",
        "app_uninstalled",
        "member_left_channel",
    }
    sources = "\n".join(
        p.read_text() for d in ("bot", "handlers", "services") for p in (ROOT / d).glob("*.py")
    )
    for used in ("files_upload_v2", "users_info", "conversations_replies", "conversations_history"):
        assert used in sources
    for unused in ("conversations_open", "im_open", "conversations_join"):
        assert f"client.{unused}" not in sources


async def test_starting_a_checklist_where_the_app_is_not_a_member_says_to_invite_it(app: RunningApp) -> None:
    app.fake.outside.add(CHANNEL)
    response, key = await app.command("/checklist", "principles")
    assert response.status == 200
    [told] = await app.fake.wait_for(lambda c: c.method == key)
    assert "/invite @Commissioning Guide" in told.text
    assert await app.deps.runs.open_runs(TEAM, CHANNEL) == []  # no run left that nobody can see
    assert ephemerals(app, key)[0]["response_type"] == "ephemeral"


async def test_buttons_on_messages_posted_before_the_unique_action_ids_still_work(app: RunningApp) -> None:
    _parent, first = await start(app)
    [run] = await app.deps.runs.open_runs(TEAM, CHANNEL)
    old_style = {
        "action_id": "checklist_answer",  # as step messages were posted before this version
        "value": f"{run.id}|0|yes",
        "text": {"type": "plain_text", "text": "Yes"},
    }
    await app.click(old_style, message_ts=first.result["ts"], is_ephemeral=False, block_id="step_0")
    await wait_steps(app, 2)
    assert (await app.deps.runs.answers(run.id))["p1"].value == "yes"


async def test_slack_being_slow_does_not_make_the_app_unready(http_app: RunningApp) -> None:
    """Only a token Slack refuses fails readiness: a slow or failing Slack must not take every replica out."""
    http_app.fake.delays["auth.test"] = 6.0
    async with http_app.session.get(http_app.base_url.rstrip("/") + "/readyz") as resp:
        assert resp.status == 200


async def test_a_signature_header_in_any_case_is_not_taken_for_a_replay(http_app: RunningApp) -> None:
    """Two different signed commands, with the header spelled as some proxies pass it on."""
    app = http_app
    for channel in ("C0ONE", "C0TWO"):
        _key, url = app.response_url()
        body = payloads.slash_command(
            "/checklist", "principles", team_id=TEAM, channel_id=channel, user_id=USER, response_url=url
        )
        headers = payloads.signed_headers(SECRET, body, payloads.FORM)
        headers["X-Slack-signature"] = headers.pop("X-Slack-Signature")
        assert (await app.post(body, headers)).status == 200
    await wait_steps(app, 2)
    assert len(await app.deps.runs.open_runs(TEAM, "C0ONE")) == 1
    assert len(await app.deps.runs.open_runs(TEAM, "C0TWO")) == 1


async def test_a_network_failure_talking_to_slack_is_not_reported_as_the_database() -> None:
    import aiohttp

    from bot.app import DATABASE_DOWN, SORRY, handle_error

    told: list[str] = []

    async def respond(**message: Any) -> None:
        told.append(message["text"])

    await handle_error(aiohttp.ClientOSError(104, "reset"), {"response_url": "x", "type": "x"}, respond)
    assert told == [SORRY] and DATABASE_DOWN not in told


async def test_a_held_question_the_database_will_never_take_is_dropped_not_blocking_the_rest() -> None:
    from sqlalchemy.exc import DataError

    from services.held import HeldQuestions
    from services.jobs import Question
    from services.storage import DATABASE_FAILURES, _transient

    saved: list[str] = []

    async def save(key: str, _question: Question) -> bool:
        if key == "bad":
            raise DataError("INSERT", {}, Exception("value too long"))
        saved.append(key)
        return True

    held = HeldQuestions(save, DATABASE_FAILURES, transient=_transient, first_retry=0.01)
    question = Question("T", "C", None, "dm", "text")
    for key in ("bad", "good"):
        assert held.hold(key, question)
    await eventually(lambda: _async(len(held)), lambda n: n == 0, within=5)
    assert saved == ["good"]
    await held.close()


async def _async(value: int) -> int:
    return value


@pytest.mark.parametrize("value", ["nan", "inf", "0.5", "-3"])
def test_a_lease_that_cannot_work_is_refused_at_start(value: str) -> None:
    from services.settings import Settings, SettingsError

    with pytest.raises(SettingsError, match="ANSWER_LEASE_SECONDS"):
        Settings.from_env({"ANSWER_LEASE_SECONDS": value})


def test_the_replay_guard_forgets_the_oldest_past_its_bound() -> None:
    from bot.web import ReplayGuard

    guard = ReplayGuard()
    guard.LIMIT = 3  # type: ignore[misc]
    assert not guard.seen("v0=a") and guard.seen("v0=a")
    for signature in ("v0=b", "v0=c", "v0=d"):
        assert not guard.seen(signature)
    assert len(guard._seen) == 3
    assert not guard.seen("v0=a")  # pushed out by the bound: remembered again now
    assert not guard.seen("")  # no signature is never a replay
