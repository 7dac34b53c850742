"""Load and validate the YAML knowledge base, naming the file, entry and field of every problem."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import yaml
from pydantic import ValidationError

from knowledge.answerability import (
    BoostedTrees,
    FreeQuestions,
    Judge,
    ModelError,
    changed_probes,
    load_model,
    shipped_model,
)
from knowledge.base import KnowledgeBase
from knowledge.model import Checklist, Entry, KnowledgeFile
from knowledge.search import Vocabulary

DEFAULT_DIR = Path(__file__).resolve().parent
logger = logging.getLogger(__name__)


class KnowledgeError(Exception):
    """The content could not be loaded; `problems` holds one readable line per fault."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("knowledge base is invalid:\n" + "\n".join(f"  - {p}" for p in problems))


def knowledge_dir(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    return Path(env["KNOWLEDGE_DIR"]) if env.get("KNOWLEDGE_DIR") else DEFAULT_DIR


def load_knowledge(
    directory: Path | str | None = None, *, model: Path | None = None, judge: Judge | None = None
) -> KnowledgeBase:
    """Read every *.yaml file in `directory`, validate it all, and build the searchable base, with the
    answerability model shipped beside this module (or the one at `model`), or, with no model read, `judge`
    (training a model, which must not depend on the one it replaces).

    Raises:
        KnowledgeError: listing every problem found, not just the first.
    """
    folder = Path(directory) if directory is not None else DEFAULT_DIR
    if not folder.is_dir():
        raise KnowledgeError([f"{folder}: not a folder (set KNOWLEDGE_DIR to the folder of YAML files)"])
    files = sorted(folder.glob("*.yaml"))
    if not files:
        raise KnowledgeError([f"{folder}: no .yaml files found"])

    problems: list[str] = []
    entries: list[Entry] = []
    checklists: list[Checklist] = []
    vocabulary = Vocabulary()
    for path in files:
        _load_file(path, entries, checklists, vocabulary, problems)
    problems.extend(_cross_check(entries, checklists))
    if judge is not None:
        if problems:
            raise KnowledgeError(problems)
        return KnowledgeBase(entries, checklists, vocabulary, judge)
    trees: BoostedTrees | None = None
    try:  # read and checked now, so that a broken model stops the app at start, not at a question
        trees = load_model(model) if model is not None else shipped_model()
    except ModelError as exc:
        problems.append(f"answerability model: {exc}")
    if problems or trees is None:
        raise KnowledgeError(problems)
    kb = KnowledgeBase(entries, checklists, vocabulary, FreeQuestions(trees))
    # The probes tell whether the model was trained on this search code. They are measured on the content it
    # shipped with: a team's own content changes their figures without making the model stale, since the
    # model reads only measures and the masked form of a question (never which topics the content has).
    same_content = folder.resolve() == DEFAULT_DIR.resolve()
    changed = changed_probes(trees, kb.signals_of) if same_content else []
    if changed:
        logger.warning(
            "the answerability model was trained on other search code (%d of %d probes differ): "
            "answers may be less accurate until it is retrained (python bench/train_answerability.py)",
            len(changed),
            len(trees.probes),
        )
    return kb


def _load_file(
    path: Path,
    entries: list[Entry],
    checklists: list[Checklist],
    vocabulary: Vocabulary,
    problems: list[str],
) -> None:
    name = path.name
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        problems.append(f"{name}{where}: not valid YAML ({problem})")
        return
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(f"{name}: cannot be read ({exc})")
        return
    if raw is None:
        return
    try:
        doc = KnowledgeFile.model_validate(raw)
    except ValidationError as exc:
        problems.extend(f"{name}: {line}" for line in _describe(exc))
        return

    for word, targets in doc.synonyms.items():
        vocabulary.synonyms[word.lower()] = vocabulary.synonyms.get(word.lower(), ()) + targets
    vocabulary.generic.update(w.lower() for w in doc.generic)
    vocabulary.scope.update(w.lower() for w in doc.scope)
    vocabulary.outside.update(w.lower() for w in doc.outside)
    for index, item in enumerate(doc.entries, start=1):
        data = dict(item)
        if "source" not in data and doc.source is not None:
            data["source"] = doc.source
        for default in ("owner", "last_reviewed"):
            if default not in data and getattr(doc, default) is not None:
                data[default] = getattr(doc, default)
        where = f"{name}: entry {index} (id {item.get('id', '?')!r})"
        try:
            entries.append(Entry.model_validate(data))
        except ValidationError as exc:
            problems.extend(f"{where}: {line}" for line in _describe(exc))
    for index, item in enumerate(doc.checklists, start=1):
        where = f"{name}: checklist {index} (id {item.get('id', '?')!r})"
        try:
            checklists.append(Checklist.model_validate(item))
        except ValidationError as exc:
            problems.extend(f"{where}: {line}" for line in _describe(exc))


def _describe(exc: ValidationError) -> Iterable[str]:
    for error in exc.errors(include_url=False):
        field = ".".join(str(part) for part in error["loc"]) or "(entry)"
        message = error["msg"].removeprefix("Value error, ")
        yield f"{field}: {message}"


def _cross_check(entries: list[Entry], checklists: list[Checklist]) -> list[str]:
    problems: list[str] = []
    seen: dict[str, Entry] = {}
    for entry in entries:
        if entry.id in seen:
            problems.append(f"id {entry.id!r} is used twice; ids must be unique across all files")
        seen[entry.id] = entry
    numbers: dict[tuple[str, int], str] = {}
    for entry in entries:
        if entry.number is not None and entry.kind != "collection":
            key = (entry.kind, entry.number)
            if key in numbers:
                problems.append(
                    f"{entry.kind} number {entry.number} is used by both {numbers[key]!r} and {entry.id!r}"
                )
            numbers[key] = entry.id
        for ref in entry.intro:
            if ref not in seen:
                problems.append(f"entry {entry.id!r}: intro names unknown entry {ref!r}")
    checklist_ids: set[str] = set()
    for checklist in checklists:
        if checklist.id in checklist_ids:
            problems.append(f"checklist id {checklist.id!r} is used twice")
        checklist_ids.add(checklist.id)
        for step in checklist.steps:
            if step.ref is not None and step.ref not in seen:
                problems.append(
                    f"checklist {checklist.id!r} step {step.id!r}: ref names unknown entry {step.ref!r}"
                )
    return problems
