"""The answer worker: answers the questions the web side acknowledged and queued (services/jobs.py).

By default every `serve` and `socket` process runs one, woken the moment its own process queues a question.
For throughput, run the web side with `--no-worker` and one or more `python -m bot worker` processes beside
it; they poll the shared database. Slack only needs the acknowledgement within 3 seconds; the answer follows
as soon as a worker gets to it, and survives a restart in between.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import close_app, workspace_client
from bot.drain import finish_listeners
from handlers.messages import answer_question
from services.deps import Deps
from services.jobs import LEASE, Job, JobQueue
from services.slack_errors import error_code, http_status
from services.storage import DATABASE_FAILURES

logger = logging.getLogger(__name__)

ClientFor = Callable[[str, str | None, bool], Awaitable[AsyncWebClient | None]]

MAX_ATTEMPTS = 5
MAX_BACKOFF = 10.0  # seconds between tries to lease while the database is away
# Errors worth trying again later; any other Slack error (channel_not_found, is_archived...) will not change.
TRANSIENT_ERRORS = frozenset({"ratelimited", "internal_error", "fatal_error", "service_unavailable"})


class AnswerWorker:
    """Leases batches of queued questions, answers each, and deletes them once answered."""

    def __init__(
        self,
        deps: Deps,
        client_for: ClientFor,
        *,
        batch: int = 50,
        poll: float = 0.5,
        lease: timedelta = LEASE,
    ) -> None:
        """`batch`: jobs leased and answered together; `poll`: seconds between looks at the queue when
        nothing woke the worker; `lease`: how long a job is held before another worker may retry it."""
        self.deps = deps
        self.client_for = client_for
        self.batch = batch
        self.poll = poll
        self.lease = lease
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def queue(self) -> JobQueue:
        return self.deps.store.jobs

    def start(self) -> None:
        self._stop.clear()
        self._task = asyncio.create_task(self.run())

    async def stop(self, drain_within: float = 10.0) -> None:
        """Stop polling, let the batch in hand finish, then answer what is queued for up to `drain_within`
        seconds more; whatever is left waits in the database for the next worker. A batch is never cut off
        half-way (each answer has its own time limit), so nothing answered is handed back to be answered again."""
        self._stop.set()
        if self._task is not None:
            await self._task
        deadline = asyncio.get_running_loop().time() + drain_within
        try:
            while asyncio.get_running_loop().time() < deadline and await self.work_once():
                pass
            left = await self.queue.depth()
        except Exception:  # the database went away at shutdown: the questions wait for the next worker
            logger.exception("could not answer the questions still queued at shutdown")
            return
        if left:
            logger.warning("stopped with questions still queued; the next worker will answer them")

    async def run(self) -> None:
        wait = self.poll
        while not self._stop.is_set():
            self.queue.added.clear()
            try:
                if await self.work_once():
                    wait = self.poll
                    continue
                wait = self.poll
            except DATABASE_FAILURES as error:
                # The database is away: say so once a wait, not with a traceback twice a second; back off.
                logger.warning("answer worker could not lease questions (%s)", type(error).__name__)
                wait = min(wait * 2, MAX_BACKOFF)
            except Exception:
                logger.exception("answer worker could not lease questions")
                wait = min(wait * 2, MAX_BACKOFF)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._woken(), wait)

    async def _woken(self) -> None:
        added, stop = (asyncio.create_task(e.wait()) for e in (self.queue.added, self._stop))
        try:
            await asyncio.wait((added, stop), return_when=asyncio.FIRST_COMPLETED)
        finally:
            added.cancel()
            stop.cancel()

    async def drain(self) -> int:
        """Answer everything queued now; returns how many jobs it handled."""
        handled = 0
        while done := await self.work_once():
            handled += done
        return handled

    async def work_once(self) -> int:
        """Lease one batch and answer it; returns the batch's size (0: nothing was waiting)."""
        jobs = await self.queue.lease(self.batch, self.lease)
        if not jobs:
            return 0
        settled: set[int] = set()  # answered, or given up on: never to be answered again
        finished: list[Job] = []

        async def answer(job: Job) -> None:
            try:
                # well inside the lease, so no other worker takes the job while this one is still on it
                done = await asyncio.wait_for(self._answer(job), self.lease.total_seconds() / 2)
            except TimeoutError:
                logger.warning("answering a question took too long; will retry")
                done = False
            except Exception:  # one failed answer must not cut the rest of the batch short
                logger.exception("failed answering a question; will retry")
                done = False
            settled.add(job.id)
            if done:
                finished.append(job)

        try:
            await asyncio.gather(*(answer(job) for job in jobs))
        finally:  # also when cancelled: delete what was answered, hand back only what was not started
            unsettled = [job for job in jobs if job.id not in settled]
            await asyncio.shield(self._settle(finished, unsettled))
        return len(jobs)

    async def _settle(self, finished: list[Job], unsettled: list[Job]) -> None:
        await self.queue.finish(finished)
        await self.queue.release(unsettled)

    async def _answer(self, job: Job) -> bool:
        """Answer one job. True when it is done with (answered, or cannot ever be); False to try again later."""
        question = job.question
        if job.attempts > MAX_ATTEMPTS:
            logger.error("gave up on a question after %d attempts", MAX_ATTEMPTS)
            return True
        try:
            client = await self.client_for(
                question.team_id, question.enterprise_id, question.enterprise_install
            )
            if client is None:
                logger.warning(
                    "workspace %s has uninstalled the app; dropping its question", question.team_id
                )
                return True
            # A job leased before may have been posted by a worker that died or timed out after sending it.
            # On the last attempt it posts without looking: a possible second answer beats a certain loss
            # (a lookup that keeps failing, rate-limited, say, must not drop the question).
            look_first = 1 < job.attempts < MAX_ATTEMPTS
            await answer_question(self.deps, client, question, may_be_posted=look_first)
        except SlackApiError as error:
            code = error_code(error)
            self.deps.metrics.slack_errors.labels(code).inc()
            retry = code in TRANSIENT_ERRORS or http_status(error) >= 500
            logger.warning("Slack refused an answer (%s)%s", code, "; will retry" if retry else "")
            return not retry
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            logger.warning(
                "could not reach Slack to answer a question (%s); will retry", type(error).__name__
            )
            return False
        except Exception:
            logger.exception("failed answering a question; will retry")
            return False
        waited = (datetime.now(UTC) - job.enqueued_at).total_seconds()
        self.deps.metrics.answer_seconds.observe(max(waited, 0.0))
        return True


def start_worker(deps: Deps, app: AsyncApp) -> AnswerWorker:
    """A worker answering with `app`'s Web API client (with many workspaces, each workspace's own token)."""
    lease = timedelta(seconds=deps.settings.answer_lease_seconds)
    worker = AnswerWorker(deps, workspace_client(app), lease=lease)
    worker.start()
    return worker


async def stop_app(app: AsyncApp, worker: AnswerWorker | None) -> None:
    """How every way of running ends, once no new requests arrive: listeners still running after their ack
    finish, the worker answers what is queued (up to 10 s), then the Web API session closes."""
    await finish_listeners()
    if worker is not None:
        await worker.stop()
    await close_app(app)
