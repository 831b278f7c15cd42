"""The administrative unit table, with a materialised path for one-query hierarchy lookups."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from epitrace.db import Base, utcnow


class AdminUnit(Base):
    """A province, district, ward or any other unit; `path` is the codes from the root down.

    `path` looks like `79.26743.` so that descendants of X are `path LIKE X.path || '%'` and
    ancestors of X are the units whose path is a prefix of X.path — one indexed query each.
    """

    __tablename__ = "admin_unit"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    unit_type: Mapped[str] = mapped_column(String(40))
    level: Mapped[int] = mapped_column(Integer)
    parent_code: Mapped[str | None] = mapped_column(
        ForeignKey("admin_unit.code", ondelete="RESTRICT"), index=True
    )
    path: Mapped[str] = mapped_column(String(200))
    population: Mapped[int | None] = mapped_column(Integer)
    geometry: Mapped[str | None] = mapped_column(Text, default=None)  # GeoJSON geometry
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        Index("ix_admin_unit_path", "path", postgresql_ops={"path": "text_pattern_ops"}),
    )
