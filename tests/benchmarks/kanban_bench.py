#!/usr/bin/env python
"""Leads kanban benchmark: GET /leads/kanban on a large SQLite `leads` table.

    .venv/bin/python tests/benchmarks/kanban_bench.py [--leads 100000] [--samples 100] [--db PATH]
        [--warmup 10] [--reuse] [--analyze] [--extra-index "CREATE INDEX ..."] [--other-observers N]
        [--whatif lean-context]

1. Seeds a fresh SQLite file through the app (migrations, demo cast via tests.factories, a few extra
   users, directory seed entries), then bulk-inserts `--leads` rows into `leads` with executemany
   (one transaction, 10k per batch): all five statuses, ~30% responsible manager1, ~30% manager2,
   20% unassigned, the rest director / other users; random amounts, created_at spread over a year,
   search_text as the app writes it (casefolded name, company, client, contacts), unique numbers 1..N
   (counter 'lead' set to N). Optionally a share of
   leads point at counterparties (every 'deal' lead has one, as the service's guard requires), a
   main contact per lead and a few hundred observer rows for manager1 (--other-observers N: N more for
   everyone else, which manager1's visibility filter has to skip).
2. Measures GET /leads/kanban through the Flask test client (full WSGI stack, session login,
   template rendering) as the director (sees everything) and as manager1 (visibility filter):
   warm-up, then N samples; p50/p95/p99/max of wall time, plus per-request SQL time and CPU time.
   Each response is checked: 5 columns, counts and sums equal to an independent SQL aggregate,
   min(20, count) cards per column.
3. Captures the SQL of one request per user and, for every SELECT on `leads`, prints
   EXPLAIN QUERY PLAN and its raw sqlite3 time (the GROUP BY and the five card queries).
4. Prints a compact table and writes JSON to tests/benchmarks/out/ (git-ignored).

Works against the records machinery (app.records.journal, record_observers) and the code before it
(app.leads.journal, lead_observers). To compare two revisions in one run, check the other out in a
worktree and point the same script at it: `cd /tmp/wt && CRM_BENCH_APP_ROOT=/tmp/wt
/path/.venv/bin/python /path/tests/benchmarks/kanban_bench.py --db /tmp/old.sqlite ...` (a separate
--db per revision; the app's `tests` helpers come from that checkout too).

Not a test: pytest never collects this file (the name does not match test_*.py / *_test.py).
Target (issue): with 100,000 leads, board p95 <= 100 ms on SQLite.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import random
import re
import sqlite3
import sys
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal
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

TARGET_P95_MS = 100.0
KANBAN_URL = "/leads/kanban"
STATUSES = ("not_processed", "interest_expressed", "paused", "disqualified", "deal")
TERMINAL = ("disqualified", "deal")
CARDS_PER_COLUMN = 20  # KANBAN_PAGE of app.records.journal (app.leads.journal before the records machinery)
# Status mix of assigned leads (a year of history: most are closed) and of unassigned ones
# (mostly waiting to be taken to work).
STATUS_WEIGHTS_ASSIGNED = (0.10, 0.22, 0.08, 0.38, 0.22)
STATUS_WEIGHTS_UNASSIGNED = (0.70, 0.05, 0.05, 0.20, 0.00)
FIRST = ("Ivan", "Maria", "Pavel", "Olga", "Sergey", "Anna", "Дмитрий", "Елена", "Алексей", "Наталья")
WORDS = ("CRM rollout", "License renewal", "Pilot", "Integration", "Support contract", "Training",
         "Внедрение", "Продление лицензий", "Пилотный проект", "Интеграция 1С", "Консультация")
COMPANY = ("ООО «Ромашка»", "АО «Вектор»", "Acme Ltd", "Globex", "ИП Петров", "ООО «Север»", "Initech",
           "ПАО «Звезда»", "Umbrella LLC", "ООО «Техносфера»")


# ------------------------------------------------------------------------------------------ helpers


def money(value: Decimal) -> str:
    """The kanban template's formatting of a column sum."""
    return "{:,.2f}".format(value).replace(",", " ")


def one_line(sql: str) -> str:
    return " ".join(sql.split())


def has_records_machinery() -> bool:
    """True for the generic app.records code (kanban in app.records.journal, observers in record_observers);
    False for the code before it (app.leads.journal, lead_observers). The scripts measure both."""
    import app

    return Path(app.__file__ or "").parent.joinpath("records", "journal.py").is_file()


def observers_sql(conn: sqlite3.Connection) -> tuple[str, str]:
    """(table, SELECT of the lead ids a user (?) observes) for the schema of this database."""
    if conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'record_observers'"
                    ).fetchone()[0]:
        return "record_observers", "SELECT record_id FROM record_observers WHERE record_type = 'lead' AND user_id = ?"
    return "lead_observers", "SELECT lead_id FROM lead_observers WHERE user_id = ?"


# ------------------------------------------------------------------------------------------ seeding


def make_app(db_path: Path) -> Any:
    from app import freeze_startup_objects
    from tests.conftest import make_test_app

    app = make_test_app(f"sqlite:///{db_path}", CRM_JOBS_INLINE=True, WTF_CSRF_ENABLED=False,
                        CRM_PASSWORD_HASH_METHOD="pbkdf2:sha256:1000")
    freeze_startup_objects()  # as create_app does outside tests (one app per process, as in production)
    return app


def seed_people(app: Any, extra_users: int) -> dict[str, int]:
    """Demo cast (tests.factories.make_standard_users) + a few extra users; directory seed entries."""
    import sqlalchemy as sa

    from app.auth.models import User
    from app.directories.services import ensure_seed
    from app.extensions import db
    from tests.factories import make_standard_users, make_user

    with app.app_context():
        make_standard_users()
        for i in range(extra_users):
            make_user(login=f"seller{i:02d}", full_name=f"Seller {i:02d}")
        ensure_seed()
        db.session.commit()
        users = {u.login: u.id for u in db.session.scalars(sa.select(User))}
        db.session.remove()
    return users


def seed_leads(db_path: Path, users: dict[str, int], n: int, counterparty_share: float, contacts: bool,
               observers: int, batch: int, rng: random.Random, other_observers: int = 0) -> dict[str, Any]:
    """Bulk-insert `n` leads (+ counterparties, contacts, observers) in one transaction (raw sqlite3)."""
    conn = sqlite3.connect(str(db_path), isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")  # bulk load only; the app uses NORMAL
    conn.execute("PRAGMA foreign_keys=OFF")  # rows are valid by construction; checked below
    conn.execute("PRAGMA cache_size=-262144")
    timings: dict[str, float] = {}
    t_all = time.perf_counter()
    codes: dict[str, list[str]] = {}
    for directory, code in conn.execute("SELECT directory, code FROM directory_entries ORDER BY directory, code"):
        codes.setdefault(directory, []).append(code)

    m1, m2, director = users["manager1"], users["manager2"], users["director"]
    others = [uid for login, uid in users.items() if login.startswith("seller")] or [director]
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    year_us = 365 * 86400 * 1_000_000

    conn.execute("BEGIN IMMEDIATE")
    # Counterparties: enough that cards show varied client names; each 'deal' lead needs one.
    n_cp = max(1, min(5000, n // 20)) if counterparty_share > 0 else 0
    now_txt = sqlite_ts(now)
    t0 = time.perf_counter()
    first_cp = (conn.execute("SELECT coalesce(max(id), 0) FROM counterparties").fetchone()[0]) + 1
    cp_rows = []
    for k in range(n_cp):
        name = f"{COMPANY[k % len(COMPANY)]} {k:05d}"
        cp_rows.append((first_cp + k, name, name, name.lower(), f"{7700000000 + k:010d}", now_txt, now_txt, director))
    conn.executemany(
        "INSERT INTO counterparties (id, type, kind, full_name, short_name, search_name, inn, created_at, updated_at, "
        "created_by_id, version) VALUES (?, 'buyer', 'legal_entity', ?, ?, ?, ?, ?, ?, ?, 1)", cp_rows)
    cp_ids = [r[0] for r in cp_rows]
    timings["counterparties_s"] = time.perf_counter() - t0

    # created_at ascending with id, as in real life (rows are appended over time).
    offsets = sorted(rng.randrange(year_us) for _ in range(n))
    start = now - timedelta(days=365)
    first_id = (conn.execute("SELECT coalesce(max(id), 0) FROM leads").fetchone()[0]) + 1
    r = rng.random

    def lead_row(i: int) -> tuple[Any, ...]:
        lead_id = first_id + i
        x = r()
        if x < 0.30:
            resp: int | None = m1
        elif x < 0.60:
            resp = m2
        elif x < 0.80:
            resp = None
        elif x < 0.90:
            resp = director
        else:
            resp = rng.choice(others)
        status = rng.choices(STATUSES, STATUS_WEIGHTS_UNASSIGNED if resp is None else STATUS_WEIGHTS_ASSIGNED)[0]
        y = r()  # author: the site form / API (None), the director, or a manager taking a call
        created_by = None if y < 0.5 else director if y < 0.7 else m1 if y < 0.8 else m2 if y < 0.9 else \
            rng.choice(others)
        created = start + timedelta(microseconds=offsets[i])
        created_txt = sqlite_ts(created)
        name = f"{rng.choice(WORDS)} #{lead_id}"
        counterparty = None
        company = f"{rng.choice(COMPANY)} {rng.randrange(100000):05d}"
        if cp_ids and (status == "deal" or r() < counterparty_share):
            counterparty = rng.choice(cp_ids)
            company = cp_rows[counterparty - first_cp][2]
        amount = None if r() < 0.1 else str(Decimal(rng.randrange(1_000_00, 5_000_000_00)) / 100)
        disq = rng.choice(codes.get("disqualification_reason", ["other"])) if status == "disqualified" else None
        started = sqlite_ts(created + timedelta(hours=rng.randrange(1, 48))) if resp is not None else None
        updated = sqlite_ts(min(now, created + timedelta(days=rng.randrange(0, 30))))
        email = f"c{i}@example.org"
        phone = f"+7 9{rng.randrange(10**9):09d}"
        contact_parts = [f"{rng.choice(FIRST)} {i}", email, phone, "".join(ch for ch in phone if ch.isdigit())] \
            if contacts else []
        contact_rows.append((lead_id, *contact_parts[:3]))
        # As the app's refresh_search_text writes it: records code casefolds name, company, client name and
        # contacts; the older code lower()ed name, company and contacts.
        client = company
        parts = [name, company, client, *contact_parts] if records else [name, company, *contact_parts]
        search_text = " ".join(p for p in parts if p).casefold() if records else " ".join(parts).lower()
        return (lead_id, lead_id, name, status, resp, created_by, counterparty, company, amount,
                rng.randrange(1, 200), rng.choice(codes.get("request_type", [None])),
                rng.choice(codes.get("request_category", [None])), rng.choice(codes.get("request_source", [None])),
                "", created_txt, disq, started, search_text, created_txt, updated)

    records = observers_sql(conn)[0] == "record_observers"
    contact_rows: list[tuple[Any, ...]] = []
    insert = ("INSERT INTO leads (id, number, name, status, responsible_id, created_by_id, counterparty_id, "
              "company_name, amount, users_count, request_type, request_category, request_source, description, "
              "received_at, disqualification_reason, processing_started_at, search_text, created_at, updated_at, "
              "version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)")
    t0 = time.perf_counter()
    for lo in range(0, n, batch):
        conn.executemany(insert, [lead_row(i) for i in range(lo, min(lo + batch, n))])
        if contacts:
            conn.executemany("INSERT INTO lead_contacts (lead_id, full_name, email, phone, is_main) "
                             "VALUES (?, ?, ?, ?, 1)", contact_rows)
        contact_rows.clear()
    timings["leads_insert_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    obs = set()
    if observers:
        # manager1 observes some leads of other people (the IN (subquery) branch of visible_filter).
        candidates = [lid for (lid,) in conn.execute(
            "SELECT id FROM leads WHERE responsible_id IS NOT ? AND id >= ?", (m1, first_id))]
        for lid in rng.sample(candidates, min(observers, len(candidates))):
            obs.add((lid, m1))
        for lid in rng.sample(range(first_id, first_id + n), min(observers, n)):
            obs.add((lid, m2))
    if other_observers:
        # Everyone else watching leads too: what manager1's observers lookup must skip (an index on
        # the user, not a scan of every observer row).
        watchers = [uid for login, uid in users.items() if login != "manager1"]
        for _ in range(other_observers):
            obs.add((rng.randrange(first_id, first_id + n), rng.choice(watchers)))
    if records:
        conn.executemany("INSERT OR IGNORE INTO record_observers (record_type, record_id, user_id) "
                         "VALUES ('lead', ?, ?)", sorted(obs))
    else:
        conn.executemany("INSERT OR IGNORE INTO lead_observers (lead_id, user_id) VALUES (?, ?)", sorted(obs))
    conn.execute("INSERT INTO counters (name, value) VALUES ('lead', ?) "
                 "ON CONFLICT (name) DO UPDATE SET value = excluded.value", (first_id + n - 1,))
    timings["contacts_observers_s"] = time.perf_counter() - t0
    conn.execute("COMMIT")
    bad_fk = conn.execute("PRAGMA foreign_key_check(leads)").fetchall()
    if bad_fk:
        raise SystemExit(f"foreign key violations in leads: {bad_fk[:5]}")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    timings["total_s"] = time.perf_counter() - t_all
    conn.close()
    return {"timings": {k: round(v, 2) for k, v in timings.items()}, "counterparties": n_cp,
            "observer_rows": len(obs), "contacts": n if contacts else 0}


# ------------------------------------------------------------------------------------------ expectations


def expected_columns(conn: sqlite3.Connection, login: str) -> dict[str, tuple[int, Decimal]]:
    """Count and amount sum per status, written independently of the app's query builder."""
    uid = conn.execute("SELECT id FROM users WHERE login = ?", (login,)).fetchone()[0]
    params: tuple[Any, ...]
    if login == "director":
        where, params = "1", ()
    else:  # visible_filter for a CRM Manager
        where = (f"(created_by_id = ? OR responsible_id = ? OR id IN ({observers_sql(conn)[1]}) "
                 "OR (responsible_id IS NULL AND status NOT IN ('disqualified', 'deal')))")
        params = (uid, uid, uid)
    rows = conn.execute(f"SELECT status, count(*), coalesce(sum(amount), 0) FROM leads NOT INDEXED WHERE {where} "
                        "GROUP BY status", params).fetchall()
    got = {s: (c, Decimal(str(a)).quantize(Decimal("0.01"))) for s, c, a in rows}
    return {s: got.get(s, (0, Decimal("0.00"))) for s in STATUSES}


COL_RE = re.compile(r'data-testid="column-([a-z_]+)"')
COUNT_RE = re.compile(r'data-testid="count-([a-z_]+)">(\d+)<')
SUM_RE = re.compile(r'data-testid="sum-([a-z_]+)">([^<]*?)\s*₽')


def check_board(html: str, expected: dict[str, tuple[int, Decimal]]) -> list[str]:
    """Problems found in a rendered board (empty list: all good)."""
    problems = []
    columns = COL_RE.findall(html)
    if columns != list(STATUSES):
        problems.append(f"columns {columns} != {list(STATUSES)}")
    counts = {s: int(c) for s, c in COUNT_RE.findall(html)}
    sums = dict(SUM_RE.findall(html))
    # Cards per column: the text between one column's marker and the next one's.
    marks = [(m.start(), m.group(1)) for m in COL_RE.finditer(html)] + [(len(html), None)]
    cards = {s: html[a:b].count('data-testid="kanban-card"') for (a, s), (b, _n) in zip(marks, marks[1:])}
    for status in STATUSES:
        want_count, want_sum = expected[status]
        if counts.get(status) != want_count:
            problems.append(f"{status}: count {counts.get(status)} != {want_count}")
        # Thousands grouped by a space, a no-break space or (records templates) a narrow no-break space.
        got_sum = sums.get(status, "?").replace("\u00a0", " ").replace("\u202f", " ").strip()
        if got_sum != money(want_sum):
            # Float sums in another order may differ in the last cent; allow one cent.
            try:
                diff = abs(Decimal(got_sum.replace(" ", "")) - want_sum)
            except Exception:
                diff = Decimal(1)
            if diff > Decimal("0.01"):
                problems.append(f"{status}: sum {got_sum!r} != {money(want_sum)!r}")
        if cards.get(status) != min(CARDS_PER_COLUMN, want_count):
            problems.append(f"{status}: {cards.get(status)} cards != {min(CARDS_PER_COLUMN, want_count)}")
    return problems


# ------------------------------------------------------------------------------------------ measuring


class SqlTimer:
    """Per-request SQL statements and time (cursor.execute of the app engine, fetch not included)."""

    def __init__(self, engine: Any) -> None:
        import sqlalchemy as sa

        self.engine = engine
        self.capture: list[tuple[str, Any, float]] | None = None
        self.ms = 0.0
        self.count = 0
        self._t0 = 0.0
        sa.event.listen(engine, "before_cursor_execute", self._before)
        sa.event.listen(engine, "after_cursor_execute", self._after)

    def reset(self) -> None:
        self.ms = 0.0
        self.count = 0

    def _before(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        self._t0 = time.perf_counter()

    def _after(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        ms = (time.perf_counter() - self._t0) * 1000
        self.ms += ms
        self.count += 1
        if self.capture is not None:
            self.capture.append((statement, parameters, ms))


class PhaseTimer:
    """Times `journal.kanban` (queries + fetch + ORM) and `render_template` inside the kanban view.

    Wraps module attributes of app.records.journal / app.records.views (app.leads.journal / app.leads.views
    before the records machinery) in this process only (app/ is not modified).
    """

    def __init__(self) -> None:
        import importlib

        package = "app.records" if has_records_machinery() else "app.leads"
        journal = importlib.import_module(f"{package}.journal")
        views = importlib.import_module(f"{package}.views")

        self.kanban: list[float] = []
        self.render: list[float] = []

        time_calls(journal, "kanban", self.kanban)
        time_calls(views, "render_template", self.render)

    def reset(self) -> None:
        self.kanban.clear()
        self.render.clear()


def _whatif_lean_context() -> None:
    """app/records/views.py `_context()`: the kanban page without the card form schema (a deep copy with
    its directories resolved, 3 queries) and the eligible responsibles (2 queries) it never renders."""
    from app.records import services, views

    setattr(services, "card_schema", lambda kind: {})
    setattr(views, "eligible_responsibles", lambda: [])


WHATIFS = {"lean-context": _whatif_lean_context}


def apply_whatifs(names: list[str]) -> list[str]:
    applied = []
    for name in [n.strip() for n in names if n.strip()]:
        if name not in WHATIFS:
            raise SystemExit(f"unknown --whatif {name!r}; known: {', '.join(WHATIFS)}")
        if not has_records_machinery():
            raise SystemExit(f"--whatif {name} patches app.records; this app has none")
        WHATIFS[name]()
        applied.append(name)
    return applied


def login_client(app: Any, login: str) -> Any:
    client = app.test_client()
    r = client.post("/login", data={"login": login, "password": "demo"})
    assert r.status_code == 302, r.get_data(as_text=True)[:500]
    return client


def bench_board(client: Any, timer: SqlTimer, phases: PhaseTimer, warmup: int, samples: int,
                expected: dict[str, tuple[int, Decimal]], budget_s: float) -> dict[str, Any]:
    problems: list[str] = []
    for _ in range(warmup):
        r = client.get(KANBAN_URL)
        assert r.status_code == 200, r.status_code
    first = client.get(KANBAN_URL)
    assert first.status_code == 200
    problems = check_board(first.get_data(as_text=True), expected)
    wall: list[float] = []
    cpu: list[float] = []
    sql: list[float] = []
    statements: set[int] = set()
    sizes: set[int] = set()
    phases.reset()
    deadline = time.perf_counter() + budget_s
    for _ in range(samples):
        if time.perf_counter() > deadline:
            log(f"  time budget of {budget_s:g} s spent after {len(wall)} samples")
            break
        timer.reset()
        c0, t0 = time.process_time(), time.perf_counter()
        r = client.get(KANBAN_URL)
        body = r.get_data()
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
        sql.append(timer.ms)
        statements.add(timer.count)
        sizes.add(len(body))
        assert r.status_code == 200, r.status_code
    last = check_board(body.decode(), expected)
    return {"latency_ms": summary(wall), "cpu_ms": summary(cpu), "sql_ms": summary(sql),
            "non_sql_ms": summary([w - s for w, s in zip(wall, sql)]),
            "kanban_data_ms": summary(phases.kanban), "render_ms": summary(phases.render),
            "sql_statements": sorted(statements), "html_bytes": sorted(sizes),
            "expected": {s: [c, str(a)] for s, (c, a) in expected.items()},
            "problems": sorted(set(problems + last)), "ok": not problems and not last,
            "truncated_by_budget": len(wall) < samples}


def explain_and_time(db_path: Path, statements: list[tuple[str, Any, float]], repeat: int) -> list[dict[str, Any]]:
    """EXPLAIN QUERY PLAN and raw sqlite3 time of the SELECTs on `leads` captured from one request."""
    conn = sqlite3.connect(str(db_path))
    out = []
    for sql, params, app_ms in statements:
        flat = one_line(sql)
        if not flat.upper().startswith("SELECT") or " FROM leads" not in flat:
            continue
        params = tuple(params) if params is not None else ()
        plan = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, params)]
        times = []
        rows = 0
        for _ in range(repeat):
            t0 = time.perf_counter()
            rows = len(conn.execute(sql, params).fetchall())
            times.append((time.perf_counter() - t0) * 1000)
        kind = "group_by" if "GROUP BY" in flat.upper() else "cards"
        # The column's status is the last status-valued parameter (visible_filter's NOT IN comes first).
        status = next((p for p in reversed(params) if p in STATUSES), None) if kind == "cards" else None
        out.append({"kind": kind, "status": status, "sql": flat, "params": [str(p) for p in params], "plan": plan,
                    "rows": rows, "raw_sqlite_ms": summary(times), "in_app_ms": round(app_ms, 3)})
    conn.close()
    return out


TABLE_RE = re.compile(r"^\s*(\w+)(?:.*?\bFROM\s+(\w+))?", re.S | re.I)


def group_statements(statements: list[tuple[str, Any, float]]) -> list[dict[str, Any]]:
    """Consecutive statements of the same kind and table, e.g. 'SELECT counterparties x37'."""
    groups: list[dict[str, Any]] = []
    for sql, _params, ms in statements:
        m = TABLE_RE.match(sql)
        what = " ".join(x for x in (m.group(1).upper(), m.group(2) or "") if x) if m else sql[:20]
        if "GROUP BY" in sql.upper():
            what += " GROUP BY"
        if groups and groups[-1]["what"] == what:
            groups[-1]["n"] += 1
            groups[-1]["ms"] = round(groups[-1]["ms"] + ms, 3)
        else:
            groups.append({"what": what, "n": 1, "ms": round(ms, 3)})
    return groups


def capture_request(client: Any, timer: SqlTimer) -> list[tuple[str, Any, float]]:
    timer.capture = []
    try:
        r = client.get(KANBAN_URL)
        assert r.status_code == 200
        return timer.capture
    finally:
        timer.capture = None


def profile_board(client: Any, n: int, out_prefix: Path) -> dict[str, Any]:
    """cProfile `n` board requests; .prof + .txt in out/, top functions by cumulative time in the JSON."""
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    for _ in range(n):
        client.get(KANBAN_URL)
    prof.disable()
    wall = time.perf_counter() - t0
    prof.dump_stats(str(out_prefix.with_suffix(".prof")))
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).strip_dirs().sort_stats("cumulative").print_stats(60)
    out_prefix.with_suffix(".txt").write_text(buf.getvalue())
    st = pstats.Stats(prof)
    st.sort_stats("cumulative")
    rows = []
    for func in st.fcn_list[:80]:  # type: ignore[attr-defined]
        _cc, nc, tt, ct, _callers = st.stats[func]  # type: ignore[attr-defined]
        filename, line, name = func
        if "/app/" not in filename and "jinja2" not in filename and "sqlalchemy/orm" not in filename:
            continue
        short = "/".join(Path(filename).parts[-3:])
        rows.append({"func": f"{short}:{line}({name})", "ncalls": nc, "cum_ms_per_req": round(ct * 1000 / n, 2),
                     "tot_ms_per_req": round(tt * 1000 / n, 2)})
    return {"n": n, "wall_ms_per_req_under_profiler": round(wall * 1000 / n, 2),
            "prof": str(out_prefix.with_suffix(".prof")), "top": rows[:25]}


# ------------------------------------------------------------------------------------------ main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--leads", type=int, default=100_000, help="leads rows (default 100,000)")
    p.add_argument("--samples", type=int, default=100, help="measured requests per user (default 100)")
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--db", type=Path, default=None,
                   help="SQLite file (default tests/benchmarks/out/kanban_bench.sqlite); recreated unless --reuse")
    p.add_argument("--reuse", action="store_true", help="reuse an existing --db seeded by this script")
    p.add_argument("--extra-users", type=int, default=8, help="other sales people (responsible for some leads)")
    p.add_argument("--counterparty-share", type=float, default=0.1,
                   help="share of non-'deal' leads linked to a counterparty ('deal' leads always are); 0: none")
    p.add_argument("--no-contacts", action="store_true", help="do not add a main contact per lead")
    p.add_argument("--observers", type=int, default=300, help="leads observed by manager1 (and by manager2)")
    p.add_argument("--other-observers", type=int, default=0,
                   help="observer rows of everyone but manager1 (random lead, random user; duplicates dropped)")
    p.add_argument("--batch", type=int, default=10_000, help="executemany batch size")
    p.add_argument("--analyze", action="store_true", help="run ANALYZE after seeding (the app never does)")
    p.add_argument("--extra-index", action="append", default=[],
                   help="SQL run on the bench DB before measuring (what-if indexes; app/ is not touched)")
    p.add_argument("--repeat", type=int, default=30, help="raw sqlite3 repetitions per captured query")
    p.add_argument("--budget-s", type=float, default=120.0, help="stop a measured phase after this many seconds")
    p.add_argument("--profile", type=int, default=0, metavar="N", help="also cProfile N requests per user")
    p.add_argument("--seed", type=int, default=20240601)
    p.add_argument("--tag", default="", help="label stored in the JSON and the file name")
    p.add_argument("--whatif", default="", help="comma-separated in-process patches of app/ code to measure "
                   "proposed changes (app/ files are not touched): " + ", ".join(WHATIFS))
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    db_path = (args.db or OUT_DIR / "kanban_bench.sqlite").resolve()
    meta_path = Path(str(db_path) + ".seed.json")
    rng = random.Random(args.seed)
    started = time.perf_counter()
    results: dict[str, Any] = {
        "started_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "argv": sys.argv, "tag": args.tag,
        "db": str(db_path), "app_root": str(APP_ROOT), "target_p95_ms": TARGET_P95_MS,
        "machine": {"python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
                    "platform": platform.platform(), "cpus": os.cpu_count()},
        "loadavg_start": os.getloadavg(),
    }
    import importlib

    results["app_package"] = str(Path(importlib.import_module("app").__file__ or "").parent)
    results["code"] = "app.records" if has_records_machinery() else "app.leads"
    log(f"app under test: {results['app_package']} (kanban in {results['code']}.journal)")

    if args.reuse and db_path.exists() and meta_path.exists():
        log(f"reusing {db_path}")
        seed_meta = json.loads(meta_path.read_text())
        if seed_meta.get("code", results["code"]) != results["code"]:
            raise SystemExit(f"{db_path} was seeded for {seed_meta['code']}, not {results['code']}: use another --db")
        app = make_app(db_path)
        results["seed"] = seed_meta | {"reused": True}
    else:
        remove_db_files(db_path)
        seed: dict[str, Any] = {"leads": args.leads, "code": results["code"]}
        t_seed = time.perf_counter()
        log(f"creating {db_path} (migrations, demo users, directories)")
        app = make_app(db_path)
        from tests.conftest import reset_database

        reset_database(app)
        users = seed_people(app, args.extra_users)
        seed["schema_users_s"] = round(time.perf_counter() - t_seed, 2)
        log(f"bulk-inserting {args.leads:,} leads")
        seed["bulk"] = seed_leads(db_path, users, args.leads, args.counterparty_share, not args.no_contacts,
                                  args.observers, args.batch, rng, args.other_observers)
        seed["total_s"] = round(time.perf_counter() - t_seed, 2)
        meta_path.write_text(json.dumps(seed, indent=2))
        results["seed"] = seed
        log(f"seeded in {seed['total_s']} s ({seed['bulk']['timings']})")

    conn = sqlite3.connect(str(db_path))
    for ddl in args.extra_index:
        log(f"what-if: {ddl}")
        conn.execute(ddl)
        conn.commit()
    if args.analyze:
        t0 = time.perf_counter()
        conn.execute("ANALYZE")
        conn.commit()
        results["analyze_s"] = round(time.perf_counter() - t0, 2)
    results["extra_index"] = args.extra_index
    observers_table = observers_sql(conn)[0]
    results["row_counts"] = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                             for t in ("leads", "lead_contacts", "counterparties", "users")}
    results["row_counts"]["observers"] = conn.execute(f"SELECT count(*) FROM {observers_table}").fetchone()[0]
    results["row_counts"]["by_status"] = dict(conn.execute("SELECT status, count(*) FROM leads GROUP BY status"))
    results["has_sqlite_stat1"] = bool(conn.execute(
        "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone()[0])
    results["leads_indexes"] = [sql for (sql,) in conn.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'leads' AND sql IS NOT NULL ORDER BY name")]
    expected = {login: expected_columns(conn, login) for login in ("director", "manager1")}
    conn.close()

    from app.extensions import db

    with app.app_context():
        engine = db.engine
    applied = apply_whatifs(args.whatif.split(","))
    results["whatif"] = {name: (WHATIFS[name].__doc__ or "").strip() for name in applied}
    if applied:
        log(f"what-if patches (this process only): {', '.join(applied)}")
    timer = SqlTimer(engine)
    phases = PhaseTimer()
    runs: dict[str, Any] = {}
    for login in ("director", "manager1"):
        client = login_client(app, login)
        client.get(KANBAN_URL)
        statements = capture_request(client, timer)
        log(f"{login}: GET {KANBAN_URL} x{args.samples} (warm-up {args.warmup}; "
            f"visible {sum(c for c, _a in expected[login].values()):,})")
        run = bench_board(client, timer, phases, args.warmup, args.samples, expected[login], args.budget_s)
        run["sql"] = [(one_line(s)[:200], round(ms, 3)) for s, _p, ms in statements]
        run["sql_groups"] = group_statements(statements)
        run["queries"] = explain_and_time(db_path, statements, args.repeat)
        if args.profile:
            log(f"{login}: profiling {args.profile} requests")
            run["profile"] = profile_board(client, args.profile,
                                           OUT_DIR / f"kanban-profile-{login}-{time.strftime('%Y%m%d-%H%M%S')}")
        runs[login] = run
    results["runs"] = runs
    results["loadavg_end"] = os.getloadavg()
    results["elapsed_s"] = round(time.perf_counter() - started, 1)
    report(results)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    suffix = f"-{args.tag}" if args.tag else ""
    out = OUT_DIR / f"kanban_bench{suffix}-{stamp}.json"
    text = json.dumps(results, indent=2, default=str)
    out.write_text(text)
    (OUT_DIR / f"kanban_bench{suffix}-latest.json").write_text(text)
    log(f"results: {out}")
    ok = all(r["ok"] for r in runs.values())
    met = all(r["latency_ms"]["p95"] <= TARGET_P95_MS for r in runs.values())
    return 0 if ok and met else (2 if ok else 1)


def report(results: dict[str, Any]) -> None:
    seed = results["seed"]
    rc = results["row_counts"]
    print()
    print(f"seed: {rc['leads']:,} leads {rc['by_status']}; contacts {rc['lead_contacts']:,}, observers "
          f"{rc['observers']}, counterparties {rc['counterparties']}, users {rc['users']}; "
          f"seeded in {seed.get('total_s', '-')} s{' [reused]' if seed.get('reused') else ''}; "
          f"sqlite_stat1 {results['has_sqlite_stat1']}")
    for ddl in results["extra_index"]:
        print(f"what-if index: {ddl}")
    for name in results.get("whatif", {}):
        print(f"what-if: {name}")
    print()
    header = f"{'user':<10} {'metric':<16} {'n':>4} {'p50':>8} {'p95':>8} {'p99':>8} {'max':>8}  check"
    print(header)
    print("-" * len(header))
    for login, run in results["runs"].items():
        lat = run["latency_ms"]
        verdict = "OK" if lat["p95"] <= TARGET_P95_MS else "MISS"
        check = "board OK" if run["ok"] else "BOARD WRONG: " + "; ".join(run["problems"][:3])
        print(f"{login:<10} {'GET /leads/kanban':<16} {lat['n']:>4} {lat['p50']:>8.2f} {lat['p95']:>8.2f} "
              f"{lat['p99']:>8.2f} {lat['max']:>8.2f}  p95<={TARGET_P95_MS:g} {verdict}; {check}")
        for key, label in (("cpu_ms", "  CPU (process)"), ("kanban_data_ms", "  journal.kanban"),
                           ("render_ms", "  render_template"), ("sql_ms", "  SQL execute()")):
            s = run[key]
            print(f"{'':<10} {label:<16} {s['n']:>4} {s['p50']:>8.2f} {s['p95']:>8.2f} {s['p99']:>8.2f} "
                  f"{s['max']:>8.2f}")
        print(f"{'':<10} {run['sql_statements']} SQL statements/request, {run['html_bytes'][0]:,} B HTML; "
              f"visible per column {[c for c, _a in run['expected'].values()]}")
    for login, run in results["runs"].items():
        print(f"\n{login}: SELECTs on leads of one request (raw sqlite3 p50/p95 over repeats; in-app = that request)")
        for q in run["queries"]:
            label = "GROUP BY" if q["kind"] == "group_by" else f"cards {q['status']}"
            print(f"  {label:<26} raw p50 {q['raw_sqlite_ms']['p50']:7.2f} p95 {q['raw_sqlite_ms']['p95']:7.2f} ms, "
                  f"in-app {q['in_app_ms']:7.2f} ms, {q['rows']} rows")
            for line in q["plan"]:
                print(f"      {line}")
        print("  all SQL of the request: " + ", ".join(
            f"{g['what']} x{g['n']} {g['ms']:.2f} ms" for g in run["sql_groups"]))
    for login, run in results["runs"].items():
        if "profile" in run:
            prof = run["profile"]
            print(f"\n{login}: cProfile of {prof['n']} requests ({prof['wall_ms_per_req_under_profiler']} ms/request "
                  f"under the profiler) -> {prof['prof']}")
            for row in prof["top"][:15]:
                print(f"    cum {row['cum_ms_per_req']:7.2f} ms/req  x{row['ncalls']:<6} {row['func']}")
    print(f"\napp under test: {results['app_package']} ({results['code']})")
    print(f"load average at start {results['loadavg_start']}, at end {results['loadavg_end']} "
          f"({results['machine']['cpus']} CPUs, SQLite {results['machine']['sqlite']}); "
          f"elapsed {results['elapsed_s']} s")


if __name__ == "__main__":
    sys.exit(main())
