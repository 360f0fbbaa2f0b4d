#!/usr/bin/env python
"""Document rendering throughput: commercial proposals per second per worker (.docx; target >= 10/s).

    .venv/bin/python tests/benchmarks/documents_bench.py [--documents 200] [--lines 5] [--rq] [--pdf 5]

On a fresh SQLite file (migrated, demo cast, a legal entity, a deal with `--lines` lines):
1. render      `app.documents.rendering.render_docx` alone (template + context → .docx bytes), sequentially.
2. job         what one worker does per document, in one process: request (number, context, commit) and then
               the job `workers.documents.render_document` (reload, render, store in the Document Library,
               mark ready, commit), sequentially — documents/s of one worker without RQ's fork per job.
3. --rq        the real thing: `--documents` proposals requested and committed (their jobs published to
               Redis after the commit), then ONE `python -m workers --burst documents` (the Procfile's worker,
               a forking rq.Worker: one work horse per job) drains the queue; documents/s = documents / wall
               time of the worker run. Needs Redis: CRM_TEST_REDIS_URL (`tests/services.py up`) or --redis-url.
4. --pdf N     N LibreOffice conversions (.docx → .pdf) with one profile, when soffice is installed.
Prints a table and writes JSON to tests/benchmarks/out/. Not a test: pytest never collects this file.
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
from pathlib import Path
from typing import Any

SCRIPTS_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(SCRIPTS_ROOT))

from tests.benchmarks._common import log, summary  # noqa: E402

OUT = SCRIPTS_ROOT / "tests" / "benchmarks" / "out"
TARGET_PER_SECOND = 10.0


def build_app(db_path: Path, documents_dir: Path, redis_url: str | None) -> Any:
    from tests.conftest import make_test_app, reset_database

    app = make_test_app(f"sqlite:///{db_path}", CRM_DOCUMENTS_DIR=str(documents_dir), CRM_SOFFICE="off",
                        CRM_JOBS_INLINE=redis_url is None, REDIS_URL=redis_url or "redis://127.0.0.1:1/0")
    reset_database(app)
    return app


def seed(app: Any, line_count: int) -> tuple[int, int]:
    """The demo cast, our legal entity and a deal with `line_count` lines: (deal id, director id)."""
    from app.catalog.services import create_product
    from app.contracts.models import LegalEntity
    from app.extensions import db
    from app.records import lines
    from app.records.kinds import get_kind
    from tests.factories import make_record, make_standard_users

    with app.app_context():
        cast = make_standard_users()
        director = cast["director"]
        db.session.add(LegalEntity(full_name="ООО «Вектор Софт»", inn="7707083893", kpp="773601001",
                                   bank_name="ПАО Сбербанк", bik="044525225", bank_account="40702810938000012345",
                                   corr_account="30101810400000000225", director_name="Иванов И. И.",
                                   chief_accountant_name="Петрова А. С.", address="г. Москва", is_active=True))
        deal = make_record("deal", director, name="Внедрение CRM", company_name="АО «Ромашка»",
                           responsible="manager1")
        for i in range(line_count):
            product = create_product({"name": f"Лицензия CRM, модуль {i + 1}", "price": f"{1000 + i * 250}.00",
                                      "vat_rate": "20"}, director)
            lines.add_line(get_kind("deal"), deal.id, {"product_id": product.id, "quantity": str(i + 1),
                                                       "discount_percent": "5" if i % 2 else "0"}, director)
        db.session.commit()
        return deal.id, director.id


def bench_render(app: Any, deal_id: int, director_id: int, n: int) -> dict[str, Any]:
    from app.auth.models import User
    from app.documents import generation, rendering
    from app.extensions import db

    with app.app_context():
        director = db.session.get(User, director_id)
        assert director is not None
        document = generation.request_proposal(deal_id, director)
        context = dict(document.context)
        db.session.rollback()
        rendering.render_docx("proposal", context)  # warm-up: template file in the page cache, imports done
        times = []
        started = time.perf_counter()
        for _ in range(n):
            t = time.perf_counter()
            content = rendering.render_docx("proposal", context)
            times.append((time.perf_counter() - t) * 1000)
        wall = time.perf_counter() - started
    return {"documents": n, "seconds": round(wall, 3), "per_second": round(n / wall, 2), "ms": summary(times),
            "docx_bytes": len(content)}


def bench_job(app: Any, deal_id: int, director_id: int, n: int) -> dict[str, Any]:
    """Request + render job, sequentially in this process (each its own committed transaction)."""
    from app.auth.models import User
    from app.documents import generation
    from app.extensions import db
    from workers.documents import render_document

    request_ms, render_ms = [], []
    with app.app_context():
        started = time.perf_counter()
        for _ in range(n):
            t = time.perf_counter()
            director = db.session.get(User, director_id)
            assert director is not None
            document_id = generation.request_proposal(deal_id, director).id
            db.session.commit()
            request_ms.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            assert render_document(document_id) is True
            render_ms.append((time.perf_counter() - t) * 1000)
        wall = time.perf_counter() - started
        app.extensions.pop("crm_published_jobs", None)
    render_seconds = sum(render_ms) / 1000
    return {"documents": n, "seconds": round(wall, 3), "per_second_including_request": round(n / wall, 2),
            "render_job_per_second": round(n / render_seconds, 2), "request_ms": summary(request_ms),
            "render_job_ms": summary(render_ms)}


def bench_rq(app: Any, db_path: Path, documents_dir: Path, redis_url: str, deal_id: int, director_id: int,
             n: int) -> dict[str, Any]:
    from redis import Redis
    from rq import Queue

    from app import jobs as names
    from app.auth.models import User
    from app.documents import generation
    from app.documents.generation_models import GeneratedDocument
    from app.extensions import db

    conn = Redis.from_url(redis_url)
    conn.flushdb()
    with app.app_context():
        ids = []
        director = db.session.get(User, director_id)
        assert director is not None
        for _ in range(n):
            ids.append(generation.request_proposal(deal_id, director).id)
            db.session.commit()  # each job is published after its commit
    queued = len(Queue(names.QUEUE_DOCUMENTS, connection=conn))
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db_path}", "REDIS_URL": redis_url, "CRM_SOFFICE": "off",
           "CRM_DOCUMENTS_DIR": str(documents_dir), "CRM_DEPLOY_ON_START": "off", "SECRET_KEY": "x" * 64,
           "CRM_LOG_LEVEL": "INFO"}
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "workers", "--burst", names.QUEUE_DOCUMENTS], cwd=SCRIPTS_ROOT,
                            env=env, capture_output=True, text=True, timeout=3600)
    wall = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"worker failed ({result.returncode}):\n{result.stderr[-3000:]}")
    with app.app_context():
        ready = db.session.query(GeneratedDocument).filter(GeneratedDocument.id.in_(ids),
                                                           GeneratedDocument.render_status == "ready").count()
    job_ms = [float(m) * 1000 for m in re.findall(r"render_document\(\d+,\) done in ([0-9.]+) s", result.stderr)]
    return {"documents": n, "queued": queued, "ready": ready, "worker_seconds": round(wall, 3),
            "job_ms_in_work_horse": summary(job_ms),
            "per_second": round(n / wall, 2),
            "note": "one forking rq worker (a work horse per job) including its start-up and app build"}


def bench_pdf(n: int) -> dict[str, Any]:
    from app.documents import rendering

    soffice = rendering.find_soffice()
    if soffice is None:
        return {"skipped": "soffice is not installed"}
    content = rendering.render_docx("proposal", rendering.SAMPLE_CONTEXTS["proposal"])
    times = []
    with tempfile.TemporaryDirectory(prefix="crm-pdf-bench-") as tmp:
        for i in range(n):
            t = time.perf_counter()
            rendering.convert_to_pdf(content, soffice, Path(tmp) / "profile")
            times.append((time.perf_counter() - t) * 1000)
    return {"conversions": n, "ms": summary(times), "first_ms": round(times[0], 1),
            "per_second_warm": round((n - 1) / (sum(times[1:]) / 1000), 2) if n > 1 else None}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=200)
    parser.add_argument("--lines", type=int, default=5)
    parser.add_argument("--rq", action="store_true", help="also through a real RQ worker (needs Redis)")
    parser.add_argument("--redis-url", default=os.environ.get("CRM_TEST_REDIS_URL"))
    parser.add_argument("--pdf", type=int, default=0, help="LibreOffice conversions to time (0: none)")
    args = parser.parse_args()
    if args.rq and not args.redis_url:
        raise SystemExit("--rq needs Redis: set CRM_TEST_REDIS_URL (tests/services.py up) or pass --redis-url")

    results: dict[str, Any] = {"host": platform.node(), "python": platform.python_version(), "cpus": os.cpu_count(),
                               "documents": args.documents, "lines": args.lines, "target_per_second": TARGET_PER_SECOND}
    with tempfile.TemporaryDirectory(prefix="crm-docs-bench-") as tmp:
        db_path, documents_dir = Path(tmp) / "bench.sqlite", Path(tmp) / "documents"
        log("building the app and seeding")
        app = build_app(db_path, documents_dir, args.redis_url if args.rq else None)
        deal_id, director_id = seed(app, args.lines)
        log(f"render_docx x{args.documents}")
        results["render"] = bench_render(app, deal_id, director_id, args.documents)
        log(f"request + render job x{args.documents}")
        results["job"] = bench_job(app, deal_id, director_id, args.documents)
        if args.rq:
            log(f"through one RQ worker x{args.documents}")
            results["rq"] = bench_rq(app, db_path, documents_dir, args.redis_url, deal_id, director_id,
                                     args.documents)
        if args.pdf:
            log(f"PDF conversions x{args.pdf}")
            results["pdf"] = bench_pdf(args.pdf)

    print()
    print(f"{'stage':<28}{'docs/s':>10}{'p50 ms':>10}{'p95 ms':>10}")
    print(f"{'render_docx':<28}{results['render']['per_second']:>10}{results['render']['ms']['p50']:>10}"
          f"{results['render']['ms']['p95']:>10}")
    job = results["job"]
    print(f"{'render job (in process)':<28}{job['render_job_per_second']:>10}{job['render_job_ms']['p50']:>10}"
          f"{job['render_job_ms']['p95']:>10}")
    print(f"{'request + job':<28}{job['per_second_including_request']:>10}{job['request_ms']['p50']:>10}"
          f"{job['request_ms']['p95']:>10}")
    if "rq" in results:
        print(f"{'one RQ worker (forking)':<28}{results['rq']['per_second']:>10}{'':>10}{'':>10}"
              f"  ready {results['rq']['ready']}/{results['rq']['documents']}")
    if "pdf" in results and "ms" in results["pdf"]:
        print(f"{'PDF (LibreOffice)':<28}{results['pdf']['per_second_warm']:>10}{results['pdf']['ms']['p50']:>10}"
              f"{results['pdf']['ms']['p95']:>10}")
    OUT.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for name in (f"documents_bench-{stamp}.json", "documents_bench-latest.json"):
        (OUT / name).write_text(json.dumps(results, indent=2, ensure_ascii=False))
    log(f"wrote {OUT / f'documents_bench-{stamp}.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
