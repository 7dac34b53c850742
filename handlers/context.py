"""Typed access to what create_app() puts in every request's context."""

from __future__ import annotations

from typing import Any

from knowledge.base import KnowledgeBase
from services.checklist_store import Place
from services.checklists import Checklists
from services.deps import Deps, KnowledgeHolder
from services.metrics import Metrics
from services.storage import Store

__all__ = ["DEPS_KEY", "Deps", "KnowledgeHolder", "checklists", "deps", "kb", "metrics", "place", "store"]


DEPS_KEY = "commissioning_guide"


def deps(context: Any) -> Deps:
    value = context[DEPS_KEY]
    assert isinstance(value, Deps)
    return value


def kb(context: Any) -> KnowledgeBase:
    return deps(context).knowledge.current


def checklists(context: Any) -> Checklists:
    return deps(context).checklists


def store(context: Any) -> Store:
    return deps(context).store


def metrics(context: Any) -> Metrics:
    return deps(context).metrics


def team_id(body: dict[str, Any]) -> str:
    """The workspace a request came from, wherever Slack put it in this payload type."""
    team = body.get("team_id") or body.get("team") or {}
    if isinstance(team, dict):
        team = team.get("id") or ""
    return str(team or body.get("user", {}).get("team_id") or "T0")


def enterprise_id(body: dict[str, Any]) -> str | None:
    """The Enterprise Grid organisation a request came from, if any (None outside a Grid)."""
    enterprise = body.get("enterprise")
    if isinstance(enterprise, dict):
        enterprise = enterprise.get("id")
    found = enterprise or body.get("enterprise_id") or None
    return str(found) if found else None


def channel_id(body: dict[str, Any]) -> str:
    """The channel a command, button press or event came from."""
    channel = body.get("channel")
    if isinstance(channel, dict):
        return str(channel.get("id") or "")
    event = body.get("event")
    if isinstance(event, dict) and event.get("channel"):
        return str(event["channel"])
    container = body.get("container")
    if isinstance(container, dict) and container.get("channel_id"):
        return str(container["channel_id"])
    return str(body.get("channel_id") or "")


def place(body: dict[str, Any]) -> Place:
    """Where a request came from: workspace, Grid organisation and channel."""
    return Place(team_id(body), enterprise_id(body), channel_id(body))
