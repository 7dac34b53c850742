"""Pure Block Kit builders: domain objects in, a message (blocks plus plain-text fallback) out.

Built with slack_sdk's block models, which raise on Slack's limits (3000 characters in a section,
75 in a button label, 255 in an action_id), so a message that would be rejected never leaves here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from knowledge.base import KnowledgeBase
from knowledge.model import Entry
from services.mrkdwn import escape as escape

# Action ids: shared by the builders here and the app.action(...) registrations.
SHARE_ACTION = "share_card"
# A prefix: each "Show" button's action_id is this plus the entry id, as Slack refuses two buttons in one block
# with the same action_id.
SHOW_ACTION = "show_entry:"
HELPFUL_ACTION = "feedback_helpful"
NOT_HELPFUL_ACTION = "feedback_not_helpful"

SECTION_LIMIT = 3000
HEADER_LIMIT = 150
BUTTON_LIMIT = 75
VALUE_LIMIT = 2000


@dataclass(frozen=True)
class Message:
    """What the app sends: `text` is the notification and screen-reader fallback for `blocks`."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)

    def as_kwargs(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": self.blocks}


def quote(text: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in escape(text).splitlines())


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _plain(text: str) -> str:
    """A fallback's plain words: no mrkdwn markers."""
    return re.sub(r"[*_]", "", text)


def source_line(entry: Entry, *, of: str | None = None) -> str:
    """Where `entry`'s words come from, as a context line; `of` names what the source is for, when a card
    quotes entries from more than one ("Principle 11, Principle 12")."""
    source = entry.source
    page = f"“{escape(source.page)}”"
    if source.url:
        page = f"<{source.url}|{page}>"
    where = f"{escape(source.framework)}, {page}"
    if entry.section:
        where += f" ({escape(entry.section)})"
    reviewed = f" · Last reviewed {entry.last_reviewed:%-d %B %Y}" if entry.last_reviewed else ""
    label = f"Source of {escape(of)}" if of else "Source"
    if entry.background:
        return f":information_source: Background, not from the framework pages. {label}: {where}{reviewed}"
    return f":books: {label}: {where}{reviewed}"


def _sections(markdown: str) -> list[Block]:
    """Split long mrkdwn on line breaks into sections that each fit Slack's limit."""
    blocks: list[Block] = []
    chunk = ""
    for line in markdown.split("\n"):
        candidate = f"{chunk}\n{line}" if chunk else line
        if len(candidate) > SECTION_LIMIT and chunk:
            blocks.append(SectionBlock(text=MarkdownTextObject(text=chunk)))
            candidate = line
        chunk = truncate(candidate, SECTION_LIMIT)
    if chunk:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=chunk)))
    return blocks


def _button(label: str, action_id: str, value: str, style: str | None = None) -> ButtonElement:
    return ButtonElement(
        text=PlainTextObject(text=truncate(label, BUTTON_LIMIT), emoji=True),
        action_id=action_id,
        value=value[:VALUE_LIMIT],
        style=style,
    )


def _entry_body(kb: KnowledgeBase, entry: Entry) -> tuple[list[Block], list[str]]:
    """Blocks quoting an entry, and its plain-text fallback lines."""
    blocks: list[Block] = []
    lines: list[str] = []
    if entry.kind == "collection":
        for intro in kb.intro_of(entry):
            blocks.extend(_sections(quote(intro.text)))
            lines.append(intro.text)
            if intro.note:
                blocks.append(ContextBlock(elements=[MarkdownTextObject(text=f"_{escape(intro.note)}_")]))
                lines.append(intro.note)
        _add_listing(kb.members_of(entry), blocks, lines)
        return blocks, lines
    lead = _lead_in(kb, entry)
    if lead is not None:
        blocks.extend(_sections(quote(lead.text)))
        lines.append(lead.text)
    blocks.extend(_sections(quote(entry.text)))
    lines.append(entry.text)
    _add_listing(kb.listed_after(entry), blocks, lines)  # "... for the following social care services:"
    if entry.note:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=f"_{escape(entry.note)}_")]))
        lines.append(entry.note)
    return blocks, lines


def _add_listing(members: Sequence[Entry], blocks: list[Block], lines: list[str]) -> None:
    """A collection's members as a numbered list, to `blocks` and the fallback `lines`."""
    if members:
        blocks.extend(_sections("\n".join(f"*{m.number}.* {escape(m.text)}" for m in members)))
        lines.extend(f"{m.number}. {m.text}" for m in members)


def _lead_in(kb: KnowledgeBase, entry: Entry) -> Entry | None:
    """A list item too short to stand alone (a service name) is shown after the sentence that introduces it."""
    if entry.kind != "service":
        return None
    collection = kb.collection_for(entry.kind)
    intro = kb.intro_of(collection) if collection else []
    return intro[-1] if intro else None


def entry_card(
    kb: KnowledgeBase,
    entries: Sequence[Entry],
    *,
    heading: str | None = None,
    shared_by: str | None = None,
    shareable: bool = True,
    feedback: bool = False,
    alternatives: Sequence[Entry] = (),
    thanks: str | None = None,
    note: str | None = None,
) -> Message:
    """A card quoting one or more entries with their sources.

    Cards are pure functions of their arguments, and building them with slack_sdk's validating models costs
    more than the rest of a request, so they are cached, keyed by knowledge base (after a reload, cards of the
    old content are never looked up again and age out of the cache).
    """
    return _entry_card(
        kb, tuple(entries), heading, shared_by, shareable, feedback, tuple(alternatives), thanks, note
    )


@lru_cache(maxsize=2048)
def _entry_card(
    kb: KnowledgeBase,
    entries: tuple[Entry, ...],
    heading: str | None,
    shared_by: str | None,
    shareable: bool,
    feedback: bool,
    alternatives: tuple[Entry, ...],
    thanks: str | None,
    note: str | None,
) -> Message:
    """A card quoting one or more entries with their sources (see entry_card).

    Args:
        heading: shown above the entries (e.g. "2 principles match “partnership”"); a lone entry's
            title is the heading otherwise.
        shared_by: the user id that shared the card into the channel.
        shareable: add the "Share in channel" button (private replies only).
        feedback: add "Did this help?" buttons (answers to questions).
        alternatives: other entries that answer almost as well, offered as "Did you mean" buttons.
        thanks: shown where the feedback buttons were, once someone has used them.
        note: a line above the entries, such as what the question asked for that is not there.
    """
    blocks: list[Block] = []
    fallback: list[str] = []
    if note:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=truncate(note, SECTION_LIMIT))]))
        fallback.append(note)
    title = heading or (entries[0].label if len(entries) == 1 else None)
    if title:
        blocks.append(HeaderBlock(text=PlainTextObject(text=truncate(title, HEADER_LIMIT))))
        fallback.append(title)
    sources: list[str] = []
    for index, entry in enumerate(entries):
        if len(entries) > 1:
            if index:
                blocks.append(DividerBlock())
            blocks.append(SectionBlock(text=MarkdownTextObject(text=f"*{escape(entry.label)}*")))
            fallback.append(entry.label)
        body, lines = _entry_body(kb, entry)
        blocks.extend(body)
        fallback.extend(lines)
    for line in _source_lines(kb, entries):
        if line not in sources:
            sources.append(line)
    for line in sources:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=line)]))
    every = [quoted for entry in entries for quoted in _quoted(kb, entry)]
    fallback.append("Source: " + "; ".join(_source_plain(e) for e in _unique_sources(every)))
    if shared_by:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=f"Shared by <@{shared_by}>")]))
    if thanks:
        blocks.append(
            ContextBlock(elements=[MarkdownTextObject(text=f":white_check_mark: {escape(thanks)}")])
        )
    if alternatives:
        blocks.append(
            ActionsBlock(
                block_id="alternatives",
                elements=[
                    _button(f"Did you mean: {e.label}", SHOW_ACTION + e.id, e.id) for e in alternatives[:3]
                ],
            )
        )
    buttons: list[ButtonElement] = []
    ids = ",".join(e.id for e in entries)
    if feedback:
        buttons.append(_button(":thumbsup: Helpful", HELPFUL_ACTION, ids))
        buttons.append(_button(":thumbsdown: Not helpful", NOT_HELPFUL_ACTION, ids))
    if shareable:
        buttons.append(_button("Share in channel", SHARE_ACTION, ids, style="primary"))
    if buttons:
        blocks.append(ActionsBlock(block_id="card_actions", elements=buttons))
    return Message(text=truncate("\n".join(fallback), 4000), blocks=[b.to_dict() for b in blocks])


def _source_lines(kb: KnowledgeBase, entries: Sequence[Entry]) -> list[str]:
    """A source line for each entry; when the card quotes words from more than one source (a team's own
    principle beside the framework's, in a list or a comparison), each line says which entries it is for."""
    by_origin: dict[tuple[str, str], list[Entry]] = {}
    for entry in entries:
        for quoted in _quoted(kb, entry):
            if quoted is entry or _origin(quoted) != _origin(entry):
                by_origin.setdefault(_origin(quoted), []).append(quoted)
    if len(by_origin) == 1:
        return [source_line(entry) for entry in entries]
    lines = []
    for group in by_origin.values():
        named = [e for e in group if e in entries] or group  # the card's own entries, else the listed ones
        lines.append(source_line(named[0], of=", ".join(e.label for e in named)))
    return lines


def _quoted(kb: KnowledgeBase, entry: Entry) -> list[Entry]:
    """The entries whose words a card for `entry` shows: itself, and for a list its introduction and members,
    so that a team's own principle listed with the framework's is shown with its own source."""
    return [entry, *kb.intro_of(entry), *kb.members_of(entry), *kb.listed_after(entry)]


def _origin(entry: Entry) -> tuple[str, str]:
    return entry.source.framework, entry.source.page


def _unique_sources(entries: Sequence[Entry]) -> list[Entry]:
    seen: set[tuple[str, str]] = set()
    unique = []
    for entry in entries:
        key = (entry.source.framework, entry.source.page)
        if key not in seen:
            seen.add(key)
            unique.append(entry)
    return unique


def _source_plain(entry: Entry) -> str:
    label = f"{entry.source.framework}, “{entry.source.page}”"
    return f"background: {label}" if entry.background else label


def notice(text: str, *, detail: str | None = None) -> Message:
    """A short plain reply: what happened and what to do next."""
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=truncate(text, SECTION_LIMIT)))]
    if detail:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=truncate(detail, SECTION_LIMIT))]))
    return Message(
        text=_plain(text if not detail else f"{text}\n{detail}"), blocks=[b.to_dict() for b in blocks]
    )


def decline_card(text: str, detail: str, nearest: Entry | None) -> Message:
    """An honest decline: what it cannot answer and what it can; and, when one entry came close, that entry
    offered behind a button as the nearest the framework comes, never shown as if it were the answer."""
    declined = notice(text, detail=detail)
    if nearest is None:
        return declined
    offer = f"The nearest the framework comes is *{escape(nearest.label)}*, which may not answer it."
    button = SectionBlock(
        block_id="nearest",
        text=MarkdownTextObject(text=truncate(offer, SECTION_LIMIT)),
        accessory=_button("Show it", SHOW_ACTION + nearest.id, nearest.id),
    )
    said, *rest = declined.blocks  # the offer goes between what it cannot answer and what it can
    return Message(text=_plain(f"{text}\n{offer}\n{detail}"), blocks=[said, button.to_dict(), *rest])


def help_card(commands: Sequence[tuple[str, str, str]], *, intro: str | None = None) -> Message:
    """The one-screen help: `commands` are (command, usage hint, what it does)."""
    lines = [f"`{f'{command} {usage}'.strip()}`  {escape(what)}" for command, usage, what in commands]
    blocks: list[Block] = [HeaderBlock(text=PlainTextObject(text="Commissioning Guide"))]
    text_intro = intro or (
        "I answer questions about the East Midlands commissioning framework for children's, young people's "
        "and maternity services: the ten commissioning principles, the National Occupational Standards "
        "(NOS) for Commissioning, Procurement and Contracting, and the national minimum standards."
    )
    blocks.append(SectionBlock(text=MarkdownTextObject(text=escape(text_intro))))
    blocks.append(SectionBlock(text=MarkdownTextObject(text="*Commands*\n" + "\n".join(lines))))
    blocks.append(
        SectionBlock(
            text=MarkdownTextObject(
                text="*Ask in your own words*\nMention me in a channel (`@Commissioning Guide do we have to "
                "consult families?`), send me a direct message, or type `/commissioning` and your question.\n"
                "*My Home tab*\nClick my name, then *Home*: a tip of the day, menus to open any principle, NOS "
                "function or standard, your checklists, and tips in your messages if you want them."
            )
        )
    )
    blocks.append(
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text="Replies to commands are private to you until you press *Share in channel*. "
                    "Every answer quotes its source."
                )
            ]
        )
    )
    fallback = "Commissioning Guide: " + "; ".join(f"{c} {u}".strip() for c, u, _ in commands)
    return Message(text=fallback, blocks=[b.to_dict() for b in blocks])
