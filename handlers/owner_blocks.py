"""What the content owners' loop looks like: the "what was wrong?" modal, the suggestion modal and message."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from handlers.blocks import Message, escape, quote, truncate
from handlers.catalog import SHORTCUTS
from services.mrkdwn import escape_keeping_people

REASON_VIEW = "feedback_reason"
SUGGEST_SHORTCUT = SHORTCUTS[0]
SUGGEST_VIEW = "suggest_edit_submit"
INPUT_BLOCK, INPUT_ACTION = "said", "text"
SAID_LIMIT = 1000
EXCERPT = 300


def _input(label: str, placeholder: str) -> InputBlock:
    return InputBlock(
        block_id=INPUT_BLOCK,
        label=PlainTextObject(text=label),
        element=PlainTextInputElement(
            action_id=INPUT_ACTION,
            multiline=True,
            max_length=SAID_LIMIT,
            placeholder=PlainTextObject(text=placeholder),
        ),
    )


def reason_modal(entry_ids: list[str], labels: list[str]) -> dict[str, Any]:
    """Offered after a thumbs-down: one short question, optional to answer (closing the modal is fine)."""
    about = ", ".join(labels)
    blocks: list[Block] = [
        SectionBlock(
            text=MarkdownTextObject(
                text=truncate(
                    f"What was wrong with *{escape(about)}*? (If you'd rather not say, just close this.)",
                    3000,
                )
            )
        ),
        _input(
            "What was wrong?", "e.g. it answered a different question, or our local policy says otherwise"
        ),
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text="The content owners see your words in their weekly digest, without your name."
                )
            ]
        ),
    ]
    return View(
        type="modal",
        callback_id=REASON_VIEW,
        title=PlainTextObject(text="What was wrong?"),
        submit=PlainTextObject(text="Send"),
        close=PlainTextObject(text="Skip"),
        private_metadata=_fitted({"ids": entry_ids[:20]}),
        blocks=blocks,
    ).to_dict()


def suggest_modal(excerpt: str, channel_id: str, message_ts: str) -> dict[str, Any]:
    """The message shortcut's form: the message it was used on, and what should change."""
    blocks: list[Block] = []
    if excerpt:
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(text=truncate("*About this message*\n" + quote(excerpt), 3000))
            )
        )
    blocks.append(
        _input("What should change?", "e.g. principle 4 should mention our local partnership board")
    )
    blocks.append(
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text="It goes to the people who maintain the Guide's content, with your name."
                )
            ]
        )
    )
    metadata = _fitted({"channel": channel_id, "ts": message_ts, "excerpt": excerpt[:EXCERPT]})
    return View(
        type="modal",
        callback_id=SUGGEST_VIEW,
        title=PlainTextObject(text="Suggest an edit"),
        submit=PlainTextObject(text="Send"),
        close=PlainTextObject(text="Cancel"),
        private_metadata=metadata,
        blocks=blocks,
    ).to_dict()


def sent_modal(text: str) -> dict[str, Any]:
    """What a submitted modal turns into: a short thank-you."""
    return View(
        type="modal",
        title=PlainTextObject(text="Thank you"),
        close=PlainTextObject(text="Close"),
        blocks=[SectionBlock(text=MarkdownTextObject(text=truncate(text, 3000)))],
    ).to_dict()


def suggestion_message(
    suggestion: str, user_id: str, channel_id: str | None, excerpt: str, link: str | None
) -> Message:
    """A suggestion as the content owners see it: who sent it, where from, and the message it is about."""
    where = f" in <#{channel_id}>" if channel_id and channel_id.startswith(("C", "G")) else ""
    blocks: list[Block] = [
        SectionBlock(
            text=MarkdownTextObject(text=f":memo: *Suggestion for the Guide* from <@{user_id}>{where}")
        ),
        SectionBlock(text=MarkdownTextObject(text=truncate(_quoted(suggestion), 3000))),
    ]
    if excerpt:
        about = f"About: “{escape(truncate(' '.join(excerpt.split()), 200))}”"
        if link:
            about += f" (<{link}|the message>)"
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=about)]))
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text="Reply in a thread here to discuss it.")]))
    return Message(
        text=truncate(
            f"Suggestion for the Guide from <@{user_id}>: {escape_keeping_people(suggestion)}", 3000
        ),
        blocks=[b.to_dict() for b in blocks],
    )


def _quoted(text: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in escape_keeping_people(text).splitlines())


METADATA_LIMIT = 3000  # Slack's limit for a view's private_metadata


def _fitted(data: dict[str, Any]) -> str:
    """`data` as JSON within Slack's limit: the excerpt is shortened until it fits (JSON is never cut, as a
    cut document would not read back)."""
    encoded = json.dumps(data)
    while len(encoded) > METADATA_LIMIT and data.get("excerpt"):
        data = data | {"excerpt": data["excerpt"][: len(data["excerpt"]) * 3 // 4]}
        encoded = json.dumps(data)
    return encoded
