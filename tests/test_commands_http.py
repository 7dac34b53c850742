"""Slash commands end to end: signed requests to the real app over HTTP, replies as Slack shows them."""

from __future__ import annotations

import asyncio
import itertools
import json

from tests.slack import CHANNEL, SERVICES_WITH_STANDARDS, USER, RunningApp, button

SOURCE_PAGE_5 = "5 - Commissioning Principles"
SOURCE_PAGE_7 = "7 - Standards And Structures"
FRAMEWORK = "East Midlands Regional Framework to Support Commissioning"


async def test_principle_9_is_quoted_exactly_with_its_source(app: RunningApp) -> None:
    response, _ = await app.command("/principle", "9")
    assert response.status == 200
    reply = response.json
    assert reply["response_type"] == "ephemeral"
    shown = response.shown
    assert "Principle 9: Spend money wisely" in shown
    assert (
        "Spend money wisely to secure effective and efficient services, decommissioning services where necessary."
        in shown
    )
    assert FRAMEWORK in shown and SOURCE_PAGE_5 in shown
    assert reply["text"].startswith("Principle 9: Spend money wisely")  # the plain-text fallback
    assert button(reply, "Share in channel")["value"] == "principle-9"


async def test_principle_accepts_number_words_and_ordinals(app: RunningApp) -> None:
    for text in ("nine", "ninth", "9th", " 9 "):
        response, _ = await app.command("/principle", text)
        assert "Principle 9: Spend money wisely" in response.shown, text


async def test_principle_alone_lists_all_ten_and_says_the_overarching_principle_is_not_available(
    app: RunningApp,
) -> None:
    response, _ = await app.command("/principle")
    shown = response.shown
    assert "The ten commissioning principles" in shown
    for number, start in [
        (1, "Put the needs of children"),
        (5, "Ensure that people have the right skills"),
        (10, "Use open and transparent processes"),
    ]:
        assert f"*{number}.* {start}" in shown
    assert "At the simplest level there is one over-arching principle." in shown
    assert "its text is not in the available copy of the page" in shown


async def test_principle_by_word_finds_the_matching_principles(app: RunningApp) -> None:
    response, _ = await app.command("/principle", "partnership")
    shown = response.shown
    assert "Work in partnership to maximise effectiveness" in shown
    assert "Principle 1:" not in shown


async def test_unknown_principle_gets_a_friendly_answer_saying_what_works(app: RunningApp) -> None:
    response, _ = await app.command("/principle", "11")
    assert response.status == 200
    assert "There is no principle 11: there are 10." in response.shown
    assert "/principle 1" in response.shown
    response, _ = await app.command("/principle", "banana")
    assert "No principle matches “banana”" in response.shown
    assert "partnership" in response.shown


async def test_user_text_echoed_back_is_escaped(app: RunningApp) -> None:
    response, _ = await app.command("/principle", "<!channel> banana <@U123|boss> & co")
    shown = response.shown
    assert "<!channel>" not in shown and "<@U123" not in shown
    assert "&lt;!channel&gt;" in shown


async def test_nos_shows_key_purpose_and_four_functions(app: RunningApp) -> None:
    response, _ = await app.command("/nos")
    shown = response.shown
    assert "These standards are based upon one key purpose and four functions:" in shown
    assert "“direct, shape and secure services, responses and projects" in shown
    for start in (
        "Engage individuals, families",
        "Design, develop and deliver sustainable strategies",
        "Ensure that all strategies",
        "Establish a culture that promotes good practice",
    ):
        assert start in shown
    assert SOURCE_PAGE_7 in shown
    response, _ = await app.command("/nos", "3")
    assert "NOS function 3: Legal, ethical and regulatory requirements" in response.shown
    response, _ = await app.command("/nos", "7")
    assert "There is no NOS function 7: there are 4." in response.shown


async def test_standards_shows_the_five_services_and_narrows(app: RunningApp) -> None:
    response, _ = await app.command("/standards")
    shown = response.shown
    assert (
        "The quality of commissioned services is most commonly measured against national minimum standards."
        in shown
    )
    for service in SERVICES_WITH_STANDARDS:
        assert service in shown
    response, _ = await app.command("/standards", "fostering")
    assert "Fostering services" in response.shown
    assert "Boarding schools" not in response.shown


async def test_didyouknow_never_repeats_in_a_row_in_a_channel_and_narrows(app: RunningApp) -> None:
    seen = []
    for _ in range(12):
        response, _ = await app.command("/didyouknow")
        seen.append(response.json["blocks"][0]["text"]["text"])
        assert "Did you know?" in seen[-1]
    assert all(a != b for a, b in itertools.pairwise(seen))
    response, _ = await app.command("/didyouknow", "nos")
    assert "Did you know?" in response.shown
    nos_facts = ("Skills for Care and Development", "CPC 301", "July 2008")
    assert any(fact in response.shown for fact in nos_facts)
    response, _ = await app.command("/didyouknow", "quantum physics")
    assert "I have no facts about “quantum physics”" in response.shown


async def test_commissioning_help_explains_every_command(app: RunningApp) -> None:
    for text in ("", "help"):
        response, _ = await app.command("/commissioning", text)
        shown = response.shown
        for command in ("/principle", "/nos", "/standards", "/didyouknow", "/commissioning"):
            assert command in shown
        assert "direct message" in shown


async def test_share_in_channel_posts_the_card_publicly_naming_who_shared_it(app: RunningApp) -> None:
    response, _ = await app.command("/principle", "9")
    share = button(response.json, "Share in channel")
    clicked, key = await app.click(share, is_ephemeral=True)
    assert clicked.status == 200
    posted = await app.fake.wait_for(
        lambda c: c.method == key and c.payload.get("response_type") == "in_channel"
    )
    card = posted[0]
    assert "Spend money wisely to secure effective and efficient services" in card.text
    assert f"Shared by <@{USER}>" in card.text
    assert "Share in channel" not in card.text  # no share button on the public card
    await app.fake.wait_for(lambda c: c.method == key and c.payload.get("delete_original") is True)


async def test_share_of_content_that_no_longer_exists_says_so(app: RunningApp) -> None:
    stale = {
        "action_id": "share_card",
        "value": "principle-99",
        "text": {"type": "plain_text", "text": "Share"},
    }
    await app.click(stale)
    replies = await app.fake.wait_for(lambda c: c.kind == "response")
    assert "Run the command again" in replies[0].text
    assert not app.fake.api_calls("chat.postMessage")


async def test_an_unknown_command_gets_a_private_pointer_to_help(app: RunningApp) -> None:
    response, _ = await app.command("/weather", "leicester")
    assert response.status == 200
    assert "I don't have a /weather command. Type `/commissioning help` to see mine." in response.shown
    assert app.fake.api_calls("chat.postMessage") == []


async def test_every_reply_fits_slack_limits(app: RunningApp) -> None:
    for command, text in [("/principle", ""), ("/nos", ""), ("/standards", ""), ("/commissioning", "help")]:
        response, _ = await app.command(command, text)
        for block in response.json["blocks"]:
            if block["type"] == "section":
                assert len(block["text"]["text"]) <= 3000
        assert len(json.dumps(response.json["blocks"])) < 50_000
        assert len(response.json["blocks"]) <= 50


async def test_channel_is_where_the_command_came_from(app: RunningApp) -> None:
    response, _ = await app.command("/didyouknow", channel="C0OTHER")
    assert response.status == 200
    assert CHANNEL != "C0OTHER"


async def test_a_double_click_on_share_shares_once(app: RunningApp) -> None:
    response, _ = await app.command("/principle", "9")
    share = button(response.json, "Share in channel")
    await asyncio.gather(
        app.click(share, message_ts="1700000000.000300"), app.click(share, message_ts="1700000000.000300")
    )
    await app.fake.wait_for(lambda c: c.payload.get("response_type") == "in_channel")
    await asyncio.sleep(0.3)
    assert len([c for c in app.fake.responses() if c.payload.get("response_type") == "in_channel"]) == 1


async def test_numbers_that_are_not_whole_numbers_are_explained(app: RunningApp) -> None:
    for text in ("-1", "3.5"):
        response, _ = await app.command("/principle", text)
        assert f"“{text}” is not a principle number: they are numbered 1 to 10." in response.shown


async def test_very_long_input_is_not_echoed_back_whole(app: RunningApp) -> None:
    response, _ = await app.command("/principle", "x" * 5000)
    assert response.status == 200
    assert "x" * 100 not in response.shown and "…" in response.shown
