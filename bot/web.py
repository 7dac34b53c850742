"""HTTP mode: Bolt's aiohttp adapter at /slack/events, plus /healthz, /readyz and /metrics for operators."""

from __future__ import annotations

import contextlib
import logging
import time
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier
from sqlalchemy.exc import DBAPIError

from bot.app import KNOWN_COMMANDS
from bot.metrics import CONTENT_TYPE
from handlers.context import Deps

logger = logging.getLogger(__name__)
requests_log = logging.getLogger("bot.requests")

EVENTS_PATH = "/slack/events"
MAX_BODY = 1024 * 1024  # Slack's payloads are far smaller; larger bodies get 413
SLACK_TYPES = ("application/x-www-form-urlencoded", "application/json")


def create_web_app(app: AsyncApp, deps: Deps) -> web.Application:
    verifier = SignatureVerifier(deps.settings.slack_signing_secret or "")

    async def slack_events(request: web.Request) -> web.Response:
        started = time.perf_counter()
        if request.content_type not in SLACK_TYPES:
            deps.metrics.requests.labels("unknown", "bad_request").inc()
            return web.Response(
                status=415, text="Slack sends application/x-www-form-urlencoded or application/json"
            )
        raw = await request.read()
        # Decode leniently: a forged body of invalid UTF-8 must fail the signature check, not crash.
        body = raw.decode("utf-8", errors="replace")
        try:
            # Bolt parses the body here, before it checks the signature; a body that is not the JSON or form
            # it claims to be is refused as malformed.
            bolt_request = AsyncBoltRequest(
                body=body, query=request.query_string, headers=dict(request.headers)
            )
        except (ValueError, TypeError, KeyError, AttributeError):  # found by the property-based tests
            deps.metrics.requests.labels("unknown", "bad_request").inc()
            return web.Response(status=400, text="Malformed request body")
        if malformed(bolt_request.body):
            deps.metrics.requests.labels("unknown", "bad_request").inc()
            return web.Response(status=400, text="Malformed Slack payload")
        # Only when full (the signature check costs time; Bolt checks every request's again anyway).
        if (
            deps.inflight.full
            and bolt_request.body.get("type") == "event_callback"
            and verifier.is_valid_request(body, dict(request.headers))
        ):
            await deps.inflight.room()  # backpressure for signed events only: see bot/backpressure.py
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
    add_operator_routes(web_app, deps)
    return web_app


def add_operator_routes(web_app: web.Application, deps: Deps) -> None:
    """GET /healthz (alive), /readyz (content loaded, database reachable) and /metrics (Prometheus): on the
    HTTP app, and on `python -m bot worker --port`."""

    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(_request: web.Request) -> web.Response:
        checks = {
            "knowledge": len(deps.knowledge.current.entries) > 0,
            "database": await deps.store.ping(),
        }
        ready = all(checks.values())
        return web.json_response({"ready": ready, "checks": checks}, status=200 if ready else 503)

    async def metrics(_request: web.Request) -> web.Response:
        with contextlib.suppress(DBAPIError, OSError):  # the rest is still worth reporting without it
            deps.metrics.queued.set(await deps.store.jobs.depth())
        return web.Response(body=deps.metrics.exposition(), headers={"Content-Type": CONTENT_TYPE})

    web_app.router.add_get("/healthz", healthz)
    web_app.router.add_get("/readyz", readyz)
    web_app.router.add_get("/metrics", metrics)


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
