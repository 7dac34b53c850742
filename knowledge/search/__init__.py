"""Find the entry that answers a question in plain words, or say honestly that none does.

The parts, each small enough to read whole:
- language.yaml / language.py: the search's own words (how questions are put) and weights, as configuration;
- questions.py: what a question's words say of its form (a list, a definition, one of a kind, a name);
- references.py: exact references ("principle 9", "the ninth principle", "p4 vs p10"), resolved before ranking;
- index.py: the entries as field-weighted stems, typo correction, and the ranking;
- measures.py: what the judge (knowledge/answerability.py) weighs of a question and its best entry.

This module puts them together: `Searcher.answer` returns the entry or entries that answer, or a decline.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from knowledge.answerability import Judge, Signals, Verdict, shipped_judge
from knowledge.model import Entry
from knowledge.search.index import Hit, Index, Vocabulary
from knowledge.search.language import LANGUAGE
from knowledge.search.measures import Measures
from knowledge.search.parts import Parts, enumerated
from knowledge.search.questions import NUMBER_STEMS, content_stems
from knowledge.search.references import Reference, References
from knowledge.text import strip_chat_markup

__all__ = ["LIST_JOINERS", "RULES", "Answer", "Hit", "Reference", "Searcher", "Vocabulary"]

LIMITS = LANGUAGE.thresholds
LIST_JOINERS = LANGUAGE.words.list_joiners


@dataclass(frozen=True)
class Answer:
    best: Entry | None = None
    alternatives: tuple[Entry, ...] = ()
    reference: Reference | None = None
    declined: bool = False
    empty: bool = False
    score: float = 0.0
    terms: tuple[str, ...] = field(default=())
    # declined, but this entry came close: offered as the nearest the framework comes, not as an answer
    nearest: Entry | None = None
    # a question about several entries ("principles 3 and 7"): the others, shown with `best` on one card
    also: tuple[Entry, ...] = ()
    # references in the question to entries there are not ("principle 99" in "compare principle 2 with 99")
    missing: tuple[Reference, ...] = ()

    @property
    def answered(self) -> bool:
        return self.best is not None


class Searcher:
    """Built once per knowledge base; `answer` and `rank` are pure and fast (no I/O)."""

    def __init__(
        self, entries: Iterable[Entry], vocabulary: Vocabulary | None = None, judge: Judge | None = None
    ) -> None:
        entries = tuple(entries)
        self._chosen_judge = judge
        self._index = Index(entries, vocabulary or Vocabulary())
        self._references = References(entries)
        self._measures = Measures(self._index, self._references)
        self._parts = Parts(self._measures)

    def tokens(self, query: str) -> list[str]:
        """The question as words, chat markup removed and typos corrected to the base's vocabulary."""
        return self._index.tokens(query)

    def wording(self, tokens: Sequence[str]) -> tuple[str, ...]:
        """The question as the word model reads it, the content's topics masked (see Index.wording)."""
        return self._index.wording(tokens)

    def references(self, tokens: Sequence[str]) -> list[Reference]:
        """Every exact reference in the question, in order and each once."""
        return self._references.all(tokens)

    def rank(self, query: str, kinds: Sequence[str] | None = None) -> list[Hit]:
        return self._measures.rank(self.tokens(query), kinds)

    def answer(self, query: str, kinds: Sequence[str] | None = None) -> Answer:
        """The entry that answers `query`, or a decline. A free question (no `kinds`) is judged by the learned
        model (knowledge/answerability.py); a search within one kind, as a command's topic words are, by the
        hand rules, since the command already says what it is about."""
        text = strip_chat_markup(query)  # read once: the search, the names and the parts all use it
        tokens = self._index.plain_tokens(text)
        references = [r for r in self._references.all(tokens) if kinds is None or r.kind in kinds]
        named = [r.entry for r in references if r.entry is not None]
        missing = tuple(r for r in references if r.entry is None)
        if named:  # "difference between principle 8 and 9": every one named, in the order asked
            first = next(r for r in references if r.entry is not None)
            defined = self._measures.defined(tokens) if kinds is None else None
            if (
                defined is not None and defined not in named
            ):  # "what does decommissioning mean? (principle 9)"
                return Answer(best=defined, also=tuple(named), reference=first, missing=missing)
            return Answer(best=named[0], also=tuple(named[1:]), reference=first, missing=missing)
        if references:  # "principle 99": none of those named is there
            return Answer(reference=references[0], declined=True)
        stems = content_stems(tokens)
        content = [s for s in stems if s not in NUMBER_STEMS]
        if not content:
            return Answer(empty=True)
        case = self._measures.measure(text, tokens, stems, content, kinds)
        if case is None:
            return Answer(declined=True, terms=tuple(content))
        judge = self._judge_for(kinds)
        hits = case.shown
        verdict = judge.verdict(case.signals)
        if not verdict.answers and kinds is None and enumerated(text):
            # "Q1: ... Q2: ...", "(a) ... (b) ...", "x one + y one": asked one by one, so judged part by part
            several = self._parts.entries(text, tokens, hits[0].entry, case.weighed)
            if several:
                return Answer(
                    best=several[0], also=tuple(several[1:]), score=hits[0].score, terms=tuple(content)
                )
        if not verdict.answers:
            near = hits[0].entry if verdict.near_miss else None
            return Answer(declined=True, score=case.hits[0].score, terms=tuple(content), nearest=near)
        best = hits[0]
        # "difference between the principle on providers and the one on transparency": each part's entry
        several = self._parts.entries(text, tokens, best.entry, case.weighed) if kinds is None else []
        if several:
            return Answer(best=several[0], also=tuple(several[1:]), score=best.score, terms=tuple(content))
        close = tuple(
            h.entry
            for h in hits[1 : 1 + LIMITS.max_alternatives]
            if h.score >= LIMITS.close_call * best.score
        )
        return Answer(best=best.entry, alternatives=close, score=best.score, terms=tuple(content))

    def _judge_for(self, kinds: Sequence[str] | None) -> Judge:
        if kinds is not None:
            return RULES
        return self._chosen_judge if self._chosen_judge is not None else shipped_judge()

    def signals(self, query: str) -> tuple[Signals, Entry] | None:
        """What the judge of a free question sees, and the entry that would be shown if it answers; None for
        an exact reference or a question with no content words (neither is judged). For training and study."""
        text = strip_chat_markup(query)
        tokens = self._index.plain_tokens(text)
        if self._references.first(tokens) is not None:
            return None
        stems = content_stems(tokens)
        content = [s for s in stems if s not in NUMBER_STEMS]
        case = self._measures.measure(text, tokens, stems, content, None) if content else None
        if case is None:
            return None
        return case.signals, case.shown[0].entry


class _Rules:
    """The hand-set rules (their verdict is measured with the rest, as `Signals.rules_answer`): the baseline the
    model is measured against, and the judge of searches within one kind."""

    def verdict(self, signals: Signals) -> Verdict:
        return Verdict(signals.rules_answer)

    def answers(self, signals: Signals) -> bool:
        return signals.rules_answer


RULES = _Rules()
