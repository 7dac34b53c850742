"""Forged, stale and malformed requests are refused; operators' endpoints answer."""

from __future__ import annotations

import time

import pytest

from bot import payloads
from tests.slack import TEAM, RunningApp


@pytest.fixture
def app(http_app: RunningApp) -> RunningApp:
    """These scenarios are about HTTP itself (signatures, status codes, operator endpoints)."""
    return http_app


async def test_forged_signature_is_refused(app: RunningApp) -> None:
    body = payloads.slash_command(
        "/principle",
        "9",
        team_id=TEAM,
        channel_id="C1",
        user_id="U1",
        response_url=app.fake.response_url("x"),
    )
    headers = payloads.signed_headers("not-the-secret", body, payloads.FORM)
    response = await app.post(body, headers)
    assert response.status == 401
    assert "Spend money wisely" not in response.text


async def test_stale_request_is_refused(app: RunningApp) -> None:
    body = payloads.slash_command(
        "/principle",
        "9",
        team_id=TEAM,
        channel_id="C1",
        user_id="U1",
        response_url=app.fake.response_url("x"),
    )
    response = await app.send(body, payloads.FORM, timestamp=int(time.time()) - 6 * 60)
    assert response.status == 401


async def test_unsigned_request_is_refused(app: RunningApp) -> None:
    response = await app.post("command=%2Fprinciple&text=9", {"Content-Type": payloads.FORM})
    assert response.status == 401


async def test_tampered_body_is_refused(app: RunningApp) -> None:
    body = payloads.slash_command(
        "/principle",
        "9",
        team_id=TEAM,
        channel_id="C1",
        user_id="U1",
        response_url=app.fake.response_url("x"),
    )
    headers = payloads.signed_headers(app.secret, body, payloads.FORM)
    response = await app.post(body.replace("text=9", "text=1"), headers)
    assert response.status == 401


async def test_wrong_content_type_gets_415(app: RunningApp) -> None:
    response = await app.send("hello", "text/plain")
    assert response.status == 415


async def test_health_and_readiness(app: RunningApp) -> None:
    async with app.session.get(app.server.make_url("/healthz")) as resp:
        assert resp.status == 200 and (await resp.json()) == {"status": "ok"}
    async with app.session.get(app.server.make_url("/readyz")) as resp:
        assert resp.status == 200
        assert (await resp.json()) == {
            "ready": True,
            "checks": {"knowledge": True, "database": True, "schema": True, "slack": True},
        }


async def test_url_verification_challenge_is_answered(app: RunningApp) -> None:
    import json

    body = json.dumps(
        {
            "token": "x",
            "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
            "type": "url_verification",
        }
    )
    response = await app.send(body, payloads.JSON)
    assert response.status == 200
    assert response.json == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}
