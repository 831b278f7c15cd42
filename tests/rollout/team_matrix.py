"""Permission-matrix entries of community teams, household visits and their coverage."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from epitrace.rollout.models import CommunityTeam, Household, TeamMember
from epitrace.security.roles import Action, Role
from tests.matrix_support import RouteCase, Users

CITIZEN = "+84987654321"  # the matrix's citizen (tests.matrix_support.CITIZEN_PHONE)
HOUSEHOLD = {"address": "12 Lê Lợi", "street": "Lê Lợi", "head_name": "Võ Văn Tám", "members": 4}
HOUSEHOLD_FORM = {k: str(v) for k, v in HOUSEHOLD.items()}
HOUSEHOLDS_CSV = "Địa chỉ,Tuyến phố,Chủ hộ,Số nhân khẩu\n7 Lê Lợi,Lê Lợi,Phan Văn Bảy,3\n".encode()
UPLOAD = {"file": ("ho-gia-dinh.csv", HOUSEHOLDS_CSV, "text/csv")}
VISIT = {"client_key": "{key}", "visited": True, "leaflet": True, "smartphones": 2, "installed": 1}


def setup(session: Session, users: Users) -> dict[str, str]:
    """A team of 26743 (area 79) with the matrix's citizen and ward official as members and
    a household; a team of 00070 (area 01) with the ward official only, and a household."""
    names = {"key": uuid.uuid4().hex}
    for kind, ward in (("in", "26743"), ("out", "00070")):
        team = CommunityTeam(ward_code=ward, name=f"Tổ {kind} {names['key'][:8]}")
        session.add(team)
        session.flush()
        session.add(TeamMember(team_id=team.id, user_id=users.ids[Role.WARD_OFFICIAL]))
        if kind == "in":
            session.add(TeamMember(team_id=team.id, phone=CITIZEN, full_name="Tình nguyện"))
        other = TeamMember(team_id=team.id, phone="+84912000099", full_name="Lê Thị Mai")
        household = Household(
            ward_code=ward, team_id=team.id, address="5 Lê Lợi", head_name="Chủ hộ", members=4
        )
        session.add_all([other, household])
        session.flush()
        names[f"team_{kind}"] = str(team.id)
        names[f"member_{kind}"] = str(other.id)
        names[f"household_{kind}"] = str(household.id)
    return names


def _team(method: str, prefix: str, suffix: str, **kw: object) -> RouteCase:
    return RouteCase(
        method,
        prefix + "/{team_id}" + suffix,
        Action.ROLLOUT_TEAMS,
        inside=prefix + "/{team_in}" + suffix,
        outside=prefix + "/{team_out}" + suffix,
        setup=setup,
        **kw,  # type: ignore[arg-type]
    )


API = "/api/v1/rollout/teams"
PAGE = "/rollout/teams"
TEAM = {"name": "Tổ {key}", "ward_code": "26743"}

CASES = [
    # -- the ward's teams: ward and district officials inside their area
    RouteCase("GET", API, Action.ROLLOUT_TEAMS, inside=API, setup=setup),
    RouteCase(
        "POST",
        API,
        Action.ROLLOUT_TEAMS,
        inside=API,
        outside=API,
        body=TEAM,
        outside_body={**TEAM, "ward_code": "00070"},
        new_subject=True,
        ok=(201,),
        setup=setup,
    ),
    _team("GET", API, ""),
    _team("POST", API, "/members", body={"phone": "0912000010"}, ok=(201,)),
    RouteCase(
        "DELETE",
        API + "/{team_id}/members/{member_id}",
        Action.ROLLOUT_TEAMS,
        inside=API + "/{team_in}/members/{member_in}",
        outside=API + "/{team_out}/members/{member_out}",
        setup=setup,
    ),
    _team("POST", API, "/households", body=HOUSEHOLD, ok=(201,)),
    _team("POST", API, "/streets", body={"street": "Lê Lợi"}),
    _team("POST", API, "/households/import", files=UPLOAD),
    RouteCase("GET", PAGE, Action.ROLLOUT_TEAMS, inside=PAGE, setup=setup),
    RouteCase(
        "POST",
        PAGE,
        Action.ROLLOUT_TEAMS,
        inside=PAGE,
        outside=PAGE,
        form=TEAM,
        outside_form={**TEAM, "ward_code": "00070"},
        new_subject=True,
        setup=setup,
    ),
    _team("GET", PAGE, ""),
    _team("POST", PAGE, "/members", form={"phone": "0912000010"}),
    RouteCase(
        "POST",
        PAGE + "/{team_id}/members/{member_id}/remove",
        Action.ROLLOUT_TEAMS,
        inside=PAGE + "/{team_in}/members/{member_in}/remove",
        outside=PAGE + "/{team_out}/members/{member_out}/remove",
        form={},
        setup=setup,
    ),
    _team("POST", PAGE, "/households", form=HOUSEHOLD_FORM),
    _team("POST", PAGE, "/streets", form={"street": "Lê Lợi"}),
    _team("POST", PAGE, "/households/import", files=UPLOAD),
    # -- a team member's visits: members of the household's team only (citizens by phone,
    # staff also inside their area)
    RouteCase(
        "GET",
        "/api/v1/rollout/visits/households",
        Action.ROLLOUT_VISIT,
        inside="/api/v1/rollout/visits/households",
        setup=setup,
    ),
    RouteCase(
        "POST",
        "/api/v1/rollout/households/{household_id}/visits",
        Action.ROLLOUT_VISIT,
        inside="/api/v1/rollout/households/{household_in}/visits",
        outside="/api/v1/rollout/households/{household_out}/visits",
        body=VISIT,
        ok=(201,),
        setup=setup,
    ),
    RouteCase(
        "GET", "/rollout/visits", Action.ROLLOUT_VISIT, inside="/rollout/visits", setup=setup
    ),
    # -- coverage: counts for the area's officials and the DIC
    RouteCase(
        "GET",
        "/api/v1/rollout/coverage/teams",
        Action.ROLLOUT_READ,
        inside="/api/v1/rollout/coverage/teams?unit=79",
        outside="/api/v1/rollout/coverage/teams?unit=01",
        setup=setup,
    ),
    RouteCase(
        "GET",
        "/rollout/coverage",
        Action.ROLLOUT_READ,
        inside="/rollout/coverage?unit=79",
        outside="/rollout/coverage?unit=01",
        setup=setup,
    ),
]
