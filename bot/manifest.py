"""Checks of app.yaml: Slack's published manifest schema, and agreement with the app's handlers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from handlers.catalog import SHORTCUTS, commands

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "app.yaml"
SCHEMAS = Path(__file__).resolve().parent / "manifest_schema"
SCHEMA_BASE = "https://raw.githubusercontent.com/slackapi/manifest-schema/v0.5.0/schemas/"
# Events the handlers listen for, and the bot scopes each needs.
EVENTS = {
    "app_mention": "app_mentions:read",
    "message.im": "im:history",
    "message.channels": "channels:history",
    "message.groups": "groups:history",
    "member_left_channel": "channels:read",
    "app_home_opened": "",
    "app_uninstalled": "",
}


def load_manifest(path: Path = MANIFEST) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path.name}: not a YAML mapping")
    return data


def schema_errors(doc: dict[str, Any]) -> list[str]:
    """Validate against Slack's own manifest schema (slackapi/manifest-schema, MIT, vendored)."""
    from jsonschema import Draft7Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT7

    versions = {
        v: json.loads((SCHEMAS / f"manifest.schema.{v}.json").read_text()) for v in ("1.0.0", "2.0.0")
    }
    registry: Registry[Any] = Registry().with_resources(
        (SCHEMA_BASE + f"manifest.schema.{v}.json", Resource.from_contents(s, default_specification=DRAFT7))
        for v, s in versions.items()
    )
    major = (doc.get("_metadata") or {}).get("major_version", 1)
    validator = Draft7Validator(versions["2.0.0" if major == 2 else "1.0.0"], registry=registry)
    return [
        f"app.yaml {'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message[:300]}"
        for e in sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))
    ]


def consistency_errors(doc: dict[str, Any]) -> list[str]:
    """Every manifest command has a handler and vice versa; events have their scopes."""
    problems: list[str] = []
    features = doc.get("features") or {}
    declared = {c.get("command"): c for c in features.get("slash_commands") or []}
    handled = {name for name, _usage, _what in commands()}
    for name in sorted(set(declared) - handled):
        problems.append(f"app.yaml declares {name} but no handler answers it")
    for name in sorted(handled - set(declared)):
        problems.append(f"{name} has a handler but is missing from app.yaml features.slash_commands")
    for name, spec in declared.items():
        if not spec.get("usage_hint"):
            problems.append(f"app.yaml {name} has no usage_hint")
    shortcuts = {s.get("callback_id") for s in features.get("shortcuts") or []}
    for name in sorted(set(SHORTCUTS) - shortcuts):
        problems.append(f"the {name} shortcut has a handler but is missing from app.yaml features.shortcuts")
    for name in sorted(shortcuts - set(SHORTCUTS)):
        problems.append(f"app.yaml declares the {name} shortcut but no handler answers it")
    if not (features.get("app_home") or {}).get("home_tab_enabled"):
        problems.append("app.yaml must enable the Home tab (features.app_home.home_tab_enabled)")
    settings = doc.get("settings") or {}
    events = (settings.get("event_subscriptions") or {}).get("bot_events") or []
    scopes = set(((doc.get("oauth_config") or {}).get("scopes") or {}).get("bot") or [])
    for event in events:
        needed = EVENTS.get(event)
        if needed and needed not in scopes:
            problems.append(f"app.yaml subscribes to {event} but lacks the {needed} bot scope")
    if not (settings.get("interactivity") or {}).get("is_enabled"):
        problems.append("app.yaml must enable interactivity (the app has buttons)")
    if "commands" not in scopes:
        problems.append("app.yaml lacks the commands bot scope")
    return problems


def check_manifest(path: Path = MANIFEST) -> list[str]:
    try:
        doc = load_manifest(path)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        return [f"{path.name}: cannot be read ({exc})"]
    return schema_errors(doc) + consistency_errors(doc)
