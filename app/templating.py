"""Template filters and globals shared by every page."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Flask, request, url_for
from flask_babel import format_date, format_datetime
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

    @app.context_processor
    def _nav() -> dict[str, Any]:
        if not getattr(current_user, "is_authenticated", False):
            return {}
        # Local import: templating is installed by the factory after the blueprints exist.
        from app.access.services import is_admin, is_analyst
        from app.tasks.services import count_tasks

        return {"nav_counts": count_tasks(current_user), "nav_is_admin": is_admin(current_user),
                "nav_is_analyst": is_analyst(current_user)}
