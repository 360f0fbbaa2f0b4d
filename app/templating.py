"""Template filters and globals shared by every page."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import Flask, request, url_for
from flask_babel import format_date, format_datetime, get_locale
from flask_login import current_user

from app.labels import label
from app.processes.records import record_type


def install_template_helpers(app: Flask) -> None:
    @app.template_filter("dt")
    def _dt(value: datetime | None, fmt: str = "short") -> str:
        return format_datetime(value, fmt) if value else "—"

    @app.template_filter("d")
    def _d(value: date | None, fmt: str = "medium") -> str:
        return format_date(value, fmt) if value else "—"

    app.add_template_global(label, "label")

    @app.template_filter("money")
    def _money(value: Decimal | None, empty: str = "—") -> str:
        """1234567.5 → "1 234 567.50" (a thin space groups thousands); None → `empty`."""
        return f"{value:,.2f}".replace(",", "\u202f") if value is not None else empty

    @app.template_global()
    def directory_label(directory: str, code: str | None) -> str:
        """The label of a directory code in the user's language ('—' for none)."""
        # Local import: directories are a domain service, installed after the blueprints.
        from app.directories.services import code_label

        return code_label(directory, code, str(get_locale())) if code else "—"

    @app.template_global()
    def history_value(kind: Any, field: str, value: str | None) -> str:
        """A history row's old/new value for display: status labels, directory labels, or the text."""
        if field == "status":
            return str(kind.status_label(value))
        directory = kind.history_directories.get(field)
        return directory_label(directory, value) if directory else (value or "—")

    @app.template_global()
    def schema_options(prop: dict[str, Any], value: Any = None) -> list[dict[str, Any]]:
        """Choices of a form field from a directory (`x-directory`) or a named list (`x-options`)."""
        # Local import: the option sources are domain services, installed after the blueprints.
        from app.records.options import field_options

        return field_options(prop, value)

    @app.template_global()
    def record_url(record_type_name: str, record_id: int) -> str:
        return url_for(record_type(record_type_name).url_endpoint, record_id=record_id)

    @app.template_global()
    def url_with(**changes: Any) -> str:
        args = request.args.to_dict()
        args.update({k: v for k, v in changes.items() if v is not None})
        for k, v in changes.items():
            if v is None:
                args.pop(k, None)
        values: dict[str, Any] = {**(request.view_args or {}), **args}
        return url_for(request.endpoint or "tasks.current", **values)

    @app.template_global()
    def nav_record_kinds() -> list[Any]:
        """The record kinds, in their registration order, for the navbar's Sales menu."""
        # Local import: templating is installed by the factory after the record kinds are registered.
        from app.records.kinds import registered_kinds

        return registered_kinds()

    @app.context_processor
    def _nav() -> dict[str, Any]:
        if not getattr(current_user, "is_authenticated", False):
            return {}
        # Local import: templating is installed by the factory after the blueprints exist.
        from app.access.services import is_admin, is_analyst
        from app.tasks.services import count_tasks

        return {"nav_counts": count_tasks(current_user), "nav_is_admin": is_admin(current_user),
                "nav_is_analyst": is_analyst(current_user)}
