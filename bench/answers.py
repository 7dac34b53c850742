"""How well and how fast the app answers questions in plain words, against a plain BM25 baseline.

    python bench/answers.py [--questions bench/eval_questions.yaml] [--repeat 20]

Prints top-1 accuracy on the answerable questions, the share of out-of-scope questions declined, the same two
figures for BM25 (rank_bm25's BM25Okapi over the same entries and fields, its decline threshold tuned on this
very set, which flatters it), the questions still answered wrongly, per-question latency (p50/p99), start-up time
with the index built, and peak resident memory.
"""

from __future__ import annotations

import argparse
import re
import resource
import statistics
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from handlers.answers import find_answer  # noqa: E402
from knowledge.loader import load_knowledge  # noqa: E402
from knowledge.text import STOP_WORDS  # noqa: E402


def _expected(item: dict[str, object]) -> set[str]:
    expect = item["expect"]
    return set(expect) if isinstance(expect, list) else {str(expect)}


def _tokens(text: str) -> list[str]:
    return [w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in STOP_WORDS]


def bm25_baseline(
    kb: object, answerable: list[dict[str, object]], decline: list[str]
) -> tuple[float, float, float]:
    from rank_bm25 import BM25Okapi

    entries = kb.entries  # type: ignore[attr-defined]
    corpus = [_tokens(" ".join([e.title, e.text, *e.aliases, *e.keywords])) for e in entries]
    bm25 = BM25Okapi(corpus)

    def best(question: str) -> tuple[str, float]:
        scores = bm25.get_scores(_tokens(question))
        index = max(range(len(scores)), key=lambda i: scores[i])
        return entries[index].id, float(scores[index])

    answered = [(best(str(item["q"])), _expected(item)) for item in answerable]
    declined = [best(q)[1] for q in decline]
    # Pick the decline threshold that does best on this very set: the most generous baseline there is.
    candidates = sorted({0.0, *(s for (_id, s), _e in answered), *declined})
    best_pair = (0.0, 0.0, 0.0)
    for threshold in candidates:
        accuracy = sum(1 for (eid, s), exp in answered if s > threshold and eid in exp) / len(answered)
        decline_rate = sum(1 for s in declined if s <= threshold) / len(declined)
        if accuracy + decline_rate > best_pair[0] + best_pair[1]:
            best_pair = (accuracy, decline_rate, threshold)
    return best_pair


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--questions", type=Path, default=ROOT / "bench" / "eval_questions.yaml")
    parser.add_argument("--repeat", type=int, default=20, help="timing passes over the whole set")
    args = parser.parse_args()

    started = time.perf_counter()
    kb = load_knowledge()
    startup = time.perf_counter() - started

    data = yaml.safe_load(args.questions.read_text(encoding="utf-8"))
    answerable: list[dict[str, object]] = data["answerable"]
    decline: list[str] = data["decline"]

    wrong: list[str] = []
    right = 0
    for item in answerable:
        answer = find_answer(kb, str(item["q"]))
        got = answer.best.id if answer.best else ("(help card)" if answer.empty else "(declined)")
        if got in _expected(item):
            right += 1
        else:
            wrong.append(f"  answerable: {item['q']!r}: expected {sorted(_expected(item))}, got {got}")
    declined = 0
    for question in decline:
        answer = find_answer(kb, question)
        if answer.best is None:
            declined += 1
        else:
            wrong.append(f"  decline:    {question!r}: answered with {answer.best.id}")

    questions = [str(i["q"]) for i in answerable] + decline
    timings: list[float] = []
    for _ in range(args.repeat):
        for question in questions:
            t0 = time.perf_counter_ns()
            find_answer(kb, question)
            timings.append((time.perf_counter_ns() - t0) / 1e6)
    timings.sort()
    p50 = statistics.median(timings)
    p99 = timings[int(len(timings) * 0.99) - 1]

    bm25_accuracy, bm25_declined, threshold = bm25_baseline(kb, answerable, decline)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    accuracy = right / len(answerable)
    decline_rate = declined / len(decline)
    print(f"questions: {len(answerable)} answerable, {len(decline)} out of scope, {len(kb.entries)} entries")
    print(f"{'':22}{'top-1 accuracy':>16}{'declined':>12}")
    print(f"{'Commissioning Guide':22}{accuracy:>16.1%}{decline_rate:>12.1%}")
    print(
        f"{'BM25 (tuned cut-off)':22}{bm25_accuracy:>16.1%}{bm25_declined:>12.1%}   (threshold {threshold:.2f})"
    )
    print(f"latency per question: p50 {p50:.3f} ms, p99 {p99:.3f} ms ({len(timings)} timed)")
    print(f"start-up with the index built: {startup * 1000:.0f} ms")
    print(f"peak resident memory: {rss_mb:.0f} MB")
    print(f"still wrong ({len(wrong)}):")
    print("\n".join(wrong) if wrong else "  none")
    return 0


if __name__ == "__main__":
    sys.exit(main())
