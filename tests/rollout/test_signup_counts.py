"""Citizens signed up per ward, kept by triggers (`ward_signup_count`): after any sequence of
the writes that touch them — sign-ups, profile and bulk ward changes, identity relinking,
merges, relatives added and removed, accounts deactivated or deleted, rolled-back work — the
kept counts equal the raw count, and the indicators built on them equal the raw rows."""

from __future__ import annotations

import random
import uuid
from datetime import date, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, delete, func, insert, make_url, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from epitrace import localtime, migrations
from epitrace.accounts import service as account_service
from epitrace.accounts.models import Person, UserAccount
from epitrace.db import Database
from epitrace.errors import DomainError
from epitrace.people import flows
from epitrace.places.models import AdminUnit
from epitrace.rollout import indicators
from epitrace.rollout.models import IndicatorSnapshot, IndicatorUnit, WardSignupCount

WARDS = ["99101", "99102", "99201", "26743"]
OPERATIONS = (
    "sign_up",
    "sign_up_without_ward",
    "staff",
    "profile",
    "declared_ward",
    "bulk_move",
    "new_person",
    "relative",
    "remove_relative",
    "relink",
    "kind",
    "merge",
    "deactivate",
    "delete_account",
    "delete_person",
)


def kept(session: Session) -> dict[str, int]:
    rows = session.execute(select(WardSignupCount.ward_code, WardSignupCount.citizens)).all()
    return {ward: n for ward, n in rows if n}


def raw(session: Session, before: datetime | None = None) -> dict[str, int]:
    stmt = (
        select(Person.ward_code, func.count())
        .join(UserAccount, UserAccount.person_id == Person.id)
        .where(UserAccount.kind == "citizen", Person.ward_code.is_not(None))
        .group_by(Person.ward_code)
    )
    if before is not None:
        stmt = stmt.where(UserAccount.created_at < before)
    return dict(session.execute(stmt).all())  # type: ignore[arg-type]


def _phone() -> str:
    return f"+84{uuid.uuid4().int % 10**12:012d}"  # unique across examples


def apply(session: Session, rng: random.Random, operation: str) -> None:
    """One write as the application does it (its service functions where there is one)."""
    people = list(session.scalars(select(Person).order_by(Person.id)))
    accounts = list(session.scalars(select(UserAccount).order_by(UserAccount.id)))
    citizens = [a for a in accounts if a.person_id is not None]
    ward = rng.choice([*WARDS, None])
    if operation in ("sign_up", "sign_up_without_ward"):
        # as the one-time-code sign-in: a person, then a citizen account linked to it
        phone = _phone()
        person = Person(full_name="", phone=phone)
        if operation == "sign_up":
            person.ward_code = rng.choice(WARDS)
        session.add(person)
        session.flush()
        session.add(UserAccount(kind="citizen", phone=phone, person_id=person.id))
    elif operation == "staff":
        session.add(UserAccount(kind="staff", username=f"staff-{uuid.uuid4().hex[:8]}"))
    elif operation == "profile" and citizens:
        account = rng.choice(citizens)
        account_service.update_profile(
            session, account=account, full_name="Nguyễn Văn A", birth_year=1990,
            ward_code=ward, address=None,
        )  # fmt: skip
    elif operation == "declared_ward" and people:
        rng.choice(people).ward_code = ward  # a declaration records the declared ward
    elif operation == "bulk_move" and people:
        chosen = [p.id for p in rng.sample(people, rng.randint(1, len(people)))]
        session.execute(update(Person).where(Person.id.in_(chosen)).values(ward_code=ward))
    elif operation == "new_person":
        account_service.create_person(session, full_name="Trần Thị B", ward_code=ward)
    elif operation == "relative" and citizens:
        guardian = rng.choice(citizens).person_id
        assert guardian is not None
        account_service.add_dependent(
            session, guardian_id=guardian, full_name="Con", birth_year=2015, relationship="con"
        )
    elif operation == "remove_relative":
        relatives = [p for p in people if p.guardian_id is not None]
        if relatives:
            relative = rng.choice(relatives)
            assert relative.guardian_id is not None
            try:
                with session.begin_nested():
                    account_service.remove_dependent(
                        session, guardian_id=relative.guardian_id, dependent_id=relative.id
                    )
            except IntegrityError:
                pass  # still referenced (an account moved to it by a merge): nothing written
    elif operation == "relink" and accounts and people:
        free = [p for p in people if all(a.person_id != p.id for a in accounts)]
        account = rng.choice(accounts)
        account.person_id = rng.choice(free).id if free and rng.random() < 0.8 else None
    elif operation == "kind" and accounts:
        account = rng.choice(accounts)
        account.kind = "staff" if account.kind == "citizen" else "citizen"
    elif operation == "merge" and len(people) >= 2:
        keep, merge = rng.sample(people, 2)
        try:
            with session.begin_nested():
                flows.merge_people(session, keep=keep, merge=merge)
        except DomainError:
            pass  # refused (both hold accounts, already merged, …): nothing written
    elif operation == "deactivate" and accounts:
        rng.choice(accounts).is_active = False
    elif operation == "delete_account" and accounts:
        session.delete(rng.choice(accounts))
    elif operation == "delete_person":
        alone = [
            p
            for p in people
            if all(a.person_id != p.id for a in accounts)
            and all(p.id not in (q.guardian_id, q.merged_into_id) for q in people)
        ]
        if alone:
            try:
                with session.begin_nested():
                    session.execute(delete(Person).where(Person.id == rng.choice(alone).id))
            except IntegrityError:
                pass  # still referenced: the database refuses, nothing written
    session.flush()


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    seed=st.integers(0, 2**32),
    steps=st.lists(
        st.tuples(st.lists(st.sampled_from(OPERATIONS), min_size=1, max_size=4), st.booleans()),
        min_size=1,
        max_size=12,
    ),
)
def test_kept_counts_equal_the_raw_count_after_any_writes(
    db: Database, places: Any, seed: int, steps: list[tuple[list[str], bool]]
) -> None:
    # (the rows of earlier examples stay: the counts must hold whatever was written before)
    rng = random.Random(seed)
    for operations, commit in steps:
        with db.sessionmaker() as session:
            for operation in operations:
                apply(session, rng, operation)
                assert kept(session) == raw(session), operation  # inside the transaction
            if commit:
                session.commit()
            else:
                session.rollback()
        with db.sessionmaker() as session:
            assert kept(session) == raw(session)


def _area_citizens(session: Session, day: date) -> dict[str, int]:
    rows = session.scalars(
        select(IndicatorSnapshot).where(
            IndicatorSnapshot.day == day,
            IndicatorSnapshot.unit_type == IndicatorUnit.AREA,
            IndicatorSnapshot.area_code.in_(WARDS),
        )
    )
    return {r.area_code: r.citizens for r in rows if r.citizens}


def test_a_past_day_leaves_out_accounts_created_after_it(db: Database, places: Any) -> None:
    """The kept counts hold every account; the day subtracts those created since it ended."""
    rng = random.Random(5)
    first = date(2026, 11, 10)
    now = localtime.at_local(date(2026, 11, 20), datetime.min.time())
    start = localtime.day_bounds(first)[0]
    with db.session_scope() as session:
        for n in range(60):
            phone = f"+8497{n:07d}"
            person = Person(full_name=f"Người {n}", phone=phone, ward_code=rng.choice(WARDS))
            session.add(person)
            session.flush()
            created = start + timedelta(hours=rng.randrange(-48, 10 * 24))
            kind = rng.choice(["citizen", "citizen", "staff"])
            session.add(
                UserAccount(kind=kind, phone=phone, person_id=person.id, created_at=created)
            )
    for offset in (-3, 0, 2, 5, 9):
        day = first + timedelta(days=offset)
        with db.session_scope() as session:
            indicators.compute_day(session, day, smartphone_share=0.75, force=True, now=now)
            want = raw(session, before=localtime.day_bounds(day)[1])
            assert _area_citizens(session, day) == want, day
            if offset == 9:
                assert want == raw(session)  # nothing created after: the kept counts alone


def test_the_upgrade_counts_the_accounts_already_stored(
    database_urls: dict[str, str], backend: str, tmp_path: Any
) -> None:
    """Migration 22 fills the counts from the rows stored before it (its own database)."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'before.sqlite3'}"
    else:
        name = f"epitrace_t_signups_{uuid.uuid4().hex[:8]}"
        admin = create_engine(database_urls["postgresql"], isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(database_urls["postgresql"]).set(database=name).render_as_string(False)
    try:
        migrations.upgrade(url, "21_checkin_rollup")
        engine = create_engine(url)
        rng = random.Random(3)
        with engine.begin() as conn:
            for code in WARDS:
                conn.execute(
                    insert(AdminUnit).values(
                        code=code, name=code, unit_type="xã", level=3, path=f"{code}."
                    )
                )
            for n in range(40):
                pid = uuid.uuid4()
                conn.execute(
                    insert(Person).values(
                        id=pid, full_name="", ward_code=rng.choice([*WARDS, None]),
                        pseudonym=uuid.uuid4().hex[:24], search_name="",
                    )
                )  # fmt: skip
                if rng.random() < 0.7:
                    conn.execute(
                        insert(UserAccount).values(
                            kind=rng.choice(["citizen", "citizen", "staff"]),
                            phone=f"+8490{n:07d}", display_name="", person_id=pid,
                            is_active=rng.random() < 0.9,
                        )
                    )  # fmt: skip
        engine.dispose()
        migrations.upgrade(url)
        upgraded = Database(url)
        with upgraded.sessionmaker() as session:
            assert kept(session) == raw(session) != {}
        upgraded.dispose()
    finally:
        if backend == "postgresql":
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
