"""Permission-matrix entries of the feedback routes (API and pages)."""

from __future__ import annotations

import io

from PIL import Image
from sqlalchemy.orm import Session

from epitrace.accounts import service as account_service
from epitrace.feedback import service as feedback_service
from epitrace.security.roles import Action
from tests.matrix_support import RouteCase, Users


def setup(session: Session, users: Users) -> dict[str, str]:
    """A report with a photo about ward 26743 (inside) and one about 00070 (outside)."""
    assert users.settings is not None
    sender = account_service.create_person(session, full_name="Hoàng Văn Em")
    picture = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(picture, format="PNG")
    photo = feedback_service.check_photo(picture.getvalue())
    made = {}
    for name, ward in (("inside", "26743"), ("outside", "00070")):
        made[name] = feedback_service.create(
            session,
            person_id=sender.id,
            category="gathering",
            ward_code=ward,
            text="Tụ tập đông người ở chợ",
            photo=photo,
            uploads_dir=users.settings.uploads_dir,
        )
    return {"fb_in": str(made["inside"].id), "fb_out": str(made["outside"].id)}


CASES = [
    RouteCase(
        "POST",
        "/api/v1/feedback",
        Action.CITIZEN_SELF,
        inside="/api/v1/feedback",
        form={"text": "Có người tụ tập", "category": "gathering", "ward_code": "26743"},
        ok=(201,),
    ),
    RouteCase("GET", "/api/v1/feedback/mine", Action.CITIZEN_SELF, inside="/api/v1/feedback/mine"),
    RouteCase(
        "GET",
        "/api/v1/feedback",
        Action.FEEDBACK_HANDLE,
        inside="/api/v1/feedback?area=79",
        outside="/api/v1/feedback?area=01",
    ),
    RouteCase(
        "POST",
        "/api/v1/feedback/{feedback_id}/answer",
        Action.FEEDBACK_HANDLE,
        inside="/api/v1/feedback/{fb_in}/answer",
        outside="/api/v1/feedback/{fb_out}/answer",
        body={"answer": "Phường đã cử người kiểm tra.", "close": True},
    ),
    RouteCase(
        "GET",
        "/api/v1/feedback/{feedback_id}/photo",
        Action.FEEDBACK_HANDLE,
        inside="/api/v1/feedback/{fb_in}/photo",
        outside="/api/v1/feedback/{fb_out}/photo",
    ),
    RouteCase("GET", "/feedback", Action.CITIZEN_SELF, inside="/feedback"),
    RouteCase(
        "POST",
        "/feedback",
        Action.CITIZEN_SELF,
        inside="/feedback",
        form={"text": "Có người tụ tập", "category": "gathering", "ward_code": "26743"},
    ),
    RouteCase(
        "GET",
        "/feedback/inbox",
        Action.FEEDBACK_HANDLE,
        inside="/feedback/inbox?area=79",
        outside="/feedback/inbox?area=01",
    ),
    RouteCase(
        "POST",
        "/feedback/{feedback_id}/answer",
        Action.FEEDBACK_HANDLE,
        inside="/feedback/{fb_in}/answer",
        outside="/feedback/{fb_out}/answer",
        form={"answer": "Đã xử lý.", "close": "yes"},
    ),
]
