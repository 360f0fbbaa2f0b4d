"""Login throttling on the login page and the token endpoint, and the unknown-login timing rule.

The session app of tests/conftest.py runs with throttling off (tests log in hundreds of times); the
apps here turn it on over the same database, so the `users` fixture's accounts exist. Counters are
kept in memory (reset per test) except where Redis itself is the subject.
"""
from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.auth import services as auth_services
from tests.conftest import make_test_app

pytestmark = pytest.mark.db

LIMITS = {"CRM_RATELIMIT_ENABLED": True, "CRM_LOGIN_LIMIT_PER_LOGIN": "5/minute",
          "CRM_LOGIN_LIMIT_PER_ADDRESS": "20/minute"}


@pytest.fixture(scope="module")
def limited_app(app: Flask) -> Flask:
    return make_test_app(app.config["SQLALCHEMY_DATABASE_URI"], CRM_RATELIMIT_STORAGE_URL="memory://", **LIMITS)


@pytest.fixture()
def limited(limited_app: Flask, db_session: Any) -> Iterator[FlaskClient]:
    limited_app.extensions["crm_limiter"].reset()
    yield limited_app.test_client()


def page_login(client: FlaskClient, login: str, password: str, address: str = "10.0.0.1") -> Any:
    return client.post("/login", data={"login": login, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def api_login(client: FlaskClient, login: str, password: str, address: str = "10.0.0.1") -> Any:
    return client.post("/api/v1/auth/token", json={"login": login, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def test_sixth_wrong_password_on_the_page_is_429_even_with_the_right_password(limited, users):
    for _ in range(5):
        assert page_login(limited, "manager1", "guess").status_code == 401
    response = page_login(limited, "manager1", "demo")
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    html = response.get_data(as_text=True)
    assert "Too many failed login attempts" in html and 'name="password"' in html  # the form, with a message


def test_sixth_wrong_password_on_the_api_is_429_rate_limited(limited, users):
    for _ in range(5):
        assert api_login(limited, "manager1", "guess").status_code == 401
    response = api_login(limited, "manager1", "demo")
    assert response.status_code == 429
    assert response.get_json()["error"]["code"] == "rate_limited"
    assert 0 < int(response.headers["Retry-After"]) <= 61  # the one-minute window, rounded up


def test_page_and_api_share_the_counter(limited, users):
    for _ in range(3):
        page_login(limited, "manager1", "guess")
    for _ in range(2):
        api_login(limited, "Manager1 ", "guess")  # the same account, however the login is typed
    assert api_login(limited, "manager1", "demo").status_code == 429
    assert page_login(limited, "manager1", "demo").status_code == 429


def test_per_login_limit_holds_from_any_address_and_spares_other_logins(limited, users):
    for i in range(5):
        page_login(limited, "manager1", "guess", address=f"10.0.1.{i}")
    # A distributed guesser gets no further from a new address ...
    assert page_login(limited, "manager1", "demo", address="10.0.9.9").status_code == 429
    # ... while the colleague at the attacked address still logs in.
    assert page_login(limited, "manager2", "demo", address="10.0.1.0").status_code == 302


def test_successful_logins_are_not_counted(limited, users):
    for _ in range(8):
        assert api_login(limited, "manager1", "demo").status_code == 201


def test_per_address_limit_across_many_logins(limited, users):
    for i in range(20):
        assert page_login(limited, f"nobody{i}", "guess", address="10.0.2.1").status_code == 401
    assert page_login(limited, "manager1", "demo", address="10.0.2.1").status_code == 429
    assert api_login(limited, "manager1", "demo", address="10.0.2.1").status_code == 429
    assert page_login(limited, "manager1", "demo", address="10.0.2.2").status_code == 302


def test_unknown_login_checks_a_password_hash_like_a_wrong_password(app, db_session, users, monkeypatch):
    calls: list[str] = []
    real = auth_services.check_password_hash

    def counting(stored: str, password: str) -> bool:
        calls.append(stored)
        return real(stored, password)

    monkeypatch.setattr(auth_services, "check_password_hash", counting)
    with app.test_request_context():
        assert auth_services.authenticate("no-such-user", "guess") is None
        assert len(calls) == 1
        assert calls[0].startswith(app.config["CRM_PASSWORD_HASH_METHOD"].split(":")[0]), \
            "the dummy hash uses the configured method, so it costs what a real check costs"
        assert auth_services.authenticate("manager1", "guess") is None
        assert len(calls) == 2
        users["manager2"].is_active_user = False
        assert auth_services.authenticate("manager2", "demo") is None
        assert len(calls) == 3, "a deactivated account is not revealed by skipping the check"
        assert auth_services.authenticate("manager1", "demo") is users["manager1"]


def test_unreachable_redis_falls_back_to_memory_without_hanging(app, db_session, users):
    unreachable = make_test_app(app.config["SQLALCHEMY_DATABASE_URI"], REDIS_URL="redis://127.0.0.1:1/0",
                                CRM_RATELIMIT_STORAGE_URL="", **LIMITS)
    client = unreachable.test_client()
    started = time.monotonic()
    statuses = [api_login(client, "manager1", "guess").status_code for _ in range(6)]
    assert statuses == [401] * 5 + [429]
    assert page_login(client, "manager2", "demo").status_code == 302
    assert time.monotonic() - started < 10


@pytest.mark.redis
def test_counters_live_in_redis(app, db_session, users):
    url = os.environ.get("CRM_TEST_REDIS_URL")
    if not url:
        pytest.skip("CRM_TEST_REDIS_URL is not set")
    from redis import Redis

    # Unique login and addresses: the Redis counters outlive this test.
    login = f"ghost-{uuid.uuid4().hex[:8]}"
    here, there = ("10.3.{}.{}".format(*uuid.uuid4().bytes[:2]) for _ in range(2))
    first = make_test_app(app.config["SQLALCHEMY_DATABASE_URI"], REDIS_URL=url, **LIMITS)
    second = make_test_app(app.config["SQLALCHEMY_DATABASE_URI"], REDIS_URL=url, **LIMITS)
    for _ in range(5):
        assert api_login(first.test_client(), login, "guess", address=here).status_code == 401
    # Another web process (another app, same Redis) sees the same counter.
    assert api_login(second.test_client(), login, "guess", address=there).status_code == 429
    conn = Redis.from_url(url)
    try:
        assert any(login in key.decode() for key in conn.scan_iter("*crm-login*"))
    finally:
        conn.close()
