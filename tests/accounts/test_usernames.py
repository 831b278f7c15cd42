"""One spelling of a username for storage, lookup and the sign-in limit (issue: padded names).

Usernames used to be trimmed for lookup but not for counting, so `" ward2"`, `"ward2 "` and
`"\\tward2"` each got fresh attempts and a padded spelling signed in while `ward2` was locked.
"""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from epitrace.accounts import service as account_service
from epitrace.accounts import usernames
from epitrace.config import Settings
from epitrace.errors import InvalidInput
from epitrace.security.roles import Role
from tests import factories

PADDINGS = [" ", "\t", "\n", "\u00a0", "\u2003", "\u3000", "\u200b", "\ufeff", "\r\n"]
padding = st.lists(st.sampled_from(PADDINGS), max_size=4).map("".join)


def _from(app: FastAPI, address: str) -> TestClient:
    """A client calling from its own address, so only the username's counter is shared."""
    return TestClient(app, base_url="http://testserver", client=(address, 40000))


@pytest.mark.parametrize("via", ["api", "page"])
def test_padded_spellings_share_the_locked_username_counter(
    app: FastAPI, settings: Settings, db: Any, places: Any, via: str
) -> None:
    with db.session_scope() as s:
        factories.staff(s, username="ward2", role="ward_official", area="26743")
    settings.login_rate_limit = 3

    def attempt(index: int, username: str, password: str) -> int:
        client = _from(app, f"10.0.0.{index}")
        if via == "api":
            body = {"username": username, "password": password}
            return client.post("/api/v1/auth/token", json=body).status_code
        page = client.get("/login")
        marker = 'name="csrf-token" content="'
        start = page.text.index(marker) + len(marker)
        csrf = page.text[start : page.text.index('"', start)]
        form = {"username": username, "password": password, "csrf_token": csrf}
        return client.post("/login", data=form, follow_redirects=False).status_code

    wrong = [
        attempt(i, name, "wrong-password!") for i, name in enumerate(["ward2", " ward2", "ward2 "])
    ]
    assert wrong == [401, 401, 401]
    # ward2 is locked now: no spelling of it signs in, even with the right password
    for i, name in enumerate(["\tward2", "WARD2", "\u00a0Ward2\u3000", "ward2"], start=10):
        assert attempt(i, name, factories.STAFF_PASSWORD) == 429


def test_usernames_are_stored_normalised_and_refused_with_inner_spaces(session: Session) -> None:
    account = account_service.create_staff(
        session, username="\u3000Nguyễn.Lan\t", password="long-enough-1", granter=None
    )
    assert account.username == unicodedata.normalize("NFC", "nguyễn.lan")
    for bad in ["ward 2", "ward\u200b2", "ward\x002", "\t \u00a0", "x" * 81]:
        with pytest.raises(InvalidInput):
            account_service.create_staff(
                session, username=bad, password="long-enough-1", granter=None
            )


def test_a_decomposed_spelling_finds_the_composed_account(session: Session) -> None:
    account_service.create_staff(session, username="trường", password="long-enough-1", granter=None)
    decomposed = unicodedata.normalize("NFD", " TRƯỜNG ")
    found = account_service.get_by_username(session, username=decomposed)
    assert found is not None
    assert found.username == "trường"


# Letters of Vietnamese names (every vowel with every tone), digits and the usual separators.
VIETNAMESE = "".join(
    unicodedata.normalize("NFC", vowel + tone)
    for vowel in "aăâeêioôơuưy"
    for tone in ["", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323"]
)
name = st.text(alphabet=VIETNAMESE + "bcdđfghjklmnpqrstvwxz0123456789._-", min_size=1, max_size=20)


def _variant(data: st.DataObject, base: str) -> str:
    cased = "".join(c.upper() if data.draw(st.booleans(), label="upper") else c for c in base)
    form = data.draw(st.sampled_from(["NFC", "NFD"]), label="form")
    return data.draw(padding) + unicodedata.normalize(form, cased) + data.draw(padding)


@given(base=name, data=st.data())
def test_property_every_spelling_has_one_counter_key(base: str, data: st.DataObject) -> None:
    spelling = _variant(data, base)
    assert usernames.normalise(spelling) == usernames.normalise(base)
    assert account_service.login_limit_key(spelling) == account_service.login_limit_key(base)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_property_every_spelling_finds_the_same_account(
    session: Session, data: st.DataObject
) -> None:
    if account_service.get_by_username(session, username="lan.ward2") is None:
        account_service.create_staff(
            session,
            username="Lan.Ward2",
            password="long-enough-1",
            granter=None,
            grants=[(Role.SYSTEM_ADMIN, None)],
        )
    found = account_service.get_by_username(session, username=_variant(data, "lan.ward2"))
    assert found is not None
    assert found.username == "lan.ward2"
