"""Process runtime shared by the worker and the clock: the Flask app, the unit of work, Redis.

- `get_app()` builds the app once per process with `create_app()`; forked work horses reuse it and
  only drop the database connections they inherited.
- `unit_of_work` wraps a job body: app context, one transaction (commit on success, rollback on any
  exception), one log line: INFO when the job did something, DEBUG when it found nothing to do.
- `wait_for_redis()` blocks until Redis answers PING (with backoff, by default for as long as it
  takes), so honcho never sees the worker or the clock die while Redis is starting or restarting:
  honcho stops every process as soon as one exits.
- `configure_logging()` gives the entry points one format and keeps rq's per-job chatter out of
  the log unless CRM_LOG_LEVEL is DEBUG.
"""
from __future__ import annotations

import functools
import logging
import os
import threading
import time
from contextlib import AbstractContextManager, nullcontext
from typing import Any, Callable, Mapping, ParamSpec, TypeVar

from flask import Flask, has_app_context
from redis import Redis
from redis.exceptions import RedisError

from app import create_app
from app.config import Config, InsecureSecretKey, check_secret_key
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
    `Retry`. Logs one line per run with the job name, its arguments and the duration: at INFO when
    the job returned something truthy (it did something), at DEBUG when it returned a falsy value
    (nothing was due), so an idle system writes nothing at the default level.
    """
    return _unit_of_work(fn, quiet=False)


def quiet_unit_of_work(fn: Callable[P, R]) -> Callable[P, R]:
    """`unit_of_work` for the clock's periodic scans: a successful run logs at DEBUG only.

    A scan's visible effect is the jobs it enqueues, and each of those logs its own line; logging
    the scan too would write two lines per action.
    """
    return _unit_of_work(fn, quiet=True)


def _unit_of_work(fn: Callable[P, R], quiet: bool) -> Callable[P, R]:
    name = fn.__qualname__

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
            except Exception as e:
                db.session.rollback()
                # One line: the exception propagates, and RQ logs it with its traceback.
                logger.error("job %s%r failed after %.3f s, rolled back: %s: %s", name, args,
                             time.monotonic() - started, type(e).__name__, e)
                raise
            finally:
                if owns_context:
                    db.session.remove()
        level = logging.INFO if result and not quiet else logging.DEBUG
        logger.log(level, "job %s%r done in %.3f s -> %r", name, args, time.monotonic() - started, result)
        return result

    return wrapper


class Backoff:
    """Delays that double from `initial` up to `cap` seconds; `reset()` after a success."""

    def __init__(self, initial: float = 0.25, cap: float = 5.0, factor: float = 2.0) -> None:
        self.initial, self.cap, self.factor = initial, cap, factor
        self._next = initial

    def next(self) -> float:
        delay = self._next
        self._next = min(self._next * self.factor, self.cap)
        return delay

    def reset(self) -> None:
        self._next = self.initial


#: Seconds to open a TCP connection to Redis: a blackholed host must not hang the worker or clock.
REDIS_CONNECT_TIMEOUT = 5.0
#: Seconds to wait for the reply to a PING while waiting for Redis.
PROBE_TIMEOUT = 2.0


def secure_config() -> Config | None:
    """The process's settings, or None after logging why it must not start (the development or a
    short SECRET_KEY outside debug/testing: the worker and the clock refuse like the web does)."""
    config = Config.from_env()
    try:
        check_secret_key(config.as_mapping())
    except InsecureSecretKey as e:
        logger.error("%s", e)
        return None
    return config


def redis_connection(url: str, socket_timeout: float | None = None) -> Redis:
    """A connection for the worker and the clock. `socket_timeout` bounds the wait for each reply:
    the clock sets one (a stalled Redis must not hang it); the worker must not, as its dequeue is a
    blocking command of several minutes (rq sets the worker's reply timeout above that itself)."""
    return Redis.from_url(url, health_check_interval=30, socket_connect_timeout=REDIS_CONNECT_TIMEOUT,
                          socket_timeout=socket_timeout)


def wait_for_redis(url: str, timeout: float | None = None, stop: threading.Event | None = None,
                   backoff: Backoff | None = None, socket_timeout: float | None = None) -> Redis | None:
    """Return a connection once Redis at `url` answers PING.

    Retries with `backoff` (0.25 s doubling up to 5 s). Logs one line when the first PING fails
    (INFO: at start Redis may simply still be starting) and one when Redis answers after that,
    nothing per attempt. Waits for as long as it takes
    unless `timeout` (seconds) is given, then raises `RedisError`. Returns None as soon as `stop`
    is set (a SIGTERM while waiting). `socket_timeout`: see `redis_connection`.
    """
    # The PINGs use a connection with a short reply timeout of their own: a server that accepts the
    # connection but does not answer yet (still starting, stalled) must not block the wait, which a
    # SIGTERM could then not end (a blocking recv is resumed after the signal handler).
    conn = redis_connection(url, socket_timeout or PROBE_TIMEOUT)
    backoff = backoff or Backoff()
    deadline = None if timeout is None else time.monotonic() + timeout
    waiting_since: float | None = None
    while True:
        try:
            conn.ping()
        except RedisError as e:
            if deadline is not None and time.monotonic() >= deadline:
                raise RedisError(f"Redis at {url} did not answer PING within {timeout:.0f} s: {e}") from e
            if waiting_since is None:
                waiting_since = time.monotonic()
                logger.info("waiting for Redis at %s (%s); retrying with backoff", url, e)
            delay = backoff.next()
            if stop is not None:
                if stop.wait(delay):
                    conn.close()
                    return None
            else:
                time.sleep(delay)
            continue
        if waiting_since is not None:
            logger.info("Redis at %s answers (after %.1f s)", url, time.monotonic() - waiting_since)
        if socket_timeout is None:  # the caller wants blocking commands: not the probe's reply timeout
            conn.close()
            conn = redis_connection(url, None)
        return conn


#: rq's own loggers: one line per job received, completed and result kept, and the scheduler's
#: lock chatter. Our `unit_of_work` line says what matters; these speak only at WARNING and above.
RQ_LOGGERS = ("rq", "rq.worker", "rq.job", "rq.scheduler", "rq.queue")


def log_level() -> str:
    """The process's log level: CRM_LOG_LEVEL (default INFO)."""
    return os.environ.get("CRM_LOG_LEVEL", "INFO").strip().upper() or "INFO"


def rq_log_level(level: str | None = None) -> str:
    """rq's loggers speak at WARNING unless we run at DEBUG (then everything is wanted)."""
    return "DEBUG" if (level or log_level()) == "DEBUG" else "WARNING"


def configure_logging(level: str | None = None) -> None:
    """Entry points only: one format for the worker, the clock and the Redis launcher."""
    level = (level or log_level()).upper()
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for name in RQ_LOGGERS:
        logging.getLogger(name).setLevel(rq_log_level(level))
