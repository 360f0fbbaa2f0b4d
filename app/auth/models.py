"""Users, groups and API tokens."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from app.db import Base, utcnow

user_groups = sa.Table(
    "user_groups",
    Base.metadata,
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("group_id", sa.ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True),
)


class Group(Base):
    __tablename__ = "groups"
    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    members: Mapped[list["User"]] = relationship(secondary=user_groups, back_populates="groups",
                                                 order_by="User.full_name")


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(sa.String(64), unique=True)
    full_name: Mapped[str] = mapped_column(sa.String(200))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    password_hash: Mapped[str] = mapped_column(sa.String(255), default="")
    is_active_user: Mapped[bool] = mapped_column("is_active", sa.Boolean, default=True)
    locale: Mapped[str] = mapped_column(sa.String(10), default="en")
    timezone: Mapped[str] = mapped_column(sa.String(64), default="Europe/Moscow")
    line_manager_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(sa.Integer, default=1, nullable=False)
    # Bumped by a password change or a deactivation: every session, remember-me cookie and token
    # issued before stops working (the Flask-Login id carries it, see `get_id`).
    session_generation: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0", nullable=False)

    __mapper_args__ = {"version_id_col": version}

    groups: Mapped[list[Group]] = relationship(secondary=user_groups, back_populates="members", order_by=Group.id)
    line_manager: Mapped["User | None"] = relationship(remote_side=[id], foreign_keys=[line_manager_id])

    # The login session this instance was loaded with or started in this request (not a column):
    # set by app.auth.services.start_session / load_session_user, part of `get_id`.
    login_session_key = ""

    # Flask-Login protocol
    @property
    def is_active(self) -> bool:
        return self.is_active_user

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        """Flask-Login's id, kept in the session cookie and the remember-me cookie:
        "<user id>:<session generation>:<login session key>".

        The key names one `UserSession` row, which logout deletes; the generation changes with the
        password. So a copy of either cookie stops working after logout or a password change. The
        key is set on the instance by `app.auth.services.start_session` or by the user loader.
        """
        return f"{self.id}:{self.session_generation}:{self.login_session_key}"

    def set_password(self, password: str, method: str = "scrypt") -> None:
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    @property
    def group_ids(self) -> list[str]:
        return [g.id for g in self.groups]

    def in_group(self, group_id: str) -> bool:
        return group_id in self.group_ids

    @property
    def display_name(self) -> str:
        return self.full_name or self.login


class UserSession(Base):
    """One browser login: a row per successful login, deleted by logout.

    Only the sha256 of the random key is stored; the key itself travels inside the signed session
    (and remember-me) cookie as part of the Flask-Login id.
    """

    __tablename__ = "user_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiToken(Base):
    """A bearer token; only its sha256 is stored."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # A label the owner gives the token ("CI", "laptop script") to tell them apart in the list.
    name: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    # Written at most once a minute (app.auth.services.LAST_USED_RESOLUTION), not on every request.
    last_used_at: Mapped[datetime | None] = mapped_column()
    is_revoked: Mapped[bool] = mapped_column(sa.Boolean, default=False)

    user: Mapped[User] = relationship()

    def is_valid_at(self, moment: datetime) -> bool:
        return not self.is_revoked and self.expires_at > moment
