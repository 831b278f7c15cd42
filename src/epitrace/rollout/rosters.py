"""Staff and member rosters of organisations, and how far each person has taken up the suite.

A roster row is matched to a citizen account by its canonical phone number when it is read,
so someone who signs up after the upload counts from that moment on. The organisation's own
admin sees the names (each read audited); everyone above sees counts and percentages only.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.orm import Session

from epitrace.accounts import phone as phone_numbers
from epitrace.accounts import service as account_service
from epitrace.checkins import service as checkin_service
from epitrace.db import utcnow
from epitrace.declarations import service as declaration_service
from epitrace.errors import N_, InvalidInput, NotFound
from epitrace.rollout import spreadsheets
from epitrace.rollout.models import RosterKind, RosterMember
from epitrace.rollout.spreadsheets import FileRejected, Problem
from epitrace.venues import service as venue_service
from epitrace.venues.models import Organisation

MAX_ROSTER_ROWS = 50_000
DEFAULT_DAYS = 7
MAX_DAYS = 60

COLUMNS: dict[str, tuple[str, ...]] = {
    "full_name": ("Họ và tên", "Họ tên", "Full name", "Name"),
    "phone": ("Số điện thoại", "Điện thoại", "Di động", "Số di động", "Phone"),
    "id_number": ("Số CCCD", "CCCD", "Số định danh", "CMND", "Số giấy tờ", "ID number"),
    "department": ("Phòng ban", "Bộ phận", "Đơn vị", "Lớp", "Khoa", "Department", "Class"),
    "kind": ("Đối tượng", "Loại", "Kind"),
}
KIND_NAMES: dict[RosterKind, str] = {
    RosterKind.STAFF: N_("Staff"),
    RosterKind.STUDENT: N_("Student"),
    RosterKind.MEMBER: N_("Member"),
}
KIND_ALIASES: dict[str, tuple[str, ...]] = {
    RosterKind.STAFF.value: (
        "cán bộ", "nhân viên", "công nhân", "người lao động", "giáo viên", "công chức", "viên chức",
    ),
    RosterKind.STUDENT.value: ("học sinh", "sinh viên", "học viên"),
    RosterKind.MEMBER.value: ("thành viên", "hội viên", "đoàn viên", "đảng viên"),
}  # fmt: skip
_ID_NUMBER = re.compile(r"^(\d{9}|\d{12}|[A-Z]\d{7,8})$")


@dataclass(frozen=True)
class MemberIn:
    full_name: str
    phone: str
    id_number: str | None = None
    department: str = ""
    kind: RosterKind = RosterKind.STAFF


def check_member(values: dict[str, str]) -> tuple[MemberIn | None, dict[str, str]]:
    """A roster row checked field by field: the member, or field → message id."""
    errors: dict[str, str] = {}
    name = " ".join((values.get("full_name") or "").split())
    if not name:
        errors["full_name"] = N_("Required.")
    elif len(name) > 200:
        errors["full_name"] = N_("This value is too long.")
    canonical = ""
    raw_phone = (values.get("phone") or "").strip()
    if not raw_phone:
        errors["phone"] = N_("Required.")
    else:
        if re.fullmatch(r"\d{9}", raw_phone):
            raw_phone = "0" + raw_phone  # spreadsheets drop the leading zero of numbers
        try:
            canonical = phone_numbers.normalise(raw_phone)
        except InvalidInput:
            errors["phone"] = N_("Enter a Vietnamese mobile number, e.g. 0912345678.")
    id_number = (values.get("id_number") or "").strip().upper() or None
    if id_number and not _ID_NUMBER.match(id_number):
        errors["id_number"] = N_(
            "An ID number has 12 digits (citizen ID), 9 digits (old ID) or is a passport number."
        )
    department = " ".join((values.get("department") or "").split())
    if len(department) > 200:
        errors["department"] = N_("This value is too long.")
    kind = RosterKind.STAFF
    raw_kind = (values.get("kind") or "").strip()
    if raw_kind:
        found = spreadsheets.match_choice(raw_kind, KIND_ALIASES)
        if found is None:
            errors["kind"] = N_("Choose one of the allowed values.")
        else:
            kind = RosterKind(found)
    if errors:
        return None, errors
    return MemberIn(name, canonical, id_number, department, kind), {}


@dataclass(frozen=True)
class RosterImport:
    added: int
    updated: int
    removed: int


def import_roster(
    session: Session,
    *,
    organisation: Organisation,
    filename: str,
    content: bytes,
    replace: bool,
) -> RosterImport:
    """Load a roster file whole or not at all (FileRejected lists every problem by line).

    With `replace`, people no longer on the list leave the roster; otherwise the list adds
    to it. A person is the same person when the phone number is the same.
    """
    table = spreadsheets.read(
        filename,
        content,
        columns=COLUMNS,
        required=("full_name", "phone"),
        max_rows=MAX_ROSTER_ROWS,
    )
    problems: list[Problem] = []
    members: list[MemberIn] = []
    first_line: dict[str, int] = {}
    for row in table.rows:
        member, errors = check_member(row.values)
        for column, message in errors.items():
            problems.append(Problem(row.line, message, column))
        if member is None:
            continue
        if member.phone in first_line:
            problems.append(
                Problem(
                    row.line,
                    N_("The phone number is already on line %(line)s."),
                    "phone",
                    {"line": first_line[member.phone]},
                )
            )
            continue
        first_line[member.phone] = row.line
        members.append(member)
    if problems:
        raise FileRejected(problems)
    existing = {
        m.phone: m
        for m in session.scalars(
            select(RosterMember).where(RosterMember.organisation_id == organisation.id)
        )
    }
    added = updated = 0
    now = utcnow()
    for member in members:
        stored = existing.get(member.phone)
        if stored is None:
            session.add(
                RosterMember(organisation_id=organisation.id, confirmed_at=now, **member.__dict__)
            )
            added += 1
        elif _differs(stored, member):
            _apply(stored, member)
            updated += 1
    # everyone the file lists is confirmed for another retention period, changed or not
    listed = [m.id for phone, m in existing.items() if phone in first_line]
    for chunk in _chunks(listed):
        session.execute(
            update(RosterMember)
            .where(RosterMember.id.in_(chunk))
            .values(confirmed_at=now)
            .execution_options(synchronize_session=False)
        )
    removed = 0
    if replace:
        gone = [m.id for phone, m in existing.items() if phone not in first_line]
        for chunk in _chunks(gone):
            session.execute(delete(RosterMember).where(RosterMember.id.in_(chunk)))
        removed = len(gone)
    session.flush()
    return RosterImport(added, updated, removed)


def _differs(row: RosterMember, member: MemberIn) -> bool:
    return (row.full_name, row.id_number, row.department, row.kind) != (
        member.full_name,
        member.id_number,
        member.department,
        member.kind,
    )


def _apply(row: RosterMember, member: MemberIn) -> None:
    row.full_name = member.full_name
    row.id_number = member.id_number
    row.department = member.department
    row.kind = member.kind


def _chunks(items: Sequence[Any], size: int = 5000) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def add_member(
    session: Session, *, organisation: Organisation, values: dict[str, str]
) -> RosterMember:
    member, errors = check_member(values)
    if member is None:
        raise InvalidInput(N_("Some fields are not valid."), fields=errors)
    clash = session.scalars(
        select(RosterMember).where(
            RosterMember.organisation_id == organisation.id, RosterMember.phone == member.phone
        )
    ).first()
    if clash is not None:
        raise InvalidInput(
            N_("This phone number is already on the roster (%(name)s)."),
            params={"name": clash.full_name},
            fields={"phone": N_("This phone number is already on the roster.")},
        )
    row = RosterMember(organisation_id=organisation.id, confirmed_at=utcnow(), **member.__dict__)
    session.add(row)
    session.flush()
    return row


def get_member(
    session: Session, *, organisation: Organisation, member_id: uuid.UUID
) -> RosterMember:
    row = session.get(RosterMember, member_id)
    if row is None or row.organisation_id != organisation.id:
        raise NotFound(N_("This person is not on the roster."))
    return row


def update_member(
    session: Session, *, organisation: Organisation, member: RosterMember, values: dict[str, str]
) -> RosterMember:
    checked, errors = check_member({**_values_of(member), **values})
    if checked is None:
        raise InvalidInput(N_("Some fields are not valid."), fields=errors)
    if checked.phone != member.phone:
        clash = session.scalars(
            select(RosterMember.id).where(
                RosterMember.organisation_id == organisation.id,
                RosterMember.phone == checked.phone,
            )
        ).first()
        if clash is not None:
            raise InvalidInput(
                N_("Some fields are not valid."),
                fields={"phone": N_("This phone number is already on the roster.")},
            )
        member.phone = checked.phone
    _apply(member, checked)
    member.confirmed_at = utcnow()
    session.flush()
    return member


def purge_unconfirmed(session: Session, *, before: datetime) -> int:
    """Delete the roster members no upload or edit confirmed since `before`."""
    done = session.execute(
        delete(RosterMember)
        .where(RosterMember.confirmed_at < before)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(done, "rowcount", 0) or 0)


def _values_of(member: RosterMember) -> dict[str, str]:
    return {
        "full_name": member.full_name,
        "phone": member.phone,
        "id_number": member.id_number or "",
        "department": member.department,
        "kind": member.kind.value,
    }


def remove_member(session: Session, *, organisation: Organisation, member_id: uuid.UUID) -> None:
    session.delete(get_member(session, organisation=organisation, member_id=member_id))
    session.flush()


# -- coverage ----------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberCoverage:
    member: RosterMember
    signed_up: bool
    declared: bool
    checked_in: bool
    relatives: int
    relatives_declared: int


@dataclass(frozen=True)
class Coverage:
    """Counts for a roster (or many): how many people took up the suite, and how."""

    members: int = 0
    signed_up: int = 0
    declared: int = 0
    checked_in: int = 0
    relatives: int = 0
    relatives_declared: int = 0

    def share(self, name: str) -> float | None:
        """A count as a percentage of the members (None for an empty roster)."""
        if not self.members:
            return None
        count: int = getattr(self, name)
        return 100.0 * count / self.members

    @property
    def relatives_share(self) -> float | None:
        if not self.relatives:
            return None
        return 100.0 * self.relatives_declared / self.relatives

    def __add__(self, other: Coverage) -> Coverage:
        return Coverage(*(getattr(self, f) + getattr(other, f) for f in self.__dataclass_fields__))


def get_members(session: Session, *, organisation_id: uuid.UUID) -> list[RosterMember]:
    stmt = (
        select(RosterMember)
        .where(RosterMember.organisation_id == organisation_id)
        .order_by(RosterMember.department, RosterMember.full_name, RosterMember.id)
    )
    return list(session.scalars(stmt))


def _coverage_rows(
    session: Session, organisation: Organisation, members: Sequence[RosterMember], since: datetime
) -> list[MemberCoverage]:
    accounts = account_service.citizens_by_phone(session, phones=[m.phone for m in members])
    person_ids = [person_id for _user, person_id in accounts.values()]
    declared = declaration_service.declared_since(session, person_ids=person_ids, since=since)
    venue_ids = [
        v.id for v in venue_service.get_venues_of(session, organisation_id=organisation.id)
    ]
    present = checkin_service.present_since(
        session, person_ids=person_ids, venue_ids=venue_ids, since=since
    )
    relatives = account_service.dependents_of(session, guardian_ids=person_ids)
    relative_ids = [r for group in relatives.values() for r in group]
    relatives_declared = declaration_service.declared_since(
        session, person_ids=relative_ids, since=since
    )
    rows = []
    for member in members:
        found = accounts.get(member.phone)
        person_id = found[1] if found else None
        own = relatives.get(person_id, []) if person_id else []
        rows.append(
            MemberCoverage(
                member=member,
                signed_up=found is not None,
                declared=person_id in declared,
                checked_in=person_id in present,
                relatives=len(own),
                relatives_declared=sum(1 for r in own if r in relatives_declared),
            )
        )
    return rows


def coverage_by_person(
    session: Session, *, organisation: Organisation, days: int, now: datetime
) -> list[MemberCoverage]:
    """Per person (names: the organisation admin only — the caller audits the read)."""
    members = get_members(session, organisation_id=organisation.id)
    return _coverage_rows(session, organisation, members, now - timedelta(days=days))


def coverage(session: Session, *, organisation: Organisation, days: int, now: datetime) -> Coverage:
    """Counts only: what everyone above the organisation sees."""
    rows = coverage_by_person(session, organisation=organisation, days=days, now=now)
    return summarise(rows)


def summarise(rows: Sequence[MemberCoverage]) -> Coverage:
    return Coverage(
        members=len(rows),
        signed_up=sum(r.signed_up for r in rows),
        declared=sum(r.declared for r in rows),
        checked_in=sum(r.checked_in for r in rows),
        relatives=sum(r.relatives for r in rows),
        relatives_declared=sum(r.relatives_declared for r in rows),
    )


def roster_size(session: Session, *, organisation_id: uuid.UUID) -> int:
    stmt = select(func.count()).where(RosterMember.organisation_id == organisation_id)
    return session.scalar(stmt) or 0


def clamp_days(days: int | None) -> int:
    return min(max(days or DEFAULT_DAYS, 1), MAX_DAYS)


def members_of(organisation_ids: Sequence[uuid.UUID]) -> Select[str, str, str]:
    """The people on these organisations' rosters (phone, full name, the organisation's ward),
    as a statement other domains use inside theirs (a campaign's audience)."""
    return (
        select(
            RosterMember.phone.label("phone"),
            RosterMember.full_name.label("full_name"),
            Organisation.ward_code.label("ward_code"),
        )
        .join(Organisation, Organisation.id == RosterMember.organisation_id)
        .where(RosterMember.organisation_id.in_(list(organisation_ids)))
    )
