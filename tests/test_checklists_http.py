"""Guided checklists end to end over signed HTTP: a full run, restarts, double clicks, bad input."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from sqlalchemy import update

from bot.fakeslack import FakeSlack
from services.db import checklist_runs
from tests.checklist_helpers import (
    answer_every_step,
    click_option,
    ephemerals,
    latest_step,
    parent_updates,
    reply_in_thread,
    start,
    step_posts,
    wait_steps,
)
from tests.slack import CHANNEL, TEAM, USER, RunningApp, button, start_app

OTHER = "U0COLLEAGUE"
ROOT = Path(__file__).resolve().parent.parent


async def test_checklist_lists_the_checklists_with_start_buttons(app: RunningApp) -> None:
    response, _ = await app.command("/checklist")
    shown = response.shown
    assert response.json["response_type"] == "ephemeral"
    for title in (
        "Self-check against the ten commissioning principles",
        "Review against the four NOS functions",
        "Service-quality check against the national minimum standards",
    ):
        assert title in shown
    starts = [b for b in (blk.get("accessory") for blk in response.json["blocks"]) if b]
    assert [b["value"] for b in starts] == ["principles", "nos", "quality"]


async def test_a_full_run_ends_in_a_summary_with_gaps_and_score(app: RunningApp) -> None:
    parent, step = await start(app)
    assert "Self-check against the ten commissioning principles" in parent.text
    assert f"Started by <@{USER}>" in parent.text and "Progress: 0 of 10 steps" in parent.text
    assert "Step 1 of 10" in step.text
    assert "Put the needs of children, young people and families first" in step.text  # the principle, quoted
    answers = ["Yes", "Partly", "Yes", "No", "Yes", "Not sure", "Yes", "Yes", "Partly", "Yes"]
    for number, label in enumerate(answers, start=1):
        user = USER if number % 2 else OTHER  # anyone in the channel may answer
        await click_option(app, step, label, user=user)
        if number < len(answers):
            step = await wait_steps(app, number + 1)
            assert f"Step {number + 1} of 10" in step.text
    [summary] = await app.fake.wait_for(lambda c: c.method == "chat.postMessage" and "Summary:" in c.text)
    assert summary.payload["thread_ts"] == parent.result["ts"]
    text = summary.text
    assert "Gaps to work on (3)" in text
    assert (
        "Work in partnership to maximise effectiveness and reduce barriers to services." in text
    )  # No on principle 4
    assert "Provide leadership for commissioning at the highest level in the system." in text  # Partly on 2
    assert f"*Partly* (<@{OTHER}>)" in text and f"*Yes* (<@{USER}>)" in text
    # 6 Yes, 2 Partly, 1 No scored; Not sure is not: (6 + 1) / 9 = 78%
    assert "Score:* 78% over 9 scored answers" in text
    finals = parent_updates(app, parent)
    assert "Complete: 10 of 10 steps" in finals[-1].text and "Score 78%" in finals[-1].text
    # each answered step message now shows the answer and who gave it, with no buttons
    answered = [c for c in app.fake.api_calls("chat.update") if "answered by" in c.text]
    assert len(answered) == 10
    assert all("checklist_answer" not in str(c.payload.get("blocks")) for c in answered)


async def test_typed_replies_answer_skip_go_back_and_add_notes(app: RunningApp) -> None:
    parent, _ = await start(app)
    await reply_in_thread(app, parent, "yes")
    await wait_steps(app, 2)
    await reply_in_thread(app, parent, "note: the cabinet member chairs our board")
    notes = await app.fake.wait_for(lambda c: c.method == "chat.postEphemeral")
    # typed right after answering step 1: it is about step 1, with a button to put it on step 2 instead
    assert "Noted on step 1" in notes[0].text and notes[0].payload["user"] == USER
    _, key = await app.click(button(notes[0].payload, "Move it to step 2"), is_ephemeral=True)
    [moved] = await app.fake.wait_for(lambda c: c.method == key)
    assert "Moved your note to step 2" in moved.text
    run = (await app.deps.runs.open_runs("T0TESTTEAM", CHANNEL))[0]
    assert [(n.step_id, n.text) for n in await app.deps.runs.notes(run.id)] == [
        ("p2", "the cabinet member chairs our board")
    ]
    await reply_in_thread(app, parent, "Partly")
    await wait_steps(app, 3)
    await reply_in_thread(app, parent, "back")
    step = await wait_steps(app, 4)
    assert "Step 2 of 10" in step.text  # asked again, saying what it had
    assert f"Answered *Partly* by <@{USER}> before" in step.text
    assert all("before: answer again" not in s.text for s in step_posts(app)[:3])  # first askings say nothing
    await reply_in_thread(app, parent, "skip")
    step = await wait_steps(app, 5)
    assert "Step 3 of 10" in step.text
    answers = await app.deps.runs.answers((await app.deps.runs.open_runs("T0TESTTEAM", CHANNEL))[0].id)
    assert {k: v.value for k, v in answers.items()} == {"p1": "yes", "p2": "skipped"}


async def test_an_answer_with_a_note_records_both_and_an_empty_note_asks_for_its_text(
    app: RunningApp,
) -> None:
    parent, _ = await start(app)
    await reply_in_thread(app, parent, "note:")
    [told] = await app.fake.wait_for(lambda c: c.method == "chat.postEphemeral")
    assert "That note is empty" in told.text
    await reply_in_thread(app, parent, "Partly, only for the under-fives so far")
    await wait_steps(app, 2)
    told_both = await app.fake.wait_for(lambda c: c.method == "chat.postEphemeral", count=2)
    assert "Noted on step 1" in told_both[1].text
    assert "Recorded *Partly* as its answer: reply *back* to change it" in told_both[1].text
    run = (await app.deps.runs.open_runs("T0TESTTEAM", CHANNEL))[0]
    assert {k: v.value for k, v in (await app.deps.runs.answers(run.id)).items()} == {"p1": "partly"}
    assert [n.text for n in await app.deps.runs.notes(run.id)] == ["only for the under-fives so far"]


async def test_a_note_is_kept_as_typed_not_as_slack_escapes_it(app: RunningApp) -> None:
    """Slack sends "&" as "&amp;": the note keeps what was typed, and shows it once escaped, never "&amp;amp;"."""
    parent, _ = await start(app)
    await reply_in_thread(app, parent, "note: health &amp; social care &lt;5s only")
    [told] = await app.fake.wait_for(
        lambda c: c.method == "chat.postEphemeral" and "Noted on step 1" in c.text
    )
    run = (await app.deps.runs.open_runs("T0TESTTEAM", CHANNEL))[0]
    assert [n.text for n in await app.deps.runs.notes(run.id)] == ["health & social care <5s only"]
    assert "&amp;amp;" not in str(told.payload)


async def test_a_skipped_step_says_who_skipped_it_and_a_long_note_says_it_was_cut(app: RunningApp) -> None:
    parent, _ = await start(app)
    await reply_in_thread(app, parent, "note: " + "x" * 3500)
    await app.fake.wait_for(lambda c: c.method == "chat.postEphemeral" and "Noted on step 1" in c.text)
    told = [c for c in app.fake.calls if c.method == "chat.postEphemeral"][-1]
    assert "Only its first 3,000 characters are kept" in told.text
    await reply_in_thread(app, parent, "skip")
    await wait_steps(app, 2)
    [skipped] = await app.fake.wait_for(lambda c: c.method == "chat.update" and "Skipped by" in c.text)
    assert f"Skipped by <@{USER}>" in skipped.text and "answered by" not in skipped.text


async def test_a_reply_that_matches_nothing_is_explained_privately_and_changes_nothing(
    app: RunningApp,
) -> None:
    parent, _ = await start(app)
    await reply_in_thread(app, parent, "maybe on tuesdays <!channel>")
    [told] = await app.fake.wait_for(lambda c: c.method == "chat.postEphemeral")
    assert "I didn't recognise “maybe on tuesdays &lt;!channel&gt;” as an answer to step 1" in told.text
    assert "Yes, Partly, No, Not sure" in told.text.replace("*", "")
    await asyncio.sleep(0.2)
    assert len(step_posts(app)) == 1


async def test_the_same_click_twice_at_once_records_one_answer_and_posts_one_next_step(
    app: RunningApp,
) -> None:
    _, step = await start(app)
    await asyncio.gather(*(click_option(app, step, "Yes") for _ in range(3)))
    await wait_steps(app, 2)
    await asyncio.sleep(0.5)
    assert len(step_posts(app)) == 2
    told = [p for p in ephemerals(app) if "already been answered" in str(p.get("text"))]
    assert len(told) == 2
    run = (await app.deps.runs.open_runs("T0TESTTEAM", CHANNEL))[0]
    assert run.step_index == 1
    assert list(await app.deps.runs.answers(run.id)) == ["p1"]


async def test_a_stale_button_from_an_old_step_changes_nothing(app: RunningApp) -> None:
    _, first = await start(app)
    await click_option(app, first, "Yes")
    await wait_steps(app, 2)
    key = await click_option(app, first, "No")
    [told] = await app.fake.wait_for(lambda c: c.method == key)
    assert told.payload["response_type"] == "ephemeral" and told.payload["replace_original"] is False
    assert "already been answered" in told.text
    run = (await app.deps.runs.open_runs("T0TESTTEAM", CHANNEL))[0]
    assert (await app.deps.runs.answers(run.id))["p1"].value == "yes"


async def test_malformed_and_unknown_actions_get_a_clear_private_reply(app: RunningApp) -> None:
    for value in ("not-a-value", "no-such-run|0|yes", "||"):
        fake_button = {
            "action_id": "checklist_answer:yes",
            "value": value,
            "text": {"type": "plain_text", "text": "Yes"},
        }
        _, key = await app.click(fake_button)
        [told] = await app.fake.wait_for(lambda c, k=key: c.method == k)
        assert told.payload["response_type"] == "ephemeral"
        assert "/checklist" in told.text
    assert app.fake.api_calls("chat.postMessage") == []


async def test_cancel_then_clicks_and_replies_are_refused(app: RunningApp) -> None:
    parent, step = await start(app)
    await click_option(app, step, "Cancel checklist")
    await app.fake.wait_for(lambda c: c.method == "chat.postMessage" and "cancelled this checklist" in c.text)
    assert "Cancelled by" in parent_updates(app, parent)[-1].text
    key = await click_option(app, step, "Yes")
    [told] = await app.fake.wait_for(lambda c: c.method == key)
    assert "This checklist was cancelled" in told.text
    await reply_in_thread(app, parent, "yes")
    [again] = await app.fake.wait_for(lambda c: c.method == "chat.postEphemeral")
    assert "This checklist was cancelled" in again.text


async def test_a_restart_mid_run_loses_nothing(fake_slack: FakeSlack, sqlite_url: str) -> None:
    first = await start_app(fake_slack, sqlite_url)
    _, step = await start(first)
    for number in (1, 2, 3):
        await click_option(first, step, "Yes")
        step = await wait_steps(first, number + 1)
    await first.stop()  # the process goes away mid-run
    second = await start_app(fake_slack, sqlite_url)  # a new process, the same database
    try:
        await click_option(second, step, "No")  # the old message's button still works
        step = await wait_steps(second, 5)
        assert "Step 5 of 10" in step.text
        run = (await second.deps.runs.open_runs("T0TESTTEAM", CHANNEL))[0]
        assert [a.value for a in (await second.deps.runs.answers(run.id)).values()] == [
            "yes",
            "yes",
            "yes",
            "no",
        ]
    finally:
        await second.stop()


async def test_status_lists_open_runs_and_show_current_step_points_to_it(app: RunningApp) -> None:
    _parent, first = await start(app)
    _, key = await app.command("/checklist", "status")
    [status] = await app.fake.wait_for(lambda c: c.method == key)
    assert "Self-check against the ten commissioning principles" in status.text
    assert "0 of 10 steps" in status.text and "console.example/archives" in status.text
    assert "Started by <@U0TESTUSER> just now" in status.text and "no answers yet" in status.text
    resume = button(status.payload, "Show current step")
    _, shown = await app.click(resume)
    [told] = await app.fake.wait_for(lambda c: c.method == shown)
    # a link to the step already in the thread, not a second copy of it with live buttons
    assert "Step 1 of 10 is waiting in the thread" in told.text
    assert first.result["ts"].replace(".", "") in told.text
    await asyncio.sleep(0.3)
    assert len(step_posts(app)) == 1
    # a step that never reached the thread (Slack failed) is posted
    [run] = await app.deps.runs.open_runs(TEAM, CHANNEL)
    async with app.deps.store.engine.begin() as conn:
        await conn.execute(update(checklist_runs).values(step_ts=None))
    await app.click(resume)
    await wait_steps(app, 2)
    assert "Step 1 of 10" in latest_step(app).text
    assert run.id


async def test_runs_left_too_long_are_closed_with_a_note(app: RunningApp) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from services.db import checklist_runs
    from services.storage import now

    parent, _ = await start(app)
    async with app.deps.store.engine.begin() as conn:
        await conn.execute(update(checklist_runs).values(updated_at=now() - timedelta(days=8)))
    _, key = await app.command("/checklist", "status")
    await app.fake.wait_for(lambda c: c.method == key)
    [note] = await app.fake.wait_for(
        lambda c: c.method == "chat.postMessage" and "closed because nobody answered" in c.text
    )
    assert note.payload["thread_ts"] == parent.result["ts"]
    assert "Closed after a long time without answers" in parent_updates(app, parent)[-1].text
    assert await app.deps.runs.open_runs("T0TESTTEAM", CHANNEL) == []


async def test_the_results_can_be_exported_as_a_file_in_the_thread(app: RunningApp) -> None:
    app.fake.users[USER] = "Priya Shah"
    parent, step = await start(app, "nos")
    summary = await answer_every_step(app, step, ["Yes", "No", "Partly", "Yes", "Not sure"])
    export = button(summary.payload, "Export")
    pressed = {"block_id": "summary_actions", "is_ephemeral": False, "message_ts": "1700000000.000950"}
    await app.click(export, **pressed)  # type: ignore[arg-type]
    [done] = await app.fake.wait_for(lambda c: c.method == "files.completeUploadExternal")
    assert done.payload.get("thread_ts") == parent.result["ts"]
    [content] = app.fake.files.values()
    document = content.decode()
    assert document.startswith("# Review against the four NOS functions")
    assert "| 2 | Function 1 (engage)" in document and "| No | Priya Shah |" in document
    assert USER not in document  # who answered, by the name they go by in Slack
    assert "## Gaps to work on" in document
    assert "Engage individuals, families, colleagues and communities" in document
    # pressing Export again says where the file is, rather than nothing, and does not upload it twice
    _, key = await app.click(export, **pressed)  # type: ignore[arg-type]
    [told] = await app.fake.wait_for(lambda c: c.method == key)
    assert "already exported in the thread" in told.text and ".md" in told.text
    assert len(app.fake.files) == 1


async def test_a_private_channel_the_app_is_not_in_gets_told_how_to_invite_it(app: RunningApp) -> None:
    app.fake.errors["chat.postMessage"] = "not_in_channel"
    _, key = await app.command("/checklist", "principles", channel="G0PRIVATE")
    [told] = await app.fake.wait_for(lambda c: c.method == key)
    assert "/invite @Commissioning Guide" in told.text
    assert told.payload["response_type"] == "ephemeral"
    assert await app.deps.runs.open_runs("T0TESTTEAM", "G0PRIVATE") == []


async def test_an_unknown_checklist_name_says_what_exists(app: RunningApp) -> None:
    response, _ = await app.command("/checklist", "banana")
    assert "There is no checklist called “banana”" in response.shown
    assert "`principles`" in response.shown


async def test_export_by_short_run_id_from_the_command_line(app: RunningApp, sqlite_url: str) -> None:
    _, step = await start(app, "nos")
    await click_option(app, step, "No")
    await wait_steps(app, 2)
    run = (await app.deps.runs.open_runs("T0TESTTEAM", CHANNEL))[0]

    async def export(reference: str) -> tuple[int, str, str]:
        env = {**os.environ, "DATABASE_URL": sqlite_url.replace("+aiosqlite", "")}
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "export",
            reference,
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), 60)
        return process.returncode or 0, out.decode(), err.decode()

    code, out, err = await export(run.id[:8])
    assert code == 0, err
    assert out.startswith("# Review against the four NOS functions (open)")
    assert "| 1 | Key purpose:" in out and "| No |" in out
    code, _, err = await export("00000000")
    assert code == 1 and "No checklist run '00000000'" in err


async def test_an_install_without_users_read_still_exports_with_user_ids(app: RunningApp) -> None:
    app.fake.errors["users.info"] = "missing_scope"  # installed before the app asked for users:read
    _, step = await start(app, "nos")
    summary = await answer_every_step(app, step, ["Yes"] * 5)
    await app.click(
        button(summary.payload, "Export"),
        block_id="summary_actions",
        is_ephemeral=False,
        message_ts="1.000950",
    )
    await app.fake.wait_for(lambda c: c.method == "files.completeUploadExternal")
    [content] = app.fake.files.values()
    assert f"| Yes | {USER} |" in content.decode()


async def test_a_failed_export_can_be_tried_again(app: RunningApp) -> None:
    _, step = await start(app, "nos")
    summary = await answer_every_step(app, step, ["Yes"] * 5)
    export = button(summary.payload, "Export")
    app.fake.errors["files.getUploadURLExternal"] = "not_in_channel"
    _, key = await app.click(
        export, block_id="summary_actions", is_ephemeral=False, message_ts="1700000000.000900"
    )
    [told] = await app.fake.wait_for(lambda c: c.method == key)
    assert "/invite @Commissioning Guide" in told.text
    del app.fake.errors["files.getUploadURLExternal"]  # someone invites the app, then tries again
    await app.click(export, block_id="summary_actions", is_ephemeral=False, message_ts="1700000000.000900")
    await app.fake.wait_for(lambda c: c.method == "files.completeUploadExternal")


async def test_conversation_in_a_finished_checklist_thread_is_left_alone(app: RunningApp) -> None:
    parent, step = await start(app)
    await click_option(app, step, "Cancel checklist")
    await app.fake.wait_for(lambda c: c.method == "chat.postMessage" and "cancelled this checklist" in c.text)
    await reply_in_thread(app, parent, "great session everyone, thanks all")
    await reply_in_thread(app, parent, "yes, thanks all")  # reads like an answer with a note: still chat
    await asyncio.sleep(0.4)
    assert app.fake.api_calls("chat.postEphemeral") == []
