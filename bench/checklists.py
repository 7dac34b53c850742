"""Checklists under load: 200 runs of 10 steps at once, every click sent twice, on SQLite and PostgreSQL.

    python bench/checklists.py [--runs 200] [--postgres postgresql://postgres@127.0.0.1:5432/guide_bench]

The real app runs as its own process (`python -m bot serve`) on loopback, talking to the local Slack
stand-in in this process; each run is started with a
signed /checklist command and answered with signed block_actions, each click sent twice at once (a double
click). Prints, per database: answers lost and duplicated (both must be 0), step messages posted twice,
runs completed, and step latency p50/p99: from sending a click to the next step reaching "Slack".
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from bot import payloads  # noqa: E402
from bot.fakeslack import Call, FakeSlack  # noqa: E402
from bot.web import EVENTS_PATH  # noqa: E402
from services.db import checklist_answers, checklist_runs, make_engine, metadata  # noqa: E402
from services.settings import normalise_database_url  # noqa: E402
from tests.processes import serve_app, stop_processes  # noqa: E402

SECRET = "bench-signing-secret"
TEAM = "T0BENCH"
STEPS = 10


async def _reset(url: str) -> None:
    engine = make_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.drop_all)
    await engine.dispose()


async def _ensure_postgres(url: str) -> None:
    import asyncpg  # type: ignore[import-untyped]
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    conn = await asyncpg.connect(
        host=parsed.host, port=parsed.port or 5432, user=parsed.username, database="postgres"
    )
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", parsed.database):
            await conn.execute(f'CREATE DATABASE "{parsed.database}"')
    finally:
        await conn.close()


def _rss_mb(pid: int | None) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


class Load:
    def __init__(self, fake: FakeSlack, url: str, session: aiohttp.ClientSession) -> None:
        self.fake, self.url, self.session = fake, url, session
        self.waiters: dict[tuple[str, str], asyncio.Future[Call]] = {}  # (channel, marker) -> next post
        self.latencies: list[float] = []
        fake.on_call = self._seen

    def _seen(self, call: Call) -> None:
        if call.method != "chat.postMessage":
            return
        channel = str(call.payload.get("channel"))
        text = str(call.payload.get("text", ""))
        marker = "summary" if text.startswith("Summary of") else text.split(":")[0]  # "Step 3 of 10"
        future = self.waiters.get((channel, marker))
        if future is not None and not future.done():
            future.set_result(call)

    def _expect(self, channel: str, marker: str) -> asyncio.Future[Call]:
        future: asyncio.Future[Call] = asyncio.get_running_loop().create_future()
        self.waiters[(channel, marker)] = future
        return future

    async def _post(self, body: str, content_type: str) -> None:
        headers = payloads.signed_headers(SECRET, body, content_type)
        async with self.session.post(self.url, data=body, headers=headers) as resp:
            await resp.read()
            if resp.status != 200:
                raise RuntimeError(f"app answered {resp.status}")

    async def run(self, number: int) -> None:
        channel = f"C{number:08d}"  # one channel a run keeps the runs' messages apart
        first = self._expect(channel, "Step 1 of 10")
        body = payloads.slash_command(
            "/checklist",
            "principles",
            team_id=TEAM,
            channel_id=channel,
            user_id=f"U{number:08d}",
            response_url=self.fake.response_url(f"r{number}"),
        )
        await self._post(body, payloads.FORM)
        step = await asyncio.wait_for(first, 60)
        for index in range(STEPS):
            blocks = step.payload["blocks"]
            yes = next(
                e
                for b in blocks
                if b.get("type") == "actions"
                for e in b["elements"]
                if e["text"]["text"] == "Yes"
            )
            marker = f"Step {index + 2} of 10" if index + 1 < STEPS else "summary"
            following = self._expect(channel, marker)
            # A double click is two payloads from Slack (each its own trigger_id, signature and timestamp),
            # not one sent twice: the app does a byte-for-byte replay once, whatever the step guard does.
            clicks = [self._click(yes, index, number, step, blocks) for _ in range(2)]
            started = time.perf_counter()
            await asyncio.gather(*(self._post(click, payloads.FORM) for click in clicks))
            step = await asyncio.wait_for(following, 60)
            self.latencies.append((time.perf_counter() - started) * 1000)

    def _click(self, yes: dict[str, Any], index: int, number: int, step: Call, blocks: Any) -> str:
        channel = f"C{number:08d}"
        return payloads.block_actions(
            action_id=yes["action_id"],
            value=yes["value"],
            block_id=f"step_{index}",
            label="Yes",
            team_id=TEAM,
            user_id=f"U{number:08d}",
            channel_id=channel,
            message_ts=str(step.result["ts"]),
            response_url=self.fake.response_url(f"r{number}-{index}"),
            message={
                "type": "message",
                "ts": step.result["ts"],
                "text": step.payload["text"],
                "blocks": blocks,
            },
        )


async def measure(name: str, database_url: str, runs: int) -> dict[str, Any]:
    await _reset(database_url)
    fake = FakeSlack()
    await fake.start()
    process, base = await serve_app(database_url, fake.api_url, SECRET, token="xoxb-bench")
    connector = aiohttp.TCPConnector(limit=200)
    async with aiohttp.ClientSession(connector=connector) as session:
        load = Load(fake, f"{base}{EVENTS_PATH}", session)
        started = time.perf_counter()
        results = await asyncio.gather(*(load.run(n) for n in range(runs)), return_exceptions=True)
        elapsed = time.perf_counter() - started
    await asyncio.sleep(1.0)  # let the app finish what it does after its last acks
    rss_mb = _rss_mb(process.pid)
    await stop_processes(process)
    failures = [r for r in results if isinstance(r, BaseException)]

    engine = make_engine(database_url)
    async with engine.connect() as conn:
        answers = (await conn.execute(select(func.count()).select_from(checklist_answers))).scalar_one()
        complete = (
            await conn.execute(
                select(func.count()).select_from(checklist_runs).where(checklist_runs.c.status == "complete")
            )
        ).scalar_one()
        per_run = (
            await conn.execute(
                select(checklist_answers.c.run_id, func.count()).group_by(checklist_answers.c.run_id)
            )
        ).all()
    step_posts: dict[tuple[str, str], int] = {}
    for call in fake.api_calls("chat.postMessage"):
        if str(call.payload.get("text", "")).startswith("Step "):
            key = (str(call.payload.get("channel")), str(call.payload["text"]).split(":")[0])
            step_posts[key] = step_posts.get(key, 0) + 1
    refused = sum(1 for c in fake.responses() if "already been answered" in c.text)
    await engine.dispose()
    await fake.stop()
    expected = runs * STEPS
    lat = sorted(load.latencies)
    return {
        "database": name,
        "runs": runs,
        "runs_failed": len(failures),
        "runs_completed": complete,
        "answers_expected": expected,
        "answers_lost": expected - answers,
        "answers_duplicated": sum(max(0, count - STEPS) for _run, count in per_run),
        "step_messages_posted_twice": sum(1 for n in step_posts.values() if n > 1),
        "double_clicks_refused": refused,
        "step_latency_ms_p50": round(statistics.median(lat), 1) if lat else None,
        "step_latency_ms_p99": round(lat[int(len(lat) * 0.99) - 1], 1) if lat else None,
        "steps_per_second": round(len(lat) / elapsed, 1),
        "app_rss_mb": rss_mb,
        "first_failure": repr(failures[0])[:300] if failures else None,
    }


async def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument(
        "--postgres",
        default="postgresql://postgres@127.0.0.1:5432/commissioning_guide_bench",
        help="a PostgreSQL URL, or 'none' to skip",
    )
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as folder:
        results.append(await measure("sqlite", f"sqlite+aiosqlite:///{folder}/bench.db", args.runs))
    if args.postgres != "none":
        url = normalise_database_url(args.postgres)
        await _ensure_postgres(url)
        results.append(await measure("postgresql", url, args.runs))
    for result in results:
        print(json.dumps(result))
    ok = all(
        r["answers_lost"] == 0
        and r["answers_duplicated"] == 0
        and r["runs_failed"] == 0
        and r["step_messages_posted_twice"] == 0
        for r in results
    )
    print("PASS: no answer lost or duplicated" if ok else "FAIL: answers lost or duplicated, or runs failed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
