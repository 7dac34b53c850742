"""Block Kit for checklists: the list, the parent message, each step, and the summary."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from handlers.blocks import HEADER_LIMIT, SECTION_LIMIT, Message, escape, quote, truncate
from handlers.blocks import notice as _notice
from knowledge.base import KnowledgeBase
from knowledge.checklist_engine import (
    SKIPPED_LABEL,
    AnswerRecord,
    Status,
    Summary,
    describe_value,
    moves,
    score_line,
)
from knowledge.model import Checklist, ChecklistStep
from services.checklist_store import Run
from services.checklists import OpenRun

START_ACTION = "checklist_start"
# A prefix: each answer button's action_id is this plus the option's value ("checklist_answer:yes"), since Slack
# refuses a block whose buttons repeat an action_id (invalid_blocks).
ANSWER_ACTION = "checklist_answer:"
SKIP_ACTION = "checklist_skip"
BACK_ACTION = "checklist_back"
CANCEL_ACTION = "checklist_cancel"
EXPORT_ACTION = "checklist_export"
RESUME_ACTION = "checklist_resume"
KEEP_ACTION = "checklist_keep"  # "Keep going" on the private "Cancel this checklist?" question
UNDO_ACTION = "checklist_undo"
NOTE_MOVE_ACTION = "checklist_note_move"
NOTE_REMOVE_ACTION = "checklist_note_remove"
MAX_BLOCKS = 50
LISTED_AT_MOST = MAX_BLOCKS - 2  # the header and the closing note
NOTE_SHOWN = 500  # characters of a note the summary shows; the export has it all


def notice(text: str) -> Message:
    """A short private reply (the app's own words: mrkdwn it wrote, or text it escapes itself)."""
    return _notice(text)


def typed_hint(checklist: Checklist, index: int) -> str:
    """What may be typed in reply at step `index`: only what that step allows."""
    return "Or reply in this thread: " + ", ".join(moves(checklist, index)) + ", or *note: …* to add a note."


def step_value(run_id: str, index: int, value: str = "") -> str:
    """What a step's button carries: the run, the step it answers, and the option."""
    return f"{run_id}|{index}|{value}"


def parse_step_value(raw: str) -> tuple[str, int, str] | None:
    parts = raw.split("|")
    if len(parts) != 3 or not parts[1].isdigit():
        return None
    return parts[0], int(parts[1]), parts[2]


def _button(
    label: str, action_id: str, value: str, style: str | None = None, confirm: ConfirmObject | None = None
) -> ButtonElement:
    return ButtonElement(
        text=PlainTextObject(text=truncate(label, 75)),
        action_id=action_id,
        value=value[:2000],
        style=style,
        confirm=confirm,
    )


def _blocks(blocks: list[Block]) -> list[dict[str, object]]:
    return [b.to_dict() for b in blocks]


def checklist_list(checklists: Sequence[Checklist]) -> Message:
    blocks: list[Block] = [HeaderBlock(text=PlainTextObject(text="Checklists"))]
    shown = checklists[:LISTED_AT_MOST]
    for checklist in shown:
        text = f"*{escape(checklist.title)}* ({len(checklist.steps)} steps)\n{escape(checklist.purpose)}\n`/checklist {checklist.id}`"
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(text=truncate(text, SECTION_LIMIT)),
                accessory=_button("Start", START_ACTION, checklist.id, style="primary"),
            )
        )
    more = len(checklists) - len(shown)
    extra = (
        f" {more} more can be started by name: " + ", ".join(f"`{c.id}`" for c in checklists[len(shown) :])
        if more
        else ""
    )
    blocks.append(
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text=truncate(
                        "A checklist runs in a thread in this channel: anyone here can answer. "
                        f"`/checklist status` lists the open ones.{extra}",
                        SECTION_LIMIT,
                    )
                )
            ]
        )
    )
    fallback = "Checklists: " + "; ".join(f"{c.title} (/checklist {c.id})" for c in checklists)
    return Message(fallback, _blocks(blocks))


def _progress(run: Run, checklist: Checklist, answered: int) -> str:
    total = len(checklist.steps)
    if run.status == Status.COMPLETE:
        return f":white_check_mark: Complete: {total} of {total} steps"
    if run.status == Status.CANCELLED:
        who = f" by <@{run.closed_by}>" if run.closed_by else ""
        return f":no_entry_sign: Cancelled{who} after {answered} of {total} steps"
    if run.status == Status.EXPIRED:
        return f":hourglass: Closed after a long time without answers, at {answered} of {total} steps"
    return f"Progress: {answered} of {total} steps"


def parent_message(
    run: Run, checklist: Checklist, answered: int, score: int | None = None, about: str | None = None
) -> Message:
    status = _progress(run, checklist, answered)
    if score is not None:
        status += f" · Score {score}%"
    blocks: list[Block] = [
        HeaderBlock(
            text=PlainTextObject(text=truncate(f":clipboard: {checklist.title}", HEADER_LIMIT), emoji=True)
        ),
        SectionBlock(text=MarkdownTextObject(text=truncate(escape(checklist.purpose), SECTION_LIMIT))),
    ]
    if about:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=truncate(f"*About:* {escape(about)}", 300))))
    blocks.append(
        ContextBlock(elements=[MarkdownTextObject(text=f"Started by <@{run.started_by}> · {status}")])
    )
    if run.is_open:
        blocks.append(
            ContextBlock(
                elements=[
                    MarkdownTextObject(text="The steps are in the thread. Anyone in the channel can answer.")
                ]
            )
        )
    plain = (
        status.replace(":white_check_mark: ", "").replace(":no_entry_sign: ", "").replace(":hourglass: ", "")
    )
    about_text = f" About: {about}." if about else ""
    return Message(f"Checklist: {checklist.title}.{about_text} {plain}", _blocks(blocks))


def _reference(kb: KnowledgeBase, step: ChecklistStep) -> list[Block]:
    entry = kb.get(step.ref) if step.ref else None
    if entry is None:
        return []
    text = f"*{escape(entry.label)}*\n{quote(entry.text)}\n_{escape(entry.source.framework)}, “{escape(entry.source.page)}”_"
    return [ContextBlock(elements=[MarkdownTextObject(text=truncate(text, SECTION_LIMIT))])]


def step_message(
    kb: KnowledgeBase, run: Run, checklist: Checklist, index: int, earlier: AnswerRecord | None = None
) -> Message:
    """Step `index`, to answer; `earlier` is the answer it already has, when someone went back to it."""
    step = checklist.steps[index]
    total = len(checklist.steps)
    heading = f"*Step {index + 1} of {total}*\n{escape(step.prompt)}"
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=truncate(heading, SECTION_LIMIT)))]
    blocks.extend(_reference(kb, step))
    if earlier is not None:
        label = escape(describe_value(step, earlier.value))
        blocks.append(
            ContextBlock(
                elements=[
                    MarkdownTextObject(
                        text=f":leftwards_arrow_with_hook: Answered *{label}* by <@{earlier.user_id}> before: "
                        "answer again to change it, or pick the same to keep it."
                    )
                ]
            )
        )
    buttons = [
        _button(o.label, ANSWER_ACTION + o.value, step_value(run.id, index, o.value)) for o in step.options
    ]
    controls: list[ButtonElement] = []
    if step.skippable:
        controls.append(_button("Skip", SKIP_ACTION, step_value(run.id, index)))
    if index > 0:
        controls.append(_button("Back", BACK_ACTION, step_value(run.id, index)))
    confirm = ConfirmObject(
        title="Cancel this checklist?",
        text="The answers so far are kept, but no more can be added.",
        confirm="Cancel checklist",
        deny="Keep going",
        style="danger",
    )
    controls.append(
        _button("Cancel checklist", CANCEL_ACTION, step_value(run.id, index), style="danger", confirm=confirm)
    )
    blocks.append(ActionsBlock(block_id=f"step_{index}", elements=buttons))
    blocks.append(ActionsBlock(block_id=f"controls_{index}", elements=controls))
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=typed_hint(checklist, index))]))
    options = ", ".join(o.label for o in step.options)
    return Message(f"Step {index + 1} of {total}: {step.prompt} ({options})", _blocks(blocks))


def answered_step(checklist: Checklist, index: int, label: str, user_id: str) -> Message:
    step = checklist.steps[index]
    total = len(checklist.steps)
    heading = f"*Step {index + 1} of {total}*\n{escape(step.prompt)}"
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=truncate(heading, SECTION_LIMIT))),
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text=f":fast_forward: Skipped by <@{user_id}>"
                    if label == SKIPPED_LABEL
                    else f":white_check_mark: *{escape(label)}*, answered by <@{user_id}>"
                )
            ]
        ),
    ]
    return Message(f"Step {index + 1} of {total}: {label}", _blocks(blocks))


def closed_step(checklist: Checklist, index: int, why: str) -> Message:
    """A step message that can no longer be answered; `why` is mrkdwn the app wrote (no user text)."""
    step = checklist.steps[index]
    heading = f"*Step {index + 1} of {len(checklist.steps)}*\n{escape(step.prompt)}"
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=truncate(heading, SECTION_LIMIT))),
        ContextBlock(elements=[MarkdownTextObject(text=why)]),
    ]
    return Message(f"Step {index + 1}: {why}", _blocks(blocks))


def summary_message(summary: Summary, run_id: str) -> Message:
    checklist = summary.checklist
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=truncate(f"Summary: {checklist.title}", HEADER_LIMIT)))
    ]
    facts = []
    if summary.choice:
        facts.append(f"*About:* {escape(summary.choice)}")
    score = score_line(summary)
    if score is not None:
        facts.append(f"*Score:* {score}. Yes counts 1, Partly ½, No 0.")
    if facts:
        blocks.append(SectionBlock(text=MarkdownTextObject(text="\n".join(facts))))
    lines = []
    for row in summary.rows:
        by = f" (<@{row.answer.user_id}>)" if row.answer else ""
        lines.append(f"{row.position}. {escape(row.step.prompt)} *{escape(row.label)}*{by}")
        # each note cut to a length that leaves its closing underscore on: the whole is in the export
        lines.extend(
            f"      _Note from <@{n.user_id}>: {escape(truncate(n.text, NOTE_SHOWN))}_" for n in row.notes
        )
    chunk: list[str] = []
    for line in lines:
        if sum(len(x) + 1 for x in chunk) + len(line) > SECTION_LIMIT - 50:
            blocks.append(SectionBlock(text=MarkdownTextObject(text="\n".join(chunk))))
            chunk = []
        chunk.append(truncate(line, SECTION_LIMIT - 50))
    if chunk:
        blocks.append(SectionBlock(text=MarkdownTextObject(text="\n".join(chunk))))
    blocks.append(DividerBlock())
    if summary.gaps:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=f"*Gaps to work on ({len(summary.gaps)})*")))
        for gap in summary.gaps[:20]:
            text = f"*{escape(gap.label)}*: {escape(gap.step.prompt)}"
            if gap.entry is not None:
                listed = "".join(f"\n{quote(f'{item.number}. {item.text}')}" for item in gap.listed)
                text += f"\n{quote(gap.entry.text)}{listed}\n_{escape(gap.entry.label)}, {escape(gap.entry.source.framework)}_"
            blocks.append(SectionBlock(text=MarkdownTextObject(text=truncate(text, SECTION_LIMIT))))
    else:
        blocks.append(SectionBlock(text=MarkdownTextObject(text="*No gaps recorded.*")))
    if len(blocks) > MAX_BLOCKS - 3:  # Slack's limit is 50: keep room for the note, the export and the run id
        blocks = blocks[: MAX_BLOCKS - 3]
        blocks.append(
            ContextBlock(
                elements=[MarkdownTextObject(text="…more than fits here: export for the full results.")]
            )
        )
    blocks.append(
        ActionsBlock(
            block_id="summary_actions", elements=[_button("Export as Markdown", EXPORT_ACTION, run_id)]
        )
    )
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=f"Run `{run_id[:8]}`")]))
    gaps = f"{len(summary.gaps)} gaps" if summary.gaps else "no gaps"
    score = f", score {summary.percent}%" if summary.percent is not None else ""
    return Message(f"Summary of {checklist.title}: {gaps}{score}.", _blocks(blocks))


def status_list(runs: Sequence[OpenRun]) -> Message:
    """Open runs in a channel: what each is about, how far it is, its age and who answered last."""
    if not runs:
        return Message(
            "There are no open checklists in this channel. Start one with /checklist.",
            _blocks(
                [
                    SectionBlock(
                        text=MarkdownTextObject(
                            text="There are no open checklists in this channel. Start one with `/checklist`."
                        )
                    )
                ]
            ),
        )
    blocks: list[Block] = [HeaderBlock(text=PlainTextObject(text="Open checklists in this channel"))]
    for listed in runs[: MAX_BLOCKS - 1]:
        run, checklist = listed.run, listed.checklist
        title = f"<{listed.link}|{escape(checklist.title)}>" if listed.link else escape(checklist.title)
        about = f" · about *{escape(listed.about)}*" if listed.about else ""
        last = (
            f" · last answered by <@{listed.last_answer.user_id}> {_ago(listed.last_answer.answered_at)}"
            if listed.last_answer
            else " · no answers yet"
        )
        text = (
            f"*{title}*{about}\nStarted by <@{run.started_by}> {_ago(run.created_at)} · "
            f"{listed.answered} of {len(checklist.steps)} steps{last} · run `{run.id[:8]}`"
        )
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(text=truncate(text, SECTION_LIMIT)),
                accessory=_button("Show current step", RESUME_ACTION, run.id),
            )
        )
    return Message(f"{len(runs)} open checklists in this channel.", _blocks(blocks))


def _ago(stamp: datetime) -> str:
    """'3 days ago', '2 hours ago', 'just now'."""
    seconds = max((datetime.now(UTC) - stamp).total_seconds(), 0)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = int(seconds // size)
            return f"{n} {unit}{'s' if n != 1 else ''} ago"
    return "just now"


def cancelled_message(run: Run, user_id: str, answered: int, undo_minutes: int) -> Message:
    """In the thread after a cancel: who, what is kept, Undo for a while, and the results so far."""
    text = f"<@{user_id}> cancelled this checklist. {_kept(answered)}"
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=text)),
        ActionsBlock(
            block_id="cancelled_actions",
            elements=[
                _button("Undo", UNDO_ACTION, f"{run.id}|{run.version}", style="primary"),
                _button("Export as Markdown", EXPORT_ACTION, run.id),
            ],
        ),
        ContextBlock(
            elements=[MarkdownTextObject(text=f"Undo works for {undo_minutes} minutes · run `{run.id[:8]}`")]
        ),
    ]
    return Message(f"<@{user_id}> cancelled this checklist. {_kept(answered)}", _blocks(blocks))


def undone_message(user_id: str) -> Message:
    text = f":leftwards_arrow_with_hook: <@{user_id}> undid the cancellation: the checklist goes on below."
    return Message(text, _blocks([SectionBlock(text=MarkdownTextObject(text=text))]))


def _kept(count: int) -> str:
    if count == 0:
        return "No answers had been given."
    return "The 1 answer given is kept." if count == 1 else f"The {count} answers given so far are kept."


def cancel_confirmation(run: Run, index: int) -> Message:
    """Privately, after someone typed "cancel": the same question the Cancel button's dialog asks."""
    text = "*Cancel this checklist?* The answers so far are kept, but no more can be added."
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=text)),
        ActionsBlock(
            block_id="cancel_confirm",
            elements=[
                _button("Cancel checklist", CANCEL_ACTION, step_value(run.id, index), style="danger"),
                _button("Keep going", KEEP_ACTION, run.id),
            ],
        ),
    ]
    return Message("Cancel this checklist? The answers so far are kept.", _blocks(blocks))


def noted(
    run: Run, checklist: Checklist, index: int, current: int, said: str, moved_from: int | None
) -> Message:
    """Privately, after a note: where it went, with buttons to move it to the current step or remove it."""
    step = checklist.steps[index]
    text = f"{said}\n>{escape(truncate(step.prompt, 150))}"  # `said` is the app's mrkdwn, the note escaped
    if not run.is_open:  # the answer finished the run: nothing left to move or remove
        return Message(
            said, _blocks([SectionBlock(text=MarkdownTextObject(text=truncate(text, SECTION_LIMIT)))])
        )
    buttons = []
    if index != current and current < len(checklist.steps):
        buttons.append(
            _button(f"Move it to step {current + 1}", NOTE_MOVE_ACTION, f"{run.id}|{index}|{current}")
        )
    buttons.append(_button("Remove note", NOTE_REMOVE_ACTION, step_value(run.id, index)))
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=truncate(text, SECTION_LIMIT))),
        ActionsBlock(block_id="note_actions", elements=buttons),
        ContextBlock(
            elements=[MarkdownTextObject(text="Reply `note: …` again to change it, `note: -` to remove it.")]
        ),
    ]
    return Message(said, _blocks(blocks))


def current_step_link(index: int, total: int, link: str) -> Message:
    text = f"Step {index + 1} of {total} is waiting in the thread: <{link}|go to step {index + 1}>."
    return Message(
        f"Step {index + 1} of {total} is waiting in the thread: {link}",
        _blocks([SectionBlock(text=MarkdownTextObject(text=text))]),
    )


def reminder(run: Run, checklist: Checklist, expires_in_days: float) -> Message:
    """The one gentle reminder in a waiting run's thread."""
    days = max(round(expires_in_days), 1)
    text = (
        f":wave: This checklist is waiting at step {run.step_index + 1} of {len(checklist.steps)}. "
        f"Anyone in the channel can answer the step above. It closes in about {days} day{'s' if days != 1 else ''} "
        "if nobody does (the answers so far are kept)."
    )
    return Message(text, _blocks([SectionBlock(text=MarkdownTextObject(text=text))]))
