"""Backpressure on work after the ack: when too many answers are still being worked on, each new event waits
(up to 2 s, inside Slack's 3) before it is acknowledged. A flood is slowed down rather than queued without
limit; it is a brake, not a hard cap (after 2 s the event goes ahead), and HTTP mode only (Socket Mode acks
through the SDK's own loop)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator


class InFlight:
    """Counts work in progress; `room()` waits (up to a deadline) while the count is at its limit."""

    def __init__(self, limit: int = 256) -> None:
        self.limit = limit
        self.count = 0
        self._room = asyncio.Event()
        self._room.set()

    @contextlib.contextmanager
    def track(self) -> Iterator[None]:
        self.count += 1
        if self.count >= self.limit:
            self._room.clear()
        try:
            yield
        finally:
            self.count -= 1
            if self.count < self.limit:
                self._room.set()

    @property
    def full(self) -> bool:
        return not self._room.is_set()

    async def room(self, within: float = 2.0) -> bool:
        """True once there is room; False if `within` seconds passed first (the caller goes ahead anyway,
        well inside Slack's 3 seconds)."""
        if self._room.is_set():
            return True
        try:
            await asyncio.wait_for(self._room.wait(), within)
        except TimeoutError:
            return False
        return True
