"""Exact references to numbered entries: "principle 9", "the ninth principle", "p9", "NOS function 3", "NOS
f3", "the last principle", and lists of them: "principles 3 and 7", "principles 1 to 3", "p4 vs p10"."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from knowledge.model import Entry
from knowledge.search.language import LANGUAGE
from knowledge.search.questions import (
    ORDINAL,
    YEAR,
    asked_within,
    asks_for_one_of_a_kind,
    is_content,
    numbered,
)
from knowledge.text import parse_number

W = LANGUAGE.words
_P_NUMBER = re.compile(r"^p(\d{1,2})$")
_F_NUMBER = re.compile(r"^f(?:n)?(\d)$")  # "NOS f4", "nos fn2": a function, when "nos" comes just before


@dataclass(frozen=True)
class Reference:
    """An exact reference in the question: kind and number, and the entry if there is one."""

    kind: str
    number: int
    entry: Entry | None


class References:
    """Reads the references in a question against the numbered entries there are."""

    def __init__(self, entries: Iterable[Entry]) -> None:
        self._by_ref: dict[tuple[str, int], Entry] = {}
        self._last: dict[str, int] = {}
        for entry in entries:
            if entry.number is not None and entry.kind != "collection":
                self._by_ref[(entry.kind, entry.number)] = entry
                self._last[entry.kind] = max(self._last.get(entry.kind, 0), entry.number)

    def first(self, tokens: Sequence[str]) -> Reference | None:
        found = self.all(tokens)
        return found[0] if found else None

    def all(self, tokens: Sequence[str]) -> list[Reference]:
        """Every exact reference in the question, in order and each once: "principles 3 and 7", "difference
        between principle 8 and 9", "p4 vs p10", "principle 2 and NOS function 1"."""
        found: dict[tuple[str, int], Reference] = {}
        for i in range(len(tokens)):
            for kind, number in self._first_or_last(tokens, i):
                found.setdefault((kind, number), self._ref(kind, number))
            at = self._reference_at(tokens, i)
            if at is None:
                continue
            reference, after = at
            found.setdefault((reference.kind, reference.number), reference)
            if after is not None:
                for number in self._listed_on(tokens, after, reference.kind):
                    found.setdefault((reference.kind, number), self._ref(reference.kind, number))
        return list(found.values())

    def _first_or_last(self, tokens: Sequence[str], i: int) -> list[tuple[str, int]]:
        """ "the first two NOS functions", "the last three principles": that many from the start or the end."""
        kind = W.reference_kinds.get(tokens[i])
        if tokens[i] not in W.plural_kinds or kind is None or kind not in self._last:
            return []
        if i + 1 < len(tokens) and is_content(tokens[i + 1]):
            return []  # "our first two principles workshops": the kind names something else
        k = i - 1
        while k >= 0 and tokens[k] in W.kind_qualifiers:
            k -= 1
        count = parse_number(tokens[k]) if k >= 1 and not ORDINAL.match(tokens[k]) else None
        if count is None or not 1 < count <= self._last[kind] or tokens[k - 1] not in (*W.last, "first"):
            return []
        first = 1 if tokens[k - 1] == "first" else self._last[kind] - count + 1
        return [(kind, n) for n in range(first, first + count)]

    def asked_kind(self, tokens: Sequence[str]) -> str | None:
        """ "which principle ...", "is there a principle ...", "any nos function ...": the question asks for one
        entry of that kind."""
        word = asks_for_one_of_a_kind(tokens)
        return W.reference_kinds[word] if word else asked_within(tokens)

    def _listed_on(self, tokens: Sequence[str], at: int, kind: str) -> list[int]:
        """The numbers listed after the one at `at`: "principles 3 and 7", "3, 5 and 7", "8 or 9", and "1 to 3"
        as a range (up to the kind's last member; a range beyond it names only its end)."""
        numbers: list[int] = []
        last = parse_number(tokens[at]) or 0
        k = at + 1
        while k < len(tokens):
            joiner = tokens[k] if tokens[k] in W.list_joiners else None
            k += joiner is not None
            number = parse_number(tokens[k]) if k < len(tokens) else None
            if number is None or YEAR.match(tokens[k]):
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
        kind = W.reference_kinds.get(token)
        if kind is None:
            return None
        if token == "nos" and i + 1 < len(tokens) and tokens[i + 1] in ("function", "functions"):
            return None  # "nos function 3": let "function" take it
        after = [(j, t) for j, t in enumerate(tokens[i + 1 : i + 3], i + 1) if t not in W.number_fillers][:1]
        for j, candidate in after:
            number = parse_number(candidate)
            if number is not None:
                return self._ref(kind, number), j
        # "the ninth principle", "the 5th commissioning principle", "the 3rd one in the principles list":
        # the nearest ordinal shortly before; "the last principle", "the last NOS function": the highest
        before = [t for t in tokens[max(0, i - 3) : i] if t not in W.kind_qualifiers][-1:]
        if before and before[0] in W.last and token in W.singular_kinds and kind in self._last:
            return self._ref(kind, self._last[kind]), None
        # an ordinal before the kind, with only filler between: "the 3rd one in the principles list", but
        # not "a second question about the principle" or "our first two principles workshops"
        start = _of_the(tokens, i)
        if start is not None and start >= 0 and tokens[start] in W.last and kind in self._last:
            return self._ref(kind, self._last[kind]), None  # "the last of the ten principles"
        # or "no. 5 of the 10 principles", "number 5 principle" (but not "there are no 10 principles")
        is_numbered = start is not None or token in W.singular_kinds
        start = i - 1 if start is None else start
        for j in range(start, max(-1, start - 4), -1):
            if ORDINAL.match(tokens[j]) or (is_numbered and numbered(tokens, j)):
                number = parse_number(tokens[j])
                if number is not None:
                    return self._ref(kind, number), None
            if tokens[j] not in LANGUAGE.ordinal_filler:
                break
        return None

    def _ref(self, kind: str, number: int) -> Reference:
        return Reference(kind, number, self._by_ref.get((kind, number)))


def _of_the(tokens: Sequence[str], i: int) -> int | None:
    """Where the word before "of the [four] [nos] functions" is, if the kind at `i` is plural and so
    preceded: "the first of the four NOS functions", "the last of the principles"."""
    if tokens[i] not in W.plural_kinds:
        return None
    k = i - 1
    while k >= 0 and tokens[k] in W.kind_qualifiers:
        k -= 1
    if k >= 0 and parse_number(tokens[k]) is not None and not ORDINAL.match(tokens[k]):
        k -= 1  # "the ten principles"
    return k - 2 if k >= 1 and tokens[k - 1 : k + 1] == ["of", "the"] else None
