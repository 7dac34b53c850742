"""What every request and process needs: settings, the current knowledge, storage, the checklist service."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

from knowledge.base import KnowledgeBase
from knowledge.loader import KnowledgeError, load_knowledge
from services.backpressure import InFlight
from services.checklist_store import ChecklistStore
from services.checklists import Checklists
from services.metrics import Metrics
from services.schedules import Schedules
from services.settings import Settings
from services.storage import Store


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
    checklists: Checklists
    metrics: Metrics
    schedules: Schedules
    inflight: InFlight = field(default_factory=InFlight)
