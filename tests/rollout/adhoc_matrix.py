"""Permission-matrix entries of ad-hoc requests (báo cáo đột xuất).

A request of 79 asked of 79 itself (so that every account granted on 79 answers for its unit)
and of ward 26743, and one of 01 asked of 01 and 00070; each run finds them unanswered.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from epitrace import localtime
from epitrace.db import utcnow
from epitrace.rollout.models import AdhocAnswer, AdhocRecipient, AdhocRequest
from epitrace.rollout.reports import AREA_WRITERS
from epitrace.security.roles import Action
from tests.matrix_support import RouteCase, Users

DAY = (localtime.today() + timedelta(days=30)).isoformat()


def setup(session: Session, users: Users) -> dict[str, str]:
    names = {}
    for key, area, ward in (("in", "79", "26743"), ("out", "01", "00070")):
        request = session.scalar(
            select(AdhocRequest).where(
                AdhocRequest.area_code == area, AdhocRequest.title == "Hỏi nhanh"
            )
        )
        if request is None:
            request = AdhocRequest(
                title="Hỏi nhanh",
                questions=["Có bao nhiêu tổ?"],
                area_code=area,
                deadline=utcnow() + timedelta(days=30),
            )
            session.add(request)
            session.flush()
            session.add_all(
                AdhocRecipient(request_id=request.id, unit_code=code) for code in (area, ward)
            )
        session.execute(delete(AdhocAnswer).where(AdhocAnswer.request_id == request.id))
        session.flush()
        names[f"req_{key}"] = str(request.id)
    return names


API = "/api/v1/adhoc-requests"
PAGE = "/rollout/adhoc"
BODY = {
    "title": "Báo cáo nhanh",
    "questions": ["Có bao nhiêu tổ?"],
    "area_code": "79",
    "deadline": DAY + "T17:00:00",
    "unit_codes": ["26743"],
}
FORM = {
    "title": "Báo cáo nhanh",
    "area_code": "79",
    "questions": "Có bao nhiêu tổ?",
    "deadline_date": DAY,
    "deadline_time": "17:00",
    "units": "26743",
}


def _one(method: str, prefix: str, suffix: str, action: Action, **kw: object) -> RouteCase:
    return RouteCase(
        method,
        prefix + "/{request_id}" + suffix,
        action,
        inside=prefix + "/{req_in}" + suffix,
        outside=prefix + "/{req_out}" + suffix,
        setup=setup,
        **kw,  # type: ignore[arg-type]
    )


def _answer(method: str, prefix: str, **kw: object) -> RouteCase:
    middle = "/answers" if prefix == API else ""
    return RouteCase(
        method,
        prefix + "/{request_id}" + middle + "/{unit_code}",
        Action.REPORTS_WRITE,
        # a unit's own officials answer (not the organisation admins nor sector directors)
        roles=frozenset(AREA_WRITERS),
        inside=prefix + "/{req_in}" + middle + "/79",
        outside=prefix + "/{req_out}" + middle + "/01",
        setup=setup,
        **kw,  # type: ignore[arg-type]
    )


CASES = [
    RouteCase("GET", API, Action.REPORTS_READ, inside=API, setup=setup),
    RouteCase(
        "POST",
        API,
        Action.REPORTS_FORMS,
        inside=API,
        outside=API,
        body=BODY,
        outside_body={**BODY, "area_code": "01", "unit_codes": ["00070"]},
        new_subject=True,
        setup=setup,
    ),
    _one("GET", API, "", Action.REPORTS_FORMS),
    _one("POST", API, "/remind", Action.REPORTS_FORMS),
    _answer("GET", API),
    _answer("PUT", API, body={"answers": ["12 tổ"]}),
    RouteCase("GET", PAGE, Action.REPORTS_READ, inside=PAGE, setup=setup),
    RouteCase(
        "POST",
        PAGE,
        Action.REPORTS_FORMS,
        inside=PAGE,
        outside=PAGE,
        form=FORM,
        outside_form={**FORM, "area_code": "01", "units": "00070"},
        new_subject=True,
        setup=setup,
    ),
    _one("GET", PAGE, "", Action.REPORTS_FORMS),
    RouteCase(
        "GET",
        PAGE + "/{request_id}/answers.{fmt}",
        Action.REPORTS_FORMS,
        inside=PAGE + "/{req_in}/answers.xlsx",
        outside=PAGE + "/{req_out}/answers.xlsx",
        setup=setup,
    ),
    _one("POST", PAGE, "/remind", Action.REPORTS_FORMS, form={}),
    _answer("GET", PAGE),
    _answer("POST", PAGE, form={"answers": "12 tổ"}),
]
