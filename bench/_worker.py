"""A `leadstreams worker` process against a benchmark's database, as deployed beside servers:
the command itself (the virtualenv's script), its log in a file, its CPU time read from /proc.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Worker:
    process: subprocess.Popen[bytes]
    log: Path

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.process.pid)


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _command() -> list[str]:
    script = Path(sys.executable).with_name("leadstreams")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from leadstreams.cli import main; main()"]


@contextlib.contextmanager
def worker(url: str, *, name: str, secret: str, **settings: str) -> Iterator[Worker]:
    """`leadstreams worker` on `url` until the block ends (SIGTERM, as an operator stops it)."""
    env = os.environ | {
        "LEADSTREAMS_DATABASE_URL": url,
        "LEADSTREAMS_SECRET_KEY": secret,
        "LEADSTREAMS_LOG_LEVEL": "INFO",
        "LEADSTREAMS_WEBHOOK_ALLOW_PRIVATE": "true",
    }
    env |= {f"LEADSTREAMS_{key.upper()}": value for key, value in settings.items()}
    with tempfile.NamedTemporaryFile(prefix=f"bench-worker-{name}-", suffix=".log") as log:
        process = subprocess.Popen(
            [*_command(), "worker", "--name", name], env=env, stdout=log, stderr=log
        )
        running = Worker(process, Path(log.name))
        try:
            _wait_started(running, f"worker {name}: started")  # logged once its loop runs
            yield running
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_started(running: Worker, line: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while line not in running.log.read_text(errors="replace"):
        if running.process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the worker did not start:\n{running.log.read_text()}")
        time.sleep(0.05)
