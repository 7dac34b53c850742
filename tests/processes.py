"""Starting real processes of the app (and of the benchmark's floor app) on loopback, for tests and benchmarks."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def start_process(
    args: Sequence[str], env: Mapping[str, str], ready_url: str, within: float = 15.0
) -> asyncio.subprocess.Process:
    """Start `args` and wait until `ready_url` answers without a server error; its stderr is kept for failures."""
    process = await asyncio.create_subprocess_exec(
        *args, cwd=ROOT, env=dict(env), stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    )
    async with aiohttp.ClientSession() as session:
        for _ in range(int(within / 0.05)):
            if process.returncode is not None:
                break
            try:
                async with session.get(ready_url) as resp:
                    if resp.status < 500:
                        return process
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    if process.returncode is None:
        process.kill()
    _, err = await process.communicate()
    raise AssertionError(f"{' '.join(args)} did not start: {err.decode()[-2000:]}")


async def stop_processes(*processes: asyncio.subprocess.Process, within: float = 20.0) -> list[int]:
    """SIGTERM each process and wait for it, at most `within` seconds in all: a stuck shutdown is killed and
    fails the caller with its stderr, rather than hanging the test run. Returns the exit codes."""
    for process in processes:
        if process.returncode is None:
            process.terminate()
    try:
        async with asyncio.timeout(within):
            return [await process.wait() for process in processes]
    except TimeoutError:
        stuck = [p for p in processes if p.returncode is None]
        for process in stuck:
            process.kill()
        errors = [(await p.communicate())[1] or b"" for p in stuck]
        raise AssertionError(
            f"{len(stuck)} process(es) did not stop within {within} s of SIGTERM: "
            + " | ".join(e.decode(errors="replace")[-1500:] for e in errors)
        ) from None


def app_env(
    database_url: str, api_url: str, secret: str, token: str = "xoxb-test-token", **extra: str
) -> dict[str, str]:
    """The environment of an HTTP-mode app process talking to the Slack stand-in at `api_url`."""
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": token,
        "SLACK_SIGNING_SECRET": secret,
        "SLACK_API_URL": api_url,
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "WARNING",
        **extra,
    }
    env.pop("SLACK_APP_TOKEN", None)
    return env


async def serve_app(
    database_url: str,
    api_url: str,
    secret: str,
    token: str = "xoxb-test-token",
    *,
    worker: bool = True,
    **extra: str,
) -> tuple[asyncio.subprocess.Process, str]:
    """`python -m bot serve` on a free loopback port, ready (GET /readyz is 200); returns it and its base URL.

    `worker=False`: the web side only (`--no-worker`), acknowledging and queueing questions.
    """
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    args = [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(port)]
    args += [] if worker else ["--no-worker"]
    process = await start_process(
        args, app_env(database_url, api_url, secret, token, **extra), f"{base}/readyz"
    )
    return process, base


async def start_worker_process(
    database_url: str, api_url: str, token: str = "xoxb-test-token", *, nice: int = 0, port: int | None = None
) -> asyncio.subprocess.Process:
    """`python -m bot worker`: answers the questions queued in `database_url`. With `port`, it serves /healthz,
    /readyz and /metrics there and is returned once ready; without, callers wait for its answers.
    `nice`: a lower CPU priority, as the benchmark gives it beside the web side."""
    args = [sys.executable, "-m", "bot", "worker"]
    if port is not None:
        args += ["--host", "127.0.0.1", "--port", str(port)]
    if nice:
        args = ["nice", "-n", str(nice), *args]
    env = app_env(database_url, api_url, "", token)
    env.pop("SLACK_SIGNING_SECRET")
    if port is not None:
        return await start_process(args, env, f"http://127.0.0.1:{port}/readyz")
    return await asyncio.create_subprocess_exec(
        *args, cwd=ROOT, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    )
