"""Scheduled "did you know" tips: /didyouknow subscribe | unsubscribe | status over HTTP and Socket Mode, the
scheduler's slots (rotation without repeats, no flood after downtime, restarts), channels the app has left, and
two real processes sharing PostgreSQL posting each slot once."""

from __future__ import annotations

import asyncio
import logging
import re
from collections import Counter
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.app import workspace_client
from bot.fakeslack import BOT_USER_ID, FakeSlack
from handlers import schedule_blocks
from knowledge.base import KnowledgeBase
from knowledge.schedule import Frequency, Schedule, ScheduleError, parse_schedule, parse_time
from services.checklist_store import Place
from services.db import create_schema, make_engine
from services.schedules import Schedules
from services.storage import Store
from tests.processes import serve_app, stop_processes
from tests.slack import CHANNEL, SECRET, TEAM, USER, RunningApp, start_app

LONDON = ZoneInfo("Europe/London")


def tips_in(fake: FakeSlack, channel: str = CHANNEL) -> list[str]:
    """The tips posted to a channel, by their heading."""
    return [
        c.text.split("\n")[0]
        for c in fake.api_calls("chat.postMessage")
        if c.payload.get("channel") == channel and c.result.get("ok") and "Did you know?" in c.text
    ]


def at(day: int, hour: int, minute: int = 0, month: int = 12) -> datetime:
    """A moment in UK time, 2026 (December: GMT)."""
    return datetime(2026, month, day, hour, minute, tzinfo=LONDON).astimezone(UTC)


# --- the schedule itself --------------------------------------------------------------------------------------


def test_times_and_schedules_read_as_people_write_them() -> None:
    assert parse_time("9am") == time(9, 0)
    assert parse_time("2.15pm") == time(14, 15)
    assert parse_time("14:30") == time(14, 30)
    assert parse_time("noon") == time(12, 0)
    assert (
        parse_schedule([], "Europe/London").describe() == "every weekday (Monday to Friday) at 09:00 UK time"
    )
    assert (
        parse_schedule(["weekly", "tue", "2", "pm"], "Europe/London").describe()
        == "every Tuesday at 14:00 UK time"
    )
    assert parse_schedule(["fridays"], "Europe/London").frequency == Frequency.WEEKLY
    assert (
        parse_schedule(["every", "day", "at", "9", "am"], "Europe/London")
        .describe()
        .startswith("every weekday")
    )
    assert parse_schedule(["once", "a", "week", "on", "friday"], "Europe/London").weekday == 4
    for bad, says in (
        (["hourly"], "daily (each weekday) or weekly, not hourly"),
        (["25:00"], "isn't a time of day"),
        (["13pm"], "the hour is 1 to 12"),
        (["daily", "monday"], "leave out the day"),
        (["weekly", "mon", "tue"], "at most one day and one time"),
        (["9am", "2pm"], "at most one day and one time"),
        (["daily", "weekly"], "one frequency"),
    ):
        with pytest.raises(ScheduleError, match=re.escape(says)):
            parse_schedule(bad, "Europe/London")


def test_slots_keep_wall_clock_time_across_the_clock_change_and_skip_weekends() -> None:
    daily = Schedule(Frequency.DAILY, time(9, 0))
    # Friday 4 December 2026, 20:00: the last slot was that morning, the next is Monday's
    assert daily.latest_slot(at(4, 20)) == at(4, 9)
    assert daily.next_slot(at(4, 20)) == at(7, 9)
    # in British Summer Time 09:00 is 08:00 UTC
    summer = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    assert daily.latest_slot(summer) == datetime(2026, 7, 1, 8, 0, tzinfo=UTC)


def test_after_downtime_only_the_latest_fresh_slot_is_due() -> None:
    daily = Schedule(Frequency.DAILY, time(9, 0))
    since = at(1, 12)
    assert daily.due(at(1, 13), since=since, last_slot=None) is None  # nothing before the subscription
    assert daily.due(at(2, 9, 20), since=since, last_slot=None) == at(2, 9)
    assert daily.due(at(2, 9, 21), since=since, last_slot=at(2, 9)) is None  # already posted
    # down from Wednesday to the next Tuesday morning: only Tuesday's tip, none of the missed ones
    assert daily.due(at(8, 9, 30), since=since, last_slot=at(2, 9)) == at(8, 9)
    # back up at 14:00: that morning's tip is stale, so none until tomorrow's
    assert daily.due(at(8, 14), since=since, last_slot=at(2, 9)) is None


# --- the commands, over HTTP and Socket Mode ----------------------------------------------------------------


async def test_subscribe_status_and_unsubscribe(app: RunningApp, kb: KnowledgeBase) -> None:
    response, _ = await app.command("/didyouknow", "subscribe weekly monday 9am")
    assert response.status == 200
    [said] = await app.fake.wait_for(lambda c: c.method == "chat.postMessage")
    assert said.payload["channel"] == CHANNEL
    assert (
        f"<@{USER}> subscribed this channel's “did you know” tips: one comes every Monday at 09:00 UK time"
        in said.text
    )

    response, _ = await app.command("/didyouknow", "status")
    assert "every Monday at 09:00 UK time" in response.shown
    assert f"0 of {len(kb.facts)} facts shown so far" in response.shown
    assert "The next comes on Monday" in response.shown

    response, _ = await app.command("/didyouknow", "subscribe daily 14:30")
    [_, changed] = await app.fake.wait_for(lambda c: c.method == "chat.postMessage", count=2)
    assert (
        "changed this channel's" in changed.text
        and "every weekday (Monday to Friday) at 14:30" in changed.text
    )

    response, _ = await app.command("/didyouknow", "unsubscribe")
    assert response.json["response_type"] == "in_channel"
    assert "turned off the “did you know” tips in this channel" in response.shown
    response, _ = await app.command("/didyouknow", "status")
    assert (
        "This channel has no scheduled tips" in response.shown and "/didyouknow subscribe" in response.shown
    )
    response, _ = await app.command("/didyouknow", "unsubscribe")
    assert "nothing to stop" in response.shown


async def test_a_schedule_that_cannot_be_read_says_what_to_type(app: RunningApp) -> None:
    response, _ = await app.command("/didyouknow", "subscribe every <!channel> hour")
    assert "I can't read “&lt;!channel&gt;” as a time" in response.shown
    assert "/didyouknow subscribe weekly monday 9am" in response.shown
    assert await app.deps.schedules.subscriptions() == []


async def test_subscribing_where_the_app_is_not_a_member_saves_nothing_and_says_how(app: RunningApp) -> None:
    app.fake.outside.add(CHANNEL)
    response, key = await app.command("/didyouknow", "subscribe")
    assert response.status == 200
    [reply] = await app.fake.wait_for(lambda c: c.kind == "response" and c.method == key)
    assert "I couldn't subscribe this channel" in reply.text and "/invite @Commissioning Guide" in reply.text
    assert await app.deps.schedules.subscriptions() == []


async def test_a_plain_topic_still_gets_a_fact(app: RunningApp) -> None:
    response, _ = await app.command("/didyouknow", "nos")
    assert "Did you know?" in response.shown


# --- the scheduler ---------------------------------------------------------------------------------------------


async def subscribe_at(
    schedules: Schedules, when: datetime, schedule: Schedule, channel: str = CHANNEL, team: str = TEAM
) -> None:
    await schedules.subscribe(Place(team, None, channel), USER, schedule, when)


async def test_each_slot_posts_one_fact_in_rotation_without_repeats(
    app: RunningApp, kb: KnowledgeBase
) -> None:
    schedules, client_for = app.deps.schedules, workspace_client(app.app)
    await subscribe_at(schedules, at(1, 8), Schedule(Frequency.DAILY, time(9, 0)))
    facts = len(kb.facts)
    day = at(1, 9, 1)
    for _ in range(facts + 2):
        posted = await schedules.tick(kb, client_for, day)
        assert posted.posted == 1
        assert (await schedules.tick(kb, client_for, day + timedelta(minutes=1))).posted == 0  # once a slot
        day += timedelta(days=1)
        while day.astimezone(LONDON).weekday() >= 5:
            day += timedelta(days=1)
    shown = tips_in(app.fake)
    assert len(shown) == facts + 2
    assert len(set(shown[:facts])) == facts  # every fact once before any repeats
    assert shown[facts:] == shown[:2]  # then the rotation starts again, in the same order
    status, _ = await app.command("/didyouknow", "status")
    assert f"2 of {facts} facts shown so far in this rotation" in status.shown
    first = next(c for c in app.fake.api_calls("chat.postMessage") if "Did you know?" in c.text)
    assert "Source:" in first.text and "`/didyouknow unsubscribe` stops them" in first.text


async def test_missed_slots_are_not_all_posted_when_the_app_comes_back(
    app: RunningApp, kb: KnowledgeBase
) -> None:
    schedules, client_for = app.deps.schedules, workspace_client(app.app)
    await subscribe_at(schedules, at(1, 8), Schedule(Frequency.DAILY, time(9, 0)))
    assert (await schedules.tick(kb, client_for, at(1, 9))).posted == 1
    # the app was down for a week and comes back at 09:40 on Thursday 10th
    assert (await schedules.tick(kb, client_for, at(10, 9, 40))).posted == 1
    assert (await schedules.tick(kb, client_for, at(10, 9, 41))).posted == 0
    assert len(tips_in(app.fake)) == 2


async def test_subscriptions_and_the_rotation_survive_a_restart(
    fake_slack: FakeSlack, sqlite_url: str, kb: KnowledgeBase
) -> None:
    first = await start_app(fake_slack, sqlite_url)
    await first.command("/didyouknow", "subscribe")
    await fake_slack.wait_for(lambda c: c.method == "chat.postMessage")
    # slots after the subscription: the app's clock is real, so the test's days are in the future
    start = datetime.now(UTC) + timedelta(days=1)
    schedule = parse_schedule([], "Europe/London")
    slot = schedule.next_slot(start) + timedelta(minutes=1)
    assert (await first.deps.schedules.tick(kb, workspace_client(first.app), slot)).posted == 1
    await first.stop()

    second = await start_app(fake_slack, sqlite_url)
    try:
        again = await second.deps.schedules.tick(
            kb, workspace_client(second.app), slot + timedelta(minutes=5)
        )
        assert again.posted == 0  # the slot posted before the restart is not posted again
        nxt = schedule.next_slot(slot) + timedelta(minutes=1)
        assert (await second.deps.schedules.tick(kb, workspace_client(second.app), nxt)).posted == 1
        shown = tips_in(fake_slack)
        assert len(shown) == 2 and shown[0] != shown[1]
    finally:
        await second.stop()


async def test_a_channel_the_app_can_no_longer_post_in_is_unsubscribed_with_a_log_line(
    app: RunningApp, kb: KnowledgeBase, caplog: pytest.LogCaptureFixture
) -> None:
    schedules, client_for = app.deps.schedules, workspace_client(app.app)
    await subscribe_at(schedules, at(1, 8), Schedule(Frequency.DAILY, time(9, 0)))
    await subscribe_at(schedules, at(1, 8), Schedule(Frequency.DAILY, time(9, 0)), channel="C0STAYS")
    app.fake.outside.add(CHANNEL)
    with caplog.at_level(logging.WARNING, logger="services.schedules"):
        result = await schedules.tick(kb, client_for, at(1, 9, 5))
    assert result.posted == 1 and result.stopped == 1
    assert await schedules.subscription(TEAM, CHANNEL) is None
    assert await schedules.subscription(TEAM, "C0STAYS") is not None
    assert (
        f"tips: unsubscribed channel {CHANNEL} in {TEAM}: the app can no longer post there (not_in_channel)"
        in caplog.text
    )


async def test_slack_failing_gives_the_slot_back_for_the_next_tick(
    app: RunningApp, kb: KnowledgeBase
) -> None:
    schedules, client_for = app.deps.schedules, workspace_client(app.app)
    await subscribe_at(schedules, at(1, 8), Schedule(Frequency.DAILY, time(9, 0)))
    app.fake.server_errors["chat.postMessage"] = 1
    assert (await schedules.tick(kb, client_for, at(1, 9, 1))).posted == 0
    assert (await schedules.tick(kb, client_for, at(1, 9, 2))).posted == 1
    assert len(tips_in(app.fake)) == 1


async def test_removing_the_app_from_a_channel_unsubscribes_it(
    app: RunningApp, caplog: pytest.LogCaptureFixture
) -> None:
    for channel in (CHANNEL, "C0STAYS"):
        await subscribe_at(
            app.deps.schedules, at(1, 8), Schedule(Frequency.DAILY, time(9, 0)), channel=channel
        )
    left = {"type": "member_left_channel", "channel_type": "C", "team": TEAM}
    with caplog.at_level(logging.WARNING, logger="handlers.didyouknow"):
        await app.event(left | {"user": "U0SOMEONE", "channel": "C0STAYS"})  # a person left: tips stay
        await app.event(left | {"user": BOT_USER_ID, "channel": CHANNEL})  # the app was removed
        for _ in range(200):
            if await app.deps.schedules.subscription(TEAM, CHANNEL) is None:
                break
            await asyncio.sleep(0.05)
    assert await app.deps.schedules.subscription(TEAM, CHANNEL) is None
    assert await app.deps.schedules.subscription(TEAM, "C0STAYS") is not None
    assert f"tips: unsubscribed channel {CHANNEL} in {TEAM}: the app was removed from it" in caplog.text
    assert "C0STAYS" not in caplog.text


async def test_subscribing_again_starts_a_fresh_rotation(app: RunningApp, kb: KnowledgeBase) -> None:
    schedules, client_for = app.deps.schedules, workspace_client(app.app)
    daily = Schedule(Frequency.DAILY, time(9, 0))
    await subscribe_at(schedules, at(1, 8), daily)
    for day in (1, 2, 3):
        assert (await schedules.tick(kb, client_for, at(day, 9, 1))).posted == 1
    await schedules.unsubscribe(TEAM, CHANNEL)
    await subscribe_at(schedules, at(3, 12), daily)
    subscription = await schedules.subscription(TEAM, CHANNEL)
    assert subscription is not None and await schedules.shown(subscription) == 0
    for day in (4, 7, 8):
        assert (await schedules.tick(kb, client_for, at(day, 9, 1))).posted == 1
    shown = tips_in(app.fake)
    assert shown[3:] == shown[:3]  # the rotation starts again from the first fact, with no repeats in a row


async def test_facts_removed_from_the_content_leave_the_rotation(app: RunningApp, kb: KnowledgeBase) -> None:
    schedules, client_for = app.deps.schedules, workspace_client(app.app)
    await subscribe_at(schedules, at(1, 8), Schedule(Frequency.DAILY, time(9, 0)))
    first, second, *rest = kb.facts
    smaller = KnowledgeBase([e for e in kb.entries if e.id != second.id], kb.checklists)
    assert (await schedules.tick(kb, client_for, at(1, 9, 1))).posted == 1
    assert (await schedules.tick(smaller, client_for, at(2, 9, 1))).posted == 1
    shown = tips_in(app.fake)
    assert shown == [f"Did you know? {first.title}", f"Did you know? {rest[0].title}"]


async def test_a_tip_slack_may_have_taken_is_not_posted_again(app: RunningApp, kb: KnowledgeBase) -> None:
    schedules, client_for = app.deps.schedules, workspace_client(app.app)
    await subscribe_at(schedules, at(1, 8), Schedule(Frequency.DAILY, time(9, 0)))

    real = await client_for(TEAM, None, False)
    assert real is not None

    class TakenThenSilent:
        """Slack takes the post, and its answer never arrives."""

        async def chat_postMessage(self, **kwargs: Any) -> None:
            await real.chat_postMessage(**kwargs)
            raise TimeoutError

    async def silent(_team: str, _enterprise: str | None, _install: bool) -> TakenThenSilent:
        return TakenThenSilent()

    assert (await schedules.tick(kb, silent, at(1, 9, 1))).posted == 0  # type: ignore[arg-type]
    assert (await schedules.tick(kb, client_for, at(1, 9, 2))).posted == 0
    assert len(tips_in(app.fake)) == 1  # posted once, and not again


async def test_an_organisation_wide_install_finds_its_token_by_organisation(
    kb: KnowledgeBase, store: Store
) -> None:
    schedules = Schedules(store, schedule_blocks, owner_channel=None, owner_team=None)
    await schedules.subscribe(
        Place(TEAM, "E0GRID", CHANNEL), USER, Schedule(Frequency.DAILY), at(1, 8), enterprise_install=True
    )
    asked: list[tuple[str, str | None, bool]] = []

    async def client_for(team: str, enterprise: str | None, install: bool) -> None:
        asked.append((team, enterprise, install))
        return None  # not found: the tip is skipped, and the subscription kept

    await schedules.tick(kb, client_for, at(1, 9, 1))
    assert asked == [(TEAM, "E0GRID", True)]
    assert await schedules.subscription(TEAM, CHANNEL) is not None


# --- two processes sharing PostgreSQL -------------------------------------------------------------------------


async def test_two_processes_on_postgres_post_each_slot_once(
    shared_postgres: str, fake_slack: FakeSlack
) -> None:
    """Two real `python -m bot serve` processes, each ticking five times a second, and twenty channels whose
    slot is due now: each channel gets one tip."""
    engine = make_engine(shared_postgres)
    await create_schema(engine)
    schedules = Schedules(Store(engine), None, owner_channel=None, owner_team=None)  # type: ignore[arg-type]
    now = datetime.now(UTC)
    local = now.astimezone(LONDON)
    # weekly, today, this very minute: the slot is due as the processes start
    schedule = Schedule(Frequency.WEEKLY, time(local.hour, local.minute), local.weekday())
    channels = [f"C0TIPS{n:03d}" for n in range(20)]
    for channel in channels:
        await subscribe_at(schedules, now - timedelta(days=1), schedule, channel=channel)
    await engine.dispose()
    fake_slack.delays["chat.postMessage"] = 0.05  # Slack takes a moment: the processes' ticks overlap
    processes = await asyncio.gather(
        serve_app(shared_postgres, fake_slack.api_url, SECRET, SCHEDULE_TICK_SECONDS="0.2"),
        serve_app(shared_postgres, fake_slack.api_url, SECRET, SCHEDULE_TICK_SECONDS="0.2"),
    )
    try:
        await fake_slack.wait_for(lambda c: c.method == "chat.postMessage", count=len(channels), within=30)
        await asyncio.sleep(2.0)  # ten more ticks each: nothing more is posted
    finally:
        await stop_processes(*(process for process, _url in processes))
    posts = Counter(c.payload["channel"] for c in fake_slack.api_calls("chat.postMessage"))
    assert posts == dict.fromkeys(channels, 1)


async def test_subscribing_again_to_the_same_schedule_announces_nothing(app: RunningApp) -> None:
    await app.command("/didyouknow", "subscribe weekly friday 4pm")
    await app.fake.wait_for(lambda c: c.method == "chat.postMessage")
    _, key = await app.command("/didyouknow", "subscribe friday 16:00")
    [reply] = await app.fake.wait_for(lambda c: c.kind == "response" and c.method == key)
    assert "This channel already gets a tip every Friday at 16:00 UK time" in reply.text
    assert len(app.fake.api_calls("chat.postMessage")) == 1
    response, _ = await app.command("/didyouknow", "off")
    assert "turned off the “did you know” tips" in response.shown
