"""The Document Library pages (/documents) and the Document Links card widget."""
from __future__ import annotations

from flask import Blueprint
from flask.blueprints import BlueprintSetupState
from flask_sqlalchemy.session import Session

from app.documents import storage

bp = Blueprint("library", __name__, template_folder="templates")


@bp.record_once
def _install(state: BlueprintSetupState) -> None:
    # Flask-SQLAlchemy builds every session from this class (tests' savepoint sessions subclass it).
    storage.install_storage_hooks(Session)
