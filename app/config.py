"""Configuration read from the environment inside the factory (never at import time)."""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

ROOT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_REDIS_PORT = 6390
DEV_SECRET_KEY = "dev-only-change-me"
MIN_SECRET_KEY_LENGTH = 32


class InsecureSecretKey(RuntimeError):
    """The web, worker and clock refuse to start outside debug/testing with a weak SECRET_KEY."""


def check_secret_key(config: Mapping[str, Any], debug: bool | None = None) -> None:
    """Raise InsecureSecretKey unless SECRET_KEY is a real key or this is a debug/testing run.

    A cookie signed with the public development key (or a guessable short one) would give anyone
    any identity, administrators included. `debug=None` reads FLASK_DEBUG like Flask does.
    """
    if debug is None:
        debug = os.environ.get("FLASK_DEBUG", "").strip().lower() not in ("", "0", "false", "no")
    if debug or config.get("DEBUG") or config.get("TESTING"):
        return
    key = str(config.get("SECRET_KEY") or "")
    if key == DEV_SECRET_KEY:
        problem = "SECRET_KEY is the public development default"
    elif len(key) < MIN_SECRET_KEY_LENGTH:
        problem = f"SECRET_KEY is shorter than {MIN_SECRET_KEY_LENGTH} characters"
    else:
        return
    raise InsecureSecretKey(
        f"{problem}: refusing to start, anyone could forge a session. Set SECRET_KEY to a long random "
        "value in the environment or in .env (`make run` writes one there), e.g. "
        "SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))'). "
        "Only a debug (FLASK_DEBUG=1) or testing (TESTING=1) run accepts a weak key.")


def _sqlite_default() -> str:
    return f"sqlite:///{ROOT_DIR / 'instance' / 'crm.sqlite'}"


@dataclass
class Config:
    SECRET_KEY: str = DEV_SECRET_KEY
    SQLALCHEMY_DATABASE_URI: str = field(default_factory=_sqlite_default)
    REDIS_URL: str = f"redis://127.0.0.1:{DEFAULT_REDIS_PORT}/0"
    CRM_REDIS_PORT: int = DEFAULT_REDIS_PORT
    CRM_WEB_PORT: int = 5000
    BPMN_DIR: str = str(ROOT_DIR / "bpmn")
    FORMS_DIR: str = str(ROOT_DIR / "forms")
    # "deploy": deploy changed BPMN files at startup; "warn": log and keep serving old versions;
    # "off": do nothing (tests deploy explicitly).
    CRM_DEPLOY_ON_START: str = "deploy"
    CRM_TIMEZONE: str = "Europe/Moscow"
    CRM_GROUP_CRM_MANAGER: str = "crm-cco"
    CRM_GROUP_COMMERCIAL_DIRECTOR: str = "crm-manager"
    CRM_GROUP_ADMIN: str = "crm-admin"
    CRM_GROUP_ANALYST: str = "crm-analyst"
    # "All CRM Managers": groups whose members may view every lead and deal (comma-separated).
    CRM_VIEW_ALL_GROUPS: str = "crm-manager"
    CRM_PAGE_SIZE: int = 20
    # werkzeug hash method; tests use a cheap one so hundreds of logins stay fast.
    CRM_PASSWORD_HASH_METHOD: str = "scrypt"
    CRM_LEAD_TAKE_SLA_HOURS: int = 4
    # Deals: Completed from any status (not only Decision making); days without a status change before
    # the responsible gets a "Stale deal" reminder. Both are read when a deal's process starts.
    CRM_ALLOW_QUICK_CLOSING: bool = False
    CRM_DEAL_STALE_DAYS: int = 14
    # INN auto-fill: a DaData-compatible provider when a token is set, else the local registry.
    CRM_DADATA_TOKEN: str = ""
    CRM_DADATA_URL: str = "https://suggestions.dadata.ru/suggestions/api/4_1/rs/findById/party"
    CRM_DADATA_TIMEOUT: int = 5
    CRM_WORKDAY_START: int = 9
    CRM_WORKDAY_END: int = 18
    # Run RQ jobs inline instead of publishing them (unit tests only).
    CRM_JOBS_INLINE: bool = False
    # Seconds the web waits for Redis (connect, then each command) when publishing a job: with Redis
    # down a request must not hang; the job is re-derived later by the clock's periodic scans.
    CRM_REDIS_TIMEOUT: float = 1.0
    WTF_CSRF_ENABLED: bool = True
    WTF_CSRF_TIME_LIMIT: int | None = None
    BABEL_DEFAULT_LOCALE: str = "en"
    BABEL_DEFAULT_TIMEZONE: str = "Europe/Moscow"
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = field(default_factory=dict)
    SESSION_COOKIE_SAMESITE: str = "Lax"
    SESSION_COOKIE_HTTPONLY: bool = True
    REMEMBER_COOKIE_SAMESITE: str = "Lax"
    REMEMBER_COOKIE_HTTPONLY: bool = True
    # Secure flag on the session and remember-me cookies: "auto" (when the request came over HTTPS),
    # "true" (always: behind a TLS-terminating proxy that talks HTTP to us) or "false".
    CRM_SECURE_COOKIES: str = "auto"
    # JSON request bodies: larger is 413, deeper nesting (arrays/objects) is 400 malformed_json.
    CRM_MAX_JSON_BYTES: int = 1024 * 1024
    CRM_MAX_JSON_DEPTH: int = 32
    # Login throttling (Flask-Limiter, "N/period" strings): failed attempts per login and per client
    # address, counted in Redis (CRM_RATELIMIT_STORAGE_URL, default REDIS_URL) with an in-memory
    # fallback while Redis is unreachable.
    CRM_RATELIMIT_ENABLED: bool = True
    CRM_LOGIN_LIMIT_PER_LOGIN: str = "5/minute"
    CRM_LOGIN_LIMIT_PER_ADDRESS: str = "20/minute"
    CRM_RATELIMIT_STORAGE_URL: str = ""
    # Lifetime of a new API token.
    CRM_TOKEN_TTL_DAYS: int = 30
    # The Document Library's files (app.documents.storage): the directory and the largest upload.
    CRM_DOCUMENTS_DIR: str = str(ROOT_DIR / "instance" / "documents")
    CRM_UPLOAD_MAX_BYTES: int = 20 * 1024 * 1024
    # LibreOffice for the PDF copies of generated documents: "auto" (soffice on PATH, when installed), "off",
    # or the path of the soffice binary. Without it documents are .docx only.
    CRM_SOFFICE: str = "auto"
    TESTING: bool = False

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "Config":
        env = os.environ if environ is None else environ
        cfg = cls()
        aliases = {"SQLALCHEMY_DATABASE_URI": "DATABASE_URL"}
        for f in fields(cls):
            key = aliases.get(f.name, f.name)
            if key not in env:
                continue
            raw = env[key]
            current = getattr(cfg, f.name)
            value: Any
            if isinstance(current, bool):
                value = raw.strip().lower() in ("1", "true", "yes", "on")
            elif isinstance(current, int):
                value = int(raw)
            elif isinstance(current, float):
                value = float(raw)
            elif isinstance(current, dict):
                continue
            else:
                value = raw
            setattr(cfg, f.name, value)
        if "REDIS_URL" not in env:
            cfg.REDIS_URL = f"redis://127.0.0.1:{cfg.CRM_REDIS_PORT}/0"
        if cfg.SQLALCHEMY_DATABASE_URI.startswith("postgres://"):
            cfg.SQLALCHEMY_DATABASE_URI = "postgresql+psycopg://" + cfg.SQLALCHEMY_DATABASE_URI[len("postgres://"):]
        elif cfg.SQLALCHEMY_DATABASE_URI.startswith("postgresql://"):
            cfg.SQLALCHEMY_DATABASE_URI = "postgresql+psycopg://" + cfg.SQLALCHEMY_DATABASE_URI[len("postgresql://"):]
        return cfg

    def as_mapping(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}
