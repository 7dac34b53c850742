"""How a question is put, read from its words alone (no content needed): which words carry meaning, whether
it asks for a list, a definition or one of a kind, which names and numbered parts of documents it mentions,
and how much an unknown word weighs."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from knowledge.search.language import LANGUAGE
from knowledge.text import STOP_WORDS, english_frequency, fold, number_words, parse_number, stem, words

W = LANGUAGE.words
ORDINAL = re.compile(
    r"^(?:\d{1,3}(?:st|nd|rd|th)|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth)$"
)
YEAR = re.compile(r"^(?:19|20)\d\d$")
NUMBER_STEMS = frozenset(stem(w) for w in number_words())
_WHAT_ARE_THE = re.compile(r"(?:^| )(?:what|which) are the ")
# "section 11", "s.17", "regulation 5", "schedule 2": a numbered part of a document is as exact as a year
_SECTION = re.compile(
    r"\b(section|sect|sec|s|part|schedule|regulation|reg|paragraph|para|clause|article)\s*\.?\s*(\d+[a-z]?)\b"
)
SENTENCES = re.compile(r"[.?!:;()\n\"]+|\s[-\u2013\u2014]\s")
_NAME_WORD = re.compile(r"[A-Za-z][A-Za-z'\u2019]*|\d+")


def is_content(token: str) -> bool:
    """Whether a word carries meaning: not a stop word or a number; short words only if listed, or codes
    such as "a9"."""
    if token in STOP_WORDS or token.isdigit() or ORDINAL.match(token):
        return False
    return len(token) > 2 or token in W.short_words or (len(token) == 2 and any(c.isdigit() for c in token))


def content_stems(tokens: Iterable[str]) -> list[str]:
    return [stem(t) for t in tokens if is_content(t)]


def asked_about(
    tokens: Sequence[str],
    kinds: frozenset[str],
    asking: frozenset[str] = W.which,
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


def asks_for_one_of_a_kind(tokens: Sequence[str]) -> str | None:
    """ "which principle ...", "is there a principle ...", "any nos function ...": the kind's word, if any."""
    return asked_about(tokens, W.singular_kinds, LANGUAGE.asking_for_one, W.kind_qualifiers)


def asked_within(tokens: Sequence[str]) -> str | None:
    """ "anything about decommissioning in the principles", "across the ten principles": the kind looked in, when
    the question names a topic to look for ("what is in the principles" names none: the list answers it)."""
    named = W.kind_qualifiers | LANGUAGE.kind_words | frozenset(W.within_kinds)
    if not W.looking_for.intersection(tokens) or not any(is_content(t) and t not in named for t in tokens):
        return None
    for i, token in enumerate(tokens):
        if token not in W.within_kinds:
            continue
        k = i - 1
        while k >= 0 and (
            tokens[k] in W.kind_qualifiers or tokens[k] in W.articles or parse_number(tokens[k])
        ):
            k -= 1
        if k >= 0 and tokens[k] in W.within:
            return W.within_kinds[token]
    return None


def numbered(tokens: Sequence[str], j: int) -> bool:
    """Whether the number at `j` is "no. 5" or "number five", as in "what's no. 5 of the 10 principles" or
    "number 5 principle": "number" before a number, or "no" before digits (not "no one principle covers it")."""
    if j < 1 or parse_number(tokens[j]) is None:
        return False
    filler = tokens[j - 1]
    return filler in W.number_fillers and (filler == "number" or tokens[j].isdigit())


def what_are_the(tokens: Sequence[str]) -> bool:
    """ "what are the regional commissioning principles?", "…, which are the 4 functions": the kind itself,
    ending the question, is what is asked for."""
    return (
        bool(tokens) and tokens[-1] in W.plural_kinds and _WHAT_ARE_THE.search(" ".join(tokens)) is not None
    )


def only_the_kind_asked(tokens: Sequence[str]) -> bool:
    """ "…, what are the 10 principles?", "which are the four NOS functions": nothing but the kind (and how
    many, and its qualifiers) after "what are the", so the whole list is asked for, whatever came before."""
    if not what_are_the(tokens):
        return False
    text = " ".join(tokens)
    after = text[list(_WHAT_ARE_THE.finditer(text))[-1].end() :].split()
    return all(word in LANGUAGE.naming_a_kind or parse_number(word) is not None for word in after)


def whole_list_asked(tokens: Sequence[str]) -> str | None:
    """The kind whose whole list is asked for: "can someone paste all 10 commissioning principles" (principle),
    "list of the NOS functions" (nos_function), "full list of national minimum standards" (service); not "can
    all the principles be adapted" ("all" without a count is a quantifier), "list the principles that mention
    providers" (a narrower list), or "are fostering services on the list of standards" (one of its members)."""
    for i, token in enumerate(tokens):
        if token not in W.lists_of or (i + 1 < len(tokens) and tokens[i + 1] in W.narrowing):
            continue
        for j in range(max(0, i - W.whole_list_reach), i):
            word = tokens[j]
            counted = word in W.whole_list or (
                word in W.counted_list and any(parse_number(t) for t in tokens[j + 1 : j + 3])
            )
            if counted and not W.on_the_list.intersection(tokens[max(0, j - W.on_the_list_reach) : j]):
                return "nos_function" if W.nos_words.intersection(tokens[j:i]) else W.lists_of[token]
    return None


def exact_references(tokens: Sequence[str]) -> list[str]:
    """What an entry must say, as words between spaces, to answer a question that names a part of a
    document: a year within two words of "act", "regulations", "standards"... (" 2004 "), or a numbered
    section (" section 11 ")."""
    years = [
        f" {t} "
        for i, t in enumerate(tokens)
        if YEAR.match(t) and W.document_words.intersection(tokens[max(0, i - 2) : i + 3])
    ]
    sections = [f" {W.section_names.get(w, w)} {n} " for w, n in _SECTION.findall(" ".join(tokens))]
    return years + sections


def names(text: str) -> list[str]:
    """Capitalised words, and runs of them, that do not start a sentence: "Better Care Fund", "Sarah"."""
    found: list[str] = []
    for sentence in SENTENCES.split(text):
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
            elif run and word in W.name_joiners and joiner is None:
                joiner = word
            else:
                if run:
                    found.append(" ".join(run))
                run, joiner = [], None
        if run:
            found.append(" ".join(run))
    return found


def is_a_persons(name: str) -> bool:
    """ "Cllr Jones", "Dr Patel": a name that says who, not what."""
    return name.split()[0].lower().rstrip(".") in W.honorifics


def asks_what_is(tokens: Sequence[str], stems: Sequence[str]) -> bool:
    """'what is commissioning', "what's procurement": a one-word question after "what is"; or a message
    ending in one ("I'm new - what is commissioning?")."""
    if len(stems) == 1 and any(t in W.what_is for t in tokens[:2]):
        return True
    return ends_asking_what_is(tokens) is not None


def asks_what_a_term_covers(tokens: Sequence[str]) -> str | None:
    """The term in "is <term> just…", "does <term> include…", "is <term> part of / the same as…"."""
    for i in range(len(tokens) - 2):
        if tokens[i] in W.is_does and W.takes_in.intersection(tokens[i + 2 : i + 5]):
            return tokens[i + 1] if is_content(tokens[i + 1]) else None
    return None


def asks_what_term_means(tokens: Sequence[str]) -> str | None:
    """The term in "what does 'commissioning' (actually) mean?", "what do they mean by procurement", wherever it
    is in the message ("honest q from our new PA: what does commissioning actually mean? a one-liner pls")."""
    for i, token in enumerate(tokens[:-2]):
        if token not in W.what_is or tokens[i + 1] not in W.do_does:
            continue
        for j in range(i + 2, min(len(tokens), i + 2 + W.term_reach)):
            if tokens[j] in W.ends_asking_meaning:
                after = [t for t in tokens[j + 1 : j + 3] if t == "by" or is_content(t)]
                between = tokens[i + 2 : j] if not after or after[0] != "by" else tokens[j + 2 : j + 3]
                term = [t for t in between if is_content(t) and t not in W.hedges]
                return term[0] if len(term) == 1 else None
    return None


def ends_asking_what_is(tokens: Sequence[str]) -> str | None:
    """The term in a message that ends "…, what is commissioning?" or "…, whats procurement", if it does."""
    ending = [t for t in tokens[-4:] if t not in W.articles]
    asks = len(ending) >= 2 and (ending[-3:-1] == ["what", "is"] or ending[-2] == "whats")
    return ending[-1] if asks and is_content(ending[-1]) else None


def specificity(forms: Iterable[str]) -> float:
    """How much a word the base knows says about the topic: its rarest form's rarity in English."""
    frequency = min(english_frequency(f) for f in forms)
    weights = LANGUAGE.weights
    return min(1.0, max(weights.generic_floor, (weights.specific_zipf - frequency) / weights.specific_span))


def rarity(word: str) -> float:
    """least_rarity (0.15) for the commonest English words, rising to 1 for rare ones and words English does not know.
    Verb and adverb forms ("treating", "changed") say less about a topic than nouns ("laptop")."""
    weights = LANGUAGE.weights
    value = min(
        1.0, max(weights.least_rarity, (weights.common_word - english_frequency(word)) / weights.rarity_span)
    )
    return value * weights.inflected if word.endswith(("ing", "ed", "ly")) else value


_ASKED_KINDS = tuple(
    (kind, tuple(tuple(phrase.split()) for phrase in spec.asked)) for kind, spec in W.answer_kinds.items()
)


def answer_kind_asked(tokens: Sequence[str]) -> str | None:
    """The kind of answer the question asks for (language.yaml's `answer_kinds`: "when ..." a time, "how much ..."
    an amount, "who ..." a person or body), by the first of their phrases the question says; None if it says none.
    """
    for i in range(len(tokens)):
        for kind, phrases in _ASKED_KINDS:
            if any(tuple(tokens[i : i + len(p)]) == p for p in phrases):
                return kind
    return None


def answer_kinds_held(said: Sequence[str], raw: str) -> frozenset[str]:
    """The kinds of answer a text (`said`: its words; `raw`: as written) holds: a time if it names one (a year, a
    month, "weeks", "quarterly"), an amount if it has a figure other than a year ("£14", "25", "six", "%"), a
    person or body if it names one ("team", "board", "director")."""
    held = {kind for kind, spec in W.answer_kinds.items() if not spec.found.isdisjoint(said)}
    if any(YEAR.match(w) for w in said):
        held.add("time")
    if "%" in raw or any((any(c.isdigit() for c in w) and not YEAR.match(w)) or w in _FIGURES for w in said):
        held.add("amount")
    return frozenset(held & W.answer_kinds.keys())


_FIGURES = frozenset(w for w in number_words() if not ORDINAL.match(w)) - {"one"}


_QUOTED = re.compile(r"[\"\u201c\u2018']([^\"\u201d\u2019']{3,40})[\"\u201d\u2019']")
_ASKS_WHAT_IT_IS = tuple(tuple(phrase.split()) for phrase in W.what_it_is)


def quoted_term_asked(text: str, tokens: Sequence[str]) -> str | None:
    """The quoted word in "officers keep saying 'commissioning'. In plain English, what is it?": a message that
    quotes one word and asks what it is or means (language.yaml's `what_it_is`)."""
    asks = any(
        tuple(tokens[i : i + len(phrase)]) == phrase
        for phrase in _ASKS_WHAT_IT_IS
        for i in range(len(tokens))
    )
    if not asks:
        return None
    quoted = [words(fold(q)) for q in _QUOTED.findall(text)]
    terms = [q[0] for q in quoted if len(q) == 1 and is_content(q[0])]
    return terms[0] if len(terms) == 1 else None
