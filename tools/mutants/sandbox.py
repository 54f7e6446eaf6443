"""Run one job in a forked child with a time and a memory limit, so a mutant that loops forever or
allocates without end costs a bounded slice of one core, and never the parent's state.

A child's verdict is one line written to a pipe; a child killed by the timer, the memory limit or a
crash counts as "caught" (the learner's page would have stopped it with an error too).
"""

from __future__ import annotations

import os
import resource
import select
import signal
import time
from collections.abc import Callable, Iterable


def _child(job: Callable[[], str], write_fd: int, seconds: float, memory_bytes: int) -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        verdict = job()
    except BaseException as err:  # noqa: BLE001 - any failure of the mutant's run is a verdict
        verdict = f"caught: {type(err).__name__}"
    os.write(write_fd, verdict.encode("utf-8", "replace")[:4000])
    os._exit(0)


def run_all(jobs: Iterable[tuple[object, Callable[[], str]]], workers: int, seconds: float, memory_mb: int):
    """Yield (key, verdict) for every (key, job), running up to `workers` forked children at once."""
    pending = iter(jobs)
    running: dict[int, tuple[object, int, float]] = {}  # pid -> (key, read fd, started)
    memory = memory_mb * 1024 * 1024
    while True:
        while len(running) < workers:
            nxt = next(pending, None)
            if nxt is None:
                break
            key, job = nxt
            read_fd, write_fd = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.close(read_fd)
                _child(job, write_fd, seconds, memory)
            os.close(write_fd)
            running[pid] = (key, read_fd, time.monotonic())
        if not running:
            return
        pid, status = os.waitpid(-1, 0)
        if pid not in running:
            continue
        key, read_fd, _ = running.pop(pid)
        ready, _, _ = select.select([read_fd], [], [], 0)
        text = os.read(read_fd, 4000).decode("utf-8", "replace") if ready else ""
        os.close(read_fd)
        if not text:
            if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGALRM:
                text = f"caught: over {seconds:g} s"
            else:
                text = "caught: child died (memory limit or crash)"
        yield key, text
