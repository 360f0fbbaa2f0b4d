"""Database base class, column types, SQLite tuning and the concurrency-safe number counter.

Imports only SQLAlchemy; every domain's models build on `Base`.
"""
from __future__ import annotations

from contextvars import ContextVar
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, registry, scoped_session

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both SQLite (stored naive UTC) and PostgreSQL."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(timezone.utc)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    # An explicit registry: Flask-SQLAlchemy subclasses this base, which forbids a per-base map.
    registry = registry(metadata=sa.MetaData(naming_convention=NAMING_CONVENTION),
                        type_annotation_map={datetime: UTCDateTime()})


class Counter(Base):
    """Named sequence for human-readable record numbers (lead, deal, assignment, ...)."""

    __tablename__ = "counters"
    name: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    value: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)


def next_number(session: Session | scoped_session[Any], name: str) -> int:
    """Return the next value of counter `name`; safe under concurrency on SQLite and PostgreSQL.

    The UPDATE ... RETURNING takes the row lock (PostgreSQL) or the write lock (SQLite), so two
    transactions can never read the same value.
    """
    bind = session.get_bind()
    insert_fn: Any = pg_insert if bind.dialect.name == "postgresql" else sqlite_insert
    session.execute(insert_fn(Counter).values(name=name, value=0).on_conflict_do_nothing())
    result = session.execute(
        sa.update(Counter).where(Counter.name == name).values(value=Counter.value + 1).returning(Counter.value)
    )
    return int(result.scalar_one())


def configure_sqlite(engine: sa.Engine) -> None:
    """WAL, busy timeout and foreign keys, so web, worker and clock can write at the same time."""
    if engine.dialect.name != "sqlite":
        return

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        # pysqlite opens its own transactions; let SQLAlchemy emit BEGIN so that
        # "BEGIN IMMEDIATE" below takes the write lock up front and avoids deadlocks.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=15000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        # Writers take the write lock up front (a deferred read→write upgrade fails at once with
        # "database is locked" instead of waiting). A unit of work marked read-only (the web runner
        # marks GET requests) stays deferred and reads a WAL snapshot in parallel with the writers.
        conn.exec_driver_sql("BEGIN" if _read_only_unit.get() else "BEGIN IMMEDIATE")


_read_only_unit: ContextVar[bool] = ContextVar("crm_read_only_unit", default=False)


def set_read_only_unit(flag: bool) -> Any:
    """Mark (True) or unmark the current unit of work as read-only; returns a token for `reset_read_only_unit`."""
    return _read_only_unit.set(flag)


def reset_read_only_unit(token: Any) -> None:
    _read_only_unit.reset(token)
