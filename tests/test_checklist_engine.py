"""The checklist engine: what typed replies mean, and what the summary says."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from knowledge.base import KnowledgeBase
from knowledge.checklist_engine import (
    AnswerRecord,
    NoteRecord,
    Reply,
    ReplyKind,
    parse_reply,
    summarise,
    to_markdown,
)

WHEN = datetime(2026, 11, 22, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        ("Yes", Reply(ReplyKind.ANSWER, "yes")),
        ("  PARTLY. ", Reply(ReplyKind.ANSWER, "partly")),
        ("not sure", Reply(ReplyKind.ANSWER, "not_sure")),
        ("dunno", Reply(ReplyKind.ANSWER, "not_sure")),
        ("n", Reply(ReplyKind.ANSWER, "no")),
        ("skip", Reply(ReplyKind.SKIP)),
        ("go back", Reply(ReplyKind.BACK)),
        ("cancel", Reply(ReplyKind.CANCEL)),
        ("Note: parents were consulted in May", Reply(ReplyKind.NOTE, "parents were consulted in May")),
        ("yes but only for under-fives", Reply(ReplyKind.UNKNOWN)),
        # an answer with a note after a comma, dash or colon
        (
            "Partly, budget is tight this year",
            Reply(ReplyKind.ANSWER, "partly", note="budget is tight this year"),
        ),
        ("no - not yet", Reply(ReplyKind.ANSWER, "no", note="not yet")),
        ("dunno: ask Sam", Reply(ReplyKind.ANSWER, "not_sure", note="ask Sam")),
        ("maybe, on tuesdays", Reply(ReplyKind.UNKNOWN)),
        ("no-one here knows, ask finance", Reply(ReplyKind.UNKNOWN)),  # a hyphen in a word is no dash
        ("yes-ish", Reply(ReplyKind.UNKNOWN)),
        ("note:", Reply(ReplyKind.NOTE, "")),  # empty: the handler asks for the note
        ("", Reply(ReplyKind.UNKNOWN)),
    ],
)
def test_typed_replies(kb: KnowledgeBase, text: str, reply: Reply) -> None:
    checklist = kb.checklist("principles")
    assert checklist is not None
    assert parse_reply(checklist.steps[0], text) == reply


def test_the_shipped_checklists(kb: KnowledgeBase) -> None:
    assert [c.id for c in kb.checklists] == ["principles", "nos", "quality"]
    principles = kb.checklist("principles")
    assert principles is not None and [s.ref for s in principles.steps] == [
        f"principle-{n}" for n in range(1, 11)
    ]
    quality = kb.checklist("quality")
    assert quality is not None and quality.steps[0].chooses and not quality.steps[0].skippable
    assert len(quality.steps[0].options) == 5
    assert kb.checklist("NMS") is quality  # by alias


def test_summary_lists_gaps_with_their_source_text_and_scores(kb: KnowledgeBase) -> None:
    quality = kb.checklist("quality")
    assert quality is not None
    values = {
        "service": "fostering",
        "specified": "yes",
        "inspection": "partly",
        "monitoring": "no",
        "voice": "not_sure",
        "value": "skipped",
    }
    answers = {k: AnswerRecord(k, v, "U1", WHEN) for k, v in values.items()}
    notes = [NoteRecord("monitoring", "U2", "no KPI on it", WHEN)]
    summary = summarise(kb, quality, answers, notes)
    assert summary.choice == "Fostering service"
    assert [g.step.id for g in summary.gaps] == ["inspection", "monitoring"]
    assert summary.gaps[1].entry is not None and summary.gaps[1].entry.id == "principle-8"
    assert summary.scored == 3 and summary.percent == 50  # (1 + 0.5 + 0) / 3
    assert summary.skipped == 1
    document = to_markdown(summary)
    assert "**About:** Fostering service" in document
    assert (
        "| 4 | Are issues raised at inspection followed up in contract monitoring and review? | No | U1 | no KPI on it |"
        in document
    )
    assert "> Continuously evaluate current and developing services" in document
    # the inspection gap quotes the standards' lead-in and the list it leads into, not a sentence ending in ":"
    assert summary.gaps[0].entry is not None and summary.gaps[0].entry.text.endswith("services:")
    assert [e.text for e in summary.gaps[0].listed][:2] == [
        "Residential family centres",
        "Fostering services",
    ]
    assert "  > 2. Fostering services\n" in document
