"""The helper that stops app processes in tests: a process that ignores SIGTERM fails the test, not the run."""

from __future__ import annotations

import asyncio
import sys

import pytest

from tests.processes import stop_processes

IGNORES_SIGTERM = (
    "import signal, sys, time\n"
    "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    "print('stuck', file=sys.stderr, flush=True)\n"
    "time.sleep(60)\n"
)


async def test_a_process_that_will_not_stop_is_killed_and_named() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", IGNORES_SIGTERM, stderr=asyncio.subprocess.PIPE
    )
    assert process.stderr is not None
    await process.stderr.readline()  # its handler is set
    with pytest.raises(AssertionError, match=r"did not stop within 1\.0 s"):
        await stop_processes(process, within=1.0)
    assert process.returncode is not None and process.returncode < 0  # killed


async def test_a_clean_stop_returns_the_exit_codes() -> None:
    process = await asyncio.create_subprocess_exec(sys.executable, "-c", "import time; time.sleep(60)")
    assert await stop_processes(process) == [-15]
