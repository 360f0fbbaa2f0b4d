from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user

from app.access.decorators import admin_required as _admin_required
from app.auth import services
from app.errors import CrmError
from app.extensions import db

bp = Blueprint("auth", __name__, template_folder="templates")


admin_required = _admin_required(_l("Only administrators can manage users."))


def _safe_next(target: str | None) -> str:
    if target and not urlparse(target).netloc and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("tasks.current")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if current_user.is_authenticated and request.method == "GET":
        return redirect(url_for("tasks.current"))
    error = None
    if request.method == "POST":
        user = services.authenticate(request.form.get("login", ""), request.form.get("password", ""))
        if user is not None:
            login_user(user, remember=bool(request.form.get("remember")))
            return redirect(_safe_next(request.args.get("next")))
        error = _("Wrong login or password.")
    return render_template("auth/login.html", error=error, login=request.form.get("login", "")), (401 if error else 200)


@bp.post("/logout")
def logout() -> Any:
    logout_user()
    return redirect(url_for("auth.login"))


@bp.get("/")
def home() -> Any:
    return redirect(url_for("tasks.current"))


@bp.get("/admin/users")
@admin_required
def users() -> Any:
    return render_template("auth/users.html", users=services.list_users(), groups=services.list_groups())


def _user_data() -> services.UserData:
    f = request.form
    return services.UserData(login=f.get("login", ""), full_name=f.get("full_name", ""), email=f.get("email") or None,
                             password=f.get("password") or None, locale=f.get("locale", "en"),
                             line_manager_login=f.get("line_manager") or None, group_ids=f.getlist("groups"),
                             is_active=f.get("is_active") == "on")


@bp.route("/admin/users/new", methods=["GET", "POST"])
@admin_required
def new_user() -> Any:
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            user = services.create_user(_user_data())
            db.session.commit()
            flash(_("User %(login)s created.", login=user.login), "success")
            return redirect(url_for("auth.users"))
        except CrmError as e:
            db.session.rollback()
            errors = e.fields or {"": e.message}
    return render_template("auth/user_form.html", user=None, form=request.form, errors=errors,
                           users=services.list_users(False), groups=services.list_groups()), (422 if errors else 200)


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@admin_required
def edit_user(user_id: int) -> Any:
    user = services.get_user(user_id)
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        try:
            services.update_user(user_id, _user_data(), expected_version=request.form.get("version", type=int))
            db.session.commit()
            flash(_("User %(login)s saved.", login=user.login), "success")
            return redirect(url_for("auth.users"))
        except CrmError as e:
            db.session.rollback()
            errors, status = e.fields or {"": e.message}, e.status
            user = services.get_user(user_id)
    return render_template("auth/user_form.html", user=user, form=request.form, errors=errors,
                           users=services.list_users(False), groups=services.list_groups()), status
