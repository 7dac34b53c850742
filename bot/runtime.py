"""Start-up shared by every mode: settings, knowledge, database, in that order, failing fast."""

from __future__ import annotations

from bot.checklist_store import ChecklistStore
from bot.db import create_schema, make_engine
from bot.oauth import create_oauth_tables
from bot.settings import Settings
from bot.storage import Store
from handlers.context import Deps, KnowledgeHolder
from knowledge.loader import load_knowledge


async def build_deps(settings: Settings) -> Deps:
    kb = load_knowledge(settings.knowledge_dir)
    engine = make_engine(settings.database_url)
    await create_schema(engine)
    if settings.oauth:
        await create_oauth_tables(settings, engine)
    return Deps(
        settings=settings,
        knowledge=KnowledgeHolder(kb, settings.knowledge_dir),
        store=Store(engine),
        runs=ChecklistStore(engine),
    )
