#!/usr/bin/env python
"""Mail intake throughput: messages per second from a real IMAP server to committed deals, one worker (target >= 50/s).

    set -a; . .run/test-services.env; set +a      # Dovecot + Redis from `python tests/services.py up`
    .venv/bin/python tests/benchmarks/mail_bench.py [--messages 500] [--rq] [--delete]

On a fresh SQLite file (migrated, BPMN deployed, directories seeded), `--messages` website-form messages
(Russian labels, each with its own Message-ID) are appended to a new folder of the test Dovecot
(CRM_TEST_IMAP_*), the `mail-inbox-crm` setting points at it, and then:
1. poll     `workers.mail.poll_mailbox` called in this process (the job's body without RQ): UID search, FETCH
            in chunks, parse, log entry + deal through the records machinery (process started, "Take to work"
            task), COMMIT per message, then \\Seen (or \\Deleted + expunge with --delete) per chunk.
2. --rq     the real thing on a second folder: the poll job enqueued to Redis (CRM_TEST_REDIS_URL) and ONE
            `python -m workers --burst mail` (the Procfile's worker, forking rq.Worker) drains it; reports the
            worker's wall time (with its start-up) and the job's own duration from its log line.
Checks afterwards that every message became exactly one deal and is flagged. Prints a table and writes
JSON to tests/benchmarks/out/. Not a test: pytest never collects this file.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

SCRIPTS_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(SCRIPTS_ROOT))

from tests.benchmarks._common import log, summary, time_calls  # noqa: E402

OUT = SCRIPTS_ROOT / "tests" / "benchmarks" / "out"
TARGET_PER_SECOND = 50.0


def form_mail(n: int) -> bytes:
    body = (f"Компания: ООО Клиент {n}\r\nФИО: Иванов Иван {n}\r\nДолжность: ИТ-директор\r\nОтдел: ИТ\r\n"
            f"Телефон: +7 495 000-{n % 100:02d}-{n % 97:02d}\r\nE-mail: buyer{n}@client{n}.example\r\n"
            f"Количество пользователей: {10 + n % 500}\r\nКомментарий: Нужна CRM, заявка {n}.\r\n"
            f"Страница: https://site.example/price\r\nutm_source: yandex\r\n")
    return (f"Message-ID: <bench-{n}-{uuid.uuid4().hex}@site.example>\r\nFrom: Site <noreply@site.example>\r\n"
            f"To: sales@crm.example\r\nSubject: Заявка с сайта: запрос стоимости {n}\r\n"
            f"Date: Tue, 01 Dec 2026 09:30:00 +0300\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{body}").encode()


def imap_env() -> dict[str, str]:
    missing = [k for k in ("HOST", "PORT", "USER", "PASSWORD") if not os.environ.get(f"CRM_TEST_IMAP_{k}")]
    if missing:
        raise SystemExit("CRM_TEST_IMAP_* are not set: run `python tests/services.py up` and source its env file")
    return {k.lower(): os.environ[f"CRM_TEST_IMAP_{k}"] for k in ("HOST", "PORT", "USER", "PASSWORD")}


def client(server: dict[str, str]) -> Any:
    from imapclient import IMAPClient

    c = IMAPClient(server["host"], port=int(server["port"]), ssl=False, timeout=60)
    c.login(server["user"], server["password"])
    return c


def fill_folder(server: dict[str, str], count: int) -> tuple[str, float]:
    folder = f"INBOX.bench{uuid.uuid4().hex[:8]}"
    started = time.perf_counter()
    with client(server) as c:
        c.create_folder(folder)
        for n in range(1, count + 1):
            c.append(folder, form_mail(n))
    return folder, time.perf_counter() - started


def flagged(server: dict[str, str], folder: str) -> tuple[int, int]:
    """(messages left in the folder, of which \\Seen)."""
    with client(server) as c:
        c.select_folder(folder, readonly=True)
        return len(c.search(["ALL"])), len(c.search(["SEEN"]))


def drop_folder(server: dict[str, str], folder: str) -> None:
    with client(server) as c:
        c.delete_folder(folder)


def url_for(server: dict[str, str], folder: str, delete: bool) -> str:
    return (f"imap://{server['host']}:{server['port']}/{folder}?username={server['user'].replace('@', '%40')}"
            f"&password={server['password']}&delete={'true' if delete else 'false'}&unseen=false&delay=60000")


def configure(app: Any, value: str) -> None:
    from app.extensions import db
    from app.mail.mailboxes import INBOX_CRM
    from app.settings.models import Setting

    with app.app_context():
        db.session.merge(Setting(key=INBOX_CRM, value=value, description=""))
        db.session.commit()


def counts(app: Any) -> tuple[int, int]:
    import sqlalchemy as sa

    from app.extensions import db
    from app.mail.models import MailIntakeEntry
    from app.records.kinds import get_kind

    with app.app_context():
        deals = db.session.scalar(sa.select(sa.func.count()).select_from(get_kind("deal").model)) or 0
        created = db.session.scalar(sa.select(sa.func.count()).select_from(MailIntakeEntry)
                                    .where(MailIntakeEntry.outcome == "created_deal")) or 0
        return int(deals), int(created)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--rq", action="store_true", help="also measure one real `python -m workers --burst mail`")
    parser.add_argument("--delete", action="store_true", help="delete=true (\\Deleted + expunge) instead of \\Seen")
    parser.add_argument("--redis-url", default=os.environ.get("CRM_TEST_REDIS_URL"))
    args = parser.parse_args()
    if not args.redis_url:
        raise SystemExit("needs Redis (the poll's lock): CRM_TEST_REDIS_URL or --redis-url")
    server = imap_env()

    from tests.conftest import make_test_app, reset_database
    from workers import runtime

    results: dict[str, Any] = {"messages": args.messages, "delete": args.delete, "target_per_second": TARGET_PER_SECOND,
                               "python": platform.python_version(), "machine": platform.machine(),
                               "cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="crm-mail-bench-") as tmp:
        db_path = Path(tmp) / "crm.sqlite"
        app = make_test_app(f"sqlite:///{db_path}", CRM_JOBS_INLINE=True, REDIS_URL=args.redis_url)
        reset_database(app)
        with app.app_context():
            from app.directories.services import ensure_seed
            from app.extensions import db

            ensure_seed()
            db.session.commit()
        runtime.use_app(app)
        from app.mail import intake
        from app.mail.mailboxes import INBOX_CRM
        from workers import mail as mail_jobs

        # 1. the poll in this process
        folder, append_s = fill_folder(server, args.messages)
        log(f"appended {args.messages} messages to {folder} in {append_s:.1f} s")
        configure(app, url_for(server, folder, args.delete))
        create_ms: list[float] = []
        time_calls(intake.records, "create_record", create_ms)
        load_before = os.getloadavg()[0]
        started, cpu_started = time.perf_counter(), time.process_time()
        with app.app_context():
            new = mail_jobs.poll_mailbox(INBOX_CRM)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        deals, created = counts(app)
        left, seen = flagged(server, folder)
        assert new == args.messages == deals == created, (new, deals, created)
        assert (left == 0) if args.delete else (seen == left == args.messages), (left, seen)
        results["poll"] = {"seconds": round(elapsed, 3), "per_second": round(args.messages / elapsed, 1),
                           "cpu_seconds": round(cpu, 3), "per_cpu_second": round(args.messages / cpu, 1),
                           "create_record_ms": summary(create_ms),
                           "create_record_share": round(sum(create_ms) / 1000 / elapsed, 3),
                           "load_average_before": round(load_before, 2), "deals": deals, "left_in_folder": left,
                           "seen": seen}
        log(f"poll (in process): {args.messages} messages → {deals} deals in {elapsed:.2f} s = "
            f"{args.messages / elapsed:.1f} messages/s wall, {args.messages / cpu:.1f} per CPU-second of the "
            f"worker (load average {load_before:.1f} on {os.cpu_count()} CPUs); create_record (deal + process) "
            f"{sum(create_ms) / 1000 / elapsed:.0%} of the time, p50 {summary(create_ms)['p50']} ms")
        drop_folder(server, folder)

        # 2. one real RQ worker
        if args.rq:
            from redis import Redis
            from rq import Queue

            from app import jobs as names

            folder, _ = fill_folder(server, args.messages)
            configure(app, url_for(server, folder, args.delete))
            conn = Redis.from_url(args.redis_url)
            conn.delete(mail_jobs.poll_lock_key(INBOX_CRM))
            Queue(names.QUEUE_MAIL, connection=conn).enqueue(names.POLL_MAILBOX, INBOX_CRM)
            env = {**os.environ, "DATABASE_URL": f"sqlite:///{db_path}", "REDIS_URL": args.redis_url,
                   "CRM_LOG_LEVEL": "INFO", "CRM_DEPLOY_ON_START": "off"}
            started = time.perf_counter()
            run = subprocess.run([sys.executable, "-m", "workers", "--burst", names.QUEUE_MAIL], cwd=SCRIPTS_ROOT,
                                 env=env, capture_output=True, text=True, timeout=1800)
            wall = time.perf_counter() - started
            assert run.returncode == 0, run.stdout + run.stderr
            match = re.search(r"poll_mailbox\(.*\) done in ([0-9.]+) s -> (\d+)", run.stderr)
            job_s = float(match.group(1)) if match else float("nan")
            deals, created = counts(app)
            left, seen = flagged(server, folder)
            assert deals == created == 2 * args.messages, (deals, created)
            results["rq_worker"] = {"wall_seconds": round(wall, 3), "job_seconds": job_s,
                                    "per_second_wall": round(args.messages / wall, 1),
                                    "per_second_job": round(args.messages / job_s, 1) if job_s == job_s else None,
                                    "left_in_folder": left, "seen": seen}
            log(f"rq worker: {args.messages} messages in {wall:.2f} s wall (worker start-up included) = "
                f"{args.messages / wall:.1f}/s; the job itself {job_s:.2f} s = {args.messages / job_s:.1f}/s")
            drop_folder(server, folder)
        runtime.use_app(None)

    OUT.mkdir(parents=True, exist_ok=True)
    out = OUT / f"mail_bench_{time.strftime('%Y%m%d_%H%M%S')}.json"
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    best = results["poll"]["per_second"]
    log(f"target {TARGET_PER_SECOND:.0f}/s: {'met' if best >= TARGET_PER_SECOND else 'NOT met'} ({best}/s); {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
