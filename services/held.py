"""Questions acknowledged while the database was unreachable, held in memory until it is back.

Slack needs an event acknowledged within 3 seconds, and the app acks a mention before it saves it (acking only
after the save cuts mention throughput to about a third: see handlers/messages.py). So a question that arrives
while the database is down has already been acked and will not be re-sent by Slack: dropping it would lose it
for good. It is held here instead, in a bounded queue, and saved (claimed and queued, as if just arrived) as
soon as the database answers again; then the answer worker answers it as usual.

What this costs: held questions live in this process's memory. If the process is killed while the database
is still down, they are lost (and logged as lost at a clean stop). At most `limit` are held; beyond that new
ones are refused with an error in the log, never an unbounded memory.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from services.jobs import Question

logger = logging.getLogger(__name__)

HOLD_AT_MOST = 10_000
FIRST_RETRY = 0.5  # seconds; doubled after each failed try, up to LAST_RETRY
LAST_RETRY = 10.0

Save = Callable[[str, Question], Awaitable[bool]]


class HeldQuestions:
    """A bounded, de-duplicated queue of (claim key, question), saved with `save` once the database is back."""

    def __init__(
        self,
        save: Save,
        failures: tuple[type[BaseException], ...],
        *,
        transient: Callable[[BaseException], bool] = lambda _error: True,
        limit: int = HOLD_AT_MOST,
        first_retry: float = FIRST_RETRY,
    ) -> None:
        self._save = save
        self._failures = failures
        self._transient = transient
        self._limit = limit
        self._first_retry = first_retry
        self._held: OrderedDict[str, Question] = OrderedDict()
        self._task: asyncio.Task[None] | None = None
        self.refused = 0  # questions turned away because the queue was full

    def __len__(self) -> int:
        return len(self._held)

    def hold(self, key: str, question: Question) -> bool:
        """Keep `question` until it can be saved; False if the queue is full (it is then lost, and logged)."""
        if key in self._held:
            return True  # the same message twice (a mention arrives as two events): kept once
        if len(self._held) >= self._limit:
            self.refused += 1
            logger.error("database unreachable and %d questions already held: one more is lost", self._limit)
            return False
        self._held[key] = question
        if len(self._held) == 1:
            logger.warning("database unreachable: holding questions in memory until it is back")
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._save_when_back())
        return True

    async def _save_when_back(self) -> None:
        wait = self._first_retry
        while self._held:
            if await self.save_held():
                wait = self._first_retry
                continue
            await asyncio.sleep(wait)
            wait = min(wait * 2, LAST_RETRY)

    async def save_held(self) -> bool:
        """Try to save every held question, oldest first; True when all are saved."""
        while self._held:
            key, question = next(iter(self._held.items()))
            try:
                await self._save(key, question)
            except self._failures as error:
                if self._transient(error):
                    logger.debug("held questions not saved yet: %s", type(error).__name__)
                    return False
                # Not the database being away: this one question cannot be saved, now or later. Drop it
                # rather than let it block every question behind it.
                logger.error("dropped a held question the database refused: %s", type(error).__name__)
            self._held.pop(key, None)
            if not self._held:
                logger.warning("database back: every held question is saved")
        return True

    async def close(self, within: float = 5.0) -> None:
        """At shutdown: one last try to save what is held, then say how many are lost."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._held:
            try:
                async with asyncio.timeout(within):
                    await self.save_held()
            except TimeoutError:
                pass
        if self._held:
            logger.error("stopped with %d questions unsaved: the database was unreachable", len(self._held))
