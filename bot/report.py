"""python -m bot report: what content owners need: unanswered questions, feedback per entry, and what people
said was wrong after a thumbs-down."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.schedules import Schedules
from services.storage import Store

REASONS_FOR = timedelta(days=90)


async def print_report(store: Store, schedules: Schedules) -> None:
    questions = await store.unanswered_questions()
    print(f"Unanswered questions ({len(questions)}, newest first):")
    for question in questions:
        text = " ".join(question.text.split())
        print(f"  {question.asked_at:%Y-%m-%d %H:%M}  {text[:200]}")
    if not questions:
        print("  none")
    counts = await store.feedback_counts()
    print("\nFeedback per entry (helpful / not helpful):")
    for count in counts:
        print(f"  {count.entry_id:40} {count.helpful:>4} / {count.not_helpful:<4}")
    if not counts:
        print("  none yet")
    now = datetime.now(UTC)
    digest = await schedules.digest(now - REASONS_FOR, now + timedelta(seconds=1))
    said = [(item.entry_id, reason) for item in digest.disliked for reason in item.reasons]
    print(f"\nWhat people said was wrong after a thumbs-down (last {REASONS_FOR.days} days):")
    for entry_id, reason in said:
        print(f"  {entry_id:40} {' '.join(reason.split())[:200]}")
    if not said:
        print("  none")
