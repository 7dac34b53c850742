"""Scheduled posts: "did you know" tips to the channels (and people) that asked, and the content owners' digest.

Every process that runs the scheduler (`serve`, `socket`, `worker`) ticks once a minute; a slot is posted by
whichever process claims it first in the database (services/db.py `scheduled_posts`: its primary key is the
claim), so two processes sharing PostgreSQL post each slot once. Which slot is due is knowledge/schedule.py's
business: after downtime only the latest missed slot is posted, while fresh. Messages come from `views`
(handlers/schedule_blocks.py), so this module never builds a block.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any, Protocol

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import ColumnElement, and_, delete, func, select, true, update

from knowledge.base import KnowledgeBase
from knowledge.model import Entry
from knowledge.schedule import Frequency, Schedule
from services.checklist_store import Place
from services.db import (
    aware,
    feedback,
    feedback_reasons,
    insert_ignoring_duplicates,
    scheduled_posts,
    tip_subscriptions,
    unanswered,
)
from services.slack_errors import error_code, http_status
from services.storage import Store

logger = logging.getLogger(__name__)

TIP, DIGEST = "tip", "digest"
# Slack's answers that mean the app can no longer post to a channel: its tips are stopped, with a log line.
# (A token Slack refuses, invalid_auth and the like, stops nothing: it is the operator's to fix, and an
# uninstall arrives as the app_uninstalled event.)
CANNOT_POST = frozenset({"not_in_channel", "channel_not_found", "is_archived"})
TRANSIENT = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
DIGEST_SCHEDULE = Schedule(Frequency.WEEKLY, time(9, 0), 0)  # Mondays at 09:00
DIGEST_SHOWS = 15  # questions listed; the rest are counted


class Rendered(Protocol):
    def as_kwargs(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Subscription:
    team_id: str
    enterprise_id: str | None
    channel_id: str
    schedule: Schedule
    created_by: str
    created_at: datetime
    cycle: int
    last_slot_at: datetime | None
    enterprise_install: bool = False  # installed for a whole Grid organisation: its token is found by org

    @property
    def personal(self) -> bool:
        """A person's own tips, in their messages with the app (the channel is their user id)."""
        return self.channel_id.startswith(("U", "W"))


@dataclass(frozen=True)
class AskedQuestion:
    text: str
    times: int


@dataclass(frozen=True)
class Disliked:
    entry_id: str
    votes: int
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Digest:
    """A week of what the content did not answer well, for the people who own it. No user ids anywhere."""

    since: datetime
    until: datetime
    questions: tuple[AskedQuestion, ...]  # grouped, most asked first
    question_count: int  # every unanswered question in the week, before grouping
    disliked: tuple[Disliked, ...]


class Views(Protocol):
    """How scheduled messages look (handlers/schedule_blocks.py)."""

    def tip_message(self, kb: KnowledgeBase, entry: Entry, subscription: Subscription) -> Rendered: ...

    def digest_message(self, kb: KnowledgeBase, digest: Digest) -> Rendered: ...


ClientFor = Callable[[str, str | None, bool], Awaitable[AsyncWebClient | None]]


@dataclass(frozen=True)
class Tick:
    posted: int = 0
    stopped: int = 0  # subscriptions ended because the app can no longer post there


def _subscription(row: Any) -> Subscription:
    hours, minutes = (int(part) for part in row.at_time.split(":"))
    schedule = Schedule(Frequency(row.frequency), time(hours, minutes), row.weekday, row.zone)
    return Subscription(
        row.team_id,
        row.enterprise_id,
        row.channel_id,
        schedule,
        row.created_by,
        aware(row.created_at),
        row.cycle,
        aware(row.last_slot_at) if row.last_slot_at else None,
        bool(row.enterprise_install),
    )


_SPACES = re.compile(r"\s+")
_TRAILING = re.compile(r"[\s?!.,;:]+$")


def same_question(text: str) -> str:
    """The key questions are grouped by: case, spacing and trailing punctuation aside."""
    return _TRAILING.sub("", _SPACES.sub(" ", text.casefold()).strip())


class Schedules:
    def __init__(
        self, store: Store, views: Views, *, owner_channel: str | None, owner_team: str | None
    ) -> None:
        self.store = store
        self.engine = store.engine
        self.views = views
        self.owner_channel = owner_channel
        self.owner_team = owner_team

    # --- subscriptions ---------------------------------------------------------------------------------------

    async def subscribe(
        self,
        place: Place,
        user_id: str,
        schedule: Schedule,
        now: datetime,
        *,
        enterprise_install: bool = False,
    ) -> bool:
        """Start (or change) a channel's tips; True if it was already subscribed (the schedule is replaced, and
        the rotation carries on where it was)."""
        values = {
            "enterprise_id": place.enterprise_id,
            "enterprise_install": enterprise_install,
            "frequency": schedule.frequency.value,
            "at_time": f"{schedule.at:%H:%M}",
            "weekday": schedule.weekday,
            "zone": schedule.zone,
            "created_by": user_id,
            "created_at": now,
        }
        where = and_(
            tip_subscriptions.c.team_id == place.team_id, tip_subscriptions.c.channel_id == place.channel_id
        )
        async with self.engine.begin() as conn:
            changed = await conn.execute(update(tip_subscriptions).where(where).values(**values))
            if changed.rowcount:
                return True
            statement = insert_ignoring_duplicates(self.engine, tip_subscriptions).values(
                team_id=place.team_id, channel_id=place.channel_id, cycle=0, **values
            )
            await conn.execute(statement)
        return False

    async def unsubscribe(self, team_id: str, channel_id: str) -> bool:
        """End a channel's tips, and forget which it was shown: subscribing again starts a fresh rotation."""
        async with self.engine.begin() as conn:
            result = await conn.execute(
                delete(tip_subscriptions).where(
                    tip_subscriptions.c.team_id == team_id, tip_subscriptions.c.channel_id == channel_id
                )
            )
            await conn.execute(
                delete(scheduled_posts).where(
                    scheduled_posts.c.kind == TIP,
                    scheduled_posts.c.team_id == team_id,
                    scheduled_posts.c.channel_id == channel_id,
                )
            )
        return bool(result.rowcount)

    async def unsubscribe_team(self, team_id: str) -> int:
        async with self.engine.begin() as conn:
            result = await conn.execute(
                delete(tip_subscriptions).where(tip_subscriptions.c.team_id == team_id)
            )
            await conn.execute(
                delete(scheduled_posts).where(
                    scheduled_posts.c.kind == TIP, scheduled_posts.c.team_id == team_id
                )
            )
        return int(result.rowcount or 0)

    async def prune(self, now: datetime) -> int:
        """Forget what no rotation needs any more: the tips of a channel's finished rotations, and digests
        over a year old."""
        current = (
            select(tip_subscriptions.c.cycle)
            .where(
                tip_subscriptions.c.team_id == scheduled_posts.c.team_id,
                tip_subscriptions.c.channel_id == scheduled_posts.c.channel_id,
            )
            .scalar_subquery()
        )
        async with self.engine.begin() as conn:
            tips = await conn.execute(
                delete(scheduled_posts).where(
                    scheduled_posts.c.kind == TIP, scheduled_posts.c.cycle < current
                )
            )
            digests = await conn.execute(
                delete(scheduled_posts).where(
                    scheduled_posts.c.kind == DIGEST, scheduled_posts.c.slot_at < now - timedelta(days=366)
                )
            )
        return int(tips.rowcount or 0) + int(digests.rowcount or 0)

    async def subscription(self, team_id: str, channel_id: str) -> Subscription | None:
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(tip_subscriptions).where(
                        tip_subscriptions.c.team_id == team_id, tip_subscriptions.c.channel_id == channel_id
                    )
                )
            ).first()
        return _subscription(row) if row is not None else None

    async def subscriptions(self) -> list[Subscription]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(tip_subscriptions))
            return [_subscription(r) for r in rows]

    async def shown(self, subscription: Subscription) -> int:
        """How many facts this channel has been shown in its current rotation."""
        async with self.engine.connect() as conn:
            found = await conn.execute(
                select(func.count()).where(
                    *self._tips_of(subscription), scheduled_posts.c.cycle == subscription.cycle
                )
            )
            return int(found.scalar_one())

    @staticmethod
    def _tips_of(subscription: Subscription) -> tuple[Any, ...]:
        return (
            scheduled_posts.c.kind == TIP,
            scheduled_posts.c.team_id == subscription.team_id,
            scheduled_posts.c.channel_id == subscription.channel_id,
        )

    # --- the tick --------------------------------------------------------------------------------------------

    async def tick(self, kb: KnowledgeBase, client_for: ClientFor, now: datetime | None = None) -> Tick:
        """Post every tip (and the digest) due now that no other process has claimed."""
        now = now or datetime.now(UTC)
        posted = stopped = 0
        facts = [fact.id for fact in kb.facts]
        for subscription in await self.subscriptions():
            slot = subscription.schedule.due(
                now, since=subscription.created_at, last_slot=subscription.last_slot_at
            )
            if slot is None or not facts:
                continue
            claim = await self._claim_tip(subscription, slot, facts, now)
            if claim is None:
                continue  # another process has this slot
            outcome = await self._post_tip(kb, client_for, subscription, claim)
            posted += outcome == "posted"
            stopped += outcome == "stopped"
        if await self._digest(kb, client_for, now):
            posted += 1
        return Tick(posted, stopped)

    async def _claim_tip(
        self, subscription: Subscription, slot: datetime, facts: Sequence[str], now: datetime
    ) -> _Claim | None:
        """Claim `slot` for this channel and choose its fact, in one transaction: the next fact in rotation not
        shown in this cycle, starting a new cycle once every fact has been. None: another process has the slot,
        or the channel has unsubscribed meanwhile."""
        key = (
            scheduled_posts.c.kind == TIP,
            scheduled_posts.c.team_id == subscription.team_id,
            scheduled_posts.c.channel_id == subscription.channel_id,
            scheduled_posts.c.slot_at == slot,
        )
        this = and_(
            tip_subscriptions.c.team_id == subscription.team_id,
            tip_subscriptions.c.channel_id == subscription.channel_id,
        )
        async with self.engine.begin() as conn:
            claimed = await conn.execute(
                insert_ignoring_duplicates(self.engine, scheduled_posts)
                .values(
                    kind=TIP,
                    team_id=subscription.team_id,
                    channel_id=subscription.channel_id,
                    slot_at=slot,
                    claimed_at=now,
                )
                .returning(scheduled_posts.c.slot_at)
            )
            if claimed.first() is None:
                return None
            row = (
                await conn.execute(
                    select(tip_subscriptions.c.cycle, tip_subscriptions.c.last_slot_at).where(this)
                )
            ).first()
            if row is None:  # unsubscribed since the list was read: give the slot back
                await conn.execute(delete(scheduled_posts).where(*key))
                return None
            cycle, previous = int(row.cycle), row.last_slot_at
            shown = set(
                (
                    await conn.execute(
                        select(scheduled_posts.c.entry_id).where(
                            *self._tips_of(subscription), scheduled_posts.c.cycle == cycle
                        )
                    )
                ).scalars()
            )
            waiting = [fact for fact in facts if fact not in shown]
            if not waiting:  # every fact has been shown: a new rotation
                cycle, waiting = cycle + 1, list(facts)
            await conn.execute(update(tip_subscriptions).where(this).values(cycle=cycle, last_slot_at=slot))
            await conn.execute(update(scheduled_posts).where(*key).values(entry_id=waiting[0], cycle=cycle))
        return _Claim(slot, waiting[0], aware(previous) if previous else None)

    async def _post_tip(
        self, kb: KnowledgeBase, client_for: ClientFor, subscription: Subscription, claim: _Claim
    ) -> str:
        entry = kb.get(claim.entry_id)
        assert entry is not None
        where = f"channel {subscription.channel_id} in {subscription.team_id}"
        client = await client_for(
            subscription.team_id, subscription.enterprise_id, subscription.enterprise_install
        )
        if client is None:  # no token for the workspace: this slot is skipped (an uninstall ends the tips)
            logger.warning("tips: no installation found for %s; skipped this tip", where)
            return "refused"
        message = self.views.tip_message(kb, entry, subscription)
        try:
            posted = await client.chat_postMessage(channel=subscription.channel_id, **message.as_kwargs())
        except SlackApiError as error:
            code = error_code(error)
            if code in CANNOT_POST:
                await self.unsubscribe(subscription.team_id, subscription.channel_id)
                logger.warning("tips: unsubscribed %s: the app can no longer post there (%s)", where, code)
                return "stopped"
            if code in TRANSIENT or http_status(error) >= 500:
                await self._release(subscription, claim)
                logger.warning("tips: Slack did not take the tip for %s (%s); will try again", where, code)
                return "retry"
            logger.warning("tips: Slack refused the tip for %s (%s)", where, code)
            return "refused"
        except (aiohttp.ClientConnectorError, ConnectionRefusedError) as error:  # nothing reached Slack
            await self._release(subscription, claim)
            logger.warning(
                "tips: could not reach Slack for %s (%s); will try again", where, type(error).__name__
            )
            return "retry"
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            # Sent, perhaps taken: Slack may have posted it. A tip missed beats a tip posted twice.
            logger.warning(
                "tips: no answer from Slack for %s (%s); not trying again", where, type(error).__name__
            )
            return "refused"
        async with self.engine.begin() as conn:
            await conn.execute(
                update(scheduled_posts)
                .where(*self._tips_of(subscription), scheduled_posts.c.slot_at == claim.slot)
                .values(posted_ts=str(posted.get("ts") or ""))
            )
        logger.info("tips: posted %s to %s", entry.id, where)
        return "posted"

    async def _release(self, subscription: Subscription, claim: _Claim) -> None:
        """Give a slot back after Slack failed to take it, so the next tick (in any process) tries again."""
        async with self.engine.begin() as conn:
            await conn.execute(
                delete(scheduled_posts).where(
                    *self._tips_of(subscription), scheduled_posts.c.slot_at == claim.slot
                )
            )
            await conn.execute(
                update(tip_subscriptions)
                .where(
                    tip_subscriptions.c.team_id == subscription.team_id,
                    tip_subscriptions.c.channel_id == subscription.channel_id,
                )
                .values(last_slot_at=claim.previous)
            )

    # --- the content owners' digest --------------------------------------------------------------------------

    async def _digest(self, kb: KnowledgeBase, client_for: ClientFor, now: datetime) -> bool:
        if not self.owner_channel:
            return False
        slot = DIGEST_SCHEDULE.due(now, since=datetime.min.replace(tzinfo=UTC), last_slot=None)
        if slot is None:
            return False
        team = self.owner_team or "-"
        async with self.engine.begin() as conn:
            claimed = await conn.execute(
                insert_ignoring_duplicates(self.engine, scheduled_posts)
                .values(
                    kind=DIGEST, team_id=team, channel_id=self.owner_channel, slot_at=slot, claimed_at=now
                )
                .returning(scheduled_posts.c.slot_at)
            )
            if claimed.first() is None:
                return False
        # since the previous Monday 09:00 (UK time: a week is not always 7 x 24 hours)
        digest = await self.digest(DIGEST_SCHEDULE.latest_slot(slot - timedelta(microseconds=1)), slot)
        client = await client_for(team, None, False)
        try:
            if client is None:
                raise RuntimeError(
                    f"the app is not installed in {team}, the workspace CONTENT_OWNER_TEAM names"
                )
            await client.chat_postMessage(
                channel=self.owner_channel, **self.views.digest_message(kb, digest).as_kwargs()
            )
        except (SlackApiError, aiohttp.ClientError, TimeoutError, OSError, RuntimeError) as error:
            code = error_code(error) if isinstance(error, SlackApiError) else type(error).__name__
            again = not isinstance(error, (SlackApiError, RuntimeError)) or (
                isinstance(error, SlackApiError) and (code in TRANSIENT or http_status(error) >= 500)
            )
            if again:  # Slack slow or failing: give the week's slot back for the next tick
                async with self.engine.begin() as conn:
                    await conn.execute(
                        delete(scheduled_posts).where(
                            scheduled_posts.c.kind == DIGEST,
                            scheduled_posts.c.team_id == team,
                            scheduled_posts.c.channel_id == self.owner_channel,
                            scheduled_posts.c.slot_at == slot,
                        )
                    )
            logger.warning(
                "content digest: could not post to CONTENT_OWNER_CHANNEL %s (%s)%s",
                self.owner_channel,
                code,
                "; will try again" if again else "",
            )
            return False
        logger.info("content digest: posted to %s", self.owner_channel)
        return True

    async def digest(self, since: datetime, until: datetime) -> Digest:
        """The week's unanswered questions (grouped and counted) and thumbs-down answers (with what people said
        was wrong), for the content owners' workspace (every workspace when the app has only one)."""
        team = self.owner_team

        def in_team(column: Any) -> ColumnElement[bool]:
            return column == team if team else true()

        async with self.engine.connect() as conn:
            asked = (
                (
                    await conn.execute(
                        select(unanswered.c.text).where(
                            unanswered.c.asked_at >= since,
                            unanswered.c.asked_at < until,
                            in_team(unanswered.c.team_id),
                        )
                    )
                )
                .scalars()
                .all()
            )
            votes = (
                await conn.execute(
                    select(feedback.c.entry_id, func.count())
                    .where(
                        feedback.c.helpful.is_(False),
                        feedback.c.at >= since,
                        feedback.c.at < until,
                        in_team(feedback.c.team_id),
                    )
                    .group_by(feedback.c.entry_id)
                )
            ).all()
            said = (
                await conn.execute(
                    select(feedback_reasons.c.entry_ids, feedback_reasons.c.text)
                    .where(
                        feedback_reasons.c.at >= since,
                        feedback_reasons.c.at < until,
                        in_team(feedback_reasons.c.team_id),
                    )
                    .order_by(feedback_reasons.c.at)
                )
            ).all()
        groups: Counter[str] = Counter()
        shown_as: dict[str, str] = {}
        for text in asked:
            key = same_question(text)
            groups[key] += 1
            shown_as.setdefault(key, text.strip())
        questions = tuple(
            AskedQuestion(shown_as[k], n) for k, n in sorted(groups.items(), key=lambda kv: (-kv[1], kv[0]))
        )
        reasons: dict[str, list[str]] = {}
        for ids, text in said:
            for entry_id in str(ids).split(","):
                reasons.setdefault(entry_id, []).append(text)
        disliked = tuple(
            Disliked(entry_id, int(count), tuple(reasons.get(entry_id, ())))
            for entry_id, count in sorted(votes, key=lambda row: (-int(row[1]), row[0]))
        )
        return Digest(since, until, questions, len(asked), disliked)

    async def record_reason(self, team_id: str, entry_ids: Sequence[str], text: str, now: datetime) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                feedback_reasons.insert().values(
                    team_id=team_id, entry_ids=",".join(entry_ids)[:200], text=text[:1000], at=now
                )
            )


@dataclass(frozen=True)
class _Claim:
    slot: datetime
    entry_id: str
    previous: datetime | None  # the subscription's last slot before this claim, restored if it is given back
