"""When scheduled posts are due: "did you know" tips to a channel, and the content owners' weekly digest.

Pure time arithmetic: no storage, no messaging. Slots are wall-clock times in one time zone (UK time by default),
so a 09:00 tip stays at 09:00 when the clocks change. A slot is posted at most once (services/schedules.py
claims it in the database); after downtime only the latest missed slot may be posted, and only while it is
still fresh, so a channel is never flooded with the tips it missed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo


class Frequency(StrEnum):
    DAILY = "daily"  # Monday to Friday
    WEEKLY = "weekly"


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DEFAULT_TIME = time(9, 0)
# A missed slot is still posted this long after its time (a restart at 09:20 still sends the 09:00 tip);
# older than this it is skipped, and the next slot comes as usual.
FRESH_FOR = timedelta(hours=3)


@dataclass(frozen=True)
class Schedule:
    frequency: Frequency
    at: time = DEFAULT_TIME
    weekday: int = 0  # weekly only: 0 is Monday
    zone: str = "Europe/London"

    def _days(self) -> set[int]:
        return set(range(5)) if self.frequency == Frequency.DAILY else {self.weekday}

    def latest_slot(self, now: datetime) -> datetime:
        """The last slot at or before `now` (UTC)."""
        zone = ZoneInfo(self.zone)
        local = now.astimezone(zone)
        for back in range(8):
            day = local.date() - timedelta(days=back)
            if day.weekday() not in self._days():
                continue
            slot = datetime.combine(day, self.at, zone)
            if slot <= local:
                return slot.astimezone(UTC)
        raise AssertionError("a schedule has a slot every week")

    def next_slot(self, now: datetime) -> datetime:
        """The first slot after `now` (UTC)."""
        zone = ZoneInfo(self.zone)
        local = now.astimezone(zone)
        for ahead in range(8):
            day = local.date() + timedelta(days=ahead)
            if day.weekday() not in self._days():
                continue
            slot = datetime.combine(day, self.at, zone)
            if slot > local:
                return slot.astimezone(UTC)
        raise AssertionError("a schedule has a slot every week")

    def due(self, now: datetime, *, since: datetime, last_slot: datetime | None) -> datetime | None:
        """The slot to post now, if any: the latest one, if it is after `since` (when the subscription
        began), newer than `last_slot` (the last one posted or skipped), and still fresh."""
        slot = self.latest_slot(now)
        if slot <= since or (last_slot is not None and slot <= last_slot):
            return None
        if now - slot > FRESH_FOR:
            return None
        return slot

    def local(self, stamp: datetime) -> datetime:
        """`stamp` in the schedule's time zone, as the people it is for read the clock."""
        return stamp.astimezone(ZoneInfo(self.zone))

    def describe(self) -> str:
        """'every weekday (Monday to Friday) at 09:00 UK time', 'every Tuesday at 14:30 UK time'."""
        when = (
            "every weekday (Monday to Friday)"
            if self.frequency == Frequency.DAILY
            else f"every {WEEKDAYS[self.weekday].capitalize()}"
        )
        zone = "UK time" if self.zone == "Europe/London" else self.zone
        return f"{when} at {self.at:%H:%M} {zone}"


class ScheduleError(ValueError):
    """What was wrong with the words given, and what to type instead."""


_TIME = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm)?$")


def parse_time(text: str) -> time:
    """'9', '9am', '09:30', '2.15pm', '14:00', 'noon'."""
    said = text.strip().lower().replace(" ", "")
    if said in ("noon", "midday"):
        return time(12, 0)
    match = _TIME.match(said)
    if match is None:
        raise ScheduleError(f"I can't read “{text}” as a time. Try 9am, 14:30 or 2pm.")
    hour, minute, half = int(match.group(1)), int(match.group(2) or 0), match.group(3)
    if half:
        if not 1 <= hour <= 12:
            raise ScheduleError(f"“{text}” isn't a time: with am or pm the hour is 1 to 12.")
        hour = hour % 12 + (12 if half == "pm" else 0)
    if hour > 23 or minute > 59:
        raise ScheduleError(f"“{text}” isn't a time of day. Try 9am, 14:30 or 2pm.")
    return time(hour, minute)


OTHER_FREQUENCIES = ("hourly", "fortnightly", "monthly", "yearly", "annually", "quarterly")
ONE_OF_EACH = (
    "Give one frequency (daily or weekly), at most one day and one time, e.g. `weekly monday 9am`; "
    "for tips on more days, use daily."
)


def parse_schedule(words: list[str], zone: str) -> Schedule:
    """`[daily|weekly] [weekday] [time]` in any order, e.g. ['weekly', 'tuesday', '2pm']; daily 09:00 if empty.
    Raises ScheduleError, saying what to type, for anything else (two days, two times, "hourly")."""
    frequency: Frequency | None = None
    weekday: int | None = None
    at: time | None = None
    joined: list[str] = []
    for word in words:  # "9 am" is one time
        if word.lower() in ("am", "pm") and joined:
            joined[-1] += word
        else:
            joined.append(word)
    for word in joined:
        lowered = word.lower().strip(",")
        said: Frequency | None = None
        if lowered in ("daily", "weekly"):
            said = Frequency(lowered)
        elif lowered in ("weekday", "weekdays", "everyday", "day"):  # "every day", "every weekday"
            said = Frequency.DAILY
        elif (day := _weekday(lowered)) is not None:
            if weekday is not None and weekday != day:
                raise ScheduleError(ONE_OF_EACH)
            weekday = day
        elif lowered in ("at", "on", "every", "each", "a", "once", "week"):
            continue
        elif lowered in OTHER_FREQUENCIES:
            raise ScheduleError(f"Tips come daily (each weekday) or weekly, not {lowered}.")
        else:
            found = parse_time(word)
            if at is not None and at != found:
                raise ScheduleError(ONE_OF_EACH)
            at = found
        if said is not None:
            if frequency is not None and frequency != said:
                raise ScheduleError(ONE_OF_EACH)
            frequency = said
    if frequency == Frequency.DAILY and weekday is not None:
        raise ScheduleError("Daily tips come every weekday, so leave out the day, or say weekly and the day.")
    if frequency is None:
        frequency = Frequency.WEEKLY if weekday is not None else Frequency.DAILY
    return Schedule(frequency, at or DEFAULT_TIME, weekday if weekday is not None else 0, zone)


def _weekday(word: str) -> int | None:
    if len(word) < 3:
        return None
    word = word.removesuffix("s") if word.endswith("days") else word
    for index, name in enumerate(WEEKDAYS):
        if name.startswith(word):
            return index
    return None
