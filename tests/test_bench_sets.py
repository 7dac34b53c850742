"""The benchmark's question sets are configuration the honest figures depend on: each named file exists and
loads, local sets name a content folder, and a sealed set is never also a training set."""

from __future__ import annotations

from bench.question_sets import (
    LOCAL_SEALED,
    LOCAL_SETS,
    LOCAL_TRAINING,
    ROOT,
    SEALED,
    SETS,
    TRAINING,
    LocalSet,
    load,
)


def test_every_set_loads_and_sealed_sets_are_never_trained_on() -> None:
    for name in SETS:
        questions = load(name)
        assert questions.answerable and questions.decline, name
    assert set(SETS) >= SEALED
    assert not SEALED & set(TRAINING)


def test_every_local_set_names_its_content_and_questions() -> None:
    for name, local in LOCAL_SETS.items():
        assert isinstance(local, LocalSet), name
        assert list((ROOT / local.content).glob("*.yaml")), name
        assert (ROOT / local.questions).is_file(), name
    assert set(LOCAL_SETS) >= LOCAL_SEALED and not LOCAL_SEALED & set(LOCAL_TRAINING)
