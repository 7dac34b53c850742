"""Prometheus metrics: what the app does and how fast it acks. Never message text or user ids."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

CONTENT_TYPE = CONTENT_TYPE_LATEST
PREFIX = "commissioning_guide"


def _registry() -> CollectorRegistry:
    return CollectorRegistry(auto_describe=True)


@dataclass
class Metrics:
    """One registry a process (or a test app), so tests and replicas never share counts by accident."""

    registry: CollectorRegistry = field(default_factory=_registry)

    def __post_init__(self) -> None:
        r = self.registry
        self.requests = Counter(
            f"{PREFIX}_requests", "Requests from Slack, by kind and outcome", ["kind", "outcome"], registry=r
        )
        self.ack_seconds = Histogram(
            f"{PREFIX}_ack_seconds",
            "Time from a request arriving to its acknowledgement",
            ["kind"],
            registry=r,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 3.0, 5.0),
        )
        self.answer_seconds = Histogram(
            f"{PREFIX}_answer_seconds",
            "Time from a question being queued (at its ack) to its answer being posted",
            registry=r,
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
        )
        self.queued = Gauge(
            f"{PREFIX}_questions_queued",
            "Questions acknowledged and waiting for (or being answered by) an answer worker, in the database",
            registry=r,
        )
        self.held = Gauge(
            f"{PREFIX}_questions_held",
            "Questions acknowledged while the database was unreachable, held in memory until it is back",
            registry=r,
        )
        self.commands = Counter(f"{PREFIX}_commands", "Slash commands handled", ["command"], registry=r)
        self.answers = Counter(
            f"{PREFIX}_answers", "Questions answered from the knowledge base", ["route"], registry=r
        )
        self.declines = Counter(
            f"{PREFIX}_declines", "Questions declined as outside the framework", ["route"], registry=r
        )
        self.feedback = Counter(f"{PREFIX}_feedback", "Did this help? votes", ["helpful"], registry=r)
        self.checklist_steps = Counter(
            f"{PREFIX}_checklist_steps", "Checklist steps answered or skipped", registry=r
        )
        self.checklist_completions = Counter(
            f"{PREFIX}_checklist_completions", "Checklist runs completed", registry=r
        )
        self.slack_errors = Counter(
            f"{PREFIX}_slack_api_errors", "Errors returned by the Slack Web API", ["error"], registry=r
        )

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
