"""Test helpers: serve the real app over HTTP, and send it signed requests as Slack does."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import parse_qsl

import aiohttp
from aiohttp.test_utils import TestServer
from slack_bolt.async_app import AsyncApp

from bot import payloads
from bot.app import create_app
from bot.fakeslack import FakeSlack
from bot.runtime import build_deps
from bot.web import EVENTS_PATH, create_web_app
from bot.worker import AnswerWorker, start_worker, stop_app
from services.deps import Deps
from services.settings import Settings

SECRET = "test-signing-secret"
# The services with national minimum standards, as the seed page lists them and in its order.
SERVICES_WITH_STANDARDS = (
    "Residential family centres",
    "Fostering services",
    "Children's homes",
    "Boarding schools",
    "Residential special schools",
)
TEAM = "T0TESTTEAM"
CHANNEL = "C0TESTCHAN"
USER = "U0TESTUSER"
_counter = itertools.count(500_001)  # apart from the stand-in's own message ts, as Slack's are unique

T = TypeVar("T")


async def eventually(check: Callable[[], Awaitable[T]], done: Callable[[T], bool], within: float = 30.0) -> T:
    """`check()` once `done` holds of it, or its last value after `within` seconds: for what the app does just
    after its reply (queueing a question, counting an answer), which a test cannot wait on directly."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        value = await check()
        if done(value) or asyncio.get_running_loop().time() > deadline:
            return value
        await asyncio.sleep(0.05)


def new_ts() -> str:
    return f"{int(time.time())}.{next(_counter):06d}"


@dataclass
class Response:
    status: int
    text: str

    @property
    def json(self) -> dict[str, Any]:
        data = json.loads(self.text)
        assert isinstance(data, dict)
        return data

    @property
    def shown(self) -> str:
        """All the words of a message returned in the HTTP response (an ack with a reply)."""
        from bot.fakeslack import Call

        return Call("response", "ack", self.json).text


_response_keys = itertools.count(1)


@dataclass
class SlackClient:
    """Sends the app signed requests as Slack would, to `base_url`, with replies going to `fake`."""

    fake: FakeSlack
    base_url: str
    session: aiohttp.ClientSession
    secret: str = SECRET

    @property
    def url(self) -> str:
        return self.base_url.rstrip("/") + EVENTS_PATH

    async def post(self, body: str | bytes, headers: dict[str, str]) -> Response:
        async with self.session.post(self.url, data=body, headers=headers) as resp:
            response = Response(resp.status, await resp.text())
        if response.status == 200:
            self._check_ack(response.text)
        return response

    def _check_ack(self, text: str) -> None:
        """A reply in the HTTP response is a message Slack shows, so the stand-in holds it to Slack's rules."""
        try:
            body = json.loads(text)
        except ValueError:
            return
        if isinstance(body, dict):
            self.fake.check_ack(body)

    async def send(
        self,
        body: str,
        content_type: str,
        *,
        timestamp: int | None = None,
        extra_headers: dict[str, str] | None = None,
    ) -> Response:
        headers = payloads.signed_headers(self.secret, body, content_type, timestamp=timestamp)
        headers.update(extra_headers or {})
        return await self.post(body, headers)

    def response_url(self) -> tuple[str, str]:
        key = f"resp-{next(_response_keys)}"
        return key, self.fake.response_url(key)

    async def command(
        self, command: str, text: str = "", *, channel: str = CHANNEL, user: str = USER, team: str = TEAM
    ) -> tuple[Response, str]:
        """Send a slash command; returns the HTTP response and the command's response_url key."""
        key, url = self.response_url()
        body = payloads.slash_command(
            command, text, team_id=team, channel_id=channel, user_id=user, response_url=url
        )
        return await self.deliver("slash_commands", body, payloads.FORM), key

    async def event(
        self,
        event: dict[str, Any],
        *,
        team: str = TEAM,
        event_id: str | None = None,
        extra_headers: dict[str, str] | None = None,
    ) -> Response:
        self._remember(event)
        body = payloads.event_callback(event, team_id=team, event_id=event_id)
        return await self.deliver("events_api", body, payloads.JSON, extra_headers=extra_headers)

    def _remember(self, event: dict[str, Any]) -> None:
        """A person's message is in Slack before Slack tells the app about it: keep it in the stand-in, so
        conversations.replies and .history find it as they would in Slack."""
        channel, ts, user = event.get("channel"), event.get("ts"), event.get("user")
        if event.get("type") not in ("message", "app_mention") or not (channel and ts and user):
            return
        if event.get("subtype") or event.get("bot_id"):
            return
        if any(m.get("ts") == ts for m in self.fake.messages.get(str(channel), [])):
            return  # a mention arrives as two events: one message
        self.fake.add_message(
            str(channel),
            str(event.get("text") or ""),
            user=str(user),
            ts=str(ts),
            thread_ts=str(event["thread_ts"]) if event.get("thread_ts") else None,
        )

    async def click(
        self,
        button: dict[str, Any],
        *,
        block_id: str = "card_actions",
        message_ts: str | None = None,
        channel: str = CHANNEL,
        user: str = USER,
        team: str = TEAM,
        is_ephemeral: bool = True,
        response_key: str | None = None,
        message: dict[str, Any] | None = None,
    ) -> tuple[Response, str]:
        key, url = self.response_url()
        if response_key is not None:
            key, url = response_key, self.fake.response_url(response_key)
        body = payloads.block_actions(
            action_id=button["action_id"],
            value=button.get("value", ""),
            block_id=block_id,
            label=button["text"]["text"],
            team_id=team,
            user_id=user,
            channel_id=channel,
            message_ts=message_ts or new_ts(),
            response_url=url,
            is_ephemeral=is_ephemeral,
            message=message,
        )
        return await self.deliver("interactive", body, payloads.FORM), key

    async def open_home(self, *, user: str = USER, team: str = TEAM, tab: str = "home") -> Response:
        """The person opens the app's Home tab (or Messages tab)."""
        return await self.event(payloads.app_home_opened(user, tab=tab), team=team)

    async def in_view(
        self,
        view: dict[str, Any],
        action: dict[str, Any],
        *,
        block_id: str,
        selected: str | None = None,
        user: str = USER,
        team: str = TEAM,
    ) -> Response:
        """Press a button, or choose option `selected` of a menu, in a view (the Home tab or a modal)."""
        pressed = {"action_id": action["action_id"], "type": action["type"]}
        if selected is not None:
            option = next(o for o in action["options"] if o["value"] == selected)
            pressed["selected_option"] = option
        else:
            pressed |= {"value": action.get("value", ""), "text": action.get("text")}
        body = payloads.view_actions(action=pressed, block_id=block_id, team_id=team, user_id=user, view=view)
        return await self.deliver("interactive", body, payloads.FORM)

    async def submit(
        self, view: dict[str, Any], values: dict[str, dict[str, str]], *, user: str = USER, team: str = TEAM
    ) -> Response:
        """Submit a modal with `values` ({block_id: {action_id: text}}) typed into it."""
        body = payloads.view_submission(view=view, values=values, team_id=team, user_id=user)
        return await self.deliver("interactive", body, payloads.FORM)

    async def shortcut(
        self,
        callback_id: str,
        message: dict[str, Any],
        *,
        channel: str = CHANNEL,
        user: str = USER,
        team: str = TEAM,
    ) -> Response:
        """Use a message shortcut on `message`."""
        _key, url = self.response_url()
        body = payloads.message_action(
            callback_id=callback_id,
            message=message,
            channel_id=channel,
            team_id=team,
            user_id=user,
            response_url=url,
        )
        return await self.deliver("interactive", body, payloads.FORM)

    async def deliver(
        self, kind: str, body: str, content_type: str, *, extra_headers: dict[str, str] | None = None
    ) -> Response:
        """How a request reaches the app: here, signed over HTTP (SocketApp sends envelopes instead)."""
        return await self.send(body, content_type, extra_headers=extra_headers)


@dataclass
class RunningApp(SlackClient):
    """The real app in this process, served over HTTP on loopback."""

    deps: Deps = field(kw_only=True)
    server: TestServer | None = field(kw_only=True)
    app: AsyncApp = field(kw_only=True)
    worker: AnswerWorker | None = field(kw_only=True)

    async def stop(self) -> None:
        await self.session.close()
        if self.server is not None:
            await self.server.close()
        await self._finish()

    async def _finish(self) -> None:
        """What every transport does last: let listeners and the answer worker finish, then close."""
        await stop_app(self.app, self.worker)
        await self.deps.store.close()


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    """The buttons of a message payload, in order."""
    blocks = message.get("blocks") or []
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    found = []
    for block in blocks:
        elements = (
            block.get("elements", []) if block.get("type") == "actions" else [block.get("accessory") or {}]
        )
        found.extend(e for e in elements if e.get("type") == "button")
    return found


def button(message: dict[str, Any], label_part: str) -> dict[str, Any]:
    for candidate in buttons(message):
        if label_part.lower() in candidate["text"]["text"].lower():
            return candidate
    raise AssertionError(
        f"no button with {label_part!r}; buttons: {[b['text']['text'] for b in buttons(message)]}"
    )


async def start_app(
    fake: FakeSlack, database_url: str, *, worker: bool = True, **overrides: Any
) -> RunningApp:
    """The app served over HTTP; `worker=False` acks and queues questions only (as `serve --no-worker`)."""
    values: dict[str, Any] = {
        "slack_bot_token": "xoxb-test-token",
        "slack_signing_secret": SECRET,
        "slack_api_url": fake.api_url,
        "database_url": database_url,
    }
    values.update(overrides)
    deps = await build_deps(Settings(**values))
    app = create_app(deps, verified_upstream=True)  # as `serve` does: bot/web.py checks first
    server = TestServer(create_web_app(app, deps), host="127.0.0.1")
    await server.start_server()
    base = str(server.make_url("/"))
    return RunningApp(
        fake,
        base,
        aiohttp.ClientSession(),
        deps=deps,
        server=server,
        app=app,
        worker=start_worker(deps, app) if worker else None,
    )


async def start_oauth_app(fake: FakeSlack, database_url: str, **overrides: Any) -> RunningApp:
    """The app for many workspaces (the install flow on, no bot token of its own), over HTTP."""
    return await start_app(
        fake,
        database_url,
        slack_bot_token=None,
        slack_client_id=fake.oauth_client[0],
        slack_client_secret=fake.oauth_client[1],
        **overrides,
    )


@dataclass
class SocketApp(RunningApp):
    """The real app connected over Socket Mode to the stand-in; requests arrive as envelopes on the WebSocket.

    Same interface as RunningApp, so end-to-end scenarios run over both transports.
    """

    handler: Any = field(kw_only=True, default=None)

    async def deliver(
        self, kind: str, body: str, content_type: str, *, extra_headers: dict[str, str] | None = None
    ) -> Response:
        """The same request as an envelope on the WebSocket: events as JSON, the rest as Slack's payload object."""
        if content_type == payloads.JSON:
            payload = json.loads(body)
        else:
            form = dict(parse_qsl(body, keep_blank_values=True))
            payload = json.loads(form["payload"]) if "payload" in form else form
        retry = int((extra_headers or {}).get("X-Slack-Retry-Num", "0"))
        ack = await self.fake.send_envelope(kind, payload, retry_attempt=retry)
        return Response(200, json.dumps(ack) if ack else "")

    async def stop(self) -> None:
        await self.handler.close_async()
        await self.session.close()
        await self._finish()


async def start_socket_app(fake: FakeSlack, database_url: str, **overrides: Any) -> SocketApp:
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    values: dict[str, Any] = {
        "slack_bot_token": "xoxb-test-token",
        "slack_app_token": "xapp-1-test",
        "slack_api_url": fake.api_url,
        "database_url": database_url,
    }
    values.update(overrides)
    deps = await build_deps(Settings(**values))
    app = create_app(deps)
    handler = AsyncSocketModeHandler(app, "xapp-1-test")
    await handler.connect_async()
    return SocketApp(
        fake,
        fake.base_url,
        aiohttp.ClientSession(),
        deps=deps,
        server=None,
        app=app,
        handler=handler,
        worker=start_worker(deps, app),
    )
