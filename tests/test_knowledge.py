"""The knowledge base: the shipped YAML loads, lookups work, and broken content is reported precisely."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

from knowledge.base import KnowledgeBase, next_fact
from knowledge.loader import DEFAULT_DIR, KnowledgeError, load_knowledge
from knowledge.lookup import lookup
from knowledge.text import parse_number
from tests.slack import SERVICES_WITH_STANDARDS


def test_shipped_content_has_the_whole_framework(kb: KnowledgeBase) -> None:
    assert [p.number for p in kb.members("principle")] == list(range(1, 11))
    assert [f.number for f in kb.members("nos_function")] == [1, 2, 3, 4]
    assert [s.title for s in kb.members("service")] == list(SERVICES_WITH_STANDARDS)
    assert kb.get("nos-key-purpose") is not None
    assert len(kb.facts) >= 3


def test_every_entry_names_its_source_and_background_is_labelled(kb: KnowledgeBase) -> None:
    for entry in kb.entries:
        assert entry.source.framework and entry.source.page, entry.id
        if entry.background:
            assert "East Midlands Regional Framework" not in entry.source.framework, entry.id
            assert entry.source.url, f"background entry {entry.id} must link its source"
        else:
            assert entry.source.page in ("5 - Commissioning Principles", "7 - Standards And Structures"), (
                entry.id
            )


def test_the_overarching_principle_is_never_invented(kb: KnowledgeBase) -> None:
    entry = kb.get("overarching-principle")
    assert entry is not None
    assert entry.text == "At the simplest level there is one over-arching principle."
    assert entry.note is not None and "not in the available copy" in entry.note


def test_domain_never_imports_slack() -> None:
    for path in DEFAULT_DIR.glob("*.py"):
        tree = ast.parse(path.read_text())
        imported = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        imported += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        assert not [m for m in imported if m.startswith(("slack", "bot", "handlers"))], path
        assert "slack" not in path.read_text().lower(), (
            f"{path} mentions Slack: the domain must not know of it"
        )


@pytest.mark.parametrize(
    ("token", "number"),
    [
        ("9", 9),
        ("nine", 9),
        ("ninth", 9),
        ("9th", 9),
        ("#9", 9),
        ("tenth", 10),
        ("1st", 1),
        ("banana", None),
        ("", None),
    ],
)
def test_number_words(token: str, number: int | None) -> None:
    assert parse_number(token) == number


def test_lookup_by_number_word_and_range(kb: KnowledgeBase) -> None:
    assert lookup(kb, "principle", "/principle", "ninth").entries[0].id == "principle-9"
    assert lookup(kb, "nos_function", "/nos", "3").entries[0].id == "nos-function-3"
    assert lookup(kb, "service", "/standards", "fostering").entries[0].id == "service-fostering"
    eleven = lookup(kb, "principle", "/principle", "11")
    assert eleven.entries == () and eleven.problem is not None and "there are 10" in eleven.problem
    huge = lookup(kb, "principle", "/principle", "99999999999999999999999")
    assert huge.problem is not None and huge.problem.startswith("There is no principle 9999")
    partnership = lookup(kb, "principle", "/principle", "partnership")
    assert [e.id for e in partnership.entries][:1] == ["principle-4"]


def test_next_fact_avoids_the_last_one(kb: KnowledgeBase) -> None:
    facts = list(kb.facts)
    for _ in range(50):
        assert next_fact(facts, facts[0].id).id != facts[0].id
    assert next_fact(facts[:1], facts[0].id) == facts[0]  # only one to show: show it


def _copy_content(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(DEFAULT_DIR, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return target


def test_a_broken_file_names_the_file_entry_and_field(tmp_path: Path) -> None:
    content = _copy_content(tmp_path)
    path = content / "principles.yaml"
    original = path.read_text()
    path.write_text(
        original.replace("    text: Provide leadership for commissioning", "    txt: Provide leadership")
    )
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(content)
    assert caught.value.problems == [
        "principles.yaml: entry 6 (id 'principle-2'): txt: Extra inputs are not permitted",
        "checklist 'principles' step 'p2': ref names unknown entry 'principle-2'",
    ]
    path.write_text(
        original.replace(
            "    text: Provide leadership for commissioning at the highest level in the system.\n", ""
        )
    )
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(content)
    assert caught.value.problems[0] == (
        "principles.yaml: entry 6 (id 'principle-2'): (entry): `text` is required (the exact words of the source)"
    )


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    content = _copy_content(tmp_path)
    (content / "nos.yaml").write_text("entries:\n  - id: x\n    title: [unclosed\n")
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(content)
    assert any(p.startswith("nos.yaml line ") and "not valid YAML" in p for p in caught.value.problems)


def test_duplicate_ids_and_unknown_references_are_caught(tmp_path: Path) -> None:
    content = _copy_content(tmp_path)
    (content / "extra.yaml").write_text(
        "source: {framework: Team notes, page: Ours}\n"
        "entries:\n"
        "  - {id: principle-9, kind: fact, title: Copy, text: Some words}\n"
        "  - {id: our-list, kind: collection, lists: principle, title: Ours, intro: [no-such-entry]}\n"
    )
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(content)
    problems = caught.value.problems
    assert "id 'principle-9' is used twice; ids must be unique across all files" in problems
    assert "entry 'our-list': intro names unknown entry 'no-such-entry'" in problems


def test_a_team_can_maintain_its_own_copy(tmp_path: Path) -> None:
    content = _copy_content(tmp_path)
    (content / "local.yaml").write_text(
        "source: {framework: Our council's commissioning team, page: Local notes}\n"
        "entries:\n"
        "  - id: local-panel\n    kind: fact\n    title: Our commissioning panel\n"
        "    text: The panel meets on the first Tuesday of each month.\n"
        "    aliases: [when does the panel meet]\n"
    )
    kb = load_knowledge(content)
    answer = kb.searcher.answer("when does the commissioning panel meet?")
    assert answer.best is not None and answer.best.id == "local-panel"


def test_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeError, match="not a folder"):
        load_knowledge(tmp_path / "nowhere")
