"""Demo feedback: a few reports from demo people to the demo wards' officials."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epitrace.accounts import service as account_service
from epitrace.config import get_settings
from epitrace.feedback import service as feedback_service
from epitrace.feedback.models import Feedback

REPORTS = [
    ("gathering", 0, "Tối nào cũng có nhóm thanh niên tụ tập uống bia ở đầu hẻm 42."),
    ("support", 1, "Gia đình tôi đang cách ly tại nhà, cần hỗ trợ mua thuốc hạ sốt."),
    ("venue", 2, "Quán cà phê trên đường Trần Quang Khải không quét mã QR khi khách vào."),
]


def seed(session: Session, context: Any) -> None:
    """Create the demo reports once (only when no report exists yet)."""
    if session.scalar(select(func.count()).select_from(Feedback)):
        return
    sender = account_service.create_person(session, full_name="Người dân (demo)")
    for category, ward_index, text in REPORTS:
        feedback_service.create(
            session,
            person_id=sender.id,
            category=category,
            ward_code=context.wards[ward_index % len(context.wards)],
            text=text,
            photo=None,
            uploads_dir=get_settings().uploads_dir,
        )
