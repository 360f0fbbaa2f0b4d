from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from app.deals import services

bp = Blueprint("deals", __name__, template_folder="templates")


@bp.get("/deals")
@login_required
def index() -> Any:
    page = services.list_deals(current_user, page=request.args.get("page", 1, type=int))
    return render_template("deals/index.html", page=page)


@bp.get("/deals/<int:record_id>")
@login_required
def detail(record_id: int) -> Any:
    return render_template("deals/detail.html", deal=services.get_deal(record_id, current_user))
