"""Catalog products and services (one table; `type` tells which)."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow

TYPES = ("product", "service")


class Product(Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(255))
    search_name: Mapped[str] = mapped_column(sa.String(255), default="", index=True)  # lower(name), any alphabet
    type: Mapped[str] = mapped_column(sa.String(16), default="product")
    unit: Mapped[str] = mapped_column(sa.String(64), default="pcs")  # a code of the `unit` directory
    price: Mapped[Decimal] = mapped_column(sa.Numeric(15, 2), default=Decimal("0.00"))
    vat_rate: Mapped[str] = mapped_column(sa.String(64), default="20")  # a code of the `vat_rate` directory
    is_active: Mapped[bool] = mapped_column(sa.Boolean, default=True, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(sa.Integer, default=1, nullable=False)

    __mapper_args__ = {"version_id_col": version}
