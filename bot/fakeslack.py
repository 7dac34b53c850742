"""A local stand-in for the Slack Web API and response_url, recording what the app sends.

The console runs the real app against it (so no Slack is needed), and the tests assert on what it
recorded. It speaks Slack's wire formats: form or JSON bodies, bearer tokens, {"ok": ...} replies,
Slack's error codes, and 429 with Retry-After when told to rate-limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web

TEAM_ID = "T0CONSOLE"
BOT_USER_ID = "U0GUIDEBOT"
BOT_ID = "B0GUIDEBOT"


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
    _changed: asyncio.Event | None = None
    files: dict[str, bytes] = field(default_factory=dict)
    limited: list[str] = field(default_factory=list)  # methods answered with 429, in order
    oauth_client: tuple[str, str] = ("123.456", "client-secret")
    sockets: list[web.WebSocketResponse] = field(default_factory=list)
    users: dict[str, str] = field(default_factory=dict)  # user id -> name, for users.info
    _acks: dict[str, asyncio.Future[dict[str, Any]]] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self._port}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    def response_url(self, key: str) -> str:
        return f"{self.base_url}/response/{key}"

    def next_ts(self) -> str:
        return f"{int(time.time())}.{next(self._ts):06d}"

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

    async def _payload(self, request: web.Request) -> dict[str, Any]:
        query: dict[str, Any] = dict(request.query)  # the SDK sends some methods' arguments as URL parameters
        if request.method == "GET":
            return query
        raw = await request.text()
        if request.content_type == "application/json":
            data = json.loads(raw or "{}")
            return query | data if isinstance(data, dict) else query
        data = query | dict(parse_qsl(raw, keep_blank_values=True))
        for key in ("blocks", "attachments", "files"):
            if isinstance(data.get(key), str):
                with contextlib.suppress(ValueError):
                    data[key] = json.loads(data[key])
        return data

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        payload = await self._payload(request)
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else payload.get("token")
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
        if not token:
            return web.json_response({"ok": False, "error": "not_authed"})
        if method in self.errors:
            call.result = {"ok": False, "error": self.errors[method]}
        else:
            call.result = self._reply(method, payload, token)
        if self.on_call is not None:
            self.on_call(call)
        return web.json_response(call.result)

    def _oauth_access(self, request: web.Request, payload: dict[str, Any]) -> dict[str, Any]:
        """Exchange an install code for a workspace's bot token. Codes look like 'team:T0ABC'."""
        import base64

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
        if method == "auth.test" and token_team(token) is not None:
            return {
                "ok": True,
                "url": "https://console.example/",
                "team": "Installed",
                "user": "commissioning_guide",
                "team_id": token_team(token),
                "user_id": BOT_USER_ID,
                "bot_id": BOT_ID,
                "is_enterprise_install": False,
            }
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://console.example/",
                "team": "Console",
                "user": "commissioning_guide",
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "bot_id": BOT_ID,
                "is_enterprise_install": False,
            }
        if method == "chat.postMessage":
            ts = self.next_ts()
            message = {
                "type": "message",
                "user": BOT_USER_ID,
                "bot_id": BOT_ID,
                "ts": ts,
                "text": payload.get("text", ""),
            }
            return {"ok": True, "channel": channel, "ts": ts, "message": message}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self.next_ts()}
        if method == "chat.update":
            return {"ok": True, "channel": channel, "ts": payload.get("ts"), "text": payload.get("text", "")}
        if method == "chat.getPermalink":
            ts = str(payload.get("message_ts", "")).replace(".", "")
            return {
                "ok": True,
                "channel": channel,
                "permalink": f"https://console.example/archives/{channel}/p{ts}",
            }
        if method == "users.info":
            user = str(payload.get("user", ""))
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
        if method == "apps.connections.open":
            return {"ok": True, "url": f"ws://{self.host}:{self._port}/link?ticket={next(self._ts)}"}
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._ts):08d}"
            return {"ok": True, "upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}
        if method == "files.completeUploadExternal":
            files = payload.get("files") or []
            return {"ok": True, "files": [{"id": f.get("id"), "title": f.get("title")} for f in files]}
        return {"ok": True}

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
        return await asyncio.wait_for(future, within)

    async def _upload(self, request: web.Request) -> web.Response:
        self.files[request.match_info["file_id"]] = await request.read()
        return web.Response(text="OK - uploaded")

    async def _response(self, request: web.Request) -> web.Response:
        self._record(Call("response", request.match_info["key"], await self._payload(request)))
        return web.Response(text="ok")


def token_team(token: str | None) -> str | None:
    """The workspace a token from the stand-in's install flow belongs to ('xoxb-T0ABC-token' -> 'T0ABC')."""
    if token and token.startswith("xoxb-T") and token.endswith("-token"):
        return token.removeprefix("xoxb-").removesuffix("-token")
    return None
