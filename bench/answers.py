"""How well and how fast the app answers questions in plain words, against a plain BM25 baseline.

    python bench/answers.py [--questions FILE] [--repeat 20] [--quiet]

For each question set (bench/question_sets.py) it prints top-1 accuracy on the answerable questions (right when
the card quotes the expected entry in full: the entry itself, or a list whose introduction quotes it) and the
share of out-of-scope questions declined, four ways:

- shipped: the app as it is, with the answerability model in knowledge/answerability.json. On a set the model
  was trained on this is an in-sample figure and flatters it.
- unseen: the honest figure. For a sealed set, the shipped model (never trained on it); for a training set, a
  model trained the same way on every other training set (leave-one-set-out).
- rules: the hand-set thresholds the model replaced, on the same search.
- BM25: rank_bm25's BM25Okapi over the same entries and fields, its decline threshold tuned on this very set
  (which flatters it).

Then the questions the shipped app still gets wrong, per-question latency (p50/p99), start-up time with the
index built, and peak resident memory.
"""

from __future__ import annotations

import argparse
import re
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.question_sets import SEALED, SETS, TRAINING, QuestionSet, load  # noqa: E402
from bench.train_answerability import figures, left_out, quoted, rows  # noqa: E402
from handlers.answers import find_answer  # noqa: E402
from knowledge.base import KnowledgeBase  # noqa: E402
from knowledge.loader import load_knowledge  # noqa: E402
from knowledge.search import RULES  # noqa: E402
from knowledge.text import STOP_WORDS  # noqa: E402


def _tokens(text: str) -> list[str]:
    return [w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in STOP_WORDS]


def bm25_baseline(kb: KnowledgeBase, questions: QuestionSet) -> tuple[float, float]:
    from rank_bm25 import BM25Okapi

    entries = kb.entries
    corpus = [_tokens(" ".join([e.title, e.text, *e.aliases, *e.keywords])) for e in entries]
    bm25 = BM25Okapi(corpus)

    def best(question: str) -> tuple[str, float]:
        scores = bm25.get_scores(_tokens(question))
        index = max(range(len(scores)), key=lambda i: scores[i])
        return entries[index].id, float(scores[index])

    answered = [(best(q), expect) for q, expect in questions.answerable]
    declined = [best(q)[1] for q in questions.decline]
    # Pick the decline threshold that does best on this very set: the most generous baseline there is.
    candidates = sorted({0.0, *(s for (_id, s), _e in answered), *declined})
    best_pair = (0.0, 0.0)
    for threshold in candidates:
        right = sum(1 for (eid, s), exp in answered if s > threshold and quoted(kb, eid) & exp)
        pair = (right / len(answered), sum(1 for s in declined if s <= threshold) / len(declined))
        if sum(pair) > sum(best_pair):
            best_pair = pair
    return best_pair


def evaluate(
    kb: KnowledgeBase, questions: QuestionSet, repeat: int
) -> tuple[float, float, list[str], list[float]]:
    """The shipped app's figures on one set, through find_answer as Slack messages reach it."""
    wrong: list[str] = []
    right = 0
    for question, expect in questions.answerable:
        answer = find_answer(kb, question)
        got = answer.best.id if answer.best else ("(help card)" if answer.empty else "(declined)")
        if quoted(kb, got) & expect:
            right += 1
        else:
            wrong.append(f"  answerable: {question!r}: expected {sorted(expect)}, got {got}")
    declined = 0
    for question in questions.decline:
        answer = find_answer(kb, question)
        if answer.best is None:
            declined += 1
        else:
            wrong.append(f"  decline:    {question!r}: answered with {answer.best.id}")
    timings: list[float] = []
    every = [q for q, _ in questions.answerable] + list(questions.decline)
    for _ in range(repeat):
        for question in every:
            t0 = time.perf_counter_ns()
            find_answer(kb, question)
            timings.append((time.perf_counter_ns() - t0) / 1e6)
    return right / len(questions.answerable), declined / len(questions.decline), wrong, timings


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--questions", type=Path, action="append", help="a question set (default: all of them)"
    )
    parser.add_argument("--repeat", type=int, default=20, help="timing passes over each set")
    parser.add_argument(
        "--quiet", action="store_true", help="do not list the questions still answered wrongly"
    )
    args = parser.parse_args()

    started = time.perf_counter()
    kb = load_knowledge()
    find_answer(kb, "warm up")  # reads the answerability model, as the app's first question does
    startup = time.perf_counter() - started

    app_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # before scikit-learn or BM25
    if args.questions:
        # a known set's file keeps its name, so that a set the model was trained on is shown as such
        names = {(ROOT / path).resolve(): name for name, path in SETS.items()}
        sets = {(n := names.get(p.resolve(), p.stem)): load(n, p) for p in args.questions}
    else:
        sets = {name: load(name) for name in SETS}
    # what leave-one-set-out trains on: every training set, read once
    by_set = {name: rows(kb, sets[name] if name in sets else load(name)) for name in TRAINING}
    print(
        f"{len(kb.entries)} entries; top-1 / declined. shipped: the app as it is (in-sample on a training set);"
    )
    print(
        "unseen: a model that never saw the set; rules: the hand thresholds; BM25: cut-off tuned on the set"
    )
    print(f"{'set':14}{'questions':>10}  {'shipped':>13}  {'unseen':>13}  {'rules':>13}  {'BM25':>13}")
    timings: list[float] = []
    wrong_by_set: dict[str, list[str]] = {}
    for name, questions in sets.items():
        top1, declined, wrong, times = evaluate(kb, questions, args.repeat)
        timings += times
        wrong_by_set[name] = wrong
        judged = by_set.get(name) or rows(kb, questions)
        if name in by_set:
            unseen = figures(kb, judged, left_out(kb, by_set, name).answers)
            label = name
        else:
            unseen = (top1, declined)
            label = f"{name}*" if name in SEALED else f"{name}?"
        rules = figures(kb, judged, RULES.answers)
        bm25 = bm25_baseline(kb, questions)
        counts = f"{len(questions.answerable)}+{len(questions.decline)}"
        cells = "  ".join(f"{a:>6.1%}/{d:>6.1%}" for a, d in ((top1, declined), unseen, rules, bm25))
        print(f"{label:14}{counts:>10}  {cells}")
    print("* sealed: never trained on, so shipped is unseen;  ? not a known set: shipped, as if unseen")
    timings.sort()
    p50 = statistics.median(timings)
    p99 = timings[int(len(timings) * 0.99) - 1]
    print(f"latency per question: p50 {p50:.3f} ms, p99 {p99:.3f} ms ({len(timings)} timed)")
    print(f"start-up with the index built and the model read: {startup * 1000:.0f} ms")
    print(f"peak resident memory with the knowledge base and model loaded: {app_rss_mb:.0f} MB")
    if not args.quiet:
        for name, wrong in wrong_by_set.items():
            print(f"still wrong in {name} ({len(wrong)}):")
            print("\n".join(wrong) if wrong else "  none")
    return 0


if __name__ == "__main__":
    sys.exit(main())
