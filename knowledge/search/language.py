"""The search's own words and weights (language.yaml beside this module), read and checked once.

The content's topics are not here: they are the entries, their aliases and synonyms.yaml, which a team
changes freely. This is how questions about such content are put ("which principle", "p4 vs p10", "what does
X mean") and how much each kind of evidence counts.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from knowledge.text import stem

LANGUAGE_FILE = Path(__file__).resolve().parent / "language.yaml"


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AnswerKind(_Frozen):
    """One kind of answer: the phrases of a question asking for it, and the words of an entry holding it."""

    asked: tuple[str, ...] = Field(min_length=1)
    found: frozenset[str] = Field(min_length=1)


class Words(_Frozen):
    reference_kinds: dict[str, str]
    kind_nouns: dict[str, str]
    singular_kinds: frozenset[str]
    plural_kinds: frozenset[str]
    kind_words: frozenset[str]
    not_a_topic: frozenset[str]
    kind_qualifiers: frozenset[str]
    naming_a_kind: frozenset[str]
    always_known: tuple[str, ...]
    within: frozenset[str]
    within_kinds: dict[str, str]
    looking_for: frozenset[str]
    number_fillers: frozenset[str]
    last: frozenset[str]
    ordinal_filler: frozenset[str]
    which: frozenset[str]
    asking_for_one: frozenset[str]
    list_joiners: frozenset[str]
    list_words: frozenset[str]
    explicit_list: frozenset[str]
    whole_list_reach: int = Field(ge=1)
    whole_list: frozenset[str]
    counted_list: frozenset[str]
    narrowing: frozenset[str]
    lists_of: dict[str, str]
    nos_words: frozenset[str]
    on_the_list: frozenset[str]
    on_the_list_reach: int = Field(ge=0)
    definition_words: frozenset[str]
    takes_in: frozenset[str]
    what_is: frozenset[str]
    is_does: frozenset[str]
    do_does: frozenset[str]
    term_reach: int = Field(ge=1)
    hedges: frozenset[str]
    articles: frozenset[str]
    how_many: frozenset[str]
    what_it_is: tuple[str, ...]
    document_words: frozenset[str]
    section_names: dict[str, str]
    honorifics: frozenset[str]
    name_joiners: frozenset[str]
    several: frozenset[str]
    ends_asking_meaning: frozenset[str]
    comparing: frozenset[str]
    and_asks: frozenset[str]
    named_ones: frozenset[str]
    part_breaks: frozenset[str]
    back_references: frozenset[str]
    part_kinds: dict[str, str]
    kind_resets: frozenset[str]
    short_words: frozenset[str]
    answer_kinds: dict[str, AnswerKind]


FIELDS = frozenset({"alias", "alias_phrase", "keyword", "title", "text", "plain_text"})


class Weights(_Frozen):
    fields: dict[str, float]
    headline_fields: frozenset[str]
    incidental_word: float
    also_in_field: float
    alias_phrase_bonus: float
    exact_alias_bonus: float
    title_phrase_bonus: float
    pair_bonus: float
    synonym: float
    background: float
    not_a_list: float
    list_boost: float
    definition_boost: float
    lacks_answer_kind: float = Field(gt=0, le=1)
    name: float
    generic_floor: float
    common_word: float
    rarity_span: float
    least_rarity: float
    specific_zipf: float
    specific_span: float
    inflected: float
    typo_frequency: float
    typo_similarity: float = Field(ge=0, le=100)

    @field_validator("fields")
    @classmethod
    def _every_field(cls, fields: dict[str, float]) -> dict[str, float]:
        if missing := FIELDS - fields.keys():
            raise ValueError(f"a weight is needed for every field; missing: {', '.join(sorted(missing))}")
        if unknown := fields.keys() - FIELDS:
            raise ValueError(
                f"no such field: {', '.join(sorted(unknown))} (the fields: {', '.join(sorted(FIELDS))})"
            )
        return fields


class Thresholds(_Frozen):
    part_score: float = Field(ge=0)
    part_explained: float = Field(ge=0, le=1)
    part_clear: float = Field(ge=0, le=1)
    part_kind: float = Field(ge=0, le=1)
    whole_explained: float = Field(ge=0, le=1)
    max_parts: int = Field(ge=2)
    min_score: float
    min_coverage: float = Field(ge=0, le=1)
    min_coverage_in_scope: float = Field(ge=0, le=1)
    min_explained: float = Field(ge=0, le=1)
    near_tie: float = Field(ge=0, le=1)
    close_call: float = Field(ge=0, le=1)
    max_alternatives: int = Field(ge=0)


class Language(_Frozen):
    words: Words
    weights: Weights
    thresholds: Thresholds

    @cached_property
    def asking_for_one(self) -> frozenset[str]:
        """ "which principle", "is there a principle", "any nos function": words before a kind asking for one."""
        return self.words.which | self.words.asking_for_one

    @cached_property
    def ordinal_filler(self) -> frozenset[str]:
        return self.words.ordinal_filler | self.words.kind_qualifiers

    @cached_property
    def kind_stems(self) -> frozenset[str]:
        return frozenset(stem(w) for w in self.words.not_a_topic)

    @cached_property
    def kind_words(self) -> frozenset[str]:
        """The names of the kinds of entry, which the word model reads as words."""
        return frozenset(self.words.reference_kinds) | self.words.kind_words

    @cached_property
    def form_words(self) -> frozenset[str]:
        """Words that only say what form the answer takes ("list", "meaning"): never counted as a topic."""
        return self.words.list_words | self.words.definition_words

    @cached_property
    def naming_a_kind(self) -> frozenset[str]:
        return self.words.kind_qualifiers | self.words.plural_kinds | self.words.naming_a_kind


def load_language(path: Path = LANGUAGE_FILE) -> Language:
    """Read and check language.yaml; a mistake in it stops the app at start with the field named."""
    return Language.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


LANGUAGE = load_language()
