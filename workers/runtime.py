"""Process runtime shared by the worker and the clock: the Flask app, the unit of work, Redis.

- `get_app()` builds the app once per process with `create_app()`; forked work horses reuse it and
  only drop the database connections they inherited.
- `unit_of_work` wraps a job body: app context, one transaction (commit on success, rollback on any
  exception), one log line.
- `wait_for_redis()` blocks until Redis answers PING, so honcho does not see the worker die while
  the `redis` process is still starting.
"""
from __future__ import annotations

import functools
import logging
import os
import time
from contextlib import AbstractContextManager, nullcontext
from typing import Any, Callable, Mapping, ParamSpec, TypeVar

from flask import Flask, has_app_context
from redis import Redis
from redis.exceptions import RedisError

from app import create_app
from app.extensions import db

logger = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

# Workers never deploy BPMN files: instances are pinned to deployed versions, and three processes
# deploying at once would race. The web process (or `flask crm deploy`) owns deployment.
WORKER_CONFIG: dict[str, Any] = {"CRM_DEPLOY_ON_START": "warn"}


class _State:
    app: Flask | None = None
    pid: int | None = None


_state = _State()


def use_app(app: Flask | None) -> None:
    """Make `app` the process's app (tests; `None` forgets it so the next job builds a fresh one)."""
    _state.app = app
    _state.pid = os.getpid() if app is not None else None


def get_app(config_overrides: Mapping[str, Any] | None = None) -> Flask:
    """Return the process's app, building it on first use.

    In a forked work horse the inherited SQLAlchemy pools hold the parent's sockets; they are
    dropped without closing (`dispose(close=False)`, SQLAlchemy's fork recipe) so the child opens
    its own connections.
    """
    if _state.app is None:
        _state.app = create_app({**WORKER_CONFIG, **(config_overrides or {})})
        _state.pid = os.getpid()
    elif _state.pid != os.getpid():
        with _state.app.app_context():
            for engine in db.engines.values():
                engine.dispose(close=False)
        _state.pid = os.getpid()
    return _state.app


def unit_of_work(fn: Callable[P, R]) -> Callable[P, R]:
    """Run the job body in an app context as one transaction: commit on success, else roll back.

    Re-raises the exception after the rollback so RQ records the failure and applies the job's
    `Retry`. Logs one line per run with the job name, its arguments and the duration.
    """
    name = f"{fn.__module__}.{fn.__qualname__}"

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        started = time.monotonic()
        # Inside an app context already (a test calling the job directly, or one job calling
        # another in-process): use it and its session. Otherwise this is a worker: own the context.
        owns_context = not has_app_context()
        context: AbstractContextManager[Any] = get_app().app_context() if owns_context else nullcontext()
        with context:
            try:
                result = fn(*args, **kwargs)
                db.session.commit()
            except Exception:
                db.session.rollback()
                logger.exception("job %s%r failed after %.3f s, rolled back", name, args,
                                 time.monotonic() - started)
                raise
            finally:
                if owns_context:
                    db.session.remove()
        logger.info("job %s%r done in %.3f s -> %r", name, args, time.monotonic() - started, result)
        return result

    return wrapper


def redis_connection(url: str) -> Redis:
    return Redis.from_url(url, health_check_interval=30)


def wait_for_redis(url: str, timeout: float = 30.0, interval: float = 0.25) -> Redis:
    """Return a connection once Redis at `url` answers PING; raise `RedisError` after `timeout` s."""
    conn = redis_connection(url)
    deadline = time.monotonic() + timeout
    announced = False
    while True:
        try:
            conn.ping()
            return conn
        except RedisError as e:
            if time.monotonic() >= deadline:
                raise RedisError(f"Redis at {url} did not answer PING within {timeout:.0f} s: {e}") from e
            if not announced:
                logger.info("waiting for Redis at %s ...", url)
                announced = True
            time.sleep(interval)


def configure_logging(level: str | None = None) -> None:
    """Entry points only: one format for the worker, the clock and the Redis launcher."""
    logging.basicConfig(level=(level or os.environ.get("CRM_LOG_LEVEL", "INFO")).upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
