"""Train the model that decides whether the best entry found answers a question (knowledge/answerability.py).

    python bench/train_answerability.py            # leave-one-set-out figures, then write the model
    python bench/train_answerability.py --check    # figures only; write nothing

Learns from every question set in bench/question_sets.py except the sealed ones. Two models:

- the word model, scikit-learn's logistic regression over each question's words and pairs of words (those seen
  in at least two questions): every answerable question is a "yes", every question to decline a "no";
- the judge, scikit-learn's gradient-boosted trees over the search's measures and the word model's figure: an
  answerable question whose best entry is right is a "yes", a question to decline a "no" (an answerable
  question whose best entry is wrong teaches nothing here: declining it or not, the answer is wrong). Each
  question's word figure comes from a word model trained without its set, as a new question's will.

Both are written out as plain JSON and checked to give scikit-learn's own probabilities. Leaving a set out, its
questions are also dropped, word for word, from the sets trained on, since a few questions recur across sets.
Retrain after changing the search's signals, or when a content change moves many answers.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.question_sets import (  # noqa: E402
    LOCAL_TRAINING,
    TRAINING,
    QuestionSet,
    load,
    load_local,
    with_local_content,
)
from knowledge.answerability import (  # noqa: E402
    FEATURES,
    MODEL_FORMAT,
    MODEL_PATH,
    BoostedTrees,
    FreeQuestions,
    Signals,
    WordModel,
    word_features,
)
from knowledge.base import KnowledgeBase  # noqa: E402
from knowledge.loader import load_knowledge  # noqa: E402
from knowledge.search import RULES  # noqa: E402
from knowledge.text import searchable  # noqa: E402

TREES = 200
DEPTH = 3
RATE = 0.05
SUBSAMPLE = 0.8
# Chosen by leave-one-set-out over the training sets pooled (2026-12-05): at 0.5, top-1 94.7%, declined 95.3%,
# a card for the wrong thing 3.3%; at 0.6, 94.5% / 96.5% / 3.0%; at 0.7, 94.3% / 96.8% / 2.9%. A wrong card
# costs more than a decline with the nearest entry offered, and 0.6 buys most of the gain.
THRESHOLD = 0.6
# Learning from teams' sets taught the judge that questions about a team's panels and contracts are answered; with
# a team's folder added, it then answered the framework sets' questions to decline with the team's entries (the
# sets never trained on, run on e95aa93: declined 87.1% -> 72-79%, wrong cards 9.3% -> 13.5-15.9%). So it also
# learns from this many of the training sets' questions to decline, asked with each team's folder, where a team's
# entry is the best found (all of them, about 390 a team, outweighed the teams' own sets: Eastshire's top-1 from
# a model trained without it fell from 66.7% to 29.2%; 60: 54.2%, and twelfth with the folders declined 85.9-92.2%
# -> 93.8-96.9%).
LOCAL_DECLINES = 60
WORDS_C = 1.0  # scikit-learn's default strength of regularisation: 0.3 and 3 measured alike
WORDS_SEEN = 2  # a word or pair is weighed only if at least this many training questions have it


@dataclass(frozen=True)
class Row:
    """One judged question: its signals, the entry that would be shown, and what would be right."""

    question: str
    words: tuple[str, ...]  # the question's form as the word model reads it (Searcher.wording)
    said: tuple[str, ...]  # its words as the search reads them, typos corrected: what duplicates are found by
    signals: Signals | None  # None: an exact reference or no content words, which are not judged
    shown: str | None  # the entry shown when the judge answers; for unjudged questions, the app's answer
    expect: frozenset[str]  # empty for a question to decline


def quoted(kb: KnowledgeBase, entry_id: str) -> set[str]:
    """The entries a card for `entry_id` quotes in full: itself, and a list's introduction."""
    entry = kb.by_id.get(entry_id)
    return {entry_id, *(entry.intro if entry is not None else ())}


def rows(kb: KnowledgeBase, questions: QuestionSet) -> list[Row]:
    """Each question as the app reads it: judged, with its signals, or not (a reference, a request for help)."""
    found: list[Row] = []
    items = [*questions.answerable, *((q, frozenset[str]()) for q in questions.decline)]
    for question, expect in items:
        text = searchable(question)
        said = tuple(kb.searcher.tokens(text)) if text is not None else ()
        words = kb.searcher.wording(said)
        measured = kb.searcher.signals(text) if text is not None else None
        if measured is not None:
            found.append(Row(question, words, said, measured[0], measured[1].id, expect))
            continue
        answer = kb.searcher.answer(text) if text is not None else None
        found.append(
            Row(question, words, said, None, answer.best.id if answer and answer.best else None, expect)
        )
    return found


def training_rows(kb: KnowledgeBase) -> dict[str, list[Row]]:
    """Every training set's questions as the app reads them: the framework's sets on the shipped content `kb`,
    and each local set on the shipped content with its own folder added ("local northshire")."""
    sets = {name: load(name) for name in TRAINING}
    by_set = {name: rows(kb, questions) for name, questions in sets.items()}
    declines = [q for questions in sets.values() for q in questions.decline]
    for name in LOCAL_TRAINING:
        local_kb = with_local_content(name, judge=RULES)
        by_set[f"local {name}"] = rows(local_kb, load_local(name))
        # the framework sets' questions to decline, asked with this team's folder added, where a team's entry is
        # the best found: what no team's content answers either, as a team's folder changes the search
        local_ids = {e.id for e in local_kb.entries} - {e.id for e in kb.entries}
        asked = rows(local_kb, QuestionSet(f"{name} declines", (), tuple(declines)))
        found_local = [r for r in asked if r.signals is not None and r.shown in local_ids]
        step = max(1, len(found_local) // LOCAL_DECLINES)
        by_set[f"local {name} declines"] = found_local[::step][:LOCAL_DECLINES]
    return by_set


def worded(row: Row) -> str:
    """A question as compared across sets: its words as the models read them (case, punctuation, markup and
    typos as the search reads them), so that a question another set asks in other punctuation is the same."""
    return " ".join(row.said) or " ".join(row.question.lower().split())


def fit_words(judged: Iterable[Row]) -> WordModel:
    """The word model, trained on every question with words; checked to give scikit-learn's probabilities."""
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression

    taught = [row for row in judged if row.words]
    vectorizer = CountVectorizer(analyzer=word_features, binary=True, min_df=WORDS_SEEN)
    x = vectorizer.fit_transform([row.words for row in taught])
    y = [1 if row.expect else 0 for row in taught]
    fitted = LogisticRegression(C=WORDS_C, max_iter=5000).fit(x, y)
    weights = {
        str(term): float(weight)
        for term, weight in zip(vectorizer.get_feature_names_out(), fitted.coef_[0], strict=True)
        if weight != 0.0
    }
    model = WordModel(float(fitted.intercept_[0]), weights)
    theirs = fitted.predict_proba(x)[:, 1]
    worst = max(abs(a - model.probability(row.words)) for a, row in zip(theirs, taught, strict=True))
    if worst > 1e-9:
        raise SystemExit(f"the exported word model differs from scikit-learn's by {worst}; not written")
    return model


def wording_out_of_set(by_set: Mapping[str, list[Row]]) -> dict[tuple[str, int], float]:
    """Each question's word figure (by set and place in it) from a word model trained on the other sets, less
    any question worded as one of this set's: what the trees will see of a question nobody trained on."""
    figures: dict[tuple[str, int], float] = {}
    for name, judged in by_set.items():
        mine = {worded(row) for row in judged}
        model = fit_words(
            row
            for other, rows_ in by_set.items()
            if other != name
            for row in rows_
            if worded(row) not in mine
        )
        for index, row in enumerate(judged):
            figures[(name, index)] = model.probability(row.words)
    return figures


def training_data(
    kb: KnowledgeBase, by_set: Mapping[str, list[Row]], wording: Mapping[tuple[str, int], float]
) -> tuple[list[list[float]], list[int]]:
    x: list[list[float]] = []
    y: list[int] = []
    for name, judged in by_set.items():
        for index, row in enumerate(judged):
            if row.signals is None or row.shown is None:
                continue
            if row.expect and not quoted(kb, row.shown) & row.expect:
                continue  # wrong either way
            x.append([*row.signals.vector(), wording[(name, index)]])
            y.append(1 if row.expect else 0)
    return x, y


def train(
    kb: KnowledgeBase, by_set: Mapping[str, list[Row]], trained_on: dict[str, object] | None = None
) -> dict[str, object]:
    """Both models, trained on `by_set`, as the JSON data knowledge/answerability.py reads; `trained_on` is
    recorded in it, with how many questions the trees learned from."""
    x, y = training_data(kb, by_set, wording_out_of_set(by_set))
    words = fit_words(row for judged in by_set.values() for row in judged)
    return fit(x, y, words, {**(trained_on or {}), "answer": sum(y), "decline": len(y) - sum(y)})


def fit(
    x: list[list[float]], y: list[int], words: WordModel, trained_on: dict[str, object] | None = None
) -> dict[str, object]:
    """Train the trees on (x, y) and return them with `words` as JSON data, checked to give scikit-learn's own
    probabilities."""
    from sklearn.ensemble import GradientBoostingClassifier

    model = GradientBoostingClassifier(
        n_estimators=TREES, max_depth=DEPTH, learning_rate=RATE, subsample=SUBSAMPLE, random_state=0
    ).fit(x, y)
    data = export(model, y, trained_on or {}, words)
    exported = BoostedTrees.from_dict(data)
    theirs = model.predict_proba(x)[:, 1]
    worst = max(abs(a - exported.probability_of(row)) for a, row in zip(theirs, x, strict=True))
    if worst > 1e-9:
        raise SystemExit(f"the exported model differs from scikit-learn's by {worst}; not written")
    return data


def export(model: object, y: list[int], trained_on: dict[str, object], words: WordModel) -> dict[str, object]:
    """A fitted GradientBoostingClassifier (binary log loss) and the word model as the JSON
    knowledge/answerability.py reads."""
    prior = sum(y) / len(y)
    trees = []
    for (estimator,) in model.estimators_:  # type: ignore[attr-defined]
        tree = estimator.tree_
        trees.append(
            {
                "feature": [int(f) for f in tree.feature],
                "threshold": [float(t) for t in tree.threshold],
                "left": [int(c) for c in tree.children_left],
                "right": [int(c) for c in tree.children_right],
                "value": [float(v[0][0]) for v in tree.value],
            }
        )
    return {
        "format": MODEL_FORMAT,
        "features": list(FEATURES),
        "threshold": THRESHOLD,
        "init": math.log(prior / (1 - prior)),
        "learning_rate": float(model.learning_rate),  # type: ignore[attr-defined]
        "trees": trees,
        "words": {"intercept": words.intercept, "weights": dict(words.weights)},
        "trained_on": trained_on,
    }


def probes(model: BoostedTrees, judged: list[Row], count: int = 24) -> list[dict[str, object]]:
    """Questions spread over the training sets, with the probability the model gives each: shipped with it, so
    that a later change to the content or the search that moves its inputs is noticed (`python -m bot check`,
    the tests)."""
    measured = [r for r in judged if r.signals is not None]
    step = max(1, len(measured) // count)
    return [
        {"question": r.question, "probability": model.probability(r.signals)}
        for r in measured[::step][:count]
        if r.signals is not None
    ]


def figures(kb: KnowledgeBase, judged: list[Row], decide: object) -> tuple[float, float]:
    """(top-1 on the answerable questions, share of the others declined) when `decide(signals)` says whether
    to answer."""
    right = answerable = declined = declinable = 0
    for row in judged:
        shown = row.shown
        if row.signals is not None and not decide(row.signals):  # type: ignore[operator]
            shown = None
        if row.expect:
            answerable += 1
            right += bool(shown and quoted(kb, shown) & row.expect)
        else:
            declinable += 1
            declined += shown is None
    return right / answerable, declined / declinable


def left_out(kb: KnowledgeBase, by_set: dict[str, list[Row]], name: str) -> FreeQuestions:
    """The app's judge with models trained on every training set but `name`, less any question worded as one of
    `name`'s."""
    mine = {worded(row) for row in by_set[name]}
    others = {
        other: [row for row in judged if worded(row) not in mine]
        for other, judged in by_set.items()
        if other != name
    }
    return FreeQuestions(BoostedTrees.from_dict(train(kb, others)))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="print the figures; do not write the model")
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    args = parser.parse_args()

    kb = load_knowledge(
        judge=RULES
    )  # the judge is not consulted: each question's signals are what is learned
    by_set = training_rows(kb)
    print(f"leave-one-set-out: each set judged by a model trained on the other {len(by_set) - 1}")
    print(f"{'set':14}{'model top-1':>12}{'declined':>10}   {'rules top-1':>11}{'declined':>10}")
    table = []
    for name, judged in by_set.items():
        if name.endswith(" declines"):  # no questions to answer: in the framework sets' figures already
            continue
        model = left_out(kb, by_set, name)
        table.append((name, *figures(kb, judged, model.answers), *figures(kb, judged, RULES.answers)))
    table.append(("mean", *(sum(row[k] for row in table) / len(table) for k in range(1, 5))))
    for name, top1, declined, rule_top1, rule_declined in table:
        print(f"{name:14}{top1:>12.1%}{declined:>10.1%}   {rule_top1:>11.1%}{rule_declined:>10.1%}")
    import sklearn

    trained_on: dict[str, object] = {
        "sets": list(by_set),
        "scikit_learn": sklearn.__version__,
        "trees": TREES,
        "depth": DEPTH,
        "subsample": SUBSAMPLE,
        "words_c": WORDS_C,
        "words_seen": WORDS_SEEN,
    }
    data = train(kb, by_set, trained_on)
    # probes are measured on the shipped content, so none is a question about a local set's entries
    shipped = [r for name, judged in by_set.items() if name in TRAINING for r in judged]
    data["probes"] = probes(BoostedTrees.from_dict(data), shipped)
    if not args.check:
        args.out.write_text(json.dumps(data, separators=(",", ":")) + "\n", encoding="utf-8")
        answer, decline = data["trained_on"]["answer"], data["trained_on"]["decline"]  # type: ignore[index]
        words = len(data["words"]["weights"])  # type: ignore[index]
        print(
            f"wrote {args.out} (trees: {answer} questions to answer, {decline} to decline; {words} words and pairs)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
