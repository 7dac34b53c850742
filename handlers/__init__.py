"""Slack listeners, one module per surface; register_all wires them all onto an app."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from handlers import checklist, commissioning, didyouknow, feedback, home, lookups, messages, owners, share
from handlers.router import Router


def register_all(app: AsyncApp, *, fast: bool = True) -> Router:
    """Each module registers on a Router (same interface as the app): one Bolt listener per kind, see
    handlers/router.py (`fast=False`: through Bolt's public decorators only)."""
    router = Router(app)
    for module in (lookups, didyouknow, checklist, commissioning, share, feedback, home, owners, messages):
        module.register(router)
    commissioning.register_fallback(router)
    router.install(fast=fast)
    return router
