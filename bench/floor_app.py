"""The floor for any Bolt app on this machine: acks /principle with fixed text and app_mention with nothing.

Run by bench/load.py: python bench/floor_app.py PORT (with SLACK_SIGNING_SECRET, SLACK_BOT_TOKEN, SLACK_API_URL).
"""

from __future__ import annotations

import os
import sys
from typing import Any

from aiohttp import web
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient


def main() -> None:
    client = AsyncWebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"])
    app = AsyncApp(client=client, signing_secret=os.environ["SLACK_SIGNING_SECRET"])

    @app.command("/principle")
    async def principle(ack: AsyncAck) -> None:
        await ack(text="Principle 9: Spend money wisely to secure effective and efficient services.")

    @app.event("app_mention")
    async def mention(event: dict[str, Any]) -> None:
        return None

    web.run_app(app.web_app(path="/slack/events"), host="127.0.0.1", port=int(sys.argv[1]), print=None)


if __name__ == "__main__":
    main()
