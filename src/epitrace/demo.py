"""Demo data: one province with a few wards and populations, one staff account per role.

The wards are real units of Thành phố Hồ Chí Minh under their official codes and names; a unit
already loaded (by `epitrace places load vietnam`) is never renamed, only given a population.
Running it again is harmless: missing units are added and demo passwords reset. Domains add their
own demo data through a `demo` module with `seed(session, context)`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from sqlalchemy.orm import Session

from epitrace.accounts import service as account_service
from epitrace.domains import domain_modules
from epitrace.places import service as place_service
from epitrace.places.service import UnitRow
from epitrace.security.roles import Role

DEMO_PASSWORD = "epitrace-demo-2026"  # noqa: S105 - printed demo credential, not a secret
PROVINCE = "79"
PROVINCE_NAME = "Thành phố Hồ Chí Minh"
WARDS = [
    ("26743", "Phường Bến Thành", 63_000),
    ("26740", "Phường Sài Gòn", 47_000),
    ("26737", "Phường Tân Định", 58_000),
    ("26758", "Phường Cầu Ông Lãnh", 52_000),
    ("27160", "Phường Bàn Cờ", 71_000),
]
ACCOUNTS: list[tuple[str, Role, str | None]] = [
    ("admin", Role.SYSTEM_ADMIN, None),
    ("province", Role.PROVINCE_OFFICIAL, PROVINCE),
    ("district", Role.DISTRICT_OFFICIAL, PROVINCE),
    ("ward", Role.WARD_OFFICIAL, "26743"),
    ("health", Role.HEALTH_OFFICER, PROVINCE),
    ("dic", Role.DIC_OFFICER, PROVINCE),
    ("org", Role.ORG_ADMIN, "26743"),
    ("operator", Role.VENUE_OPERATOR, "26743"),
]


@dataclass
class DemoContext:
    province: str
    wards: list[str]
    accounts: dict[str, Any] = field(default_factory=dict)


def seed(session: Session, *, console: Console | None = None) -> list[tuple[str, str, str, str]]:
    """Create or refresh the demo data; returns (username, password, role, area) rows."""
    rows = [UnitRow(PROVINCE, PROVINCE_NAME, "thành phố trung ương", None, 9_400_000)]
    rows += [UnitRow(code, name, "phường", PROVINCE, pop) for code, name, pop in WARDS]
    loaded = place_service.names_of(session, codes=[row.code for row in rows])
    missing = [row for row in rows if row.code not in loaded]
    if missing:
        place_service.load(session, missing)
    place_service.set_populations(
        session, [(row.code, row.population) for row in rows if row.population is not None]
    )
    context = DemoContext(province=PROVINCE, wards=[code for code, _n, _p in WARDS])
    credentials = []
    for username, role, area in ACCOUNTS:
        account = account_service.get_by_username(session, username=username)
        if account is None:
            account = account_service.create_staff(
                session,
                username=username,
                password=DEMO_PASSWORD,
                display_name=f"Demo {username}",
                grants=[(role, area)],
                granter=None,  # the operator seeding a demo
            )
        else:
            account_service.set_password(session, account=account, password=DEMO_PASSWORD)
        context.accounts[username] = account
        credentials.append((username, DEMO_PASSWORD, role.value, area or "-"))
    for module in domain_modules("demo"):
        module.seed(session, context)
    if console is not None:
        console.print(f"demo province {PROVINCE} with {len(WARDS)} wards is ready")
    return credentials
