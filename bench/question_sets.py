"""The labelled question sets: where each is, and whether the answerability model may learn from it.

Each file has `answerable` items (`q`, and `expect`: the entry, or entries, whose card answers it) and `decline`
items (a question no entry answers). Sets in SEALED were written after the model's last training and are never
trained on, so their figures say how it does on questions nobody tuned anything on.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from knowledge.answerability import Judge
from knowledge.base import KnowledgeBase
from knowledge.loader import DEFAULT_DIR, load_knowledge

ROOT = Path(__file__).resolve().parent.parent

SETS = {
    # written 2026-12-05 (fourth session) by three more helpers, each briefed unlike any writer before (see each
    # file's header): sealed, for one run at the end of the session
    "18th-p": "bench/eighteenth_p_questions.yaml",
    "18th-q": "bench/eighteenth_q_questions.yaml",
    "18th-r": "bench/eighteenth_r_questions.yaml",
    # written 2026-12-05 (third session, after the 16th sets' run) by three more helpers, each briefed unlike any
    # writer before (see each file's header); sealed until their one run on e95aa93 (figures and misses in the
    # third session's closing note), read since, not trained on
    "17th-m": "bench/seventeenth_m_questions.yaml",
    "17th-n": "bench/seventeenth_n_questions.yaml",
    "17th-o": "bench/seventeenth_o_questions.yaml",
    # written 2026-12-05 (second session, after the 15th sets' run) by three more helpers, each briefed unlike any
    # writer before (see each file's header); sealed until their one run on cbb4258 (figures and misses in the
    # third session's closing note), trained on since
    "16th-j": "bench/sixteenth_j_questions.yaml",
    "16th-k": "bench/sixteenth_k_questions.yaml",
    "16th-l": "bench/sixteenth_l_questions.yaml",
    # written 2026-12-05 (second session, after the 14th sets' run) by three more helpers, each briefed unlike any
    # writer before (see each file's header); sealed until their one run on 573489e (figures and misses in that
    # session's closing note), trained on since
    "15th-g": "bench/fifteenth_g_questions.yaml",
    "15th-h": "bench/fifteenth_h_questions.yaml",
    "15th-i": "bench/fifteenth_i_questions.yaml",
    # written 2026-12-05 (second session) by three more helpers, each briefed unlike any writer before (see each
    # file's header); sealed until their one run on c6c4e27 (figures and misses in that session's closing note),
    # trained on since
    "14th-d": "bench/fourteenth_d_questions.yaml",
    "14th-e": "bench/fourteenth_e_questions.yaml",
    "14th-f": "bench/fourteenth_f_questions.yaml",
    # written 2026-12-05 by three helpers briefed differently; sealed for one run, whose misses were then read:
    # trained on since
    "13th-a": "bench/thirteenth_a_questions.yaml",
    "13th-b": "bench/thirteenth_b_questions.yaml",
    "13th-c": "bench/thirteenth_c_questions.yaml",
    # written 2026-12-01 (night); run and its misses read in several sessions, so no longer a blind figure: kept out
    # of training as a check on questions the model never learned from
    "twelfth": "bench/twelfth_questions.yaml",
    "eleventh": "bench/eleventh_questions.yaml",  # sealed until 47a560f, then run once; trained on since
    "tenth": "bench/tenth_questions.yaml",  # sealed until the word model was built, then run once; trained on since
    "ninth": "bench/ninth_questions.yaml",  # sealed until the last change of 2026-12-01 (afternoon), then trained on
    "eighth": "bench/eighth_questions.yaml",  # sealed until the answerability model was built, then trained on
    "seventh": "bench/seventh_questions.yaml",  # sealed until the evening search changes of 2026-11-22, then run once
    "sixth": "bench/sixth_questions.yaml",  # sealed until the last search change but one, then run once
    "fifth": "bench/fifth_questions.yaml",  # sealed until the first round of afternoon changes, then run once
    "fourth": "bench/fourth_questions.yaml",  # hard declines; tuned on in the afternoon of 2026-11-22
    "fresh": "bench/fresh_questions.yaml",  # held out in the morning of 2026-11-22; watched in the afternoon
    "third": "bench/third_questions.yaml",  # held out for one round of changes, then tuned on (see its header)
    "final": "bench/final_questions.yaml",  # held out until 2026-11-22; its misses were seen in a closing note
    "development": "bench/eval_questions.yaml",  # the first set: the ranking was tuned on it
    "second": "bench/holdout_questions.yaml",  # held out at first, then also looked at while tuning
}
SEALED: frozenset[str] = frozenset({"18th-p", "18th-q", "18th-r"})
# not trained on, but no longer blind: their questions and misses have been read
UNTRAINED = SEALED | {"twelfth", "17th-m", "17th-n", "17th-o"}


@dataclass(frozen=True)
class LocalSet:
    """A team's own content, written without aliases as a content owner would, and questions about it, asked
    with the folder added to the shipped content as a KNOWLEDGE_DIR would hold them."""

    content: str  # the folder of YAML files
    questions: str


LOCAL_SETS = {
    # written 2026-12-05 by a helper as Northshire's content owners; its misses were read while issue 13's ranking
    # changed. Not trained on: tried twice. After the 14th sets it cost twelfth's declines (92.3% -> 90.4%); after
    # the 15th it helped twelfth (94.2% -> 98.1% declined) and Westshire's top-1 (25.0% -> 29.2%) but "what year
    # did the east midlands framework launch" fell from 0.85 to 0.35 and was declined. The trees are too easily
    # moved by 48 questions about content the framework sets never see.
    "northshire": LocalSet("bench/local_knowledge", "bench/local_questions.yaml"),
    # written 2026-12-05 (second session) by another helper as Westshire's; sealed until its one run on c6c4e27,
    # read since, never trained on
    "westshire": LocalSet("bench/local_westshire", "bench/westshire_questions.yaml"),
    # written 2026-12-05 (second session, after the 15th sets' run) by a third helper as Eastshire's (council and
    # NHS); sealed until its one run on cbb4258, read since
    "eastshire": LocalSet("bench/local_eastshire", "bench/eastshire_questions.yaml"),
    # written 2026-12-05 (third session, after the 16th sets' run) by a fourth helper as Southshire's (council and
    # NHS); sealed until its one run on e95aa93, read since, not trained on
    "southshire": LocalSet("bench/local_southshire", "bench/southshire_questions.yaml"),
    # written 2026-12-05 (fourth session) by a fifth helper as Lakeshire's (a borough council and its ICB): sealed,
    # for one run at the end of the session
    "lakeshire": LocalSet("bench/local_lakeshire", "bench/lakeshire_questions.yaml"),
}
# local sets the judge learns from (train_answerability.py can take them)
LOCAL_TRAINING: tuple[str, ...] = ("northshire", "westshire", "eastshire")
LOCAL_SEALED: frozenset[str] = frozenset({"lakeshire"})
TRAINING = tuple(name for name in SETS if name not in UNTRAINED)


@dataclass(frozen=True)
class QuestionSet:
    name: str
    answerable: tuple[tuple[str, frozenset[str]], ...]  # (question, the entries that answer it)
    decline: tuple[str, ...]
    every_part: frozenset[str] = (
        frozenset()
    )  # questions about several entries, every one of which must be shown


def load(name: str, path: Path | None = None) -> QuestionSet:
    data = yaml.safe_load((path or ROOT / SETS[name]).read_text(encoding="utf-8"))
    answerable = tuple(
        (
            str(item["q"]),
            frozenset(item["expect"] if isinstance(item["expect"], list) else [str(item["expect"])]),
        )
        for item in data["answerable"]
    )
    decline = tuple(str(d["q"]) if isinstance(d, dict) else str(d) for d in data["decline"])
    every_part = frozenset(str(item["q"]) for item in data["answerable"] if item.get("all"))
    return QuestionSet(name, answerable, decline, every_part)


def with_local_content(name: str, judge: Judge | None = None) -> KnowledgeBase:
    """The shipped content with the local set `name`'s folder added, as a KNOWLEDGE_DIR would hold them (with
    `judge` instead of the shipped model, when training one)."""
    with tempfile.TemporaryDirectory() as folder:
        for path in [*DEFAULT_DIR.glob("*.yaml"), *(ROOT / LOCAL_SETS[name].content).glob("*.yaml")]:
            shutil.copy(path, folder)
        return load_knowledge(Path(folder), judge=judge)


def load_local(name: str) -> QuestionSet:
    return load(name, ROOT / LOCAL_SETS[name].questions)
