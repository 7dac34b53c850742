"""Typed access to what create_app() puts in every request's context."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.backpressure import InFlight
from bot.checklist_store import ChecklistStore, Place
from bot.metrics import Metrics
from bot.settings import Settings
from bot.storage import Store
from knowledge.base import KnowledgeBase
from knowledge.loader import KnowledgeError, load_knowledge


class KnowledgeHolder:
    """The current knowledge base; `reload` swaps in new content only once it has all loaded and validated."""

    def __init__(self, kb: KnowledgeBase, directory: Path | None = None) -> None:
        self.current = kb
        self.directory = directory
        self._lock = asyncio.Lock()

    async def reload(self) -> list[str]:
        """Load the content again; swap it in if valid. Returns the problems (empty when it was swapped in)."""
        async with self._lock:
            try:
                # Parsing and indexing take a few hundred ms: off the event loop, so requests keep flowing.
                kb = await asyncio.to_thread(load_knowledge, self.directory)
            except KnowledgeError as error:
                return error.problems
            self.current = kb
            return []


@dataclass(frozen=True)
class Deps:
    settings: Settings
    knowledge: KnowledgeHolder
    store: Store
    runs: ChecklistStore
    metrics: Metrics = field(default_factory=Metrics)
    inflight: InFlight = field(default_factory=InFlight)


DEPS_KEY = "commissioning_guide"


def deps(context: Any) -> Deps:
    value = context[DEPS_KEY]
    assert isinstance(value, Deps)
    return value


def kb(context: Any) -> KnowledgeBase:
    return deps(context).knowledge.current


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
