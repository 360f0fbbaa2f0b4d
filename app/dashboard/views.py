from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from app.dashboard import services
from app.db import utcnow

bp = Blueprint("dashboard", __name__, template_folder="templates")


@bp.get("/dashboard")
@login_required
def index() -> Any:
    now = utcnow()
    period = services.parse_period(current_user, now, request.args.get("date_from"), request.args.get("date_to"))
    board = services.build_dashboard(current_user, now, period)
    return render_template("dashboard/index.html", board=board, chart_data=board.chart_data())
