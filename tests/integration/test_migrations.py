"""The Alembic migrations build exactly the schema the models declare (tables, columns, indexes, keys)."""
from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

pytestmark = pytest.mark.db


def test_the_migrations_build_exactly_the_models(app) -> None:
    from app.extensions import db

    with app.app_context(), db.engine.connect() as conn:  # the session's database, migrated from zero
        differences = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert differences == [], differences
