"""How a static embedding model does on its own, as issue 13 asked to measure: wordllama's 256-dimension model
(weights shipped inside its wheel, loaded with downloads disabled) ranks the entries by cosine similarity.

Not a dependency of the app: `pip install wordllama==0.4.0.post1`, then `python bench/static_embeddings.py`.
Prints, per question set (sealed ones left out), top-1 on single-entry questions and the mean best similarity of
answerable and decline questions (how well a similarity cut-off could tell them apart).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import wordllama  # noqa: E402
from wordllama import WordLlama  # noqa: E402

from bench.question_sets import SEALED, SETS, load  # noqa: E402
from knowledge.loader import load_knowledge  # noqa: E402


def main() -> int:
    started = time.perf_counter()
    # the wheel keeps its files in tokenizers/ and weights/, which is the layout of a cache folder
    model = WordLlama.load(dim=256, disable_download=True, cache_dir=Path(wordllama.__file__).parent)
    print(f"model loaded in {(time.perf_counter() - started) * 1000:.0f} ms")
    kb = load_knowledge()
    ids = [e.id for e in kb.entries]
    vectors = model.embed([f"{e.title}. {e.text} {' '.join(e.aliases)}" for e in kb.entries], norm=True)
    print(f"{'set':14}{'top-1':>16}  {'best similarity: answerable':>28}  {'decline':>8}")
    for name in SETS:
        if name in SEALED:
            continue
        questions = load(name)
        single = [(q, expect) for q, expect in questions.answerable if q not in questions.every_part]
        right = sum(
            ids[int(np.argmax(vectors @ model.embed([q], norm=True)[0]))] in expect for q, expect in single
        )
        answerable = [
            float(np.max(vectors @ model.embed([q], norm=True)[0])) for q, _ in questions.answerable
        ]
        decline = [float(np.max(vectors @ model.embed([q], norm=True)[0])) for q in questions.decline]
        print(
            f"{name:14}{right:>5}/{len(single):<4}{right / len(single):>6.1%}  "
            f"{np.mean(answerable):>28.3f}  {np.mean(decline):>8.3f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
