"""Checklist runs as a state machine: what a reply means, which transitions are allowed, the summary.

Pure and synchronous: storage applies these decisions in a transaction, and chat front ends show them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from knowledge.base import KnowledgeBase
from knowledge.model import Checklist, ChecklistOption, ChecklistStep, Entry
from knowledge.text import fold

SKIPPED = "skipped"


class Status(StrEnum):
    OPEN = "open"
    COMPLETE = "complete"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class ReplyKind(StrEnum):
    ANSWER = "answer"
    SKIP = "skip"
    BACK = "back"
    CANCEL = "cancel"
    NOTE = "note"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Reply:
    kind: ReplyKind
    value: str = ""  # the option value for ANSWER, the note for NOTE
    note: str = ""  # for ANSWER, a note given with it ("Partly, budget tight")


SKIPPED_LABEL = "Skipped"
NOTE_LIMIT = 3000  # characters of a note kept; a longer one is cut, and the person told
# "note: ..." or "note - ...": a colon, or a dash with a space before it ("note-taking is hard" is chat)
_NOTE = re.compile(r"^\s*(?:note|comment)(?:\s*:|\s+[-–—])\s*(.*)$", re.IGNORECASE | re.DOTALL)
# "Partly, budget is tight", "no - not yet", "yes: agreed at the May board": an answer, then a note
# (a dash only with spaces round it: "no-one here knows" and "yes-ish" are not answers)
_WITH_NOTE = re.compile(r"^\s*([^,;:]+?)\s*(?:[,;:]|\s[-–—]+\s)\s*(\S.*)$", re.DOTALL)
_WORDS = {
    ReplyKind.SKIP: {"skip", "pass", "next", "skip it", "skip this"},
    ReplyKind.BACK: {"back", "go back", "previous", "undo", "prev"},
    ReplyKind.CANCEL: {"cancel", "stop", "quit", "abort", "cancel checklist", "cancel run"},
}
# Words that clearly answer; a bare "y", "n" or "?" in a busy thread is as likely chat as an answer, so it is
# not taken for one (the buttons and the full words are there).
_OPTION_SHORTHAND = {
    "yeah": "yes",
    "yep": "yes",
    "nope": "no",
    "unsure": "not sure",
    "dont know": "not sure",
    "don't know": "not sure",
    "dunno": "not sure",
}
# "note: -" (or "note: remove") takes a person's note off again.
REMOVE_NOTE = frozenset({"-", "remove", "delete"})


def parse_reply(step: ChecklistStep, text: str) -> Reply:
    """What a message typed in a checklist thread means for `step`.

    An option (by label or value, any case, e.g. "partly", "Not sure", "nope"), "skip", "back", "cancel",
    or "note: ..." to attach a note. Anything else is UNKNOWN: the caller says what would work.
    """
    note = _NOTE.match(text)
    if note:  # an empty note is still a NOTE: the caller asks for its text
        return Reply(ReplyKind.NOTE, note.group(1).strip())
    chosen = _option_said(step, text)
    if chosen is not None:
        return Reply(ReplyKind.ANSWER, chosen)
    said = _said(text)
    for kind, spellings in _WORDS.items():
        if said in spellings:
            return Reply(kind)
    with_note = _WITH_NOTE.match(text)
    if with_note:
        chosen = _option_said(step, with_note.group(1))
        if chosen is not None:
            return Reply(ReplyKind.ANSWER, chosen, note=with_note.group(2).strip())
    return Reply(ReplyKind.UNKNOWN)


def _said(text: str) -> str:
    said = " ".join(fold(text).replace("_", " ").split()).strip(" .!")
    return _OPTION_SHORTHAND.get(said, said)


def _option_said(step: ChecklistStep, text: str) -> str | None:
    """The value of the option `text` names (by label or value, any case, or "y", "nope", "dunno"...)."""
    said = _said(text)
    for option in step.options:
        if said in (fold(option.label).strip(), option.value.replace("_", " ")):
            return option.value
    return None


def option(step: ChecklistStep, value: str) -> ChecklistOption | None:
    return next((o for o in step.options if o.value == value), None)


def describe_value(step: ChecklistStep, value: str) -> str:
    if value == SKIPPED:
        return SKIPPED_LABEL
    found = option(step, value)
    return found.label if found else value


def is_removal(reply: Reply) -> bool:
    """Whether a NOTE reply asks to remove the person's note rather than add one."""
    return reply.kind == ReplyKind.NOTE and reply.value.strip().lower() in REMOVE_NOTE


def moves(checklist: Checklist, index: int) -> list[str]:
    """What may be typed at step `index`, in words for a hint: only the moves that step allows."""
    step = checklist.steps[index]
    found = ["an answer"]
    if step.skippable:
        found.append("*skip*")
    if index > 0:
        found.append("*back*")
    found.append("*cancel*")
    return found


def note_step(
    checklist: Checklist,
    at: int,
    answers: Mapping[str, AnswerRecord],
    now: datetime,
    within: timedelta,
    *,
    user: str,
    noted: Iterable[str] = (),
) -> int:
    """The step a note typed now belongs to: the step `user` has just answered (less than `within` ago, and the
    run has moved on from it), when they have no note there yet: people write the note about what they have
    just answered ("partly" ... "note: budget agreed in May"). Otherwise the step the run is at: a colleague's
    answer, an old one, or a step already carrying the person's note says nothing about this one."""
    latest = max(answers.values(), key=lambda a: a.answered_at, default=None)
    if latest is None or latest.user_id != user or now - latest.answered_at > within:
        return at
    if latest.step_id in set(noted):
        return at
    index = next((i for i, s in enumerate(checklist.steps) if s.id == latest.step_id), at)
    return index if index < at else at


def chosen_label(checklist: Checklist, answers: Mapping[str, AnswerRecord]) -> str | None:
    """What a run is about: the label of the option chosen at a step that chooses (which service), if any."""
    for step in checklist.steps:
        answer = answers.get(step.id)
        if step.chooses and answer is not None:
            found = option(step, answer.value)
            if found is not None:
                return found.label
    return None


def check_transition(checklist: Checklist, status: str, at: int, expected: int, reply: Reply) -> str | None:
    """Why `reply` to step `expected` cannot be applied to a run in `status` at step `at`, or None if it can."""
    if status != Status.OPEN:
        return {
            Status.COMPLETE: "This checklist is already complete: see the summary in the thread.",
            Status.CANCELLED: "This checklist was cancelled. Start a new one with /checklist.",
            Status.EXPIRED: "This checklist was closed after a long time without answers. Start a new one with /checklist.",
        }.get(Status(status), "This checklist is not open.")
    if reply.kind == ReplyKind.CANCEL:
        return None
    if expected != at:
        return "That step has already been answered. Answer the latest step in the thread."
    step = checklist.steps[at]
    if reply.kind == ReplyKind.ANSWER and option(step, reply.value) is None:
        return "That is not one of this step's answers."
    if reply.kind == ReplyKind.SKIP and not step.skippable:
        return "This step can't be skipped: please choose one of its answers."
    if reply.kind == ReplyKind.BACK and at == 0:
        return "This is the first step, so there is nothing to go back to."
    return None


@dataclass(frozen=True)
class AnswerRecord:
    step_id: str
    value: str
    user_id: str
    answered_at: datetime


@dataclass(frozen=True)
class NoteRecord:
    step_id: str
    user_id: str
    text: str
    at: datetime


@dataclass(frozen=True)
class SummaryRow:
    position: int
    step: ChecklistStep
    answer: AnswerRecord | None
    label: str
    notes: tuple[NoteRecord, ...]


@dataclass(frozen=True)
class Gap:
    step: ChecklistStep
    label: str
    entry: Entry | None
    listed: tuple[Entry, ...] = ()  # the list the entry's words lead into, quoted after them


@dataclass(frozen=True)
class Summary:
    checklist: Checklist
    rows: tuple[SummaryRow, ...]
    gaps: tuple[Gap, ...]
    score: float | None  # 0..1 over the scored answers; None when nothing was scored
    scored: int
    choice: str | None = None  # e.g. which service a quality check was about
    skipped: int = 0
    unsure: int = 0  # neutral answers ("Not sure"): counted neither way

    @property
    def percent(self) -> int | None:
        return None if self.score is None else round(self.score * 100)


def summarise(
    kb: KnowledgeBase,
    checklist: Checklist,
    answers: Mapping[str, AnswerRecord],
    notes: Sequence[NoteRecord] = (),
) -> Summary:
    """Every answer with who gave it and any notes; the gaps with the words behind them; the score."""
    rows: list[SummaryRow] = []
    gaps: list[Gap] = []
    points = 0.0
    scored = skipped = unsure = 0
    choice: str | None = None
    for position, step in enumerate(checklist.steps, start=1):
        answer = answers.get(step.id)
        step_notes = tuple(n for n in notes if n.step_id == step.id)
        label = describe_value(step, answer.value) if answer else "Not answered"
        rows.append(SummaryRow(position, step, answer, label, step_notes))
        if answer is None:
            continue
        if answer.value == SKIPPED:
            skipped += 1
            continue
        chosen = option(step, answer.value)
        if chosen is None:
            continue
        if step.chooses:
            choice = chosen.label
            continue
        if chosen.gap:
            entry = kb.get(step.ref) if step.ref else None
            listed = tuple(kb.listed_after(entry)) if entry is not None else ()
            gaps.append(Gap(step, chosen.label, entry, listed))
        if chosen.neutral:
            unsure += 1
        else:
            points += chosen.score
            scored += 1
    return Summary(
        checklist=checklist,
        rows=tuple(rows),
        gaps=tuple(gaps),
        score=points / scored if scored else None,
        scored=scored,
        choice=choice,
        skipped=skipped,
        unsure=unsure,
    )


# Export: notes, people's names (or user ids) and the chosen service come from people, not from this app, and
# must show in any Markdown viewer (GitHub, VS Code, Obsidian...) as typed: never as a link, an image, HTML,
# emphasis, code or a broken table row. They always stand inside a line (a table cell, or after "**About:**"),
# so only inline syntax can take effect, and only its characters are backslash-escaped (CommonMark shows an
# escaped ASCII punctuation character literally): \ ` * _ ~ for escapes, code, emphasis and strikethrough;
# [ ] for links and images (so "(" and "!" can stay as typed); < > for HTML and autolinks; & for entities;
# | for the table. Everything else reads as typed in the raw file too ("budget: £50k (approx.)").
# Bare URLs and email addresses, which GitHub (cmark-gfm) and VS Code (markdown-it) link without any syntax,
# are defused without adding a visible character: a ":" with no space after it is escaped (http\://), so is
# a "." between two letters or digits (evil\.com, which markdown-it's linkify would link on its own), and an
# invisible WORD JOINER (U+2060) follows each "@".
# A table cell must also stay on its row: each run of line breaks (CR, LF, CRLF, VT, FF, NEL, U+2028, U+2029)
# becomes " / ", a tab a space, and other control characters are dropped, as are lone surrogates (which JSON
# can carry, but UTF-8 can't encode).
_LINE_SEPARATOR = " / "
_LINE_BREAK = re.compile(r"\r\n|[\n\r\v\f\x85\u2028\u2029]")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_INLINE_SYNTAX = re.compile(r"([\\`*_~\[\]<>&|]|:(?=\S)|(?<=\w)\.(?=\w))")
_WORD_JOINER = "\u2060"


def _literal(text: str) -> str:
    """`text` typed by a person, as Markdown that shows it as typed, on one line (see above)."""
    lines = (_CONTROL.sub("", line.replace("\t", " ")).strip() for line in _LINE_BREAK.split(text))
    escaped = (_INLINE_SYNTAX.sub(r"\\\1", line).replace("@", "@" + _WORD_JOINER) for line in lines if line)
    return _LINE_SEPARATOR.join(escaped)


def _cell(text: str) -> str:
    """The app's own `text` in a table cell: as written, but on one line and with no cell break."""
    return text.replace("|", "\\|").replace("\n", " ")


@dataclass(frozen=True)
class RunFacts:
    """What an export says about the run itself: which, when, by whom, where, and which checklist version."""

    run_id: str
    status: str
    started_by: str  # a person's name as the chat shows it, or their user id
    started_at: datetime
    last_change: datetime
    channel: str
    thread_link: str | None
    version: str  # the checklist's version when the run started
    current_version: str  # and now


def score_line(summary: Summary) -> str | None:
    """'62% over 4 scored answers (2 skipped, 1 not sure: not scored)', or None when nothing was scored."""
    if summary.percent is None:
        return None
    answers = "answer" if summary.scored == 1 else "answers"
    unscored = [
        f"{n} {what}" for n, what in ((summary.skipped, "skipped"), (summary.unsure, "not sure")) if n
    ]
    unanswered = sum(1 for row in summary.rows if row.answer is None)
    if unanswered:
        unscored.append(f"{unanswered} not answered")
    tail = f" ({', '.join(unscored)}: not scored)" if unscored else ""
    return f"{summary.percent}% over {summary.scored} scored {answers}{tail}"


def _when(stamp: datetime) -> str:
    return f"{stamp:%d %b %Y %H:%M} UTC"


def to_markdown(
    summary: Summary,
    *,
    title_suffix: str = "",
    names: Mapping[str, str] | None = None,
    facts: RunFacts | None = None,
) -> str:
    """The results as a Markdown document, for export; `names` gives the people who answered by user id (an
    id without a name is shown as it is), `facts` when, by whom and where the run was. What people typed, their
    names and the choice show as literal text."""
    lines = [f"# {summary.checklist.title}{title_suffix}", "", summary.checklist.purpose, ""]
    if facts is not None:
        where = f"[thread]({facts.thread_link})" if facts.thread_link else "its thread"
        version = facts.version
        if facts.current_version != facts.version:
            version += f" (the checklist has changed since: now {facts.current_version})"
        lines += [
            f"- **Run:** `{facts.run_id[:8]}`, {facts.status}",
            f"- **Started:** {_when(facts.started_at)} by {_literal(facts.started_by)}",
            f"- **Last change:** {_when(facts.last_change)}",
            f"- **Channel:** `{facts.channel}`, {where}",
            f"- **Checklist:** `{summary.checklist.id}`, version {version}",
            "",
        ]
    if summary.choice:
        lines += [f"**About:** {_literal(summary.choice)}", ""]
    score = score_line(summary)
    if score is not None:
        lines += [f"**Score:** {score}", ""]
    lines += ["| # | Step | Answer | By | Notes |", "|---|---|---|---|---|"]
    for row in summary.rows:
        by = (names or {}).get(row.answer.user_id, row.answer.user_id) if row.answer else ""
        notes = "; ".join(filter(None, (_literal(n.text) for n in row.notes)))
        cells = [_cell(str(row.position)), _cell(row.step.prompt), _cell(row.label), _literal(by), notes]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    if summary.gaps:
        lines += ["## Gaps to work on", ""]
        for gap in summary.gaps:
            lines.append(f"- **{gap.label}**: {gap.step.prompt}")
            if gap.entry is not None:
                lines.append(f"  > {gap.entry.text}")
                lines.extend(f"  > {item.number}. {item.text}" for item in gap.listed)
                lines.append(f"  > ({gap.entry.source.framework}, {gap.entry.source.page})")
        lines.append("")
    else:
        lines += ["No gaps recorded.", ""]
    return "\n".join(lines)
