"""Requests exactly as Slack sends them, signed as Slack signs them.

The console builds its requests here, and so do the tests: slash commands and block actions are
form-encoded (actions in a `payload=` field), events are `event_callback` JSON, and every request
carries `X-Slack-Request-Timestamp` and a `v0=` HMAC-SHA256 `X-Slack-Signature` over
`v0:{timestamp}:{body}` with the signing secret.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from typing import Any
from urllib.parse import urlencode

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
APP_ID = "A0GUIDEAPP"


def signature(secret: str, timestamp: str, body: str) -> str:
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(
    secret: str, body: str, content_type: str, *, timestamp: int | None = None
) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": signature(secret, stamp, body),
    }


def _trigger_id() -> str:
    return f"{secrets.randbelow(10**10)}.{secrets.randbelow(10**10)}.{secrets.token_hex(16)}"


def slash_command(
    command: str,
    text: str,
    *,
    team_id: str,
    channel_id: str,
    user_id: str,
    response_url: str,
    channel_name: str = "general",
    user_name: str = "someone",
) -> str:
    return urlencode(
        {
            "token": "deprecated-verification-token",
            "team_id": team_id,
            "team_domain": "example",
            "channel_id": channel_id,
            "channel_name": channel_name,
            "user_id": user_id,
            "user_name": user_name,
            "command": command,
            "text": text,
            "api_app_id": APP_ID,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": _trigger_id(),
        }
    )


def event_callback(
    event: dict[str, Any], *, team_id: str, event_id: str | None = None, bot_user_id: str = "U0GUIDEBOT"
) -> str:
    return json.dumps(
        {
            "token": "deprecated-verification-token",
            "team_id": team_id,
            "api_app_id": APP_ID,
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{secrets.token_hex(5).upper()}",
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": team_id,
                    "user_id": bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": f"4-{secrets.token_hex(12)}",
        }
    )


def message_event(
    text: str,
    *,
    channel: str,
    user: str,
    ts: str,
    team_id: str,
    channel_type: str = "channel",
    thread_ts: str | None = None,
    mention: bool = False,
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": "app_mention" if mention else "message",
        "user": user,
        "text": text,
        "ts": ts,
        "team": team_id,
        "channel": channel,
        "event_ts": ts,
        "client_msg_id": secrets.token_hex(16),
        "blocks": [
            {
                "type": "rich_text",
                "block_id": secrets.token_hex(2),
                "elements": [{"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}],
            }
        ],
    }
    if not mention:
        event["channel_type"] = channel_type
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def block_actions(
    *,
    action_id: str,
    value: str,
    block_id: str,
    label: str,
    team_id: str,
    user_id: str,
    channel_id: str,
    message_ts: str,
    response_url: str,
    is_ephemeral: bool = False,
    message: dict[str, Any] | None = None,
) -> str:
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": user_id, "username": "someone", "name": "someone", "team_id": team_id},
        "api_app_id": APP_ID,
        "token": "deprecated-verification-token",
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel_id,
            "is_ephemeral": is_ephemeral,
        },
        "trigger_id": _trigger_id(),
        "team": {"id": team_id, "domain": "example"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": "general"},
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [
            {
                "action_id": action_id,
                "block_id": block_id,
                "text": {"type": "plain_text", "text": label, "emoji": True},
                "value": value,
                "type": "button",
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    if message is not None and not is_ephemeral:
        payload["message"] = message
    return urlencode({"payload": json.dumps(payload)})


def app_home_opened(user_id: str, *, tab: str = "home", view: dict[str, Any] | None = None) -> dict[str, Any]:
    """The event Slack sends when a person opens the app's Home (or Messages) tab."""
    event: dict[str, Any] = {
        "type": "app_home_opened",
        "user": user_id,
        "channel": "D0" + secrets.token_hex(4).upper(),
        "tab": tab,
        "event_ts": f"{time.time():.6f}",
    }
    if view is not None:  # Slack includes the tab's current view once one was published
        event["view"] = view
    return event


def _user(user_id: str, team_id: str) -> dict[str, Any]:
    return {"id": user_id, "username": "someone", "name": "someone", "team_id": team_id}


def view_actions(
    *,
    action: dict[str, Any],
    block_id: str,
    team_id: str,
    user_id: str,
    view: dict[str, Any],
) -> str:
    """A button press or menu choice in a view (the Home tab, a modal): no channel and no response_url."""
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": _user(user_id, team_id),
        "api_app_id": APP_ID,
        "token": "deprecated-verification-token",
        "container": {"type": "view", "view_id": view.get("id", "V0")},
        "trigger_id": _trigger_id(),
        "team": {"id": team_id, "domain": "example"},
        "enterprise": None,
        "is_enterprise_install": False,
        "view": view,
        "actions": [action | {"block_id": block_id, "action_ts": f"{time.time():.6f}"}],
    }
    return urlencode({"payload": json.dumps(payload)})


def view_submission(
    *, view: dict[str, Any], values: dict[str, dict[str, str]], team_id: str, user_id: str
) -> str:
    """A modal's submit: `values` is {block_id: {action_id: typed text}}, in the view's state as Slack sends it."""
    state = {
        block: {action: {"type": "plain_text_input", "value": typed} for action, typed in fields.items()}
        for block, fields in values.items()
    }
    payload = {
        "type": "view_submission",
        "team": {"id": team_id, "domain": "example"},
        "user": _user(user_id, team_id),
        "api_app_id": APP_ID,
        "token": "deprecated-verification-token",
        "trigger_id": _trigger_id(),
        "view": view | {"state": {"values": state}},
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }
    return urlencode({"payload": json.dumps(payload)})


def message_action(
    *,
    callback_id: str,
    message: dict[str, Any],
    channel_id: str,
    team_id: str,
    user_id: str,
    response_url: str,
) -> str:
    """A message shortcut, used from a message's menu."""
    payload = {
        "type": "message_action",
        "token": "deprecated-verification-token",
        "action_ts": f"{time.time():.6f}",
        "team": {"id": team_id, "domain": "example"},
        "user": _user(user_id, team_id),
        "channel": {"id": channel_id, "name": "general"},
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": _trigger_id(),
        "response_url": response_url,
        "message_ts": message.get("ts"),
        "message": message,
    }
    return urlencode({"payload": json.dumps(payload)})
