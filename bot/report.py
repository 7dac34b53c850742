"""python -m bot report: what content owners need: unanswered questions and feedback per entry."""

from __future__ import annotations

from services.storage import Store


async def print_report(store: Store) -> None:
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
