"""The app's records: idempotency claims, channel state, unanswered questions and feedback."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db import channel_state, claims, feedback, insert_ignoring_duplicates, unanswered

CLAIM_LIFETIME = timedelta(days=1)


def now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class FeedbackCount:
    entry_id: str
    helpful: int
    not_helpful: int


@dataclass(frozen=True)
class UnansweredQuestion:
    text: str
    asked_at: datetime


class Store:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def claim(self, key: str) -> bool:
        """True the first time `key` is claimed, by any process sharing the database; False after."""
        statement = insert_ignoring_duplicates(self.engine, claims).values(key=key[:200], created_at=now())
        try:
            async with self.engine.begin() as conn:
                result = await conn.execute(statement)
        except IntegrityError:
            return False
        return bool(result.rowcount)

    async def prune_claims(self, older_than: timedelta = CLAIM_LIFETIME) -> int:
        async with self.engine.begin() as conn:
            result = await conn.execute(delete(claims).where(claims.c.created_at < now() - older_than))
        return int(result.rowcount or 0)

    async def last_fact(self, team_id: str, channel_id: str) -> str | None:
        async with self.engine.connect() as conn:
            row = await conn.execute(
                select(channel_state.c.last_fact_id).where(
                    channel_state.c.team_id == team_id, channel_state.c.channel_id == channel_id
                )
            )
            return row.scalar_one_or_none()

    async def set_last_fact(self, team_id: str, channel_id: str, fact_id: str) -> None:
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(channel_state)
                .where(channel_state.c.team_id == team_id, channel_state.c.channel_id == channel_id)
                .values(last_fact_id=fact_id, updated_at=now())
            )
            if not result.rowcount:
                await conn.execute(
                    insert_ignoring_duplicates(self.engine, channel_state).values(
                        team_id=team_id, channel_id=channel_id, last_fact_id=fact_id, updated_at=now()
                    )
                )

    async def record_unanswered(self, team_id: str, text: str) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(unanswered.insert().values(team_id=team_id, text=text[:2000], asked_at=now()))

    async def record_feedback(self, team_id: str, entry_id: str, helpful: bool, voter: str) -> bool:
        """Record one vote; False if this voter already voted on this answer. `voter` is hashed."""
        vote_key = hashlib.sha256(voter.encode()).hexdigest()
        statement = insert_ignoring_duplicates(self.engine, feedback).values(
            team_id=team_id, entry_id=entry_id, helpful=helpful, vote_key=vote_key, at=now()
        )
        async with self.engine.begin() as conn:
            result = await conn.execute(statement)
        return bool(result.rowcount)

    async def feedback_counts(self) -> list[FeedbackCount]:
        helpful = func.sum(case((feedback.c.helpful, 1), else_=0))
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(feedback.c.entry_id, helpful, func.count())
                .group_by(feedback.c.entry_id)
                .order_by(feedback.c.entry_id)
            )
            return [
                FeedbackCount(entry, int(yes or 0), int(total) - int(yes or 0)) for entry, yes, total in rows
            ]

    async def unanswered_questions(self, limit: int = 200) -> list[UnansweredQuestion]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(unanswered.c.text, unanswered.c.asked_at)
                .order_by(unanswered.c.asked_at.desc())
                .limit(limit)
            )
            return [UnansweredQuestion(text, asked_at) for text, asked_at in rows]

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(select(1))
        except (DBAPIError, OSError):
            return False
        return True

    async def close(self) -> None:
        await self.engine.dispose()
