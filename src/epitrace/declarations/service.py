"""Declarations: validation, the append-only history, statuses, passes, officials' lists.

Functions take the session keyword-first, `flush()` and never commit.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Date, Integer, cast, delete, func, literal_column, select
from sqlalchemy.orm import Session

from epitrace import localtime
from epitrace.accounts import phone as phone_numbers
from epitrace.accounts import service as account_service
from epitrace.accounts.models import Person
from epitrace.cases import service as case_service
from epitrace.db import affected
from epitrace.declarations import passes, status
from epitrace.declarations.models import Declaration, FollowUp
from epitrace.declarations.schemas import DeclarationIn
from epitrace.errors import N_, InvalidInput, NotFound
from epitrace.places import service as place_service
from epitrace.places.models import AdminUnit
from epitrace.security import audit, ratelimit
from epitrace.security.keys import Keyring
from epitrace.security.permissions import Principal
from epitrace.security.tokens import TokenError

SYMPTOMS: dict[str, str] = {
    "fever": N_("Fever"),
    "cough": N_("Cough"),
    "shortness_of_breath": N_("Shortness of breath"),
    "pneumonia": N_("Pneumonia"),
    "sore_throat": N_("Sore throat"),
    "fatigue": N_("Fatigue"),
    "loss_of_taste_smell": N_("Loss of taste or smell"),
    "other": N_("Other symptom"),
}
EXPOSURES: dict[str, str] = {
    "case": N_("Contact with a confirmed or suspected case"),
    "outbreak_area": N_("Contact with someone from an outbreak area or from abroad"),
    "symptomatic": N_("Contact with someone with fever, cough or breathing difficulty"),
}
GENDERS: dict[str, str] = {"male": N_("Male"), "female": N_("Female"), "other": N_("Other")}
SUBJECTS: dict[str, str] = {
    "self": N_("Myself"),
    "dependent": N_("A relative in my care"),
    "other": N_("Another person"),
}
TEST_KINDS: dict[str, str] = {"rapid": N_("Rapid antigen test"), "pcr": N_("PCR test")}
TEST_RESULTS: dict[str, str] = {"negative": N_("Negative"), "positive": N_("Positive")}

# Province codes that open a CCCD number (Circular 07/2016/TT-BCA), 001 to 096.
CCCD_PROVINCES = frozenset(
    re.findall(
        r"\d{3}",
        "001 002 004 006 008 010 011 012 014 015 017 019 020 022 024 025 026 027 030 031 033 034 "
        "035 036 037 038 040 042 044 045 046 048 049 051 052 054 056 058 060 062 064 066 067 068 "
        "070 072 074 075 077 079 080 082 083 084 086 087 089 091 092 093 094 095 096",
    )
)
_PASSPORT = re.compile(r"^[A-Z0-9]{6,9}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
LOOKBACK_DAYS = 14
FIRST_VACCINATION_DAY = date(2020, 12, 1)


def cccd_birth_year(number: str) -> int:
    """Digits 4–6 of a CCCD: the century-and-gender code and the last two digits of the year."""
    century = 1900 + (int(number[3]) // 2) * 100
    return century + int(number[4:6])


def check_id_number(kind: str, raw: str) -> tuple[str, str | None]:
    """The cleaned ID number and, if it is not valid, the msgid saying why."""
    number = re.sub(r"\s", "", raw).upper()
    if not number:
        return number, N_("Enter the ID number.")
    if kind == "cccd":
        if not re.fullmatch(r"\d{12}", number):
            return number, N_("A citizen ID (CCCD) number has exactly 12 digits.")
        if number[:3] not in CCCD_PROVINCES:
            return number, N_("A CCCD number starts with a province code from 001 to 096.")
        if int(number[3]) > 9 or cccd_birth_year(number) > 2099:
            return number, N_("The CCCD number is not valid.")
        return number, None
    if not _PASSPORT.match(number):
        return number, N_("A passport number has 6 to 9 letters or digits.")
    return number, None


@dataclass
class _Errors:
    fields: dict[str, str]

    def add(self, name: str, msgid: str) -> None:
        self.fields.setdefault(name, msgid)


def validate(session: Session, data: DeclarationIn, *, today: date) -> dict[str, Any]:
    """Every rule of the form; raise InvalidInput naming each bad field, else the clean values."""
    errors = _Errors({})
    clean: dict[str, Any] = {}
    name = " ".join(data.full_name.split())
    if not name:
        errors.add("full_name", N_("Enter the full name."))
    clean["full_name"] = name

    number, problem = check_id_number(data.id_kind, data.id_number)
    if problem:
        errors.add("id_number", problem)
    clean["id_kind"], clean["id_number"] = data.id_kind, number

    if data.birth_year is None:
        errors.add("birth_year", N_("Enter the birth year."))
    elif not 1900 <= data.birth_year <= today.year:
        errors.add("birth_year", N_("Birth year must be between 1900 and this year."))
    elif data.id_kind == "cccd" and problem is None and cccd_birth_year(number) != data.birth_year:
        errors.add("birth_year", N_("The birth year does not match the CCCD number."))
    clean["birth_year"] = data.birth_year

    if data.gender not in GENDERS:
        errors.add("gender", N_("Choose a gender."))
    clean["gender"] = data.gender
    nationality = data.nationality.strip()
    if not nationality:
        errors.add("nationality", N_("Enter the nationality."))
    clean["nationality"] = nationality

    ward = place_service.get(session, code=data.ward_code) if data.ward_code else None
    if ward is None:
        errors.add("ward_code", N_("Choose the province and the ward."))
    elif place_service.get_children(session, code=ward.code):
        errors.add("ward_code", N_("Choose a ward, not a province or district."))
    clean["ward_code"] = data.ward_code
    street = data.street.strip()
    if not street:
        errors.add("street", N_("Enter the house number and street."))
    clean["street"] = street

    try:
        clean["phone"] = phone_numbers.normalise(data.phone)
    except InvalidInput:
        errors.add("phone", N_("Enter a Vietnamese mobile number, e.g. 0912345678."))
    email = (data.email or "").strip() or None
    if email and not _EMAIL.match(email):
        errors.add("email", N_("This is not a valid email address."))
    clean["email"] = email

    earliest = today - timedelta(days=LOOKBACK_DAYS)
    travel = []
    for i, stop in enumerate(data.travel):
        place = stop.place.strip()
        if not place and stop.date is None:
            continue  # an empty row of the form
        if not place:
            errors.add(f"travel.{i}.place", N_("Enter the province or country."))
        if stop.date is None:
            errors.add(f"travel.{i}.date", N_("Enter the date."))
        elif stop.date > today:
            errors.add(f"travel.{i}.date", N_("The date cannot be in the future."))
        elif stop.date < earliest:
            errors.add(f"travel.{i}.date", N_("Only the last 14 days are asked for."))
        travel.append({"place": place, "date": stop.date.isoformat() if stop.date else ""})
    clean["travel"] = travel

    symptoms = list(dict.fromkeys(data.symptoms))
    if any(s not in SYMPTOMS for s in symptoms):
        errors.add("symptoms", N_("Choose one of the allowed values."))
    other_symptom = (data.other_symptom or "").strip() or None
    if "other" in symptoms and not other_symptom:
        errors.add("other_symptom", N_("Describe the other symptom."))
    if other_symptom and "other" not in symptoms:
        symptoms.append("other")
    clean["symptoms"], clean["other_symptom"] = symptoms, other_symptom
    exposures = list(dict.fromkeys(data.exposures))
    if any(e not in EXPOSURES for e in exposures):
        errors.add("exposures", N_("Choose one of the allowed values."))
    clean["exposures"] = exposures

    previous: date | None = None
    for i, day in enumerate(data.dose_dates):
        if day > today:
            errors.add(f"dose_dates.{i}", N_("The date cannot be in the future."))
        elif day < FIRST_VACCINATION_DAY:
            errors.add(f"dose_dates.{i}", N_("This date is before vaccination began."))
        elif previous is not None and day <= previous:
            errors.add(f"dose_dates.{i}", N_("Each dose must come after the previous one."))
        previous = day
    clean["dose_dates"] = [d.isoformat() for d in data.dose_dates]

    test_given = [data.test_kind, data.test_date, data.test_result]
    if any(v is not None for v in test_given):
        if data.test_kind is None:
            errors.add("test_kind", N_("Choose the kind of test."))
        if data.test_date is None:
            errors.add("test_date", N_("Enter the date of the test."))
        elif data.test_date > today:
            errors.add("test_date", N_("The date cannot be in the future."))
        if data.test_result is None:
            errors.add("test_result", N_("Choose the result of the test."))
    clean["test_kind"] = data.test_kind
    clean["test_date"] = data.test_date
    clean["test_result"] = data.test_result

    if not data.consent:
        errors.add(
            "consent", N_("Confirm that the declaration is true and agree to the use of the data.")
        )
    if errors.fields:
        raise InvalidInput(
            N_("Some fields are not valid."), fields=errors.fields, code="invalid_declaration"
        )
    return clean


def _subject_person(
    session: Session, *, account_person_id: uuid.UUID, data: DeclarationIn, clean: dict[str, Any]
) -> Person:
    if data.subject == "self":
        return account_service.get_person(session, person_id=account_person_id)
    if data.subject == "dependent":
        if data.person_id is None or data.person_id == account_person_id:
            raise InvalidInput(
                N_("Choose the relative you declare for."),
                fields={"person_id": N_("Choose the relative you declare for.")},
            )
        return account_service.get_dependent(
            session, guardian_id=account_person_id, dependent_id=data.person_id
        )
    return account_service.create_person(
        session,
        full_name=clean["full_name"],
        phone=clean["phone"],
        id_number=clean["id_number"],
        birth_year=clean["birth_year"],
        ward_code=clean["ward_code"],
        address=clean["street"],
    )


def create(
    session: Session,
    *,
    account_id: uuid.UUID | None,
    account_person_id: uuid.UUID,
    data: DeclarationIn,
    now: datetime,
    others_per_day: int | None = None,
) -> Declaration:
    """Record a new declaration; it supersedes the person's earlier ones (kept as history).

    An account declares for other people (each a new person record) at most `others_per_day`
    times per local day (429 beyond).
    """
    clean = validate(session, data, today=status.local_date(now))
    if data.subject == "other" and others_per_day is not None and account_id is not None:
        _check_others_quota(session, account_id=account_id, limit=others_per_day, now=now)
    person = _subject_person(session, account_person_id=account_person_id, data=data, clean=clean)
    # Fill what the profile lacks (a new citizen has only a phone number); never overwrite it.
    if not person.full_name:
        person.full_name = clean["full_name"]
    if person.ward_code is None:
        person.ward_code = clean["ward_code"]
        person.address = person.address or clean["street"]
    if person.birth_year is None:
        person.birth_year = clean["birth_year"]
    if person.id_number is None:
        person.id_number = clean["id_number"]
    if person.gender is None:
        person.gender = clean["gender"]
    declaration = Declaration(
        person_id=person.id,
        submitted_by_id=account_id,
        subject=data.subject,
        has_symptoms=bool(clean["symptoms"]),
        has_exposure=bool(clean["exposures"]),
        consent=True,
        submitted_at=now,
        **clean,
    )
    session.add(declaration)
    session.flush()
    return declaration


def _check_others_quota(
    session: Session, *, account_id: uuid.UUID, limit: int, now: datetime
) -> None:
    start, _end = localtime.day_bounds(localtime.today(now))
    made = session.scalar(
        select(func.count())
        .select_from(Declaration)
        .where(
            Declaration.submitted_by_id == account_id,
            Declaration.subject == "other",
            Declaration.submitted_at >= start,
        )
    )
    ratelimit.check_daily_quota(
        used=made or 0,
        limit=limit,
        message=N_(
            "You have declared for %(limit)s other people today, the most for one day. "
            "They can declare for themselves, or you can continue tomorrow."
        ),
        now=now,
    )


# -- reads of one's own declarations ----------------------------------------------------


def get(session: Session, *, declaration_id: uuid.UUID) -> Declaration:
    declaration = session.get(Declaration, declaration_id)
    if declaration is None:
        raise NotFound(N_("This declaration does not exist."))
    return declaration


def get_latest(session: Session, *, person_id: uuid.UUID) -> Declaration | None:
    stmt = (
        select(Declaration)
        .where(Declaration.person_id == person_id)
        .order_by(Declaration.submitted_at.desc(), Declaration.id)
        .limit(1)
    )
    return session.scalars(stmt).first()


def get_history(session: Session, *, person_id: uuid.UUID, limit: int = 200) -> list[Declaration]:
    """A person's declarations, newest (the one in force) first."""
    stmt = (
        select(Declaration)
        .where(Declaration.person_id == person_id)
        .order_by(Declaration.submitted_at.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


def get_for_others(
    session: Session, *, account_id: uuid.UUID, limit: int = 100
) -> list[Declaration]:
    """Declarations an account made for other people (not itself, not its dependents)."""
    stmt = (
        select(Declaration)
        .where(Declaration.submitted_by_id == account_id, Declaration.subject == "other")
        .order_by(Declaration.submitted_at.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


# -- status and pass --------------------------------------------------------------------


def declaration_facts(declaration: Declaration | None) -> status.DeclarationFacts | None:
    if declaration is None:
        return None
    return status.DeclarationFacts(
        submitted_at=declaration.submitted_at,
        has_symptoms=declaration.has_symptoms,
        has_exposure=declaration.has_exposure,
        dose_dates=tuple(date.fromisoformat(d) for d in declaration.dose_dates),
        test_kind=declaration.test_kind,
        test_date=declaration.test_date,
        test_result=declaration.test_result,
    )


def get_facts(session: Session, *, person_id: uuid.UUID, now: datetime) -> status.Facts:
    case = case_service.get_status_facts(session, person_id=person_id, as_of=now)
    return status.Facts(
        declaration=declaration_facts(get_latest(session, person_id=person_id)),
        case=status.CaseFacts(
            is_case=case.is_case,
            contact_level=case.contact_level,
            in_quarantine=case.in_quarantine,
            recovered_at=case.recovered_at,
        ),
    )


def get_status(
    session: Session, *, person_id: uuid.UUID, policy: str, now: datetime
) -> status.Status:
    return status.evaluate(policy, get_facts(session, person_id=person_id, now=now), now=now)


def issue_pass(
    session: Session,
    *,
    keyring: Keyring,
    person: Person,
    policy: str,
    now: datetime,
    lifetime_minutes: int = passes.DEFAULT_LIFETIME_MINUTES,
) -> tuple[str, status.Status]:
    """A fresh pass for a person with their current colour."""
    current = get_status(session, person_id=person.id, policy=policy, now=now)
    text = passes.issue(
        keyring,
        pseudonym=person.pseudonym,
        colour=current.colour,
        now=now,
        lifetime_minutes=lifetime_minutes,
    )
    return text, current


@dataclass(frozen=True)
class VerifiedPass:
    claims: passes.PassClaims
    person: Person


def verify_pass(
    session: Session, *, keyring: Keyring, actor: Principal, text: str, now: datetime
) -> VerifiedPass:
    """Check a scanned pass and log who read whose pass (TokenError → InvalidInput)."""
    try:
        claims = passes.verify(keyring, text, now=now)
    except TokenError as exc:
        raise InvalidInput(exc.message, code=f"pass_{exc.reason}") from exc
    person = account_service.get_by_pseudonym(session, pseudonym=claims.pseudonym)
    if person is None:
        raise InvalidInput(N_("This pass belongs to nobody known here."), code="pass_unknown")
    audit.record(
        session,
        actor=actor,
        action="read",
        subject_type="person",
        subject_id=person.id,
        purpose="pass.verify",
        detail={"colour": claims.colour.label, "kid": claims.kid},
    )
    return VerifiedPass(claims=claims, person=person)


# -- officials ------------------------------------------------------------------------------


@dataclass(frozen=True)
class FlaggedRow:
    declaration: Declaration
    ward_name: str
    follow_up: FollowUp | None


def _last_follow_ups(session: Session, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, FollowUp]:
    found: dict[uuid.UUID, FollowUp] = {}
    if not ids:
        return found
    stmt = select(FollowUp).where(FollowUp.declaration_id.in_(ids)).order_by(FollowUp.created_at)
    for row in session.scalars(stmt):
        found[row.declaration_id] = row
    return found


def get_flagged(
    session: Session,
    *,
    area_path: str | None,
    since: datetime,
    ward_code: str | None = None,
    kind: str | None = None,  # "symptoms" | "exposure" | None (either)
    followed_up: bool | None = None,
    limit: int = 1000,
) -> list[FlaggedRow]:
    """Declarations with symptoms or exposure in an area since a moment, newest first."""
    stmt = (
        select(Declaration, AdminUnit.name)
        .join(AdminUnit, AdminUnit.code == Declaration.ward_code)
        .where(Declaration.submitted_at >= since)
        .where(place_service.within_area(Declaration.ward_code, area_path))
    )
    if kind == "symptoms":
        stmt = stmt.where(Declaration.has_symptoms.is_(True))
    elif kind == "exposure":
        stmt = stmt.where(Declaration.has_exposure.is_(True))
    else:
        stmt = stmt.where(Declaration.has_symptoms.is_(True) | Declaration.has_exposure.is_(True))
    if ward_code:
        stmt = stmt.where(Declaration.ward_code == ward_code)
    followed = select(FollowUp.declaration_id).where(FollowUp.declaration_id == Declaration.id)
    if followed_up is True:
        stmt = stmt.where(followed.exists())
    elif followed_up is False:
        stmt = stmt.where(~followed.exists())
    rows = session.execute(stmt.order_by(Declaration.submitted_at.desc()).limit(limit)).all()
    follow_ups = _last_follow_ups(session, [d.id for d, _ in rows])
    return [FlaggedRow(d, name, follow_ups.get(d.id)) for d, name in rows]


def audit_list_read(
    session: Session, *, actor: Principal | None, rows: Sequence[FlaggedRow], purpose: str
) -> None:
    """Every listed declaration is a read of personal data (actor None: the command line)."""
    audit.record_many(
        session,
        actor=actor,
        action="read",
        subject_type="declaration",
        subject_ids=[r.declaration.id for r in rows],
        purpose=purpose,
    )


@dataclass(frozen=True)
class WardDay:
    ward_code: str
    ward_name: str
    day: date
    declarations: int
    with_symptoms: int
    with_exposure: int


def _local_day(session: Session) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone(localtime.zone().key, Declaration.submitted_at), Date)
    # SQLite keeps UTC text and knows no zones: shift by the zone's present offset (exact for
    # zones without daylight saving time, such as Asia/Ho_Chi_Minh).
    minutes = localtime.utc_offset_minutes()
    return func.date(Declaration.submitted_at, literal_column(f"'{minutes:+d} minutes'"))


def count_per_ward_day(
    session: Session, *, area_path: str | None, since: datetime
) -> list[WardDay]:
    """Declarations per ward and local day (with symptoms / exposure), no personal data."""
    day = _local_day(session).label("day")
    stmt = (
        select(
            Declaration.ward_code,
            AdminUnit.name,
            day,
            func.count(),
            func.sum(cast(Declaration.has_symptoms, Integer())),
            func.sum(cast(Declaration.has_exposure, Integer())),
        )
        .join(AdminUnit, AdminUnit.code == Declaration.ward_code)
        .where(Declaration.submitted_at >= since)
        .where(place_service.within_area(Declaration.ward_code, area_path))
        .group_by(Declaration.ward_code, AdminUnit.name, day)
        .order_by(day.desc(), AdminUnit.name)
    )
    out = []
    for ward_code, name, raw_day, total, symptoms, exposure in session.execute(stmt):
        day_value = raw_day if isinstance(raw_day, date) else date.fromisoformat(str(raw_day))
        out.append(
            WardDay(ward_code, name, day_value, int(total), int(symptoms or 0), int(exposure or 0))
        )
    return out


def mark_followed_up(
    session: Session, *, actor: Principal, declaration: Declaration, note: str
) -> FollowUp:
    follow_up = FollowUp(
        declaration_id=declaration.id,
        by_user_id=actor.user_id,
        by_label=actor.display_name,
        note=note.strip(),
    )
    session.add(follow_up)
    audit.record(
        session,
        actor=actor,
        action="update",
        subject_type="declaration",
        subject_id=declaration.id,
        purpose="declaration.follow_up",
        detail={"note": note.strip()[:200]},
    )
    session.flush()
    return follow_up


# -- reminders hook -------------------------------------------------------------------------


@dataclass(frozen=True)
class ExpiredDeclaration:
    person_id: uuid.UUID
    guardian_id: uuid.UUID | None
    last_declared_at: datetime


def get_expired(
    session: Session,
    *,
    now: datetime,
    limit: int | None = None,
    lapsed_after: datetime | None = None,
) -> list[ExpiredDeclaration]:
    """People whose latest declaration is past its validity, for the alerts work to remind.

    A dependent's reminder goes to the guardian (`guardian_id`). `lapsed_after`: only those
    whose declaration stopped being valid after that moment (recent lapses).
    """
    latest = (
        select(Declaration.person_id, func.max(Declaration.submitted_at).label("last"))
        .group_by(Declaration.person_id)
        .subquery()
    )
    stmt = (
        select(latest.c.person_id, Person.guardian_id, latest.c.last)
        .join(Person, Person.id == latest.c.person_id)
        .where(latest.c.last < now - status.DECLARATION_VALID_FOR)
        .order_by(latest.c.last)
    )
    if lapsed_after is not None:
        stmt = stmt.where(latest.c.last >= lapsed_after - status.DECLARATION_VALID_FOR)
    if limit is not None:
        stmt = stmt.limit(limit)
    return [ExpiredDeclaration(p, g, last) for p, g, last in session.execute(stmt)]


# -- reads for rollout oversight ----------------------------------------------------------


def declared_since(
    session: Session, *, person_ids: Sequence[uuid.UUID], since: datetime
) -> set[uuid.UUID]:
    """The people among `person_ids` who declared at or after `since`."""
    found: set[uuid.UUID] = set()
    unique = sorted(set(person_ids))
    for start in range(0, len(unique), 5000):
        stmt = (
            select(Declaration.person_id)
            .where(
                Declaration.person_id.in_(unique[start : start + 5000]),
                Declaration.submitted_at >= since,
            )
            .distinct()
        )
        found.update(session.scalars(stmt))
    return found


def count_flagged_waiting(
    session: Session, *, area_paths: Sequence[str | None], since: datetime
) -> int:
    """Declarations with symptoms or exposure since a moment that nobody has followed up yet."""
    followed = select(FollowUp.declaration_id).where(FollowUp.declaration_id == Declaration.id)
    stmt = select(func.count()).where(
        Declaration.submitted_at >= since,
        Declaration.has_symptoms.is_(True) | Declaration.has_exposure.is_(True),
        place_service.within_areas(Declaration.ward_code, area_paths),
        ~followed.exists(),
    )
    return int(session.scalar(stmt) or 0)


# -- erasure on request (mydata) ------------------------------------------------------------


def erase_people(session: Session, *, person_ids: Sequence[uuid.UUID]) -> dict[str, int]:
    """Delete the declarations of these people (their follow-up notes go with them)."""
    if not person_ids:
        return {}
    ids = select(Declaration.id).where(Declaration.person_id.in_(person_ids))
    notes = affected(session.execute(delete(FollowUp).where(FollowUp.declaration_id.in_(ids))))
    rows = affected(
        session.execute(delete(Declaration).where(Declaration.person_id.in_(person_ids)))
    )
    return {"declaration": rows, "declaration_follow_up": notes}
