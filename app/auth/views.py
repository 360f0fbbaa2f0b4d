from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user

from app.access.decorators import admin_required as _admin_required
from app.access.services import is_commercial_director
from app.auth import services
from app.errors import CrmError
from app.extensions import db

bp = Blueprint("auth", __name__, template_folder="templates")


admin_required = _admin_required(_l("Only administrators can manage users."))


def _landing(user: Any) -> str:
    """The first page after login: the sales dashboard for the Commercial Director and admins, else the inbox."""
    if user.is_authenticated and is_commercial_director(user):
        return url_for("dashboard.index")
    return url_for("tasks.current")


def _safe_next(target: str | None, user: Any) -> str:
    if target and not urlparse(target).netloc and target.startswith("/") and not target.startswith("//"):
        return target
    return _landing(user)


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if current_user.is_authenticated and request.method == "GET":
        return redirect(_landing(current_user))
    error = None
    if request.method == "POST":
        user = services.authenticate(request.form.get("login", ""), request.form.get("password", ""))
        if user is not None:
            if current_user.is_authenticated:
                services.end_session(current_user)  # logging in again replaces the old session
            services.start_session(user)
            login_user(user, remember=bool(request.form.get("remember")))
            db.session.commit()
            return redirect(_safe_next(request.args.get("next"), user))
        error = _("Wrong login or password.")
    return render_template("auth/login.html", error=error, login=request.form.get("login", "")), (401 if error else 200)


@bp.post("/logout")
def logout() -> Any:
    if current_user.is_authenticated:
        services.end_session(current_user)
        db.session.commit()
    logout_user()
    return redirect(url_for("auth.login"))


def _stay_logged_in() -> None:
    """After the user's own password change ended every session: a new one for this browser,
    remembered again if it was."""
    remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
    user = current_user._get_current_object()  # the User, not the proxy (login_user stores it in g)
    services.start_session(user)
    login_user(user, remember=remembered)


def _profile_page(errors: dict[str, str] | None = None, status: int = 200, new_token: str | None = None) -> Any:
    return render_template("auth/profile.html", user=current_user, form=request.form, errors=errors or {},
                           tokens=services.list_tokens(current_user), timezones=services.timezone_choices(),
                           new_token=new_token), status


@bp.get("/profile")
@login_required
def profile() -> Any:
    return _profile_page()


@bp.post("/profile/password")
@login_required
def change_password() -> Any:
    f = request.form
    try:
        services.change_own_password(current_user, f.get("current_password", ""), f.get("new_password", ""),
                                     f.get("new_password_repeat", ""))
    except CrmError as e:
        db.session.rollback()
        return _profile_page(e.fields or {"": e.message}, e.status)
    _stay_logged_in()
    db.session.commit()
    flash(_("Password changed. Your other sessions and API tokens no longer work."), "success")
    return redirect(url_for("auth.profile"))


@bp.post("/profile/settings")
@login_required
def save_settings() -> Any:
    try:
        services.update_own_settings(current_user, request.form.get("locale", ""), request.form.get("timezone", ""))
    except CrmError as e:
        db.session.rollback()
        return _profile_page(e.fields or {"": e.message}, e.status)
    db.session.commit()
    flash(_("Settings saved."), "success")
    return redirect(url_for("auth.profile"))


@bp.post("/profile/tokens")
@login_required
def create_token() -> Any:
    try:
        _token, plain = services.issue_token(current_user, request.form.get("name", ""))
    except CrmError as e:
        db.session.rollback()
        return _profile_page(e.fields or {"": e.message}, e.status)
    db.session.commit()
    # Rendered, not redirected: the plain token is shown this once and never stored in a cookie.
    return _profile_page(new_token=plain)


@bp.post("/profile/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int) -> Any:
    services.revoke_token(token_id, current_user)
    db.session.commit()
    flash(_("Token revoked."), "success")
    return redirect(url_for("auth.profile"))


@bp.get("/")
def home() -> Any:
    return redirect(_landing(current_user))


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
            if user_id == current_user.id and current_user.is_active and not current_user.login_session_key:
                _stay_logged_in()  # an administrator who set their own password keeps this session
            db.session.commit()
            flash(_("User %(login)s saved.", login=user.login), "success")
            return redirect(url_for("auth.users"))
        except CrmError as e:
            db.session.rollback()
            errors, status = e.fields or {"": e.message}, e.status
            user = services.get_user(user_id)
    return render_template("auth/user_form.html", user=user, form=request.form, errors=errors,
                           users=services.list_users(False), groups=services.list_groups()), status
