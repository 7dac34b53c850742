"""Slack API errors people can do something about, in words that say what to do."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError

FIXES = {
    "not_in_channel": "I'm not a member of this channel. Invite me with `/invite @Commissioning Guide`, then try again.",
    "channel_not_found": "I can't see this channel. Invite me with `/invite @Commissioning Guide`, then try again.",
    "is_archived": "This channel is archived, so I can't post in it.",
    "restricted_action": "This workspace's settings don't let me post here. A workspace admin can change that.",
    "cannot_reply_to_message": "I can't reply in that thread. Try starting again in the channel.",
    "msg_too_long": "That message was too long for Slack. Try a shorter one.",
}
UNAVAILABLE = (
    "Slack didn't answer properly just now (it may be having trouble). Please try again in a minute."
)
GENERIC = "Slack wouldn't let me do that just now ({code}). Please try again in a minute."


def error_code(error: SlackApiError) -> str:
    """Slack's error code, e.g. "not_in_channel". A reply that was not Slack's JSON (an HTML 503 page from a
    proxy, an empty body) has none: it is named by its HTTP status, "http_503"."""
    data = getattr(error.response, "data", None)
    if isinstance(data, dict) and data.get("error"):
        return str(data["error"])
    status = http_status(error)
    return f"http_{status}" if status >= 300 else "unknown_error"


def http_status(error: SlackApiError) -> int:
    """The HTTP status of Slack's reply. The SDK hands over its own response object, or, for a body that
    claimed to be JSON and was not, aiohttp's (which calls it `status`)."""
    for name in ("status_code", "status"):
        value = getattr(error.response, name, None)
        if isinstance(value, int):
            return value
    return 0


def explain(error: SlackApiError) -> str:
    code = error_code(error)
    if code.startswith("http_5"):
        return UNAVAILABLE
    return FIXES.get(code, GENERIC.format(code=code))
