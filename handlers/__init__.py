"""Slack listeners, one module per surface; register_all wires them all onto an app."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from handlers import checklist, commissioning, didyouknow, feedback, lookups, messages, share
from handlers.router import Router


def register_all(app: AsyncApp) -> Router:
    """Each module registers on a Router (same interface as the app): one Bolt listener per kind, see bot/router."""
    router = Router(app)
    for module in (lookups, didyouknow, checklist, commissioning, share, feedback, messages):
        module.register(router)
    commissioning.register_fallback(router)
    router.install()
    return router
