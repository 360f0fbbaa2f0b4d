#!/usr/bin/env python
"""Parsing throughput: parse_message (+ request_category, deal_reference) over the tests/data/mail corpus.

    .venv/bin/python tests/benchmarks/mail_parse_bench.py [--rounds 20] [--exclude-huge] [--profile]

Parses every corpus message `rounds` times in one process (the mail worker's situation: one message
after another, the label table and category rules loaded once) and prints messages per second overall
and per message (slowest first), plus p50/p95 per-message times. UnparsableMessage counts as a parse.
No database, no IMAP: this is the parsing share of the intake's budget (target of the whole intake:
≥ 50 messages/s from IMAP to committed deals, see tests/benchmarks/mail_bench.py).

Not a test: pytest never collects this file.
"""
from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from app.mail.form_fields import (default_category_rules, default_labels, deal_reference,  # noqa: E402
                                  request_category)
from app.mail.parsing import UnparsableMessage, clear_header_cache, parse_message  # noqa: E402
from tests.benchmarks._common import log, summary  # noqa: E402

CORPUS = ROOT / "tests" / "data" / "mail"
OUT = ROOT / "tests" / "benchmarks" / "out"


def run(messages: dict[str, bytes], rounds: int, warm_headers: bool = False) -> dict[str, list[float]]:
    labels, rules = default_labels(), default_category_rules()
    times: dict[str, list[float]] = {name: [] for name in messages}
    for _ in range(rounds):
        for name, raw in messages.items():
            if not warm_headers:
                # Each round parses the same bytes: without this the parsed-header cache would answer
                # every header from the previous round, which a real mailbox never does.
                clear_header_cache()
            start = time.perf_counter()
            try:
                parsed = parse_message(raw, labels=labels)
                request_category(parsed.subject, rules)
                deal_reference(parsed.subject)
            except UnparsableMessage:
                pass
            times[name].append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--exclude-huge", action="store_true", help="leave out 27_huge_line.eml (300 KB line)")
    parser.add_argument("--warm-headers", action="store_true",
                        help="keep the parsed-header cache between rounds (an upper bound, not realistic)")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    messages = {p.name: p.read_bytes() for p in sorted(CORPUS.glob("*.eml"))
                if not (args.exclude_huge and p.name.startswith("27_"))}
    log(f"{len(messages)} messages, {sum(map(len, messages.values())) / 1024:.0f} KiB, {args.rounds} rounds")
    run(messages, 1)  # warm-up: imports, regex compilation, lru caches
    profiler = cProfile.Profile() if args.profile else None
    if profiler:
        profiler.enable()
    started = time.perf_counter()
    times = run(messages, args.rounds, args.warm_headers)
    elapsed = time.perf_counter() - started
    if profiler:
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    total = len(messages) * args.rounds
    per_message = [t for values in times.values() for t in values]
    result = {"messages": len(messages), "rounds": args.rounds, "warm_headers": args.warm_headers,
              "parses": total, "seconds": round(elapsed, 3),
              "messages_per_second": round(total / elapsed, 1), "per_message_ms": summary(per_message),
              "slowest": sorted(((n, round(sum(v) / len(v), 3)) for n, v in times.items()), key=lambda x: -x[1])[:5]}
    log(f"{total} parses in {elapsed:.2f} s: {result['messages_per_second']} messages/s")
    log(f"per message ms: {result['per_message_ms']}")
    for name, ms in result["slowest"]:
        log(f"  {ms:8.3f} ms  {name}")
    OUT.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for path in (OUT / f"mail_parse_bench-{stamp}.json", OUT / "mail_parse_bench-latest.json"):
        path.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
