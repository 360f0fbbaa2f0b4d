"""The web, the worker and the clock refuse the development SECRET_KEY (or a short one) outside
debug/testing; `make run` writes a random key into .env; the CLI `make run` calls works with it."""
from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from app import create_app
from app.config import DEV_SECRET_KEY, InsecureSecretKey

ROOT = Path(__file__).resolve().parents[2]
STRONG = secrets.token_urlsafe(48)


@pytest.fixture(autouse=True)
def _no_debug_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FLASK_DEBUG", raising=False)


def app_config(tmp_path: Path, key: str, **extra: object) -> dict[str, object]:
    return {"SECRET_KEY": key, "TESTING": False, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'k.sqlite'}",
            "CRM_DEPLOY_ON_START": "off", "REDIS_URL": "redis://127.0.0.1:1/0", **extra}


def forged_admin_cookie(key: str) -> str:
    """What an attacker who knows the key signs: a session naming user 1."""
    forger = Flask("forger", root_path=str(ROOT))
    forger.secret_key = key
    serializer = SecureCookieSessionInterface().get_signing_serializer(forger)
    assert serializer is not None
    return serializer.dumps({"_user_id": "1", "_fresh": True})


@pytest.mark.parametrize("key", [DEV_SECRET_KEY, "short-but-not-empty", "x" * 31, ""])
def test_web_refuses_a_weak_key_outside_debug(tmp_path, key):
    with pytest.raises(InsecureSecretKey, match="SECRET_KEY") as refused:
        create_app(app_config(tmp_path, key))
    assert "make run" in str(refused.value) and "token_urlsafe" in str(refused.value)


def test_a_long_random_key_starts_and_the_dev_key_forges_nothing(tmp_path):
    app = create_app(app_config(tmp_path, STRONG))
    assert app.secret_key == STRONG
    client = app.test_client()
    client.set_cookie("session", forged_admin_cookie(DEV_SECRET_KEY))
    assert client.get("/api/v1/me").status_code == 401


def test_debug_and_testing_runs_accept_the_development_key(tmp_path, monkeypatch):
    assert create_app(app_config(tmp_path, DEV_SECRET_KEY, TESTING=True)).secret_key == DEV_SECRET_KEY
    monkeypatch.setenv("FLASK_DEBUG", "1")
    assert create_app(app_config(tmp_path, DEV_SECRET_KEY)).debug


def run_entry_point(args: list[str], key: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL", "TESTING", "FLASK_DEBUG")}
    # An unreachable Redis: a process that got past the key check would wait there, not exit at once.
    env.update(SECRET_KEY=key, REDIS_URL="redis://127.0.0.1:1/0")
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("args, key", [
    (["-m", "workers", "--burst", "--redis-timeout", "30"], DEV_SECRET_KEY),
    (["-m", "workers.clock"], "too-short"),
], ids=["worker-dev-key", "clock-short-key"])
def test_worker_and_clock_refuse_a_weak_key(args, key):
    result = run_entry_point(args, key, timeout=20)
    assert result.returncode == 1, result.stderr
    assert "SECRET_KEY" in result.stderr and "refusing to start" in result.stderr
    assert "PING" not in result.stderr, "it must refuse before waiting for Redis"


def test_flask_cli_of_make_run_works_with_a_generated_key(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "TESTING", "FLASK_DEBUG")}
    env.update(SECRET_KEY=STRONG, DATABASE_URL=f"sqlite:///{tmp_path / 'cli.sqlite'}", CRM_DEPLOY_ON_START="off",
               REDIS_URL="redis://127.0.0.1:1/0")
    flask = [sys.executable, "-m", "flask", "--app", "app"]
    for command in (["db", "upgrade"], ["crm", "deploy"]):
        result = subprocess.run([*flask, *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
    weak = subprocess.run([*flask, "db", "current"], cwd=ROOT, env={**env, "SECRET_KEY": DEV_SECRET_KEY},
                          capture_output=True, text=True, timeout=120)
    assert weak.returncode != 0 and "SECRET_KEY" in weak.stderr


@pytest.mark.skipif(shutil.which("make") is None, reason="GNU make is not installed")
def test_make_writes_a_random_key_into_dotenv_and_keeps_what_is_there(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    dotenv = tmp_path / ".env"
    dotenv.write_text("CRM_WEB_PORT=5055")  # no trailing newline
    make = ["make", "--no-print-directory", "-C", str(tmp_path), "-f", str(ROOT / "Makefile"), "help"]
    first = subprocess.run(make, env=env, capture_output=True, text=True, timeout=60)
    assert first.returncode == 0, first.stderr
    lines = dotenv.read_text().splitlines()
    assert lines[0] == "CRM_WEB_PORT=5055" and lines[1].startswith("SECRET_KEY=")
    assert len(lines[1]) - len("SECRET_KEY=") >= 32 and "5055" in first.stdout  # .env was read again
    again = subprocess.run(make, env=env, capture_output=True, text=True, timeout=60)
    assert again.returncode == 0 and dotenv.read_text().splitlines() == lines, "an existing key is kept"
    assert ".env" in (ROOT / ".gitignore").read_text().splitlines(), "the key must never be committed"


def test_an_app_built_outside_tests_freezes_its_start_up_objects(monkeypatch) -> None:
    import gc

    from app import create_app

    gc.unfreeze()
    try:
        create_app({"SECRET_KEY": "x" * 40, "TESTING": False, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
        assert gc.get_freeze_count() > 10_000  # the modules, the app, its blueprints and schemas
    finally:
        gc.unfreeze()
    create_app({"SECRET_KEY": "x" * 40, "TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert gc.get_freeze_count() == 0
