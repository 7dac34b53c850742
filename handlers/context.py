"""Typed access to what create_app() puts in every request's context."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.checklist_store import ChecklistStore
from bot.settings import Settings
from bot.storage import Store
from knowledge.base import KnowledgeBase


class KnowledgeHolder:
    """The current knowledge base; `reload` swaps in new content atomically (never a half-loaded one)."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.current = kb


@dataclass(frozen=True)
class Deps:
    settings: Settings
    knowledge: KnowledgeHolder
    store: Store
    runs: ChecklistStore


DEPS_KEY = "commissioning_guide"


def deps(context: Any) -> Deps:
    value = context[DEPS_KEY]
    assert isinstance(value, Deps)
    return value


def kb(context: Any) -> KnowledgeBase:
    return deps(context).knowledge.current


def store(context: Any) -> Store:
    return deps(context).store


def team_id(body: dict[str, Any]) -> str:
    """The workspace a request came from, wherever Slack put it in this payload type."""
    team = body.get("team_id") or body.get("team") or {}
    if isinstance(team, dict):
        team = team.get("id") or ""
    return str(team or body.get("user", {}).get("team_id") or "T0")
