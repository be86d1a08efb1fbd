"""One row per (job, item) that failed: what went wrong, how often, until the item succeeds."""
from sqlalchemy import Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.database import UTCDateTime, utcnow
from marketplace.extensions import db


class JobFailure(db.Model):
    __tablename__ = "job_failures"
    __table_args__ = (UniqueConstraint("job", "item", name="uq_job_failures_job_item"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(60))
    item: Mapped[str] = mapped_column(String(120))  # e.g. "order:12", "mail:40"
    error: Mapped[str] = mapped_column(Text)  # the exception's type and message (no traceback: that is logged)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    first_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    last_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[object | None] = mapped_column(UTCDateTime, index=True)
