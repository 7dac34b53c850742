"""The loaded knowledge base: lookups by id, number and topic, and the search index."""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from functools import cached_property

from knowledge.answerability import Judge, Signals
from knowledge.model import Checklist, Entry
from knowledge.search import Searcher, Vocabulary
from knowledge.text import fold, searchable


class KnowledgeBase:
    """Immutable after construction; build a new one to reload content."""

    def __init__(
        self,
        entries: Iterable[Entry],
        checklists: Iterable[Checklist] = (),
        vocabulary: Vocabulary | None = None,
        judge: Judge | None = None,
    ) -> None:
        self.entries: tuple[Entry, ...] = tuple(entries)
        self.checklists: tuple[Checklist, ...] = tuple(checklists)
        self.by_id: dict[str, Entry] = {e.id: e for e in self.entries}
        self._numbered: dict[tuple[str, int], Entry] = {
            (e.kind, e.number): e for e in self.entries if e.number is not None and e.kind != "collection"
        }
        self.vocabulary = vocabulary or Vocabulary()
        self.searcher = Searcher(self.entries, self.vocabulary, judge)

    def signals_of(self, question: str) -> Signals | None:
        """What the judge of free questions sees of `question`, as a message reaches the app; None when it is
        not judged (an exact reference, a request for help, no content words)."""
        text = searchable(question)
        measured = self.searcher.signals(text) if text is not None else None
        return measured[0] if measured is not None else None

    def get(self, entry_id: str) -> Entry | None:
        return self.by_id.get(entry_id)

    def member(self, kind: str, number: int) -> Entry | None:
        """Principle 9 is member('principle', 9)."""
        return self._numbered.get((kind, number))

    def members(self, kind: str) -> list[Entry]:
        return sorted((e for e in self.entries if e.kind == kind), key=lambda e: e.number or 0)

    def collection_for(self, kind: str) -> Entry | None:
        return next((e for e in self.entries if e.kind == "collection" and e.lists == kind), None)

    def intro_of(self, entry: Entry) -> list[Entry]:
        return [self.by_id[i] for i in entry.intro if i in self.by_id]

    def listed_after(self, entry: Entry) -> list[Entry]:
        """The list an entry's words lead into ("... for the following social care services:"): the members of
        the collection it introduces last, or nothing."""
        for collection in self.entries:
            if collection.kind == "collection" and collection.intro and collection.intro[-1] == entry.id:
                return self.members_of(collection)
        return []

    def members_of(self, entry: Entry) -> list[Entry]:
        return self.members(entry.lists) if entry.kind == "collection" and entry.lists else []

    @cached_property
    def facts(self) -> tuple[Entry, ...]:
        """Every 'Did you know?' item: the pages' own first, then labelled background."""
        found = [e for e in self.entries if e.kind in ("fact", "glossary")]
        return tuple(sorted(found, key=lambda e: e.background))

    @cached_property
    def frameworks(self) -> tuple[str, ...]:
        """Whose content this is: the `framework` of each source quoted (background aside), most entries first;
        a team's own folder in KNOWLEDGE_DIR adds its own."""
        counts: dict[str, int] = {}
        for entry in self.entries:
            if not entry.background:
                counts[entry.source.framework] = counts.get(entry.source.framework, 0) + 1
        return tuple(sorted(counts, key=lambda name: -counts[name]))

    @cached_property
    def topics(self) -> tuple[str, ...]:
        return tuple(sorted({t for e in self.facts for t in e.topics}))

    def facts_about(self, topic: str) -> list[Entry]:
        """Facts for `topic`: a topic name ('nos'), else those the words match."""
        wanted = fold(topic).strip()
        by_topic = [e for e in self.facts if wanted in e.topics]
        if by_topic:
            return by_topic
        ranked = self.searcher.rank(topic, kinds=("fact", "glossary"))
        return [hit.entry for hit in ranked]

    def checklist(self, checklist_id: str) -> Checklist | None:
        wanted = fold(checklist_id).strip()
        for checklist in self.checklists:
            if checklist.id == wanted or wanted in (fold(a) for a in checklist.aliases):
                return checklist
        return None

    def find(self, query: str, kinds: Sequence[str] | None = None, limit: int = 5) -> list[Entry]:
        return [hit.entry for hit in self.searcher.rank(query, kinds=kinds)[:limit]]


def next_fact(candidates: Sequence[Entry], last_id: str | None, rng: random.Random | None = None) -> Entry:
    """A random fact from `candidates`, never the one shown last when there is another to show."""
    pool = [c for c in candidates if c.id != last_id] or list(candidates)
    return (rng or random).choice(pool)
