"""One Bolt listener per kind of request, dispatching by name.

Bolt evaluates every registered listener's matcher, building its injected arguments, on every request: with a
listener per command and per button that was most of the cost of an ack. The router offers the same
`command(name)(handler)` / `action(action_id)(handler)` / `event(type)(handler)` registration as an AsyncApp, so
handler modules do not change, and registers a single Bolt listener for all commands and one for all actions,
which find their handler in a dict. Events go straight to Bolt (there are two).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp

Handler = Callable[..., Awaitable[None]]
# What a dispatcher receives from Bolt and may pass on: the argument names Bolt injects.
_INJECTED = ("ack", "body", "command", "action", "respond", "client", "context", "say", "payload", "logger")


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
        return self.app.event(event_type)  # type: ignore[return-value]

    @property
    def commands(self) -> frozenset[str]:
        return frozenset(self._commands)

    @property
    def actions(self) -> frozenset[str]:
        return frozenset(self._actions)

    def install(self) -> None:
        """Register the dispatchers with Bolt; call once, after every handler module has registered."""
        self.app.command(re.compile(r".*"))(
            _dispatcher(self._commands, lambda kw: kw["command"].get("command"), lambda: self._other_command)
        )
        self.app.action(re.compile(r".*"))(
            _dispatcher(self._actions, lambda kw: kw["action"].get("action_id"), lambda: self._other_action)
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
    ) -> None:
        kwargs = locals()
        handler = table.get(str(name_of(kwargs)), other())
        if handler is None:
            await ack()
            return
        await handler(kwargs)

    return dispatch
