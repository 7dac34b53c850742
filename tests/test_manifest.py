"""app.yaml is a valid Slack manifest and agrees with the handlers, in both directions."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bot.manifest import check_manifest, consistency_errors, load_manifest
from handlers.catalog import SHORTCUTS, commands

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

    from handlers import blocks, checklist_blocks, home_blocks, owner_blocks, register_all

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
        home_blocks.BROWSE_ACTION,
        home_blocks.LINK_ACTION,
        home_blocks.TIPS_ACTION,
    }
    # the prefixes' exact forms: buttons on messages posted before each button had its own action_id
    legacy = {blocks.SHOW_ACTION.removesuffix(":"), checklist_blocks.ANSWER_ACTION.removesuffix(":")}
    assert router.actions == buttons | legacy
    assert router.shortcuts == set(SHORTCUTS) == {owner_blocks.SUGGEST_SHORTCUT}
    # every event the handlers listen for is subscribed in app.yaml, and the other way round
    declared = set(load_manifest()["settings"]["event_subscriptions"]["bot_events"])
    assert router.events == {"message" if e.startswith("message.") else e for e in declared}


def test_bolt_is_the_minor_version_the_fast_routing_is_tested_on() -> None:
    """handlers/router.py registers through Bolt's private _register_listener (a quarter more mention throughput
    than the public decorators): pyproject.toml pins Bolt's minor version, and the fallback is tested below."""
    from importlib.metadata import version

    from slack_bolt.async_app import AsyncApp

    assert version("slack-bolt").startswith("1.30.")
    assert callable(getattr(AsyncApp(signing_secret="x", token="xoxb-x"), "_register_listener", None))


async def test_the_public_decorator_fallback_routes_commands_buttons_and_events(tmp_path: Path) -> None:
    import json

    from slack_bolt.request.async_request import AsyncBoltRequest

    from bot import payloads
    from bot.app import close_app, create_app
    from bot.runtime import build_deps
    from handlers.blocks import SHOW_ACTION
    from services.settings import Settings

    deps = await build_deps(
        Settings(
            slack_bot_token="xoxb-x",
            slack_signing_secret="secret",
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'fallback.db'}",
        )
    )
    app = create_app(deps, process_before_response=True, fast_routing=False)
    assert getattr(app, "_register_listener", None) is not None  # available, and not used

    async def send(body: str, content_type: str) -> str:
        headers = dict(payloads.signed_headers("secret", body, content_type))
        response = await app.async_dispatch(AsyncBoltRequest(body=body, headers=headers))  # type: ignore[arg-type]
        assert response.status == 200, response.body
        return str(response.body)

    # Bolt's single-team authorization needs auth.test: answer it as Slack would, without a network
    app._async_middleware_list = [  # type: ignore[attr-defined]
        m
        for m in app._async_middleware_list
        if "Authorization" not in type(m).__name__  # type: ignore[attr-defined]
    ]
    try:
        command = payloads.slash_command(
            "/principle",
            "9",
            team_id="T1",
            channel_id="C1",
            user_id="U1",
            response_url="http://127.0.0.1:9/r",
        )
        assert "Spend money wisely" in await send(command, payloads.FORM)
        unknown = payloads.slash_command(
            "/nonsense", "", team_id="T1", channel_id="C1", user_id="U1", response_url="http://127.0.0.1:9/r"
        )
        assert "/commissioning help" in await send(unknown, payloads.FORM)  # the catch-all command
        event = payloads.event_callback(
            payloads.message_event(
                "value for money", channel="D1", user="U1", ts="1.000001", team_id="T1", channel_type="im"
            ),
            team_id="T1",
        )
        await send(event, payloads.JSON)
        assert await deps.store.jobs.depth() == 1  # the DM reached its handler and was queued
        click = payloads.block_actions(
            action_id=SHOW_ACTION + "principle-9",  # a prefixed action_id
            value="principle-9",
            block_id="b",
            label="Show it",
            team_id="T1",
            user_id="U1",
            channel_id="C1",
            message_ts="1.000002",
            response_url="http://127.0.0.1:9/r",
        )
        assert json.loads(await send(click, payloads.FORM) or "{}") is not None
    finally:
        await close_app(app)
        await deps.store.close()
