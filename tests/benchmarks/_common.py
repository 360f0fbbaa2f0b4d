"""Helpers shared by the benchmark scripts: logging, percentiles, SQLite file handling, the app under test."""
from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any


def select_app_root(scripts_root: Path) -> Path:
    """The checkout whose `app` (and `tests` helpers) the benchmark measures; put first on sys.path.

    Default: the checkout holding the scripts. Another checkout (e.g. a worktree of an older commit, to
    compare two revisions in one run with the same scripts): CRM_BENCH_APP_ROOT=/path, or the first
    PYTHONPATH entry that has an app/ package. The `tests` package (conftest, factories) is then re-imported
    from there, so the seeding helpers match that app. Call before importing `app` or `tests.*` helpers.
    """
    pythonpath = os.environ.get("PYTHONPATH", "").split(os.pathsep)
    chosen = os.environ.get("CRM_BENCH_APP_ROOT") or next(
        (p for p in pythonpath if p and Path(p, "app", "__init__.py").is_file()), "")
    app_root = Path(chosen).resolve() if chosen else scripts_root
    if not Path(app_root, "app", "__init__.py").is_file():
        raise SystemExit(f"no app/ package under {app_root}")
    sys.path[:] = [str(app_root)] + [p for p in sys.path if not p or Path(p).resolve() != app_root]
    if app_root != scripts_root:
        for name in [m for m in sys.modules if m == "tests" or m.startswith("tests.")]:
            del sys.modules[name]  # this module's functions stay usable; tests.* comes from app_root now
        # The venv's editable install maps app.* onto the scripts' checkout as a fallback finder: a module
        # missing from app_root (app.records in an older commit) would silently come from there.
        sys.meta_path[:] = [f for f in sys.meta_path if not type(f).__module__.startswith("__editable__")
                            and not getattr(f, "__module__", "").startswith("__editable__")]
    return app_root


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def pct(values: list[float], q: float) -> float:
    """Percentile with linear interpolation (q in 0..100)."""
    if not values:
        return float("nan")
    s = sorted(values)
    if len(s) == 1:
        return s[0]
    k = (len(s) - 1) * q / 100.0
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def summary(values_ms: list[float]) -> dict[str, float]:
    if not values_ms:
        return {"n": 0}
    return {"n": len(values_ms), "p50": round(pct(values_ms, 50), 3), "p95": round(pct(values_ms, 95), 3),
            "p99": round(pct(values_ms, 99), 3), "max": round(max(values_ms), 3),
            "mean": round(statistics.fmean(values_ms), 3), "min": round(min(values_ms), 3)}


def sqlite_ts(dt: datetime) -> str:
    """The text SQLAlchemy's SQLite DateTime writes: naive UTC 'YYYY-MM-DD HH:MM:SS.ffffff'."""
    return dt.replace(tzinfo=None).isoformat(" ", "microseconds")


def sqlite_path_of(url: str) -> str:
    assert url.startswith("sqlite:///"), url
    return url[len("sqlite:///"):]


def remove_db_files(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        p = Path(str(path) + suffix)
        if p.exists():
            p.unlink()


def time_calls(owner: Any, attr: str, sink: list[float]) -> None:
    """Replace ``owner.attr`` by a wrapper that appends each call's duration (ms) to ``sink``."""
    original: Callable[..., Any] = getattr(owner, attr)

    def timed(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            sink.append((time.perf_counter() - t0) * 1000)

    setattr(owner, attr, timed)
