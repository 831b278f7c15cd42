"""Permission-matrix entries of the declarations routes (API and pages)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from epitrace.declarations import passes
from epitrace.declarations import service as declaration_service
from epitrace.declarations.schemas import DeclarationIn
from epitrace.security.roles import Action
from tests.declarations.factories import payload
from tests.matrix_support import RouteCase, Users


def setup(session: Session, users: Users) -> dict[str, str]:
    """A flagged declaration in ward 26743 (inside) and one in ward 00070 (outside)."""
    assert users.citizen_person_id is not None
    now = datetime.now(UTC)
    inside = declaration_service.create(
        session,
        account_id=users.citizen_user_id,
        account_person_id=users.citizen_person_id,
        data=DeclarationIn.model_validate(payload(symptoms=["fever"], phone="0987654321")),
        now=now,
    )
    outside = declaration_service.create(
        session,
        account_id=None,
        account_person_id=users.citizen_person_id,
        data=DeclarationIn.model_validate(
            payload(subject="other", ward_code="00070", exposures=["case"])
        ),
        now=now,
    )
    return {
        "me": str(users.citizen_person_id),
        "decl_in": str(inside.id),
        "decl_out": str(outside.id),
        # a genuine pass signed with the app's key: allowed roles read its colour
        "pass": passes.issue(
            users.keyring,
            pseudonym=users.citizen_pseudonym,
            colour=passes.Colour.YELLOW,
            now=now,
        ),
    }


FORM = {
    "subject": "self",
    "full_name": "Nguyễn Văn An",
    "id_kind": "cccd",
    "id_number": "079090123456",
    "birth_year": "1990",
    "gender": "male",
    "nationality": "Việt Nam",
    "ward_code": "26743",
    "street": "12 Lê Lợi",
    "phone": "0987654321",
    "consent": "yes",
}

CASES = [
    RouteCase(
        "POST",
        "/api/v1/declarations",
        Action.CITIZEN_SELF,
        inside="/api/v1/declarations",
        body=payload(phone="0987654321"),
    ),
    RouteCase("GET", "/api/v1/declarations", Action.CITIZEN_SELF, inside="/api/v1/declarations"),
    RouteCase(
        "GET",
        "/api/v1/declarations/status",
        Action.CITIZEN_SELF,
        inside="/api/v1/declarations/status",
    ),
    RouteCase(
        "GET", "/api/v1/passes/{person_id}", Action.CITIZEN_SELF, inside="/api/v1/passes/{me}"
    ),
    RouteCase(
        "GET",
        "/api/v1/passes/{person_id}/qr.svg",
        Action.CITIZEN_SELF,
        inside="/api/v1/passes/{me}/qr.svg",
    ),
    RouteCase(
        "POST",
        "/api/v1/passes/verify",
        Action.PASSES_VERIFY,
        inside="/api/v1/passes/verify",
        body={"text": "{pass}"},
    ),
    RouteCase(
        "GET",
        "/api/v1/declarations/flagged",
        Action.DECLARATIONS_REVIEW,
        inside="/api/v1/declarations/flagged?area=79",
        outside="/api/v1/declarations/flagged?area=01",
    ),
    RouteCase(
        "GET",
        "/api/v1/declarations/flagged.{fmt}",
        Action.DECLARATIONS_REVIEW,
        inside="/api/v1/declarations/flagged.xlsx?area=26743",
        outside="/api/v1/declarations/flagged.xlsx?area=00070",
    ),
    RouteCase(
        "GET",
        "/api/v1/declarations/counts",
        Action.DECLARATIONS_COUNTS,
        inside="/api/v1/declarations/counts?area=79",
        outside="/api/v1/declarations/counts?area=01",
    ),
    RouteCase(
        "POST",
        "/api/v1/declarations/{declaration_id}/follow-up",
        Action.DECLARATIONS_REVIEW,
        inside="/api/v1/declarations/{decl_in}/follow-up",
        outside="/api/v1/declarations/{decl_out}/follow-up",
        body={"note": "đã gọi"},
    ),
    RouteCase("GET", "/declare", Action.CITIZEN_SELF, inside="/declare"),
    RouteCase("POST", "/declare", Action.CITIZEN_SELF, inside="/declare", form=FORM),
    RouteCase("GET", "/declarations/mine", Action.CITIZEN_SELF, inside="/declarations/mine"),
    RouteCase("GET", "/pass", Action.CITIZEN_SELF, inside="/pass"),
    RouteCase(
        "GET",
        "/declarations/review",
        Action.DECLARATIONS_REVIEW,
        inside="/declarations/review?area=79",
        outside="/declarations/review?area=01",
    ),
    RouteCase(
        "POST",
        "/declarations/{declaration_id}/follow-up",
        Action.DECLARATIONS_REVIEW,
        inside="/declarations/{decl_in}/follow-up",
        outside="/declarations/{decl_out}/follow-up",
        form={"note": "đã gọi"},
    ),
]
