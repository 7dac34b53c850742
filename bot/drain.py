"""Let listeners that run after the ack finish before the process stops or the database closes."""

from __future__ import annotations

import asyncio
import logging

logger = logging.getLogger(__name__)

# Bolt starts each listener that runs after its ack() as a task of this coroutine (listener/asyncio_runner.py).
_BOLT_TASKS = ("run_ack_function_asynchronously", "run_lazy_function")


def listener_tasks() -> list[asyncio.Task[object]]:
    found = []
    for task in asyncio.all_tasks():
        name = getattr(task.get_coro(), "__qualname__", "")
        if not task.done() and name.endswith(_BOLT_TASKS):
            found.append(task)
    return found


async def finish_listeners(within: float = 10.0) -> int:
    """Wait up to `within` seconds for running listeners; returns how many were still running after."""
    tasks = listener_tasks()
    if not tasks:
        return 0
    logger.info("waiting for %d listeners to finish", len(tasks))
    _done, pending = await asyncio.wait(tasks, timeout=within)
    if pending:
        logger.warning("%d listeners did not finish in %.0f s", len(pending), within)
    return len(pending)
