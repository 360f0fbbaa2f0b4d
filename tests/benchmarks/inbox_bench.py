#!/usr/bin/env python
"""Inbox and task-completion benchmark on a large SQLite `human_tasks` index.

    .venv/bin/python tests/benchmarks/inbox_bench.py [--tasks 1000000] [--open-for-user 10000]
        [--db PATH] [--samples 200] [--gunicorn] [--profile] [--analyze] [--reuse]

1. Seeds a fresh SQLite file through the app (migrations, demo cast, ~200 extra users, a few
   hundred real `assignment` processes for manager1 via the service) and then bulk-inserts
   synthetic `human_tasks` rows (executemany, 50k per batch, one transaction) pointing at a
   handful of synthetic `process_instances` rows. Synthetic tasks are only listed, never completed.
2. Measures GET /api/v1/tasks?scope=current (page 1, per_page=20) and
   POST /api/v1/tasks/<id>/complete through the Flask test client (full WSGI stack, bearer
   token), and optionally over real HTTP against `gunicorn -w 1` (--gunicorn).
3. Prints a table and writes JSON (and cProfile dumps with --profile) to tests/benchmarks/out/.

Not a test: pytest never collects this file (the name does not match test_*.py / *_test.py).
Targets from the design: inbox p95 <= 30 ms, complete p50 <= 10 ms (SQLite).

Another revision (a worktree) is measured with CRM_BENCH_APP_ROOT=/path/to/it, as in kanban_bench.py.

What-ifs (--whatif a,b): in-process monkeypatches that measure a proposed app/ change without
editing app/ (also applied inside gunicorn via `inbox_bench:whatif_app()`).
"""
from __future__ import annotations

import argparse
import cProfile
import importlib
import http.client
import io
import json
import os
import platform
import pstats
import random
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
OUT_DIR = Path(__file__).resolve().parent / "out"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.benchmarks._common import (  # noqa: E402
    log, remove_db_files, select_app_root, sqlite_ts, summary, time_calls)

# The app measured: this checkout, or another one to compare revisions (CRM_BENCH_APP_ROOT or PYTHONPATH).
APP_ROOT = select_app_root(ROOT)

SYNTHETIC_UUID_PREFIX = "bbbbbbbb-"  # task_uuid prefix of synthetic rows (real ones are uuid4)
BENCH_TITLE_PREFIX = "Bench assignment"
TARGET_INBOX_P95_MS = 30.0
TARGET_COMPLETE_P50_MS = 10.0
INBOX_URL = "/api/v1/tasks?scope=current&page=1&per_page=20"
COMPLETE_BODY = {"data": {"result_comment": "done"}}


# ------------------------------------------------------------------------------------------ helpers


# ------------------------------------------------------------------------------------------ seeding


def make_app(db_path: Path) -> Any:
    from tests.conftest import make_test_app

    return make_test_app(f"sqlite:///{db_path}", CRM_JOBS_INLINE=True, WTF_CSRF_ENABLED=False)


def seed_people(app: Any, extra_users: int, extra_groups: int, rng: random.Random) -> dict[str, Any]:
    """Demo cast (admin, director, manager1, manager2) + extra groups + extra users (bulk insert)."""
    import sqlalchemy as sa

    from app.auth.models import User, user_groups
    from app.auth.services import ensure_groups
    from app.demo import load_demo
    from app.extensions import db

    with app.app_context():
        load_demo(force=True)
        db.session.commit()
        ensure_groups({f"bench-team-{i:02d}": f"Bench team {i:02d}" for i in range(extra_groups)})
        m1 = db.session.scalars(sa.select(User).where(User.login == "manager1")).one()
        director = db.session.scalars(sa.select(User).where(User.login == "director")).one()
        pw_hash = m1.password_hash  # every bench user's password is "demo" (no 200 scrypt calls)
        now_naive = sqlite_ts(datetime.now(timezone.utc))
        rows = []
        for i in range(extra_users):
            # A tenth report to manager1 (subordinates scope), the rest to the director.
            manager = m1.id if i % 10 == 0 else director.id
            rows.append({"login": f"bench{i:03d}", "full_name": f"Bench User {i:03d}",
                         "email": f"bench{i:03d}@example.org", "password_hash": pw_hash, "is_active": True,
                         "locale": "en", "timezone": "Europe/Moscow", "line_manager_id": manager,
                         "created_at": now_naive, "updated_at": now_naive, "version": 1})
        if rows:
            db.session.execute(sa.text(
                "INSERT INTO users (login, full_name, email, password_hash, is_active, locale, timezone, "
                "line_manager_id, created_at, updated_at, version) VALUES (:login, :full_name, :email, "
                ":password_hash, :is_active, :locale, :timezone, :line_manager_id, :created_at, :updated_at, "
                ":version)"), rows)
        bench_ids = list(db.session.scalars(sa.select(User.id).where(User.login.like("bench%")).order_by(User.id)))
        memberships = []
        for uid in bench_ids:
            for g in rng.sample(range(extra_groups), k=min(2, extra_groups)):
                memberships.append({"user_id": uid, "group_id": f"bench-team-{g:02d}"})
        if memberships:
            db.session.execute(sa.insert(user_groups), memberships)
        db.session.commit()
        users = {u.login: u.id for u in db.session.scalars(sa.select(User))}
        groups = [g for (g,) in db.session.execute(sa.text("SELECT id FROM groups ORDER BY id"))]
        db.session.remove()
    return {"users": users, "groups": groups}


def seed_real_assignments(app: Any, count: int, start_index: int = 0) -> float:
    """`count` real assignments (director → manager1) created through the service; returns seconds."""
    import sqlalchemy as sa

    from app.assignments.services import AssignmentData, create_assignment
    from app.auth.models import User
    from app.extensions import db

    t0 = time.perf_counter()
    with app.app_context():
        director = db.session.scalars(sa.select(User).where(User.login == "director")).one()
        today = date.today()
        for i in range(start_index, start_index + count):
            create_assignment(director, AssignmentData(title=f"{BENCH_TITLE_PREFIX} {i}", executor="manager1",
                                                       due_date=today + timedelta(days=1 + i % 30)))
            if i % 50 == 49:
                db.session.commit()
        db.session.commit()
        db.session.remove()
    return time.perf_counter() - t0


def current_filter_sql(group_ids: list[str]) -> tuple[str, list[Any]]:
    marks = ",".join("?" * len(group_ids)) or "NULL"
    return (f"status = 'open' AND (assignee_id = ? OR (assignee_id IS NULL AND candidate_group_id IN ({marks})))",
            group_ids)


def manager1_identity(conn: sqlite3.Connection) -> tuple[int, list[str]]:
    uid = conn.execute("SELECT id FROM users WHERE login = 'manager1'").fetchone()[0]
    groups = [g for (g,) in conn.execute("SELECT group_id FROM user_groups WHERE user_id = ? ORDER BY group_id",
                                         (uid,))]
    return uid, groups


def count_real_visible(conn: sqlite3.Connection) -> int:
    uid, groups = manager1_identity(conn)
    where, params = current_filter_sql(groups)
    return conn.execute(f"SELECT count(*) FROM human_tasks WHERE {where} AND task_uuid NOT LIKE ?",
                        [uid, *params, SYNTHETIC_UUID_PREFIX + "%"]).fetchone()[0]


def seed_synthetic(db_path: Path, people: dict[str, Any], n_tasks: int, open_for_user: int, open_for_group: int,
                   n_instances: int, closed_share: float, batch: int, rng: random.Random) -> dict[str, Any]:
    """Bulk-insert synthetic process_instances + human_tasks in one transaction (raw sqlite3)."""
    conn = sqlite3.connect(str(db_path), isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")  # bulk load only; the app uses NORMAL
    conn.execute("PRAGMA foreign_keys=OFF")  # rows are valid by construction; checked below
    conn.execute("PRAGMA cache_size=-262144")  # 256 MB page cache for the index rebuild
    timings: dict[str, float] = {}
    t_all = time.perf_counter()

    uid_m1, m1_groups = manager1_identity(conn)
    # A real instance and one of its task rows: their state / properties / version are copied.
    inst = conn.execute("SELECT process_id, version_id, record_type, state, started_by_id FROM process_instances "
                        "WHERE process_id = 'assignment' ORDER BY id LIMIT 1").fetchone()
    props_by_name = {name: props for name, props in conn.execute(
        "SELECT task_name, properties FROM human_tasks GROUP BY task_name")}
    kinds = [("complete_assignment", "Complete assignment", "executor", "assignment/complete_assignment.schema.json"),
             ("review_result", "Review result", "reviewer", "assignment/review_result.schema.json"),
             ("overdue_assignment", "Overdue assignment", "executor_line_manager",
              "assignment/overdue_assignment.schema.json")]
    kind_weights = [0.8, 0.12, 0.08]
    default_props = props_by_name.get("complete_assignment", "{}")

    now = datetime.now(timezone.utc).replace(microsecond=0, tzinfo=None)
    now_txt = sqlite_ts(now)
    conn.execute("BEGIN IMMEDIATE")
    t0 = time.perf_counter()
    first_iid = (conn.execute("SELECT coalesce(max(id), 0) FROM process_instances").fetchone()[0]) + 1
    conn.executemany(
        "INSERT INTO process_instances (id, process_id, version_id, record_type, record_id, status, state, "
        "next_timer_at, started_by_id, created_at, updated_at, version) "
        "VALUES (?, ?, ?, ?, ?, 'running', ?, NULL, ?, ?, ?, 1)",
        [(first_iid + k, inst[0], inst[1], inst[2], 10_000_000 + k, inst[3], inst[4], now_txt, now_txt)
         for k in range(n_instances)])
    instance_ids = list(range(first_iid, first_iid + n_instances))
    timings["instances_s"] = time.perf_counter() - t0

    # Drop the secondary indexes for the load and rebuild them from their own DDL afterwards
    # (the UNIQUE(task_uuid) auto-index stays; synthetic uuids are ascending, so it appends).
    index_ddl = [(name, ddl) for name, ddl in conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'human_tasks' AND sql IS NOT NULL")]
    for name, _ddl in index_ddl:
        conn.execute(f'DROP INDEX "{name}"')

    user_ids = sorted(people["users"].values())
    other_users = [u for u in user_ids if u != uid_m1]
    other_groups = [g for g in people["groups"] if g not in m1_groups]
    group_for_m1 = m1_groups[0] if m1_groups else None
    if open_for_group and group_for_m1 is None:
        raise SystemExit("manager1 is in no group; cannot seed --open-for-group")

    n_closed = int(round(closed_share * n_tasks))
    n_open_other = n_tasks - n_closed - open_for_user - open_for_group
    if n_open_other < 0:
        raise SystemExit("--tasks is too small for --open-for-user/--open-for-group and the closed share")
    # 0 closed, 1 manager1 open, 2 manager1's group open (unassigned), 3 other open
    cats = bytearray([0]) * n_closed + bytearray([1]) * open_for_user + bytearray([2]) * open_for_group \
        + bytearray([3]) * n_open_other
    cats_list = list(cats)
    rng.shuffle(cats_list)

    day = 86400

    now_epoch = int(now.replace(tzinfo=timezone.utc).timestamp())
    props = {k[0]: props_by_name.get(k[0], default_props) for k in kinds}
    k1 = kind_weights[0]
    k2 = kind_weights[0] + kind_weights[1]
    all_groups = people["groups"]

    def rows(lo: int, hi: int) -> Iterator[tuple[Any, ...]]:
        # Timestamps travel as Unix seconds; SQLite formats them in C (see `ts` in the INSERT).
        r = rng.random
        choice = rng.choice
        for i in range(lo, hi):
            cat = cats_list[i]
            kr = r()
            kind = kinds[0] if kr < k1 else kinds[1] if kr < k2 else kinds[2]
            rec = 100_000 + i // 3
            completed_by = completed_at = outcome = None
            if cat == 0:
                created = now_epoch - int(r() * 730 * day)
                due: int | None = created + int((1 + r() * 13) * day)
                status = "completed" if r() < 0.94 else "canceled"
                assignee = choice(user_ids) if r() < 0.85 else None
                group = None if assignee is not None else choice(all_groups)
                completed_at = created + int(r() * 20 * day)
                if status == "completed":
                    completed_by = assignee if assignee is not None else choice(user_ids)
                    outcome = "approve" if kind is kinds[1] else None
            else:
                status = "open"
                created = now_epoch - int(r() * 60 * day)
                due = None if r() < 0.05 else now_epoch + int((r() * 60 - 30) * day)
                if cat == 1:
                    assignee, group = uid_m1, None
                elif cat == 2:
                    assignee, group = None, group_for_m1
                elif r() < 0.7:
                    assignee, group = choice(other_users), None
                else:
                    assignee, group = None, choice(other_groups)
            yield (f"{SYNTHETIC_UUID_PREFIX}0000-4000-8000-{i:012x}", instance_ids[i % n_instances], rec,
                   f"ASG-{rec}", f"Synthetic assignment {rec}", kind[0], kind[1], kind[2], assignee, group,
                   kind[3], props[kind[0]], created, due, status, completed_by, completed_at, outcome)

    # The text SQLAlchemy's SQLite DateTime stores: naive UTC 'YYYY-MM-DD HH:MM:SS.ffffff'.
    ts = "strftime('%Y-%m-%d %H:%M:%S', ?, 'unixepoch') || '.000000'"
    insert = ("INSERT INTO human_tasks (task_uuid, instance_id, process_id, record_type, record_id, record_number, "
              "record_title, task_name, title, lane, assignee_id, candidate_group_id, form_path, properties, "
              "created_at, due_at, status, completed_by_id, completed_at, outcome) "
              f"VALUES (?, ?, 'assignment', 'assignment', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, {ts}, {ts}, ?, ?, {ts}, ?)")
    t0 = time.perf_counter()
    gen_s = 0.0
    for lo in range(0, n_tasks, batch):
        g0 = time.perf_counter()
        chunk = list(rows(lo, min(lo + batch, n_tasks)))
        gen_s += time.perf_counter() - g0
        conn.executemany(insert, chunk)
        if (lo // batch) % 4 == 3:
            log(f"  inserted {lo + len(chunk):,} / {n_tasks:,} human_tasks")
    timings["tasks_insert_s"] = time.perf_counter() - t0
    timings["tasks_rowgen_s"] = gen_s

    t0 = time.perf_counter()
    for _name, ddl in index_ddl:
        conn.execute(ddl)
    timings["index_rebuild_s"] = time.perf_counter() - t0
    conn.execute("COMMIT")
    timings["commit_s"] = time.perf_counter() - t0 - timings["index_rebuild_s"]

    t0 = time.perf_counter()
    bad_fk = conn.execute("PRAGMA foreign_key_check(human_tasks)").fetchall()
    timings["fk_check_s"] = time.perf_counter() - t0
    if bad_fk:
        raise SystemExit(f"foreign key violations in human_tasks: {bad_fk[:5]}")
    t0 = time.perf_counter()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    timings["checkpoint_s"] = time.perf_counter() - t0
    timings["total_s"] = time.perf_counter() - t_all
    conn.close()
    return {"timings": {k: round(v, 2) for k, v in timings.items()}, "closed": n_closed,
            "open_for_user": open_for_user, "open_for_group": open_for_group, "open_other": n_open_other,
            "synthetic_instances": n_instances, "index_ddl": [d for _n, d in index_ddl]}


# ------------------------------------------------------------------------------------------ clients


class TestClientDriver:
    """In-process HTTP through the full WSGI stack (Flask test client), no outer app context."""

    name = "flask-test-client"
    in_process = True

    def __init__(self, app: Any) -> None:
        self.client = app.test_client()
        self.headers: dict[str, str] = {}

    def login(self, login: str, password: str = "demo") -> None:
        r = self.client.post("/api/v1/auth/token", json={"login": login, "password": password})
        assert r.status_code == 201, r.get_data(as_text=True)
        self.headers = {"Authorization": f"Bearer {r.get_json()['token']}"}

    def get(self, url: str) -> tuple[int, Any]:
        r = self.client.get(url, headers=self.headers)
        return r.status_code, r.get_json()

    def post(self, url: str, body: Any) -> tuple[int, Any]:
        r = self.client.post(url, json=body, headers=self.headers)
        return r.status_code, r.get_json()

    def close(self) -> None:
        pass


class HttpDriver:
    """Real HTTP with one persistent http.client connection (reconnects when the server closes it)."""

    name = "gunicorn-http"
    in_process = False

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers: dict[str, str] = {}

    def _request(self, method: str, url: str, body: Any = None) -> tuple[int, Any]:
        headers = {"Accept": "application/json", "Connection": "keep-alive", **self.headers}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        try:
            self.conn.request(method, url, body=payload, headers=headers)
            resp = self.conn.getresponse()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            self.conn.close()
            self.conn.request(method, url, body=payload, headers=headers)
            resp = self.conn.getresponse()
        data = resp.read()
        if resp.will_close:
            self.conn.close()
        return resp.status, (json.loads(data) if data else None)

    def login(self, login: str, password: str = "demo") -> None:
        status, body = self._request("POST", "/api/v1/auth/token", {"login": login, "password": password})
        assert status == 201, body
        self.headers = {"Authorization": f"Bearer {body['token']}"}

    def get(self, url: str) -> tuple[int, Any]:
        return self._request("GET", url)

    def post(self, url: str, body: Any) -> tuple[int, Any]:
        return self._request("POST", url, body)

    def close(self) -> None:
        self.conn.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_gunicorn(db_path: Path, port: int, whatifs: list[str]) -> subprocess.Popen[bytes]:
    # The app under test first on gunicorn's path too (it also adds its working directory); this script's
    # directory next, for the what-if entry point `inbox_bench:whatif_app()` (this copy, whatever the app root).
    pythonpath = os.pathsep.join(p for p in (str(APP_ROOT), str(Path(__file__).resolve().parent),
                                             os.environ.get("PYTHONPATH", "")) if p)
    # A random key of the length the app demands outside testing (at least 32 characters).
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{db_path}", CRM_DEPLOY_ON_START="off",
               SECRET_KEY=secrets.token_urlsafe(48), CRM_JOBS_INLINE="1", REDIS_URL="redis://127.0.0.1:1/0",
               CRM_BENCH_WHATIF=",".join(whatifs), PYTHONPATH=pythonpath, CRM_BENCH_APP_ROOT=str(APP_ROOT))
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    log_path = OUT_DIR / "gunicorn.log"
    target = "inbox_bench:whatif_app()" if whatifs else "app:create_app()"
    cmd = [gunicorn, "-w", "1", "-b", f"127.0.0.1:{port}", *os.environ.get("CRM_BENCH_GUNICORN_ARGS", "").split(),
           target]
    # --no-control-socket exists from gunicorn 24 on; 23.x has no control socket to disable.
    help_text = subprocess.run([gunicorn, "--help"], capture_output=True, text=True).stdout
    if "--no-control-socket" in help_text:
        cmd.insert(1, "--no-control-socket")
    probe = subprocess.run([sys.executable, "-c", "import app; print(app.__file__)"], cwd=str(APP_ROOT), env=env,
                           capture_output=True, text=True)
    log(f"gunicorn imports {probe.stdout.strip() or probe.stderr.strip()[-300:]}")
    proc = subprocess.Popen(cmd, cwd=str(APP_ROOT), env=env,
                            stdout=open(log_path, "wb"), stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited with {proc.returncode}; see {log_path}")
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/api/v1/me")
            c.getresponse().read()
            c.close()
            return proc
        except OSError:
            time.sleep(0.2)
    stop_gunicorn(proc)
    raise SystemExit(f"gunicorn did not start within 60 s; see {log_path}")


def stop_gunicorn(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# ------------------------------------------------------------------------------------------ timing hooks


class EngineTimer:
    """Times the service (load+engine+save+index sync) and the pure engine call inside completions.

    Wraps module attributes in *this* process only (app/ is not modified):
    - app.processes.services.complete_task  (called as `processes.complete_task` by app.tasks.services)
    - workflows.runtime.complete_user_task  (restore + complete + do_engine_steps + serialize)
    - session commit (before_commit → after_commit: final flush + COMMIT)
    """

    def __init__(self) -> None:
        self.service: list[float] = []
        self.engine: list[float] = []
        self.commit: list[float] = []
        self._installed = False
        self._commit_t0 = 0.0

    def install(self) -> None:
        if self._installed:
            return
        import sqlalchemy as sa
        from flask_sqlalchemy.session import Session

        from app.processes import services as psvc
        from workflows import runtime

        time_calls(psvc, "complete_task", self.service)
        time_calls(runtime, "complete_user_task", self.engine)

        def before(_session: Any) -> None:
            self._commit_t0 = time.perf_counter()

        def after(_session: Any) -> None:
            if self._commit_t0:
                self.commit.append((time.perf_counter() - self._commit_t0) * 1000)
                self._commit_t0 = 0.0

        sa.event.listen(Session, "before_commit", before)
        sa.event.listen(Session, "after_commit", after)
        self._installed = True

    def reset(self) -> None:
        self.service.clear()
        self.engine.clear()
        self.commit.clear()


class SqlCapture:
    """Records the statements (and DBAPI parameters) an app engine executes."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.statements: list[tuple[str, Any, float]] = []
        self._t0 = 0.0

    def __enter__(self) -> "SqlCapture":
        import sqlalchemy as sa

        sa.event.listen(self.engine, "before_cursor_execute", self._before)
        sa.event.listen(self.engine, "after_cursor_execute", self._after)
        return self

    def __exit__(self, *exc: Any) -> None:
        import sqlalchemy as sa

        sa.event.remove(self.engine, "before_cursor_execute", self._before)
        sa.event.remove(self.engine, "after_cursor_execute", self._after)

    def _before(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        self._t0 = time.perf_counter()

    def _after(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        self.statements.append((statement, parameters, (time.perf_counter() - self._t0) * 1000))


# ------------------------------------------------------------------------------------------ what-ifs


def _whatif_inbox_or() -> None:
    """app/tasks/services.py `_scope_filter("current")`: repeat `status = 'open'` inside each OR branch.

    SQLite does not distribute `status = ? AND (a OR b)`; with the status term inside both branches
    it plans a MULTI-INDEX OR over ix_human_tasks_assignee_open and ix_human_tasks_group_open
    instead of walking every open task of every user.
    """
    import sqlalchemy as sa

    from app.tasks import services as ts
    from app.tasks.models import OPEN, HumanTask

    original = ts._scope_filter

    def _scope_filter(user: Any, scope: str) -> Any:
        if scope == "current":
            return sa.or_(
                sa.and_(HumanTask.status == OPEN, HumanTask.assignee_id == user.id),
                sa.and_(HumanTask.status == OPEN, HumanTask.assignee_id.is_(None),
                        HumanTask.candidate_group_id.in_(user.group_ids)))
        return original(user, scope)

    ts._scope_filter = _scope_filter


def _whatif_no_reload() -> None:
    """app/api/views.py `complete_task`: no reload after `commit()`.

    After the commit every attribute is expired, so `task_json` opens a second transaction
    (BEGIN IMMEDIATE = the SQLite write lock) just to reload the task and its assignee. Measured
    here by running the unchanged view with `expire_on_commit=False` on the request's session.
    """
    def patch(app: Any) -> None:
        from app.extensions import db

        original = app.view_functions["api.complete_task"]

        def complete_task(*args: Any, **kwargs: Any) -> Any:
            session = db.session()
            previous = session.expire_on_commit
            session.expire_on_commit = False
            try:
                return original(*args, **kwargs)
            finally:
                session.expire_on_commit = previous

        app.view_functions["api.complete_task"] = complete_task

    WHATIF_APP_PATCHES.append(patch)


def _whatif_sqlite_cache() -> None:
    """app/db.py `configure_sqlite`: PRAGMA cache_size=-65536 (64 MB) and mmap_size=268435456 per connection.

    The default page cache is 2 MB; the 1M-row file is ~600 MB, so every B-tree walk is a pread.
    """
    def patch(app: Any) -> None:
        import sqlalchemy as sa

        from app.extensions import db

        with app.app_context():
            engine = db.engine

            @sa.event.listens_for(engine, "connect")
            def _bigger_cache(dbapi_conn: Any, _record: Any) -> None:
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA cache_size=-65536")
                cur.execute("PRAGMA mmap_size=268435456")
                cur.close()

            engine.dispose()

    WHATIF_APP_PATCHES.append(patch)


def _whatif_service_no_flush() -> None:
    """app/assignments/services.py service tasks: no `db.session.flush()` in record_assignment_result /
    set_assignment_status (processes._apply flushes right after the engine steps anyway)."""
    def patch(app: Any) -> None:
        from app.assignments import services as asg
        from app.processes import services as psvc

        def record_assignment_result(assignment_id: int, result_comment: str) -> dict[str, Any]:
            a = asg._get(assignment_id)
            a.result_comment = result_comment
            a.status = "in_review" if a.reviewer_id else a.status
            return {"status": a.status}

        def set_assignment_status(assignment_id: int, status: str) -> dict[str, Any]:
            a = asg._get(assignment_id)
            a.status = status
            if status == "completed":
                a.completed_at = psvc.now()
            return {"status": a.status}

        services = app.extensions["crm_engine"].script_engine._services
        services["crm.record_assignment_result"] = record_assignment_result
        services["crm.set_assignment_status"] = set_assignment_status

    WHATIF_APP_PATCHES.append(patch)


def _whatif_form_schema_once() -> None:
    """app/api/views.py `task_json`: each distinct form schema resolved once per request, not once per
    listed task (`processes.form_schema` deep-copies the schema and walks it for x-directory fields)."""
    from flask import g

    from app.processes import services as psvc

    original = psvc.form_schema

    def form_schema(form_path: str, *args: Any, **kwargs: Any) -> Any:
        memo = g.setdefault("bench_form_schemas", {})
        key = (form_path, args, tuple(sorted(kwargs.items())))
        if key not in memo:
            memo[key] = original(form_path, *args, **kwargs)
        return memo[key]

    setattr(psvc, "form_schema", form_schema)


WHATIF_APP_PATCHES: list[Callable[[Any], None]] = []
WHATIFS: dict[str, Callable[[], None]] = {"inbox-or": _whatif_inbox_or, "no-reload": _whatif_no_reload,
                                          "sqlite-cache": _whatif_sqlite_cache,
                                          "service-no-flush": _whatif_service_no_flush,
                                          "form-schema-once": _whatif_form_schema_once}


def apply_whatifs(names: list[str], app: Any | None = None) -> list[str]:
    applied = []
    for name in [n.strip() for n in names if n.strip()]:
        if name not in WHATIFS:
            raise SystemExit(f"unknown --whatif {name!r}; known: {', '.join(WHATIFS)}")
        WHATIFS[name]()
        applied.append(name)
    if app is not None:
        for patch in WHATIF_APP_PATCHES:
            patch(app)
    return applied


def whatif_app() -> Any:
    """Gunicorn entry point for --gunicorn with --whatif: `inbox_bench:whatif_app()`."""
    from app import create_app

    names = os.environ.get("CRM_BENCH_WHATIF", "").split(",")
    apply_whatifs(names)
    application = create_app()
    apply_whatifs([], application)
    return application


# ------------------------------------------------------------------------------------------ benchmarks


def bench_inbox(driver: Any, warmup: int, samples: int, expected_total: int, budget_s: float) -> dict[str, Any]:
    for _ in range(warmup):
        status, body = driver.get(INBOX_URL)
        assert status == 200, body
    times: list[float] = []
    cpu: list[float] = []
    totals: set[int] = set()
    n_items = 0
    deadline = time.perf_counter() + budget_s
    for _ in range(samples):
        if time.perf_counter() > deadline:
            log(f"  time budget of {budget_s:g} s spent after {len(times)} samples")
            break
        c0, t0 = time.process_time(), time.perf_counter()
        status, body = driver.get(INBOX_URL)
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
        assert status == 200, body
        totals.add(body["total"])
        n_items = len(body["items"])
    ok = totals == {expected_total}
    result = {"latency_ms": summary(times), "total_returned": sorted(totals), "expected_total": expected_total,
              "total_ok": ok, "items_per_page": n_items, "truncated_by_budget": len(times) < samples}
    if driver.in_process:  # this process's CPU time: robust against other load on the machine
        result["cpu_ms"] = summary(cpu)
    return result


def open_real_task_ids(db_path: Path, limit: int) -> list[int]:
    conn = sqlite3.connect(str(db_path))
    uid, _groups = manager1_identity(conn)
    ids = [r[0] for r in conn.execute(
        "SELECT id FROM human_tasks WHERE status = 'open' AND assignee_id = ? AND task_name = 'complete_assignment' "
        "AND record_title LIKE ? AND task_uuid NOT LIKE ? ORDER BY id LIMIT ?",
        (uid, BENCH_TITLE_PREFIX + "%", SYNTHETIC_UUID_PREFIX + "%", limit))]
    conn.close()
    return ids


def bench_complete(driver: Any, task_ids: list[int], warmup: int, timer: EngineTimer | None,
                   budget_s: float) -> dict[str, Any]:
    assert len(task_ids) > warmup, "not enough real open tasks"
    for tid in task_ids[:warmup]:
        status, body = driver.post(f"/api/v1/tasks/{tid}/complete", COMPLETE_BODY)
        assert status == 200, body
    if timer:
        timer.reset()
    times: list[float] = []
    cpu: list[float] = []
    deadline = time.perf_counter() + budget_s
    for tid in task_ids[warmup:]:
        if time.perf_counter() > deadline:
            log(f"  time budget of {budget_s:g} s spent after {len(times)} samples")
            break
        c0, t0 = time.process_time(), time.perf_counter()
        status, body = driver.post(f"/api/v1/tasks/{tid}/complete", COMPLETE_BODY)
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
        assert status == 200 and body["status"] == "completed", body
    result: dict[str, Any] = {"latency_ms": summary(times), "completed": warmup + len(times),
                              "truncated_by_budget": len(times) < len(task_ids) - warmup}
    if driver.in_process:
        result["cpu_ms"] = summary(cpu)
    if timer:
        result["service_ms"] = summary(timer.service)  # load + engine + save + index sync (no commit)
        result["engine_ms"] = summary(timer.engine)  # runtime.complete_user_task alone
        result["commit_ms"] = summary(timer.commit)
    return result


def profile_block(label: str, fn: Callable[[], None], out_prefix: Path, top: int = 25) -> dict[str, Any]:
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    fn()
    prof.disable()
    wall = time.perf_counter() - t0
    dump = out_prefix.with_suffix(".prof")
    prof.dump_stats(str(dump))
    texts = {}
    for key in ("cumulative", "tottime"):
        buf = io.StringIO()
        st = pstats.Stats(prof, stream=buf).strip_dirs().sort_stats(key)
        st.print_stats(top)
        texts[key] = buf.getvalue()
    txt_path = out_prefix.with_suffix(".txt")
    txt_path.write_text(f"# {label}: {wall:.3f} s wall (under cProfile)\n\n## by cumulative\n{texts['cumulative']}"
                        f"\n## by tottime\n{texts['tottime']}")
    return {"label": label, "wall_s": round(wall, 3), "prof": str(dump), "text": str(txt_path),
            "top_tottime": top_functions(prof, "tottime", 15), "top_cumulative": top_functions(prof, "cumulative", 30)}


def top_functions(prof: cProfile.Profile, key: str, n: int) -> list[dict[str, Any]]:
    st = pstats.Stats(prof)
    st.sort_stats(key)
    rows = []
    for func in st.fcn_list[:n]:  # type: ignore[attr-defined]
        cc, nc, tt, ct, _callers = st.stats[func]  # type: ignore[attr-defined]
        filename, line, name = func
        short = "/".join(Path(filename).parts[-3:]) if filename != "~" else "~"
        rows.append({"func": f"{short}:{line}({name})", "ncalls": nc, "tottime_s": round(tt, 4),
                     "cumtime_s": round(ct, 4)})
    return rows


def explain_and_time(db_path: Path, statements: list[tuple[str, Any, float]], repeat: int = 30,
                     budget_s: float = 3.0) -> list[dict[str, Any]]:
    """EXPLAIN QUERY PLAN + raw sqlite3 timing of the human_tasks SELECTs captured from one request."""
    conn = sqlite3.connect(str(db_path))
    out = []
    for sql, params, app_ms in statements:
        if "human_tasks" not in sql or not sql.lstrip().upper().startswith("SELECT"):
            continue
        params = tuple(params) if params is not None else ()
        plan = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, params)]
        times: list[float] = []
        stop = time.perf_counter() + budget_s
        while len(times) < repeat and (not times or time.perf_counter() < stop):
            t0 = time.perf_counter()
            conn.execute(sql, params).fetchall()
            times.append((time.perf_counter() - t0) * 1000)
        out.append({"sql": " ".join(sql.split()), "params": [str(p) for p in params], "plan": plan,
                    "raw_sqlite_ms": summary(times), "in_app_ms": round(app_ms, 3)})
    conn.close()
    return out


def service_sql(app: Any, engine: Any, fn: Callable[[Any], Any]) -> list[tuple[str, Any, float]]:
    """The statements `fn(manager1)` issues inside an app context (rolled back)."""
    import sqlalchemy as sa

    from app.auth.models import User
    from app.extensions import db

    with app.app_context():
        user = db.session.scalars(sa.select(User).where(User.login == "manager1")).one()
        _ = user.group_ids
        with SqlCapture(engine) as cap:
            fn(user)
        db.session.rollback()
        db.session.remove()
    return cap.statements


def related_plans(app: Any, engine: Any, db_path: Path) -> dict[str, Any]:
    """Plans of the other readers of the same index: nav badge counts (every HTML page) and the board."""
    from app.tasks import services as ts

    return {
        "count_tasks (nav_counts on every HTML page)": explain_and_time(
            db_path, service_sql(app, engine, ts.count_tasks), repeat=10),
        "board_tasks (assignment board)": explain_and_time(
            db_path, service_sql(app, engine, lambda u: list(ts.board_tasks(u).values())), repeat=10),
    }


# ------------------------------------------------------------------------------------------ main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--tasks", type=int, default=1_000_000, help="synthetic human_tasks rows (default 1,000,000)")
    p.add_argument("--open-for-user", type=int, default=10_000, help="synthetic OPEN tasks assigned to manager1")
    p.add_argument("--open-for-group", type=int, default=0,
                   help="synthetic OPEN unassigned tasks of manager1's group (also in manager1's inbox)")
    p.add_argument("--closed-share", type=float, default=0.9, help="share of completed/canceled rows (0.9)")
    p.add_argument("--instances", type=int, default=200, help="synthetic process_instances rows (default 200)")
    p.add_argument("--real", type=int, default=300, help="real assignments for manager1 (raised to what is needed)")
    p.add_argument("--extra-users", type=int, default=200)
    p.add_argument("--extra-groups", type=int, default=40)
    p.add_argument("--db", type=Path, default=None,
                   help="SQLite file (default tests/benchmarks/out/inbox_bench.sqlite); recreated unless --reuse")
    p.add_argument("--samples", type=int, default=200, help="measured requests per endpoint")
    p.add_argument("--warmup", type=int, default=20, help="inbox warm-up requests (completions: min(10, this))")
    p.add_argument("--batch", type=int, default=50_000, help="executemany batch size")
    p.add_argument("--gunicorn", action="store_true", help="also measure over real HTTP against gunicorn -w 1")
    p.add_argument("--profile", action="store_true", help="cProfile 50 inbox requests and 50 completions")
    p.add_argument("--profile-n", type=int, default=50)
    p.add_argument("--analyze", action="store_true", help="run ANALYZE after seeding (the app never does)")
    p.add_argument("--reuse", action="store_true", help="reuse an existing --db seeded by this script")
    p.add_argument("--seed", type=int, default=20240601)
    p.add_argument("--skip-related", action="store_true", help="skip plans of count_tasks/board_tasks")
    p.add_argument("--budget-s", type=float, default=75.0,
                   help="stop a measured phase after this many seconds (keeps a slow build under 10 min)")
    p.add_argument("--whatif", default="", help="comma-separated in-process patches of app/ code to measure "
                   "proposed changes (app/ files are not touched): " + ", ".join(WHATIFS))
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    db_path = (args.db or OUT_DIR / "inbox_bench.sqlite").resolve()
    meta_path = Path(str(db_path) + ".seed.json")
    rng = random.Random(args.seed)
    complete_warmup = min(10, args.warmup)
    drivers_n = 2 if args.gunicorn else 1
    needed_real = drivers_n * (args.samples + complete_warmup) + (args.profile_n if args.profile else 0) + 10
    started = time.perf_counter()
    results: dict[str, Any] = {
        "started_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "argv": sys.argv, "db": str(db_path),
        "machine": {"python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
                    "platform": platform.platform(), "cpus": os.cpu_count()},
        "targets": {"inbox_p95_ms": TARGET_INBOX_P95_MS, "complete_p50_ms": TARGET_COMPLETE_P50_MS},
        "loadavg_start": os.getloadavg(),
        "app_package": str(Path(importlib.import_module("app").__file__ or "").parent),
    }
    log(f"app under test: {results['app_package']}")

    # ------------------------------------------------------------------ seeding
    if args.reuse and db_path.exists() and meta_path.exists():
        log(f"reusing {db_path}")
        app = make_app(db_path)
        seed = json.loads(meta_path.read_text())
        have = len(open_real_task_ids(db_path, 1_000_000))
        if have < needed_real:
            log(f"topping up {needed_real - have} real assignments")
            seed.setdefault("topups_s", []).append(round(
                seed_real_assignments(app, needed_real - have, start_index=seed.get("real_created", 0)), 2))
            seed["real_created"] = seed.get("real_created", 0) + needed_real - have
            meta_path.write_text(json.dumps(seed, indent=2))
        results["seed"] = seed | {"reused": True}
    else:
        if args.reuse:
            log("nothing to reuse; seeding a fresh database")
        remove_db_files(db_path)
        seed = {"tasks": args.tasks}
        t_seed = time.perf_counter()
        log(f"creating {db_path} (migrations + BPMN deploy)")
        t0 = time.perf_counter()
        app = make_app(db_path)
        from tests.conftest import reset_database

        reset_database(app)
        seed["schema_s"] = round(time.perf_counter() - t0, 2)
        t0 = time.perf_counter()
        people = seed_people(app, args.extra_users, args.extra_groups, rng)
        seed["people_s"] = round(time.perf_counter() - t0, 2)
        seed["users"], seed["groups"] = len(people["users"]), len(people["groups"])
        n_real = max(args.real, needed_real)
        log(f"creating {n_real} real assignments for manager1 through the service")
        real_s = seed_real_assignments(app, n_real)
        seed["real_assignments"] = n_real
        seed["real_created"] = n_real
        seed["real_assignments_s"] = round(real_s, 2)
        seed["real_assignment_ms_each"] = round(real_s * 1000 / n_real, 2)
        log(f"bulk-inserting {args.tasks:,} synthetic human_tasks")
        synth = seed_synthetic(db_path, people, args.tasks, args.open_for_user, args.open_for_group, args.instances,
                               args.closed_share, args.batch, rng)
        seed["synthetic"] = synth
        if args.analyze:
            t0 = time.perf_counter()
            c = sqlite3.connect(str(db_path))
            c.execute("ANALYZE")
            c.close()
            seed["analyze_s"] = round(time.perf_counter() - t0, 2)
        seed["analyzed"] = bool(args.analyze)
        seed["total_s"] = round(time.perf_counter() - t_seed, 2)
        seed["db_size_mb"] = round(db_path.stat().st_size / 1e6, 1)
        meta_path.write_text(json.dumps(seed, indent=2))
        results["seed"] = seed
        log(f"seeded in {seed['total_s']} s (synthetic load {synth['timings']['total_s']} s, "
            f"db {seed['db_size_mb']} MB)")

    synth = seed["synthetic"]
    conn = sqlite3.connect(str(db_path))
    real_visible = count_real_visible(conn)
    results["row_counts"] = {
        "human_tasks": conn.execute("SELECT count(*) FROM human_tasks").fetchone()[0],
        "open": conn.execute("SELECT count(*) FROM human_tasks WHERE status = 'open'").fetchone()[0],
        "process_instances": conn.execute("SELECT count(*) FROM process_instances").fetchone()[0],
        "users": conn.execute("SELECT count(*) FROM users").fetchone()[0],
        "manager1_real_visible_open": real_visible,
        "has_sqlite_stat1": bool(conn.execute(
            "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone()[0]),
    }
    conn.close()
    expected_total = synth["open_for_user"] + synth["open_for_group"] + real_visible

    from app.extensions import db

    applied = apply_whatifs(args.whatif.split(","), app)
    results["whatif"] = {name: (WHATIFS[name].__doc__ or "").strip() for name in applied}
    if applied:
        log(f"what-if patches (this process only): {', '.join(applied)}")
    with app.app_context():
        app_engine = db.engine
    timer = EngineTimer()
    timer.install()

    # ------------------------------------------------------------------ SQL of one request + plans
    tc = TestClientDriver(app)
    tc.login("manager1")
    tc.get(INBOX_URL)  # warm caches once before capturing
    with SqlCapture(app_engine) as cap:
        status, body = tc.get(INBOX_URL)
    assert status == 200, body
    results["inbox_sql"] = {"statements": len(cap.statements),
                            "list": [(" ".join(s.split())[:160], round(ms, 3)) for s, _p, ms in cap.statements]}
    results["inbox_plans"] = explain_and_time(db_path, cap.statements)
    if not args.skip_related:
        results["related_plans"] = related_plans(app, app_engine, db_path)

    task_ids = open_real_task_ids(db_path, needed_real)
    if len(task_ids) < needed_real:
        raise SystemExit(f"only {len(task_ids)} real open tasks, need {needed_real}; re-seed or use --real")
    with SqlCapture(app_engine) as cap2:
        status, body = tc.post(f"/api/v1/tasks/{task_ids[0]}/complete", COMPLETE_BODY)
    assert status == 200, body
    task_ids = task_ids[1:]
    results["complete_sql"] = {"statements": len(cap2.statements),
                               "list": [(" ".join(s.split())[:160], round(ms, 3)) for s, _p, ms in cap2.statements]}
    expected_total -= 1  # that task left manager1's inbox

    # ------------------------------------------------------------------ test client
    log(f"test client: inbox x{args.samples} (expected total {expected_total:,})")
    runs: dict[str, Any] = {}
    inbox = bench_inbox(tc, args.warmup, args.samples, expected_total, args.budget_s)
    chunk = args.samples + complete_warmup
    log(f"test client: complete x{args.samples}")
    comp = bench_complete(tc, task_ids[:chunk], complete_warmup, timer, args.budget_s)
    task_ids = task_ids[chunk:]
    expected_total -= comp["completed"]
    runs[tc.name] = {"inbox": inbox, "complete": comp}

    # ------------------------------------------------------------------ profile
    if args.profile:
        n = args.profile_n
        log(f"profiling {n} inbox requests and {n} completions")
        stamp = time.strftime("%Y%m%d-%H%M%S")

        def inbox_loop() -> None:
            for _ in range(n):
                tc.get(INBOX_URL)

        prof_ids, task_ids = task_ids[:n], task_ids[n:]
        expected_total -= n

        def complete_loop() -> None:
            for tid in prof_ids:
                s, b = tc.post(f"/api/v1/tasks/{tid}/complete", COMPLETE_BODY)
                assert s == 200, b

        results["profile"] = {
            "inbox": profile_block(f"{n} x GET {INBOX_URL}", inbox_loop, OUT_DIR / f"profile-inbox-{stamp}"),
            "complete": profile_block(f"{n} x POST complete", complete_loop, OUT_DIR / f"profile-complete-{stamp}"),
        }

    # ------------------------------------------------------------------ gunicorn
    if args.gunicorn:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()  # no connection of ours keeps a transaction open on the file
        port = free_port()
        log(f"starting gunicorn -w 1 on 127.0.0.1:{port}")
        proc = start_gunicorn(db_path, port, applied)
        try:
            hd = HttpDriver(port)
            hd.login("manager1")
            log(f"gunicorn: inbox x{args.samples}")
            g_inbox = bench_inbox(hd, args.warmup, args.samples, expected_total, args.budget_s)
            log(f"gunicorn: complete x{args.samples}")
            g_comp = bench_complete(hd, task_ids[:chunk], complete_warmup, None, args.budget_s)
            task_ids = task_ids[chunk:]
            hd.close()
            runs[hd.name] = {"inbox": g_inbox, "complete": g_comp}
        finally:
            stop_gunicorn(proc)

    results["runs"] = runs
    results["loadavg_end"] = os.getloadavg()
    results["elapsed_s"] = round(time.perf_counter() - started, 1)
    report(results)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = OUT_DIR / f"inbox_bench-{stamp}.json"
    text = json.dumps(results, indent=2, default=str)
    out.write_text(text)
    (OUT_DIR / "inbox_bench-latest.json").write_text(text)
    log(f"results: {out}")
    ok = all(r["inbox"]["total_ok"] for r in runs.values())
    return 0 if ok else 1


def report(results: dict[str, Any]) -> None:
    seed = results["seed"]
    print()
    print(f"seed: {seed.get('tasks', '?'):,} tasks; total {seed.get('total_s', '-')} s; "
          f"synthetic load {seed.get('synthetic', {}).get('timings', {})}; "
          f"real assignments {seed.get('real_assignments', '-')} in {seed.get('real_assignments_s', '-')} s "
          f"({seed.get('real_assignment_ms_each', '-')} ms each){' [reused]' if seed.get('reused') else ''}")
    rc = results["row_counts"]
    print(f"rows: human_tasks {rc['human_tasks']:,}, open {rc['open']:,}, instances {rc['process_instances']:,}, "
          f"users {rc['users']}, stat1 {rc['has_sqlite_stat1']}")
    print()
    header = f"{'driver':<18} {'endpoint':<22} {'n':>4} {'p50':>8} {'p95':>8} {'p99':>8} {'max':>8}  target / check"
    print(header)
    print("-" * len(header))
    for name, run in results["runs"].items():
        i = run["inbox"]["latency_ms"]
        verdict = "OK" if i["p95"] <= TARGET_INBOX_P95_MS else "MISS"
        total = "total OK" if run["inbox"]["total_ok"] else \
            f"total {run['inbox']['total_returned']} != {run['inbox']['expected_total']}"
        print(f"{name:<18} {'GET inbox (page 1/20)':<22} {i['n']:>4} {i['p50']:>8.2f} {i['p95']:>8.2f} "
              f"{i['p99']:>8.2f} {i['max']:>8.2f}  p95<={TARGET_INBOX_P95_MS:g} {verdict}; {total}")
        if "cpu_ms" in run["inbox"]:
            s = run["inbox"]["cpu_ms"]
            print(f"{'':<18} {'  cpu (this process)':<22} {s['n']:>4} {s['p50']:>8.2f} {s['p95']:>8.2f} "
                  f"{s['p99']:>8.2f} {s['max']:>8.2f}")
        c = run["complete"]["latency_ms"]
        verdict = "OK" if c["p50"] <= TARGET_COMPLETE_P50_MS else "MISS"
        print(f"{name:<18} {'POST complete':<22} {c['n']:>4} {c['p50']:>8.2f} {c['p95']:>8.2f} {c['p99']:>8.2f} "
              f"{c['max']:>8.2f}  p50<={TARGET_COMPLETE_P50_MS:g} {verdict}")
        for part in ("cpu_ms", "service_ms", "engine_ms", "commit_ms"):
            if part in run["complete"]:
                s = run["complete"][part]
                print(f"{'':<18} {'  ' + part[:-3]:<22} {s['n']:>4} {s['p50']:>8.2f} {s['p95']:>8.2f} "
                      f"{s['p99']:>8.2f} {s['max']:>8.2f}")
    print()
    print(f"inbox request: {results['inbox_sql']['statements']} SQL statements; "
          f"complete request: {results['complete_sql']['statements']} SQL statements")
    for q in results["inbox_plans"]:
        print(f"  {q['sql'][:150]}")
        print(f"    raw sqlite p50 {q['raw_sqlite_ms']['p50']:.2f} ms, in-app {q['in_app_ms']:.2f} ms; plan:")
        for line in q["plan"]:
            print(f"      {line}")
    for label, plans in results.get("related_plans", {}).items():
        print(f"  related: {label}")
        for q in plans:
            print(f"    raw p50 {q['raw_sqlite_ms']['p50']:9.2f} ms  {q['sql'][:110]}")
            print(f"      plan: {' | '.join(q['plan'])}")
    if "profile" in results:
        for key, prof in results["profile"].items():
            print(f"\nprofile {key}: {prof['wall_s']} s under cProfile -> {prof['text']}")
            for row in prof["top_tottime"][:8]:
                print(f"    tottime {row['tottime_s']:>7.3f}s cum {row['cumtime_s']:>7.3f}s "
                      f"x{row['ncalls']:<7} {row['func']}")
    print(f"\napp under test: {results['app_package']}")
    print(f"load average at start {results['loadavg_start']}, at end {results['loadavg_end']} "
          f"({results['machine']['cpus']} CPUs); elapsed {results['elapsed_s']} s")


if __name__ == "__main__":
    sys.exit(main())
