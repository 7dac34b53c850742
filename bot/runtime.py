"""Start-up shared by every mode: settings, knowledge, database, in that order, failing fast."""

from __future__ import annotations

import asyncio
import gc

from bot.oauth import create_oauth_tables
from handlers import checklist_blocks, schedule_blocks
from knowledge.loader import load_knowledge
from services.checklist_store import ChecklistStore
from services.checklists import Checklists, Timing
from services.db import (
    DatabaseUnavailable,
    create_schema,
    explain_connection_error,
    make_engine,
    sqlite_file_problem,
)
from services.deps import Deps, KnowledgeHolder
from services.metrics import Metrics
from services.schedules import Schedules
from services.settings import Settings
from services.storage import DATABASE_FAILURES, Store


async def build_deps(settings: Settings) -> Deps:
    kb = load_knowledge(settings.knowledge_dir)
    problem = sqlite_file_problem(settings.database_url)
    if problem:
        raise DatabaseUnavailable(problem)
    engine = make_engine(settings.database_url)
    try:
        await create_schema(engine)
        if settings.oauth:
            await create_oauth_tables(settings, engine)
    except DATABASE_FAILURES as error:
        await engine.dispose()
        await asyncio.sleep(0.1)  # let the driver's connection threads finish before the event loop closes
        raise DatabaseUnavailable(explain_connection_error(settings.database_url, error)) from None
    store, runs, metrics = Store(engine), ChecklistStore(engine), Metrics()
    timing = Timing(expiry_days=settings.checklist_expiry_days, remind_days=settings.checklist_remind_days)
    return Deps(
        settings=settings,
        knowledge=KnowledgeHolder(kb, settings.knowledge_dir),
        store=store,
        runs=runs,
        checklists=Checklists(runs, store, checklist_blocks, metrics, timing),
        metrics=metrics,
        schedules=Schedules(
            store,
            schedule_blocks,
            owner_channel=settings.content_owner_channel,
            owner_team=settings.content_owner_team,
        ),
    )


# Collect the youngest objects every 50,000 allocations rather than every 700: a request allocates thousands.
GC_THRESHOLDS = (50_000, 20, 100)


def settle_garbage_collector() -> None:
    """Call once start-up is done, before serving.

    Everything loaded so far (the knowledge base and its index, Bolt, SQLAlchemy, the libraries) lives as long
    as the process: freezing it keeps the garbage collector from walking it again on every full collection, and
    rarer young collections cost less under load. Measured with bench/load.py: mention throughput up by a fifth
    and p99 ack latency from 57 to 22 ms. Python's gc.freeze() is made for exactly this.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
