"""Permission-matrix entries of the exposure routes (the key server's own routes are public).

A code is issued for a case of the registry (its stored ward) or, for a case not registered,
for the area named in the request.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from epitrace import localtime
from epitrace.accounts.models import Person
from epitrace.cases.models import Case, TestType
from epitrace.db import utcnow
from epitrace.security.roles import Action
from tests.matrix_support import RouteCase, Users

TODAY = localtime.today().isoformat()


def cases(session: Session, users: Users) -> dict[str, str]:
    now = utcnow()
    names = {}
    for key, ward in (("in", "26743"), ("out", "00070")):
        person = Person(full_name=f"Người {key}", ward_code=ward)
        session.add(person)
        session.flush()
        case = Case(
            person_id=person.id,
            ward_code=ward,
            test_type=TestType.PCR,
            sampled_at=now - timedelta(days=1),
            confirmed_at=now,
        )
        session.add(case)
        session.flush()
        names[f"case_{key}"] = str(case.id)
    return names


CASES = [
    RouteCase(
        "POST",
        "/api/v1/exposure/verification-codes",
        Action.EXPOSURE_CODES,
        inside="/api/v1/exposure/verification-codes",
        outside="/api/v1/exposure/verification-codes",
        body={"area_code": "26743", "test_date": TODAY},
        outside_body={"area_code": "00070", "test_date": TODAY},
        ok=(201,),
        new_subject=True,
    ),
    RouteCase(
        "POST",
        "/api/v1/exposure/verification-codes",
        Action.EXPOSURE_CODES,
        inside="/api/v1/exposure/verification-codes",
        outside="/api/v1/exposure/verification-codes",
        body={"case_id": "{case_in}"},
        outside_body={"case_id": "{case_out}", "area_code": "26743"},
        ok=(201,),
        setup=cases,
    ),
    RouteCase(
        "GET",
        "/api/v1/exposure/counts",
        Action.EXPOSURE_COUNTS,
        inside="/api/v1/exposure/counts?area=79",
        outside="/api/v1/exposure/counts?area=01",
    ),
    RouteCase("GET", "/exposure/codes", Action.EXPOSURE_CODES, inside="/exposure/codes"),
    RouteCase(
        "POST",
        "/exposure/codes",
        Action.EXPOSURE_CODES,
        inside="/exposure/codes",
        outside="/exposure/codes",
        form={"area_code": "26743", "test_date": TODAY, "report_type": "confirmed_test"},
        outside_form={"area_code": "00070", "test_date": TODAY, "report_type": "confirmed_test"},
        ok=(201,),
        new_subject=True,
    ),
    RouteCase(
        "POST",
        "/exposure/codes",
        Action.EXPOSURE_CODES,
        inside="/exposure/codes",
        outside="/exposure/codes",
        form={"case_id": "{case_in}", "report_type": "confirmed_test"},
        outside_form={"case_id": "{case_out}", "area_code": "26743"},
        ok=(201,),
        setup=cases,
    ),
    RouteCase(
        "GET",
        "/exposure/counts",
        Action.EXPOSURE_COUNTS,
        inside="/exposure/counts?area=79",
        outside="/exposure/counts?area=01",
    ),
    RouteCase("GET", "/me/exposure", Action.CITIZEN_SELF, inside="/me/exposure"),
]
