"""Permission-matrix entries of "My data" (API and pages): the signed-in citizen only.

The erasure requests come last: the matrix's citizen has nothing that holds one, so it is
honoured at once and the account is gone for the entries after it.
"""

from __future__ import annotations

from epitrace.accounts.privacy import PRIVACY_NOTICE_VERSION
from epitrace.security.roles import Action
from tests.matrix_support import RouteCase

CASES = [
    RouteCase("GET", "/api/v1/me/data", Action.CITIZEN_SELF, inside="/api/v1/me/data"),
    RouteCase("GET", "/api/v1/me/data.json", Action.CITIZEN_SELF, inside="/api/v1/me/data.json"),
    RouteCase("GET", "/api/v1/me/data.pdf", Action.CITIZEN_SELF, inside="/api/v1/me/data.pdf"),
    RouteCase(
        "GET", "/api/v1/me/data/access", Action.CITIZEN_SELF, inside="/api/v1/me/data/access"
    ),
    RouteCase(
        "POST",
        "/api/v1/me/data/notice",
        Action.CITIZEN_SELF,
        inside="/api/v1/me/data/notice",
        body={"version": PRIVACY_NOTICE_VERSION},
    ),
    RouteCase(
        "GET",
        "/api/v1/me/data/erasure",
        Action.CITIZEN_SELF,
        inside="/api/v1/me/data/erasure",
        ok=(404,),  # no request made yet
    ),
    RouteCase("GET", "/me/data", Action.CITIZEN_SELF, inside="/me/data"),
    RouteCase(
        "POST",
        "/me/data/notice",
        Action.CITIZEN_SELF,
        inside="/me/data/notice",
        form={"version": PRIVACY_NOTICE_VERSION},
    ),
    RouteCase(
        "POST",
        "/me/data/erasure",
        Action.CITIZEN_SELF,
        inside="/me/data/erasure",
        form={"confirm": ""},  # unconfirmed: refused, nothing erased
        ok=(422, 303),
    ),
    RouteCase(
        "POST",
        "/api/v1/me/data/erasure",
        Action.CITIZEN_SELF,
        inside="/api/v1/me/data/erasure",
        body={"confirm": True},
    ),
]
