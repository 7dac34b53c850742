"""Answering a question in plain words: the best entry quoted with its source, or an honest decline."""

from __future__ import annotations

import logging

from handlers.blocks import Message, decline_card, entry_card, escape, help_card, notice, truncate
from handlers.catalog import commands
from knowledge.base import KnowledgeBase
from knowledge.model import MEMBER_NOUNS
from knowledge.search import Answer, Reference
from knowledge.text import as_read, emoji_in, fold, searchable
from services.metrics import Metrics

logger = logging.getLogger(__name__)

GREETINGS = frozenset(
    {"hi", "hello", "hey", "hiya", "morning", "good morning", "afternoon", "good afternoon", "yo"}
)
THANKS = frozenset(
    {"thanks", "thank you", "thx", "ta", "cheers", "ty", "many thanks", "great thanks", "thanks a lot"}
)
GREETING_REPLY = "Hello! Ask me about the commissioning principles, the NOS or the national minimum standards, or type `/commissioning help` to see everything I can do."
THANKS_REPLY = "You're welcome."

OUT_OF_SCOPE = "I can only answer from {scope}, and “{question}” is outside what it covers."
FRAMEWORK = "the East Midlands commissioning framework"
WHAT_I_KNOW = (
    "I can answer questions about the *ten commissioning principles* (`/principle`), the *National Occupational "
    "Standards* for commissioning (`/nos`), the *national minimum standards* and the services they cover "
    "(`/standards`), facts about the framework (`/didyouknow`), and guided checklists for a team to work through "
    "together (`/checklist`). Your question has been noted for the "
    "people who maintain my content."
)


# the most entries one answer quotes: each takes three blocks of the 50 Slack allows in a message
MOST_ON_A_CARD = 10


def find_answer(kb: KnowledgeBase, question: str) -> Answer:
    """The answer to `question`; greetings and "help" count as an empty question (the help card)."""
    text = searchable(question)
    return Answer(empty=True) if text is None else kb.searcher.answer(text)


# An emoji said on its own, or beside a greeting or thanks: 👋 is hello, 🙏 and 👍 are thanks
WAVES = frozenset({":wave:", ":hand:", "\N{WAVING HAND SIGN}"})
THANKS_EMOJI = frozenset(
    {
        ":pray:",
        ":+1:",
        ":thumbsup:",
        ":raised_hands:",
        ":heart:",
        ":tada:",
        "\N{PERSON WITH FOLDED HANDS}",
        "\N{THUMBS UP SIGN}",
        "\N{PERSON RAISING BOTH HANDS IN CELEBRATION}",
        "\N{HEAVY BLACK HEART}",
    }
)


def small_talk(question: str) -> str | None:
    """A short reply to a greeting or thanks (in words or emoji), rather than the whole help card."""
    emoji, rest = emoji_in(" ".join(question.split()))
    said = fold(" ".join(rest.split())).strip(" ?!.,:)")
    if said in GREETINGS or (not said and emoji & WAVES):
        return GREETING_REPLY
    if said in THANKS or (not said and emoji & THANKS_EMOJI):
        return THANKS_REPLY
    return None


def render_answer(kb: KnowledgeBase, question: str, answer: Answer, *, private: bool) -> Message:
    """The reply to a question. `private` replies get a Share in channel button."""
    if answer.empty:
        reply = small_talk(question)
        return notice(reply) if reply else help_card(commands())
    if answer.best is not None:
        entries = [answer.best, *answer.also]
        notes = [_no_such(kb, missing) for missing in answer.missing]
        if len(entries) > MOST_ON_A_CARD:  # Slack takes 50 blocks a message: "principles 1 to 30" is cut
            notes.append(f"You asked about {len(entries)}: here are the first {MOST_ON_A_CARD}.")
        return entry_card(
            kb,
            entries[:MOST_ON_A_CARD],
            feedback=True,
            alternatives=answer.alternatives,
            shareable=private,
            note=" ".join(notes) or None,
        )
    if answer.reference is not None:
        kind = answer.reference.kind
        count = len(kb.members(kind))
        return notice(
            _no_such(kb, answer.reference),
            detail=f"Ask for one of 1 to {count}, or see them all with `/{'principle' if kind == 'principle' else 'nos' if kind == 'nos_function' else 'standards'}`.",
        )
    # as the person would read it in Slack: "@Commissioning Guide what's the weather" shows its words, not the
    # raw <@U…> markup; escaped all the same
    shown = escape(truncate(as_read(question), 200))
    return decline_card(OUT_OF_SCOPE.format(scope=scope(kb), question=shown), WHAT_I_KNOW, answer.nearest)


def scope(kb: KnowledgeBase) -> str:
    """What the app answers from: the framework, and each team's own content added in KNOWLEDGE_DIR ("the East
    Midlands commissioning framework and Eastshire County Council's own content"), never claiming a local entry
    for the East Midlands pages."""
    teams = [escape(name) for name in kb.frameworks if "East Midlands" not in name]
    if not teams:
        return FRAMEWORK
    owned = " and ".join([", ".join(teams[:-1]), teams[-1]] if len(teams) > 1 else teams)
    return f"{FRAMEWORK} and {owned}’s own content"


def _no_such(kb: KnowledgeBase, reference: Reference) -> str:
    """ "There is no principle 99: there are 10." """
    label = MEMBER_NOUNS[reference.kind]
    return f"There is no {label} {reference.number}: there are {len(kb.members(reference.kind))}."


def count(metrics: Metrics, answer: Answer, route: str) -> None:
    """Count an answer or a decline for /metrics (`route`: command, mention or dm)."""
    if answer.best is not None:
        metrics.answers.labels(route).inc()
    elif should_record(answer):
        metrics.declines.labels(route).inc()


def should_record(answer: Answer) -> bool:
    """A question nothing answered (not an empty one, nor a wrong number) is kept for content owners."""
    return answer.declined and answer.reference is None and not answer.empty
