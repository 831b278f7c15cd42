"""Permission-matrix entries of campaigns and of the delivery dashboard.

Each setup prepares, as a DIC official outside the matrix (so that the matrix's own DIC and
province officials may approve), a campaign in every state a route acts on, in area 79 and
in area 01; each audience is an uploaded list of one number.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy.orm import Session

from epitrace.accounts import service as account_service
from epitrace.alerts import campaigns
from epitrace.alerts.models import AudienceKind, Campaign
from epitrace.config import Settings
from epitrace.security.roles import Action, Role
from tests import factories
from tests.alerts import campaign_factories as cf
from tests.matrix_support import RouteCase, Users

MAKER = "campaign-maker"
AREAS = ("79", "01")


def _maker(session: Session) -> object:
    account = account_service.get_by_username(session, username=MAKER)
    if account is None:
        account = account_service.create_staff(
            session,
            username=MAKER,
            password=factories.STAFF_PASSWORD,
            granter=None,
            grants=[(Role.DIC_OFFICER, "79"), (Role.DIC_OFFICER, "01")],
        )
    return account.id


def _campaign(session: Session, maker: object, area: str, state: str) -> Campaign:
    start = cf.local_now(timedelta(hours=2))
    campaign = cf.campaign(
        session,
        maker,  # type: ignore[arg-type]
        area_code=area,
        audience_kind=AudienceKind.PHONES,
        audience=(),
        start=start,
    )
    campaigns.store_phones(session, campaign=campaign, numbers=["+84977000001"])
    threshold = 0 if state == "waiting" else 10_000
    if state != "draft":
        campaigns.launch(
            session,
            campaign=campaign,
            by=maker,  # type: ignore[arg-type]
            settings=Settings(campaign_approval_threshold=threshold),
        )
    if state == "paused":
        campaigns.pause(session, campaign=campaign)
    return campaign


def setup_for(state: str) -> Callable[[Session, Users], dict[str, str]]:
    """A setup making the campaigns (in 79 and 01) in the one state a route acts on."""

    def setup(session: Session, users: Users) -> dict[str, str]:
        maker = _maker(session)
        return {f"{state}{area}": str(_campaign(session, maker, area, state).id) for area in AREAS}

    return setup


def _body(area: str) -> dict[str, object]:
    return {
        "name": "Vận động",
        "text_vi": "Chào {{name}}",
        "area_code": area,
        "audience_kind": "province",
        "start": (cf.local_now(timedelta(hours=3))).isoformat(),
    }


def _form(area: str) -> dict[str, str]:
    start = cf.local_now(timedelta(hours=3))
    return {
        "name": "Vận động",
        "text_vi": "Chào {{name}}",
        "channel": "sms",
        "area_code": area,
        "audience_kind": "province",
        "start_date": start.date().isoformat(),
        "start_time": start.strftime("%H:%M"),
        "repeat": "none",
    }


LIST = {"file": ("so.txt", b"0912345678\n0977000002\n", "text/plain")}
API = "/api/v1/campaigns"
ONE = API + "/{campaign_id}"
PAGE = "/campaigns/{campaign_id}"
# the dashboards of campaigns: officials and the DIC, not health officers (theirs are alerts)
CAMPAIGN_COUNTS = frozenset(
    {
        Role.WARD_OFFICIAL,
        Role.DISTRICT_OFFICIAL,
        Role.PROVINCE_OFFICIAL,
        Role.DIC_OFFICER,
    }
)


def _one(method: str, path: str, action: Action, state: str, **kwargs: object) -> RouteCase:
    base = API + "/{" + state + "79}" if path.startswith(API) else "/campaigns/{" + state + "79}"
    tail = path.split("{campaign_id}", 1)[1]
    inside = base + tail
    outside = inside.replace("79}", "01}")
    return RouteCase(
        method,
        path,
        action,
        inside=inside,
        outside=outside,
        setup=setup_for(state),
        **kwargs,  # type: ignore[arg-type]
    )


CASES = [
    RouteCase("GET", API, Action.CAMPAIGNS_READ, inside=API),
    RouteCase(
        "POST",
        API,
        Action.CAMPAIGNS_MANAGE,
        inside=API,
        body=_body("79"),
        outside_body=_body("01"),
        new_subject=True,
    ),
    _one("GET", ONE, Action.CAMPAIGNS_READ, "draft"),
    _one("PUT", ONE, Action.CAMPAIGNS_MANAGE, "draft", body=_body("79")),
    _one("GET", ONE + "/preview", Action.CAMPAIGNS_READ, "draft"),
    _one("POST", ONE + "/phones", Action.CAMPAIGNS_MANAGE, "draft", files=LIST),
    _one("POST", ONE + "/launch", Action.CAMPAIGNS_MANAGE, "draft"),
    _one("POST", ONE + "/approve", Action.CAMPAIGNS_APPROVE, "waiting"),
    _one("POST", ONE + "/pause", Action.CAMPAIGNS_MANAGE, "scheduled"),
    _one("POST", ONE + "/resume", Action.CAMPAIGNS_MANAGE, "paused"),
    _one("POST", ONE + "/cancel", Action.CAMPAIGNS_MANAGE, "draft"),
    _one("GET", ONE + "/dashboard", Action.ALERTS_COUNTS, "scheduled", roles=CAMPAIGN_COUNTS),
    RouteCase(
        "GET",
        "/api/v1/alerts/dashboard",
        Action.ALERTS_COUNTS,
        inside="/api/v1/alerts/dashboard?area=79&kind=contact_alert",
        outside="/api/v1/alerts/dashboard?area=01&kind=contact_alert",
    ),
    RouteCase("GET", "/campaigns", Action.CAMPAIGNS_READ, inside="/campaigns"),
    RouteCase("GET", "/campaigns/new", Action.CAMPAIGNS_MANAGE, inside="/campaigns/new"),
    RouteCase(
        "POST",
        "/campaigns",
        Action.CAMPAIGNS_MANAGE,
        inside="/campaigns",
        form=_form("79"),
        outside_form=_form("01"),
        new_subject=True,
    ),
    _one("GET", PAGE, Action.CAMPAIGNS_READ, "draft"),
    _one("GET", PAGE + "/edit", Action.CAMPAIGNS_MANAGE, "draft"),
    _one("POST", PAGE + "/edit", Action.CAMPAIGNS_MANAGE, "draft", form=_form("79")),
    _one("POST", PAGE + "/phones/check", Action.CAMPAIGNS_MANAGE, "draft", files=LIST),
    _one(
        "POST",
        PAGE + "/phones",
        Action.CAMPAIGNS_MANAGE,
        "draft",
        form={"numbers": "+84912345678", "refused": "0"},
    ),
    _one("POST", PAGE + "/launch", Action.CAMPAIGNS_MANAGE, "draft"),
    _one("POST", PAGE + "/approve", Action.CAMPAIGNS_APPROVE, "waiting"),
    _one("POST", PAGE + "/pause", Action.CAMPAIGNS_MANAGE, "scheduled"),
    _one("POST", PAGE + "/resume", Action.CAMPAIGNS_MANAGE, "paused"),
    _one("POST", PAGE + "/cancel", Action.CAMPAIGNS_MANAGE, "draft"),
    _one("GET", PAGE + "/dashboard", Action.ALERTS_COUNTS, "scheduled", roles=CAMPAIGN_COUNTS),
    RouteCase(
        "GET",
        PAGE + "/dashboard.{fmt}",
        Action.ALERTS_COUNTS,
        inside="/campaigns/{scheduled79}/dashboard.xlsx",
        outside="/campaigns/{scheduled01}/dashboard.xlsx",
        setup=setup_for("scheduled"),
        roles=CAMPAIGN_COUNTS,
    ),
    RouteCase(
        "GET",
        "/alerts/dashboard",
        Action.ALERTS_COUNTS,
        inside="/alerts/dashboard?area=79&kind=contact_alert",
        outside="/alerts/dashboard?area=01&kind=contact_alert",
    ),
    RouteCase(
        "GET",
        "/alerts/dashboard.{fmt}",
        Action.ALERTS_COUNTS,
        inside="/alerts/dashboard.xlsx?area=79&kind=contact_alert",
        outside="/alerts/dashboard.xlsx?area=01&kind=contact_alert",
    ),
]
