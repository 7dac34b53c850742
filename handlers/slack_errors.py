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
GENERIC = "Slack wouldn't let me do that just now ({code}). Please try again in a minute."


def explain(error: SlackApiError) -> str:
    code = str(error.response.get("error", "unknown_error"))
    return FIXES.get(code, GENERIC.format(code=code))
