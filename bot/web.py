"""HTTP mode: Bolt's aiohttp adapter at /slack/events, plus /healthz, /readyz and /metrics for operators."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import KNOWN_COMMANDS
from services.deps import Deps
from services.metrics import CONTENT_TYPE
from services.slack_errors import error_code
from services.storage import DATABASE_FAILURES, UNREACHABLE

logger = logging.getLogger(__name__)
requests_log = logging.getLogger("bot.requests")

EVENTS_PATH = "/slack/events"
MAX_BODY = 1024 * 1024  # Slack's payloads are far smaller; larger bodies get 413
FORM = "application/x-www-form-urlencoded"
SLACK_TYPES = (FORM, "application/json")


def create_web_app(app: AsyncApp, deps: Deps) -> web.Application:
    verifier = SignatureVerifier(deps.settings.slack_signing_secret or "")
    replays = ReplayGuard()

    async def slack_events(request: web.Request) -> web.Response:
        started = time.perf_counter()
        if request.content_type not in SLACK_TYPES:
            deps.metrics.requests.labels("unknown", "bad_request").inc()
            return web.Response(
                status=415, text="Slack sends application/x-www-form-urlencoded or application/json"
            )
        # Refused before it is read whole: Slack's payloads are far smaller.
        if (request.content_length or 0) > MAX_BODY:
            deps.metrics.requests.labels("unknown", "too_large").inc()
            return web.Response(status=413, text="Request body too large")
        try:
            raw = await request.read()
        except web.HTTPRequestEntityTooLarge:  # no Content-Length (chunked), and more than MAX_BODY arrived
            deps.metrics.requests.labels("unknown", "too_large").inc()
            return web.Response(status=413, text="Request body too large")
        # Decode leniently: a forged body of invalid UTF-8 must fail the signature check, not crash.
        body = raw.decode("utf-8", errors="replace")
        headers = dict(request.headers)
        # The signature is checked before the body is parsed, so nothing a forger sends is ever parsed.
        if not verifier.is_valid_request(body, headers):
            deps.metrics.requests.labels("unverified", "refused").inc()
            requests_log.info("unverified -> 401", extra={"kind": "unverified", "outcome": "refused"})
            return web.Response(status=401, text="Invalid or stale signature")
        if request.content_type == FORM and replays.seen(request.headers.get("X-Slack-Signature", "")):
            # The same signed command or button press sent again (Slack never re-sends these): done once.
            deps.metrics.requests.labels("replayed", "refused").inc()
            requests_log.warning("a signed request was replayed; ignored")
            return web.Response(status=200, text="")
        try:
            # Bolt parses the body here; a body that is not the JSON or form it claims to be is refused.
            bolt_request = AsyncBoltRequest(body=body, query=request.query_string, headers=headers)  # type: ignore[arg-type]
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
            deps.metrics.requests.labels("unknown", "bad_request").inc()
            return web.Response(status=400, text="Malformed request body")
        if malformed(bolt_request.body):
            deps.metrics.requests.labels("unknown", "bad_request").inc()
            return web.Response(status=400, text="Malformed Slack payload")
        if deps.inflight.full and bolt_request.body.get("type") == "event_callback":
            await deps.inflight.room()  # backpressure for signed events only: see services/backpressure.py
        bolt_response = await app.async_dispatch(bolt_request)
        elapsed = time.perf_counter() - started
        kind = request_kind(bolt_request.body) if bolt_response.status != 401 else "unverified"
        outcome = outcome_of(bolt_response.status)
        deps.metrics.requests.labels(kind, outcome).inc()
        deps.metrics.ack_seconds.labels(kind).observe(elapsed)
        # One line per request: its kind, outcome and time; never its text or who sent it.
        requests_log.info(
            "%s -> %d in %.1f ms",
            kind,
            bolt_response.status,
            elapsed * 1000,
            extra={"kind": kind, "outcome": outcome, "duration_ms": round(elapsed * 1000, 1)},
        )
        return await to_aiohttp_response(bolt_response)

    web_app = web.Application(client_max_size=MAX_BODY)
    web_app.router.add_post(EVENTS_PATH, slack_events)
    flow = app.oauth_flow
    if flow is not None:  # many workspaces: Slack's install flow

        async def install(request: web.Request) -> web.Response:
            return await to_aiohttp_response(await flow.handle_installation(await to_bolt_request(request)))

        async def oauth_redirect(request: web.Request) -> web.Response:
            return await to_aiohttp_response(await flow.handle_callback(await to_bolt_request(request)))

        web_app.router.add_get(flow.install_path, install)
        web_app.router.add_get(flow.redirect_uri_path, oauth_redirect)
    add_operator_routes(web_app, deps, SlackCheck(app.client) if not deps.settings.oauth else None)
    return web_app


def add_operator_routes(web_app: web.Application, deps: Deps, slack: SlackCheck | None = None) -> None:
    """GET /healthz (alive), /readyz (content loaded, database reachable with its schema, and the bot token
    accepted by Slack) and /metrics (Prometheus): on the HTTP app, and on `python -m bot worker --port`."""

    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(_request: web.Request) -> web.Response:
        problems = await deps.store.schema_problems()
        if problems and not any(p.startswith(UNREACHABLE) for p in problems):
            deps.store.start_schema_repair()  # reachable but incomplete: not ready now, repaired in the background
        checks: dict[str, bool] = {
            "knowledge": len(deps.knowledge.current.entries) > 0,
            "database": not any(p.startswith(UNREACHABLE) for p in problems),
            "schema": not problems,
        }
        if slack is not None:
            checks["slack"] = await slack.ok()
        ready = all(checks.values())
        # Which check failed, and why, for the operator; no secrets and no message text in either.
        detail: dict[str, object] = {"ready": ready, "checks": checks}
        if problems:
            detail["database_problems"] = problems[:10]
        if slack is not None and slack.problem:
            detail["slack_problem"] = slack.problem
        return web.json_response(detail, status=200 if ready else 503)

    async def metrics(_request: web.Request) -> web.Response:
        with contextlib.suppress(*DATABASE_FAILURES):  # the rest is still worth reporting without it
            deps.metrics.queued.set(await deps.store.jobs.depth())
        deps.metrics.held.set(len(deps.store.held))
        return web.Response(body=deps.metrics.exposition(), headers={"Content-Type": CONTENT_TYPE})

    web_app.router.add_get("/healthz", healthz)
    web_app.router.add_get("/readyz", readyz)
    web_app.router.add_get("/metrics", metrics)


# What auth.test answers for a token that will not work until someone changes it.
TOKEN_REFUSED = frozenset(
    {"invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive"}
)


class SlackCheck:
    """Whether Slack accepts the bot token (auth.test), for /readyz: a good answer is trusted for a minute, a
    bad one is asked again at most every few seconds, so probes never flood Slack."""

    GOOD_FOR = 60.0
    BAD_FOR = 5.0

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client
        self.problem: str | None = None
        self._checked_at = -1e9
        self._ok = True  # until Slack says otherwise: an outage of Slack's must not take every replica out

    async def ok(self) -> bool:
        now = time.monotonic()
        if now - self._checked_at < (self.GOOD_FOR if self._ok else self.BAD_FOR):
            return self._ok
        self._checked_at = now
        try:
            async with asyncio.timeout(5):
                await self.client.auth_test()
        except SlackApiError as error:
            code = error_code(error)
            if code in TOKEN_REFUSED:
                self._ok, self.problem = False, f"Slack refused SLACK_BOT_TOKEN ({code})"
            else:  # Slack having a bad moment says nothing about this process: keep what was known
                logger.warning("could not check the bot token with Slack (%s)", code)
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            logger.warning("could not reach Slack to check the bot token (%s)", type(error).__name__)
        else:
            self._ok, self.problem = True, None
        return self._ok


class ReplayGuard:
    """Remembers the signatures of form-encoded requests (slash commands, button presses) for as long as their
    timestamp is accepted (5 minutes), so a signed request captured and sent again is done only once by this
    process. Memory only, so the ack path never waits on the database; what must happen once across replicas
    (starting a checklist run) also claims the request's trigger_id in the database (services/checklists.py).

    Bounded: each signature is kept as 16 bytes, and at most LIMIT of them (a flood far beyond any real
    workspace's use pushes the oldest out early; bench/load.py's 4,000 commands a second measured 20 MB before
    the bound).
    """

    WINDOW = 5 * 60.0
    LIMIT = 50_000

    def __init__(self) -> None:
        self._seen: dict[bytes, float] = {}  # insertion-ordered: the oldest first

    def seen(self, signature: str) -> bool:
        """Whether this (verified) signature was seen in the window; remembers it if not."""
        if not signature:
            return False
        key = hashlib.blake2b(signature.encode(), digest_size=16).digest()
        now = time.monotonic()
        while self._seen and (
            len(self._seen) >= self.LIMIT or next(iter(self._seen.values())) < now - self.WINDOW
        ):
            del self._seen[next(iter(self._seen))]
        if key in self._seen:
            return True
        self._seen[key] = now
        return False


EVENT_KINDS = frozenset({"app_mention", "message"})


def request_kind(body: dict[str, Any]) -> str:
    """A short label from a fixed set for what Slack sent: 'command /nos', 'event app_mention', 'block_actions'.

    Fixed, because Bolt answers ssl_check requests unsigned: nothing a sender writes may become a label.
    """
    if body.get("ssl_check"):
        return "ssl_check"
    if "command" in body:
        command = str(body.get("command"))
        return f"command {command}" if command in KNOWN_COMMANDS else "command (other)"
    kind = str(body.get("type") or "unknown")
    if kind == "event_callback":
        event = body.get("event")
        event_type = event.get("type") if isinstance(event, dict) else None
        return f"event {event_type}" if event_type in EVENT_KINDS else "event (other)"
    return kind if kind in ("block_actions", "url_verification", "view_submission", "shortcut") else "unknown"


def outcome_of(status: int) -> str:
    if status < 300:
        return "ok"
    if status == 401:
        return "refused"
    if status == 404:
        return "unhandled"
    return "bad_request" if status < 500 else "error"


def malformed(body: dict[str, Any]) -> bool:
    """True for payloads whose basic shape is not Slack's, which Bolt would fail on before any listener."""
    kind = body.get("type")
    if kind == "event_callback":
        event = body.get("event")
        return not isinstance(event, dict) or not isinstance(event.get("type"), str)
    if kind == "block_actions":
        actions = body.get("actions")
        shaped = isinstance(actions, list) and all(isinstance(a, dict) for a in actions)
        return (
            not shaped
            or not isinstance(body.get("user", {}), dict)
            or not isinstance(body.get("team", {}), (dict, type(None)))
        )
    return False
