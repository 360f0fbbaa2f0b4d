#!/usr/bin/env python
"""Deals kanban benchmark: GET /deals/kanban at 100,000 deals (12 columns) against GET /leads/kanban at
100,000 leads in the same run, plus a deal status change over HTTP.

    .venv/bin/python tests/benchmarks/deal_kanban_bench.py [--deals 100000] [--leads 100000] [--samples 100]
        [--moves 60] [--db PATH] [--reuse] [--analyze]
        [--extra-index "CREATE INDEX ..."]

1. Seeds one fresh SQLite file through the app (migrations, demo cast, directories; kanban_bench.py's
   seed_people), bulk-inserts `--leads` leads with kanban_bench.seed_leads and `--deals` deals the same way
   (raw sqlite3 executemany, one transaction): all 12 statuses (a year of history: most closed), ~30%
   responsible manager1, ~30% manager2, 15% unassigned, the rest director / other sellers; random amounts,
   created_at over a year, search_text as the app writes it, a few hundred observer rows. The bulk rows
   have no process (the kanban never loads a workflow). Then `--moves / 2` deals are created through the
   app (each with its deal_progression process, responsible manager1) for the status changes.
2. Measures, interleaved round by round so that a loaded machine slows every URL alike, through the
   Flask test client (full WSGI stack, session login, template rendering): GET /leads/kanban and
   GET /deals/kanban as the director (sees everything) and as manager1 (visibility filter); p50/p95/p99.
   Every board is checked: its columns, and counts per column equal to an independent SQL aggregate.
3. A deal status change over HTTP: manager1 POSTs /deals/<id>/status (not_processed → initial_contact →
   needs_assessment on each app-created deal); wall time p50/p95, SQL statements and workflow loads
   (workflows.engine.Engine.load calls) per request.
4. Prints EXPLAIN QUERY PLAN and raw sqlite3 time of every SELECT on `deals` of one deals board request
   per user, a compact table, and writes JSON to tests/benchmarks/out/ (git-ignored).

Not a test: pytest never collects this file. Targets (issue 8): deals board p95 <= 100 ms on SQLite and
<= 1.5x the leads board (same user, same run); status change p50 <= 10 ms with one workflow load.
Exit status 0 when every board is right and every target met, 2 when a target is missed, 1 on a wrong board.

First run (2 shared cores, load ~1.7; 100,000 leads + 100,000 deals, 100 rounds), ms p50/p95:
    leads director 31.6/46.7, manager1 42.8/67.9; deals director 286/436, manager1 213/375 (MISSED);
    status change p50 10.5 with one workflow load. EXPLAIN QUERY PLAN of the deals board: the totals GROUP BY
    takes ix_deals_merged_into_id (the open clause `merged_into_id IS NULL`, true for every row) + a temp
    B-tree, not the covering ix_deals_status_totals; each card query sorts its whole column (no
    (status, created_at) index as leads have). With --extra-index "CREATE INDEX ix_deals_status_created ON
    deals (status, created_at)" --extra-index "CREATE INDEX ix_deals_merged_totals ON deals (merged_into_id,
    status, responsible_id, created_by_id, amount)": deals director 46.0/59.9, manager1 59.2/81.9 (1.53x and
    1.59x the leads board: 12 columns render 240 cards where leads render 100).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
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

from tests.benchmarks import kanban_bench as kb  # noqa: E402
from tests.benchmarks._common import log, remove_db_files, sqlite_ts, summary  # noqa: E402

TARGET_P95_MS = 100.0
TARGET_RATIO = 1.5
TARGET_MOVE_P50_MS = 10.0
USERS = ("director", "manager1")
URLS = {"leads": "/leads/kanban", "deals": "/deals/kanban"}
DEAL_STATUSES = ("not_processed", "initial_contact", "needs_assessment", "presentation", "proposal_preparation",
                 "prototype", "decision_making", "completed", "paused", "rejected", "dropped_out", "historical")
DEAL_TERMINAL = ("completed",)
# Assigned deals: a year of history, most of them closed; unassigned ones mostly wait to be taken to work.
DEAL_WEIGHTS_ASSIGNED = (0.04, 0.06, 0.06, 0.06, 0.05, 0.03, 0.05, 0.25, 0.05, 0.20, 0.10, 0.05)
DEAL_WEIGHTS_UNASSIGNED = (0.80, 0.02, 0.02, 0.02, 0.01, 0.01, 0.01, 0.00, 0.03, 0.03, 0.03, 0.02)
MOVES = ("initial_contact", "needs_assessment")


# ------------------------------------------------------------------------------------------ seeding


def seed_deals(db_path: Path, users: dict[str, int], n: int, observers: int, batch: int,
               rng: random.Random) -> dict[str, Any]:
    """Bulk-insert `n` deals (no process rows) and manager1/manager2 observer rows in one transaction."""
    conn = sqlite3.connect(str(db_path), isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA foreign_keys=OFF")
    t0 = time.perf_counter()
    m1, m2, director = users["manager1"], users["manager2"], users["director"]
    others = [uid for login, uid in users.items() if login.startswith("seller")] or [director]
    cp_ids = [cid for (cid,) in conn.execute("SELECT id FROM counterparties")]
    cp_names = dict(conn.execute("SELECT id, short_name FROM counterparties"))
    codes: dict[str, list[str]] = {}
    for directory, code in conn.execute("SELECT directory, code FROM directory_entries"):
        codes.setdefault(directory, []).append(code)
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    start = now - timedelta(days=365)
    year_us = 365 * 86400 * 1_000_000
    offsets = sorted(rng.randrange(year_us) for _ in range(n))
    first_id = conn.execute("SELECT coalesce(max(id), 0) FROM deals").fetchone()[0] + 1
    first_number = conn.execute("SELECT coalesce(max(number), 0) FROM deals").fetchone()[0] + 1
    r = rng.random

    def deal_row(i: int) -> tuple[Any, ...]:
        x = r()
        resp = m1 if x < 0.30 else m2 if x < 0.60 else None if x < 0.75 else director if x < 0.87 else \
            rng.choice(others)
        status = rng.choices(DEAL_STATUSES, DEAL_WEIGHTS_UNASSIGNED if resp is None else DEAL_WEIGHTS_ASSIGNED)[0]
        y = r()
        created_by = director if y < 0.5 else m1 if y < 0.65 else m2 if y < 0.8 else rng.choice(others)
        created = start + timedelta(microseconds=offsets[i])
        name = f"{rng.choice(kb.WORDS)} D#{first_id + i}"
        counterparty = rng.choice(cp_ids) if cp_ids and r() < 0.6 else None
        company = cp_names[counterparty] if counterparty else f"{rng.choice(kb.COMPANY)} {rng.randrange(100000):05d}"
        amount = None if r() < 0.05 else str(Decimal(rng.randrange(10_000_00, 20_000_000_00)) / 100)
        search_text = " ".join((name, company, company)).casefold()
        updated = sqlite_ts(min(now, created + timedelta(days=rng.randrange(0, 60))))
        return (first_id + i, first_number + i, name, status, resp, created_by, counterparty, company, amount,
                rng.randrange(1, 500), rng.choice(codes.get("request_category", [None])),
                rng.choice(codes.get("request_source", [None])), "", search_text, sqlite_ts(created), updated)

    insert = ("INSERT INTO deals (id, number, name, status, responsible_id, created_by_id, counterparty_id, "
              "company_name, amount, users_count, request_category, request_source, description, search_text, "
              "created_at, updated_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)")
    conn.execute("BEGIN IMMEDIATE")
    for lo in range(0, n, batch):
        conn.executemany(insert, [deal_row(i) for i in range(lo, min(lo + batch, n))])
    obs = set()
    if observers:
        ids = range(first_id, first_id + n)
        obs |= {(i, m1) for i in rng.sample(ids, min(observers, n))}
        obs |= {(i, m2) for i in rng.sample(ids, min(observers, n))}
    conn.executemany("INSERT OR IGNORE INTO record_observers (record_type, record_id, user_id) "
                     "VALUES ('deal', ?, ?)", sorted(obs))
    conn.execute("INSERT INTO counters (name, value) VALUES ('deal', ?) "
                 "ON CONFLICT (name) DO UPDATE SET value = excluded.value", (first_number + n - 1,))
    conn.execute("COMMIT")
    bad_fk = conn.execute("PRAGMA foreign_key_check(deals)").fetchall()
    if bad_fk:
        raise SystemExit(f"foreign key violations in deals: {bad_fk[:5]}")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return {"deals_insert_s": round(time.perf_counter() - t0, 2), "observer_rows": len(obs)}


def create_process_deals(app: Any, count: int) -> list[int]:
    """Deals created through the app (each with its deal_progression process), responsible manager1."""
    import sqlalchemy as sa

    from app.auth.models import User
    from app.extensions import db
    from app.records.kinds import get_kind
    from app.records.services import create_record

    with app.app_context():
        director = db.session.scalar(sa.select(User).where(User.login == "director"))
        kind = get_kind("deal")
        ids = []
        for i in range(count):
            deal = create_record(kind, {"name": f"Bench move {i}", "company_name": "Bench LLC", "amount": "1000",
                                        "responsible": "manager1"}, director, [])
            ids.append(deal.id)
        db.session.commit()
        db.session.remove()
    return ids


# ------------------------------------------------------------------------------------------ checking


def expected_deal_columns(conn: sqlite3.Connection, login: str) -> dict[str, int]:
    """Deals per status visible to `login`, written independently of the app's query builder."""
    uid = conn.execute("SELECT id FROM users WHERE login = ?", (login,)).fetchone()[0]
    params: tuple[Any, ...] = ()
    where = "1"
    if login != "director":
        terminal = ", ".join(f"'{s}'" for s in DEAL_TERMINAL)
        where = ("(created_by_id = ? OR responsible_id = ? OR id IN (SELECT record_id FROM record_observers "
                 "WHERE record_type = 'deal' AND user_id = ?) "
                 f"OR (responsible_id IS NULL AND status NOT IN ({terminal})))")
        params = (uid, uid, uid)
    columns = {row[1] for row in conn.execute("PRAGMA table_info(deals)")}
    if "merged_into_id" in columns:
        where += " AND merged_into_id IS NULL"
    got = dict(conn.execute(f"SELECT status, count(*) FROM deals NOT INDEXED WHERE {where} GROUP BY status", params))
    return {s: got.get(s, 0) for s in DEAL_STATUSES}


def check_deal_board(html: str, expected: dict[str, int]) -> list[str]:
    problems = []
    columns = kb.COL_RE.findall(html)
    if columns != list(DEAL_STATUSES):
        problems.append(f"columns {columns} != {list(DEAL_STATUSES)}")
    counts = {s: int(c) for s, c in kb.COUNT_RE.findall(html)}
    problems += [f"{s}: count {counts.get(s)} != {want}" for s, want in expected.items() if counts.get(s) != want]
    return problems


def explain(db_path: Path, statements: list[tuple[str, Any, float]], table: str) -> list[dict[str, Any]]:
    """EXPLAIN QUERY PLAN and raw sqlite3 time (p50 of 10) of the captured SELECTs on `table`."""
    conn = sqlite3.connect(str(db_path))
    out = []
    for sql, params, app_ms in statements:
        flat = kb.one_line(sql)
        if not flat.upper().startswith("SELECT") or f" FROM {table}" not in flat:
            continue
        params = tuple(params) if params is not None else ()
        plan = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, params)]
        times = []
        for _ in range(10):
            t0 = time.perf_counter()
            conn.execute(sql, params).fetchall()
            times.append((time.perf_counter() - t0) * 1000)
        out.append({"sql": flat[:300], "group_by": "GROUP BY" in flat.upper(), "plan": plan,
                    "raw_sqlite_ms": summary(times)["p50"], "in_app_ms": round(app_ms, 3)})
    conn.close()
    return out


# ------------------------------------------------------------------------------------------ measuring


def bench_boards(clients: dict[str, Any], timer: Any, warmup: int, samples: int, budget_s: float,
                 checks: dict[tuple[str, str], Any]) -> dict[str, Any]:
    """Each (board, user) once per round, rounds interleaved; latency and SQL time per (board, user)."""
    keys = [(board, login) for board in URLS for login in USERS]
    wall: dict[tuple[str, str], list[float]] = {k: [] for k in keys}
    sql: dict[tuple[str, str], list[float]] = {k: [] for k in keys}
    statements: dict[tuple[str, str], set[int]] = {k: set() for k in keys}
    for _ in range(warmup):
        for board, login in keys:
            assert clients[login].get(URLS[board]).status_code == 200
    problems: dict[tuple[str, str], list[str]] = {k: checks[k](clients[k[1]].get(URLS[k[0]]).get_data(as_text=True))
                                                  for k in keys}
    deadline = time.perf_counter() + budget_s
    for i in range(samples):
        if time.perf_counter() > deadline:
            log(f"  time budget of {budget_s:g} s spent after {i} rounds")
            break
        for key in keys:
            timer.reset()
            t0 = time.perf_counter()
            response = clients[key[1]].get(URLS[key[0]])
            response.get_data()
            wall[key].append((time.perf_counter() - t0) * 1000)
            sql[key].append(timer.ms)
            statements[key].add(timer.count)
            assert response.status_code == 200
    return {f"{board}/{login}": {"url": URLS[board], "user": login, "latency_ms": summary(wall[(board, login)]),
                                 "sql_ms": summary(sql[(board, login)]),
                                 "sql_statements": sorted(statements[(board, login)]),
                                 "problems": problems[(board, login)], "ok": not problems[(board, login)]}
            for board, login in keys}


def bench_moves(app: Any, timer: Any, deal_ids: list[int]) -> dict[str, Any]:
    """manager1 moves each app-created deal through MOVES over HTTP; time, SQL and workflow loads per POST."""
    from workflows.engine import Engine

    loads: list[int] = []
    original = Engine.load

    def counting(self: Any, *args: Any, **kwargs: Any) -> Any:
        loads[-1] += 1
        return original(self, *args, **kwargs)

    client = kb.login_client(app, "manager1")
    wall: list[float] = []
    sql: list[float] = []
    counts: list[int] = []
    refused: list[str] = []
    setattr(Engine, "load", counting)
    try:
        for status in MOVES:
            for deal_id in deal_ids:
                loads.append(0)
                timer.reset()
                t0 = time.perf_counter()
                response = client.post(f"/deals/{deal_id}/status", data={"status": status})
                wall.append((time.perf_counter() - t0) * 1000)
                sql.append(timer.ms)
                counts.append(timer.count)
                if response.status_code != 302:
                    refused.append(f"{deal_id} -> {status}: {response.status_code}")
                # A browser follows the redirect, which shows (and so drops) the flashed message; this
                # client does not, and without this the session cookie would carry every message so far.
                with client.session_transaction() as session:
                    session.pop("_flashes", None)
    finally:
        setattr(Engine, "load", original)
    with app.app_context():
        import sqlalchemy as sa

        from app.deals.models import Deal
        from app.extensions import db

        final = dict(db.session.execute(sa.select(Deal.status, sa.func.count()).where(Deal.id.in_(deal_ids))
                                        .group_by(Deal.status)).all())
        db.session.remove()
    return {"latency_ms": summary(wall), "sql_ms": summary(sql), "sql_statements": sorted(set(counts)),
            "workflow_loads_per_request": sorted(set(loads)), "refused": refused[:10],
            "final_statuses": final, "ok": not refused and final == {MOVES[-1]: len(deal_ids)}}


# ------------------------------------------------------------------------------------------ main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--deals", type=int, default=100_000)
    p.add_argument("--leads", type=int, default=100_000)
    p.add_argument("--samples", type=int, default=100, help="measured rounds (each board and user once)")
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--moves", type=int, default=60, help="status changes measured (half as many deals, 2 moves each)")
    p.add_argument("--observers", type=int, default=300)
    p.add_argument("--db", type=Path, default=None, help="default tests/benchmarks/out/deal_kanban_bench.sqlite")
    p.add_argument("--reuse", action="store_true", help="reuse --db seeded by this script (moves need new deals: "
                   "they are created again)")
    p.add_argument("--analyze", action="store_true", help="run ANALYZE after seeding (the app never does)")
    p.add_argument("--extra-index", action="append", default=[],
                   help="SQL run on the bench DB before measuring (what-if indexes; app/ is not touched)")
    p.add_argument("--budget-s", type=float, default=300.0)
    p.add_argument("--seed", type=int, default=20240601)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    db_path = (args.db or OUT_DIR / "deal_kanban_bench.sqlite").resolve()
    meta_path = Path(str(db_path) + ".seed.json")
    rng = random.Random(args.seed)
    started = time.perf_counter()
    results: dict[str, Any] = {
        "started_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "argv": sys.argv, "db": str(db_path),
        "targets": {"p95_ms": TARGET_P95_MS, "deals_over_leads": TARGET_RATIO, "move_p50_ms": TARGET_MOVE_P50_MS},
        "machine": {"python": platform.python_version(), "sqlite": sqlite3.sqlite_version, "cpus": os.cpu_count()},
        "loadavg_start": os.getloadavg(),
    }
    if args.reuse and db_path.exists() and meta_path.exists():
        log(f"reusing {db_path}")
        app = kb.make_app(db_path)
        results["seed"] = json.loads(meta_path.read_text()) | {"reused": True}
    else:
        remove_db_files(db_path)
        t0 = time.perf_counter()
        app = kb.make_app(db_path)
        from tests.conftest import reset_database

        reset_database(app)
        users = kb.seed_people(app, 8)
        log(f"bulk-inserting {args.leads:,} leads and {args.deals:,} deals")
        seed: dict[str, Any] = {}
        seed["leads"] = kb.seed_leads(db_path, users, args.leads, 0.1, True, args.observers, 10_000, rng)
        seed["deals"] = seed_deals(db_path, users, args.deals, args.observers, 10_000, rng)
        seed["total_s"] = round(time.perf_counter() - t0, 2)
        meta_path.write_text(json.dumps(seed, indent=2))
        results["seed"] = seed
        log(f"seeded in {seed['total_s']} s")
    log(f"creating {args.moves // 2} deals with their process for the status changes")
    move_ids = create_process_deals(app, max(1, args.moves // 2))

    conn = sqlite3.connect(str(db_path))
    for ddl in args.extra_index:
        log(f"what-if: {ddl}")
        conn.execute(ddl)
        conn.commit()
    results["extra_index"] = args.extra_index
    if args.analyze:
        conn.execute("ANALYZE")
        conn.commit()
    results["analyzed"] = bool(conn.execute(
        "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone()[0])
    results["row_counts"] = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                             for t in ("leads", "deals", "record_observers", "process_instances")}
    results["deals_by_status"] = dict(conn.execute("SELECT status, count(*) FROM deals GROUP BY status"))
    results["deals_indexes"] = [sql for (sql,) in conn.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'deals' AND sql IS NOT NULL ORDER BY name")]
    checks: dict[tuple[str, str], Any] = {}
    for login in USERS:
        lead_expected = kb.expected_columns(conn, login)
        deal_expected = expected_deal_columns(conn, login)
        checks[("leads", login)] = lambda html, e=lead_expected: kb.check_board(html, e)
        checks[("deals", login)] = lambda html, e=deal_expected: check_deal_board(html, e)
        results.setdefault("visible", {})[login] = {"leads": sum(c for c, _a in lead_expected.values()),
                                                    "deals": sum(deal_expected.values())}
    conn.close()

    from app.extensions import db

    with app.app_context():
        timer = kb.SqlTimer(db.engine)
    clients = {login: kb.login_client(app, login) for login in USERS}
    plans = {}
    for login in USERS:
        clients[login].get(URLS["deals"])
        timer.capture = []
        clients[login].get(URLS["deals"])
        plans[login] = explain(db_path, timer.capture, "deals")
        timer.capture = None
    results["deal_board_plans"] = plans
    log(f"GET {URLS['leads']} and {URLS['deals']} as {', '.join(USERS)}: {args.samples} interleaved rounds")
    results["boards"] = bench_boards(clients, timer, args.warmup, args.samples, args.budget_s, checks)
    log(f"{len(move_ids) * len(MOVES)} deal status changes over HTTP")
    results["moves"] = bench_moves(app, timer, move_ids)
    results["loadavg_end"] = os.getloadavg()
    results["elapsed_s"] = round(time.perf_counter() - started, 1)
    verdicts = report(results)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    text = json.dumps(results, indent=2, default=str)
    (OUT_DIR / f"deal_kanban_bench-{stamp}.json").write_text(text)
    (OUT_DIR / "deal_kanban_bench-latest.json").write_text(text)
    ok = all(b["ok"] for b in results["boards"].values()) and results["moves"]["ok"]
    return 0 if ok and all(verdicts.values()) else (2 if ok else 1)


def report(results: dict[str, Any]) -> dict[str, bool]:
    boards, moves = results["boards"], results["moves"]
    rc = results["row_counts"]
    print(f"\nseed: {rc['leads']:,} leads, {rc['deals']:,} deals {results['deals_by_status']}; "
          f"{rc['record_observers']} observer rows; {rc['process_instances']} process instances; "
          f"ANALYZE {results['analyzed']}; visible {results['visible']}\n")
    for ddl in results["extra_index"]:
        print(f"what-if index: {ddl}\n")
    header = f"{'board/user':<18} {'n':>4} {'p50':>8} {'p95':>8} {'p99':>8} {'SQL p50':>8} {'stmts':>6}  check"
    print(header)
    print("-" * len(header))
    for key, run in boards.items():
        lat = run["latency_ms"]
        check = "OK" if run["ok"] else "WRONG: " + "; ".join(run["problems"][:3])
        print(f"{key:<18} {lat['n']:>4} {lat['p50']:>8.2f} {lat['p95']:>8.2f} {lat['p99']:>8.2f} "
              f"{run['sql_ms']['p50']:>8.2f} {str(run['sql_statements']):>6}  {check}")
    verdicts: dict[str, bool] = {}
    print()
    for login in USERS:
        deals, leads = boards[f"deals/{login}"]["latency_ms"], boards[f"leads/{login}"]["latency_ms"]
        ratio = deals["p95"] / leads["p95"] if leads["p95"] else float("inf")
        verdicts[f"deals p95 {login}"] = deals["p95"] <= TARGET_P95_MS
        verdicts[f"deals/leads {login}"] = ratio <= TARGET_RATIO
        print(f"{login}: deals p95 {deals['p95']:.2f} ms (target <= {TARGET_P95_MS:g}: "
              f"{'met' if verdicts[f'deals p95 {login}'] else 'MISSED'}); deals/leads p95 {ratio:.2f}x "
              f"(target <= {TARGET_RATIO:g}x: {'met' if verdicts[f'deals/leads {login}'] else 'MISSED'})")
    lat = moves["latency_ms"]
    verdicts["move p50"] = lat["p50"] <= TARGET_MOVE_P50_MS
    verdicts["one workflow load"] = moves["workflow_loads_per_request"] == [1]
    print(f"deal status change (POST /deals/<id>/status, manager1): n {lat['n']} p50 {lat['p50']:.2f} "
          f"p95 {lat['p95']:.2f} ms (target p50 <= {TARGET_MOVE_P50_MS:g}: "
          f"{'met' if verdicts['move p50'] else 'MISSED'}); SQL p50 {moves['sql_ms']['p50']:.2f} ms, "
          f"{moves['sql_statements']} statements; workflow loads per request {moves['workflow_loads_per_request']}; "
          f"{'OK' if moves['ok'] else 'WRONG: ' + str(moves['refused'] or moves['final_statuses'])}")
    for login, plans in results["deal_board_plans"].items():
        print(f"\n{login}: SELECTs on deals of one /deals/kanban request (raw sqlite3 p50; in-app)")
        for q in plans:
            print(f"  {'GROUP BY' if q['group_by'] else 'cards':<9} raw {q['raw_sqlite_ms']:7.2f} ms, "
                  f"in-app {q['in_app_ms']:7.2f} ms: {q['sql'][:110]}")
            for line in q["plan"]:
                print(f"      {line}")
    print(f"\nload average at start {results['loadavg_start']}, at end {results['loadavg_end']} "
          f"({results['machine']['cpus']} CPUs, SQLite {results['machine']['sqlite']}); "
          f"elapsed {results['elapsed_s']} s")
    return verdicts


if __name__ == "__main__":
    sys.exit(main())
