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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.question_sets import (  # noqa: E402
    LOCAL_SEALED,
    LOCAL_SETS,
    LOCAL_TRAINING,
    SEALED,
    SETS,
    TRAINING,
    UNTRAINED,
    QuestionSet,
    load,
    load_local,
    with_local_content,
)
from bench.train_answerability import (  # noqa: E402
    Row,
    figures,
    left_out,
    quoted,
    rows,
    train,
    training_rows,
)
from handlers.answers import find_answer  # noqa: E402
from knowledge.answerability import BoostedTrees, FreeQuestions, shipped_model  # noqa: E402
from knowledge.base import KnowledgeBase  # noqa: E402
from knowledge.loader import load_knowledge  # noqa: E402
from knowledge.search import RULES, Answer  # noqa: E402
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


@dataclass
class Result:
    """The shipped app's figures on one set."""

    top1: float
    declined: float
    confident_wrong: int  # a card for the wrong entry, or a card for a question to decline
    questions: int
    wrong: list[str]
    timings: list[float]
    # a question about one entry shown several found by topic ("padding"): the card shows more than was asked
    padded: int = 0
    answerable: int = 0  # how many questions top1 and declined are shares of
    declinable: int = 0


def shown(kb: KnowledgeBase, answer: Answer) -> set[str]:
    """The entries whose words a reply shows in full: the card's entries and a list's introduction."""
    return {i for e in (answer.best, *answer.also) if e is not None for i in quoted(kb, e.id)}


def evaluate(kb: KnowledgeBase, questions: QuestionSet, repeat: int) -> Result:
    """The shipped app's figures on one set, through find_answer as Slack messages reach it. A question about
    several entries (`all: true`) is right only when every one is shown."""
    wrong: list[str] = []
    right = confident_wrong = padded = 0
    for question, expect in questions.answerable:
        answer = find_answer(kb, question)
        ids = shown(kb, answer)
        padded += bool(answer.also) and answer.reference is None and question not in questions.every_part
        got = ",".join(e.id for e in (answer.best, *answer.also) if e is not None) or (
            "(help card)" if answer.empty else "(declined)"
        )
        if expect <= ids if question in questions.every_part else bool(expect & ids):
            right += 1
            continue
        confident_wrong += bool(ids) and not expect & ids
        offered = (
            f" (did you mean: {', '.join(e.id for e in answer.alternatives)})" if answer.alternatives else ""
        )
        wrong.append(f"  answerable: {question!r}: expected {sorted(expect)}, got {got}{offered}")
    declined = 0
    for question in questions.decline:
        answer = find_answer(kb, question)
        if answer.best is None:
            declined += 1
        else:
            confident_wrong += 1
            wrong.append(f"  decline:    {question!r}: answered with {answer.best.id}")
    timings: list[float] = []
    every = [q for q, _ in questions.answerable] + list(questions.decline)
    for _ in range(repeat):
        for question in every:
            t0 = time.perf_counter_ns()
            find_answer(kb, question)
            timings.append((time.perf_counter_ns() - t0) / 1e6)
    return Result(
        right / len(questions.answerable),
        declined / len(questions.decline),
        confident_wrong,
        len(every),
        wrong,
        timings,
        padded,
        len(questions.answerable),
        len(questions.decline),
    )


def fresh(kb: KnowledgeBase, questions: QuestionSet, trained: Iterable[str]) -> tuple[QuestionSet, int]:
    """`questions` less any that is a copy or a near copy (rapidfuzz ratio >= 90 on the words as the search
    reads them) of a question the model was trained on; and how many were dropped."""
    from rapidfuzz import fuzz, process

    known = sorted({_said(kb, q) for q in trained})

    def is_new(question: str) -> bool:
        return process.extractOne(_said(kb, question), known, scorer=fuzz.ratio, score_cutoff=90) is None

    answerable = tuple(item for item in questions.answerable if is_new(item[0]))
    decline = tuple(q for q in questions.decline if is_new(q))
    dropped = len(questions.answerable) + len(questions.decline) - len(answerable) - len(decline)
    return replace(questions, answerable=answerable, decline=decline), dropped


def _said(kb: KnowledgeBase, question: str) -> str:
    return " ".join(kb.searcher.tokens(question))


def held_out_entries(
    kb: KnowledgeBase, by_set: Mapping[str, list[Row]], folds: int = 4
) -> tuple[int, int, int]:
    """The judge on entries it never learned from: the entries the training sets ask about are split into
    `folds`; for each, the judge is trained without any question about them and asked those questions. Returns
    (answered right by the held-out judge, by the judge trained on everything, questions)."""
    entries = sorted({e for judged in by_set.values() for row in judged for e in row.expect})
    everything = FreeQuestions(shipped_model())  # trained on every training set, as each fold is on fewer
    held = full = total = 0
    for k in range(folds):
        fold = set(entries[k::folds])
        taught = {name: [r for r in judged if not r.expect & fold] for name, judged in by_set.items()}
        judge = FreeQuestions(BoostedTrees.from_dict(train(kb, taught)))
        for row in (r for judged in by_set.values() for r in judged if r.expect & fold):
            if row.signals is None or row.shown is None:
                continue  # an exact reference, answered without the judge
            total += 1
            right = bool(quoted(kb, row.shown) & row.expect)
            held += right and judge.answers(row.signals)
            full += right and everything.answers(row.signals)
    return held, full, total


def _pooled(results: list[Result]) -> str:
    """Several sets' results as one: top-1, declined and wrong over all their questions."""
    answerable = sum(r.answerable for r in results)
    declinable = sum(r.declinable for r in results)
    questions = sum(r.questions for r in results)
    top1 = sum(r.top1 * r.answerable for r in results) / answerable
    declined = sum(r.declined * r.declinable for r in results) / declinable
    wrong = sum(r.confident_wrong for r in results) / questions
    return f"top-1 {top1:.1%}, declined {declined:.1%}, wrong {wrong:.1%}"


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
    parser.add_argument(
        "--no-held-out", action="store_true", help="skip the held-out-entries figure (it retrains four times)"
    )
    parser.add_argument(
        "--dev",
        action="store_true",
        help="leave the sealed sets out: for work in progress, so that they stay blind until their one run",
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
        sets = {name: load(name) for name in SETS if not (args.dev and name in SEALED)}
    # what leave-one-set-out trains on: every training set, read once
    training = {name: sets[name] if name in sets else load(name) for name in TRAINING}
    training.update({f"local {name}": load_local(name) for name in LOCAL_TRAINING})
    by_set = training_rows(kb)
    trained_on = [q for t in training.values() for q in (*(q for q, _ in t.answerable), *t.decline)]
    print(
        f"{len(kb.entries)} entries; top-1 / declined. shipped: the app as it is (in-sample on a training set);"
    )
    print(
        "unseen: a model that never saw the set; rules: the hand thresholds; BM25: cut-off tuned on the set;"
    )
    print(
        "wrong: a card for the wrong entry, or for a question to decline, as a share of all the set's questions;"
    )
    print("extra: questions about one entry whose card also showed others found by topic")
    print(
        f"{'set':14}{'questions':>10}  {'shipped':>13}  {'wrong':>6}  {'extra':>5}  {'unseen':>13}  {'rules':>13}  "
        f"{'BM25':>13}"
    )
    timings: list[float] = []
    wrong_by_set: dict[str, list[str]] = {}
    dropped_by_set: dict[str, int] = {}
    # sets no model learned from, copies of training questions left out
    untrained: dict[str, QuestionSet] = {}
    for name, questions in sets.items():
        if name not in by_set:  # a set never trained on: copies of training questions say nothing of it
            questions, dropped_by_set[name] = fresh(kb, questions, trained_on)
            untrained[name] = questions
        result = evaluate(kb, questions, args.repeat)
        timings += result.timings
        wrong_by_set[name] = result.wrong
        judged = by_set.get(name) or rows(kb, questions)
        if name in by_set:
            unseen = figures(kb, judged, left_out(kb, by_set, name).answers)
            label = name
        else:
            unseen = (result.top1, result.declined)
            label = f"{name}*" if name in SEALED else f"{name}-" if name in UNTRAINED else f"{name}?"
        rules = figures(kb, judged, RULES.answers)
        bm25 = bm25_baseline(kb, questions)
        counts = f"{len(questions.answerable)}+{len(questions.decline)}"
        pair = f"{result.top1:>6.1%}/{result.declined:>6.1%}"
        others = "  ".join(f"{a:>6.1%}/{d:>6.1%}" for a, d in (unseen, rules, bm25))
        wrong_share = result.confident_wrong / result.questions
        print(f"{label:14}{counts:>10}  {pair}  {wrong_share:>6.1%}  {result.padded:>5}  {others}")
    print(
        "* sealed: never trained on or read, so shipped is unseen;  - read but never trained on;  "
        "? not a known set: shipped, as if unseen"
    )
    for name, dropped in dropped_by_set.items():
        if dropped:
            print(f"{name}: {dropped} questions left out as copies or near copies of training questions")

    # framework questions no model learned from (`untrained`), asked of the shipped content with a team's folder
    # added: what a team's entries change of the framework's own answers (a decline there may be a question the
    # team's content does answer: "what social value weighting should we use" with Northshire's principle 11)
    alone = _pooled([evaluate(kb, questions, 1) for questions in untrained.values()]) if untrained else ""
    for name, local_set in LOCAL_SETS.items():
        if args.dev and name in LOCAL_SEALED:
            continue
        local_kb = with_local_content(name)
        local = evaluate(local_kb, load_local(name), 1)
        how = (
            "trained on"
            if name in LOCAL_TRAINING
            else "never trained on or read"
            if name in LOCAL_SEALED
            else "read, never trained on"
        )
        print(
            f"a team's own content, {name} ({local_set.content}, {len(local_kb.entries) - len(kb.entries)} "
            f"entries with no aliases, {how}): top-1 {local.top1:.1%}, declined {local.declined:.1%}, wrong "
            f"{local.confident_wrong / local.questions:.1%} of {local.questions} questions"
        )
        if name in LOCAL_TRAINING:  # in-sample above; this is as a model that never saw this team's set
            unseen_kb = with_local_content(name, judge=left_out(kb, by_set, f"local {name}"))
            blind = evaluate(unseen_kb, load_local(name), 1)
            print(
                f"  ... judged by a model trained without {name}'s questions: top-1 {blind.top1:.1%}, declined "
                f"{blind.declined:.1%}, wrong {blind.confident_wrong / blind.questions:.1%}"
            )
        if untrained:
            beside = [evaluate(local_kb, questions, 1) for questions in untrained.values()]
            print(
                f"  framework questions never trained on ({', '.join(untrained)}), {alone} on the "
                f"shipped content; {_pooled(beside)} with {name}'s folder added"
            )
        wrong_by_set[f"local {name}"] = local.wrong
    if not args.no_held_out:
        held, full, total = held_out_entries(kb, by_set)
        print(
            f"entries held out of training (4 folds of the entries the training sets ask about): the judge "
            f"answers {held}/{total} ({held / total:.1%}) of the questions about entries it never learned from "
            f"rightly; trained on every entry, {full}/{total} ({full / total:.1%})"
        )
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
