"""Schemathesis fuzzes every operation of the OpenAPI document, in process, three times.

Once without credentials, once with the bearer token of a nationwide system administrator who
also holds every other staff role in Hà Nội, once with a citizen's token. Each operation gets a
bounded number of generated requests, valid and invalid by its schema; in half of them the path
names a record that exists (a person, venue, presence, case, the caller, a ward), so handlers
run past their lookups. The test fails on any 5xx, on a status, content type or body the
operation's document does not describe (see epitrace.web.openapi), and names every failing
request with a curl line to replay it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from epitrace.accounts import service as account_service
from epitrace.db import Database, utcnow
from epitrace.rollout import adhoc as adhoc_service
from epitrace.rollout import reports as report_service
from epitrace.security.roles import STAFF_ROLES, Role
from tests import factories
from tests.tracing import factories as tf

# Generated requests per operation, per generation mode and per caller: about 3 × 2 × 96 × 6
# ≈ 3,500 requests, a minute or two on a 2-core machine. EPITRACE_FUZZ_EXAMPLES raises it for a
# longer local run.
EXAMPLES = int(os.environ.get("EPITRACE_FUZZ_EXAMPLES", "6"))

# Signing out revokes the token the rest of the run uses, and an erasure request deletes the
# citizen's account with it; their own tests cover them.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
SKIPPED = {"POST /api/v1/auth/logout", "POST /api/v1/me/data/erasure"}


@pytest.fixture
def backend() -> str:
    return "sqlite"


def _staff_headers(db: Database, client: TestClient) -> dict[str, str]:
    # A nationwide system administrator who also holds every other staff role in Hà Nội.
    grants: list[tuple[Role, str | None]] = [(Role.SYSTEM_ADMIN, None)]
    grants += [(role, "01") for role in STAFF_ROLES if role is not Role.SYSTEM_ADMIN]
    with db.session_scope() as s:
        account_service.create_staff(
            s,
            username="fuzz-staff",
            password=factories.STAFF_PASSWORD,
            grants=grants,
            granter=None,
        )
    return factories.token_headers(client, username="fuzz-staff")


def _seed(db: Database) -> dict[str, str]:
    """Records in a Hà Nội ward, by the name of the path parameter that names them."""
    with db.session_scope() as s:
        person = tf.person(s, ward="00070")
        venue = tf.venue(s, ward="00070")
        presence = tf.presence(s, venue=venue, who=person, start=0, end=30)
        case = tf.case(s, who=person, sampled=60)
        request = adhoc_service.create(
            s,
            title="Báo cáo nhanh",
            questions=["Có bao nhiêu tổ?", "Khó khăn?"],
            area=report_service.get_unit(s, code="01"),
            deadline=utcnow() + timedelta(days=2),
            unit_codes=["00070"],
            created_by=None,
        )
        return {
            "request_id": str(request.id),
            "person_id": str(person.id),
            "venue_id": str(venue.id),
            "presence_id": str(presence.id),
            "case_id": str(case.id),
            "area_code": "00070",
            "code": "01",
        }


def _fuzz_operation(
    operation: Any,
    mode: GenerationMode,
    headers: dict[str, str],
    known: dict[str, str],
    failures: list[str],
) -> None:
    found: list[str] = []

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode), existing=st.booleans())
    def run(case: Case, existing: bool) -> None:
        if found:
            return  # one failing request per operation is enough to report
        if existing and case.path_parameters:
            for name in case.path_parameters.keys() & known.keys():
                case.path_parameters[name] = known[name]
        try:
            case.call_and_validate(headers=headers, checks=CHECKS)
        except Exception as exc:  # every failure is collected and reported together
            found.append(f"{case.operation.label} ({mode.value}): {exc}")

    try:
        run()
    except Unsatisfiable:
        # nothing invalid to send: an operation without parameters or body
        assert mode is GenerationMode.NEGATIVE, operation.label
    failures.extend(found)


@pytest.mark.parametrize("caller", ["anonymous", "staff", "citizen"])
def test_no_operation_answers_a_server_error_or_an_undocumented_status(
    caller: str,
    app: FastAPI,
    client: TestClient,
    db: Database,
    places: Any,
    citizen: Callable[..., dict[str, str]],
) -> None:
    headers = {
        "anonymous": dict,
        "staff": lambda: _staff_headers(db, client),
        "citizen": citizen,
    }[caller]()
    known = _seed(db)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.label in SKIPPED:
            continue
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz_operation(operation, mode, headers, known, failures)
    assert operations >= 90
    assert not failures, "\n\n".join(failures)
