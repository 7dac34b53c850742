"""HTTP mode: Bolt's aiohttp adapter at /slack/events, plus /healthz and /readyz for operators."""

from __future__ import annotations

import logging

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest

from handlers.context import Deps

logger = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
MAX_BODY = 1024 * 1024  # Slack's payloads are far smaller; larger bodies get 413


def create_web_app(app: AsyncApp, deps: Deps) -> web.Application:
    async def slack_events(request: web.Request) -> web.Response:
        if request.content_type not in ("application/x-www-form-urlencoded", "application/json"):
            return web.Response(
                status=415, text="Slack sends application/x-www-form-urlencoded or application/json"
            )
        raw = await request.read()
        # Decode leniently: a forged body of invalid UTF-8 must fail the signature check, not crash.
        body = raw.decode("utf-8", errors="replace")
        bolt_request = AsyncBoltRequest(body=body, query=request.query_string, headers=dict(request.headers))
        bolt_response = await app.async_dispatch(bolt_request)
        return await to_aiohttp_response(bolt_response)

    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(_request: web.Request) -> web.Response:
        checks = {
            "knowledge": len(deps.knowledge.current.entries) > 0,
            "database": await deps.store.ping(),
        }
        ready = all(checks.values())
        return web.json_response({"ready": ready, "checks": checks}, status=200 if ready else 503)

    web_app = web.Application(client_max_size=MAX_BODY)
    web_app.router.add_post(EVENTS_PATH, slack_events)
    web_app.router.add_get("/healthz", healthz)
    web_app.router.add_get("/readyz", readyz)
    return web_app
