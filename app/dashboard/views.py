from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from app.dashboard import services

bp = Blueprint("dashboard", __name__, template_folder="templates")


@bp.get("/dashboard")
@login_required
def index() -> Any:
    board = services.build_dashboard(current_user)
    return render_template("dashboard/index.html", board=board, chart_data=board.chart_data())
