"""python -m bot [run | serve | socket | worker | console | check | report | export RUN]: run or inspect Commissioning Guide."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.logs import setup_logging
from bot.runtime import settle_garbage_collector
from knowledge.loader import KnowledgeError
from services.db import DatabaseUnavailable
from services.settings import Settings, SettingsError

if TYPE_CHECKING:  # imported lazily at run time, so `check` and `--help` start fast
    from slack_bolt.async_app import AsyncApp

    from bot.worker import AnswerWorker
    from services.deps import Deps

logger = logging.getLogger("bot")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    sub = parser.add_subparsers(dest="mode")
    sub.add_parser(
        "run", help="console with no Slack tokens set, Socket Mode with SLACK_APP_TOKEN, else HTTP"
    )
    serve = sub.add_parser("serve", help="HTTP mode: Slack posts to /slack/events")
    serve.add_argument("--port", type=int, default=None, help="port to listen on (default: PORT or 3000)")
    serve.add_argument("--host", default="0.0.0.0", help="address to listen on (default: all)")
    socket = sub.add_parser("socket", help="Socket Mode: no public URL needed (needs SLACK_APP_TOKEN)")
    for web_side in (serve, socket):
        web_side.add_argument(
            "--no-worker",
            action="store_true",
            help="acknowledge and queue questions only; `python -m bot worker` processes answer them",
        )
    worker = sub.add_parser(
        "worker", help="answer queued questions, beside `serve --no-worker` (shares its database)"
    )
    worker.add_argument(
        "--port",
        type=int,
        default=None,
        help="serve /healthz, /readyz and /metrics on this port (default: none)",
    )
    worker.add_argument("--host", default="0.0.0.0", help="address for --port (default: all)")
    sub.add_parser("console", help="no Slack at all: type commands and questions in the terminal")
    sub.add_parser("check", help="validate the knowledge base and app.yaml")
    sub.add_parser("report", help="unanswered questions and feedback, for content owners")
    export = sub.add_parser("export", help="print a checklist run's results as Markdown")
    export.add_argument("run", help="the run id (from the exported file name or the database)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    mode = args.mode or "run"
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        return 2
    if mode == "run":
        mode = "socket" if settings.slack_app_token else "serve" if settings.has_slack else "console"
    # The console's screen is the conversation: only warnings go beside it unless LOG_LEVEL asks for more.
    quiet = mode in ("console", "check", "report", "export") and not os.environ.get("LOG_LEVEL")
    setup_logging("WARNING" if quiet else settings.log_level, settings.log_format)
    try:
        if mode == "check":
            return _check(settings)
        code: int = _event_loop_runner()(_run(mode, settings, args))
        return code
    except SettingsError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        return 2
    except KnowledgeError as exc:
        print(f"The knowledge base has problems; fix them and start again:\n{exc}", file=sys.stderr)
        return 3
    except DatabaseUnavailable as exc:
        print(f"Database error: {exc}", file=sys.stderr)
        return 4
    except KeyboardInterrupt:
        return 130


def _event_loop_runner() -> Any:
    """uvloop where it is installed (Linux, macOS): a faster event loop for the same asyncio code."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run
    return uvloop.run


def _check(settings: Settings) -> int:
    from bot.manifest import check_manifest
    from knowledge.answerability import changed_probes, describe_model, shipped_model
    from knowledge.loader import DEFAULT_DIR, load_knowledge
    from knowledge.review import never_reviewed, overdue

    problems: list[str] = []
    try:
        kb = load_knowledge(settings.knowledge_dir)
        print(f"knowledge: {len(kb.entries)} entries and {len(kb.checklists)} checklists, all valid")
        print(f"answerability model: {describe_model()}")
        # measured on the shipped content: whether the model fits this search code, whatever the content
        own = settings.knowledge_dir is not None and settings.knowledge_dir.resolve() != DEFAULT_DIR.resolve()
        shipped = load_knowledge(DEFAULT_DIR) if own else kb
        for line in changed_probes(shipped_model(), shipped.signals_of):
            print(f"warning: the answerability model needs retraining (bench/train_answerability.py): {line}")
        for late in overdue(kb.entries, date.today(), settings.review_after_days):
            print(f"warning: {late.describe()} (REVIEW_AFTER_DAYS={settings.review_after_days})")
        if unreviewed := never_reviewed(kb.entries):
            print(f"note: {len(unreviewed)} of {len(kb.entries)} entries have no last_reviewed date")
    except KnowledgeError as exc:
        problems.extend(exc.problems)
    manifest = check_manifest()
    if not manifest:
        print("app.yaml: valid Slack manifest; every command has a handler and every handler is declared")
    problems.extend(manifest)
    for problem in problems:
        print(f"problem: {problem}")
    return 1 if problems else 0


async def _run(mode: str, settings: Settings, args: argparse.Namespace) -> int:
    from bot.runtime import build_deps

    deps = await build_deps(settings)
    try:
        if mode == "console":
            from bot.console import run_console

            return await run_console(deps)
        if mode == "report":
            from bot.report import print_report

            await print_report(deps.store, deps.schedules)
            return 0
        if mode == "export":
            document = await _export(deps, args.run)
            if document is None:
                print(
                    f"No checklist run {args.run!r}. A run's id is at the foot of its summary in Slack "
                    "(Run `1a2b3c4d`), and beside each open run in /checklist status.",
                    file=sys.stderr,
                )
                return 1
            print(document)
            return 0
        in_process_worker = not getattr(args, "no_worker", False)
        if mode == "serve":
            settings.require_http()
            await _serve(deps, args.host, args.port or settings.port, in_process_worker)
        elif mode == "socket":
            settings.require_socket()
            await _socket(deps, in_process_worker)
        elif mode == "worker":
            settings.require_worker()
            await _worker(deps, args.host, args.port)
        return 0
    finally:
        await deps.store.close()


async def _export(deps: Deps, run: str) -> str | None:
    """A run as Markdown; with SLACK_BOT_TOKEN set (and users:read), people are named as they are in Slack."""
    from bot.app import make_client

    if not deps.settings.slack_bot_token:
        return await deps.checklists.markdown(deps.knowledge.current, run)
    client = make_client(deps.settings.slack_bot_token, deps.settings.slack_api_url)
    try:
        return await deps.checklists.markdown(deps.knowledge.current, run, client=client)
    finally:
        if client.session is not None:
            await client.session.close()


EXPIRY_SWEEP_SECONDS = 3600
QUEUED_AT_MOST = timedelta(days=1)


async def _expire_forever(deps: Deps, app: AsyncApp) -> None:
    """Once an hour: remind runs left waiting CHECKLIST_REMIND_DAYS, close those left CHECKLIST_EXPIRY_DAYS."""
    from bot.app import workspace_client

    while True:
        try:
            kb, client_for = deps.knowledge.current, workspace_client(app)
            if reminded := await deps.checklists.remind(kb, client_for):
                logger.info("reminded %d checklist runs left waiting", reminded)
            closed = await deps.checklists.expire(kb, client_for)
            if closed:
                logger.info("closed %d checklist runs left unanswered", closed)
            await deps.store.prune_claims()
            await deps.schedules.prune(datetime.now(UTC))
            if dropped := await deps.store.jobs.expire(QUEUED_AT_MOST):
                logger.warning(
                    "dropped %d questions queued for over a day: is an answer worker running?", dropped
                )
        except Exception:  # a failed sweep must not stop the app; the next one tries again
            logger.exception("expiry sweep failed")
        await asyncio.sleep(EXPIRY_SWEEP_SECONDS)


async def _schedule_forever(deps: Deps, app: AsyncApp) -> None:
    """Every SCHEDULE_TICK_SECONDS (a minute): post the tips (and the content owners' digest) now due. Every process may run this; the
    database decides which posts each slot (services/schedules.py)."""
    from bot.app import workspace_client

    while True:
        try:
            await deps.schedules.tick(deps.knowledge.current, workspace_client(app))
        except Exception as error:  # a failed tick must not stop the app; the next one tries again
            logger.warning("scheduled posts: tick failed (%s)", type(error).__name__)
        await asyncio.sleep(deps.settings.schedule_tick_seconds)


def _background(deps: Deps, app: AsyncApp) -> list[asyncio.Task[None]]:
    return [
        asyncio.create_task(_expire_forever(deps, app)),
        asyncio.create_task(_schedule_forever(deps, app)),
    ]


async def _until_stopped(deps: object) -> None:
    """Run until SIGTERM or SIGINT; SIGHUP reloads the content (validated first, kept if invalid)."""
    from services.deps import Deps

    assert isinstance(deps, Deps)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    async def reload() -> None:
        problems = await deps.knowledge.reload()
        if problems:
            logger.error("SIGHUP reload rejected; keeping the old content:\n%s", "\n".join(problems))
        else:
            logger.info("SIGHUP: content reloaded (%d entries)", len(deps.knowledge.current.entries))

    reloads: set[asyncio.Task[None]] = set()

    def on_hangup() -> None:
        task = asyncio.create_task(reload())
        reloads.add(task)
        task.add_done_callback(reloads.discard)

    loop.add_signal_handler(signal.SIGHUP, on_hangup)
    await stop.wait()


async def _ready(deps: Deps, app: AsyncApp, worker: bool = True) -> AnswerWorker | None:
    """Start-up done: check the bot token, start the answer worker (unless another process runs it), then
    settle the GC."""
    from bot.app import check_token
    from bot.worker import start_worker

    await check_token(app)
    started = start_worker(deps, app) if worker else None
    if started is None:
        logger.info("no answer worker in this process: `python -m bot worker` answers queued questions")
    settle_garbage_collector()
    return started


async def _worker(deps: object, host: str, port: int | None) -> None:
    from aiohttp import web

    from bot.app import create_app
    from bot.web import SlackCheck, add_operator_routes
    from bot.worker import stop_app
    from services.deps import Deps

    assert isinstance(deps, Deps)
    app = create_app(deps)  # for its Web API client, and with many workspaces their tokens
    worker = await _ready(deps, app)
    runner = None
    if port is not None:  # health and metrics for operators: the worker's counts live in this process
        operator_app = web.Application()
        add_operator_routes(operator_app, deps, None if deps.settings.oauth else SlackCheck(app.client))
        runner = web.AppRunner(operator_app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, host, port).start()
    logger.info("answer worker: answering queued questions%s", f"; /metrics on port {port}" if port else "")
    scheduler = asyncio.create_task(_schedule_forever(deps, app))
    await _until_stopped(deps)
    scheduler.cancel()
    logger.info("stopping: answering questions already queued")
    if runner is not None:
        await runner.cleanup()
    await stop_app(app, worker)


async def _serve(deps: object, host: str, port: int, in_process_worker: bool) -> None:
    from aiohttp import web

    from bot.app import create_app
    from bot.web import EVENTS_PATH, create_web_app
    from bot.worker import stop_app
    from services.deps import Deps

    assert isinstance(deps, Deps)
    app = create_app(deps, verified_upstream=True)  # create_web_app checks every signature first
    worker = await _ready(deps, app, in_process_worker)
    runner = web.AppRunner(create_web_app(app, deps), access_log=None, shutdown_timeout=10)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    logger.info("HTTP mode: listening on %s:%d, Slack posts to %s", host, port, EVENTS_PATH)
    background = _background(deps, app)
    await _until_stopped(deps)
    for task in background:
        task.cancel()
    logger.info("stopping: finishing requests in flight")
    await runner.cleanup()
    await stop_app(app, worker)


async def _socket(deps: object, in_process_worker: bool) -> None:
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    from bot.app import create_app
    from bot.worker import stop_app
    from services.deps import Deps

    assert isinstance(deps, Deps)
    app = create_app(deps)
    handler = AsyncSocketModeHandler(app, deps.settings.slack_app_token)
    await handler.connect_async()  # type: ignore[no-untyped-call]
    logger.info("Socket Mode: connected")
    worker = await _ready(deps, app, in_process_worker)
    background = _background(deps, app)
    await _until_stopped(deps)
    for task in background:
        task.cancel()
    logger.info("stopping")
    await handler.close_async()  # type: ignore[no-untyped-call]
    await stop_app(app, worker)


if __name__ == "__main__":
    sys.exit(main())
