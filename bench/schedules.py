"""Scheduled tips at scale: many channels due at once, two schedulers racing, on SQLite and PostgreSQL; and the
Home tab's cost.

    python bench/schedules.py [--channels 1000] [--postgres postgresql://postgres@127.0.0.1:5432/guide_bench]

Two schedulers (services/schedules.py, each with its own engine and connection pool, as two processes would
have) tick at the same moment for `--channels` subscriptions whose slot is due, posting to the local Slack
stand-in over HTTP. Prints, per database: tips posted, slots posted twice and channels missed (both must be 0),
the wall time for all of them, and the cost of a tick with nothing due (what every process pays once a minute).
Then the Home tab: p50/p99 of building and publishing one person's tab (5 open and 5 finished runs) over HTTP.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.checklists import _ensure_postgres, _reset  # noqa: E402
from bot.app import make_client  # noqa: E402
from bot.fakeslack import FakeSlack  # noqa: E402
from handlers import schedule_blocks  # noqa: E402
from knowledge.loader import load_knowledge  # noqa: E402
from knowledge.schedule import Frequency, Schedule  # noqa: E402
from services.checklist_store import Place  # noqa: E402
from services.db import create_schema, make_engine  # noqa: E402
from services.schedules import Schedules  # noqa: E402
from services.settings import normalise_database_url  # noqa: E402
from services.storage import Store  # noqa: E402

TEAM = "T0BENCH"


async def race(url: str, channels: int) -> dict[str, float]:
    """Two schedulers, one moment, `channels` due slots."""
    kb = load_knowledge()
    fake = FakeSlack(checking=False)
    await fake.start()
    engines = [make_engine(url), make_engine(url)]
    await create_schema(engines[0])
    schedulers = [Schedules(Store(e), schedule_blocks, owner_channel=None, owner_team=None) for e in engines]
    now = datetime(2026, 12, 7, 9, 5, tzinfo=UTC)  # a Monday, five minutes after 09:00 UK time
    daily = Schedule(Frequency.DAILY)
    for n in range(channels):
        place = Place(TEAM, None, f"C{n:08d}")
        await schedulers[0].subscribe(place, "U0BENCH", daily, now - timedelta(days=1))
    client = make_client("xoxb-bench", fake.api_url)

    async def client_for(_team: str, _enterprise: str | None, _install: bool) -> object:
        return client

    started = time.perf_counter()
    results = await asyncio.gather(*(s.tick(kb, client_for, now) for s in schedulers))  # type: ignore[arg-type]
    elapsed = time.perf_counter() - started
    posts = Counter(str(c.payload.get("channel")) for c in fake.api_calls("chat.postMessage"))
    idle: list[float] = []
    for _ in range(20):
        begun = time.perf_counter()
        await schedulers[0].tick(kb, client_for, now + timedelta(minutes=1))  # type: ignore[arg-type]
        idle.append(time.perf_counter() - begun)
    assert client.session is not None
    await client.session.close()
    for engine in engines:
        await engine.dispose()
    await fake.stop()
    return {
        "posted": sum(posts.values()),
        "twice": sum(1 for n in posts.values() if n > 1),
        "missed": channels - len(posts),
        "seconds": elapsed,
        "split": min(r.posted for r in results) / max(1, max(r.posted for r in results)),
        "idle_ms": statistics.median(idle) * 1000,
    }


async def home(url: str, rounds: int = 200) -> tuple[float, float]:
    """Build and publish one person's Home tab `rounds` times: p50 and p99 in ms."""
    from bot.app import close_app, create_app
    from bot.runtime import build_deps
    from handlers.home import publish_home
    from services.settings import Settings

    fake = FakeSlack(checking=False)
    await fake.start()
    deps = await build_deps(
        Settings(slack_bot_token="xoxb-bench", slack_api_url=fake.api_url, database_url=url)
    )
    app = create_app(deps)
    for status in ("open", "complete"):
        for _ in range(5):
            run = await deps.runs.start(TEAM, "C0BENCH", "principles", "U0BENCH")
            if status == "complete":
                async with deps.store.engine.begin() as conn:
                    from sqlalchemy import update

                    from services.db import checklist_runs

                    await conn.execute(
                        update(checklist_runs).where(checklist_runs.c.id == run.id).values(status="complete")
                    )
            await deps.runs.attach_thread(run.id, fake.next_ts())
    timings = []
    for _ in range(rounds):
        begun = time.perf_counter()
        await publish_home(deps, app.client, TEAM, "U0BENCH")
        timings.append((time.perf_counter() - begun) * 1000)
    await close_app(app)
    await deps.store.close()
    await fake.stop()
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.99) - 1]


async def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--channels", type=int, default=1000)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/guide_bench")
    args = parser.parse_args()
    failed = False
    with tempfile.TemporaryDirectory() as folder:
        databases = [("SQLite", f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}")]
        if args.postgres:
            url = normalise_database_url(args.postgres)
            await _ensure_postgres(url)
            databases.append(("PostgreSQL", url))
        for name, url in databases:
            await _reset(url)
            found = await race(url, args.channels)
            failed |= found["twice"] > 0 or found["missed"] > 0
            print(
                f"{name}: {int(found['posted'])} tips for {args.channels} channels due at once, two schedulers: "
                f"{int(found['twice'])} posted twice, {int(found['missed'])} missed, {found['seconds']:.2f} s "
                f"({args.channels / found['seconds']:.0f} tips/s; the slower scheduler posted "
                f"{found['split']:.0%} as many as the other); a tick with nothing due: {found['idle_ms']:.1f} ms"
            )
            await _reset(url)
            p50, p99 = await home(url)
            print(
                f"{name}: Home tab built and published (5 open, 5 finished runs): p50 {p50:.1f} ms, p99 {p99:.1f} ms"
            )
    print("FAIL" if failed else "PASS")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
