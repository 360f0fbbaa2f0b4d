"""Configuration read from the environment inside the factory (never at import time)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

ROOT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_REDIS_PORT = 6390


def _sqlite_default() -> str:
    return f"sqlite:///{ROOT_DIR / 'instance' / 'crm.sqlite'}"


@dataclass
class Config:
    SECRET_KEY: str = "dev-only-change-me"
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
    # INN auto-fill: a DaData-compatible provider when a token is set, else the local registry.
    CRM_DADATA_TOKEN: str = ""
    CRM_DADATA_URL: str = "https://suggestions.dadata.ru/suggestions/api/4_1/rs/findById/party"
    CRM_DADATA_TIMEOUT: int = 5
    CRM_WORKDAY_START: int = 9
    CRM_WORKDAY_END: int = 18
    # Run RQ jobs inline instead of publishing them (unit tests only).
    CRM_JOBS_INLINE: bool = False
    WTF_CSRF_ENABLED: bool = True
    WTF_CSRF_TIME_LIMIT: int | None = None
    BABEL_DEFAULT_LOCALE: str = "en"
    BABEL_DEFAULT_TIMEZONE: str = "Europe/Moscow"
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = field(default_factory=dict)
    SESSION_COOKIE_SAMESITE: str = "Lax"
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
