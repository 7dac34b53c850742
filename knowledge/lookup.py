"""What `/principle 9`, `/nos 3`, `/standards fostering` mean: the entries to show, or why none."""

from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge.base import KnowledgeBase
from knowledge.model import MEMBER_NOUNS, Entry
from knowledge.search import LIST_JOINERS
from knowledge.text import fold, parse_number, words

MAX_MATCHES = 3
_NOT_A_WHOLE_NUMBER = re.compile(r"\s*(?:-\s*\d+(?:\.\d+)?|\d+\.\d+|\d+/\d+)\s*")  # "-1", "3.5", "1/2"
MATCH_SHARE = 0.3  # further matches shown when they score at least this share of the best


@dataclass(frozen=True)
class Lookup:
    """`entries` to show (with an optional heading), or a `problem` in plain words saying what works."""

    entries: tuple[Entry, ...] = ()
    heading: str | None = None
    problem: str | None = None


_KIND_WORDS = {"principle": "principle", "nos_function": "function", "service": "service"}
_PLURALS = {"principle": "principles", "nos_function": "functions", "service": "services"}
_EXAMPLES = {
    "principle": "a word such as `partnership` or `money`",
    "nos_function": "a word such as `engage` or `legal`",
    "service": "a word such as `fostering` or `boarding`",
}


def lookup(kb: KnowledgeBase, kind: str, command: str, argument: str) -> Lookup:
    """Interpret the text after a command that shows members of `kind` (principle, nos_function, service).

    Empty text shows the whole collection; a number or number word shows one member; other words show
    the members they match.
    """
    members = kb.members(kind)
    collection = kb.collection_for(kind)
    text = argument.strip()
    label = MEMBER_NOUNS[kind]
    count = len(members)
    usage = f"Try `{command}` for all {count}, `{command} 1` to `{command} {count}`, or {_EXAMPLES[kind]}."
    if not text or fold(text) in ("all", "list", "help", "?"):
        return Lookup(entries=(collection,) if collection else tuple(members))

    shown = text if len(text) <= 80 else text[:79] + "…"
    if _NOT_A_WHOLE_NUMBER.fullmatch(text):
        return Lookup(problem=f"“{shown}” is not a {label} number: they are numbered 1 to {count}. {usage}")
    if (
        text.isdigit() and parse_number(text) is None
    ):  # "/principle 99999999999999999999": a number, not a word
        return Lookup(problem=f"There is no {label} {shown}: there are {count}. {usage}")
    tokens = words(fold(text))
    numbers = [n for n in (parse_number(t) for t in tokens) if n is not None]
    if len(numbers) > 1 and all(parse_number(t) is not None or t in LIST_JOINERS for t in tokens):
        # "/principle 3 and 7", "/principle 1 to 3", "/nos 2, 4": each one, or what is not there
        asked = kb.searcher.references([_KIND_WORDS[kind], *tokens])
        missing = [r.number for r in asked if r.entry is None]
        if missing:
            return Lookup(problem=f"There is no {label} {missing[0]}: there are {count}. {usage}")
        return Lookup(entries=tuple(r.entry for r in asked if r.entry is not None))
    if numbers and len(tokens) <= 2:
        entry = kb.member(kind, numbers[0])
        if entry is None:
            return Lookup(problem=f"There is no {label} {numbers[0]}: there are {count}. {usage}")
        return Lookup(entries=(entry,))

    answer = kb.searcher.answer(text, kinds=(kind,))
    hits = [] if answer.declined or answer.empty else kb.searcher.rank(text, kinds=(kind,))
    if not hits:
        return Lookup(problem=f"No {label} matches “{shown}”. {usage}")
    best = hits[0].score
    matches = tuple(h.entry for h in hits[:MAX_MATCHES] if h.score >= MATCH_SHARE * best)
    if len(matches) == 1:
        return Lookup(entries=matches)
    return Lookup(entries=matches, heading=f"{len(matches)} {_PLURALS[kind]} match “{text}”")
