"""Shared fixtures: one app and schema per session, one rolled-back transaction per test.

DATABASE_URL selects the database (a temporary SQLite file by default); `make test` runs the
`db`-marked tests a second time on PostgreSQL.
"""
from __future__ import annotations

import os
import secrets
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, g
from flask.testing import FlaskClient

ROOT = Path(__file__).resolve().parent.parent
# Tests that start the real entry points as subprocesses (worker, clock, gunicorn) inherit this
# environment; outside debug/testing those refuse the development key (app.config.check_secret_key).
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(48))


def _database_url(tmp_dir: Path) -> str:
    url = os.environ.get("DATABASE_URL")
    return url or f"sqlite:///{tmp_dir / 'test.sqlite'}"


def make_test_app(database_url: str, **overrides: Any) -> Flask:
    from app import create_app

    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "CRM_DEPLOY_ON_START": "off",
        "WTF_CSRF_ENABLED": False,
        "CRM_JOBS_INLINE": True,
        "CRM_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        # Tests log in hundreds of times; tests/integration/test_ratelimit.py builds its own app with it on.
        "CRM_RATELIMIT_ENABLED": False,
        "REDIS_URL": os.environ.get("CRM_TEST_REDIS_URL", "redis://127.0.0.1:1/0"),
    }
    config.update(overrides)
    if "CRM_DOCUMENTS_DIR" not in config:  # the Document Library's files: never the repository's instance/
        config["CRM_DOCUMENTS_DIR"] = tempfile.mkdtemp(prefix="crm-test-documents-")
    application = create_app(config)

    # Tests hold an app context open, which Flask reuses for every test-client request, so `g`
    # would carry Flask-Login's cached user from one request to the next. Real requests never share it.
    def _forget_cached_user() -> None:
        g.pop("_login_user", None)
        g.pop("_flask_babel", None)  # and Flask-Babel's cached locale: the next request may be another user's

    application.before_request_funcs.setdefault(None, []).insert(0, _forget_cached_user)
    return application


def reset_database(app: Flask) -> None:
    """Drop everything and migrate from zero, so the migrations themselves are under test."""
    from flask_migrate import upgrade

    from app.extensions import db

    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        else:
            db.drop_all()
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        upgrade()
        from app.auth.services import default_groups, ensure_groups
        from app.processes.services import deploy_directory

        ensure_groups(default_groups(app.config))
        deploy_directory()
        db.session.commit()
        db.session.remove()


@pytest.fixture(scope="session")
def app() -> Iterator[Flask]:
    with tempfile.TemporaryDirectory(prefix="crm-test-") as tmp:
        # The Document Library's files go to the session's temporary directory, never to instance/.
        application = make_test_app(_database_url(Path(tmp)), CRM_DOCUMENTS_DIR=str(Path(tmp) / "documents"))
        reset_database(application)
        yield application
        from app.extensions import db

        with application.app_context():
            db.engine.dispose()


def _connection_bound_session_class() -> type:
    from flask_sqlalchemy.session import Session

    class ConnectionBoundSession(Session):
        """Flask-SQLAlchemy picks the engine per table; tests need every query on the test connection."""

        def get_bind(self, mapper: Any = None, clause: Any = None, bind: Any = None, **kwargs: Any) -> Any:
            return bind if bind is not None else self.bind

    return ConnectionBoundSession


_ConnectionBoundSession: Any = None


@pytest.fixture()
def db_session(app: Flask) -> Iterator[Any]:
    """Bind the app's session to one connection inside an outer transaction rolled back at teardown.

    Real `commit()` calls release a SAVEPOINT (SQLAlchemy 2.0 "create_savepoint" recipe).
    """
    global _ConnectionBoundSession
    from app.extensions import db

    if _ConnectionBoundSession is None:
        _ConnectionBoundSession = _connection_bound_session_class()
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        db.session = db._make_scoped_session({"class_": _ConnectionBoundSession, "bind": connection,
                                              "join_transaction_mode": "create_savepoint"})
        try:
            yield db.session
        finally:
            db.session.remove()
            db.session = original
            outer.rollback()
            connection.close()
            app.extensions.pop("crm_published_jobs", None)


@pytest.fixture()
def client(app: Flask, db_session: Any) -> FlaskClient:
    return app.test_client()


@pytest.fixture()
def enqueued(app: Flask, db_session: Any) -> list[Any]:
    """Jobs published after commit (CRM_JOBS_INLINE records instead of sending to Redis)."""
    return app.extensions.setdefault("crm_published_jobs", [])


@pytest.fixture()
def users(db_session: Any) -> dict[str, Any]:
    from tests.factories import make_standard_users

    cast = make_standard_users()
    db_session.commit()  # a view's rollback must not take the fixtures with it
    return cast


def login(client: FlaskClient, user_login: str, password: str = "demo") -> None:
    response = client.post("/login", data={"login": user_login, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)


def api_token(client: FlaskClient, user_login: str, password: str = "demo") -> dict[str, str]:
    response = client.post("/api/v1/auth/token", json={"login": user_login, "password": password})
    assert response.status_code == 201, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """A database of this test's own: a SQLite file, or a new database on DATABASE_URL's PostgreSQL."""
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith(("postgresql", "postgres:")):
        yield f"sqlite:///{tmp_path / 'crm.sqlite'}"
        return
    url = sa.make_url(base.replace("postgres://", "postgresql+psycopg://", 1)
                      .replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"crm_workers_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
