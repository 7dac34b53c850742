"""Settings: read once from the environment, failing fast with the variable named."""

from __future__ import annotations

import pytest

from services.settings import DEFAULT_SLACK_API_URL, Settings, SettingsError


def test_defaults_run_the_console_on_sqlite() -> None:
    settings = Settings.from_env({})
    assert not settings.has_slack
    assert settings.slack_api_url == DEFAULT_SLACK_API_URL
    assert settings.database_url.startswith("sqlite+aiosqlite:///")
    assert settings.port == 3000


def test_govslack_and_local_api_urls_are_honoured() -> None:
    assert (
        Settings.from_env({"SLACK_API_URL": "https://slack-gov.com/api/"}).slack_api_url
        == "https://slack-gov.com/api/"
    )
    assert (
        Settings.from_env({"SLACK_API_URL": "http://127.0.0.1:9/api"}).slack_api_url
        == "http://127.0.0.1:9/api/"
    )


def test_postgres_urls_get_the_async_driver() -> None:
    settings = Settings.from_env({"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/guide"})
    assert settings.database_url == "postgresql+asyncpg://postgres@127.0.0.1:5432/guide"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"PORT": "eighty"}, "PORT must be a whole number"),
        ({"PORT": "70000"}, "PORT must be between 1 and 65535"),
        ({"SLACK_BOT_TOKEN": "xoxp-user-token"}, "SLACK_BOT_TOKEN must be a bot token starting with xoxb-"),
        ({"SLACK_APP_TOKEN": "xoxb-wrong"}, "SLACK_APP_TOKEN must be an app-level token"),
        ({"SLACK_API_URL": "slack.com/api"}, "SLACK_API_URL must be an http(s) URL"),
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL must be a sqlite:/// or postgresql:// URL"),
        ({"LOG_LEVEL": "chatty"}, "LOG_LEVEL must be one of"),
        ({"KNOWLEDGE_DIR": "/no/such/folder"}, "KNOWLEDGE_DIR='/no/such/folder' is not a folder"),
    ],
)
def test_bad_values_name_the_variable(env: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError, match=named.replace("(", r"\(").replace(")", r"\)")):
        Settings.from_env(env)


def test_modes_say_which_variable_is_missing() -> None:
    with pytest.raises(SettingsError, match="HTTP mode needs SLACK_SIGNING_SECRET"):
        Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-1"}).require_http()
    with pytest.raises(SettingsError, match="Socket Mode needs SLACK_APP_TOKEN"):
        Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-1"}).require_socket()


def test_content_owner_and_tip_settings_are_checked() -> None:
    settings = Settings.from_env({"CONTENT_OWNER_CHANNEL": "C0123ABCD", "TIPS_TIMEZONE": "Europe/Dublin"})
    assert settings.content_owner_channel == "C0123ABCD" and settings.tips_timezone == "Europe/Dublin"
    assert settings.review_after_days == 365 and settings.schedule_tick_seconds == 60.0
    with pytest.raises(SettingsError, match="CONTENT_OWNER_CHANNEL must be a channel id"):
        Settings.from_env({"CONTENT_OWNER_CHANNEL": "#content-owners"})
    with pytest.raises(SettingsError, match="TIPS_TIMEZONE must be a time zone"):
        Settings.from_env({"TIPS_TIMEZONE": "Mars/Olympus"})
    with pytest.raises(SettingsError, match="CONTENT_OWNER_TEAM must be set too"):
        Settings.from_env(
            {"CONTENT_OWNER_CHANNEL": "C0123ABCD", "SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "s"}
        )
    with pytest.raises(SettingsError, match="REVIEW_AFTER_DAYS must be a whole number"):
        Settings.from_env({"REVIEW_AFTER_DAYS": "a year"})
