"""app.yaml is a valid Slack manifest and agrees with the handlers, in both directions."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bot.manifest import check_manifest, consistency_errors, load_manifest
from handlers.catalog import commands

ROOT = Path(__file__).resolve().parent.parent
SHARED_CHECK = ROOT.parent / "shared" / "tools" / "check_manifest.py"


def test_manifest_is_valid_and_matches_handlers() -> None:
    assert check_manifest() == []


def test_every_manifest_command_has_a_handler_and_every_handler_is_declared() -> None:
    declared = {c["command"] for c in load_manifest()["features"]["slash_commands"]}
    assert declared == {name for name, _usage, _what in commands()}


def test_a_missing_command_or_scope_is_reported() -> None:
    doc = load_manifest()
    doc["features"]["slash_commands"] = [
        c for c in doc["features"]["slash_commands"] if c["command"] != "/nos"
    ]
    doc["oauth_config"]["scopes"]["bot"].remove("app_mentions:read")
    problems = consistency_errors(doc)
    assert "/nos has a handler but is missing from app.yaml features.slash_commands" in problems
    assert "app.yaml subscribes to app_mention but lacks the app_mentions:read bot scope" in problems


def test_shared_schema_checker_accepts_the_manifest() -> None:
    if not SHARED_CHECK.exists():  # outside this workspace the vendored schema test above still runs
        return
    result = subprocess.run(
        [sys.executable, str(SHARED_CHECK), str(ROOT / "app.yaml")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


async def test_every_command_and_button_reaches_a_handler() -> None:
    from slack_bolt.async_app import AsyncApp

    from handlers import blocks, checklist_blocks, register_all

    router = register_all(AsyncApp(signing_secret="x", token="xoxb-x"))
    assert router.commands == {name for name, _usage, _what in commands()}
    buttons = {
        blocks.SHARE_ACTION,
        blocks.SHOW_ACTION,
        blocks.HELPFUL_ACTION,
        blocks.NOT_HELPFUL_ACTION,
        checklist_blocks.START_ACTION,
        checklist_blocks.ANSWER_ACTION,
        checklist_blocks.SKIP_ACTION,
        checklist_blocks.BACK_ACTION,
        checklist_blocks.CANCEL_ACTION,
        checklist_blocks.EXPORT_ACTION,
        checklist_blocks.RESUME_ACTION,
        checklist_blocks.KEEP_ACTION,
        checklist_blocks.UNDO_ACTION,
        checklist_blocks.NOTE_MOVE_ACTION,
        checklist_blocks.NOTE_REMOVE_ACTION,
    }
    # the prefixes' exact forms: buttons on messages posted before each button had its own action_id
    legacy = {blocks.SHOW_ACTION.removesuffix(":"), checklist_blocks.ANSWER_ACTION.removesuffix(":")}
    assert router.actions == buttons | legacy
