"""Slack listeners, one module per surface; register_all wires them all onto an app."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from handlers import checklist, commissioning, didyouknow, feedback, lookups, messages, share


def register_all(app: AsyncApp) -> None:
    for module in (lookups, didyouknow, checklist, commissioning, share, feedback, messages):
        module.register(app)
    commissioning.register_fallback(app)
