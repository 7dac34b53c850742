"""Everything the judge weighs of a question and its best entry (knowledge.answerability.Signals): how much of
the question the content recognises, how much of it the best entry explains, what it names that no entry does
(an Act, a name, office life), and whether it asks for a list, a definition or one of a kind."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from knowledge.answerability import WEIGHTY, Signals
from knowledge.model import Entry
from knowledge.search.index import Hit, Index
from knowledge.search.language import LANGUAGE
from knowledge.search.questions import (
    NUMBER_STEMS,
    answer_kind_asked,
    asked_about,
    asks_for_one_of_a_kind,
    asks_what_a_term_covers,
    asks_what_is,
    asks_what_term_means,
    content_stems,
    ends_asking_what_is,
    exact_references,
    is_a_persons,
    is_content,
    names,
    only_the_kind_asked,
    quoted_term_asked,
    rarity,
    specificity,
    what_are_the,
    whole_list_asked,
)
from knowledge.search.references import References
from knowledge.text import fold, stem, words

W = LANGUAGE.words
WEIGHTS = LANGUAGE.weights
LIMITS = LANGUAGE.thresholds
Weighed = list[tuple[str, float, bool]]  # each content word once: (stem, weight, whether the base knows it)


@dataclass(frozen=True)
class Case:
    hits: list[Hit]
    shown: list[Hit]  # the same, of near ties the entry about most of the question first: the card's order
    weighed: Weighed
    signals: Signals


class Measures:
    def __init__(self, index: Index, references: References) -> None:
        self.index = index
        self.references = references

    def rank(
        self,
        tokens: Sequence[str],
        kinds: Sequence[str] | None,
        *,
        wants_definition: bool = False,
        wants_kind: str | None = None,
    ) -> list[Hit]:
        """The entries, best first, for the question's words, knowing whether it asks for a list or a meaning
        (or, `wants_definition`, is known to ask what a term means) and what kind of answer (`wants_kind`, as
        answer_kind_asked reads it; read here when not given)."""
        stems = content_stems(tokens)
        specific = [s for s in stems if s not in self.index.generic]
        # "which services have...", "what services have...": a question about several asks for the list
        asks_which = ("which" in tokens and bool(W.plural_kinds.intersection(tokens))) or bool(
            asked_about(tokens, W.plural_kinds)
        )
        # "standards?", "what's nos": one word naming a whole topic asks for its list
        names_a_topic = len(set(specific)) == 1 and specific[0] in self.index.topic_words
        return self.index.rank(
            stems,
            kinds,
            # "principles pls", "list the services", "which services have standards?", "how many..."
            wants_list=bool(W.list_words.intersection(tokens))
            or asks_which
            or bool(W.how_many.intersection(tokens))
            or what_are_the(tokens)
            or names_a_topic
            or not specific,
            # "what does decommissioning mean", "what is commissioning"
            wants_definition=wants_definition
            or bool(W.definition_words.intersection(tokens))
            or asks_what_is(tokens, stems),
            # "when does the taxi contract end": an entry with a time in it
            wants_kind=wants_kind if wants_kind is not None else answer_kind_asked(tokens),
        )

    # -- how much of the question is recognised ---------------------------------------------------

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
        known = unknown = 0.0
        for _, weight, is_known in self.weighed(tokens, leave_out, names):
            if is_known:
                known += weight
            else:
                unknown += weight
        return known / (known + unknown) if known + unknown else 0.0

    def enough_recognised(self, tokens: Sequence[str], coverage: float, coverage_in_scope: float) -> bool:
        """Whether enough of the question is recognised: `coverage` of all of it, or, for a question that names
        the framework, `coverage_in_scope` of the rest with at least one word an entry is about."""
        if coverage >= LIMITS.min_coverage:
            return True
        if not self.index.in_scope(tokens):
            return False
        scope = self.index.scope
        rest = [t for t in tokens if is_content(t) and stem(t) not in scope and t not in LANGUAGE.form_words]
        about = any(stem(t) in self.index.headline or stem(t) in self.index.synonyms for t in rest)
        return about and coverage_in_scope >= LIMITS.min_coverage_in_scope

    def weighed(
        self, tokens: Sequence[str], leave_out: frozenset[str], names: frozenset[str]
    ) -> Iterator[tuple[str, float, bool]]:
        """Each content word of the question once, as (stem, weight, whether the base knows it)."""
        index = self.index
        content = {stem(t): t for t in tokens if is_content(t)}
        for stemmed, word in content.items():
            if stemmed in names:  # a name no entry mentions: what the question is about is not here
                yield stemmed, index.unknown_weight * WEIGHTS.name, False
            elif stemmed in NUMBER_STEMS or stemmed in leave_out or word in LANGUAGE.form_words:
                continue
            elif stemmed in index.idf:
                # as specific as the word the person used: "time" says less than the base's "timely"
                weight = index.term_weight(stemmed) * min(
                    1.0, specificity([word]) / index.specificity[stemmed]
                )
                yield stemmed, weight * (1.0 if stemmed in index.headline else WEIGHTS.incidental_word), True
            elif stemmed in index.synonyms:
                yield stemmed, min(index.term_weight(s) for s in index.synonyms[stemmed]), True
            else:
                yield stemmed, index.unknown_weight * rarity(word), False

    def explained(self, weighed: Weighed, entry: Entry) -> float:
        """The share of the question's recognised words (`weighed`) that `entry` itself is about: low when
        they are spread over other entries ("how many looked after children are there")."""
        doc = self.index.by_id[entry.id]
        total = share = 0.0
        for stemmed, weight, is_known in weighed:
            if doc.about(stemmed, self.index.synonyms):
                share += weight
                total += weight
            # naming the framework is not a word left unexplained
            elif is_known and stemmed not in self.index.scope:
                total += weight
        return share / total if total else 0.0

    def misses_the_topic(self, with_names: Weighed, entry: Entry) -> bool:
        """Whether `entry` is about none of what the question asks, known to the base or not, leaving out the
        words that name the framework and its kinds: "which NOS function covers risk management" is about risk
        management, which no function mentions. A question that is only the kind's name misses nothing."""
        doc = self.index.by_id[entry.id]
        scope = self.index.scope
        topic = [
            s for s, weight, _ in with_names if weight and s not in scope and s not in LANGUAGE.kind_stems
        ]
        return bool(topic) and not any(doc.about(s, self.index.synonyms) for s in topic)

    def most_about(self, weighed: Weighed, hits: list[Hit]) -> list[Hit]:
        """Of entries scoring within near_tie of the best, the one about most of the question comes first:
        "when did the east midlands framework launch" is the launch, not who in the East Midlands adopted it."""
        near = [h for h in hits[: 1 + LIMITS.max_alternatives] if h.score >= LIMITS.near_tie * hits[0].score]
        if len(near) < 2:
            return hits
        first = max(near, key=lambda h: (self.explained(weighed, h.entry), h.score))
        return [first, *(h for h in hits if h is not first)]

    def defined(self, tokens: Sequence[str]) -> Entry | None:
        """The glossary entry for the term a question asks the meaning of ("what does decommissioning mean? I
        saw it in principle 9"), if the glossary has it."""
        term = asks_what_term_means(tokens) or ends_asking_what_is(tokens)
        if term is None:
            return None
        return next(
            (d.entry for d in self.index.docs if d.entry.kind == "glossary" and stem(term) in d.title), None
        )

    # -- what the question names that no entry does -----------------------------------------------

    def unknown_acts(self, tokens: Sequence[str]) -> frozenset[str]:
        """An Act the content does not name ("the Social Value Act", "the equality act"), as the stems of its
        name's last word and "act"; "the act", "which act" and "act quickly" name none."""
        return frozenset(
            s
            for before, word in itertools.pairwise(tokens)
            if word == "act" and is_content(before) and stem(before) not in self.index.acts
            for s in (stem(before), stem(word))
        )

    def quotes_the_act_named(self, tokens: Sequence[str], entry: Entry) -> bool:
        """Whether the question names an Act ("the Children Act", "care standards act") that `entry` itself
        quotes: "what does the Children Act 2004 say about partnership", answered with section 10; not "what
        does the children act say about parental leave", whose best entry is a principle."""
        said = self.index.by_id[entry.id].said_stems
        return "act" in said and any(
            word == "act" and is_content(before) and stem(before) in self.index.acts and stem(before) in said
            for before, word in itertools.pairwise(tokens)
        )

    def unknown_names(self, text: str) -> list[str]:
        """Names of two or more words in the question (`text`, its chat markup read) that no entry mentions ("the
        Better Care Fund", "Working Together"), leaving out people's ("Cllr Jones")."""
        return [
            name
            for name in names(text)
            if len(name.split()) > 1
            and not is_a_persons(name)
            and f" {' '.join(words(fold(name)))} " not in self.index.phrases
        ]

    # -- the whole measurement --------------------------------------------------------------------

    def measure(
        self,
        text: str,
        tokens: Sequence[str],
        stems: Sequence[str],
        content: Sequence[str],
        kinds: Sequence[str] | None,
    ) -> Case | None:
        """Rank the entries and measure the question (`text`, its chat markup read; `tokens`, its words) against
        the best: everything the judge weighs."""
        index = self.index
        # what the question is about that no entry is: a name none mentions, a word of everyday office life
        name_words = frozenset(
            stem(w) for name in self.unknown_names(text) for w in words(fold(name)) if w not in W.name_joiners
        )
        outside = index.outside.intersection(stems)
        acts = self.unknown_acts(tokens)
        unknown = name_words | outside | acts
        wanted = answer_kind_asked(tokens)
        hits = self.rank(tokens, kinds, wants_kind=wanted)
        weighed = list(self.weighed(tokens, frozenset(), frozenset()))  # once, for every entry compared
        asked = self.references.asked_kind(tokens) if kinds is None else None
        if asked is not None:  # "which principle mentions decommissioning": only a principle answers
            hits = [h for h in hits if h.entry.kind == asked]
        term = (
            (
                ends_asking_what_is(tokens)
                or asks_what_a_term_covers(tokens)
                or asks_what_term_means(tokens)
                or quoted_term_asked(text, tokens)
            )
            if kinds is None
            else None
        )
        if (
            term is not None
        ):  # "…, what is contracting?", "is procurement just the buying bit?": the glossary's
            defined = [
                h for h in hits if h.entry.kind == "glossary" and stem(term) in index.by_id[h.entry.id].title
            ]
            hits = defined or hits
        only_the_kind = kinds is None and only_the_kind_asked(tokens)
        if only_the_kind:  # "writing a paper for the board tomorrow, what are the 10 principles?": a list
            hits = [h for h in hits if h.entry.kind == "collection"] or hits
        listed = whole_list_asked(tokens) if kinds is None else None
        if (
            listed is not None
        ):  # "can someone paste all 10 commissioning principles, need them for a board paper"
            hits = [h for h in hits if h.entry.kind == "collection" and h.entry.lists == listed] or hits
        # "the Health and Care Act 2022", "section 11 of the Children Act 2004": exact; only entries that say so
        for exact in exact_references(tokens):
            hits = [h for h in hits if exact in index.by_id[h.entry.id].said]
        if not hits:
            return None
        top = hits[0].entry
        with_names = list(self.weighed(tokens, frozenset(), unknown))
        if asked is not None and self.misses_the_topic(with_names, top):
            return None  # "which NOS function covers risk management": the best of them mentions none of it
        # "can you give me the full list of principles?" however much else the message says
        asks_for_a_list = top.kind == "collection" and (
            only_the_kind
            or (
                bool(W.explicit_list.intersection(tokens))
                and bool(W.plural_kinds.union(W.nos_words).intersection(tokens))
            )
        )
        # "can someone explain in plain english what 'commissioning' actually means?" however it is worded
        title = index.by_id[top.id].title
        asks_what_a_term_means = top.kind == "glossary" and (
            (bool(W.definition_words.intersection(tokens)) and bool(title.intersection(stems)))
            or (term is not None and stem(term) in title)  # "…, what is contracting?"
        )
        known = [w for _, w, is_known in with_names if is_known]
        unknowns = [w for _, w, is_known in with_names if not is_known]
        coverage = sum(known) / (sum(known) + sum(unknowns)) if known or unknowns else 0.0
        coverage_in_scope = self.coverage(tokens, leave_out=index.scope - unknown, names=unknown)
        enough = self.enough_recognised(tokens, coverage, coverage_in_scope)
        explained = self.explained(weighed, top)
        shown = self.most_about(weighed, hits)
        return Case(
            hits,
            shown,
            weighed,
            Signals(
                score=hits[0].score,
                runner_up=hits[1].score / hits[0].score if len(hits) > 1 and hits[0].score else 0.0,
                coverage=coverage,
                coverage_in_scope=coverage_in_scope,
                in_scope=index.in_scope(tokens),
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
                asks_for_one_of_a_kind=asks_for_one_of_a_kind(tokens) is not None,
                asks_for_a_list=asks_for_a_list,
                asks_what_a_term_means=asks_what_a_term_means,
                background=top.background,
                collection=top.kind == "collection",
                glossary=top.kind == "glossary",
                enough_recognised=enough,
                # the hand-set rules: a score above coincidence, and enough of the question recognised and
                # explained by the best entry, or an explicit request for a list or a definition
                rules_answer=hits[0].score >= LIMITS.min_score
                and (
                    asks_for_a_list
                    or asks_what_a_term_means
                    or (enough and explained >= LIMITS.min_explained)
                ),
                answer_kind_asked=wanted is not None,
                answer_kind_held=wanted is not None and wanted in index.by_id[shown[0].entry.id].holds,
                words=index.wording(tokens),
                names_a_known_act=self.quotes_the_act_named(tokens, top),
            ),
        )
