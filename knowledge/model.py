"""The shape of the knowledge base: frozen, typed entries validated from YAML."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

EntryKind = Literal[
    "overview",
    "overarching",
    "principle",
    "resource",
    "nos",
    "nos_key_purpose",
    "nos_function",
    "standards",
    "service",
    "fact",
    "glossary",
    "collection",
]

# The kinds a collection may list, each with the label its members are shown with.
MEMBER_LABELS: dict[str, str] = {
    "principle": "Principle",
    "nos_function": "NOS function",
    "service": "Service",
}
# The same, as a noun in the middle of a sentence.
MEMBER_NOUNS: dict[str, str] = {
    "principle": "principle",
    "nos_function": "NOS function",
    "service": "service",
}


class _Frozen(BaseModel):
    model_config = ConfigDict(
        frozen=True, extra="forbid", str_strip_whitespace=True, coerce_numbers_to_str=True
    )


class Source(_Frozen):
    """Where an entry's words come from."""

    framework: str = Field(min_length=1)
    page: str = Field(min_length=1)
    url: str | None = Field(default=None, pattern=r"^https?://\S+$")


class Entry(_Frozen):
    """One answerable thing: a quoted passage, or a collection that lists other entries."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")
    kind: EntryKind
    title: str = Field(min_length=1, max_length=120)
    text: str = ""
    number: int | None = Field(default=None, ge=1, le=99)
    section: str | None = None
    note: str | None = None
    background: bool = False
    topics: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    source: Source
    # Who keeps this entry right (a person or team, as they wish to be named), and when they last checked it
    # against its source: `python -m bot check` warns when that was longer ago than REVIEW_AFTER_DAYS.
    owner: str | None = Field(default=None, min_length=1, max_length=80)
    last_reviewed: date | None = None
    # Collections only: the kind they list and the entries quoted above the list.
    lists: EntryKind | None = None
    intro: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _check_kind_fields(self) -> Entry:
        if self.kind == "collection":
            if self.lists not in MEMBER_LABELS:
                raise ValueError(f"a collection needs `lists:` set to one of {sorted(MEMBER_LABELS)}")
        else:
            if not self.text:
                raise ValueError("`text` is required (the exact words of the source)")
            if self.lists or self.intro:
                raise ValueError("`lists` and `intro` are only for entries of kind: collection")
        if self.kind in MEMBER_LABELS and self.number is None:
            raise ValueError(f"an entry of kind {self.kind} needs a `number`")
        if self.last_reviewed is not None and self.last_reviewed > date.today():
            raise ValueError(
                f"`last_reviewed` ({self.last_reviewed}) is in the future; give the date it was reviewed"
            )
        return self

    @property
    def label(self) -> str:
        """The title as people see it, with its number: 'Principle 9: Spend money wisely'."""
        prefix = MEMBER_LABELS.get(self.kind)
        if prefix and self.number is not None:
            return f"{prefix} {self.number}: {self.title}"
        return self.title


class ChecklistOption(_Frozen):
    value: str = Field(pattern=r"^[a-z0-9_]{1,32}$")
    label: str = Field(min_length=1, max_length=60)
    # A gap is an answer the summary lists as something to act on (No, Partly).
    gap: bool = False
    score: float = Field(default=0.0, ge=0.0, le=1.0)
    # Counted neither for nor against the score ("Not sure", "Not applicable").
    neutral: bool = False


class ChecklistStep(_Frozen):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")
    prompt: str = Field(min_length=1, max_length=2000)
    options: tuple[ChecklistOption, ...] = Field(min_length=1, max_length=5)
    skippable: bool = True
    ref: str | None = None  # the entry id (principle, NOS function, standard) this step comes from
    # Only for a step that chooses which service a quality check is about: it scores nothing.
    chooses: bool = False


class Checklist(_Frozen):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,31}$")
    title: str = Field(min_length=1, max_length=120)
    purpose: str = Field(min_length=1, max_length=1000)
    aliases: tuple[str, ...] = ()
    steps: tuple[ChecklistStep, ...] = Field(min_length=1, max_length=40)
    # The content owner's name for this edition ("2", "2026-12"); exports say which one a run answered.
    version: str | None = Field(default=None, min_length=1, max_length=32)

    @property
    def edition(self) -> str:
        """The version as exports show it: the owner's `version` if set, and always a fingerprint of the
        content, so two runs can be compared even when nobody bumped the version."""
        digest = hashlib.sha256(self.model_dump_json().encode()).hexdigest()[:8]
        return f"{self.version} ({digest})" if self.version else digest

    @model_validator(mode="after")
    def _check_steps(self) -> Checklist:
        ids = [s.id for s in self.steps]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"step ids must be unique; repeated: {', '.join(dupes)}")
        for step in self.steps:
            values = [o.value for o in step.options]
            if len(set(values)) != len(values):
                raise ValueError(f"step {step.id}: option values must be unique")
        return self


class KnowledgeFile(_Frozen):
    """One YAML file: a default source, its entries and any checklists."""

    source: Source | None = None
    # Defaults for every entry in the file that does not give its own.
    owner: str | None = None
    last_reviewed: date | None = None
    entries: tuple[dict[str, object], ...] = ()
    checklists: tuple[dict[str, object], ...] = ()
    # word people use -> words the content uses (search looks for both)
    synonyms: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    # words that name the whole subject ("framework"), so weigh little in search
    generic: tuple[str, ...] = ()
    # words that say a question is about the framework at all ("principle", "NOS"): see knowledge/search/index.py
    scope: tuple[str, ...] = ()
    outside: tuple[str, ...] = ()
