"""Train the model that decides whether the best entry found answers a question (knowledge/answerability.py).

    python bench/train_answerability.py            # leave-one-set-out figures, then write the model
    python bench/train_answerability.py --check    # figures only; write nothing

Learns from every question set in bench/question_sets.py except the sealed ones: an answerable question whose
best entry is right is a "yes", a question that should be declined a "no" (an answerable question whose best
entry is wrong teaches nothing here: declining it or not, the answer is wrong). The model is scikit-learn's
gradient-boosted trees, written out as plain JSON and checked to give scikit-learn's own probabilities.
Retrain after changing the search's signals, or when a content change moves many answers.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.question_sets import TRAINING, QuestionSet, load  # noqa: E402
from knowledge.answerability import (  # noqa: E402
    FEATURES,
    MODEL_FORMAT,
    MODEL_PATH,
    BoostedTrees,
    FreeQuestions,
    Signals,
)
from knowledge.base import KnowledgeBase  # noqa: E402
from knowledge.loader import load_knowledge  # noqa: E402
from knowledge.search import RULES  # noqa: E402
from knowledge.text import searchable  # noqa: E402

TREES = 200
DEPTH = 3
RATE = 0.05
SUBSAMPLE = 0.8
THRESHOLD = 0.5


@dataclass(frozen=True)
class Row:
    """One judged question: its signals, the entry that would be shown, and what would be right."""

    question: str
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
        measured = kb.searcher.signals(text) if text is not None else None
        if measured is not None:
            found.append(Row(question, measured[0], measured[1].id, expect))
            continue
        answer = kb.searcher.answer(text) if text is not None else None
        found.append(Row(question, None, answer.best.id if answer and answer.best else None, expect))
    return found


def training_data(kb: KnowledgeBase, judged: Iterable[Row]) -> tuple[list[list[float]], list[int]]:
    x: list[list[float]] = []
    y: list[int] = []
    for row in judged:
        if row.signals is None or row.shown is None:
            continue
        if row.expect and not quoted(kb, row.shown) & row.expect:
            continue  # wrong either way
        x.append(list(row.signals.vector()))
        y.append(1 if row.expect else 0)
    return x, y


def fit(x: list[list[float]], y: list[int], trained_on: dict[str, object] | None = None) -> dict[str, object]:
    """Train on (x, y) and return the model as JSON data, checked to give scikit-learn's own probabilities."""
    from sklearn.ensemble import GradientBoostingClassifier

    model = GradientBoostingClassifier(
        n_estimators=TREES, max_depth=DEPTH, learning_rate=RATE, subsample=SUBSAMPLE, random_state=0
    ).fit(x, y)
    data = export(model, y, trained_on or {})
    exported = BoostedTrees.from_dict(data)
    theirs = model.predict_proba(x)[:, 1]
    worst = max(abs(a - exported.probability_of(row)) for a, row in zip(theirs, x, strict=True))
    if worst > 1e-9:
        raise SystemExit(f"the exported model differs from scikit-learn's by {worst}; not written")
    return data


def export(model: object, y: list[int], trained_on: dict[str, object]) -> dict[str, object]:
    """A fitted GradientBoostingClassifier (binary log loss) as the JSON knowledge/answerability.py reads."""
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
    """The app's judge with a model trained on every training set but `name`."""
    others = (
        row for other, judged in by_set.items() if other != name and other in TRAINING for row in judged
    )
    return FreeQuestions(BoostedTrees.from_dict(fit(*training_data(kb, others))))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="print the figures; do not write the model")
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    args = parser.parse_args()

    kb = load_knowledge()
    by_set = {name: rows(kb, load(name)) for name in TRAINING}
    print(f"leave-one-set-out: each set judged by a model trained on the other {len(TRAINING) - 1}")
    print(f"{'set':14}{'model top-1':>12}{'declined':>10}   {'rules top-1':>11}{'declined':>10}")
    for name, judged in by_set.items():
        model = left_out(kb, by_set, name)
        top1, declined = figures(kb, judged, model.answers)
        rule_top1, rule_declined = figures(kb, judged, RULES.answers)
        print(f"{name:14}{top1:>12.1%}{declined:>10.1%}   {rule_top1:>11.1%}{rule_declined:>10.1%}")
    x, y = training_data(kb, (row for judged in by_set.values() for row in judged))
    import sklearn

    trained_on = {
        "sets": list(TRAINING),
        "answer": sum(y),
        "decline": len(y) - sum(y),
        "scikit_learn": sklearn.__version__,
        "trees": TREES,
        "depth": DEPTH,
        "subsample": SUBSAMPLE,
    }
    data = fit(x, y, trained_on)
    data["probes"] = probes(BoostedTrees.from_dict(data), [r for j in by_set.values() for r in j])
    if not args.check:
        args.out.write_text(json.dumps(data, separators=(",", ":")) + "\n", encoding="utf-8")
        print(f"wrote {args.out} ({len(y)} questions: {sum(y)} to answer, {len(y) - sum(y)} to decline)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
