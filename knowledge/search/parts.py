"""Questions about several entries by their topics, not their numbers: "difference between the principle on
working with providers and the one on open processes", "when do the NOS launch and who is developing them",
"do both fostering and children's homes have minimum standards?". Each part is ranked on its own; when two or
more parts each clearly find an entry, every one is shown, in the order asked."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

from knowledge.model import Entry
from knowledge.search.index import Hit
from knowledge.search.language import LANGUAGE
from knowledge.search.measures import Measures
from knowledge.search.questions import NUMBER_STEMS, content_stems
from knowledge.text import strip_chat_markup

W = LANGUAGE.words
LIMITS = LANGUAGE.thresholds
# sentences, for parts: a dash joins "which two principles speak to that — one on transparency and one on…"
_SENTENCES = re.compile(r"[.?!;\n]+")


def strongly_several(tokens: Sequence[str]) -> bool:
    """ "difference between…", "both…", "X vs Y", "compare…"."""
    said = f" {' '.join(tokens)} "
    return any(f" {cue} " in said for cue in W.several)


def asks_about_several(tokens: Sequence[str]) -> bool:
    """A strong cue, or "… and who is developing them"."""
    return strongly_several(tokens) or any(
        first == "and" and second in W.and_asks for first, second in itertools.pairwise(tokens)
    )


class Parts:
    def __init__(self, measures: Measures) -> None:
        self.measures = measures

    def split(self, tokens: Sequence[str]) -> list[tuple[list[str], str | None]]:
        """A sentence about several things cut at each part break, each part with the kind it names or
        inherits from the part before; [] for a sentence about one thing."""
        if not asks_about_several(tokens):
            return []
        phrases = self.measures.index.phrases
        # "difference between procurement and contracting": split even where the content says the words together
        strong = strongly_several(tokens)
        parts: list[tuple[list[str], str | None]] = [([], None)]
        kind: str | None = None
        for i, token in enumerate(tokens):
            said_together = (
                not strong
                and token == "and"
                and 0 < i < len(tokens) - 1
                and f" {tokens[i - 1]} and {tokens[i + 1]} " in phrases
            )
            if token in W.part_breaks and not said_together:
                if parts[-1][0]:
                    parts.append(([], kind))
                continue
            if token in W.several or token == "between":
                continue
            if token in W.part_kinds:
                kind = W.part_kinds[token]
            elif token in W.kind_resets:
                kind = None
            parts[-1] = (
                [*parts[-1][0], token],
                kind if token in W.part_kinds or token in W.kind_resets else parts[-1][1],
            )
        return [part for part in parts if part[0]]

    def entries(self, query: str, kinds: Sequence[str] | None) -> list[Entry]:
        """The entries of a question about several, in the order asked, when two or more parts each find
        one clearly; otherwise []."""
        found: list[Entry] = []
        whole = self.measures.rank(self.measures.index.tokens(query), kinds)
        for sentence in _SENTENCES.split(strip_chat_markup(query)):
            for part, kind in self.split(self.measures.index.tokens(sentence)):
                entry = self._entry(part, kind, kinds, whole)
                if entry is not None and entry not in found:
                    found.append(entry)
        return found if len(found) >= 2 else []

    def _entry(
        self, part: Sequence[str], kind: str | None, kinds: Sequence[str] | None, whole: list[Hit]
    ) -> Entry | None:
        """The entry a part finds clearly: scoring at least part_score and clear of the next by part_clear,
        and about part_explained of the part's recognised words."""
        stems = [s for s in content_stems(part) if s not in NUMBER_STEMS]
        if not stems:
            return None
        headline = self.measures.index.headline
        if W.back_references.intersection(part) and sum(s in headline for s in set(stems)) < 2:
            return None
        hits = self.measures.rank(part, kinds)
        if kind is not None:
            hits = [h for h in hits if h.entry.kind == kind]
        if not hits or hits[0].score < LIMITS.part_score:
            return None
        weighed = list(self.measures.weighed(part, frozenset(), frozenset()))
        hits = self.measures.most_about(weighed, hits)
        if len(hits) > 1 and hits[1].score >= LIMITS.part_clear * hits[0].score:
            return None
        if self.measures.explained(weighed, hits[0].entry) < LIMITS.part_explained:
            return None
        # and the whole question must be about it too: "… and why was it set up" finds nothing of its own
        in_whole = next((h.score for h in whole if h.entry == hits[0].entry), 0.0)
        if not whole or in_whole < LIMITS.part_in_whole * whole[0].score:
            return None
        return hits[0].entry
