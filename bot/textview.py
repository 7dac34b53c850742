"""Block Kit as readable terminal text, for the console: what a person would see in Slack."""

from __future__ import annotations

import html
import re
import textwrap
from dataclasses import dataclass
from typing import Any

_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)\|([^>]+)>")
_BARE_LINK = re.compile(r"<((?:https?|mailto):[^>]+)>")
_USER = re.compile(r"<@([A-Z0-9]+)>")
_CHANNEL = re.compile(r"<#([A-Z0-9]+)(?:\|([^>]*))?>")
CHANNEL_NAMES = {"C0CONSOLE": "console", "C0OWNERS": "content-owners"}  # the console's channels
_EMOJI = {
    ":books:": "📚",
    ":information_source:": "ℹ",
    ":white_check_mark:": "✔",
    ":thumbsup:": "👍",
    ":thumbsdown:": "👎",
    ":arrow_right:": "→",
    ":warning:": "⚠",
    ":clipboard:": "📋",
    ":memo:": "📝",
}
WIDTH = 100
BUTTON_MARK = "\x00button:"


@dataclass(frozen=True)
class Button:
    label: str
    action_id: str
    value: str
    block_id: str
    # Slack's confirmation dialog (title, text, confirm, deny), shown before the press counts
    confirm: dict[str, Any] | None = None
    # a menu's option (pressing it chooses the option), rather than a button
    option: dict[str, Any] | None = None
    kind: str = "button"
    url: str | None = None  # a link button: Slack opens the link (and still tells the app)


def mrkdwn_to_text(text: str) -> str:
    text = _LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})", text)
    text = _BARE_LINK.sub(r"\1", text)
    text = _USER.sub(lambda m: "@you" if m.group(1) == "U0CONSOLE" else f"@{m.group(1)}", text)
    text = _CHANNEL.sub(lambda m: "#" + (m.group(2) or CHANNEL_NAMES.get(m.group(1), m.group(1))), text)
    for code, symbol in _EMOJI.items():
        text = text.replace(code, symbol)
    text = re.sub(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])", r"\1", text)
    text = re.sub(r"(?<![\w_])_([^_\n]+)_(?![\w_])", r"\1", text)
    return html.unescape(text)


def _wrap(text: str, indent: str = "") -> list[str]:
    lines: list[str] = []
    for line in text.split("\n"):
        prefix = indent + ("> " if line.startswith(">") else "")
        body = line[1:].lstrip() if line.startswith(">") else line
        lines.extend(textwrap.wrap(body, WIDTH, initial_indent=prefix, subsequent_indent=prefix) or [prefix])
    return lines


def render(payload: dict[str, Any]) -> tuple[list[str], list[Button]]:
    """Text lines for a message payload, and its buttons in order."""
    blocks = payload.get("blocks") or []
    if not blocks:
        return _wrap(mrkdwn_to_text(str(payload.get("text") or ""))), []
    lines: list[str] = []
    buttons: list[Button] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            title = mrkdwn_to_text(block["text"]["text"])
            lines += [title, "─" * min(len(title), WIDTH)]
        elif kind == "section":
            lines += _wrap(mrkdwn_to_text(block.get("text", {}).get("text", "")))
            accessory = block.get("accessory") or {}
            if accessory.get("type") == "button":  # a button beside the text (Start, Show current step)
                label = mrkdwn_to_text(accessory["text"]["text"])
                buttons.append(
                    Button(
                        label,
                        accessory["action_id"],
                        accessory.get("value", ""),
                        block.get("block_id", ""),
                        url=accessory.get("url"),
                    )
                )
                lines.append(f"{BUTTON_MARK}{len(buttons) - 1}")  # numbered by the console, beside its text
            for field in block.get("fields") or []:
                lines += _wrap(mrkdwn_to_text(field.get("text", "")), "  ")
        elif kind == "context":
            text = "  ".join(
                mrkdwn_to_text(e.get("text", "")) for e in block.get("elements", []) if "text" in e
            )
            lines += _wrap(text, "   ")
        elif kind == "divider":
            lines.append("· " * 20)
        elif kind == "input":
            label = mrkdwn_to_text((block.get("label") or {}).get("text", ""))
            lines += [f"{label} (type :submit and your words, or :close)"]
        elif kind == "actions":
            for element in block.get("elements", []):
                if element.get("type") == "static_select":  # a menu: each option can be chosen by number
                    lines.append(
                        mrkdwn_to_text((element.get("placeholder") or {}).get("text", "")) + " (choose one):"
                    )
                    for option in element.get("options") or []:
                        buttons.append(
                            Button(
                                mrkdwn_to_text(option["text"]["text"]),
                                element["action_id"],
                                str(option.get("value", "")),
                                block.get("block_id", ""),
                                option=option,
                                kind="static_select",
                            )
                        )
                        lines.append(f"{BUTTON_MARK}{len(buttons) - 1}")
                if element.get("type") == "button":
                    label = mrkdwn_to_text(element["text"]["text"])
                    buttons.append(
                        Button(
                            label,
                            element["action_id"],
                            element.get("value", ""),
                            block.get("block_id", ""),
                            element.get("confirm"),
                        )
                    )
    return lines, buttons
