"""One Bolt listener per kind of request, dispatching by name.

Bolt evaluates every registered listener's matcher, building all its injectable arguments (say, respond, a
Web API client...) just to look, on every request: with a listener per command and per button that was most of
the cost of an ack. The router offers the same `command(name)(handler)` / `action(action_id)(handler)` /
`event(type)(handler)` registration as an AsyncApp, so handler modules do not change, and registers a single
Bolt listener each for commands, actions and events, which find their handler in a dict. Each listener's
matcher reads the payload's type directly rather than through Bolt's argument injection.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.listener_matcher.async_listener_matcher import AsyncListenerMatcher
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

Handler = Callable[..., Awaitable[None]]
# What a dispatcher receives from Bolt and may pass on: the argument names Bolt injects.
_INJECTED = (
    "ack",
    "body",
    "command",
    "action",
    "event",
    "respond",
    "client",
    "context",
    "say",
    "payload",
    "logger",
)


def _caller(handler: Handler) -> Caller:
    wanted = [name for name in inspect.signature(handler).parameters if name in _INJECTED]

    async def call(kwargs: dict[str, Any]) -> None:
        await handler(**{name: kwargs[name] for name in wanted})

    return call


class Router:
    def __init__(self, app: AsyncApp) -> None:
        self.app = app
        self._commands: dict[str, Caller] = {}
        self._actions: dict[str, Caller] = {}
        self._events: dict[str, Caller] = {}
        self._other_command: Caller | None = None
        self._other_action: Caller | None = None

    def command(self, name: str | re.Pattern[str]) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            if isinstance(name, re.Pattern):
                self._other_command = _caller(handler)  # the catch-all: commands nobody else has
            else:
                self._commands[name] = _caller(handler)
            return handler

        return register

    def action(self, action_id: str | re.Pattern[str]) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            if isinstance(action_id, re.Pattern):
                self._other_action = _caller(handler)
            else:
                self._actions[action_id] = _caller(handler)
            return handler

        return register

    def event(self, event_type: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self._events[event_type] = _caller(handler)
            return handler

        return register

    @property
    def commands(self) -> frozenset[str]:
        return frozenset(self._commands)

    @property
    def actions(self) -> frozenset[str]:
        return frozenset(self._actions)

    def install(self) -> None:
        """Register the dispatchers with Bolt; call once, after every handler module has registered."""
        events = self._events
        _register(
            self.app,
            _dispatcher(self._commands, lambda kw: kw["command"].get("command"), lambda: self._other_command),
            lambda body: "command" in body,
            auto_ack=False,
            public=lambda: self.app.command(re.compile(r".*")),
        )
        _register(
            self.app,
            _dispatcher(self._actions, lambda kw: kw["action"].get("action_id"), lambda: self._other_action),
            lambda body: body.get("type") == "block_actions" and "actions" in body,
            auto_ack=False,
            public=lambda: self.app.action(re.compile(r".*")),
        )
        _register(
            self.app,
            _dispatcher(events, lambda kw: kw["event"].get("type"), lambda: None),
            lambda body: (
                body.get("type") == "event_callback"
                and isinstance(body.get("event"), dict)
                and body["event"].get("type") in events
            ),
            auto_ack=True,  # Slack wants events acknowledged at once, as Bolt does for app.event listeners
            public=lambda: self.app.event(re.compile("^(?:" + "|".join(map(re.escape, events)) + ")$")),
        )


class _PayloadMatcher(AsyncListenerMatcher):
    """Matches on the payload alone, without building every injectable argument first as Bolt's matchers do."""

    def __init__(self, test: Callable[[dict[str, Any]], bool]) -> None:
        self.test = test

    async def async_matches(self, req: AsyncBoltRequest, resp: BoltResponse) -> bool:
        return isinstance(req.body, dict) and self.test(req.body)


def _register(
    app: AsyncApp,
    listener: Handler,
    test: Callable[[dict[str, Any]], bool],
    *,
    auto_ack: bool,
    public: Callable[[], Callable[[Handler], Any]],
) -> None:
    """Register `listener` with a payload matcher, through the method Bolt's own `app.command()` etc. use; on a
    Bolt without it, through the public decorator (the same behaviour, a little slower)."""
    register = getattr(app, "_register_listener", None)
    if register is None:
        public()(listener)
        return
    register(
        functions=[listener],
        primary_matcher=_PayloadMatcher(test),
        matchers=None,
        middleware=None,
        auto_acknowledgement=auto_ack,
    )


Caller = Callable[[dict[str, Any]], Awaitable[None]]


def _dispatcher(
    table: dict[str, Caller], name_of: Callable[[dict[str, Any]], Any], other: Callable[[], Caller | None]
) -> Handler:
    """A Bolt listener that finds its handler in `table` by the request's name, else the catch-all, else just acks."""

    async def dispatch(
        ack: Any,
        body: Any,
        respond: Any,
        client: Any,
        context: Any,
        say: Any,
        payload: Any,
        logger: Any,
        command: Any = None,
        action: Any = None,
        event: Any = None,
    ) -> None:
        kwargs = locals()
        handler = table.get(str(name_of(kwargs)), other())
        if handler is None:
            await ack()
            return
        await handler(kwargs)

    return dispatch
