"""create_app(): one AsyncApp with every listener, used alike by HTTP, Socket Mode and the console."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncApp, AsyncRespond
from slack_bolt.error import BoltError
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.oauth import oauth_settings
from handlers import register_all
from handlers.blocks import notice
from handlers.catalog import commands
from handlers.context import DEPS_KEY
from services.deps import Deps
from services.slack_errors import error_code
from services.storage import DATABASE_ERRORS

logger = logging.getLogger(__name__)


class _SameTokenWarning(logging.Filter):
    """Bolt also reads SLACK_BOT_TOKEN itself and warns that it is unused when given a client made with
    that very token; the warning says nothing an operator can act on."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        # Bolt's advice for unhandled requests is for developers ("add @app.command(...)"); the request log
        # already records them as "unhandled".
        return "`token` will be unused" not in message and "Unhandled request" not in message


_bolt_logger = logging.getLogger("slack_bolt")
_bolt_logger.addFilter(_SameTokenWarning())

KNOWN_COMMANDS = frozenset(name for name, _usage, _what in commands())
NOT_INSTALLED = (
    "Commissioning Guide isn't installed in this workspace yet. Ask a workspace admin to add it from the "
    "app's install page (/slack/install on the address it runs at)."
)
DATABASE_DOWN = (
    "I couldn't save that: my database isn't reachable just now, so nothing was changed. "
    "Please try again in a minute."
)
BAD_TOKEN = (
    "Commissioning Guide can't talk to Slack with the token it was given. Ask whoever runs it to check "
    "SLACK_BOT_TOKEN (the Bot User OAuth Token on the app's OAuth & Permissions page)."
)
SORRY = "Sorry, something went wrong on my side and I could not finish that. Please try again in a minute."


def make_client(token: str | None, base_url: str) -> AsyncWebClient:
    """A Web API client honouring SLACK_API_URL, retrying 429s after Slack's Retry-After.

    It keeps one HTTP session (and so its connections) for all calls: call close_app() at shutdown.
    Needs a running event loop.
    """
    client = AsyncWebClient(token=token, base_url=base_url, session=aiohttp.ClientSession())
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=3))
    return client


class InjectDeps(AsyncMiddleware):
    """Puts the app's dependencies in every request's context, and counts commands for /metrics.

    A class, not a function: Bolt inspects a function middleware's arguments on every request.
    """

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def async_process(
        self, *, req: AsyncBoltRequest, resp: BoltResponse, next: Callable[[], Awaitable[BoltResponse]]
    ) -> BoltResponse | None:
        req.context[DEPS_KEY] = self.deps
        command = req.body.get("command")
        if command in KNOWN_COMMANDS:
            self.deps.metrics.commands.labels(command).inc()
        return await next()


def create_app(
    deps: Deps,
    *,
    token: str | None = None,
    signing_secret: str | None = None,
    process_before_response: bool = False,
    fast_routing: bool = True,
    verified_upstream: bool = False,
) -> AsyncApp:
    """Build the app.

    Args:
        deps: settings, knowledge and storage shared by every listener.
        token, signing_secret: default to the settings' (the console passes its own).
        process_before_response: finish each listener before answering the request (the console uses
            it so that a reply is printed before the next prompt).
    """
    settings = deps.settings
    many_workspaces = settings.oauth and token is None
    app = AsyncApp(
        # With the install flow, Bolt finds each workspace's own token for every request.
        client=make_client(
            None if many_workspaces else token or settings.slack_bot_token, settings.slack_api_url
        ),
        signing_secret=signing_secret or settings.slack_signing_secret,
        # bot/web.py checks every request's signature before it parses the body: Bolt need not check it again
        request_verification_enabled=not verified_upstream,
        process_before_response=process_before_response,
        logger=_bolt_logger,
        oauth_settings=oauth_settings(settings, deps.store.engine) if many_workspaces else None,
        user_facing_authorize_error_message=NOT_INSTALLED if many_workspaces else BAD_TOKEN,
        # Bolt's AI-assistant thread helpers: unused here, and a middleware run on every event.
        attaching_conversation_kwargs_enabled=False,
    )

    app.use(InjectDeps(deps))
    router = register_all(app, fast=fast_routing)
    router.on_error = handle_error
    app.error(handle_error)
    return app


def workspace_client(app: AsyncApp) -> Callable[..., Awaitable[AsyncWebClient | None]]:
    """A Web API client for a workspace: the app's own, or with many workspaces, one with that workspace's token
    from the installation store (None if it has uninstalled). In an Enterprise Grid, pass the enterprise id, and
    whether the app was installed for the whole organisation, as Slack's request said."""

    async def client_for(
        team_id: str, enterprise_id: str | None = None, enterprise_install: bool = False
    ) -> AsyncWebClient | None:
        store = app.installation_store
        if store is None:
            return app.client
        bot = await store.async_find_bot(
            enterprise_id=enterprise_id,
            team_id=None if enterprise_install else team_id,
            is_enterprise_install=enterprise_install,
        )
        if bot is None:
            return None
        return AsyncWebClient(
            token=bot.bot_token,
            base_url=app.client.base_url,
            session=app.client.session,
            retry_handlers=app.client.retry_handlers,  # 429s retried after Retry-After here too
        )

    return client_for


async def check_token(app: AsyncApp) -> bool:
    """At start: say plainly, in the log, if Slack refuses the bot token (the app still starts, and /readyz
    fails, so an operator sees it before users do). Many workspaces: each has its own token; nothing to check."""
    if app.installation_store is not None:
        return True
    try:
        await app.client.auth_test()
    except SlackApiError as error:
        logger.error(
            "Slack refused SLACK_BOT_TOKEN (%s): copy the Bot User OAuth Token (xoxb-...) again from the "
            "app's OAuth & Permissions page",
            error_code(error),
        )
        return False
    except (aiohttp.ClientError, TimeoutError, OSError) as error:
        logger.warning("could not reach Slack to check the bot token (%s)", type(error).__name__)
        return False
    return True


async def close_app(app: AsyncApp) -> None:
    """Close the Web API client's HTTP session."""
    session = app.client.session
    if session is not None and not session.closed:
        await session.close()


async def handle_error(error: Exception, body: dict[str, Any], respond: AsyncRespond | None = None) -> None:
    """The one error handler: log it for operators; tell the person, in words, if we can reach them."""
    kind = body.get("type") or body.get("command") or "request"
    said = SORRY
    if isinstance(error, BoltError):
        logger.warning("bolt could not handle a %s: %s", kind, error)
    elif isinstance(error, DATABASE_ERRORS):
        # Expected while the database is away: one line, no traceback; the person is told nothing was saved.
        logger.warning("database unavailable while handling a %s: %s", kind, type(error).__name__)
        said = DATABASE_DOWN
    else:
        logger.exception("failed handling a %s", kind, exc_info=error)
    if respond is not None and body.get("response_url"):
        try:
            await respond(response_type="ephemeral", replace_original=False, **notice(said).as_kwargs())
        except Exception:  # the person cannot be told; the failure is already logged
            logger.warning("could not tell the user about the failure")
