"""The API contract on a live server: schemathesis fuzzes every /api/v1 operation against the OpenAPI document.

A real server (werkzeug, threaded, CSRF on) serves a fresh SQLite database, migrated, with the BPMN
processes deployed and the demo data loaded. schemathesis runs as a separate process (its own
Hypothesis, no pytest plugin interplay) for a bounded number of examples per operation, with a fixed
seed, authenticated as a demo user by bearer token, and checks: no 5xx, every status documented,
every body valid against its schema, the documented content type, and no protected operation that
answers without the token (`ignored_auth`). Any failure fails this test with
schemathesis' report (each one names a curl command that reproduces it).

Run only this: `.venv/bin/pytest -m schemathesis`; skip it in a quick local run: `-m "not schemathesis"`.
"""
from __future__ import annotations

import json
import logging
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.live import demo_app, serve

pytestmark = pytest.mark.schemathesis

MAX_EXAMPLES = 25
SEED = 20261201
CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_schema_conformance", "ignored_auth")
RUN_TIMEOUT_S = 300


@pytest.fixture(scope="module")
def live_api() -> Iterator[str]:
    werkzeug_log = logging.getLogger("werkzeug")
    level = werkzeug_log.level
    werkzeug_log.setLevel(logging.WARNING)  # one INFO line per request: thousands
    try:
        with demo_app("crm-contract-") as app, serve(app, "crm-contract-server") as url:
            yield url
    finally:
        werkzeug_log.setLevel(level)


# Who runs which phases. The coverage phase (every boundary and invalid value of every field, ~3,000
# requests) checks input handling, which is the same for every user: the admin runs it; the manager
# runs the examples, the random fuzzing and the linked sequences, where visibility and permissions differ.
PASSES = {"admin": "examples,coverage,fuzzing,stateful", "manager1": "examples,fuzzing,stateful"}
LOGINS = tuple(PASSES)
# Operations that can end the caller's own credentials (revoking "a token" may hit the run's own):
# fuzzed in a second pass, after everything else, so they cannot turn the main pass into a run of 401s.
RUN_LAST = ("api.revoke_token",)
# ...together with what links into them, so the last pass has a sequence to follow (list → revoke).
LINKED_INTO_LAST = ("api.list_tokens",)


def _request(url: str, body: dict[str, str] | None = None) -> Any:
    request = urllib.request.Request(url, method="POST" if body is not None else "GET",
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


@pytest.fixture(scope="module")
def tokens(live_api: str) -> dict[str, str]:
    """Issued before any fuzzing: the fuzzed failed logins would soon throttle the token endpoint (429)."""
    return {login: str(_request(f"{live_api}/api/v1/auth/token", {"login": login, "password": "demo"})["token"])
            for login in LOGINS}


def run_schemathesis(base_url: str, login: str, token: str, workdir: Path,
                     *extra: str) -> subprocess.CompletedProcess[str]:
    command = [
        sys.executable, "-m", "schemathesis.cli", "run", f"{base_url}/api/v1/openapi.json", "--phases", PASSES[login],
        "--checks", ",".join(CHECKS), "--max-examples", str(MAX_EXAMPLES), "--seed", str(SEED),
        "--workers", "1", "--generation-database", "none", "--no-color", "--request-timeout", "30",
        # Hypothesis' "data generation too slow" depends on the machine's load, not on the API.
        "--suppress-health-check", "too_slow",
        "--header", f"Authorization: Bearer {token}", *extra,
    ]
    return subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=RUN_TIMEOUT_S,
                          check=False)


def _failure(result: subprocess.CompletedProcess[str], who: str) -> str | None:
    output = result.stdout + result.stderr
    if "Tested:" not in output:
        return f"schemathesis did not test anything as {who}:\n{output[-5000:]}"
    if result.returncode != 0:
        return f"schemathesis found failures as {who}:\n{output[-20000:]}"
    return None


def test_api_keeps_its_openapi_contract(live_api: str, tokens: dict[str, str], tmp_path: Path) -> None:
    """Every user's main pass, then the RUN_LAST operations (an admin may revoke anyone's token: last of all)."""
    document = _request(f"{live_api}/api/v1/openapi.json")
    operation_ids = {op["operationId"] for item in document["paths"].values() for op in item.values()}
    last = [op for op in RUN_LAST if op in operation_ids]
    passes = [(login, [arg for op in last for arg in ("--exclude-operation-id", op)]) for login in LOGINS]
    if last:
        only_last = [arg for op in [*last, *LINKED_INTO_LAST] if op in operation_ids
                     for arg in ("--include-operation-id", op)]
        passes += [(login, only_last) for login in reversed(LOGINS)]
    failures = []
    for login, args in passes:
        result = run_schemathesis(live_api, login, tokens[login], tmp_path, *args)
        failure = _failure(result, f"{login} {' '.join(args)}")
        if failure:
            failures.append(failure)
    assert not failures, "\n\n".join(failures)
