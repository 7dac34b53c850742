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


def _caller(handler: Handler) -> Callable[[dict[str, Any]], Awaitable[None]]:
    wanted = [name for name in inspect.signature(handler).parameters if name in _INJECTED]

    async def call(kwargs: dict[str, Any]) -> None:
        await handler(**{name: kwargs[name] for name in wanted})

    return call


class Router:
    def __init__(self, app: AsyncApp) -> None:
        self.app = app
        self._commands: dict[str, Callable[[dict[str, Any]], Awaitable[None]]] = {}
        self._actions: dict[str, Callable[[dict[str, Any]], Awaitable[None]]] = {}
        self._other_command: Callable[[dict[str, Any]], Awaitable[None]] | None = None
        self._other_action: Callable[[dict[str, Any]], Awaitable[None]] | None = None

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

        async def dispatch_command(
            ack: Any,
            body: Any,
            command: Any,
            respond: Any,
            client: Any,
            context: Any,
            say: Any,
            payload: Any,
            logger: Any,
        ) -> None:
            handler = self._commands.get(str(command.get("command")), self._other_command)
            if handler is not None:
                await handler(locals())

        async def dispatch_action(
            ack: Any,
            body: Any,
            action: Any,
            respond: Any,
            client: Any,
            context: Any,
            say: Any,
            payload: Any,
            logger: Any,
        ) -> None:
            handler = self._actions.get(str(action.get("action_id")), self._other_action)
            if handler is None:
                await ack()
                return
            await handler(locals())

        self.app.command(re.compile(r".*"))(dispatch_command)
        self.app.action(re.compile(r".*"))(dispatch_action)
