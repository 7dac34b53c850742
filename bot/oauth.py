"""One deployment for many workspaces: Slack's OAuth install flow, installations kept in the app's database.

On when SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are set. Each workspace that installs the app at /slack/install
gets its own bot token, kept by slack_sdk's async SQLAlchemy installation store; Bolt looks up the right token
for every request, so each workspace is served with its own token.
"""

from __future__ import annotations

from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.settings import Settings

# The bot scopes the app asks for when installed: the same list as app.yaml (a test keeps them equal).
BOT_SCOPES = (
    "app_mentions:read",
    "channels:history",
    "chat:write",
    "commands",
    "files:write",
    "groups:history",
    "im:history",
    "users:read",
)
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
STATE_LIFETIME_SECONDS = 600


def authorization_url(api_url: str) -> str:
    """Where people approve the install: beside the Web API, so GovSlack and local stand-ins work too."""
    return api_url.rstrip("/").removesuffix("/api") + "/oauth/v2/authorize"


def oauth_settings(settings: Settings, engine: AsyncEngine) -> AsyncOAuthSettings:
    assert settings.slack_client_id and settings.slack_client_secret
    return AsyncOAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        scopes=list(BOT_SCOPES),
        installation_store=AsyncSQLAlchemyInstallationStore(
            client_id=settings.slack_client_id, engine=engine
        ),
        state_store=AsyncSQLAlchemyOAuthStateStore(expiration_seconds=STATE_LIFETIME_SECONDS, engine=engine),
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        redirect_uri=settings.slack_redirect_uri,
        authorization_url=authorization_url(settings.slack_api_url),
    )


async def create_oauth_tables(settings: Settings, engine: AsyncEngine) -> None:
    """The installation and OAuth state tables, beside the app's own (safe to run on every start)."""
    found = oauth_settings(settings, engine)
    await found.installation_store.create_tables()  # type: ignore[attr-defined]
    await found.state_store.create_tables()  # type: ignore[attr-defined]
