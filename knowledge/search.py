"""Find the entry that answers a question in plain words, or say honestly that none does.

The ranking is field-weighted term matching over stems (aliases and keywords count most, then titles,
then the quoted text), with a bonus when a whole alias phrase appears in the question, typo correction
against the knowledge base's own vocabulary, and exact references ("principle 9", "the ninth
principle", "NOS function 3") resolved before any ranking.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from knowledge.model import Entry
from knowledge.text import STOP_WORDS, fold, number_words, parse_number, stem, strip_chat_markup, words

FIELD_WEIGHTS = {"alias": 3.0, "keyword": 2.5, "title": 2.0, "text": 1.0}
ALIAS_PHRASE_BONUS = 1.5
MIN_SCORE = 2.5  # below this the best match is a coincidence of common words
MIN_COVERAGE = 0.5  # at least half the question's content words must be words the base knows
BACKGROUND_WEIGHT = 0.85  # the framework pages' own words win over background on a near tie
CLOSE_CALL = 0.85  # alternatives within this share of the best score are offered as "Did you mean"
MAX_ALTERNATIVES = 3

# Words that name what a number refers to. Cardinals follow them ("principle 9"); ordinals may precede
# them ("the ninth principle"); a cardinal before them is a count ("the ten principles"), not a reference.
_REFERENCE_KINDS = {
    "principle": "principle",
    "principles": "principle",
    "principal": "principle",
    "function": "nos_function",
    "functions": "nos_function",
    "nos": "nos_function",
    "service": "service",
}
_NUMBER_FILLERS = frozenset({"no", "number", "num", "nr"})
_ORDINAL = re.compile(
    r"^(?:\d{1,3}(?:st|nd|rd|th)|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth)$"
)
_P_NUMBER = re.compile(r"^p(\d{1,2})$")
_EXTRA_VOCAB = ("principle", "principles", "function", "functions", "nos", "service", "services")


@dataclass(frozen=True)
class Hit:
    entry: Entry
    score: float


@dataclass(frozen=True)
class Reference:
    """An exact reference in the question: kind and number, and the entry if there is one."""

    kind: str
    number: int
    entry: Entry | None


@dataclass(frozen=True)
class Answer:
    best: Entry | None = None
    alternatives: tuple[Entry, ...] = ()
    reference: Reference | None = None
    declined: bool = False
    empty: bool = False
    score: float = 0.0
    terms: tuple[str, ...] = field(default=())

    @property
    def answered(self) -> bool:
        return self.best is not None


@dataclass
class _Doc:
    entry: Entry
    weights: dict[str, float] = field(default_factory=dict)
    aliases: list[frozenset[str]] = field(default_factory=list)


class Searcher:
    """Built once per knowledge base; `answer` and `rank` are pure and fast (no I/O)."""

    def __init__(self, entries: Iterable[Entry]) -> None:
        self._docs: list[_Doc] = []
        self._postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        self._by_ref: dict[tuple[str, int], Entry] = {}
        vocabulary: set[str] = set(_EXTRA_VOCAB)
        for entry in entries:
            doc = _Doc(entry)
            fields = {
                "alias": " ".join(entry.aliases),
                "keyword": " ".join(entry.keywords),
                "title": entry.title,
                "text": entry.text,
            }
            for name, value in fields.items():
                tokens = words(fold(value))
                vocabulary.update(tokens)
                for stemmed in _content_stems(tokens):
                    doc.weights[stemmed] = max(doc.weights.get(stemmed, 0.0), FIELD_WEIGHTS[name])
            for alias in entry.aliases:
                stems = frozenset(_content_stems(words(fold(alias))))
                if stems:
                    doc.aliases.append(stems)
            if entry.number is not None and entry.kind != "collection":
                self._by_ref[(entry.kind, entry.number)] = entry
            self._docs.append(doc)
        for index, doc in enumerate(self._docs):
            for stemmed, weight in doc.weights.items():
                self._postings[stemmed].append((index, weight))
        total = len(self._docs) or 1
        self._idf = {s: math.log(1 + total / len(p)) for s, p in self._postings.items()}
        self._vocabulary = sorted(w for w in vocabulary if len(w) >= 3 and not w.isdigit())
        self._known_words = frozenset(vocabulary)

    # -- the steps of answering -------------------------------------------------------------------

    def tokens(self, query: str) -> list[str]:
        """The question as words, chat markup removed and typos corrected to the base's vocabulary."""
        raw = words(fold(strip_chat_markup(query)))
        return [self._correct(token) for token in raw]

    def _correct(self, token: str) -> str:
        if token in self._known_words or token in STOP_WORDS or len(token) < 4 or not token.isalpha():
            return token
        if parse_number(token) is not None:
            return token
        cutoff = 85 if len(token) < 6 else 80
        match = process.extractOne(token, self._vocabulary, scorer=fuzz.ratio, score_cutoff=cutoff)
        return str(match[0]) if match else token

    def reference(self, tokens: Sequence[str]) -> Reference | None:
        """'principle 9', 'principle number nine', 'the ninth principle', 'p9', 'NOS function 3'."""
        for i, token in enumerate(tokens):
            p_number = _P_NUMBER.match(token)
            if p_number:
                return self._ref("principle", int(p_number.group(1)))
            kind = _REFERENCE_KINDS.get(token)
            if kind is None:
                continue
            if token == "nos" and i + 1 < len(tokens) and tokens[i + 1] in ("function", "functions"):
                continue  # "nos function 3": let "function" take it
            after = [t for t in tokens[i + 1 : i + 3] if t not in _NUMBER_FILLERS][:1]
            for candidate in after:
                number = parse_number(candidate)
                if number is not None:
                    return self._ref(kind, number)
            before = [t for t in tokens[max(0, i - 2) : i] if t != "nos"][-1:]
            for candidate in before:
                number = parse_number(candidate)
                if number is not None and _ORDINAL.match(candidate):
                    return self._ref(kind, number)
        return None

    def _ref(self, kind: str, number: int) -> Reference:
        return Reference(kind, number, self._by_ref.get((kind, number)))

    def rank(self, query: str, kinds: Sequence[str] | None = None) -> list[Hit]:
        return self._rank(_content_stems(self.tokens(query)), kinds)

    def _rank(self, stems: Sequence[str], kinds: Sequence[str] | None) -> list[Hit]:
        query = set(stems)
        scores: dict[int, float] = defaultdict(float)
        for stemmed in query:
            idf = self._idf.get(stemmed)
            if idf is None:
                continue
            for index, weight in self._postings[stemmed]:
                scores[index] += idf * weight
        hits = []
        for index, score in scores.items():
            doc = self._docs[index]
            if kinds is not None and doc.entry.kind not in kinds:
                continue
            phrase = max(
                (sum(self._idf.get(s, 0.0) for s in a) for a in doc.aliases if a <= query), default=0.0
            )
            total = score + ALIAS_PHRASE_BONUS * phrase
            hits.append(Hit(doc.entry, total * BACKGROUND_WEIGHT if doc.entry.background else total))
        hits.sort(key=lambda h: (-h.score, h.entry.id))
        return hits

    def answer(self, query: str, kinds: Sequence[str] | None = None) -> Answer:
        tokens = self.tokens(query)
        reference = self.reference(tokens)
        if reference is not None and (kinds is None or reference.kind in kinds):
            return Answer(best=reference.entry, reference=reference, declined=reference.entry is None)
        stems = _content_stems(tokens)
        content = [s for s in stems if s not in _NUMBER_STEMS]
        if not content:
            return Answer(empty=True)
        hits = self._rank(stems, kinds)
        known = sum(1 for s in content if s in self._idf)
        coverage = known / len(content)
        if not hits or hits[0].score < MIN_SCORE or coverage < MIN_COVERAGE:
            return Answer(declined=True, score=hits[0].score if hits else 0.0, terms=tuple(content))
        best = hits[0]
        close = tuple(h.entry for h in hits[1 : 1 + MAX_ALTERNATIVES] if h.score >= CLOSE_CALL * best.score)
        return Answer(best=best.entry, alternatives=close, score=best.score, terms=tuple(content))


_NUMBER_STEMS = frozenset(stem(w) for w in number_words())


_SHORT_WORDS = frozenset({"dh", "la", "nhs"})  # short words that do carry meaning here


def _content_stems(tokens: Iterable[str]) -> list[str]:
    return [
        stem(t)
        for t in tokens
        if (len(t) > 2 or t in _SHORT_WORDS) and t not in STOP_WORDS and not t.isdigit()
    ]
