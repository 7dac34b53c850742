"""How scheduled posts look: a "did you know" tip, and the content owners' weekly digest (services/schedules.py)."""

from __future__ import annotations

from datetime import datetime

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from handlers.blocks import Message, entry_card, escape, truncate
from knowledge.base import KnowledgeBase
from knowledge.model import Entry
from services.schedules import Digest, Subscription

QUESTION_SHOWN = 150  # characters of a question in the digest


def tip_message(kb: KnowledgeBase, entry: Entry, subscription: Subscription) -> Message:
    """A tip: the fact's card, then when the next one comes and how to stop them."""
    card = entry_card(kb, [entry], heading=f"Did you know? {entry.title}", shareable=False)
    if subscription.personal:
        how = "Your tips come " + subscription.schedule.describe() + ". Turn them off in my Home tab."
    else:
        how = (
            "Tips come to this channel "
            + subscription.schedule.describe()
            + ". `/didyouknow unsubscribe` stops them; `/didyouknow status` says what's next."
        )
    footer = ContextBlock(elements=[MarkdownTextObject(text=how)]).to_dict()
    return Message(text=card.text, blocks=[*card.blocks, footer])


def _day(stamp: datetime) -> str:
    return f"{stamp:%A %-d %B}"


def digest_message(kb: KnowledgeBase, digest: Digest) -> Message:
    """The week's unanswered questions and thumbs-down answers, grouped and counted, never naming anyone."""
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text="Commissioning Guide: this week's content digest"))
    ]
    blocks.append(
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text=f"{_day(digest.since)} to {_day(digest.until)}. Who asked or voted is never recorded."
                )
            ]
        )
    )
    lines = [f"Content digest, {_day(digest.since)} to {_day(digest.until)}."]
    if digest.questions:
        shown = digest.questions[:15]
        listed = "\n".join(
            f"• “{escape(truncate(q.text, QUESTION_SHOWN))}”" + (f" ×{q.times}" if q.times > 1 else "")
            for q in shown
        )
        more = len(digest.questions) - len(shown)
        tail = f"\n…and {more} more (`python -m bot report` lists them all)" if more else ""
        heading = f"*Questions nothing answered* ({digest.question_count}, {len(digest.questions)} different)"
        blocks.append(
            SectionBlock(text=MarkdownTextObject(text=truncate(f"{heading}\n{listed}{tail}", 3000)))
        )
        lines.append(f"Questions nothing answered: {digest.question_count}.")
    else:
        blocks.append(
            SectionBlock(text=MarkdownTextObject(text="*Questions nothing answered*: none this week."))
        )
        lines.append("No unanswered questions.")
    if digest.disliked:
        parts = []
        for item in digest.disliked[:10]:
            entry = kb.get(item.entry_id)
            name = escape(entry.label) if entry else f"{escape(item.entry_id)} (no longer in the content)"
            owner = f" (owner: {escape(entry.owner)})" if entry and entry.owner else ""
            votes = "1 :thumbsdown:" if item.votes == 1 else f"{item.votes} :thumbsdown:"
            said = "".join(
                f"\n    _“{escape(truncate(' '.join(r.split()), QUESTION_SHOWN))}”_" for r in item.reasons[:5]
            )
            parts.append(f"• *{name}*{owner}: {votes}{said}")
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(
                    text=truncate("*Answers marked not helpful*\n" + "\n".join(parts), 3000)
                )
            )
        )
        lines.append(f"Answers marked not helpful: {len(digest.disliked)}.")
    else:
        blocks.append(
            SectionBlock(text=MarkdownTextObject(text="*Answers marked not helpful*: none this week."))
        )
    blocks.append(
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text="Edit the YAML in the content folder and `/commissioning reload` (admins) to fix an answer. "
                    "Suggestions from `/commissioning suggest` arrive here as they are sent."
                )
            ]
        )
    )
    return Message(text=" ".join(lines), blocks=[b.to_dict() for b in blocks])
