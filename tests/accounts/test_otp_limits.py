"""Sign-in code budgets: per (number, address), per address and per number, narrowest first.

A stranger who asks for codes for someone else's number must not lock its owner out, and a
new code must not void the one the owner is typing.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from epitrace.accounts import service as account_service
from epitrace.accounts.sms import FileSmsChannel
from epitrace.errors import TooManyRequests, Unauthorized
from tests import factories

OWNER = "0987000444"
OWNER_CANONICAL = "+84987000444"


@pytest.fixture
def stranger(app: FastAPI) -> Iterator[TestClient]:
    """A second caller, on another network address than `client` (the owner)."""
    with TestClient(app, base_url="http://testserver", client=("198.51.100.7", 40000)) as c:
        yield c


def test_a_stranger_cannot_lock_the_owner_out(
    client: TestClient, stranger: TestClient, sms: FileSmsChannel
) -> None:
    statuses = [
        stranger.post("/api/v1/auth/otp", json={"phone": OWNER}).status_code for _ in range(12)
    ]
    assert statuses == [202] * 3 + [429] * 9
    refused = stranger.post("/api/v1/auth/otp", json={"phone": OWNER})
    assert int(refused.headers["Retry-After"]) > 0
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["detail"].startswith("Bạn đã thử quá nhiều lần")

    # The owner, on their own address, still gets a code and signs in with it.
    mine = client.post("/api/v1/auth/otp", json={"phone": OWNER})
    assert mine.status_code == 202, mine.text
    code = factories.last_code(sms, OWNER_CANONICAL)
    token = client.post("/api/v1/auth/token", json={"phone": OWNER, "code": code})
    assert token.status_code == 200, token.text


def test_a_new_code_does_not_void_the_one_being_typed(
    client: TestClient, stranger: TestClient, sms: FileSmsChannel
) -> None:
    assert client.post("/api/v1/auth/otp", json={"phone": OWNER}).status_code == 202
    typing = factories.last_code(sms, OWNER_CANONICAL)
    assert stranger.post("/api/v1/auth/otp", json={"phone": OWNER}).status_code == 202
    assert client.post("/api/v1/auth/otp", json={"phone": OWNER}).status_code == 202
    signed_in = client.post("/api/v1/auth/token", json={"phone": OWNER, "code": typing})
    assert signed_in.status_code == 200, signed_in.text
    # Signing in consumes every outstanding code of the number.
    newest = factories.last_code(sms, OWNER_CANONICAL)
    again = client.post("/api/v1/auth/token", json={"phone": OWNER, "code": newest})
    assert again.status_code == 401


def test_only_the_latest_few_codes_are_valid(client: TestClient, sms: FileSmsChannel) -> None:
    codes = []
    for address in ("192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"):
        with TestClient(client.app, client=(address, 1)) as other:
            assert other.post("/api/v1/auth/otp", json={"phone": OWNER}).status_code == 202
        codes.append(factories.last_code(sms, OWNER_CANONICAL))
    if codes[0] not in codes[1:]:
        oldest = client.post("/api/v1/auth/token", json={"phone": OWNER, "code": codes[0]})
        assert oldest.status_code == 401
    ok = client.post("/api/v1/auth/token", json={"phone": OWNER, "code": codes[1]})
    assert ok.status_code == 200, ok.text


def test_one_address_asking_for_many_numbers_is_limited_without_spending_theirs(
    client: TestClient, stranger: TestClient, settings_overrides: None
) -> None:
    numbers = [f"09870005{i:02d}" for i in range(6)]
    statuses = [stranger.post("/api/v1/auth/otp", json={"phone": n}).status_code for n in numbers]
    assert statuses == [202] * 4 + [429] * 2
    # The refused requests did not spend those numbers' budgets: their owners still get codes.
    for number in numbers[4:]:
        assert client.post("/api/v1/auth/otp", json={"phone": number}).status_code == 202


@pytest.fixture
def settings_overrides(app: FastAPI) -> None:
    """A small per-address budget (4) so the test need not send 60 requests."""
    app.state.settings.limit_otp_per_address = 4


def test_sign_in_page_keeps_the_number_when_refused(
    app: FastAPI, client: TestClient, stranger: TestClient
) -> None:
    for _ in range(3):
        assert stranger.post("/api/v1/auth/otp", json={"phone": OWNER}).status_code == 202
    page = stranger.get("/signin")
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    refused = stranger.post("/signin", data={"phone": OWNER, "csrf_token": csrf})
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert "Bạn đã thử quá nhiều lần" in refused.text
    assert f'value="{OWNER}"' in refused.text


_unique = itertools.count()


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    per_number_address=st.integers(1, 4),
    extra=st.integers(0, 6),
    steps=st.lists(
        st.tuples(st.sampled_from(["stranger", "owner"]), st.integers(0, 9), st.integers(0, 2)),
        max_size=40,
    ),
)
def test_property_strangers_never_lock_out_the_owners_address(
    session: Session,
    tmp_path: Path,
    per_number_address: int,
    extra: int,
    steps: list[tuple[str, int, int]],
) -> None:
    """Whatever strangers ask for, from as many addresses as the number's budget leaves room
    for beside the owner's share, the owner's own requests (within their share) succeed and
    the latest code they received signs them in unless `live_codes` newer ones were sent."""
    session.rollback()
    run = next(_unique)
    per_number = per_number_address * (2 + extra % 3)
    limits = account_service.OtpLimits(
        per_number_address=per_number_address,
        per_address=per_number_address * 3,
        per_number=per_number,
        window_seconds=3600,
        live_codes=3,
    )
    stranger_addresses = per_number // per_number_address - 1
    owner = f"0981{run:06d}"
    numbers = [owner, f"0982{run:06d}", f"0983{run:06d}"]
    sms = FileSmsChannel(tmp_path / f"sms-{run}.log")
    owner_requests = 0
    owner_code: str | None = None
    sent_after_owner = 0
    for who, address_index, number_index in steps:
        if who == "owner":
            if owner_requests == per_number_address:
                continue
            canonical = account_service.request_otp(
                session,
                phone=owner,
                address=f"10.{run % 250}.0.250",
                sms=sms,
                ttl_seconds=300,
                limits=limits,
            )
            session.commit()
            owner_requests += 1
            owner_code = factories.last_code(sms, canonical)
            sent_after_owner = 0
            continue
        if stranger_addresses == 0:
            continue
        try:
            account_service.request_otp(
                session,
                phone=numbers[number_index],
                address=f"10.{run % 250}.1.{address_index % stranger_addresses}",
                sms=sms,
                ttl_seconds=300,
                limits=limits,
            )
        except TooManyRequests:
            session.rollback()
            continue
        session.commit()
        if number_index == 0 and owner_code is not None:
            sent_after_owner += 1
    if owner_code is None:
        return
    if sent_after_owner >= limits.live_codes:
        with pytest.raises(Unauthorized):
            account_service.verify_otp(session, phone=owner, code=owner_code, live_codes=3)
        session.rollback()
        return
    account = account_service.verify_otp(session, phone=owner, code=owner_code, live_codes=3)
    assert account.phone is not None
    session.commit()
