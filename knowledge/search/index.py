"""The entries as a field-weighted index of stems: what each entry is about and how much, the words the
content knows (for typo correction and for masking topics in the word model), and the ranking itself."""

from __future__ import annotations

import itertools
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from knowledge.model import Entry
from knowledge.search.language import LANGUAGE
from knowledge.search.questions import NUMBER_STEMS, ORDINAL, answer_kinds_held, content_stems, specificity
from knowledge.text import STOP_WORDS, english_frequency, fold, stem, strip_chat_markup, words

W = LANGUAGE.words
WEIGHTS = LANGUAGE.weights
# "s75", "reg5": one of language.yaml's section_names run together with its number
_RUN_TOGETHER = re.compile(rf"^({'|'.join(sorted(W.section_names, key=len, reverse=True))})(\d+[a-z]?)$")
_PARENTHESIS = re.compile(r"\([^)]*\)")


@dataclass(frozen=True)
class Hit:
    entry: Entry
    score: float


@dataclass
class Vocabulary:
    """Words about words, from the content: synonyms people use, and words too general to tell entries apart."""

    synonyms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    generic: set[str] = field(default_factory=set)
    scope: set[str] = field(default_factory=set)
    outside: set[str] = field(default_factory=set)


@dataclass
class Doc:
    entry: Entry
    weights: dict[str, float] = field(default_factory=dict)
    aliases: list[frozenset[str]] = field(default_factory=list)
    title: frozenset[str] = frozenset()
    # the title's words without a parenthesis ("Market position statement (definition)"), when two or more: a
    # question saying them all is about the entry so titled more than about one that has them as an alias
    title_phrase: frozenset[str] = frozenset()
    said: str = ""  # the title and text as words, each between spaces: where exact references are looked for
    said_stems: frozenset[str] = frozenset()  # the same words' stems
    # each pair of adjacent content words in any field, with the weight of the best field it is in: a question
    # that says "lead provider" or "market position statement" as an entry's own words do is about that entry
    pairs: dict[tuple[str, str], float] = field(default_factory=dict)
    # the kinds of answer the entry's text holds (a time, an amount, a person or body): see answer_kinds_held
    holds: frozenset[str] = frozenset()
    # an entry with no aliases: each pair of adjacent content words of its text, which a question saying them side
    # by side matches as it would an alias of two words
    phrases: frozenset[tuple[str, str]] = frozenset()

    def about(self, stemmed: str, synonyms: Mapping[str, frozenset[str]]) -> bool:
        """Whether this entry is about the question's word `stemmed`, itself or through a synonym."""
        return stemmed in self.weights or not self.weights.keys().isdisjoint(synonyms.get(stemmed, ()))


class Index:
    """Built once per knowledge base from its entries and vocabulary; read-only afterwards."""

    def __init__(self, entries: Iterable[Entry], vocabulary: Vocabulary) -> None:
        self.docs: list[Doc] = []
        self._postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        surface: dict[str, set[str]] = {}
        seen: set[str] = set(W.always_known)
        headline: set[str] = set()
        for entry in entries:
            doc = self._doc(entry, seen, surface, headline)
            self.docs.append(doc)
        for index, doc in enumerate(self.docs):
            for stemmed, weight in doc.weights.items():
                self._postings[stemmed].append((index, weight))
        total = len(self.docs) or 1
        self.idf = {s: math.log(1 + total / len(p)) for s, p in self._postings.items()}
        self.unknown_weight = math.log(1 + total)  # a word no entry has weighs as much as the rarest
        generic = {stem(fold(w)) for w in vocabulary.generic}
        self.generic = frozenset(generic)
        self.headline = frozenset(headline)
        self.scope = frozenset(stem(fold(w)) for w in vocabulary.scope)
        self.outside = frozenset(stem(fold(w)) for w in vocabulary.outside)
        self.topic_words = frozenset(
            s
            for doc in self.docs
            if doc.entry.kind == "collection"
            for s in content_stems(words(fold(" ".join((doc.entry.title, *doc.entry.keywords)))))
        ) - {stem(w) for w in W.list_words}
        self.specificity = {
            s: WEIGHTS.generic_floor if s in generic else specificity(surface[s]) for s in self.idf
        }
        self.synonyms: dict[str, frozenset[str]] = {}
        for word, targets in vocabulary.synonyms.items():
            stems = frozenset(st for t in targets for st in content_stems(words(fold(t))) if st in self.idf)
            if stems:
                self.synonyms[stem(fold(word))] = self.synonyms.get(stem(fold(word)), frozenset()) | stems
        seen.update(vocabulary.synonyms)
        # every field of every entry as words between spaces, fields apart: where a name is looked for
        self.phrases = "|".join(
            f" {' '.join(words(fold(value)))} "
            for entry in (doc.entry for doc in self.docs)
            for value in (entry.title, entry.text, *entry.aliases, *entry.keywords)
        )
        self.by_id = {doc.entry.id: doc for doc in self.docs}
        # the word before "act" in every Act the content names ("children" of "the Children Act 2004")
        self.acts = frozenset(
            stem(m) for m in re.findall(r" (\w+) act ", self.phrases) if m not in STOP_WORDS
        )
        self._vocabulary = sorted(w for w in seen if len(w) >= 4 and w.isalpha())
        self._known_words = frozenset(seen)

    @staticmethod
    def _doc(entry: Entry, seen: set[str], surface: dict[str, set[str]], headline: set[str]) -> Doc:
        said = words(fold(f"{entry.title} {entry.text}"))
        doc = Doc(
            entry,
            said=f" {' '.join(said)} ",
            said_stems=frozenset(stem(w) for w in said),
            holds=answer_kinds_held(said, entry.text),
        )
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
        # an entry written plainly, with no aliases or keywords (as a team's own usually is), says what it is
        # about in its title and text alone: its text's words count as a curated entry's keywords do, and say
        # what it is about (headline) as theirs do. Without this a team's entry on its provider forum lost to
        # the principle whose aliases say "provider forum" (local sets' rank top-1: 59/132 -> 109/132)
        plain = not entry.aliases and not entry.keywords
        for name, value in fields.items():
            weight = WEIGHTS.fields["plain_text"] if plain and name == "text" else WEIGHTS.fields[name]
            # a one-word alias has no pairs; the longer ones are paired each on its own, not across aliases
            phrases = () if name == "alias" else multiword if name == "alias_phrase" else (value,)
            for phrase in phrases:
                for pair in itertools.pairwise(content_stems(words(fold(phrase)))):
                    doc.pairs[pair] = max(doc.pairs.get(pair, 0.0), weight)
            tokens = words(fold(value))
            seen.update(tokens)
            for token in tokens:
                surface.setdefault(stem(token), set()).add(token)
            for stemmed in set(content_stems(tokens)):
                in_fields[stemmed].append(weight)
                if name in WEIGHTS.headline_fields or plain:
                    headline.add(stemmed)
        for stemmed, found in in_fields.items():
            # the best field's weight, and a little more for each other field the word is also in: an
            # entry whose title, text and aliases all say "providers" is more about providers than one
            # alias that mentions them
            doc.weights[stemmed] = max(found) + WEIGHTS.also_in_field * (len(found) - 1)
        # the title is what the entry's owner says it is about: a phrase like an alias ("Lead provider
        # (definition)" is "lead provider"), so an entry written with no aliases is found by its name
        for alias in (_PARENTHESIS.sub("", entry.title), *entry.aliases):
            stems = frozenset(content_stems(words(fold(alias))))
            if stems:
                doc.aliases.append(stems)
        if plain:  # its text's two-word phrases are all it has for aliases ("provider forum")
            doc.phrases = frozenset(itertools.pairwise(content_stems(words(fold(entry.text)))))
        doc.title = frozenset(content_stems(words(fold(entry.title))))
        # "the partnership principle", "the prevention principle", "the engage function": a word of the title next
        # to the name of the entry's kind says which one, as the title itself does
        noun = W.kind_nouns.get(entry.kind)
        if noun is not None:
            for stemmed in doc.title:
                doc.pairs[(stemmed, stem(noun))] = max(
                    doc.pairs.get((stemmed, stem(noun)), 0.0), WEIGHTS.fields["title"]
                )
        named = frozenset(content_stems(words(fold(_PARENTHESIS.sub("", entry.title)))))
        doc.title_phrase = named if len(named) >= 2 else frozenset()
        return doc

    # -- reading a question -----------------------------------------------------------------------

    def tokens(self, query: str) -> list[str]:
        """The question as words, chat markup removed and typos corrected to the base's vocabulary."""
        return self.plain_tokens(strip_chat_markup(query))

    def plain_tokens(self, text: str) -> list[str]:
        """As `tokens`, for text whose chat markup is already read (a sentence of a message). A numbered part
        of a document run together ("s75", "reg5") is read as its name in full and its number, as the content
        writes it ("section 75"), unless the content has it run together too."""
        read: list[str] = []
        for token in words(fold(text)):
            part = _RUN_TOGETHER.match(token)
            if part is not None and token not in self._known_words:
                read += [W.section_names.get(part[1], part[1]), part[2]]
            else:
                read.append(self._correct(token))
        return read

    def _correct(self, token: str) -> str:
        """Fix a misspelling of a word the base knows ("pricniple", "famly"); leave real words alone,
        since "lunch" is not a misspelling of "launch"."""
        if len(token) < 4 or token in self._known_words or token in STOP_WORDS or not token.isalpha():
            return token
        if stem(token) in self.idf or stem(token) in self.synonyms:
            return token
        if english_frequency(token) >= WEIGHTS.typo_frequency:
            return token
        match = process.extractOne(
            token, self._vocabulary, scorer=fuzz.ratio, score_cutoff=WEIGHTS.typo_similarity
        )
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
            if token in LANGUAGE.kind_words or token in STOP_WORDS:
                masked.append(token)
            elif stemmed in self.scope:
                masked.append("<s>")
            elif stemmed in self.outside:
                masked.append("<o>")
            elif token.isdigit() or stemmed in NUMBER_STEMS or ORDINAL.match(token):
                masked.append("<n>")
            elif stemmed in self.idf or stemmed in self.synonyms:
                masked.append("<k>")
            else:
                masked.append(token)
        return tuple(masked)

    def in_scope(self, tokens: Sequence[str]) -> bool:
        """Whether the question names the framework itself (a word from synonyms.yaml's `scope`)."""
        return any(stem(t) in self.scope for t in tokens)

    # -- ranking ----------------------------------------------------------------------------------

    def term_weight(self, stemmed: str) -> float:
        return self.idf.get(stemmed, 0.0) * self.specificity.get(stemmed, 1.0)

    def _expand(self, query: Sequence[str]) -> dict[str, float]:
        """The stems to look for, each with its weight: the question's own, then their synonyms'."""
        terms = dict.fromkeys(query, 1.0)
        for stemmed in query:
            extras = sorted(self.synonyms.get(stemmed, ()))
            for extra in extras:
                # one word of the question is one word's worth of evidence, however many it expands to
                terms.setdefault(extra, WEIGHTS.synonym / len(extras))
        return terms

    def rank(
        self,
        stems: Sequence[str],
        kinds: Sequence[str] | None,
        *,
        wants_list: bool = False,
        wants_definition: bool = False,
        wants_kind: str | None = None,
    ) -> list[Hit]:
        """Every entry the question's stems touch (of `kinds`, if given), best first."""
        query = set(stems)
        # in the question's own order, so that scores are summed alike in every process (sets are not)
        terms = self._expand(list(dict.fromkeys(stems)))
        scores: dict[int, float] = defaultdict(float)
        for stemmed, share in terms.items():
            if stemmed not in self.idf:
                continue
            term = share * self.term_weight(stemmed)
            for index, weight in self._postings[stemmed]:
                scores[index] += term * weight
        everything = set(terms)
        pairs = list(dict.fromkeys(itertools.pairwise(stems)))  # in order, so sums are alike in every process
        hits = []
        for index, score in scores.items():
            doc = self.docs[index]
            if kinds is not None and doc.entry.kind not in kinds:
                continue
            phrase = 0.0
            for alias in doc.aliases:
                if alias <= everything:
                    bonus = sum(self.term_weight(s) * terms[s] for s in sorted(alias))
                    phrase = max(phrase, bonus * (1 + WEIGHTS.exact_alias_bonus) if alias == query else bonus)
            for pair in pairs:
                if pair in doc.phrases:
                    phrase = max(phrase, sum(self.term_weight(s) * terms[s] for s in pair))
            total = score + WEIGHTS.alias_phrase_bonus * phrase
            if doc.title_phrase and doc.title_phrase <= everything:
                total += WEIGHTS.title_phrase_bonus * sum(
                    self.term_weight(s) * terms[s] for s in sorted(doc.title_phrase)
                )
            for first, second in pairs:
                in_field = doc.pairs.get((first, second), 0.0)
                if in_field:
                    total += (
                        WEIGHTS.pair_bonus * in_field * min(self.term_weight(first), self.term_weight(second))
                    )
            if doc.entry.background:
                total *= WEIGHTS.background
            if doc.entry.kind == "collection":
                # a list's own title asks for it ("national minimum standards"), as a list word does
                total *= WEIGHTS.list_boost if wants_list or doc.title == query else WEIGHTS.not_a_list
            if wants_definition and doc.entry.kind == "glossary":
                total *= WEIGHTS.definition_boost
            if wants_kind is not None and wants_kind not in doc.holds:
                total *= WEIGHTS.lacks_answer_kind
            hits.append(Hit(doc.entry, total))
        hits.sort(key=lambda h: (-h.score, h.entry.id))
        return hits
