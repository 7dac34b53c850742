"""Checklist runs as a state machine: what a reply means, which transitions are allowed, the summary.

Pure and synchronous: storage applies these decisions in a transaction, and chat front ends show them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
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
_NOTE = re.compile(r"^\s*(?:note|comment)\s*[:\-]\s*(.*)$", re.IGNORECASE | re.DOTALL)
# "Partly, budget is tight", "no - not yet", "yes: agreed at the May board": an answer, then a note
# (a dash only with spaces round it: "no-one here knows" and "yes-ish" are not answers)
_WITH_NOTE = re.compile(r"^\s*([^,;:]+?)\s*(?:[,;:]|\s[-–—]+\s)\s*(\S.*)$", re.DOTALL)
_WORDS = {
    ReplyKind.SKIP: {"skip", "pass", "next", "skip it", "skip this"},
    ReplyKind.BACK: {"back", "go back", "previous", "undo", "prev"},
    ReplyKind.CANCEL: {"cancel", "stop", "quit", "abort", "cancel checklist", "cancel run"},
}
_OPTION_SHORTHAND = {
    "y": "yes",
    "yeah": "yes",
    "yep": "yes",
    "n": "no",
    "nope": "no",
    "unsure": "not sure",
    "dont know": "not sure",
    "don't know": "not sure",
    "dunno": "not sure",
    "?": "not sure",
}


def parse_reply(step: ChecklistStep, text: str) -> Reply:
    """What a message typed in a checklist thread means for `step`.

    An option (by label or value, any case, e.g. "partly", "Not sure", "y"), "skip", "back", "cancel",
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
    scored = skipped = 0
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
        if not chosen.neutral:
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
    )


# Export: notes, people's names (or user ids) and the chosen service come from people, not from this app, and
# must show in any Markdown viewer (GitHub, VS Code, Obsidian...) as typed: never as a link, an image, HTML,
# emphasis, a heading, a list or code. CommonMark guarantees that a backslash before an ASCII punctuation
# character shows that character literally, so every one of them is escaped: "<" as \< can't open HTML or an
# autolink, "&" as \& can't start an entity, [ ] ( ) and ! can't make a link or an image, and "|" can't end a
# table cell. Bare URLs are defused the same way, with no character added: http://example.com is written as
# http\:\/\/example\.com and shows as typed, but the link finders of GitHub (cmark-gfm) and VS Code
# (markdown-it) need an unescaped ":" after the scheme, or a literal "www.". The one exception is an email
# address: cmark-gfm finds those in the text after the escapes are undone, so an invisible WORD JOINER (U+2060,
# zero width, no line break) follows each "@": me@example.org still reads the same, but is no mailto: link.
# A table cell must also stay on its row: each run of line breaks (CR, LF, CRLF, VT, FF, NEL, U+2028, U+2029)
# becomes " / ", a tab a space, and other control characters are dropped, as are lone surrogates (which JSON
# can carry, but UTF-8 can't encode).
_LINE_SEPARATOR = " / "
_LINE_BREAK = re.compile(r"\r\n|[\n\r\v\f\x85\u2028\u2029]")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_PUNCTUATION = re.compile(r"""([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~])""")
_WORD_JOINER = "\u2060"


def _literal(text: str) -> str:
    """`text` typed by a person, as Markdown that shows it as typed, on one line (see above)."""
    lines = (_CONTROL.sub("", line.replace("\t", " ")).strip() for line in _LINE_BREAK.split(text))
    escaped = (_PUNCTUATION.sub(r"\\\1", line).replace("@", "@" + _WORD_JOINER) for line in lines if line)
    return _LINE_SEPARATOR.join(escaped)


def _cell(text: str) -> str:
    """The app's own `text` in a table cell: as written, but on one line and with no cell break."""
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(summary: Summary, *, title_suffix: str = "", names: Mapping[str, str] | None = None) -> str:
    """The results as a Markdown document, for export; `names` gives the people who answered by user id (an
    id without a name is shown as it is). What people typed, their names and the choice show as literal text."""
    lines = [f"# {summary.checklist.title}{title_suffix}", "", summary.checklist.purpose, ""]
    if summary.choice:
        lines += [f"**About:** {_literal(summary.choice)}", ""]
    if summary.score is not None:
        lines += [f"**Score:** {summary.percent}% over {summary.scored} scored answers", ""]
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
