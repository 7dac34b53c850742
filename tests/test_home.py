"""The App Home tab, end to end over HTTP and Socket Mode: what a person sees when they open it, and what its
menus and buttons do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bot.app import workspace_client
from bot.fakeslack import FakeSlack, _block_text
from handlers.home_blocks import BROWSE_ACTION, TIPS_ACTION, tip_of_the_day
from knowledge.base import KnowledgeBase
from tests.checklist_helpers import click_option, start, wait_steps
from tests.slack import TEAM, USER, RunningApp, start_oauth_app
from tests.test_install import install

TOKEN = "xoxb-test-token"


def words(view: dict[str, Any]) -> str:
    return "\n".join(_block_text(view.get("blocks")))


def element(view: dict[str, Any], action_id: str) -> tuple[dict[str, Any], str]:
    """The element with this action_id in a view, and its block's id."""
    for block in view["blocks"]:
        for candidate in [*(block.get("elements") or []), block.get("accessory") or {}]:
            if candidate.get("action_id") == action_id:
                return candidate, block.get("block_id", "")
    raise AssertionError(f"no {action_id} in the view")


async def home_of(app: RunningApp, user: str = USER, *, count: int = 1) -> dict[str, Any]:
    await app.fake.wait_for(
        lambda c: c.method == "views.publish" and c.payload.get("user_id") == user, count=count
    )
    return app.fake.published[(TOKEN, user)]


async def test_opening_home_shows_tip_of_the_day_browsing_checklists_and_settings(
    app: RunningApp, kb: KnowledgeBase
) -> None:
    response = await app.open_home()
    assert response.status == 200
    view = await home_of(app)
    shown = words(view)
    assert view["type"] == "home"
    assert len(view["blocks"]) <= 100
    fact = tip_of_the_day(kb, datetime.now(UTC).date())
    assert fact is not None and f"Did you know? {fact.title}" in shown
    assert fact.text.split(".")[0] in shown  # the fact itself, quoted
    # every principle, NOS function and service can be browsed
    for kind in ("principle", "nos_function", "service"):
        for entry in kb.members(kind):
            assert entry.label[:60] in shown, entry.label
    assert "None open. Start one in a channel with `/checklist`." in shown
    assert "Tips in your messages*: off" in shown
    assert element(view, TIPS_ACTION)[0]["text"]["text"] == "Turn tips on"


async def test_the_messages_tab_publishes_nothing(app: RunningApp) -> None:
    await app.open_home(tab="messages")
    await app.open_home()
    await home_of(app)
    assert len(app.fake.api_calls("views.publish")) == 1


async def test_choosing_a_principle_opens_its_card_for_that_person_only(
    app: RunningApp, kb: KnowledgeBase
) -> None:
    await app.open_home()
    view = await home_of(app)
    menu, block_id = element(view, BROWSE_ACTION + "principles")
    principle = kb.member("principle", 9)
    assert principle is not None
    response = await app.in_view(view, menu, block_id=block_id, selected=principle.id)
    assert response.status == 200
    [opened] = await app.fake.wait_for(lambda c: c.method == "views.open")
    modal = opened.payload["view"]
    assert modal["type"] == "modal"
    assert principle.text in words(modal).replace("> ", "")
    assert "Source:" in words(modal)
    assert not app.fake.api_calls("chat.postMessage")  # nothing posted where others would see it


async def test_open_and_finished_checklists_are_listed_with_links_and_scores(app: RunningApp) -> None:
    _parent, first = await start(app, "principles")
    await click_option(app, first, "Yes")
    await wait_steps(app, 2)
    await app.open_home()
    view = await home_of(app)
    shown = words(view)
    assert "step 2 of" in shown and "1 answered" in shown
    link_button = next(
        b["accessory"]
        for b in view["blocks"]
        if (b.get("accessory") or {}).get("text", {}).get("text") == "Show current step"
    )
    assert link_button["url"].startswith("https://console.example/archives/")
    # pressing a link button is acknowledged (Slack opens the link itself)
    pressed = await app.in_view(
        view,
        link_button,
        block_id=next(b for b in view["blocks"] if b.get("accessory") is link_button)["block_id"],
    )
    assert pressed.status == 200

    # another person sees none of it
    await app.open_home(user="U0SOMEONE")
    other = await home_of(app, "U0SOMEONE")
    assert "None open" in words(other)


async def test_a_completed_run_shows_its_score(app: RunningApp, kb: KnowledgeBase) -> None:
    checklist = kb.checklist("nos")
    assert checklist is not None
    _parent, step = await start(app, "nos")
    for count in range(2, len(checklist.steps) + 1):
        await click_option(app, step, "Yes")
        step = await wait_steps(app, count)
    await click_option(app, step, "Yes")
    await app.fake.wait_for(lambda c: "Summary:" in c.text and c.method == "chat.postMessage")
    await app.open_home()
    shown = words(await home_of(app))
    assert "Recently completed" in shown
    assert f"100% over {len(checklist.steps)} scored answers" in shown
    assert "None open" in shown


async def test_turning_tips_on_subscribes_the_person_and_shows_it(app: RunningApp) -> None:
    await app.open_home()
    view = await home_of(app)
    button, block_id = element(view, TIPS_ACTION)
    await app.in_view(view, button, block_id=block_id)
    view = await home_of(app, count=2)
    assert "Tips in your messages*: on, every Monday at 09:00 UK time, in your messages with me." in words(
        view
    )
    assert "The next comes on Monday" in words(view)
    subscription = await app.deps.schedules.subscription(TEAM, USER)
    assert subscription is not None and subscription.personal
    button, block_id = element(view, TIPS_ACTION)
    assert button["text"]["text"] == "Turn tips off"
    await app.in_view(view, button, block_id=block_id)
    view = await home_of(app, count=3)
    assert "Tips in your messages*: off" in words(view)
    assert await app.deps.schedules.subscription(TEAM, USER) is None


async def test_each_workspace_publishes_its_own_peoples_tabs_with_its_own_token(
    fake_slack: FakeSlack, sqlite_url: str
) -> None:
    """Two installed workspaces whose people have the same user id: each tab is published with its own
    workspace's token and lists only that workspace's runs."""
    app = await start_oauth_app(fake_slack, sqlite_url)
    try:
        await install(app, "T0AAAA")
        await install(app, "T0BBBB")
        await start(app, "principles", team="T0AAAA")
        await app.open_home(team="T0AAAA")
        await app.open_home(team="T0BBBB")
        await fake_slack.wait_for(lambda c: c.method == "views.publish", count=2)
        mine = fake_slack.published[("xoxb-T0AAAA-token", USER)]
        theirs = fake_slack.published[("xoxb-T0BBBB-token", USER)]
        assert "Self-check against the ten commissioning principles" in words(mine)
        assert "step 1 of" in words(mine)
        assert "None open" in words(theirs)
    finally:
        await app.stop()


async def test_a_person_with_many_runs_sees_the_latest_five_within_slacks_limits(app: RunningApp) -> None:
    for _ in range(8):
        await start(app, "quality")
    await app.open_home()
    view = await home_of(app)
    assert len([b for b in view["blocks"] if str(b.get("block_id", "")).startswith("run_")]) == 5
    assert len(view["blocks"]) <= 100  # and the stand-in refused nothing (checked at teardown)


async def test_tips_turned_on_in_home_arrive_in_the_persons_messages(
    app: RunningApp, kb: KnowledgeBase
) -> None:
    await app.open_home()
    view = await home_of(app)
    button, block_id = element(view, TIPS_ACTION)
    await app.in_view(view, button, block_id=block_id)
    await home_of(app, count=2)
    subscription = await app.deps.schedules.subscription(TEAM, USER)
    assert subscription is not None
    due = subscription.schedule.next_slot(subscription.created_at) + timedelta(minutes=1)
    assert (await app.deps.schedules.tick(kb, workspace_client(app.app), due)).posted == 1
    [tip] = [c for c in app.fake.api_calls("chat.postMessage") if c.payload.get("channel") == USER]
    assert "Did you know?" in tip.text
    assert "Your tips come every Monday at 09:00 UK time. Turn them off in my Home tab." in tip.text
