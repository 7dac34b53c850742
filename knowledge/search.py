"""Find the entry that answers a question in plain words, or say honestly that none does.

The ranking is field-weighted term matching over stems (aliases and keywords count most, then titles,
then the quoted text), with a bonus when a whole alias phrase appears in the question, typo correction
against the knowledge base's own vocabulary, and exact references ("principle 9", "the ninth
principle", "NOS function 3") resolved before any ranking.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from knowledge.answerability import WEIGHTY, Judge, Signals, Verdict, shipped_judge
from knowledge.model import Entry
from knowledge.text import (
    STOP_WORDS,
    english_frequency,
    fold,
    number_words,
    parse_number,
    stem,
    strip_chat_markup,
    words,
)

FIELD_WEIGHTS = {"alias": 3.0, "alias_phrase": 3.0, "keyword": 2.5, "title": 2.0, "text": 1.0}
# Fields that say what an entry is about, word by word. A word found only in running text or inside a longer
# alias ("test" in "soft market testing") shows a question is about the framework only this much.
HEADLINE_FIELDS = frozenset({"alias", "keyword", "title"})
INCIDENTAL_WORD = 0.5
ALSO_IN_FIELD = 0.25
ALIAS_PHRASE_BONUS = 1.5  # every word of one of the entry's aliases is in the question
EXACT_ALIAS_BONUS = 1.0  # ... and the question has no other words
PAIR_BONUS = (
    0.5  # two words side by side in the question, as in one of the entry's fields (times that field's weight)
)
SYNONYM_WEIGHT = 0.7  # a word found through synonyms.yaml counts for this share of the word itself
MIN_SCORE = 1.0  # below this the best match is a coincidence of common words
# The share of the question's meaning (words weighted by rarity; a word the base has never seen weighs as
# much as its rarest word) that the base recognises. Below it, the question is about something else.
MIN_COVERAGE = 0.65
# A question that names the framework ("is there a principle about...", "what does the NOS say...") is in scope
# whatever else it says; then the rest of it, without those words, needs only this much recognised. A question
# whose only known words are the framework's names ("is there a principle about sourdough") is still declined.
MIN_COVERAGE_IN_SCOPE = 0.4
# The best entry must itself be about this share of the question's recognised words; below it, what the
# base knows of the question is spread over entries none of which is about it
MIN_EXPLAINED = 0.35
NEAR_TIE = 0.9  # entries scoring within this share of the best are ordered by how much of the question they are about
# An unknown word weighs less the more common it is in English: "keep" or "often" says little about the
# topic, "sourdough" or "laptop" a lot. Words rarer than TYPO_FREQUENCY are treated as possible typos.
COMMON_WORD = 6.0
RARITY_SPAN = 2.5
INFLECTED_WEIGHT = 0.6
TYPO_FREQUENCY = 3.0
# A matched word counts less the more common it is in English too: "time" or "share" is weak evidence,
# "fostering" or "decommissioning" strong. GENERIC_FLOOR is the least a matched word counts.
GENERIC_FLOOR = 0.3
BACKGROUND_WEIGHT = 0.75  # the framework pages' own words win over background on a near tie
CLOSE_CALL = 0.85  # alternatives within this share of the best score are offered as "Did you mean"
MAX_ALTERNATIVES = 3
# A collection (a whole list) answers a question that asks for a list; otherwise one entry usually does.
LIST_WORDS = frozenset(
    {
        "list",
        "lists",
        "listing",
        "all",
        "every",
        "each",
        "full",
        "whole",
        "four",
        "five",
        "ten",
        "4",
        "5",
        "10",
        "functions",
    }
)
NOT_A_LIST_WEIGHT = 0.7
LIST_BOOST = 1.3
_PLURAL_KINDS = frozenset({"principles", "functions", "services", "standards"})
# "What does decommissioning mean?" asks for a definition: the glossary answers it.
DEFINITION_WORDS = frozenset({"mean", "means", "meaning", "definition", "define", "defined", "defining"})
DEFINITION_BOOST = 2.0

# Words that name what a number refers to. Cardinals follow them ("principle 9"); ordinals may precede
# them ("the ninth principle"); a cardinal before them is a count ("the ten principles"), not a reference.
_REFERENCE_KINDS = {
    "principle": "principle",
    "principles": "principle",
    "principal": "principle",
    "function": "nos_function",
    "functions": "nos_function",
    "fn": "nos_function",
    "nos": "nos_function",
    "service": "service",
}
_NUMBER_FILLERS = frozenset({"no", "number", "num", "nr"})
_ORDINAL = re.compile(
    r"^(?:\d{1,3}(?:st|nd|rd|th)|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth)$"
)
_P_NUMBER = re.compile(r"^p(\d{1,2})$")
_F_NUMBER = re.compile(r"^f(?:n)?(\d)$")  # "NOS f4", "nos fn2": a function, when "nos" comes just before
_SINGULAR_KINDS = frozenset({"principle", "function"})
_KIND_STEMS = frozenset(
    stem(w) for w in ("principle", "principles", "function", "functions", "standard", "standards")
)
_WHICH_WORDS = frozenset({"which", "what", "whats"})  # tokens have lost their apostrophes
_ASKING_FOR_ONE = _WHICH_WORDS | {"a", "any"}  # "which principle", "is there a principle", "any nos function"
_YEAR = re.compile(r"^(?:19|20)\d\d$")
_WHAT_ARE_THE = re.compile(r"(?:^| )(?:what|which) are the ")
_LAST = frozenset({"last", "final"})
_KIND_QUALIFIERS = frozenset({"nos", "commissioning", "regional"})
_ORDINAL_FILLER = frozenset({"the", "one", "in", "of"}) | _KIND_QUALIFIERS
# A year beside one of these names a document ("the Care Act 2014", "2002 fostering standards"); a year
# elsewhere ("since 2020", "about 2000 providers") is just a number.
_DOCUMENT_WORDS = frozenset(
    {
        "act",
        "acts",
        "regulations",
        "regs",
        "regulation",
        "standards",
        "code",
        "bill",
        "order",
        "guidance",
        "plan",
    }
)
# A name of two or more capitalised words that no entry mentions ("the Better Care Fund") counts against
# answering as much as this many wholly unknown words. A single capitalised word ("Sarah", "Derby") is more
# often who is asking, or where, than what the question is about, and counts as an ordinary word.
NAME_WEIGHT = 2.0
_HONORIFICS = frozenset(
    {"cllr", "councillor", "dr", "mr", "mrs", "ms", "miss", "prof", "sir", "dame", "lord", "lady"}
)
_EXPLICIT_LIST = frozenset({"list", "all", "full", "whole", "every"})
# "section 11", "s.17", "regulation 5", "schedule 2": a numbered part of a document is as exact as a year
_SECTION = re.compile(
    r"\b(section|sect|sec|s|part|schedule|regulation|reg|paragraph|para|clause|article)\s*\.?\s*(\d+[a-z]?)\b"
)
_SECTION_NAMES = {
    "sect": "section",
    "sec": "section",
    "s": "section",
    "reg": "regulation",
    "para": "paragraph",
}
_NAME_JOINERS = frozenset({"for", "of", "and", "the", "in"})
_SENTENCES = re.compile(r"[.?!:;()\n\"]+|\s[-\u2013\u2014]\s")
_NAME_WORD = re.compile(r"[A-Za-z][A-Za-z'\u2019]*|\d+")
# The names of the kinds of entry, which the word model reads as words (see Searcher.wording)
_KIND_WORDS = frozenset(
    {*_REFERENCE_KINDS, "standard", "standards", "nms", "fact", "facts", "definition", "glossary", "list"}
)
LIST_JOINERS = frozenset({"and", "or", "vs", "versus", "v", "to"})
_PARENTHESIS = re.compile(r"\([^)]*\)")
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
    # declined, but this entry came close: offered as the nearest the framework comes, not as an answer
    nearest: Entry | None = None
    # a question about several entries ("principles 3 and 7"): the others, shown with `best` on one card
    also: tuple[Entry, ...] = ()
    # references in the question to entries there are not ("principle 99" in "compare principle 2 with 99")
    missing: tuple[Reference, ...] = ()

    @property
    def answered(self) -> bool:
        return self.best is not None


@dataclass
class Vocabulary:
    """Words about words, from the content: synonyms people use, and words too general to tell entries apart."""

    synonyms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    generic: set[str] = field(default_factory=set)
    scope: set[str] = field(default_factory=set)
    outside: set[str] = field(default_factory=set)


@dataclass
class _Doc:
    entry: Entry
    weights: dict[str, float] = field(default_factory=dict)
    aliases: list[frozenset[str]] = field(default_factory=list)
    title: frozenset[str] = frozenset()
    said: str = ""  # the title and text as words, each between spaces: where exact references are looked for
    said_stems: frozenset[str] = frozenset()  # the same words' stems
    # each pair of adjacent content words in any field, with the weight of the best field it is in: a question
    # that says "lead provider" or "market position statement" as an entry's own words do is about that entry
    pairs: dict[tuple[str, str], float] = field(default_factory=dict)

    def about(self, stemmed: str, synonyms: Mapping[str, frozenset[str]]) -> bool:
        """Whether this entry is about the question's word `stemmed`, itself or through a synonym."""
        return stemmed in self.weights or not self.weights.keys().isdisjoint(synonyms.get(stemmed, ()))


class Searcher:
    """Built once per knowledge base; `answer` and `rank` are pure and fast (no I/O)."""

    def __init__(
        self, entries: Iterable[Entry], vocabulary: Vocabulary | None = None, judge: Judge | None = None
    ) -> None:
        self._chosen_judge = judge
        about_words = vocabulary or Vocabulary()
        synonyms = about_words.synonyms
        self._docs: list[_Doc] = []
        self._postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        self._by_ref: dict[tuple[str, int], Entry] = {}
        self._last: dict[str, int] = {}
        self._surface: dict[str, set[str]] = {}
        seen: set[str] = set(_EXTRA_VOCAB)
        headline: set[str] = set()
        for entry in entries:
            said = words(fold(f"{entry.title} {entry.text}"))
            doc = _Doc(entry, said=f" {' '.join(said)} ", said_stems=frozenset(stem(w) for w in said))
            multiword = tuple(a for a in entry.aliases if len(a.split()) > 1)
            fields = {
                # a one-word alias is a word the entry is about; a word of a longer alias ("test" in "soft
                # market testing") counts as much as a word of the text, and the whole phrase earns its bonus
                "alias": " ".join(a for a in entry.aliases if len(a.split()) == 1),
                "alias_phrase": " ".join(multiword),
                "keyword": " ".join(entry.keywords),
                "title": entry.title,
                "text": entry.text,
            }
            in_fields: dict[str, list[float]] = defaultdict(list)
            for name, value in fields.items():
                # a one-word alias has no pairs; the longer ones are paired each on its own, not across aliases
                phrases = () if name == "alias" else multiword if name == "alias_phrase" else (value,)
                for phrase in phrases:
                    for pair in itertools.pairwise(_content_stems(words(fold(phrase)))):
                        doc.pairs[pair] = max(doc.pairs.get(pair, 0.0), FIELD_WEIGHTS[name])
                tokens = words(fold(value))
                seen.update(tokens)
                for token in tokens:
                    self._surface.setdefault(stem(token), set()).add(token)
                for stemmed in set(_content_stems(tokens)):
                    in_fields[stemmed].append(FIELD_WEIGHTS[name])
                    if name in HEADLINE_FIELDS:
                        headline.add(stemmed)
            for stemmed, found in in_fields.items():
                # the best field's weight, and a little more for each other field the word is also in: an
                # entry whose title, text and aliases all say "providers" is more about providers than one
                # alias that mentions them
                doc.weights[stemmed] = max(found) + ALSO_IN_FIELD * (len(found) - 1)
            # the title is what the entry's owner says it is about: a phrase like an alias ("Lead provider
            # (definition)" is "lead provider"), so an entry written with no aliases is found by its name
            for alias in (_PARENTHESIS.sub("", entry.title), *entry.aliases):
                stems = frozenset(_content_stems(words(fold(alias))))
                if stems:
                    doc.aliases.append(stems)
            doc.title = frozenset(_content_stems(words(fold(entry.title))))
            if entry.number is not None and entry.kind != "collection":
                self._by_ref[(entry.kind, entry.number)] = entry
                self._last[entry.kind] = max(self._last.get(entry.kind, 0), entry.number)
            self._docs.append(doc)
        for index, doc in enumerate(self._docs):
            for stemmed, weight in doc.weights.items():
                self._postings[stemmed].append((index, weight))
        total = len(self._docs) or 1
        self._idf = {s: math.log(1 + total / len(p)) for s, p in self._postings.items()}
        self._unknown_weight = math.log(1 + total)
        generic = {stem(fold(w)) for w in about_words.generic}
        self._generic = frozenset(generic)
        self._headline = frozenset(headline)
        self._scope = frozenset(stem(fold(w)) for w in about_words.scope)
        self._outside = frozenset(stem(fold(w)) for w in about_words.outside)
        self._topic_words = frozenset(
            s
            for doc in self._docs
            if doc.entry.kind == "collection"
            for s in _content_stems(words(fold(" ".join((doc.entry.title, *doc.entry.keywords)))))
        ) - {stem(w) for w in LIST_WORDS}
        self._specificity = {
            s: GENERIC_FLOOR if s in generic else _specificity(self._surface[s]) for s in self._idf
        }
        self._synonyms: dict[str, frozenset[str]] = {}
        for word, targets in synonyms.items():
            stems = frozenset(st for t in targets for st in _content_stems(words(fold(t))) if st in self._idf)
            if stems:
                self._synonyms[stem(fold(word))] = self._synonyms.get(stem(fold(word)), frozenset()) | stems
        seen.update(synonyms)
        # every field of every entry as words between spaces, fields apart: where a name is looked for
        self._phrases = "|".join(
            f" {' '.join(words(fold(value)))} "
            for entry in (doc.entry for doc in self._docs)
            for value in (entry.title, entry.text, *entry.aliases, *entry.keywords)
        )
        self._by_id = {doc.entry.id: doc for doc in self._docs}
        # the word before "act" in every Act the content names ("children" of "the Children Act 2004")
        self._acts = frozenset(
            stem(m) for m in re.findall(r" (\w+) act ", self._phrases) if m not in STOP_WORDS
        )
        self._vocabulary = sorted(w for w in seen if len(w) >= 4 and w.isalpha())
        self._known_words = frozenset(seen)

    # -- the steps of answering -------------------------------------------------------------------

    def tokens(self, query: str) -> list[str]:
        """The question as words, chat markup removed and typos corrected to the base's vocabulary."""
        raw = words(fold(strip_chat_markup(query)))
        return [self._correct(token) for token in raw]

    def _correct(self, token: str) -> str:
        """Fix a misspelling of a word the base knows ("pricniple", "famly"); leave real words alone,
        since "lunch" is not a misspelling of "launch"."""
        if len(token) < 4 or token in self._known_words or token in STOP_WORDS or not token.isalpha():
            return token
        if stem(token) in self._idf or stem(token) in self._synonyms:
            return token
        if english_frequency(token) >= TYPO_FREQUENCY:
            return token
        match = process.extractOne(token, self._vocabulary, scorer=fuzz.ratio, score_cutoff=85)
        return str(match[0]) if match else token

    def wording(self, tokens: Sequence[str]) -> tuple[str, ...]:
        """The question as the word model reads it: its form, with the content's topics masked. Little words
        ("when", "my", "anyone") and the names of the kinds ("principle", "nos") stay as they are; a word
        naming the framework (synonyms.yaml's `scope`) becomes <s>, one of office life (`outside`) <o>, a
        number <n>, and any word the content knows <k>. A word the content does not know stays itself, since
        "ehcp" or "payslip" unknown says the question is about something else. So the model learns how the
        questions the content answers are put, never which topics it has: a team's new entry on family hubs
        makes "what do family hubs offer" read "what do <k> <k> offer", like any question the content answers.
        """
        masked = []
        for token in tokens:
            stemmed = stem(token)
            if token in _KIND_WORDS or token in STOP_WORDS:
                masked.append(token)
            elif stemmed in self._scope:
                masked.append("<s>")
            elif stemmed in self._outside:
                masked.append("<o>")
            elif token.isdigit() or stemmed in _NUMBER_STEMS or _ORDINAL.match(token):
                masked.append("<n>")
            elif stemmed in self._idf or stemmed in self._synonyms:
                masked.append("<k>")
            else:
                masked.append(token)
        return tuple(masked)

    def reference(self, tokens: Sequence[str]) -> Reference | None:
        """'principle 9', 'principle number nine', 'the ninth principle', 'p9', 'NOS function 3', 'NOS f3'."""
        found = self.references(tokens)
        return found[0] if found else None

    def references(self, tokens: Sequence[str]) -> list[Reference]:
        """Every exact reference in the question, in order and each once: "principles 3 and 7", "difference
        between principle 8 and 9", "p4 vs p10", "principle 2 and NOS function 1"."""
        found: dict[tuple[str, int], Reference] = {}
        for i in range(len(tokens)):
            at = self._reference_at(tokens, i)
            if at is None:
                continue
            reference, after = at
            found.setdefault((reference.kind, reference.number), reference)
            if after is not None:
                for number in self._listed_on(tokens, after, reference.kind):
                    found.setdefault((reference.kind, number), self._ref(reference.kind, number))
        return list(found.values())

    def _listed_on(self, tokens: Sequence[str], at: int, kind: str) -> list[int]:
        """The numbers listed after the one at `at`: "principles 3 and 7", "3, 5 and 7", "8 or 9", and "1 to 3"
        as a range (up to the kind's last member; a range beyond it names only its end)."""
        numbers: list[int] = []
        last = parse_number(tokens[at]) or 0
        k = at + 1
        while k < len(tokens):
            joiner = tokens[k] if tokens[k] in LIST_JOINERS else None
            k += joiner is not None
            number = parse_number(tokens[k]) if k < len(tokens) else None
            if number is None or _YEAR.match(tokens[k]):
                break
            in_range = joiner == "to" and last < number <= self._last.get(kind, 0)
            numbers.extend(range(last + 1, number + 1) if in_range else [number])
            last = number
            k += 1
        return numbers

    def _reference_at(self, tokens: Sequence[str], i: int) -> tuple[Reference, int | None] | None:
        """The reference whose kind (or "p9") is at `i`, if there is one, and where its number is when the
        number follows the kind ("principle 3"), so that a list of numbers can be read on from there."""
        token = tokens[i]
        p_number = _P_NUMBER.match(token)
        if p_number:
            return self._ref("principle", int(p_number.group(1))), None
        f_number = _F_NUMBER.match(token)
        if f_number and i > 0 and tokens[i - 1] == "nos":
            return self._ref("nos_function", int(f_number.group(1))), None
        kind = _REFERENCE_KINDS.get(token)
        if kind is None:
            return None
        if token == "nos" and i + 1 < len(tokens) and tokens[i + 1] in ("function", "functions"):
            return None  # "nos function 3": let "function" take it
        after = [(j, t) for j, t in enumerate(tokens[i + 1 : i + 3], i + 1) if t not in _NUMBER_FILLERS][:1]
        for j, candidate in after:
            number = parse_number(candidate)
            if number is not None:
                return self._ref(kind, number), j
        # "the ninth principle", "the 5th commissioning principle", "the 3rd one in the principles list":
        # the nearest ordinal shortly before; "the last principle", "the last NOS function": the highest
        before = [t for t in tokens[max(0, i - 3) : i] if t not in _KIND_QUALIFIERS][-1:]
        if before and before[0] in _LAST and token in _SINGULAR_KINDS and kind in self._last:
            return self._ref(kind, self._last[kind]), None
        # an ordinal before the kind, with only filler between: "the 3rd one in the principles list", but
        # not "a second question about the principle" or "our first two principles workshops"
        start = self._of_the(tokens, i)
        if start is not None and start >= 0 and tokens[start] in _LAST and kind in self._last:
            return self._ref(kind, self._last[kind]), None  # "the last of the ten principles"
        # or "no. 5 of the 10 principles", "number 5 principle" (but not "there are no 10 principles")
        numbered = start is not None or token in _SINGULAR_KINDS
        start = i - 1 if start is None else start
        for j in range(start, max(-1, start - 4), -1):
            if _ORDINAL.match(tokens[j]) or (numbered and _numbered(tokens, j)):
                number = parse_number(tokens[j])
                if number is not None:
                    return self._ref(kind, number), None
            if tokens[j] not in _ORDINAL_FILLER:
                break
        return None

    @staticmethod
    def _of_the(tokens: Sequence[str], i: int) -> int | None:
        """Where the word before "of the [four] [nos] functions" is, if the kind at `i` is plural and so
        preceded: "the first of the four NOS functions", "the last of the principles"."""
        if tokens[i] not in _PLURAL_KINDS:
            return None
        k = i - 1
        while k >= 0 and tokens[k] in _KIND_QUALIFIERS:
            k -= 1
        if k >= 0 and parse_number(tokens[k]) is not None and not _ORDINAL.match(tokens[k]):
            k -= 1  # "the ten principles"
        return k - 2 if k >= 1 and tokens[k - 1 : k + 1] == ["of", "the"] else None

    def asked_kind(self, tokens: Sequence[str]) -> str | None:
        """ "which principle ...", "is there a principle ...", "any nos function ...": the question asks for one
        entry of that kind."""
        word = _asked_about(tokens, _SINGULAR_KINDS, _ASKING_FOR_ONE, between=_KIND_QUALIFIERS)
        return _REFERENCE_KINDS[word] if word else None

    def _ref(self, kind: str, number: int) -> Reference:
        return Reference(kind, number, self._by_ref.get((kind, number)))

    def rank(self, query: str, kinds: Sequence[str] | None = None) -> list[Hit]:
        return self._rank_tokens(self.tokens(query), kinds)

    def _rank_tokens(self, tokens: Sequence[str], kinds: Sequence[str] | None) -> list[Hit]:
        stems = _content_stems(tokens)
        specific = [s for s in stems if s not in self._generic]
        # "which services have...", "what services have...": a question about several asks for the list
        asks_which = ("which" in tokens and bool(_PLURAL_KINDS.intersection(tokens))) or bool(
            _asked_about(tokens, _PLURAL_KINDS)
        )
        how_many = "many" in tokens
        what_are_the = _what_are_the(tokens)
        # "standards?", "what's nos": one word naming a whole topic asks for its list
        names_a_topic = len(set(specific)) == 1 and specific[0] in self._topic_words
        return self._rank(
            stems,
            kinds,
            # "principles pls", "list the services", "which services have standards?"
            wants_list=bool(LIST_WORDS.intersection(tokens))
            or asks_which
            or how_many
            or what_are_the
            or names_a_topic
            or not specific,
            # "what does decommissioning mean", "what is commissioning"
            wants_definition=bool(DEFINITION_WORDS.intersection(tokens)) or _asks_what_is(tokens, stems),
        )

    def _expand(self, query: Sequence[str]) -> dict[str, float]:
        """The stems to look for, each with its weight: the question's own, then their synonyms'."""
        terms = dict.fromkeys(query, 1.0)
        for stemmed in query:
            extras = sorted(self._synonyms.get(stemmed, ()))
            for extra in extras:
                # one word of the question is one word's worth of evidence, however many it expands to
                terms.setdefault(extra, SYNONYM_WEIGHT / len(extras))
        return terms

    def _term_weight(self, stemmed: str) -> float:
        return self._idf.get(stemmed, 0.0) * self._specificity.get(stemmed, 1.0)

    def _rank(
        self,
        stems: Sequence[str],
        kinds: Sequence[str] | None,
        *,
        wants_list: bool = False,
        wants_definition: bool = False,
    ) -> list[Hit]:
        query = set(stems)
        # in the question's own order, so that scores are summed alike in every process (sets are not)
        terms = self._expand(list(dict.fromkeys(stems)))
        scores: dict[int, float] = defaultdict(float)
        for stemmed, share in terms.items():
            if stemmed not in self._idf:
                continue
            term = share * self._term_weight(stemmed)
            for index, weight in self._postings[stemmed]:
                scores[index] += term * weight
        everything = set(terms)
        pairs = list(dict.fromkeys(itertools.pairwise(stems)))  # in order, so sums are alike in every process
        hits = []
        for index, score in scores.items():
            doc = self._docs[index]
            if kinds is not None and doc.entry.kind not in kinds:
                continue
            phrase = 0.0
            for alias in doc.aliases:
                if alias <= everything:
                    bonus = sum(self._term_weight(s) * terms[s] for s in sorted(alias))
                    phrase = max(phrase, bonus * (1 + EXACT_ALIAS_BONUS) if alias == query else bonus)
            total = score + ALIAS_PHRASE_BONUS * phrase
            for first, second in pairs:
                in_field = doc.pairs.get((first, second), 0.0)
                if in_field:
                    total += PAIR_BONUS * in_field * min(self._term_weight(first), self._term_weight(second))
            if doc.entry.background:
                total *= BACKGROUND_WEIGHT
            if doc.entry.kind == "collection":
                # a list's own title asks for it ("national minimum standards"), as a list word does
                total *= LIST_BOOST if wants_list or doc.title == query else NOT_A_LIST_WEIGHT
            if wants_definition and doc.entry.kind == "glossary":
                total *= DEFINITION_BOOST
            hits.append(Hit(doc.entry, total))
        hits.sort(key=lambda h: (-h.score, h.entry.id))
        return hits

    def in_scope(self, tokens: Sequence[str]) -> bool:
        """Whether the question names the framework itself (a word from synonyms.yaml's `scope`)."""
        return any(stem(t) in self._scope for t in tokens)

    def coverage(
        self,
        tokens: Sequence[str],
        *,
        leave_out: frozenset[str] = frozenset(),
        names: frozenset[str] = frozenset(),
    ) -> float:
        """The share of the question's weight made of words the base knows (directly or by synonym).
        Words that only say what form the answer takes ("list", "meaning") and stems in `leave_out` are not
        counted either way."""
        known, unknown = self._known_and_unknown(tokens, leave_out, names)
        return known / (known + unknown) if known + unknown else 0.0

    def _enough_recognised(self, tokens: Sequence[str], coverage: float, coverage_in_scope: float) -> bool:
        """Whether enough of the question is recognised: `coverage` of all of it, or, for a question that names
        the framework, `coverage_in_scope` of the rest with at least one word an entry is about."""
        if coverage >= MIN_COVERAGE:
            return True
        if not self.in_scope(tokens):
            return False
        rest = [t for t in tokens if _is_content(t) and stem(t) not in self._scope and t not in _FORM_WORDS]
        about = any(stem(t) in self._headline or stem(t) in self._synonyms for t in rest)
        return about and coverage_in_scope >= MIN_COVERAGE_IN_SCOPE

    def _known_and_unknown(
        self, tokens: Sequence[str], leave_out: frozenset[str], names: frozenset[str]
    ) -> tuple[float, float]:
        known = unknown = 0.0
        for _, weight, is_known in self._weighed(tokens, leave_out, names):
            if is_known:
                known += weight
            else:
                unknown += weight
        return known, unknown

    def _weighed(
        self, tokens: Sequence[str], leave_out: frozenset[str], names: frozenset[str]
    ) -> Iterator[tuple[str, float, bool]]:
        """Each content word of the question once, as (stem, weight, whether the base knows it)."""
        content = {stem(t): t for t in tokens if _is_content(t)}
        for stemmed, word in content.items():
            if stemmed in names:  # a name no entry mentions: what the question is about is not here
                yield stemmed, self._unknown_weight * NAME_WEIGHT, False
            elif stemmed in _NUMBER_STEMS or stemmed in leave_out or word in _FORM_WORDS:
                continue
            elif stemmed in self._idf:
                # as specific as the word the person used: "time" says less than the base's "timely"
                weight = self._term_weight(stemmed) * min(
                    1.0, _specificity([word]) / self._specificity[stemmed]
                )
                yield stemmed, weight * (1.0 if stemmed in self._headline else INCIDENTAL_WORD), True
            elif stemmed in self._synonyms:
                yield stemmed, min(self._term_weight(s) for s in self._synonyms[stemmed]), True
            else:
                yield stemmed, self._unknown_weight * _rarity(word), False

    def _explained(self, weighed: Sequence[tuple[str, float, bool]], entry: Entry) -> float:
        """The share of the question's recognised words (`weighed`, from `_weighed`) that `entry` itself is
        about: low when they are spread over other entries ("how many looked after children are there")."""
        doc = self._by_id[entry.id]
        total = share = 0.0
        for stemmed, weight, is_known in weighed:
            if doc.about(stemmed, self._synonyms):
                share += weight
                total += weight
            # naming the framework is not a word left unexplained
            elif is_known and stemmed not in self._scope:
                total += weight
        return share / total if total else 0.0

    def _misses_the_topic(self, with_names: Sequence[tuple[str, float, bool]], entry: Entry) -> bool:
        """Whether `entry` is about none of what the question asks, known to the base or not, leaving out the
        words that name the framework and its kinds: "which NOS function covers risk management" is about risk
        management, which no function mentions. A question that is only the kind's name misses nothing."""
        doc = self._by_id[entry.id]
        topic = [s for s, weight, _ in with_names if weight and s not in self._scope and s not in _KIND_STEMS]
        return bool(topic) and not any(doc.about(s, self._synonyms) for s in topic)

    def _most_about(self, weighed: Sequence[tuple[str, float, bool]], hits: list[Hit]) -> list[Hit]:
        """Of entries scoring within NEAR_TIE of the best, the one about most of the question comes first:
        "when did the east midlands framework launch" is the launch, not who in the East Midlands adopted it."""
        near = [h for h in hits[: 1 + MAX_ALTERNATIVES] if h.score >= NEAR_TIE * hits[0].score]
        if len(near) < 2:
            return hits
        first = max(near, key=lambda h: (self._explained(weighed, h.entry), h.score))
        return [first, *(h for h in hits if h is not first)]

    def _unknown_acts(self, tokens: Sequence[str]) -> frozenset[str]:
        """An Act the content does not name ("the Social Value Act", "the equality act"), as the stems of its
        name's last word and "act"; "the act", "which act" and "act quickly" name none."""
        return frozenset(
            s
            for before, word in itertools.pairwise(tokens)
            if word == "act" and _is_content(before) and stem(before) not in self._acts
            for s in (stem(before), stem(word))
        )

    def _quotes_the_act_named(self, tokens: Sequence[str], entry: Entry) -> bool:
        """Whether the question names an Act ("the Children Act", "care standards act") that `entry` itself
        quotes: "what does the Children Act 2004 say about partnership", answered with section 10; not "what
        does the children act say about parental leave", whose best entry is a principle."""
        said = self._by_id[entry.id].said_stems
        return "act" in said and any(
            word == "act" and _is_content(before) and stem(before) in self._acts and stem(before) in said
            for before, word in itertools.pairwise(tokens)
        )

    def unknown_names(self, query: str) -> list[str]:
        """Names of two or more words in the question that no entry mentions ("the Better Care Fund",
        "Working Together"), leaving out people's ("Cllr Jones")."""
        return [
            name
            for name in names(strip_chat_markup(query))
            if len(name.split()) > 1
            and name.split()[0].lower().rstrip(".") not in _HONORIFICS
            and f" {' '.join(words(fold(name)))} " not in self._phrases
        ]

    def answer(self, query: str, kinds: Sequence[str] | None = None) -> Answer:
        """The entry that answers `query`, or a decline. A free question (no `kinds`) is judged by the learned
        model (knowledge/answerability.py); a search within one kind, as a command's topic words are, by the
        hand rules, since the command already says what it is about."""
        tokens = self.tokens(query)
        references = [r for r in self.references(tokens) if kinds is None or r.kind in kinds]
        named = [r.entry for r in references if r.entry is not None]
        missing = tuple(r for r in references if r.entry is None)
        if named:  # "difference between principle 8 and 9": every one named, in the order asked
            first = next(r for r in references if r.entry is not None)
            return Answer(best=named[0], also=tuple(named[1:]), reference=first, missing=missing)
        if references:  # "principle 99": none of those named is there
            return Answer(reference=references[0], declined=True)
        stems = _content_stems(tokens)
        content = [s for s in stems if s not in _NUMBER_STEMS]
        if not content:
            return Answer(empty=True)
        case = self._measure(query, tokens, stems, content, kinds)
        if case is None:
            return Answer(declined=True, terms=tuple(content))
        judge = self._judge_for(kinds)
        # of near ties, the entry about most of the question first
        hits = self._most_about(case.weighed, case.hits)
        verdict = judge.verdict(case.signals)
        if not verdict.answers:
            near = hits[0].entry if verdict.near_miss else None
            return Answer(declined=True, score=case.hits[0].score, terms=tuple(content), nearest=near)
        best = hits[0]
        close = tuple(h.entry for h in hits[1 : 1 + MAX_ALTERNATIVES] if h.score >= CLOSE_CALL * best.score)
        return Answer(best=best.entry, alternatives=close, score=best.score, terms=tuple(content))

    def _judge_for(self, kinds: Sequence[str] | None) -> Judge:
        if kinds is not None:
            return RULES
        return self._chosen_judge if self._chosen_judge is not None else shipped_judge()

    def signals(self, query: str) -> tuple[Signals, Entry] | None:
        """What the judge of a free question sees, and the entry that would be shown if it answers; None for
        an exact reference or a question with no content words (neither is judged). For training and study."""
        tokens = self.tokens(query)
        if self.reference(tokens) is not None:
            return None
        stems = _content_stems(tokens)
        content = [s for s in stems if s not in _NUMBER_STEMS]
        case = self._measure(query, tokens, stems, content, None) if content else None
        if case is None:
            return None
        return case.signals, self._most_about(case.weighed, case.hits)[0].entry

    def _measure(
        self,
        query: str,
        tokens: Sequence[str],
        stems: Sequence[str],
        content: Sequence[str],
        kinds: Sequence[str] | None,
    ) -> _Case | None:
        """Rank the entries and measure the question against the best: everything the judge weighs."""
        # what the question is about that no entry is: a name none mentions, a word of everyday office life
        name_words = frozenset(
            stem(w) for name in self.unknown_names(query) for w in words(fold(name)) if w not in _NAME_JOINERS
        )
        outside = self._outside.intersection(stems)
        acts = self._unknown_acts(tokens)
        unknown = name_words | outside | acts
        hits = self._rank_tokens(tokens, kinds)
        weighed = list(self._weighed(tokens, frozenset(), frozenset()))  # once, for every entry compared
        asked = self.asked_kind(tokens) if kinds is None else None
        if asked is not None:  # "which principle mentions decommissioning": only a principle answers
            hits = [h for h in hits if h.entry.kind == asked]
        term = (_ends_asking_what_is(tokens) or _asks_what_a_term_covers(tokens)) if kinds is None else None
        if (
            term is not None
        ):  # "…, what is contracting?", "is procurement just the buying bit?": the glossary's
            defined = [
                h for h in hits if h.entry.kind == "glossary" and stem(term) in self._by_id[h.entry.id].title
            ]
            hits = defined or hits
        what_are_the = kinds is None and _only_the_kind_asked(tokens)
        if what_are_the:  # "writing a paper for the board tomorrow, what are the 10 principles?": a list
            hits = [h for h in hits if h.entry.kind == "collection"] or hits
        # "the Health and Care Act 2022", "section 11 of the Children Act 2004": exact; only entries that say so
        for exact in _exact_references(tokens):
            hits = [h for h in hits if exact in self._by_id[h.entry.id].said]
        if not hits:
            return None
        top = hits[0].entry
        with_names = list(self._weighed(tokens, frozenset(), unknown))
        if asked is not None and self._misses_the_topic(with_names, top):
            return None  # "which NOS function covers risk management": the best of them mentions none of it
        # "can you give me the full list of principles?" however much else the message says
        asks_for_a_list = top.kind == "collection" and (
            what_are_the
            or (
                bool(_EXPLICIT_LIST.intersection(tokens))
                and bool(_PLURAL_KINDS.union({"nos"}).intersection(tokens))
            )
        )
        # "can someone explain in plain english what 'commissioning' actually means?" however it is worded
        asks_what_a_term_means = top.kind == "glossary" and (
            (
                bool(DEFINITION_WORDS.intersection(tokens))
                and bool(self._by_id[top.id].title.intersection(stems))
            )
            or (term is not None and stem(term) in self._by_id[top.id].title)  # "…, what is contracting?"
        )
        known = [w for _, w, is_known in with_names if is_known]
        unknowns = [w for _, w, is_known in with_names if not is_known]
        coverage = sum(known) / (sum(known) + sum(unknowns)) if known or unknowns else 0.0
        coverage_in_scope = self.coverage(tokens, leave_out=self._scope - unknown, names=unknown)
        enough = self._enough_recognised(tokens, coverage, coverage_in_scope)
        explained = self._explained(weighed, top)
        return _Case(
            hits,
            weighed,
            Signals(
                score=hits[0].score,
                runner_up=hits[1].score / hits[0].score if len(hits) > 1 and hits[0].score else 0.0,
                coverage=coverage,
                coverage_in_scope=coverage_in_scope,
                in_scope=self.in_scope(tokens),
                explained=explained,
                known_weight=sum(known),
                unknown_weight=sum(unknowns),
                heaviest_unknown=max(unknowns, default=0.0),
                heaviest_known=max(known, default=0.0),
                weighty_unknowns=sum(1 for w in unknowns if w > WEIGHTY),
                content_words=len(set(content)),
                outside_words=len(outside),
                unknown_name_words=len(name_words),
                unknown_act=bool(acts),
                asks_for_one_of_a_kind=_asked_about(
                    tokens, _SINGULAR_KINDS, _ASKING_FOR_ONE, _KIND_QUALIFIERS
                )
                is not None,
                asks_for_a_list=asks_for_a_list,
                asks_what_a_term_means=asks_what_a_term_means,
                background=top.background,
                collection=top.kind == "collection",
                glossary=top.kind == "glossary",
                enough_recognised=enough,
                # the hand-set rules: a score above coincidence, and enough of the question recognised and
                # explained by the best entry, or an explicit request for a list or a definition
                rules_answer=hits[0].score >= MIN_SCORE
                and (asks_for_a_list or asks_what_a_term_means or (enough and explained >= MIN_EXPLAINED)),
                words=self.wording(tokens),
                names_a_known_act=self._quotes_the_act_named(tokens, top),
            ),
        )


@dataclass(frozen=True)
class _Case:
    hits: list[Hit]
    weighed: list[tuple[str, float, bool]]
    signals: Signals


class _Rules:
    """The hand-set rules (their verdict is measured with the rest, as `Signals.rules_answer`): the baseline the
    model is measured against, and the judge of searches within one kind."""

    def verdict(self, signals: Signals) -> Verdict:
        return Verdict(signals.rules_answer)

    def answers(self, signals: Signals) -> bool:
        return signals.rules_answer


RULES = _Rules()


_NUMBER_STEMS = frozenset(stem(w) for w in number_words())
_FORM_WORDS = LIST_WORDS | DEFINITION_WORDS


_SHORT_WORDS = frozenset({"dh", "la", "nhs"})  # short words that do carry meaning here


def _is_content(token: str) -> bool:
    if token in STOP_WORDS or token.isdigit() or _ORDINAL.match(token):
        return False
    # Short words carry meaning only if listed, or if they are codes such as "a9".
    return len(token) > 2 or token in _SHORT_WORDS or (len(token) == 2 and any(c.isdigit() for c in token))


def _content_stems(tokens: Iterable[str]) -> list[str]:
    return [stem(t) for t in tokens if _is_content(t)]


def _asked_about(
    tokens: Sequence[str],
    kinds: frozenset[str],
    asking: frozenset[str] = _WHICH_WORDS,
    between: frozenset[str] = frozenset(),
) -> str | None:
    """The word of `kinds` right after one of `asking` ("which principle", "what services"), with only words
    of `between` ("nos", "commissioning") allowed in the gap, if any."""
    for i, word in enumerate(tokens):
        if word not in kinds:
            continue
        before = i - 1
        while before > 0 and tokens[before] in between:
            before -= 1
        if before >= 0 and tokens[before] in asking:
            return word
    return None


def _numbered(tokens: Sequence[str], j: int) -> bool:
    """Whether the number at `j` is "no. 5" or "number five", as in "what's no. 5 of the 10 principles" or
    "number 5 principle": "number" before a number, or "no" before digits (not "no one principle covers it")."""
    if j < 1 or parse_number(tokens[j]) is None:
        return False
    filler = tokens[j - 1]
    return filler in _NUMBER_FILLERS and (filler == "number" or tokens[j].isdigit())


def _what_are_the(tokens: Sequence[str]) -> bool:
    """ "what are the regional commissioning principles?", "…, which are the 4 functions": the kind itself,
    ending the question, is what is asked for."""
    return bool(tokens) and tokens[-1] in _PLURAL_KINDS and _WHAT_ARE_THE.search(" ".join(tokens)) is not None


_NAMING_A_KIND = (
    _KIND_QUALIFIERS | _PLURAL_KINDS | {"national", "minimum", "occupational", "east", "midlands"}
)


def _only_the_kind_asked(tokens: Sequence[str]) -> bool:
    """ "…, what are the 10 principles?", "which are the four NOS functions": nothing but the kind (and how
    many, and its qualifiers) after "what are the", so the whole list is asked for, whatever came before."""
    if not _what_are_the(tokens):
        return False
    text = " ".join(tokens)
    after = text[list(_WHAT_ARE_THE.finditer(text))[-1].end() :].split()
    return all(word in _NAMING_A_KIND or parse_number(word) is not None for word in after)


def _exact_references(tokens: Sequence[str]) -> list[str]:
    """What an entry must say, as words between spaces, to answer a question that names a part of a
    document: a year within two words of "act", "regulations", "standards"... (" 2004 "), or a numbered
    section (" section 11 ")."""
    years = [
        f" {t} "
        for i, t in enumerate(tokens)
        if _YEAR.match(t) and _DOCUMENT_WORDS.intersection(tokens[max(0, i - 2) : i + 3])
    ]
    sections = [f" {_SECTION_NAMES.get(w, w)} {n} " for w, n in _SECTION.findall(" ".join(tokens))]
    return years + sections


def names(text: str) -> list[str]:
    """Capitalised words, and runs of them, that do not start a sentence: "Better Care Fund", "Sarah"."""
    found: list[str] = []
    for sentence in _SENTENCES.split(text):
        run: list[str] = []
        joiner: str | None = None
        for i, word in enumerate(_NAME_WORD.findall(sentence)):
            if (
                i > 0
                and word[0].isupper()
                and not word.removesuffix("s").isupper()
                and not set(words(fold(word))) <= STOP_WORDS
            ):
                run.extend([joiner] if joiner and run else [])
                run.append(word)
                joiner = None
            elif run and word in _NAME_JOINERS and joiner is None:
                joiner = word
            else:
                if run:
                    found.append(" ".join(run))
                run, joiner = [], None
        if run:
            found.append(" ".join(run))
    return found


def _asks_what_is(tokens: Sequence[str], stems: Sequence[str]) -> bool:
    """'what is commissioning', "what's procurement": a one-word question after "what is"; or a message
    ending in one ("I'm new - what is commissioning?")."""
    if len(stems) == 1 and any(t in ("what", "whats", "what's") for t in tokens[:2]):
        return True
    return _ends_asking_what_is(tokens) is not None


# "is procurement just the buying bit?", "does contracting include monitoring?", "is contracting part of
# procurement?": what a term takes in, which its definition answers
_TAKES_IN = frozenset(
    {"just", "only", "basically", "include", "includes", "including", "part", "same", "separate"}
)


def _asks_what_a_term_covers(tokens: Sequence[str]) -> str | None:
    """The term in "is <term> just…", "does <term> include…", "is <term> part of / the same as…"."""
    for i in range(len(tokens) - 2):
        if tokens[i] in ("is", "does", "isnt", "doesnt") and _TAKES_IN.intersection(tokens[i + 2 : i + 5]):
            return tokens[i + 1] if _is_content(tokens[i + 1]) else None
    return None


def _ends_asking_what_is(tokens: Sequence[str]) -> str | None:
    """The term in a message that ends "…, what is commissioning?" or "…, whats procurement", if it does."""
    ending = [t for t in tokens[-4:] if t not in ("a", "an", "the")]
    asks = len(ending) >= 2 and (ending[-3:-1] == ["what", "is"] or ending[-2] == "whats")
    return ending[-1] if asks and _is_content(ending[-1]) else None


def _specificity(forms: Iterable[str]) -> float:
    """How much a word the base knows says about the topic: its rarest form's rarity in English."""
    frequency = min(english_frequency(f) for f in forms)
    return min(1.0, max(GENERIC_FLOOR, (7.0 - frequency) / 3.0))


def _rarity(word: str) -> float:
    """0.15 for the commonest English words, rising to 1 for rare ones and words English does not know.
    Verb and adverb forms ("treating", "changed") say less about a topic than nouns ("laptop")."""
    rarity = min(1.0, max(0.15, (COMMON_WORD - english_frequency(word)) / RARITY_SPAN))
    return rarity * INFLECTED_WEIGHT if word.endswith(("ing", "ed", "ly")) else rarity
