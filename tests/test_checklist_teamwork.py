"""Checklists a team would use twice: notes on the step people mean, a cancel that asks and can be undone, chat
that is not taken for answers, context everywhere, and one reminder. End to end against the Slack stand-in,
over HTTP and Socket Mode."""

from __future__ import annotations

import ast
import asyncio
from datetime import timedelta
from pathlib import Path

from sqlalchemy import update

from knowledge.checklist_engine import Reply, ReplyKind
from services.db import checklist_runs
from services.storage import now
from tests.checklist_helpers import (
    click_option,
    parent_updates,
    reply_in_thread,
    start,
    wait_steps,
)
from tests.slack import CHANNEL, TEAM, USER, RunningApp, button

ROOT = Path(__file__).resolve().parent.parent
OTHER = "U0COLLEAGUE"


def privately(app: RunningApp) -> list[str]:
    """What people were told privately in the thread (chat.postEphemeral), in order."""
    return [c.text for c in app.fake.api_calls("chat.postEphemeral")]


async def told_privately(app: RunningApp, count: int) -> str:
    calls = await app.fake.wait_for(lambda c: c.method == "chat.postEphemeral", count=count)
    return calls[count - 1].text


# --- 1. Notes land where people mean ------------------------------------------------------------------------


async def test_a_note_typed_after_an_answer_is_on_that_step_and_each_note_shows_once(app: RunningApp) -> None:
    parent, first = await start(app)
    await click_option(app, first, "Yes")
    second = await wait_steps(app, 2)
    await click_option(app, second, "Partly")
    await wait_steps(app, 3)
    await reply_in_thread(app, parent, "note: budget agreed at the May board")
    assert "Noted on step 2" in await told_privately(app, 1)
    # the person goes back to step 2 and notes the same again: it stays one note, on step 2
    await reply_in_thread(app, parent, "back")
    await wait_steps(app, 4)
    await reply_in_thread(app, parent, "note: budget agreed at the May board")
    said = await told_privately(app, 2)
    assert "step 2" in said
    [run] = await app.deps.runs.open_runs(TEAM, CHANNEL)
    notes = await app.deps.runs.notes(run.id)
    assert [(n.step_id, n.text) for n in notes] == [("p2", "budget agreed at the May board")]
    # a second note by the same person on the same step replaces theirs; a colleague's is their own
    await reply_in_thread(app, parent, "note: budget agreed, subject to Q3 review")
    assert "Updated your note on step 2" in await told_privately(app, 3)
    await reply_in_thread(app, parent, "note: finance to confirm", user=OTHER)
    await told_privately(app, 4)
    notes = await app.deps.runs.notes(run.id)
    assert sorted((n.user_id, n.text) for n in notes) == [
        (OTHER, "finance to confirm"),
        (USER, "budget agreed, subject to Q3 review"),
    ]


async def test_a_note_can_be_removed_by_typing_or_with_its_button(app: RunningApp) -> None:
    parent, _first = await start(app)
    await reply_in_thread(app, parent, "note: ask the lead member")
    await told_privately(app, 1)
    await reply_in_thread(app, parent, "note: -")
    assert "Removed your note from step 1" in await told_privately(app, 2)
    [run] = await app.deps.runs.open_runs(TEAM, CHANNEL)
    assert await app.deps.runs.notes(run.id) == []
    await reply_in_thread(app, parent, "note: second thoughts")
    await app.fake.wait_for(lambda c: c.method == "chat.postEphemeral", count=3)
    noted = app.fake.api_calls("chat.postEphemeral")[2]
    _, key = await app.click(button(noted.payload, "Remove note"), is_ephemeral=True)
    [removed] = await app.fake.wait_for(lambda c: c.method == key)
    assert "Removed your note from step 1" in removed.text
    assert await app.deps.runs.notes(run.id) == []
    await reply_in_thread(app, parent, "note: -")
    assert "You have no note on this checklist to remove" in await told_privately(app, 4)


# --- 2. Cancel is safe ----------------------------------------------------------------------------------------


async def test_a_typed_cancel_asks_first_and_keep_going_changes_nothing(app: RunningApp) -> None:
    parent, _first = await start(app)
    await reply_in_thread(app, parent, "cancel")
    await app.fake.wait_for(lambda c: c.method == "chat.postEphemeral")
    question = app.fake.api_calls("chat.postEphemeral")[0]
    assert "Cancel this checklist?" in question.text
    _, key = await app.click(button(question.payload, "Keep going"), is_ephemeral=True)
    [gone] = await app.fake.wait_for(lambda c: c.method == key)
    assert gone.payload.get("delete_original") in (True, "true")
    [run] = await app.deps.runs.open_runs(TEAM, CHANNEL)
    assert run.is_open
    # confirming it cancels, and the thread says so with Undo and Export
    _, key = await app.click(button(question.payload, "Cancel checklist"), is_ephemeral=True)
    [cancelled] = await app.fake.wait_for(
        lambda c: c.method == "chat.postMessage" and "cancelled this checklist" in c.text
    )
    assert await app.deps.runs.open_runs(TEAM, CHANNEL) == []
    assert {b["text"]["text"] for b in _buttons(cancelled.payload)} == {"Undo", "Export as Markdown"}
    assert "Cancelled by" in parent_updates(app, parent)[-1].text


async def test_undo_reopens_a_cancelled_run_at_its_step_for_a_while(app: RunningApp) -> None:
    parent, first = await start(app)
    await click_option(app, first, "Yes")
    second = await wait_steps(app, 2)
    await click_option(app, second, "Cancel checklist")
    [cancelled] = await app.fake.wait_for(
        lambda c: c.method == "chat.postMessage" and "cancelled this checklist" in c.text
    )
    undo = button(cancelled.payload, "Undo")
    await app.click(undo, message_ts=cancelled.result["ts"], is_ephemeral=False)
    step = await wait_steps(app, 3)
    assert "Step 2 of 10" in step.text
    [run] = await app.deps.runs.open_runs(TEAM, CHANNEL)
    assert run.step_index == 1 and (await app.deps.runs.answers(run.id))["p1"].value == "yes"
    assert "Progress: 1 of 10 steps" in parent_updates(app, parent)[-1].text
    updated = [c for c in app.fake.api_calls("chat.update") if c.payload.get("ts") == cancelled.result["ts"]]
    assert "undid the cancellation" in updated[-1].text
    # cancelled again, and an Undo pressed too late changes nothing
    await click_option(app, step, "Cancel checklist")
    await app.fake.wait_for(
        lambda c: c.method == "chat.postMessage" and "cancelled this checklist" in c.text, count=2
    )
    async with app.deps.store.engine.begin() as conn:
        await conn.execute(update(checklist_runs).values(updated_at=now() - timedelta(minutes=20)))
    _, key = await app.click(undo, is_ephemeral=False)
    [late] = await app.fake.wait_for(lambda c: c.method == key)
    assert "too late to undo" in late.text
    assert await app.deps.runs.open_runs(TEAM, CHANNEL) == []


# --- 3. Casual talk is not an answer ---------------------------------------------------------------------------


async def test_chat_in_a_busy_thread_is_not_an_answer_and_is_nudged_once(app: RunningApp) -> None:
    parent, _first = await start(app)
    for said in ("y", "lunch anyone?", "y", "see you at 2"):
        await reply_in_thread(app, parent, said)
    await reply_in_thread(app, parent, "y", user=OTHER)
    await asyncio.sleep(0.5)
    [run] = await app.deps.runs.open_runs(TEAM, CHANNEL)
    assert await app.deps.runs.answers(run.id) == {}  # a bare "y" is no answer
    nudges = app.fake.api_calls("chat.postEphemeral")
    assert [c.payload["user"] for c in nudges] == [USER, OTHER]  # once a person a step
    await reply_in_thread(app, parent, "yes")
    await wait_steps(app, 2)
    await reply_in_thread(app, parent, "y")  # a new step: one nudge again
    await app.fake.wait_for(lambda c: c.method == "chat.postEphemeral", count=3)


# --- 4. Context everywhere -------------------------------------------------------------------------------------


async def test_the_chosen_service_shows_on_the_parent_and_in_status(app: RunningApp) -> None:
    parent, first = await start(app, "quality")
    await click_option(app, first, "Fostering service")
    await wait_steps(app, 2)
    assert "About: Fostering service" in parent_updates(app, parent)[-1].text
    _, key = await app.command("/checklist", "status")
    [status] = await app.fake.wait_for(lambda c: c.method == key)
    assert "about *Fostering service*" in status.text
    assert f"last answered by <@{USER}> just now" in status.text


async def test_reply_hints_offer_only_the_moves_a_step_allows(app: RunningApp) -> None:
    _parent, first = await start(app, "quality")
    hint = _hint(first.payload)
    assert "*skip*" not in hint and "*back*" not in hint and "*cancel*" in hint  # step 1 of quality
    await click_option(app, first, "Fostering service")
    second = await wait_steps(app, 2)
    hint = _hint(second.payload)
    assert "*skip*" in hint and "*back*" in hint


async def test_the_export_says_when_by_whom_where_and_which_version(app: RunningApp) -> None:
    app.fake.users.update({USER: "Priya Shah", OTHER: "Sam Jones"})
    parent, first = await start(app, "nos")
    await click_option(app, first, "Yes")
    step = await wait_steps(app, 2)
    await click_option(app, step, "Cancel checklist")
    [cancelled] = await app.fake.wait_for(
        lambda c: c.method == "chat.postMessage" and "cancelled this checklist" in c.text
    )
    await app.click(
        button(cancelled.payload, "Export as Markdown"), message_ts=cancelled.result["ts"], is_ephemeral=False
    )
    [upload] = await app.fake.wait_for(lambda c: c.method == "files.completeUploadExternal")
    [document] = [d.decode() for d in app.fake.files.values()]
    checklist = app.deps.knowledge.current.checklist("nos")
    assert checklist is not None
    for line in (
        "# Review against the four NOS functions (cancelled)",
        "- **Started:** ",
        " by Priya Shah",
        f"- **Channel:** `{CHANNEL}`, [thread](https://console.example/archives/{CHANNEL}/p",
        f"- **Checklist:** `nos`, version {checklist.edition}",
        "| 1 | Key purpose",
        "| Yes | Priya Shah |",
    ):
        assert line in document, line
    assert upload.payload["thread_ts"] == parent.result["ts"]


# --- 5. Reminders ------------------------------------------------------------------------------------------------


async def test_a_waiting_run_gets_one_gentle_reminder_before_it_expires(app: RunningApp) -> None:
    parent, first = await start(app)
    await click_option(app, first, "Yes")
    await wait_steps(app, 2)
    async with app.deps.store.engine.begin() as conn:
        await conn.execute(update(checklist_runs).values(updated_at=now() - timedelta(days=3)))
    kb = app.deps.knowledge.current

    async def client_for(_team: str):  # type: ignore[no-untyped-def]
        return app.app.client

    assert await app.deps.checklists.remind(kb, client_for) == 1
    assert await app.deps.checklists.remind(kb, client_for) == 0  # once
    [reminder] = [c for c in app.fake.api_calls("chat.postMessage") if "waiting at step" in c.text]
    assert reminder.payload["thread_ts"] == parent.result["ts"]
    assert "waiting at step 2 of 10" in reminder.text and "closes in about 4 days" in reminder.text
    _, key = await app.command("/checklist", "status")
    [status] = await app.fake.wait_for(lambda c: c.method == key)
    assert "Started by <@U0TESTUSER> just now" in status.text  # started now; the last change was 3 days ago
    [run] = await app.deps.runs.open_runs(TEAM, CHANNEL)
    assert run.is_open  # a reminder is not activity, and does not close anything


# --- 6. One place for the checklist logic ----------------------------------------------------------------------


def _imports(folder: str) -> set[str]:
    found: set[str] = set()
    for path in (ROOT / folder).glob("*.py"):
        tree = ast.parse(path.read_text())
        found |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        found |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    return {name.split(".")[0] for name in found}


def test_the_folders_depend_one_way() -> None:
    """bot (wiring) -> handlers (Slack surfaces) -> services (checklists, storage) -> knowledge (the domain)."""
    assert not _imports("knowledge") & {"bot", "handlers", "services", "slack_sdk", "slack_bolt"}
    assert not _imports("services") & {"bot", "handlers", "slack_bolt"}
    assert not _imports("handlers") & {"bot"}
    # Bolt's private API in one place only, on the Bolt version it is tested on (tests/test_manifest.py)
    users = [
        p.name
        for d in ("bot", "handlers", "services")
        for p in (ROOT / d).glob("*.py")
        if "_register_listener" in p.read_text()
    ]
    assert users == ["router.py"]


def _buttons(payload: dict[str, object]) -> list[dict[str, object]]:
    from tests.slack import buttons

    return buttons(payload)  # type: ignore[arg-type]


def _hint(payload: dict[str, object]) -> str:
    blocks = payload["blocks"]
    assert isinstance(blocks, list)
    [hint] = [b["elements"][0]["text"] for b in blocks if b["type"] == "context" and "Or reply" in str(b)]
    return str(hint)


# --- found by review: the edges of the rules above ------------------------------------------------------------


async def test_a_note_after_the_run_finished_is_answered_not_dropped(app: RunningApp) -> None:
    parent, first = await start(app, "nos")
    step = first
    for number in range(1, 6):
        await click_option(app, step, "Yes")
        if number < 5:
            step = await wait_steps(app, number + 1)
    await app.fake.wait_for(lambda c: c.method == "chat.postMessage" and "Summary:" in c.text)
    await reply_in_thread(app, parent, "note: budget agreed")
    said = await told_privately(app, 1)
    assert "already complete" in said and "Notes can't be added or changed now" in said


async def test_a_colleagues_answer_does_not_take_my_note(app: RunningApp) -> None:
    parent, first = await start(app)
    await click_option(app, first, "Partly")
    second = await wait_steps(app, 2)
    await click_option(app, second, "Yes", user=OTHER)
    await wait_steps(app, 3)
    await reply_in_thread(app, parent, "note: my note is about what I saw")
    assert "Noted on step 3" in await told_privately(app, 1)  # not on the colleague's step 2


async def test_the_same_words_noted_long_apart_are_two_notes_and_back_then_answer_moves_a_fresh_one(
    app: RunningApp,
) -> None:
    parent, first = await start(app)
    await reply_in_thread(app, parent, "note: see minutes")
    await told_privately(app, 1)
    [run] = await app.deps.runs.open_runs(TEAM, CHANNEL)
    from services.db import checklist_notes

    async with app.deps.store.engine.begin() as conn:  # that note was written an hour ago
        await conn.execute(update(checklist_notes).values(at=now() - timedelta(hours=1)))
    await click_option(app, first, "Yes")
    await wait_steps(app, 2)
    async with app.deps.store.engine.begin() as conn:  # and the answer too, so the note goes on step 2
        from services.db import checklist_answers

        await conn.execute(update(checklist_answers).values(answered_at=now() - timedelta(hours=1)))
    await reply_in_thread(app, parent, "note: see minutes")
    assert "Noted on step 2" in await told_privately(app, 2)
    assert sorted(n.step_id for n in await app.deps.runs.notes(run.id)) == ["p1", "p2"]
    # a note typed on the wrong step, then given again with the answer after going back, moves: one copy
    await reply_in_thread(app, parent, "note: budget tight")  # on step 2 (the current one)
    await told_privately(app, 3)
    await reply_in_thread(app, parent, "back")
    await wait_steps(app, 3)
    await reply_in_thread(app, parent, "Partly, budget tight")
    await wait_steps(app, 4)
    texts = [(n.step_id, n.text) for n in await app.deps.runs.notes(run.id)]
    # one copy, on p1, added to the older note there: a note given with an answer never replaces one
    assert texts == [("p1", "see minutes / budget tight")]


async def test_reminders_skip_closed_and_overdue_runs_and_come_again_after_new_activity(
    app: RunningApp,
) -> None:
    parent, first = await start(app)
    kb = app.deps.knowledge.current

    async def client_for(_team: str):  # type: ignore[no-untyped-def]
        return app.app.client

    async def idle(days: float) -> None:
        async with app.deps.store.engine.begin() as conn:
            await conn.execute(update(checklist_runs).values(updated_at=now() - timedelta(days=days)))

    await idle(10)  # past expiry: it is closed, not reminded
    assert await app.deps.checklists.remind(kb, client_for) == 0
    await idle(3)
    assert await app.deps.checklists.remind(kb, client_for) == 1
    await click_option(app, first, "Yes")  # activity: the next long wait gets its own reminder
    await wait_steps(app, 2)
    await idle(3)
    assert await app.deps.checklists.remind(kb, client_for) == 1
    second = (await app.deps.runs.open_runs(TEAM, CHANNEL))[0]
    await app.deps.runs.apply(second.id, kb.checklist("principles"), 1, Reply(ReplyKind.CANCEL), USER)  # type: ignore[arg-type]
    async with app.deps.store.engine.begin() as conn:
        await conn.execute(
            update(checklist_runs).values(reminded_at=None, updated_at=now() - timedelta(days=3))
        )
    assert await app.deps.checklists.remind(kb, client_for) == 0  # cancelled: no reminder
    assert parent.result["ts"]


async def test_an_old_undo_does_not_undo_a_later_cancellation(app: RunningApp) -> None:
    _parent, first = await start(app)
    await click_option(app, first, "Cancel checklist")
    [cancelled] = await app.fake.wait_for(
        lambda c: c.method == "chat.postMessage" and "cancelled this checklist" in c.text
    )
    old_undo = button(cancelled.payload, "Undo")
    await app.click(old_undo, message_ts=cancelled.result["ts"], is_ephemeral=False)
    step = await wait_steps(app, 2)
    await click_option(app, step, "Cancel checklist")
    await app.fake.wait_for(
        lambda c: c.method == "chat.postMessage" and "cancelled this checklist" in c.text, count=2
    )
    _, key = await app.click(old_undo, is_ephemeral=False)
    [told] = await app.fake.wait_for(lambda c: c.method == key)
    assert "too late to undo" in told.text or "already undone" in told.text
    assert await app.deps.runs.open_runs(TEAM, CHANNEL) == []


async def test_a_stale_cancel_question_closes_the_step_now_showing(app: RunningApp) -> None:
    parent, first = await start(app)
    await reply_in_thread(app, parent, "cancel")
    await app.fake.wait_for(lambda c: c.method == "chat.postEphemeral")
    question = app.fake.api_calls("chat.postEphemeral")[0]
    await click_option(app, first, "Yes")
    third_ts = (await wait_steps(app, 2)).result["ts"]
    await app.click(button(question.payload, "Cancel checklist"), is_ephemeral=True)
    await app.fake.wait_for(lambda c: c.method == "chat.postMessage" and "cancelled this checklist" in c.text)
    # the step's update and the cancellation's post are separate calls: either may reach Slack first
    [closed] = await app.fake.wait_for(
        lambda c: c.method == "chat.update" and c.payload.get("ts") == third_ts
    )
    assert "Step 2 of 10" in closed.text and "cancelled the checklist" in closed.text


async def test_a_cancel_that_arrives_while_the_next_step_is_being_posted_closes_that_step(
    app: RunningApp,
) -> None:
    """Slack takes a moment to answer the post of step 2; a Cancel pressed meanwhile cannot close a message the
    app does not know yet, so the app closes it once it does: no step is left with live buttons."""
    _parent, first = await start(app)
    app.fake.delays["chat.postMessage"] = 1.0  # posted at once, answered a second later
    await click_option(app, first, "Yes")
    step_two = await wait_steps(app, 2)
    await click_option(app, first, "Cancel checklist")
    [closed] = await app.fake.wait_for(
        lambda c: c.method == "chat.update" and c.payload.get("ts") == step_two.result["ts"]
    )
    assert "Step 2 of 10" in closed.text and "cancelled the checklist" in closed.text
    assert "checklist_answer" not in str(closed.payload.get("blocks"))  # its buttons are gone
