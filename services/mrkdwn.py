"""Slack's mrkdwn, as far as the app's services need it: text people typed, made safe to show."""

from __future__ import annotations


def escape(text: str) -> str:
    """Escape text for mrkdwn so it shows as typed and cannot ping (<!channel>) or forge links."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
