"""Settings read once from the environment; a bad value fails fast naming the variable."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///commissioning-guide.db"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class SettingsError(ValueError):
    """A variable is missing or malformed; the message names it and says what to set."""


@dataclass(frozen=True)
class Settings:
    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_api_url: str = DEFAULT_SLACK_API_URL
    database_url: str = DEFAULT_DATABASE_URL
    knowledge_dir: Path | None = None
    port: int = 3000
    log_level: str = "INFO"
    log_format: str = "text"
    admin_user_ids: frozenset[str] = field(default_factory=frozenset)
    slack_client_id: str | None = None
    slack_client_secret: str | None = None
    slack_redirect_uri: str | None = None
    checklist_expiry_days: float = 7.0
    # A run left waiting this long gets one gentle reminder in its thread (none if it expires first).
    checklist_remind_days: float = 2.0
    # How long an answer worker holds a question before another may take it (it gives up at half of it).
    answer_lease_seconds: float = 60.0
    # The channel (id) where the weekly content digest and people's suggestions go; None: neither is sent.
    content_owner_channel: str | None = None
    # Its workspace: needed only with many workspaces (the install flow), where it also limits the digest to
    # that workspace's questions.
    content_owner_team: str | None = None
    # `python -m bot check` warns on entries whose last_reviewed is older than this.
    review_after_days: int = 365
    # The time zone scheduled tips' times are in.
    tips_timezone: str = "Europe/London"
    # How often each process looks for scheduled posts that are due.
    schedule_tick_seconds: float = 60.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        api_url = get("SLACK_API_URL") or DEFAULT_SLACK_API_URL
        if not api_url.startswith(("http://", "https://")):
            raise SettingsError(
                f"SLACK_API_URL must be an http(s) URL such as {DEFAULT_SLACK_API_URL}, not {api_url!r}"
            )
        if not api_url.endswith("/"):
            api_url += "/"  # slack_sdk joins method names onto it

        bot_token = get("SLACK_BOT_TOKEN")
        if bot_token and not bot_token.startswith("xoxb-"):
            raise SettingsError(
                "SLACK_BOT_TOKEN must be a bot token starting with xoxb- (OAuth & Permissions page)"
            )
        app_token = get("SLACK_APP_TOKEN")
        if app_token and not app_token.startswith("xapp-"):
            raise SettingsError(
                "SLACK_APP_TOKEN must be an app-level token starting with xapp- (Basic Information page)"
            )

        log_level = (get("LOG_LEVEL") or "INFO").upper()
        if log_level not in LOG_LEVELS:
            raise SettingsError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {log_level!r}")
        log_format = (get("LOG_FORMAT") or "text").lower()
        if log_format not in ("text", "json"):
            raise SettingsError(f"LOG_FORMAT must be text or json, not {log_format!r}")

        client_id, client_secret = get("SLACK_CLIENT_ID"), get("SLACK_CLIENT_SECRET")
        if bool(client_id) != bool(client_secret):
            missing = "SLACK_CLIENT_SECRET" if client_id else "SLACK_CLIENT_ID"
            raise SettingsError(
                f"{missing} must be set too: the install flow needs both (Basic Information page)"
            )

        knowledge = get("KNOWLEDGE_DIR")
        if knowledge and not Path(knowledge).is_dir():
            raise SettingsError(
                f"KNOWLEDGE_DIR={knowledge!r} is not a folder; point it at a folder of YAML files"
            )

        owner_channel, owner_team = get("CONTENT_OWNER_CHANNEL"), get("CONTENT_OWNER_TEAM")
        if owner_channel and not re.fullmatch(r"[CG][A-Z0-9]{6,}", owner_channel):
            raise SettingsError(
                f"CONTENT_OWNER_CHANNEL must be a channel id such as C0123ABCD (in Slack: the channel's name > "
                f"About > Channel ID), not {owner_channel!r}"
            )
        if owner_channel and client_id and not owner_team:
            raise SettingsError(
                "CONTENT_OWNER_TEAM must be set too with many workspaces: the id (T...) of the workspace that "
                "CONTENT_OWNER_CHANNEL is in"
            )
        zone = get("TIPS_TIMEZONE") or "Europe/London"
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise SettingsError(
                f"TIPS_TIMEZONE must be a time zone such as Europe/London, not {zone!r}"
            ) from None

        return cls(
            content_owner_channel=owner_channel,
            content_owner_team=owner_team,
            review_after_days=_int(get("REVIEW_AFTER_DAYS"), "REVIEW_AFTER_DAYS", 365, 1, 36500),
            tips_timezone=zone,
            schedule_tick_seconds=_float(
                get("SCHEDULE_TICK_SECONDS"), "SCHEDULE_TICK_SECONDS", 60.0, low=0.05, high=3600.0
            ),
            slack_bot_token=bot_token,
            slack_signing_secret=get("SLACK_SIGNING_SECRET"),
            slack_app_token=app_token,
            slack_api_url=api_url,
            database_url=normalise_database_url(get("DATABASE_URL") or DEFAULT_DATABASE_URL),
            knowledge_dir=Path(knowledge) if knowledge else None,
            port=_int(get("PORT"), "PORT", 3000, 1, 65535),
            log_level=log_level,
            log_format=log_format,
            admin_user_ids=frozenset(
                u for u in (get("ADMIN_USER_IDS") or "").replace(" ", ",").split(",") if u
            ),
            checklist_expiry_days=_float(get("CHECKLIST_EXPIRY_DAYS"), "CHECKLIST_EXPIRY_DAYS", 7.0),
            checklist_remind_days=_float(get("CHECKLIST_REMIND_DAYS"), "CHECKLIST_REMIND_DAYS", 2.0),
            answer_lease_seconds=_float(
                get("ANSWER_LEASE_SECONDS"), "ANSWER_LEASE_SECONDS", 60.0, low=2.0, high=3600.0
            ),
            slack_client_id=client_id,
            slack_client_secret=client_secret,
            slack_redirect_uri=get("SLACK_REDIRECT_URI"),
        )

    @property
    def oauth(self) -> bool:
        """Many workspaces: installed through /slack/install, a token per workspace."""
        return bool(self.slack_client_id and self.slack_client_secret)

    @property
    def has_slack(self) -> bool:
        return bool(self.slack_bot_token) or self.oauth

    def require_http(self) -> None:
        if self.oauth:
            if not self.slack_signing_secret:
                raise SettingsError("HTTP mode needs SLACK_SIGNING_SECRET set (Basic Information page)")
            return
        missing = [
            n
            for n, v in (
                ("SLACK_BOT_TOKEN", self.slack_bot_token),
                ("SLACK_SIGNING_SECRET", self.slack_signing_secret),
            )
            if not v
        ]
        if missing:
            raise SettingsError(
                f"HTTP mode needs {' and '.join(missing)} set (from the Slack app's settings pages)"
            )

    def require_worker(self) -> None:
        if not self.has_slack:
            raise SettingsError(
                "The answer worker needs SLACK_BOT_TOKEN set (or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET "
                "for many workspaces), and the same DATABASE_URL as the web side"
            )

    def require_socket(self) -> None:
        if not self.slack_bot_token:
            raise SettingsError("Socket Mode needs SLACK_BOT_TOKEN set (xoxb-..., OAuth & Permissions page)")
        if not self.slack_app_token:
            raise SettingsError(
                "Socket Mode needs SLACK_APP_TOKEN set (xapp-..., Basic Information > App-Level Tokens)"
            )


def normalise_database_url(url: str) -> str:
    """Accept the usual spellings and pick the async driver: postgres:// -> postgresql+asyncpg://."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url.removeprefix(prefix)
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url.removeprefix("sqlite:///")
    if url.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
        return url
    raise SettingsError(
        f"DATABASE_URL must be a sqlite:/// or postgresql:// URL, not {url.split(':', 1)[0]!r}"
    )


def _int(value: str | None, name: str, default: int, low: int, high: int) -> int:
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {value!r}") from None
    if not low <= number <= high:
        raise SettingsError(f"{name} must be between {low} and {high}, not {number}")
    return number


def _float(
    value: str | None, name: str, default: float, *, low: float = 0.0, high: float = math.inf
) -> float:
    if value is None:
        return default
    try:
        number = float(value)
    except ValueError:
        raise SettingsError(f"{name} must be a number, not {value!r}") from None
    if not math.isfinite(number) or number <= 0:
        raise SettingsError(f"{name} must be a number more than 0, not {value}")
    if not low <= number <= high:
        raise SettingsError(f"{name} must be between {low:g} and {high:g}, not {value}")
    return number
