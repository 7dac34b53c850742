"""Questions about several entries by their topics, not their numbers: "difference between the principle on
working with providers and the one on open processes", "prevention principle vs the long term view one",
"do both fostering and children's homes have minimum standards?". Each part is ranked on its own; when two or
more parts each clearly find an entry, every one is shown, in the order asked."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from knowledge.model import Entry
from knowledge.search.language import LANGUAGE
from knowledge.search.measures import Measures, Weighed
from knowledge.search.questions import NUMBER_STEMS, content_stems

W = LANGUAGE.words
LIMITS = LANGUAGE.thresholds
# sentences, for parts: a dash joins "which two principles speak to that — one on transparency and one on…"; a
# colon ends what comes before a question ("two things for our response: what does it say about...")
_SENTENCES = re.compile(r"[.?!;:\n]+")
_CUES = tuple(sorted((tuple(cue.split()) for cue in W.several), key=len, reverse=True))
# a message that numbers or bullets its questions ("Q1: ... Q2: ...", "(a) ... and (b) ...", "• ...") or joins two
# with " + " asks one thing in each: the text is cut at each mark, and each piece is a part of its own
_MARKS = re.compile(
    r"(?:^|(?<=\s))(?:q\d{1,2}\b|\([a-e1-5]\)|[a-e1-5]\))|^\s*[\u2022*\u2013-]\s+|\s\+\s",
    re.IGNORECASE | re.MULTILINE,
)


def enumerated(text: str) -> bool:
    """Whether a message (its chat markup read) numbers, letters or bullets two or more questions, or joins two
    with " + "."""
    return _enumerated(_MARKS.findall(text))


def _enumerated(marks: Sequence[str]) -> bool:
    return len(marks) >= 2 or any(m.strip() == "+" for m in marks)


@dataclass(frozen=True)
class Part:
    words: tuple[str, ...]
    kind: str | None  # the kind of entry it prefers, named in it ("the overarching principle")
    inherited: str | None = None  # or the kind named before it, which it keeps to ("... and the one on X")
    # in a comparison ("difference between procurement and contracting") a part of a word or two is a term
    term: bool = False


def _cue_at(tokens: Sequence[str], i: int) -> int:
    """The length of the `several` cue starting at `i` ("difference between", "both"), or 0."""
    return next((len(cue) for cue in _CUES if tuple(tokens[i : i + len(cue)]) == cue), 0)


def may_ask_about_several(tokens: Sequence[str]) -> bool:
    """Whether any sentence of a message with these words could ask about several things (a cheap test of the
    whole message before its sentences are read one by one)."""
    return asks_about_several(tokens) or ("and" in tokens and not W.ends_asking_meaning.isdisjoint(tokens))


def asks_about_several(tokens: Sequence[str]) -> bool:
    """A cue ("difference between…", "both…", "X vs Y"), "… and who is developing them", or "what do X and Y
    mean?"."""
    return (
        any(_cue_at(tokens, i) for i in range(len(tokens)))
        or any(first == "and" and second in W.and_asks for first, second in itertools.pairwise(tokens))
        # "the leadership principle and the skills one": one named, and another
        or any(
            first in W.named_ones and second == "and" and third in W.articles
            for first, second, third in zip(tokens, tokens[1:], tokens[2:], strict=False)
        )
        or (bool(tokens) and tokens[-1] in W.ends_asking_meaning and "and" in tokens)
    )


class Parts:
    def __init__(self, measures: Measures) -> None:
        self.measures = measures

    def split(self, tokens: Sequence[str]) -> list[Part]:
        """A sentence about several things cut at each part break, the cues themselves left out; [] for a
        sentence about one thing."""
        if not asks_about_several(tokens):
            return []
        strong = any(_cue_at(tokens, i) for i in range(len(tokens))) or tokens[-1] in W.ends_asking_meaning
        comparing = bool(W.comparing.intersection(tokens))
        meaning = bool(W.definition_words.intersection(tokens))
        parts: list[Part] = []
        words: list[str] = []
        kind: str | None = None  # named so far in the sentence
        own: str | None = None  # named in this part
        inherited: str | None = None  # named before this part
        i = 0
        while i < len(tokens):
            skip = _cue_at(tokens, i)
            token = tokens[i]
            if skip and not (skip == 1 and token in W.part_breaks):  # "vs", "compare" break as well as cue
                i += skip
                continue
            if token in W.part_breaks and not self._said_together(tokens, i, strong):
                if words:
                    parts.append(self._part(words, own, inherited, comparing, meaning))
                words, own, inherited = [], None, kind
            else:
                if token in W.part_kinds:
                    kind = own = W.part_kinds[token]
                elif token in W.kind_resets:
                    kind = inherited = None
                words.append(token)
            i += 1
        if words:
            parts.append(self._part(words, own, inherited, comparing, meaning))
        return parts

    def _part(
        self, words: list[str], own: str | None, inherited: str | None, comparing: bool, meaning: bool
    ) -> Part:
        """A part; a short one in a comparison or a question about meanings is a term, whose meaning (not an
        entry of the kind named before it) answers it: "the principle on money, and what 'decommissioning'
        means"."""
        if len(words) > 1 and words[-1] in W.named_ones:  # "give me the leadership principle": what names it
            start = max((i for i, w in enumerate(words[:-1]) if w in W.articles), default=0)
            words = words[start:]
        term = comparing and len([s for s in content_stems(words) if s not in NUMBER_STEMS]) <= 2
        return Part(tuple(words), own, None if own or (term and meaning) else inherited, term)

    @staticmethod
    def _whole(words: list[str]) -> Part:
        """A numbered or bulleted question as one part, preferring the kind it names."""
        kind = next((W.part_kinds[w] for w in words if w in W.part_kinds), None)
        return Part(tuple(words), kind)

    def _said_together(self, tokens: Sequence[str], i: int, strong: bool) -> bool:
        """Whether "and" at `i` is inside the content's own words: "children and young people", "open and
        transparent processes"; with a cue to compare, only a phrase longer than the two words counts
        ("difference between procurement and contracting" compares two)."""
        if tokens[i] != "and" or not 0 < i < len(tokens) - 1:
            return False
        phrases = self.measures.index.phrases
        if not strong:
            return f" {tokens[i - 1]} and {tokens[i + 1]} " in phrases
        return i + 2 < len(tokens) and f" {tokens[i - 1]} and {tokens[i + 1]} {tokens[i + 2]} " in phrases

    def entries(self, text: str, tokens: Sequence[str], best: Entry, weighed: Weighed) -> list[Entry]:
        """The entries of a question about several (`text`: the whole question, its chat markup read; `tokens`:
        its words), in the order asked, when two or more parts each find one clearly and (unless the best entry
        for the whole question is about little of it) one of them is that best entry; otherwise []."""
        marks = _MARKS.findall(text)
        if _enumerated(marks):
            found = self._found(text, listed=True)
            # " + " also joins two things asked of one entry ("publication date + legal power"): when it is the only
            # mark, parts of one kind only ("efficiency one + evaluation one"), else read as if it had no marks
            only_joined = all(m.strip() == "+" for m in marks)
            if not (only_joined and len({e.kind for e in found}) > 1):
                return self._checked(found, best, weighed)
        if not may_ask_about_several(tokens):
            return []  # most questions: no sentence to read again
        return self._checked(self._found(text, listed=False), best, weighed)

    def _found(self, text: str, *, listed: bool) -> list[Entry]:
        """The entries the parts of `text` find clearly, in order, each once; `listed`: cut at its marks too, each
        piece a part if it has no cue of its own."""
        found: list[Entry] = []
        for piece in _MARKS.split(text) if listed else (text,):
            for sentence in _SENTENCES.split(piece):
                words = self.measures.index.plain_tokens(sentence)
                parts = self.split(words) or ([self._whole(words)] if listed and words else [])
                for part in parts:
                    entry = self._entry(part)
                    if entry is not None and entry not in found:
                        found.append(entry)
        return found

    def _checked(self, found: list[Entry], best: Entry, weighed: Weighed) -> list[Entry]:
        if not 2 <= len(found) <= LIMITS.max_parts:
            return []
        if best not in found and self.measures.explained(weighed, best) >= LIMITS.whole_explained:
            return []  # "difference between minimum standards and best practice" is about one entry
        return found

    def _entry(self, part: Part) -> Entry | None:
        """The entry a part finds clearly: scoring at least part_score and clear of the next by part_clear,
        and about part_explained of the part's recognised words; of the kind the part prefers if one of that
        kind scores part_kind of the best."""
        stems = [s for s in content_stems(part.words) if s not in NUMBER_STEMS]
        if not stems:
            return None
        headline = self.measures.index.headline
        if W.back_references.intersection(part.words) and sum(s in headline for s in set(stems)) < 2:
            return None  # "... and why was it set up": more of the same subject
        hits = self.measures.rank(part.words, None, wants_definition=part.term)
        if part.inherited is not None:
            hits = [h for h in hits if h.entry.kind == part.inherited]
        if not hits or hits[0].score < LIMITS.part_score:
            return None
        if part.kind is not None:
            preferred = [h for h in hits if h.entry.kind == part.kind]
            if preferred and preferred[0].score >= LIMITS.part_kind * hits[0].score:
                hits = preferred
        weighed = list(self.measures.weighed(part.words, frozenset(), frozenset()))
        hits = self.measures.most_about(weighed, hits)
        if len(hits) > 1 and hits[1].score >= LIMITS.part_clear * hits[0].score:
            return None
        if self.measures.explained(weighed, hits[0].entry) < LIMITS.part_explained:
            return None
        return hits[0].entry
