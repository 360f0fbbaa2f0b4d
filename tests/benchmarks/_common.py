"""Helpers shared by the benchmark scripts: logging, percentiles, SQLite file handling."""
from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any


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
