"""One deployment for many workspaces: Slack's OAuth install flow, installations kept in the app's database.

On when SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are set. Each workspace that installs the app at /slack/install
gets its own bot token, kept by slack_sdk's async SQLAlchemy installation store; Bolt looks up the right token
for every request, so each workspace is served with its own token.
"""

from __future__ import annotations

from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth.installation_store.async_cacheable_installation_store import (
    AsyncCacheableInstallationStore,
)
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from sqlalchemy.ext.asyncio import AsyncEngine

from services.settings import Settings

# The bot scopes the app asks for when installed: the same list as app.yaml (a test keeps them equal).
BOT_SCOPES = (
    "app_mentions:read",
    "channels:history",
    "channels:read",
    "chat:write",
    "commands",
    "files:write",
    "groups:history",
    "groups:read",
    "im:history",
    "users:read",
)
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
STATE_LIFETIME_SECONDS = 600


def authorization_url(api_url: str) -> str:
    """Where people approve the install: beside the Web API, so GovSlack and local stand-ins work too."""
    return api_url.rstrip("/").removesuffix("/api") + "/oauth/v2/authorize"


class BotInstallations(AsyncCacheableInstallationStore):
    """Installations cached in memory once found (slack_sdk's cache), and no look-up per person: the app asks
    for bot scopes only, so nobody has an installation of their own, and Bolt's search for one on every
    request would be a database query for nothing (and fail while the database is away)."""

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        if user_id is not None:
            return None
        return await super().async_find_installation(
            enterprise_id=enterprise_id, team_id=team_id, is_enterprise_install=is_enterprise_install
        )


def oauth_settings(settings: Settings, engine: AsyncEngine) -> AsyncOAuthSettings:
    assert settings.slack_client_id and settings.slack_client_secret
    return AsyncOAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        scopes=list(BOT_SCOPES),
        # Cached in memory once found: a workspace already served keeps being served (and its questions
        # held) while the database is away, instead of every request failing at Bolt's authorization.
        installation_store=BotInstallations(
            AsyncSQLAlchemyInstallationStore(client_id=settings.slack_client_id, engine=engine)
        ),
        state_store=AsyncSQLAlchemyOAuthStateStore(expiration_seconds=STATE_LIFETIME_SECONDS, engine=engine),
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        redirect_uri=settings.slack_redirect_uri,
        authorization_url=authorization_url(settings.slack_api_url),
    )


async def create_oauth_tables(settings: Settings, engine: AsyncEngine) -> None:
    """The installation and OAuth state tables, beside the app's own (safe to run on every start)."""
    assert settings.slack_client_id
    installations = AsyncSQLAlchemyInstallationStore(client_id=settings.slack_client_id, engine=engine)
    states = AsyncSQLAlchemyOAuthStateStore(expiration_seconds=STATE_LIFETIME_SECONDS, engine=engine)
    await installations.create_tables()  # type: ignore[no-untyped-call]
    await states.create_tables()  # type: ignore[no-untyped-call]
