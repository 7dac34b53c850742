"""Whether the best entry found for a question answers it: a small learned model over what the search measured.

The search ranks entries; this decides whether the best of them is an answer or a coincidence of words. Hand-set
thresholds (share of the question recognised, share the best entry explains, ...) each see one signal; the model
weighs them all together, with one more: how much the question's form reads like the questions the content
answers, from a word model (logistic regression over its words and pairs of words, with every word the content
knows masked as <k>: "which principle <k>", "when did" one way; "my", "next", "anyone know", "payslip" the
other; see Searcher.wording), and whether the best entry holds the kind of answer asked for (a time for
"when ...", an amount for "how much ...", a person or body for "who ..."). The word model never sees which
topics the content has, so a team's own entries need no retraining. Besides the framework's sets it learns from
three teams' sets of questions about their own content (how questions about a team's panels, contracts and
forums are put), and is measured on entries held out of its training, on each team's set by a model trained
without it, and on a fourth team's folder it never saw (bench/answers.py).

Both are trained by `bench/train_answerability.py` on the labelled question sets in `bench/` (scikit-learn): the
trees on the word model's figure for each question as a model that never saw the question's set gives it, as
it will be for a new question. They are stored as plain JSON (`answerability.json`), which this module
evaluates in a few lines of pure Python: no ML library is loaded at run time, and no pickle is ever read.
"""

from __future__ import annotations

import json
import math
from array import array
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

MODEL_PATH = Path(__file__).resolve().parent / "answerability.json"
MODEL_FORMAT = 2  # 2: with the word model
# A declined question the model gave at least this chance of being answered gets its best entry offered as
# "the nearest the framework comes". Leaving each question set out in turn (11 sets, with the word model), this
# offered the right entry for 6 of the 13 answerable questions declined with the right entry found, and offered
# something for 7 of 595 questions that should be declined.
OFFER_FLOOR = 0.15


@dataclass(frozen=True)
class Signals:
    """What the search measured of a question and its best entry, before deciding whether to answer."""

    score: float  # the best entry's ranking score
    runner_up: float  # the second entry's score as a share of the best's
    coverage: float  # share of the question's weight the base recognises
    coverage_in_scope: float  # the same, leaving out the words that name the framework
    in_scope: bool  # the question names the framework ("principle", "NOS", ...)
    explained: float  # share of the recognised words the best entry itself is about
    known_weight: float
    unknown_weight: float
    heaviest_unknown: float  # the weightiest word the base does not know
    heaviest_known: float
    weighty_unknowns: int  # unknown words weighing more than WEIGHTY
    content_words: int
    outside_words: int  # words of everyday office life (synonyms.yaml's `outside`)
    unknown_name_words: int  # words of names no entry mentions ("Better Care Fund")
    unknown_act: bool  # an Act the content does not name
    # "which principle ...", "is there a principle about ...": one of a kind it names
    asks_for_one_of_a_kind: bool
    asks_for_a_list: bool
    asks_what_a_term_means: bool
    background: bool  # the best entry is background, not the framework pages
    collection: bool  # ... a whole list
    glossary: bool  # ... a definition
    enough_recognised: bool  # the hand rule on coverage (with its in-scope allowance)
    rules_answer: bool  # what the hand rules alone decide: the model learns where they are wrong
    # "when ...", "how much ...", "who ...": the question asks for a time, an amount or a person or body ...
    answer_kind_asked: bool = False
    # ... and the best entry's text holds one ("until August 2028", "£14 million", "the Youth Justice Board")
    answer_kind_held: bool = False
    # not inputs of the trees:
    words: tuple[str, ...] = ()  # the question's words as the search read them: the word model's input
    # "what does the Children Act 2004 say about...": an Act the best entry itself quotes
    names_a_known_act: bool = False

    def vector(self) -> tuple[float, ...]:
        """The search's measures as the trees' inputs, in FEATURES order (the word model's figure follows)."""
        return (
            math.log(self.score + 1e-3),
            self.runner_up,
            self.coverage,
            self.coverage_in_scope,
            float(self.in_scope),
            self.explained,
            math.log1p(self.known_weight),
            math.log1p(self.unknown_weight),
            self.heaviest_unknown,
            self.heaviest_known,
            float(self.weighty_unknowns),
            math.log(max(1, self.content_words)),
            float(self.outside_words),
            float(self.unknown_name_words),
            float(self.unknown_act),
            float(self.asks_for_one_of_a_kind),
            float(self.asks_for_a_list),
            float(self.asks_what_a_term_means),
            float(self.background),
            float(self.collection),
            float(self.glossary),
            float(self.enough_recognised),
            float(self.rules_answer),
            float(self.answer_kind_asked),
            float(self.answer_kind_held),
        )


# The trees' inputs: Signals.vector(), one per measure in field order, then the word model's figure
_NOT_INPUTS = frozenset({"words", "names_a_known_act"})
FEATURES: tuple[str, ...] = (*(f.name for f in fields(Signals) if f.name not in _NOT_INPUTS), "wording")
WEIGHTY = 2.0


def word_features(words: Sequence[str]) -> list[str]:
    """What the word model weighs: the question's words and pairs of adjacent words, each once, in a fixed
    order (so the sum of their weights is the same in every process)."""
    return sorted({*words, *(f"{a} {b}" for a, b in pairwise(words))})


def logistic(raw: float) -> float:
    """1 / (1 + e^-raw), without overflow either way."""
    if raw >= 0:
        return 1.0 / (1.0 + math.exp(-raw))
    odds = math.exp(raw)
    return odds / (1.0 + odds)


class _Words(BaseModel):
    """The word model in the file: P = logistic(intercept + the weights of the question's word_features)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    intercept: float
    weights: dict[str, float] = Field(min_length=1)


@dataclass(frozen=True)
class WordModel:
    """How much a question's wording reads like one the framework answers, as a probability."""

    intercept: float
    weights: Mapping[str, float]

    def probability(self, words: Sequence[str]) -> float:
        weights = self.weights
        return logistic(self.intercept + sum(weights.get(f, 0.0) for f in word_features(words)))


@dataclass(frozen=True)
class Verdict:
    answers: bool  # the best entry found answers the question
    # declined, but close enough that the best entry is worth offering, labelled as the nearest the framework
    # comes rather than as an answer
    near_miss: bool = False


class Judge(Protocol):
    def verdict(self, signals: Signals) -> Verdict:
        """Whether the best entry found answers the question, and if not, whether it came close: one
        evaluation of the model for both."""
        ...


class _Tree(BaseModel):
    """One regression tree as parallel arrays: node i splits on feature[i] <= threshold[i] (left) or not
    (right); a leaf has left == right == -1 and contributes value[i]."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    feature: list[int]
    threshold: list[float]
    left: list[int]
    right: list[int]
    value: list[float]

    @model_validator(mode="after")
    def _well_formed(self) -> _Tree:
        n = len(self.value)
        if not n or any(len(a) != n for a in (self.feature, self.threshold, self.left, self.right)):
            raise ValueError("feature, threshold, left, right and value must be arrays of one length")
        for node in range(n):
            left, right = self.left[node], self.right[node]
            if (left == -1) != (right == -1):
                raise ValueError(f"node {node} has one child; a node has two or none")
            if left != -1 and not (node < left < n and node < right < n):
                raise ValueError(f"node {node} points outside the tree or backwards")
        return self


class Probe(BaseModel):
    """A training question and the probability the model gave it then: if the search, the content or the
    model's inputs have changed since, today's probability differs."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    question: str
    probability: float = Field(ge=0.0, le=1.0)


class _ModelFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    format: int
    features: list[str]
    threshold: float = Field(gt=0.0, lt=1.0)
    init: float
    learning_rate: float = Field(gt=0.0)
    trees: list[_Tree] = Field(min_length=1)
    words: _Words
    probes: list[Probe] = Field(default_factory=list)
    trained_on: dict[str, object] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _matches_this_code(self) -> _ModelFile:
        if self.format != MODEL_FORMAT:
            raise ValueError(f"format is {self.format}; this code reads format {MODEL_FORMAT}")
        if tuple(self.features) != FEATURES:
            raise ValueError(
                "features do not match knowledge.answerability.Signals; retrain with bench/train_answerability.py"
            )
        width = len(self.features)
        for index, tree in enumerate(self.trees):
            if any(f >= width or (f < 0 and tree.left[n] != -1) for n, f in enumerate(tree.feature)):
                raise ValueError(f"tree {index} splits on a feature that does not exist")
        return self


class ModelError(Exception):
    """The model file is missing or malformed; the message says which and what to do."""


@dataclass(frozen=True)
class BoostedTrees:
    """Gradient-boosted trees for binary log loss: P(answer) = sigmoid(init + rate * sum of the trees' leaves)."""

    trees: tuple[_Tree, ...]
    init: float
    learning_rate: float
    threshold: float
    trained_on: dict[str, object]
    words: WordModel
    probes: tuple[Probe, ...] = ()

    @classmethod
    def from_dict(cls, data: object) -> BoostedTrees:
        try:
            model = _ModelFile.model_validate(data)
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            where = ".".join(str(p) for p in first["loc"]) or "(file)"
            raise ModelError(f"{where}: {first['msg'].removeprefix('Value error, ')}") from None
        return cls(
            tuple(model.trees),
            model.init,
            model.learning_rate,
            model.threshold,
            model.trained_on,
            WordModel(model.words.intercept, model.words.weights),
            tuple(model.probes),
        )

    def inputs(self, signals: Signals) -> tuple[float, ...]:
        """The trees' inputs for `signals`, in FEATURES order."""
        return (*signals.vector(), self.words.probability(signals.words))

    def probability(self, signals: Signals) -> float:
        return self.probability_of(self.inputs(signals))

    def probability_of(self, x: Sequence[float]) -> float:
        """P(answer) for the trees' inputs `x` (`inputs(signals)`)."""
        x = array("f", x)  # scikit-learn's trees compare inputs as 32-bit floats; so, exactly, do these
        raw = self.init
        for tree in self.trees:
            node = 0
            left, right, feature, threshold = tree.left, tree.right, tree.feature, tree.threshold
            while left[node] != -1:
                node = left[node] if x[feature[node]] <= threshold[node] else right[node]
            raw += self.learning_rate * tree.value[node]
        return logistic(raw)

    def verdict(self, signals: Signals) -> Verdict:
        chance = self.probability(signals)
        return Verdict(chance >= self.threshold, OFFER_FLOOR <= chance < self.threshold)

    def answers(self, signals: Signals) -> bool:
        return self.verdict(signals).answers

    def near_miss(self, signals: Signals) -> bool:
        return self.verdict(signals).near_miss


def load_model(path: Path = MODEL_PATH) -> BoostedTrees:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"{path}: not found; run bench/train_answerability.py to make it") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"{path}: cannot be read ({exc})") from None
    try:
        return BoostedTrees.from_dict(data)
    except ModelError as exc:
        raise ModelError(f"{path}: {exc}") from None


@dataclass(frozen=True)
class FreeQuestions:
    """The judge of a question in plain words. One that asks by name for one of a kind ("which principle is
    about...", "is there a principle on..."), for a whole list ("list the functions"), for what a term the
    glossary defines means ("…, what is contracting?") or about an Act the best entry quotes ("what does the
    Children Act 2004 say about partnership") is in scope by its own words: it
    is answered when the hand rules would answer it, as only which entry is in doubt. `model` judges the rest
    (its word model has learned that "what does the ... say about" is how people ask about what the framework
    does not cover, which is true only of what it does not name)."""

    model: Judge

    def verdict(self, signals: Signals) -> Verdict:
        asks_by_name = (
            signals.asks_for_one_of_a_kind
            or signals.asks_for_a_list
            or signals.asks_what_a_term_means
            or signals.names_a_known_act
        )
        return Verdict(True) if asks_by_name and signals.rules_answer else self.model.verdict(signals)

    def answers(self, signals: Signals) -> bool:
        return self.verdict(signals).answers


@cache
def shipped_judge() -> FreeQuestions:
    """The judge of free questions with the model shipped beside this module, read once per process."""
    return FreeQuestions(shipped_model())


def changed_probes(model: BoostedTrees, measure: Callable[[str], Signals | None]) -> list[str]:
    """The probes whose probability today (`measure` gives a question's signals) is not what it was when the
    model was trained: the content, the search or the model's inputs have changed, and it needs retraining."""
    changed = []
    for probe in model.probes:
        signals = measure(probe.question)
        now = model.probability(signals) if signals is not None else None
        if now is None or abs(now - probe.probability) > 1e-9:
            shown = "not judged" if now is None else f"{now:.3f}"
            changed.append(f"{probe.question!r}: {probe.probability:.3f} when trained, {shown} now")
    return changed


@cache
def shipped_model() -> BoostedTrees:
    """The model shipped beside this module, read once per process."""
    return load_model()


def describe_model() -> str:
    """One line on the shipped model, for `python -m bot check`."""
    model = shipped_model()
    trained = model.trained_on
    sets = trained.get("sets")
    learned = f"{trained.get('answer', '?')} questions to answer and {trained.get('decline', '?')} to decline"
    where = f" from {len(sets)} question sets" if isinstance(sets, list) else ""
    return (
        f"{len(model.trees)} trees and {len(model.words.weights)} weighted words and pairs, threshold "
        f"{model.threshold}, trained on {learned}{where}"
    )
