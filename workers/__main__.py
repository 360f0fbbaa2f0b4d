"""`python -m workers [QUEUE ...] [--burst]`: the RQ worker (a forking `rq.Worker`).

Waits up to 30 s for Redis to answer PING (under honcho the `redis` process may still be starting),
then builds the Flask app once before forking, then works the queues in the order given (default:
mail, documents, default) with the RQ scheduler enabled, which `Retry(interval=...)` needs.
"""
from __future__ import annotations

import argparse
import logging
import sys

from redis.exceptions import RedisError
from rq import Worker

from app import jobs as names
from app.config import Config
from workers.runtime import configure_logging, get_app, wait_for_redis

logger = logging.getLogger("workers")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workers", description="Run the CRM's RQ worker.")
    parser.add_argument("queues", nargs="*", metavar="QUEUE",
                        help=f"queues in priority order (default: {' '.join(names.QUEUES)})")
    parser.add_argument("--burst", action="store_true", help="exit when the queues are empty")
    parser.add_argument("--redis-timeout", type=float, default=30.0, help="seconds to wait for Redis")
    args = parser.parse_args(argv)
    queues = args.queues or list(names.QUEUES)
    unknown = sorted(set(queues) - set(names.QUEUES))
    if unknown:
        parser.error(f"unknown queue(s) {', '.join(unknown)}; choose from {', '.join(names.QUEUES)}")
    configure_logging()

    url = Config.from_env().REDIS_URL
    try:
        conn = wait_for_redis(url, timeout=args.redis_timeout)
    except RedisError as e:
        logger.error("%s", e)
        return 1
    get_app()  # build once here, before forking, so every work horse inherits it
    logger.info("worker on %s, queues: %s", url, ", ".join(queues))
    worker = Worker(queues, connection=conn)
    level = logging.getLevelName(logger.getEffectiveLevel())
    worker.work(burst=args.burst, with_scheduler=True, logging_level=level)
    return 0


if __name__ == "__main__":
    sys.exit(main())
