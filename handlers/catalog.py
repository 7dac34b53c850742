"""Every slash command the app has, with its usage hint: the help card and the manifest test read this."""

from __future__ import annotations

from handlers import didyouknow
from handlers.lookups import LOOKUP_COMMANDS

HELP_COMMAND = "/commissioning"
HELP_USAGE = "[question | help | suggest <text>]"
HELP_DESCRIPTION = (
    "ask a question in your own words, see this help, or `suggest` an edit to the content owners"
)

CHECKLIST_COMMAND = "/checklist"
CHECKLIST_USAGE = "[name | status]"
CHECKLIST_DESCRIPTION = "run a guided checklist with your team in a thread"


# Shortcuts (callback_id), as app.yaml must declare them.
SHORTCUTS = ("suggest_edit",)


def commands() -> list[tuple[str, str, str]]:
    """(command, usage hint, what it does), in the order the help card shows them."""
    return [
        *((name, usage, what) for name, _kind, usage, what in LOOKUP_COMMANDS),
        (didyouknow.COMMAND, didyouknow.USAGE, didyouknow.DESCRIPTION),
        (CHECKLIST_COMMAND, CHECKLIST_USAGE, CHECKLIST_DESCRIPTION),
        (HELP_COMMAND, HELP_USAGE, HELP_DESCRIPTION),
    ]
