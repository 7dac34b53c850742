"""A local stand-in for the Slack Web API and response_url, recording what the app sends.

The console runs the real app against it (so no Slack is needed), and the tests assert on what it
recorded. It speaks Slack's wire formats: form or JSON bodies, bearer tokens, {"ok": ...} replies,
Slack's error codes, and 429 with Retry-After when told to rate-limit.

It refuses what Slack refuses: Block Kit that Slack would not render (`message_problems`), messages with
nothing to show, malformed message metadata; each refusal is kept in `refusals` so a test fails on it. It
keeps the messages posted to it, so conversations.history and conversations.replies read them back as Slack
would, and it can be told to misbehave as Slack sometimes does (`delays`, `server_errors`, `outside`,
`revoked_tokens`).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import bisect
import contextlib
import copy
import itertools
import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web
from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

TEAM_ID = "T0CONSOLE"
BOT_USER_ID = "U0GUIDEBOT"
BOT_ID = "B0GUIDEBOT"

MESSAGE_BLOCKS = 50  # Slack's most blocks in a message
VIEW_BLOCKS = 100  # and in a modal or the Home tab
TEXT_LIMIT = 40_000  # characters of a message's `text`
# What an overloaded Slack edge answers with: HTML, not JSON.
UPSTREAM_ERROR = "<html><body>upstream connect error</body></html>"
# Methods that act in a channel, and so answer not_in_channel where the bot is not a member.
CHANNEL_METHODS = frozenset(
    {
        "chat.postMessage",
        "chat.update",
        "chat.postEphemeral",
        "conversations.replies",
        "conversations.history",
    }
)
MESSAGE_METHODS = frozenset({"chat.postMessage", "chat.postEphemeral", "chat.update"})
VIEW_METHODS = frozenset({"views.publish", "views.open", "views.update", "views.push"})
# A trigger_id as Slack issues them (bot/payloads.py makes them the same way).
TRIGGER_ID = re.compile(r"\d+\.\d+\.[0-9a-f]{32}")


@dataclass
class Call:
    """One request the app made: a Web API method, or a post to a response_url."""

    kind: str  # "api" or "response"
    method: str  # e.g. "chat.postMessage"; for responses, the response_url key
    payload: dict[str, Any]
    token: str | None = None
    result: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """Everything a person could read in the message: fallback text and all block text."""
        parts = [str(self.payload.get("text") or "")]
        parts.extend(_block_text(self.payload.get("blocks")))
        return "\n".join(p for p in parts if p)


def _block_text(blocks: Any) -> list[str]:
    if isinstance(blocks, str):
        try:
            blocks = json.loads(blocks)
        except ValueError:
            return [blocks]
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                found.append(node["text"])
            for value in node.values():
                if isinstance(value, (dict, list)):
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(blocks or [])
    return found


# Block Kit validation -------------------------------------------------------------------------------------


def message_problems(payload: dict[str, Any], *, max_blocks: int = MESSAGE_BLOCKS) -> list[str]:
    """What Slack would refuse in a message (chat.postMessage, chat.update, a response_url post, an ack);
    empty when Slack would take it. `blocks` may be a list or, as in form bodies, a JSON string."""
    return [detail for _code, detail in _message_faults(payload, max_blocks)]


def view_problems(view: Any) -> list[str]:
    """What Slack would refuse in a modal or Home tab view (views.open, views.publish, ...)."""
    if isinstance(view, str):
        try:
            view = json.loads(view)
        except ValueError:
            return ["view is not valid JSON [json-pointer:/view]"]
    if not isinstance(view, dict):
        return ["view must be an object [json-pointer:/view]"]
    problems: list[str] = []
    try:  # the view's own limits (type, a title of at most 24 characters, ...); its blocks are checked below
        View(**(view | {"blocks": [{"type": "divider"}]})).to_dict()
    except (SlackObjectFormationError, TypeError, ValueError, AttributeError) as error:
        problems.append(f"{error} [json-pointer:/view]")
    return problems + blocks_problems(view.get("blocks") or [], max_blocks=VIEW_BLOCKS, at="/view/blocks")


def blocks_problems(blocks: Any, *, max_blocks: int = MESSAGE_BLOCKS, at: str = "/blocks") -> list[str]:
    """What Slack's invalid_blocks would list for these blocks, each ending in Slack's json-pointer."""
    if isinstance(blocks, str):
        try:
            blocks = json.loads(blocks)
        except ValueError:
            return [f"blocks is not valid JSON [json-pointer:{at}]"]
    if not isinstance(blocks, list):
        return [f"blocks must be an array [json-pointer:{at}]"]
    problems: list[str] = []
    if len(blocks) > max_blocks:
        problems.append(f"no more than {max_blocks} items allowed, got {len(blocks)} [json-pointer:{at}]")
    seen_block_ids: set[str] = set()
    for index, block in enumerate(blocks):
        where = f"{at}/{index}"
        problems.extend(_block_problems(block, where))
        if not isinstance(block, dict):
            continue
        block_id = block.get("block_id")
        if isinstance(block_id, str):  # block_id names the block in interaction payloads: one per message
            if block_id in seen_block_ids:
                problems.append(f"block_id '{block_id}' already exists [json-pointer:{where}/block_id]")
            seen_block_ids.add(block_id)
        problems.extend(_action_id_problems(block, where))
    return problems


def _message_faults(payload: dict[str, Any], max_blocks: int) -> list[tuple[str, str]]:
    """(Slack's error code, what is wrong) for each thing Slack would refuse in this message."""
    faults: list[tuple[str, str]] = []
    text, blocks = payload.get("text"), payload.get("blocks")
    if isinstance(blocks, str):  # a form body's JSON string: "[]" is no blocks
        with contextlib.suppress(ValueError):
            blocks = json.loads(blocks)
    if not text and not blocks and not payload.get("attachments"):
        faults.append(("no_text", "no_text: a message needs text, blocks or attachments"))
    if isinstance(text, str) and len(text) > TEXT_LIMIT:
        faults.append(("msg_too_long", f"text is {len(text)} characters, more than Slack's {TEXT_LIMIT}"))
    if blocks:
        faults.extend(("invalid_blocks", p) for p in blocks_problems(blocks, max_blocks=max_blocks))
    return faults


def _block_problems(block: Any, where: str) -> list[str]:
    """A block Slack cannot render: an unknown type, a limit broken, or an element of no known type."""
    if not isinstance(block, dict):
        return [f"a block must be an object [json-pointer:{where}]"]
    try:
        parsed = Block.parse(block)
        if parsed is None:
            return [f"unknown block type {block.get('type')!r} [json-pointer:{where}/type]"]
        produced = parsed.to_dict()
    except SlackObjectFormationError as error:  # Slack's length and count limits, as slack_sdk knows them
        return [f"{error} [json-pointer:{where}]"]
    except (TypeError, ValueError, KeyError, AttributeError) as error:  # a required field missing or mistyped
        return [f"{block.get('type')} block is malformed ({error}) [json-pointer:{where}]"]
    return _lost_elements(block, produced, where)


def _lost_elements(original: Any, produced: Any, where: str) -> list[str]:
    """Parts of a block slack_sdk could not parse: they vanish from its output, or come back null."""
    if isinstance(original, dict):
        if not isinstance(produced, dict):
            return [f"{_described(original)} could not be parsed [json-pointer:{where}]"]
        problems: list[str] = []
        for key, value in original.items():
            if not isinstance(value, (dict, list)):
                continue
            if produced.get(key) is None:
                problems.append(_lost(key, value, f"{where}/{key}"))
            else:
                problems.extend(_lost_elements(value, produced[key], f"{where}/{key}"))
        return problems
    if isinstance(original, list):
        if not isinstance(produced, list) or len(produced) != len(original):
            return [f"not every item could be parsed [json-pointer:{where}]"]
        return [
            p
            for i, (o, q) in enumerate(zip(original, produced, strict=True))
            for p in _lost_elements(o, q, f"{where}/{i}")
        ]
    return []


def _lost(key: str, value: dict[str, Any] | list[Any], where: str) -> str:
    if isinstance(value, list) and not value:
        return f"{key} must have at least 1 item [json-pointer:{where}]"
    return f"{_described(value)} is not something Slack knows here [json-pointer:{where}]"


def _described(value: Any) -> str:
    if isinstance(value, dict) and "type" in value:
        return f"element of type {value['type']!r}"
    return "a property slack_sdk does not know" if isinstance(value, dict) else "a list"


def _action_id_problems(block: dict[str, Any], where: str) -> list[str]:
    """Slack answers invalid_blocks ("action_id ... already exists") when two elements of one block share an
    action_id; the same action_id in two blocks is fine (the block_id tells them apart)."""
    candidates: list[tuple[Any, str]] = []
    elements = block.get("elements")
    if isinstance(elements, list):
        candidates += [(e, f"/elements/{i}") for i, e in enumerate(elements)]
    candidates += [(block.get(key), f"/{key}") for key in ("accessory", "element")]
    problems: list[str] = []
    seen: set[str] = set()
    for element, path in candidates:
        action_id = element.get("action_id") if isinstance(element, dict) else None
        if not isinstance(action_id, str):
            continue
        if action_id in seen:
            problems.append(
                f"action_id '{action_id}' already exists in this block [json-pointer:{where}{path}/action_id]"
            )
        seen.add(action_id)
    return problems


def _refusal_code(faults: list[tuple[str, str]]) -> str:
    """The one error code Slack answers with: invalid_blocks whenever the blocks are wrong."""
    codes = [code for code, _detail in faults]
    return "invalid_blocks" if "invalid_blocks" in codes else codes[0]


def _metadata(value: Any) -> dict[str, Any] | None:
    """Message metadata as Slack stores it, or None when it is not {"event_type": ..., "event_payload": {...}}.
    Form bodies carry it as a JSON string, JSON bodies as an object."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    if not isinstance(value, dict):
        return None
    event_type, event_payload = value.get("event_type"), value.get("event_payload")
    if not isinstance(event_type, str) or not event_type or not isinstance(event_payload, dict):
        return None
    return {"event_type": event_type, "event_payload": event_payload}


# Reading messages back ------------------------------------------------------------------------------------


def _ts_value(ts: Any) -> Decimal | None:
    """A message ts as a number ("1700000000.000100"), exact where a float would round."""
    try:
        return Decimal(str(ts))
    except InvalidOperation:
        return None


def _ts_key(message: dict[str, Any]) -> Decimal:
    return _ts_value(message.get("ts")) or Decimal(0)


def _truthy(value: Any) -> bool:
    """A boolean argument: JSON bodies send true, query strings and forms "true" or "1"."""
    return value is True or value == 1 or str(value).lower() in ("true", "1")


def _is_top_level(message: dict[str, Any]) -> bool:
    """In the channel itself: not a thread reply (a thread's parent is), or a reply also sent to the channel."""
    thread_ts = message.get("thread_ts")
    return not thread_ts or thread_ts == message.get("ts") or message.get("subtype") == "thread_broadcast"


def _within(message: dict[str, Any], payload: dict[str, Any]) -> bool:
    """Slack's oldest/latest window: exclusive at both ends unless `inclusive` is set."""
    ts = _ts_key(message)
    inclusive = _truthy(payload.get("inclusive"))
    oldest, latest = _ts_value(payload.get("oldest") or 0), _ts_value(payload.get("latest") or "inf")
    if oldest is not None and (ts < oldest or (ts == oldest and not inclusive)):
        return False
    return latest is None or ts < latest or (ts == latest and inclusive)


def _cursor(ts: str) -> str:
    """An opaque cursor, shaped as Slack's are (base64 of "next_ts:...")."""
    return base64.b64encode(f"next_ts:{ts}".encode()).decode()


def _cursor_ts(cursor: str) -> str | None:
    try:
        decoded = base64.b64decode(cursor.encode(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    return decoded.removeprefix("next_ts:") if decoded.startswith("next_ts:") else None


def _limit(value: Any, cap: int) -> int:
    """Slack's page size: 100 unless asked, never more than the method's cap."""
    try:
        asked = int(value) if value not in (None, "") else 0
    except (TypeError, ValueError):
        asked = 0
    return min(asked, cap) if asked > 0 else min(100, cap)


def _page(messages: list[dict[str, Any]], payload: dict[str, Any], *, cap: int) -> dict[str, Any]:
    """One page of `messages` (already in the order Slack returns them), with Slack's cursor pagination.
    Slack includes a message's metadata only when asked with include_all_metadata."""
    messages = [m for m in messages if _within(m, payload)]
    start = 0
    if payload.get("cursor"):
        cursor_ts = _cursor_ts(str(payload["cursor"]))
        starts = [i for i, m in enumerate(messages) if m.get("ts") == cursor_ts]
        if not starts:
            return {"ok": False, "error": "invalid_cursor"}
        start = starts[0]
    end = start + _limit(payload.get("limit"), cap)
    with_metadata = _truthy(payload.get("include_all_metadata"))
    shown = [copy.deepcopy(m) for m in messages[start:end]]
    if not with_metadata:
        for message in shown:
            message.pop("metadata", None)
    has_more = end < len(messages)
    return {
        "ok": True,
        "messages": shown,
        "has_more": has_more,
        "response_metadata": {"next_cursor": _cursor(str(messages[end]["ts"])) if has_more else ""},
    }


def _error(code: str) -> dict[str, Any]:
    return {"ok": False, "error": code}


# The stand-in -----------------------------------------------------------------------------------------------


@dataclass
class FakeSlack:
    """Serve with `await fake.start()`; `api_url` and `response_url(key)` point at it."""

    host: str = "127.0.0.1"
    calls: list[Call] = field(default_factory=list)
    # method -> Slack error code to return instead of ok (e.g. "not_in_channel").
    errors: dict[str, str] = field(default_factory=dict)
    # method -> how many more times to answer 429 Too Many Requests.
    rate_limits: dict[str, int] = field(default_factory=dict)
    on_call: Callable[[Call], None] | None = None
    _runner: web.AppRunner | None = None
    _port: int = 0
    _ts: itertools.count = field(default_factory=lambda: itertools.count(1))  # type: ignore[type-arg]
    _latest_ts: Decimal = Decimal(0)  # the latest message ts handed out or seen
    _changed: asyncio.Event | None = None
    files: dict[str, bytes] = field(default_factory=dict)
    limited: list[str] = field(default_factory=list)  # methods answered with 429, in order
    oauth_client: tuple[str, str] = ("123.456", "client-secret")
    sockets: list[web.WebSocketResponse] = field(default_factory=list)
    users: dict[str, str] = field(default_factory=dict)  # user id -> name, for users.info
    _acks: dict[str, asyncio.Future[dict[str, Any]]] = field(default_factory=dict)
    # What Slack would have refused, one line each ("chat.postMessage (invalid_blocks): ..."); tests fail on it.
    refusals: list[str] = field(default_factory=list)
    on_refusal: Callable[[str], None] | None = None
    # channel id -> its messages in ts order, thread replies included: what conversations.* read.
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # False only for bench/load.py, which measures the app's acks: the stand-in then neither checks messages
    # nor keeps them, and so takes no more of the shared CPU than the Slack it stands for would.
    checking: bool = True
    _by_ts: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    _replies_to: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    # method -> seconds to wait before answering; the call has already taken effect, as when Slack is slow.
    delays: dict[str, float] = field(default_factory=dict)
    # method -> how many more times to answer 503 with an HTML page, as Slack's edge does when overloaded.
    server_errors: dict[str, int] = field(default_factory=dict)
    # channel ids the bot is not a member of: posting or reading there answers not_in_channel.
    outside: set[str] = field(default_factory=set)
    # tokens that were revoked (the app uninstalled): every method answers invalid_auth.
    revoked_tokens: set[str] = field(default_factory=set)
    # (token, user) -> the Home tab last published for them (a workspace's token, so per workspace); modals opened, in order; trigger_ids used.
    published: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    opened: list[dict[str, Any]] = field(default_factory=list)
    used_triggers: set[str] = field(default_factory=set)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self._port}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    def response_url(self, key: str) -> str:
        return f"{self.base_url}/response/{key}"

    def next_ts(self) -> str:
        """A new message ts: unique, and later than every ts seen so far, as Slack's are (a reply is always
        later than its parent, an answer later than the question)."""
        ts = max(Decimal(f"{int(time.time())}.{next(self._ts):06d}"), self._latest_ts + Decimal("0.000001"))
        self._latest_ts = ts
        return f"{ts:.6f}"

    def _saw_ts(self, ts: Any) -> None:
        """A ts that exists in Slack (a test's own message, a thread the app replies in): later ones follow it."""
        value = _ts_value(ts) if ts else None
        if value is not None and value.is_finite():
            self._latest_ts = max(self._latest_ts, value)

    async def start(self, port: int = 0) -> None:
        app = web.Application(client_max_size=10 * 1024 * 1024)
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)  # some methods (chat.getPermalink) are GETs
        app.router.add_post("/response/{key}", self._response)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/link", self._socket)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, port)
        await site.start()
        self._port = int(self._runner.addresses[0][1])
        self._changed = asyncio.Event()

    async def stop(self) -> None:
        for socket in list(self.sockets):
            await socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def _record(self, call: Call, *, notify: bool = True) -> None:
        self.calls.append(call)
        if notify and self.on_call is not None:
            self.on_call(call)
        if self._changed is not None:
            self._changed.set()

    async def wait_for(
        self, predicate: Callable[[Call], bool], *, within: float = 30.0, count: int = 1
    ) -> list[Call]:
        """Wait until `count` recorded calls match `predicate`; raise TimeoutError saying what arrived."""
        deadline = asyncio.get_running_loop().time() + within
        while True:
            matched = [c for c in self.calls if predicate(c)]
            if len(matched) >= count:
                return matched
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                seen = [f"{c.kind}:{c.method}" for c in self.calls]
                raise TimeoutError(
                    f"expected {count} matching call(s), got {len(matched)}; calls seen: {seen}"
                )
            assert self._changed is not None
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout=min(remaining, 0.2))

    def api_calls(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.kind == "api" and c.method == method]

    def responses(self) -> list[Call]:
        return [c for c in self.calls if c.kind == "response"]

    def add_message(
        self, channel: str, text: str, *, user: str, ts: str | None = None, thread_ts: str | None = None
    ) -> str:
        """A person's message, as if they had posted it (in a thread with `thread_ts`); returns its ts."""
        self._saw_ts(thread_ts)
        self._saw_ts(ts)
        message: dict[str, Any] = {"type": "message", "user": user, "text": text, "ts": ts or self.next_ts()}
        self._store(channel, message, thread_ts)
        return str(message["ts"])

    def check_ack(self, body: dict[str, Any]) -> list[str]:
        """Problems Slack would find in a message sent as an ack (a slash command's or a button's reply in the
        HTTP response or Socket Mode ack); recorded in `refusals`. An empty ack, or a view submission's
        `response_action`, is not a message and passes."""
        if not isinstance(body, dict) or "response_action" in body:
            return []
        if not any(body.get(key) for key in ("text", "blocks", "attachments")):
            return []
        faults = _message_faults(body, MESSAGE_BLOCKS)
        if faults:
            self._refuse("ack", _refusal_code(faults), [detail for _code, detail in faults])
        return [detail for _code, detail in faults]

    def _refuse(self, method: str, code: str, problems: list[str]) -> None:
        refusal = f"{method} ({code}): " + "; ".join(problems)
        self.refusals.append(refusal)
        if self.on_refusal is not None:
            self.on_refusal(refusal)

    async def _payload(self, request: web.Request) -> dict[str, Any]:
        query: dict[str, Any] = dict(request.query)  # the SDK sends some methods' arguments as URL parameters
        if request.method == "GET":
            return query
        raw = await request.text()
        if request.content_type == "application/json":
            data = json.loads(raw or "{}")
            return query | data if isinstance(data, dict) else query
        data = query | dict(parse_qsl(raw, keep_blank_values=True))
        for key in ("blocks", "attachments", "files", "view", "metadata"):
            if isinstance(data.get(key), str):
                with contextlib.suppress(ValueError):
                    data[key] = json.loads(data[key])
        return data

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        payload = await self._payload(request)
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else payload.get("token")
        if self.server_errors.get(method, 0) > 0:
            self.server_errors[method] -= 1
            failed = {"ok": False, "error": "service_unavailable", "status": 503}
            self._record(Call("api", method, payload, token, failed))
            return web.Response(status=503, text=UPSTREAM_ERROR, content_type="text/html")
        if self.rate_limits.get(method, 0) > 0:
            self.rate_limits[method] -= 1
            self.limited.append(method)
            return web.json_response(
                {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": "1"}
            )
        call = Call("api", method, payload, token)
        self._record(call, notify=False)
        if method == "oauth.v2.access":  # authenticated by the app's client id and secret, not a token
            call.result = self._oauth_access(request, payload)
            return web.json_response(call.result)
        call.result = self._answer(method, payload, token)
        if self.on_call is not None:
            self.on_call(call)
        if method in self.delays:
            await asyncio.sleep(self.delays[method])
        return web.json_response(call.result)

    def _answer(self, method: str, payload: dict[str, Any], token: str | None) -> dict[str, Any]:
        """Slack's checks in Slack's order: the token, then the arguments, then membership, then the work."""
        if not token:
            return _error("not_authed")
        if token in self.revoked_tokens:
            return _error("invalid_auth")
        refused = self._invalid(method, payload) if self.checking else None
        if refused is not None:
            return refused
        if method in self.errors:
            return _error(self.errors[method])
        if method in CHANNEL_METHODS and payload.get("channel") in self.outside:
            return _error("not_in_channel")
        return self._reply(method, payload, token)

    def _invalid(self, method: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """Slack's answer to a message or view it would not take (recorded in `refusals`), else None."""
        if method in VIEW_METHODS:
            faults = [("invalid_arguments", p) for p in view_problems(payload.get("view"))]
            faults.extend(self._view_call_faults(method, payload))
        elif method in MESSAGE_METHODS:
            faults = _message_faults(payload, MESSAGE_BLOCKS)
            if (
                method != "chat.postEphemeral"
                and payload.get("metadata")
                and _metadata(payload["metadata"]) is None
            ):
                faults.append(
                    ("invalid_metadata_format", "metadata needs event_type and an event_payload object")
                )
        else:
            return None
        if not faults:
            return None
        code, problems = _refusal_code(faults), [detail for _code, detail in faults]
        self._refuse(method, code, problems)
        # Slack lists the problems in `errors` and again, prefixed, in response_metadata.messages.
        messages = [f"[ERROR] {p}" for p in problems]
        return {"ok": False, "error": code, "errors": problems, "response_metadata": {"messages": messages}}

    def _view_call_faults(self, method: str, payload: dict[str, Any]) -> list[tuple[str, str]]:
        """Slack's rules for the view methods beyond the view itself: a Home tab is published for a user; a
        modal opens from a fresh trigger_id, once (Slack's trigger_ids last 3 seconds and are single-use)."""
        view = payload.get("view")
        if isinstance(view, str):
            with contextlib.suppress(ValueError):
                view = json.loads(view)
        kind = view.get("type") if isinstance(view, dict) else None
        faults: list[tuple[str, str]] = []
        if method == "views.publish":
            if not payload.get("user_id"):
                faults.append(("invalid_arguments", "user_id is required [json-pointer:/user_id]"))
            if kind != "home":
                faults.append(("invalid_arguments", "views.publish only publishes a view of type home"))
        elif method in ("views.open", "views.push"):
            trigger = str(payload.get("trigger_id") or "")
            if not TRIGGER_ID.fullmatch(trigger):
                faults.append(("invalid_trigger_id", f"trigger_id {trigger!r} is not one Slack issued"))
            elif trigger in self.used_triggers:
                faults.append(("exchanged_trigger_id", "this trigger_id was already used to open a view"))
            if kind != "modal":
                faults.append(("invalid_arguments", f"{method} opens a view of type modal, not {kind!r}"))
        inputs = isinstance(view, dict) and any(
            isinstance(b, dict) and b.get("type") == "input" for b in view.get("blocks") or []
        )
        if inputs and isinstance(view, dict) and not view.get("submit"):
            faults.append(("invalid_arguments", "a view with input blocks needs a submit button"))
        return faults

    def _oauth_access(self, request: web.Request, payload: dict[str, Any]) -> dict[str, Any]:
        """Exchange an install code for a workspace's bot token. Codes look like 'team:T0ABC'."""
        client_id, client_secret = payload.get("client_id"), payload.get("client_secret")
        auth = request.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            client_id, _, client_secret = base64.b64decode(auth[6:]).decode().partition(":")
        if (client_id, client_secret) != self.oauth_client:
            return {"ok": False, "error": "invalid_client_id"}
        code = str(payload.get("code", ""))
        if not code.startswith("team:"):
            return {"ok": False, "error": "invalid_code"}
        team = code.removeprefix("team:")
        return {
            "ok": True,
            "app_id": "A0GUIDEAPP",
            "authed_user": {"id": "U0INSTALLER"},
            "scope": ",".join(("app_mentions:read", "chat:write", "commands")),
            "token_type": "bot",
            "access_token": f"xoxb-{team}-token",
            "bot_user_id": BOT_USER_ID,
            "team": {"id": team, "name": f"Workspace {team}"},
            "enterprise": None,
            "is_enterprise_install": False,
        }

    def _reply(self, method: str, payload: dict[str, Any], token: str | None = None) -> dict[str, Any]:
        channel = payload.get("channel", "")
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://console.example/",
                "team": "Console" if token_team(token) is None else "Installed",
                "user": "commissioning_guide",
                "team_id": token_team(token) or TEAM_ID,
                "user_id": BOT_USER_ID,
                "bot_id": BOT_ID,
                "is_enterprise_install": False,
            }
        if method == "chat.postMessage":
            return self._post_message(payload)
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self.next_ts()}
        if method == "chat.update":
            return self._update(payload)
        if method == "conversations.replies":
            return self._replies(payload)
        if method == "conversations.history":
            history = [m for m in reversed(self.messages.get(str(channel), [])) if _is_top_level(m)]
            return _page(history, payload, cap=999) | {"pin_count": 0}
        if method == "chat.getPermalink":
            ts = str(payload.get("message_ts", "")).replace(".", "")
            return {
                "ok": True,
                "channel": channel,
                "permalink": f"https://console.example/archives/{channel}/p{ts}",
            }
        if method == "users.info":
            return self._user(str(payload.get("user", "")))
        if method in VIEW_METHODS:
            return self._view(method, payload, token)
        if method == "apps.connections.open":
            return {"ok": True, "url": f"ws://{self.host}:{self._port}/link?ticket={next(self._ts)}"}
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._ts):08d}"
            return {"ok": True, "upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}
        if method == "files.completeUploadExternal":
            files = payload.get("files") or []
            return {"ok": True, "files": [{"id": f.get("id"), "title": f.get("title")} for f in files]}
        return {"ok": True}

    def _view(self, method: str, payload: dict[str, Any], token: str | None) -> dict[str, Any]:
        view = payload.get("view")
        if isinstance(view, str):
            view = json.loads(view)
        shown = dict(view or {}) | {"id": f"V{next(self._ts):09d}", "team_id": token_team(token) or TEAM_ID}
        if method == "views.publish":  # a workspace's token publishes its own people's tabs
            self.published[(str(token), str(payload.get("user_id")))] = shown
        else:
            if payload.get("trigger_id"):
                self.used_triggers.add(str(payload["trigger_id"]))
            self.opened.append(shown)
        return {"ok": True, "view": shown}

    def _user(self, user: str) -> dict[str, Any]:
        if user not in self.users:
            return {"ok": False, "error": "user_not_found"}
        name = self.users[user]
        return {
            "ok": True,
            "user": {
                "id": user,
                "name": name.lower().replace(" ", "."),
                "real_name": name,
                "profile": {"real_name": name, "display_name": name},
            },
        }

    def _post_message(self, payload: dict[str, Any]) -> dict[str, Any]:
        channel = str(payload.get("channel") or "")
        if not channel:
            return _error("channel_not_found")
        self._saw_ts(payload.get("thread_ts"))
        message: dict[str, Any] = {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "ts": self.next_ts(),
            "text": str(payload.get("text") or ""),
        }
        if not self.checking:  # bench/load.py: Slack's reply, without keeping or copying the message
            return {"ok": True, "channel": channel, "ts": message["ts"], "message": message}
        _set_content(message, payload)
        if payload.get("thread_ts") and _truthy(payload.get("reply_broadcast")):
            message["subtype"] = "thread_broadcast"
        self._store(channel, message, str(payload.get("thread_ts") or "") or None)
        return {"ok": True, "channel": channel, "ts": message["ts"], "message": copy.deepcopy(message)}

    def _update(self, payload: dict[str, Any]) -> dict[str, Any]:
        channel, ts = str(payload.get("channel") or ""), str(payload.get("ts") or "")
        message = self._find(channel, ts)
        if message is None:
            return _error("message_not_found")
        if message.get("user") != BOT_USER_ID:  # an app can edit only its own messages
            return _error("cant_update_message")
        if "text" in payload:
            message["text"] = str(payload.get("text") or "")
        _set_content(message, payload)
        message["edited"] = {"user": BOT_USER_ID, "ts": self.next_ts()}
        return {
            "ok": True,
            "channel": channel,
            "ts": ts,
            "text": message["text"],
            "message": copy.deepcopy(message),
        }

    def _replies(self, payload: dict[str, Any]) -> dict[str, Any]:
        channel, ts = str(payload.get("channel") or ""), str(payload.get("ts") or "")
        message = self._find(channel, ts)
        if message is None:
            return _error("thread_not_found")
        root = str(message.get("thread_ts") or message["ts"])  # a reply's ts stands for its whole thread
        parent = self._find(channel, root)
        thread = ([parent] if parent is not None else []) + self._replies_to.get((channel, root), [])
        return _page(thread, payload, cap=1000)

    def _find(self, channel: str, ts: str) -> dict[str, Any] | None:
        # an index, not a scan: a benchmark puts tens of thousands of messages in one channel
        return self._by_ts.get((channel, ts))

    def _store(self, channel: str, message: dict[str, Any], thread_ts: str | None) -> None:
        """Keep a message; a reply also marks its parent as a thread, as Slack's parent messages show."""
        stored = self.messages.setdefault(channel, [])
        parent = self._find(channel, thread_ts) if thread_ts else None
        if parent is not None and parent.get("thread_ts") not in (None, parent["ts"]):
            thread_ts = str(parent["thread_ts"])  # a reply to a reply goes in the same thread
            parent = self._find(channel, thread_ts)
        if thread_ts:
            message["thread_ts"] = thread_ts
        if parent is not None:
            message["parent_user_id"] = parent.get("user")
            parent["thread_ts"] = thread_ts
            parent["reply_count"] = int(parent.get("reply_count", 0)) + 1
            parent["latest_reply"] = message["ts"]
            parent["reply_users"] = sorted({*parent.get("reply_users", []), message["user"]})
        self._by_ts[(channel, str(message["ts"]))] = message
        if thread_ts:
            bisect.insort(self._replies_to.setdefault((channel, thread_ts), []), message, key=_ts_key)
        if not stored or _ts_key(stored[-1]) <= _ts_key(message):
            stored.append(message)  # the usual case: newer than everything kept
        else:
            bisect.insort(stored, message, key=_ts_key)

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        """Socket Mode: say hello, deliver envelopes from `send_envelope`, collect the app's acks."""
        socket = web.WebSocketResponse(autoping=True)  # answers the SDK's pings with pongs
        await socket.prepare(request)
        self.sockets.append(socket)
        await socket.send_json(
            {
                "type": "hello",
                "num_connections": len(self.sockets),
                "debug_info": {"host": "fake-slack", "approximate_connection_time": 3600},
                "connection_info": {"app_id": "A0GUIDEAPP"},
            }
        )
        try:
            async for message in socket:
                if message.type != WSMsgType.TEXT:
                    continue
                ack = json.loads(message.data)
                future = self._acks.pop(str(ack.get("envelope_id")), None)
                if future is not None and not future.done():
                    future.set_result(ack.get("payload") or {})
        finally:
            self.sockets.remove(socket)
        return socket

    async def send_envelope(
        self, kind: str, payload: dict[str, Any], *, retry_attempt: int = 0, within: float = 30.0
    ) -> dict[str, Any]:
        """Deliver `payload` over Socket Mode as Slack does; returns the ack's payload (empty if none)."""
        for _ in range(int(within * 20)):
            if self.sockets:
                break
            await asyncio.sleep(0.05)
        if not self.sockets:
            raise TimeoutError("no Socket Mode connection to deliver to")
        envelope_id = f"{uuid.uuid4()}"
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._acks[envelope_id] = future
        await self.sockets[-1].send_json(
            {
                "envelope_id": envelope_id,
                "type": kind,
                "payload": payload,
                "accepts_response_payload": kind != "events_api",
                "retry_attempt": retry_attempt,
                "retry_reason": "timeout" if retry_attempt else "",
            }
        )
        ack = await asyncio.wait_for(future, within)
        self.check_ack(ack)  # a reply in the ack is a message, held to the same rules as a posted one
        return ack

    async def _upload(self, request: web.Request) -> web.Response:
        self.files[request.match_info["file_id"]] = await request.read()
        return web.Response(text="OK - uploaded")

    async def _response(self, request: web.Request) -> web.Response:
        """A post to a response_url. Slack answers a message it will not show with HTTP 400 and the error
        code as the body; deleting the original needs no message."""
        call = Call("response", request.match_info["key"], await self._payload(request))
        faults = (
            []
            if _truthy(call.payload.get("delete_original"))
            else _message_faults(call.payload, MESSAGE_BLOCKS)
        )
        if not faults:
            call.result = {"ok": True}
            self._record(call)
            return web.Response(text="ok")
        code = _refusal_code(faults)
        call.result = {"ok": False, "error": code, "errors": [detail for _code, detail in faults]}
        self._refuse(f"response_url {call.method}", code, call.result["errors"])
        self._record(call, notify=False)  # nobody sees a refused message
        return web.Response(status=400, text=code)


def _set_content(message: dict[str, Any], payload: dict[str, Any]) -> None:
    """Copy what a post or an update sets onto the stored message: blocks and metadata when given."""
    blocks = payload.get("blocks")
    if isinstance(blocks, str):
        with contextlib.suppress(ValueError):
            blocks = json.loads(blocks)
    if isinstance(blocks, list):
        message["blocks"] = blocks
    metadata = _metadata(payload.get("metadata"))
    if metadata is not None:
        message["metadata"] = metadata


def token_team(token: str | None) -> str | None:
    """The workspace a token from the stand-in's install flow belongs to ('xoxb-T0ABC-token' -> 'T0ABC')."""
    if token and token.startswith("xoxb-T") and token.endswith("-token"):
        return token.removeprefix("xoxb-").removesuffix("-token")
    return None
