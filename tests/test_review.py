"""Entries' `owner` and `last_reviewed`: validated, shown on answers, and `python -m bot check` warns when an
entry is overdue a review."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

from handlers.blocks import entry_card
from knowledge.loader import DEFAULT_DIR, KnowledgeError, load_knowledge
from knowledge.review import overdue

ROOT = Path(__file__).resolve().parent.parent
LOCAL = """
source:
  framework: Anyshire Council
  page: Local commissioning handbook
owner: Anyshire commissioning team
last_reviewed: {reviewed}
entries:
  - id: local-jsna-refresh
    kind: fact
    title: Our JSNA refresh
    topics: [local]
    text: Anyshire refreshes its joint strategic needs assessment every spring.
  - id: local-old-note
    kind: fact
    title: An old local note
    topics: [local]
    owner: Jo Bloggs
    last_reviewed: 2020-01-31
    text: Anyshire's commissioning board meets monthly.
"""


def content_with(tmp_path: Path, reviewed: str) -> Path:
    folder = tmp_path / "content"
    shutil.copytree(DEFAULT_DIR, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    (folder / "local.yaml").write_text(LOCAL.format(reviewed=reviewed))
    return folder


def test_owner_and_review_date_default_from_the_file_and_show_on_the_card(tmp_path: Path) -> None:
    kb = load_knowledge(content_with(tmp_path, "2026-11-01"))
    entry = kb.get("local-jsna-refresh")
    assert entry is not None
    assert entry.owner == "Anyshire commissioning team" and entry.last_reviewed == date(2026, 11, 1)
    card = entry_card(kb, [entry])
    assert (
        ":books: Source: Anyshire Council, “Local commissioning handbook” · Last reviewed 1 November 2026"
        in str(card.blocks)
    )
    principle = kb.member("principle", 9)
    assert principle is not None and "Last reviewed" not in str(entry_card(kb, [principle]).blocks)


def test_a_review_date_in_the_future_is_refused(tmp_path: Path) -> None:
    future = (date.today() + timedelta(days=30)).isoformat()
    try:
        load_knowledge(content_with(tmp_path, future))
    except KnowledgeError as error:
        assert any("last_reviewed" in p and "is in the future" in p for p in error.problems)
    else:
        raise AssertionError("a last_reviewed in the future was accepted")


def test_overdue_lists_the_longest_overdue_first(tmp_path: Path) -> None:
    kb = load_knowledge(content_with(tmp_path, "2026-11-01"))
    late = overdue(kb.entries, date(2026, 12, 4), after_days=365)
    assert [o.entry.id for o in late] == ["local-old-note"]
    assert "owner: Jo Bloggs" in late[0].describe() and "31 January 2020" in late[0].describe()
    assert [o.entry.id for o in overdue(kb.entries, date(2026, 12, 4), after_days=10)] == [
        "local-old-note",
        "local-jsna-refresh",
    ]


def test_check_warns_on_entries_not_reviewed_within_review_after_days(tmp_path: Path) -> None:
    recent = date.today() - timedelta(days=30)  # reviewed a month ago: not due; the 2020 entry is
    folder = content_with(tmp_path, recent.isoformat())
    env = {**os.environ, "KNOWLEDGE_DIR": str(folder), "REVIEW_AFTER_DAYS": "400"}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "check"], capture_output=True, text=True, cwd=ROOT, env=env, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr  # a warning, not a failure
    assert (
        "warning: entry 'local-old-note' (owner: Jo Bloggs) was last reviewed on 31 January 2020"
        in result.stdout
    )
    assert "(REVIEW_AFTER_DAYS=400)" in result.stdout
    assert "local-jsna-refresh" not in result.stdout
    assert "entries have no last_reviewed date" in result.stdout
