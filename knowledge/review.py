"""Which entries are due a review: those whose `last_reviewed` is older than the content owners allow."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from knowledge.model import Entry


@dataclass(frozen=True)
class Overdue:
    entry: Entry
    days: int  # since it was last reviewed

    def describe(self) -> str:
        owner = f" (owner: {self.entry.owner})" if self.entry.owner else ""
        return (
            f"entry {self.entry.id!r}{owner} was last reviewed on {self.entry.last_reviewed:%d %B %Y}, "
            f"{self.days} days ago: check it against its source and update last_reviewed"
        )


def overdue(entries: Iterable[Entry], today: date, after_days: int) -> list[Overdue]:
    """Entries last reviewed more than `after_days` before `today`, the longest overdue first."""
    cutoff = today - timedelta(days=after_days)
    found = [
        Overdue(e, (today - e.last_reviewed).days)
        for e in entries
        if e.last_reviewed is not None and e.last_reviewed < cutoff
    ]
    return sorted(found, key=lambda o: (-o.days, o.entry.id))


def never_reviewed(entries: Iterable[Entry]) -> list[Entry]:
    return [e for e in entries if e.last_reviewed is None]
