"""One Bolt listener per kind of request, dispatching by name.

Bolt evaluates every registered listener's matchers on every request: with a listener per command and per
button that was most of the cost of an ack. The router offers the same `command(name)(handler)` /
`action(action_id)(handler)` / `event(type)(handler)` registration as an AsyncApp, so handler modules do not
change, and registers one Bolt listener each for commands, actions and events (with Bolt's public decorators),
which find their handler in a dict.
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
PREFIX_END = ":"
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
    "view",
    "shortcut",
)


def _caller(handler: Handler) -> Caller:
    wanted = [name for name in inspect.signature(handler).parameters if name in _INJECTED]

    async def call(kwargs: dict[str, Any]) -> None:
        await handler(**{name: kwargs[name] for name in wanted})

    return call


ErrorHandler = Callable[[Exception, dict[str, Any], Any], Awaitable[None]]


class Router:
    def __init__(self, app: AsyncApp) -> None:
        self.app = app
        # Called with (error, body, respond) when a handler fails; set by create_app (bot/app.py).
        self.on_error: ErrorHandler | None = None
        self._commands: dict[str, Caller] = {}
        self._actions: dict[str, Caller] = {}
        self._events: dict[str, Caller] = {}
        self._views: dict[str, Caller] = {}  # view_submission, by the modal's callback_id
        self._shortcuts: dict[str, Caller] = {}  # message and global shortcuts, by callback_id
        self._other_command: Caller | None = None
        # Families of action_ids by prefix ("checklist_answer:" + the option): Slack wants every button in a
        # block to have its own action_id, so buttons that do the same thing differ in a suffix.
        self._action_prefixes: dict[str, Caller] = {}

    def command(self, name: str | re.Pattern[str]) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            if isinstance(name, re.Pattern):
                self._other_command = _caller(handler)  # the catch-all: commands nobody else has
            else:
                self._commands[name] = _caller(handler)
            return handler

        return register

    def action(self, action_id: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self._actions[action_id] = _caller(handler)
            return handler

        return register

    def action_prefix(self, prefix: str) -> Callable[[Handler], Handler]:
        """Register `handler` for every action_id that starts with `prefix` (which ends in ':')."""
        if not prefix.endswith(PREFIX_END):
            raise ValueError(f"an action_id prefix ends in {PREFIX_END!r}: {prefix!r}")

        def register(handler: Handler) -> Handler:
            self._action_prefixes[prefix] = _caller(handler)
            return handler

        return register

    def event(self, event_type: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self._events[event_type] = _caller(handler)
            return handler

        return register

    def view(self, callback_id: str) -> Callable[[Handler], Handler]:
        """Register `handler` for the submission of modals with this callback_id."""

        def register(handler: Handler) -> Handler:
            self._views[callback_id] = _caller(handler)
            return handler

        return register

    def shortcut(self, callback_id: str) -> Callable[[Handler], Handler]:
        """Register `handler` for the message (or global) shortcut with this callback_id."""

        def register(handler: Handler) -> Handler:
            self._shortcuts[callback_id] = _caller(handler)
            return handler

        return register

    @property
    def shortcuts(self) -> frozenset[str]:
        return frozenset(self._shortcuts)

    @property
    def events(self) -> frozenset[str]:
        return frozenset(self._events)

    @property
    def commands(self) -> frozenset[str]:
        return frozenset(self._commands)

    @property
    def actions(self) -> frozenset[str]:
        """The action_ids handled: exact ones, and prefixes (ending in ':')."""
        return frozenset(self._actions) | frozenset(self._action_prefixes)

    def _action_handler(self, action_id: str) -> Caller | None:
        found = self._actions.get(action_id)
        if found is None and PREFIX_END in action_id:
            found = self._action_prefixes.get(action_id[: action_id.index(PREFIX_END) + 1])
        return found

    def install(self, *, fast: bool = True) -> None:
        """Register the dispatchers with Bolt; call once, after every handler module has registered.

        Each kind gets one listener whose matcher reads the payload's type directly (`_PayloadMatcher`),
        registered through the method Bolt's own decorators call, `_register_listener`: measured with
        bench/load.py, Bolt's public decorators (a pattern that matches every name) cost a quarter of the
        mention throughput, as their matchers build injectable arguments for every request. That method is
        private, so Bolt is pinned (pyproject.toml) to the minor version this is tested on, and the public
        decorators are the fallback (`fast=False`, or a Bolt without the method): the same behaviour, tested
        in tests/test_manifest.py.
        """
        events = self._events
        kinds: list[
            tuple[Handler, Callable[[dict[str, Any]], bool], bool, Callable[[], Callable[[Handler], Any]]]
        ] = [
            (
                _dispatcher(
                    lambda name: self._commands.get(name, self._other_command),
                    lambda kw: kw["command"].get("command"),
                    lambda: self.on_error,
                ),
                lambda body: "command" in body,
                False,
                lambda: self.app.command(EVERY_NAME),
            ),
            (
                _dispatcher(
                    self._action_handler, lambda kw: kw["action"].get("action_id"), lambda: self.on_error
                ),
                lambda body: body.get("type") == "block_actions" and "actions" in body,
                False,
                lambda: self.app.action(EVERY_NAME),
            ),
            (
                _dispatcher(events.get, lambda kw: kw["event"].get("type"), lambda: self.on_error),
                lambda body: (
                    body.get("type") == "event_callback"
                    and isinstance(body.get("event"), dict)
                    and body["event"].get("type") in events
                ),
                True,  # Slack wants events acknowledged at once, as app.event does
                lambda: self.app.event(re.compile("^(?:" + "|".join(map(re.escape, events)) + ")$")),
            ),
            (
                _dispatcher(
                    self._views.get,
                    lambda kw: (kw["body"].get("view") or {}).get("callback_id"),
                    lambda: self.on_error,
                ),
                lambda body: body.get("type") == "view_submission",
                False,
                lambda: self.app.view(EVERY_NAME),
            ),
            (
                _dispatcher(
                    self._shortcuts.get, lambda kw: kw["body"].get("callback_id"), lambda: self.on_error
                ),
                lambda body: body.get("type") in ("message_action", "shortcut"),
                False,
                lambda: self.app.shortcut(EVERY_NAME),
            ),
        ]
        register = getattr(self.app, "_register_listener", None) if fast else None
        for listener, test, auto_ack, public in kinds:
            if register is None:
                public()(listener)
                continue
            register(
                functions=[listener],
                primary_matcher=_PayloadMatcher(test),
                matchers=None,
                middleware=None,
                auto_acknowledgement=auto_ack,
            )


class _PayloadMatcher(AsyncListenerMatcher):
    """Matches on the payload alone, without building injectable arguments first as Bolt's matchers do."""

    def __init__(self, test: Callable[[dict[str, Any]], bool]) -> None:
        self.test = test

    async def async_matches(self, req: AsyncBoltRequest, resp: BoltResponse) -> bool:
        return isinstance(req.body, dict) and self.test(req.body)


EVERY_NAME = re.compile(r".*")


Caller = Callable[[dict[str, Any]], Awaitable[None]]


def _dispatcher(
    find: Callable[[str], Caller | None],
    name_of: Callable[[dict[str, Any]], Any],
    on_error: Callable[[], ErrorHandler | None],
) -> Handler:
    """A Bolt listener that finds its handler by the request's name (`find`), else just acks.

    A handler's failure is handled here rather than left to Bolt: Bolt, seeing an exception after the ack,
    forgets the ack it was about to send and answers Slack "unhandled request" (404) after 3 seconds. So the
    request is acked (if the handler had not) and the app's error handler tells the person.
    """

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
        view: Any = None,
        shortcut: Any = None,
    ) -> None:
        kwargs = locals()
        handler = find(str(name_of(kwargs)))
        if handler is None:
            await ack()
            return
        try:
            await handler(kwargs)
        except Exception as error:
            errors = on_error()
            if errors is None:
                raise
            if getattr(ack, "response", None) is None:
                await ack()
            await errors(error, body, respond)

    return dispatch
