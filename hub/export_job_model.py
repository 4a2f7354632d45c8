"""The ``export_job`` table (migration 0016), kept apart from ``hub.models`` only for its length;
``hub.models`` imports it, so it is named from there like every other table."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from hub.extensions import db


class ExportJob(db.Model):
    """An export built in the background, its progress, and its file until it expires (kept
    here so any web instance can hand it out): ``hub.figures.export_jobs``."""

    __tablename__ = "export_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    file_format: Mapped[str] = mapped_column(String(10))
    filters: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), index=True)  # export_jobs.WAITING ...
    # The referrals counted when it was asked for: the file holds those and no others.
    rows_total: Mapped[int] = mapped_column(default=0)
    first_id: Mapped[int] = mapped_column(default=0)
    last_id: Mapped[int] = mapped_column(default=0)
    rows_done: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]
    heartbeat_at: Mapped[datetime | None]  # a build whose heartbeat stops is taken up again
    finished_at: Mapped[datetime | None]
    file_name: Mapped[str] = mapped_column(String(200), default="")
    content: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    error: Mapped[str | None] = mapped_column(String(500))
