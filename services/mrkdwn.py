"""Slack's mrkdwn, as far as the app's services need it: text people typed, made safe to show."""

from __future__ import annotations

import re


def escape(text: str) -> str:
    """Escape text for mrkdwn so it shows as typed and cannot ping (<!channel>) or forge links."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_PERSON = re.compile(r"&lt;@([UW][A-Z0-9]{2,})(?:\|[^&]*)?&gt;")


def escape_keeping_people(text: str) -> str:
    """As `escape`, but a mention of one person (<@U123>) stays a mention, as the writer meant it: nothing that
    pings a whole channel (<!channel>, <!here>) or forges a link gets through."""
    return _PERSON.sub(r"<@\1>", escape(text))
