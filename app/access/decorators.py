"""View decorators for role checks (used by the views of several domains)."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask_login import current_user, login_required

from app.access.services import is_admin
from app.errors import PermissionDenied


def admin_required(message: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Log in, then 403 with `message` unless the user is an administrator."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        @login_required
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not is_admin(current_user):
                raise PermissionDenied(message)
            return view(*args, **kwargs)

        return wrapper

    return decorator
