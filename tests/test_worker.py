"""The answer queue and its worker: questions acknowledged by the web side are answered once by a worker, even
one started later, in another process, or after a failure; Slack's refusals become retries or are given up."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from datetime import timedelta

import aiohttp

from bot.app import workspace_client
from bot.fakeslack import BOT_USER_ID, FakeSlack
from bot.worker import AnswerWorker
from services.jobs import Job, Question
from services.storage import Store
from tests.processes import free_port, serve_app, start_worker_process, stop_processes
from tests.slack import SECRET, RunningApp, SlackClient, eventually, new_ts, start_app
from tests.test_questions_http import channel_message, dm, mention

PRINCIPLE_9 = "Spend money wisely to secure effective and efficient services"


def question(text: str = "what is principle nine about?", channel: str = "C1") -> Question:
    return Question(team_id="T1", channel_id=channel, thread_ts="1.0", route="mention", text=text)


def posts(fake: FakeSlack) -> list[str]:
    return [c.text for c in fake.api_calls("chat.postMessage")]


async def test_a_message_is_queued_once_however_often_it_is_claimed(store: Store) -> None:
    q = question()
    won = await asyncio.gather(*(store.claim("answer:T1:C1:1.0", then_queue=q) for _ in range(3)))
    assert sorted(won) == [False, False, True]
    assert not await store.claim("answer:T1:C1:1.0", then_queue=q)  # a later retry, in its own batch
    assert await store.jobs.depth() == 1
    [job] = await store.jobs.lease(10)
    assert job.question == q and job.attempts == 1


async def test_workers_leasing_at_once_never_share_a_job(store: Store) -> None:
    for n in range(40):
        assert await store.claim(f"answer:T1:C1:{n}.0", then_queue=question(channel=f"C{n}"))
    other = Store(store.engine)  # a second worker on the same database
    first, second = await asyncio.gather(store.jobs.lease(25), other.jobs.lease(25))
    ids = [job.id for job in first + second]
    assert len(ids) == 40 and len(set(ids)) == 40
    assert await store.jobs.lease(10) == []  # all held


async def test_a_job_whose_lease_ran_out_is_leased_again_and_released_jobs_at_once(store: Store) -> None:
    await store.claim("answer:T1:C1:1.0", then_queue=question())
    [held] = await store.jobs.lease(10, timedelta(seconds=2))
    assert await store.jobs.lease(10) == []
    await asyncio.sleep(2.2)  # the worker holding it died: its lease runs out
    [again] = await store.jobs.lease(10, timedelta(seconds=60))
    assert again.id == held.id and again.attempts == 2
    # the first worker wakes up late: its lease is gone, so it can neither delete nor hand back the job
    await store.jobs.finish([held])
    await store.jobs.release([held])
    assert await store.jobs.depth() == 1 and await store.jobs.lease(10) == []
    await store.jobs.release([again])
    [third] = await store.jobs.lease(10)
    assert third.attempts == 3
    await store.jobs.finish([third])
    assert await store.jobs.depth() == 0


async def test_a_question_acked_with_no_worker_running_is_answered_once_by_a_worker_started_later(
    fake_slack: FakeSlack, sqlite_url: str
) -> None:
    web = await start_app(fake_slack, sqlite_url, worker=False)
    ts = new_ts()
    try:
        for retry in ("", "1", "2"):  # Slack's first delivery and two retries of the same mention
            headers = {"X-Slack-Retry-Num": retry, "X-Slack-Retry-Reason": "http_timeout"} if retry else {}
            response = await web.event(mention("what is principle nine about?", ts=ts), extra_headers=headers)
            assert response.status == 200
        await web.event(dm("value for money", ts=new_ts()))
        await queued(web, 2)
        assert posts(fake_slack) == []  # acknowledged and queued; nobody has answered yet
        assert await web.deps.store.jobs.depth() == 2
        metrics = await (await web.session.get(web.base_url.rstrip("/") + "/metrics")).text()
        assert "commissioning_guide_questions_queued 2.0" in metrics.splitlines()  # what operators see
    finally:
        await web.stop()

    later = await start_app(fake_slack, sqlite_url)  # e.g. the process restarted, or a worker came up
    try:
        answers = await fake_slack.wait_for(lambda c: c.method == "chat.postMessage", count=2)
        await asyncio.sleep(0.5)
        assert len(posts(fake_slack)) == 2
        in_thread = next(c for c in answers if c.payload["channel"] != "D0DIRECT")
        assert in_thread.payload["thread_ts"] == ts and PRINCIPLE_9 in in_thread.text
        assert all(PRINCIPLE_9 in c.text for c in answers)
        assert await later.deps.store.jobs.depth() == 0
    finally:
        await later.stop()


async def queued(app: RunningApp, n: int, within: float = 30.0) -> None:
    """Wait until `n` questions are queued: events are acked first and queued just after."""
    await eventually(app.deps.store.jobs.depth, lambda depth: depth == n, within)


def _worker(app: RunningApp, lease: timedelta = timedelta(seconds=60)) -> AnswerWorker:
    return AnswerWorker(app.deps, workspace_client(app.app), lease=lease)


async def test_a_refusal_that_will_not_change_is_given_up_and_counted(
    fake_slack: FakeSlack, sqlite_url: str
) -> None:
    web = await start_app(fake_slack, sqlite_url, worker=False)
    worker = _worker(web)
    try:
        fake_slack.errors["chat.postMessage"] = "channel_not_found"
        await web.event(mention("principle 9", ts=new_ts()))
        await queued(web, 1)
        assert await worker.drain() == 1
        assert await web.deps.store.jobs.depth() == 0  # dropped, not retried for ever
        metrics = (await (await web.session.get(web.base_url.rstrip("/") + "/metrics")).text()).splitlines()
        assert 'commissioning_guide_slack_api_errors_total{error="channel_not_found"} 1.0' in metrics
    finally:
        await web.stop()


async def test_a_passing_failure_is_retried_when_the_lease_runs_out_and_answered_once(
    fake_slack: FakeSlack, sqlite_url: str
) -> None:
    web = await start_app(fake_slack, sqlite_url, worker=False)
    worker = _worker(web, lease=timedelta(seconds=2))  # long enough for a loaded machine to try in
    try:
        fake_slack.errors["chat.postMessage"] = "internal_error"
        await web.event(mention("principle 9", ts=new_ts()))
        await queued(web, 1)
        assert await worker.drain() == 1
        assert await web.deps.store.jobs.depth() == 1  # kept for another try
        del fake_slack.errors["chat.postMessage"]
        assert await worker.drain() == 0  # still leased: not yet
        await asyncio.sleep(2.5)
        assert await worker.drain() == 1
        answered = [c for c in fake_slack.api_calls("chat.postMessage") if c.result.get("ok")]
        assert len(answered) == 1 and PRINCIPLE_9 in answered[0].text
        assert await web.deps.store.jobs.depth() == 0
    finally:
        await web.stop()


async def test_stopping_answers_what_was_already_queued(fake_slack: FakeSlack, sqlite_url: str) -> None:
    web = await start_app(fake_slack, sqlite_url)
    assert web.worker is not None
    await web.worker.stop(drain_within=0)  # nobody answering while the questions arrive
    web.worker = AnswerWorker(web.deps, workspace_client(web.app))  # not started: it only drains at stop
    for n in range(5):
        await web.event(mention(f"principle {n + 1}", ts=new_ts()))
    await queued(web, 5)
    assert await web.deps.store.jobs.depth() == 5 and posts(fake_slack) == []
    await web.stop()  # as on SIGTERM: the web side stops, then the worker drains the queue
    assert len(posts(fake_slack)) == 5


async def test_a_web_process_with_no_worker_and_a_worker_process_answer_each_mention_once(
    fake_slack: FakeSlack, database_url: str
) -> None:
    """Real processes: `serve --no-worker` acknowledges and queues; `python -m bot worker` answers."""
    web, base = await serve_app(database_url, fake_slack.api_url, SECRET, worker=False)
    worker_port = free_port()
    worker = await start_worker_process(database_url, fake_slack.api_url, port=worker_port)
    client = SlackClient(fake_slack, base, aiohttp.ClientSession())
    try:
        stamps = [new_ts() for _ in range(20)]
        for ts in stamps:  # each delivered twice, as app_mention and message, like Slack does
            await client.event(mention("what is principle nine about?", ts=ts))
            await client.event(channel_message(f"<@{BOT_USER_ID}> what is principle nine about?", ts=ts))
        answered = await fake_slack.wait_for(lambda c: c.method == "chat.postMessage", count=20, within=15.0)
        await asyncio.sleep(1.0)
        assert len(posts(fake_slack)) == 20
        assert sorted(c.payload["thread_ts"] for c in answered) == sorted(stamps)
        # the answers are counted where they were made: the worker's own /metrics
        async with client.session.get(f"http://127.0.0.1:{worker_port}/metrics") as resp:
            worker_metrics = (await resp.text()).splitlines()
        assert 'commissioning_guide_answers_total{route="mention"} 20.0' in worker_metrics
        assert "commissioning_guide_answer_seconds_count 20.0" in worker_metrics
    finally:
        await client.session.close()
        codes = await stop_processes(web, worker)
        if codes != [0, 0]:
            assert worker.stderr is not None
            sys.stderr.write((await worker.stderr.read()).decode())
    assert codes == [0, 0]  # SIGTERM is a clean stop for both


async def test_questions_left_queued_for_a_day_are_dropped_text_and_all(store: Store) -> None:
    await store.claim("answer:T1:C1:1.0", then_queue=question("an old question"))
    assert await store.jobs.expire(timedelta(days=1)) == 0  # a fresh one stays
    assert await store.jobs.expire(timedelta(seconds=-1)) == 1  # as if a day had passed
    assert await store.jobs.depth() == 0


async def test_a_batch_cut_off_deletes_what_was_answered_and_hands_back_only_the_rest(
    fake_slack: FakeSlack, sqlite_url: str
) -> None:
    started: list[str] = []
    all_begun = asyncio.Event()

    class OneSlowAnswer(AnswerWorker):
        async def _answer(self, job: Job) -> bool:
            started.append(job.question.text)
            if len(started) == 3:
                all_begun.set()
            if "slow" in job.question.text:
                await asyncio.sleep(30)
            return True

    web = await start_app(fake_slack, sqlite_url, worker=False)
    try:
        jobs = web.deps.store
        for n, text in enumerate(("quick one", "slow one", "quick two")):
            await jobs.claim(f"answer:T1:C1:{n}.0", then_queue=question(text))
        worker = OneSlowAnswer(web.deps, workspace_client(web.app))
        batch = asyncio.create_task(worker.work_once())
        await asyncio.wait_for(all_begun.wait(), 30)  # the quick two answered, the slow one under way
        await asyncio.sleep(0.1)
        batch.cancel()  # e.g. the process is told to stop at once
        with contextlib.suppress(asyncio.CancelledError):
            await batch
        [left] = await jobs.jobs.lease(10)  # at once: handed back, not waiting out its lease
        assert left.question.text == "slow one"
    finally:
        await web.stop()
