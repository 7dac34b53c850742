"""The app's records on SQLite and PostgreSQL: claims are exactly-once, feedback once per voter."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from services.storage import Store


async def test_concurrent_claims_of_one_key_succeed_once(store: Store) -> None:
    results = await asyncio.gather(*(store.claim("event:Ev1") for _ in range(50)))
    assert results.count(True) == 1


async def test_concurrent_claims_of_different_keys_all_succeed_and_stay_claimed(store: Store) -> None:
    keys = [f"event:Ev{i}" for i in range(300)]
    assert all(await asyncio.gather(*(store.claim(k) for k in keys)))
    assert not any(await asyncio.gather(*(store.claim(k) for k in keys[:50])))


async def test_old_claims_are_pruned(store: Store) -> None:
    assert await store.claim("event:old")
    assert await store.prune_claims(older_than=timedelta(seconds=-1)) >= 1
    assert await store.claim("event:old")  # a day later, the key is free again


async def test_feedback_counts_one_vote_per_voter(store: Store) -> None:
    assert await store.record_feedback("T1", "principle-9", True, "T1:123:U1:principle-9")
    assert not await store.record_feedback("T1", "principle-9", False, "T1:123:U1:principle-9")
    assert await store.record_feedback("T1", "principle-9", False, "T1:123:U2:principle-9")
    [count] = await store.feedback_counts()
    assert (count.entry_id, count.helpful, count.not_helpful) == ("principle-9", 1, 1)


async def test_unanswered_questions_keep_text_and_time_only(store: Store) -> None:
    await store.record_unanswered("T1", "what's the weather?")
    [question] = await store.unanswered_questions()
    assert question.text == "what's the weather?" and question.asked_at is not None
