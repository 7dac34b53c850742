"""Content is the team's to change: an entry a team adds to its KNOWLEDGE_DIR is found by the questions people
ask about it, shown with its own source, and needs no retraining and no code change (issue 13)."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.fakeslack import BOT_USER_ID, FakeSlack
from bot.payloads import message_event
from knowledge.loader import DEFAULT_DIR, load_knowledge
from tests.slack import CHANNEL, TEAM, USER, RunningApp, new_ts, start_app

ROOT = Path(__file__).resolve().parent.parent

# Written as a content owner would: no aliases, no keywords, the team's own source
LOCAL = """source: {framework: Northshire County Council, page: Commissioning in Northshire}
entries:
  - id: ns-family-hubs
    kind: fact
    title: Northshire's family hubs
    text: >-
      Northshire runs seven family hubs, one in each district, offering midwifery clinics, health visiting,
      parenting courses and SEND advice for families with children from pregnancy to 19 (25 with SEND).
    owner: Early help commissioning team
    source:
      framework: Northshire County Council
      page: Family hubs
      url: https://northshire.example/family-hubs
  - id: ns-principle-11
    kind: principle
    number: 11
    title: Social value in every contract
    text: >-
      Every contract Northshire commissions must say what social value it will deliver for Northshire
      residents.
    source:
      framework: Northshire County Council
      page: Northshire local principles
  - id: ns-commissioning-forum
    kind: fact
    title: Northshire's commissioning forum
    text: >-
      Commissioners meet providers at the Northshire provider forum every quarter, in March, June, September and
      December, at County Hall and online. Any provider or charity working with children and families can
      come; items for the agenda go to the commissioning team two weeks before.
    source:
      framework: Northshire County Council
      page: Provider forum
  - id: ns-gloss-lead-provider
    kind: glossary
    title: Lead provider (definition)
    text: >-
      A lead provider holds the contract with the council and subcontracts parts of the service to other
      organisations, staying accountable for the quality of the whole.
    source:
      framework: Northshire County Council
      page: Commissioning glossary
"""


@pytest.fixture
def local_content(tmp_path: Path) -> Path:
    folder = tmp_path / "knowledge"
    shutil.copytree(
        DEFAULT_DIR, folder, ignore=shutil.ignore_patterns("*.py", "*.json", "*.txt", "__pycache__")
    )
    (folder / "northshire.yaml").write_text(LOCAL, encoding="utf-8")
    return folder


@pytest.fixture
async def local_app(fake_slack: FakeSlack, sqlite_url: str, local_content: Path) -> AsyncIterator[RunningApp]:
    running = await start_app(fake_slack, sqlite_url, knowledge_dir=local_content)
    yield running
    await running.stop()


def mention(text: str) -> dict[str, object]:
    return message_event(
        f"<@{BOT_USER_ID}> {text}", channel=CHANNEL, user=USER, ts=new_ts(), team_id=TEAM, mention=True
    )


async def test_a_new_local_entry_is_found_and_shown_with_its_own_source(local_app: RunningApp) -> None:
    await local_app.event(mention("how many family hubs have we got and what do they offer?"))
    [posted] = await local_app.fake.wait_for(lambda c: c.method == "chat.postMessage")
    assert "Northshire runs seven family hubs" in posted.text
    assert "Northshire County Council" in posted.text and "Family hubs" in posted.text
    assert "East Midlands" not in posted.text  # a local entry is never attributed to the framework's pages


async def test_a_local_entry_is_found_by_its_own_words_over_a_framework_entry_with_them_as_aliases(
    local_app: RunningApp,
) -> None:
    """Principle 7's aliases say "provider forum"; the team's forum entry says it only in its text, as a team
    writes. The question is about the team's forum, and the card is the team's, with its source."""
    await local_app.event(mention("how often does the provider forum meet? is it online too?"))
    [posted] = await local_app.fake.wait_for(lambda c: c.method == "chat.postMessage")
    assert "every quarter, in March, June, September and" in posted.text
    assert "Provider forum" in posted.text and "Northshire County Council" in posted.text
    assert "Provide timely information" not in posted.text


@pytest.mark.xfail(
    strict=True,
    reason="known miss: the judge has learned from the framework's sets that 'when's the next ...' asks about "
    "something the content does not hold (a meeting, a committee), and declines it even of a team's forum",
)
async def test_when_is_the_next_meeting_of_a_teams_forum(local_app: RunningApp) -> None:
    await local_app.event(mention("when's the next provider forum?"))
    [posted] = await local_app.fake.wait_for(lambda c: c.method == "chat.postMessage")
    assert "every quarter, in March, June, September and" in posted.text


async def test_a_local_definition_is_found_by_its_name(local_app: RunningApp) -> None:
    response, _ = await local_app.command("/commissioning", "what's a lead provider?")
    assert "subcontracts parts of the service" in response.shown
    assert "Commissioning glossary" in response.shown and "East Midlands" not in response.shown


async def test_the_list_of_principles_shows_each_members_source(local_app: RunningApp) -> None:
    response, _ = await local_app.command("/principle", "")
    shown = response.shown
    assert "Every contract Northshire commissions must say what social value" in shown
    assert "5 - Commissioning Principles" in shown  # the framework's ten, with their source
    assert "Source of Principle 11: Social value in every contract: Northshire County Council" in shown
    single, _ = await local_app.command("/principle", "11")
    assert "Northshire local principles" in single.shown and "East Midlands" not in single.shown


def test_a_teams_own_content_needs_no_retraining(
    local_content: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        kb = load_knowledge(local_content)
    assert "retrain" not in caplog.text
    assert kb.get("ns-family-hubs") is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL"))}
    checked = subprocess.run(
        [sys.executable, "-m", "bot", "check"],
        env={**env, "KNOWLEDGE_DIR": str(local_content)},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "56 entries" in checked.stdout and "retrain" not in checked.stdout


async def test_a_question_about_several_principles_shows_each(local_app: RunningApp) -> None:
    await local_app.event(mention("what's the difference between principle 8 and 9?"))
    [posted] = await local_app.fake.wait_for(lambda c: c.method == "chat.postMessage")
    assert "Continuously evaluate current and developing services" in posted.text
    assert "Spend money wisely to secure effective and efficient services" in posted.text
    await local_app.event(mention("principles 1 to 3 please"))
    posted = (await local_app.fake.wait_for(lambda c: c.method == "chat.postMessage", count=2))[-1]
    for words in ("Put the needs of children", "Provide leadership", "Provide preventative services"):
        assert words in posted.text


async def test_a_question_about_several_entries_by_their_topics_shows_each(local_app: RunningApp) -> None:
    """Named by what they are about, not their numbers: every part answered, on one card, in the order asked."""
    await local_app.event(mention("what's the difference between procurement and contracting?"))
    [posted] = await local_app.fake.wait_for(lambda c: c.method == "chat.postMessage")
    shown = posted.text
    assert "Procurement (definition)" in shown and "Contracting (definition)" in shown
    assert shown.index("Procurement (definition)") < shown.index("Contracting (definition)")
    await local_app.event(mention("prevention principle vs the long term view one - what does each say?"))
    posted = (await local_app.fake.wait_for(lambda c: c.method == "chat.postMessage", count=2))[-1]
    assert (
        "Provide preventative services" in posted.text
        and "Principle 6: A long-term view of needs" in posted.text
    )
    # one subject asked two things of: one card, not a second entry for "why was it set up"
    await local_app.event(mention("who coordinated the regional framework, and why was it set up?"))
    posted = (await local_app.fake.wait_for(lambda c: c.method == "chat.postMessage", count=3))[-1]
    assert "The first regional commissioning framework" in posted.text
    assert "How the NOS are structured" not in posted.text


async def test_a_comparison_across_sources_says_which_source_is_whose(local_app: RunningApp) -> None:
    response, _ = await local_app.command("/commissioning", "principles 9 and 11")
    shown = response.shown
    assert "Spend money wisely to secure effective and efficient services" in shown
    assert "Every contract Northshire commissions must say what social value" in shown
    assert "Source of Principle 9: Spend money wisely: East Midlands Regional Framework" in shown
    assert "Source of Principle 11: Social value in every contract: Northshire County Council" in shown


async def test_a_reference_to_an_entry_that_is_not_there_is_said_beside_the_ones_that_are(
    local_app: RunningApp,
) -> None:
    response, _ = await local_app.command("/commissioning", "compare principle 2 with principle 99")
    assert "There is no principle 99: there are 11." in response.shown
    assert "Provide leadership for commissioning at the highest level" in response.shown


async def test_a_command_takes_several_numbers(local_app: RunningApp) -> None:
    both, _ = await local_app.command("/principle", "3 and 7")
    assert "Provide preventative services" in both.shown and "Provide timely information" in both.shown
    some, _ = await local_app.command("/nos", "2, 4")
    assert (
        "NOS function 2" in some.shown
        and "NOS function 4" in some.shown
        and "NOS function 3" not in some.shown
    )
    wrong, _ = await local_app.command("/principle", "3 and 70")
    assert "There is no principle 70: there are 11." in wrong.shown and "Traceback" not in wrong.shown


async def test_a_question_naming_more_entries_than_a_message_holds_gets_the_first_ten(
    local_app: RunningApp,
) -> None:
    """Slack refuses a message of more than 50 blocks (the stand-in does too): a card quotes ten at most."""
    await local_app.event(mention("compare principles 1 to 11 with nos functions 1 to 4"))
    [posted] = await local_app.fake.wait_for(lambda c: c.method == "chat.postMessage")
    assert "You asked about 15: here are the first 10." in posted.text
    assert "Provide preventative services" in posted.text and "NOS function 1" not in posted.text
    assert len(posted.payload["blocks"]) <= 50


async def test_numbered_questions_are_each_answered_with_their_own_source(local_app: RunningApp) -> None:
    """ "Q1: ... Q2: ...": one question in each, answered together on one card, the framework's and the team's
    each with its own source."""
    await local_app.event(
        mention("Q1: which principle is about prevention? Q2: how often does the provider forum meet?")
    )
    [posted] = await local_app.fake.wait_for(lambda c: c.method == "chat.postMessage")
    assert "Provide preventative services" in posted.text
    assert "every quarter, in March, June, September and" in posted.text
    assert "5 - Commissioning Principles" in posted.text and "Northshire County Council" in posted.text
    assert posted.text.index("Provide preventative services") < posted.text.index("every quarter")


async def test_a_decline_says_the_team_content_is_searched_too(local_app: RunningApp) -> None:
    """With a team's folder added, the decline card does not claim the app answers only from the framework."""
    await local_app.event(mention("what's the wifi password for the council chamber?"))
    [posted] = await local_app.fake.wait_for(lambda c: c.method == "chat.postMessage")
    assert (
        "I can only answer from the East Midlands commissioning framework and Northshire County Council’s own "
        "content, and “what's the wifi password for the council chamber?” is outside what it covers"
    ) in posted.text
