"""Tables of rollout oversight: who answers for an organisation, rosters, community teams,
daily indicator snapshots, report forms and submissions, ad-hoc requests."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from epitrace.db import Base, UTCDateTime, created_at, utcnow, uuid_pk
from epitrace.rollout.periods import PeriodType
from epitrace.venues.models import Sector


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=40, values_callable=lambda e: [m.value for m in e])


class OrganisationAdmin(Base):
    """A staff account (role org_admin) that keeps an organisation's roster and reports."""

    __tablename__ = "organisation_admin"
    __table_args__ = (UniqueConstraint("organisation_id", "user_id"),)

    id: Mapped[uuid_pk]
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE")
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[created_at]


class SectorDirector(Base):
    """The sector a sector director answers for (their role grant gives the province)."""

    __tablename__ = "sector_director"
    __table_args__ = (UniqueConstraint("user_id", "sector"),)

    id: Mapped[uuid_pk]
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    sector: Mapped[Sector] = mapped_column(_enum(Sector))
    created_at: Mapped[created_at]


class RosterKind(enum.StrEnum):
    STAFF = "staff"
    STUDENT = "student"
    MEMBER = "member"


class RosterMember(Base):
    """One person on an organisation's roster, matched to a citizen account by phone number.

    The match is made when the roster is read (join on the canonical phone), so that a person
    who signs up after the upload counts from that moment on. A roster is kept by uploading it
    again: members no upload or edit confirmed for `roster_retention_days` are deleted.
    """

    __tablename__ = "roster_member"
    __table_args__ = (
        UniqueConstraint("organisation_id", "phone"),
        Index("ix_roster_member_phone", "phone"),
        Index("ix_roster_member_confirmed_at", "confirmed_at"),
    )

    id: Mapped[uuid_pk]
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE")
    )
    full_name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(20))  # canonical +84…
    id_number: Mapped[str | None] = mapped_column(String(20))
    department: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[RosterKind] = mapped_column(_enum(RosterKind), default=RosterKind.STAFF)
    created_at: Mapped[created_at]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # the last upload that listed the person, or the last edit: a member no upload confirmed
    # for `roster_retention_days` leaves the roster (`rollout.purge_rosters`)
    confirmed_at: Mapped[datetime] = mapped_column(default=utcnow)


class IndicatorUnit(enum.StrEnum):
    """What a row of indicators is about (docs/rollout.md, "Indicators")."""

    AREA = "area"  # an administrative unit and everything below it
    SECTOR = "sector"  # a sector's organisations inside an administrative unit
    ORGANISATION = "organisation"


class IndicatorSnapshot(Base):
    """One day's indicators of one unit, written by the indicator job (`rollout.indicators`).

    Rows are written set-wise by `INSERT … SELECT`, so the key is a database-generated
    integer; a day's rows are deleted before they are written again. Figures that do not
    apply to a kind of unit are NULL (an organisation has no population). A past day's
    rows are never rewritten unless the computation is forced.
    """

    __tablename__ = "indicator_snapshot"
    __table_args__ = (
        Index("ix_indicator_snapshot_area", "unit_type", "area_code", "day"),
        Index("ix_indicator_snapshot_organisation", "organisation_id", "day"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    day: Mapped[date] = mapped_column(Date)  # the local day (deployment time zone)
    unit_type: Mapped[IndicatorUnit] = mapped_column(_enum(IndicatorUnit))
    # the administrative unit: itself, the sector's area, or the organisation's ward
    area_code: Mapped[str] = mapped_column(String(16))
    sector: Mapped[str] = mapped_column(String(40), default="")  # "" on area rows
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    population: Mapped[int | None] = mapped_column(Integer)
    smartphone_share: Mapped[float | None] = mapped_column(Float)
    citizens: Mapped[int | None] = mapped_column(Integer)
    declarations: Mapped[int | None] = mapped_column(Integer)
    venues: Mapped[int] = mapped_column(Integer, default=0)
    venues_with_poster: Mapped[int] = mapped_column(Integer, default=0)
    venues_active: Mapped[int] = mapped_column(Integer, default=0)
    venues_door_control: Mapped[int] = mapped_column(Integer, default=0)
    checkins: Mapped[int] = mapped_column(Integer, default=0)
    roster_members: Mapped[int] = mapped_column(Integer, default=0)
    roster_signed_up: Mapped[int] = mapped_column(Integer, default=0)
    # household visits of the community teams (area rows only)
    households: Mapped[int | None] = mapped_column(Integer)
    households_visited: Mapped[int | None] = mapped_column(Integer)
    computed_at: Mapped[datetime]


class ReportForm(Base):
    """A periodic report the DIC asks of the units of its province (docs/rollout.md,
    "Reporting chain"): which tiers submit, how often, and how many days after the period."""

    __tablename__ = "report_form"

    id: Mapped[uuid_pk]
    name: Mapped[str] = mapped_column(String(200))
    # the province (or any unit) whose units submit; its officials define and oversee it
    area_code: Mapped[str] = mapped_column(
        ForeignKey("admin_unit.code", ondelete="RESTRICT"), index=True
    )
    period_type: Mapped[PeriodType] = mapped_column(_enum(PeriodType))
    due_days: Mapped[int] = mapped_column(Integer, default=0)
    # who submits, comma-separated: tiers of the hierarchy (ward,district,province) and the
    # accountable units (organisation, sector)
    levels: Mapped[str] = mapped_column(String(80))
    # kinds of organisation that submit, comma-separated ("" = every kind)
    organisation_kinds: Mapped[str] = mapped_column(String(400), default="", server_default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[created_at]


class ReportStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    RESUBMITTED = "resubmitted"
    APPROVED = "approved"


class Report(Base):
    """One unit's report on one form for one period; approved reports are locked.

    The unit is an administrative unit, an organisation or a sector (`unit_type`);
    `unit_key` names it in the unique key and in URLs (the unit's code, `org-<id>`,
    `sector-<sector>`), and `unit_code` is the administrative unit it stands in: itself,
    the organisation's ward, the form's area for a sector.
    """

    __tablename__ = "report"
    __table_args__ = (UniqueConstraint("form_id", "unit_key", "period_start"),)

    id: Mapped[uuid_pk]
    form_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("report_form.id", ondelete="CASCADE"))
    unit_type: Mapped[IndicatorUnit] = mapped_column(
        _enum(IndicatorUnit), default=IndicatorUnit.AREA
    )
    unit_key: Mapped[str] = mapped_column(String(60))
    unit_code: Mapped[str] = mapped_column(
        ForeignKey("admin_unit.code", ondelete="RESTRICT"), index=True
    )
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="RESTRICT"), index=True
    )
    sector: Mapped[str] = mapped_column(String(40), default="")
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    status: Mapped[ReportStatus] = mapped_column(_enum(ReportStatus), default=ReportStatus.DRAFT)
    figures: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    results: Mapped[str] = mapped_column(Text, default="")
    difficulties: Mapped[str] = mapped_column(Text, default="")
    proposals: Mapped[str] = mapped_column(Text, default="")
    review_comment: Mapped[str] = mapped_column(Text, default="")
    first_submitted_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    reviewed_at: Mapped[datetime | None]
    approved_at: Mapped[datetime | None]
    created_at: Mapped[created_at]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ReportEvent(Base):
    """One step of a report's history: saved, submitted, returned (with the comment),
    approved."""

    __tablename__ = "report_event"

    id: Mapped[uuid_pk]
    report_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("report.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    actor_label: Mapped[str] = mapped_column(String(200), default="")
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[created_at]


class CommunityTeam(Base):
    """A community COVID team (tổ Covid cộng đồng) of one ward, set up by the ward."""

    __tablename__ = "community_team"
    __table_args__ = (UniqueConstraint("ward_code", "name"),)

    id: Mapped[uuid_pk]
    ward_code: Mapped[str] = mapped_column(ForeignKey("admin_unit.code"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[created_at]


class TeamMember(Base):
    """A member of a team: a staff account, or a citizen (volunteer) by phone number.

    A citizen is matched to their account by the canonical phone number when they sign in,
    so a volunteer may be added before they sign up.
    """

    __tablename__ = "team_member"
    __table_args__ = (
        UniqueConstraint("team_id", "user_id"),
        UniqueConstraint("team_id", "phone"),
        Index("ix_team_member_phone", "phone"),
    )

    id: Mapped[uuid_pk]
    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("community_team.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    phone: Mapped[str | None] = mapped_column(String(20))  # canonical +84…, citizens
    full_name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[created_at]


class Household(Base):
    """A household of a ward on a team's list: where it is, who heads it, how many live there."""

    __tablename__ = "household"
    __table_args__ = (Index("ix_household_ward_street", "ward_code", "street"),)

    id: Mapped[uuid_pk]
    ward_code: Mapped[str] = mapped_column(ForeignKey("admin_unit.code"))
    team_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("community_team.id", ondelete="SET NULL"), index=True
    )
    street: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(300))
    head_name: Mapped[str] = mapped_column(String(200))
    members: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[created_at]


class HouseholdVisit(Base):
    """One visit of a team member to a household, recorded once per client key.

    The phone makes the key when the visit is recorded; a resend after a lost answer carries
    the same key, and the unique constraint keeps the visit single.
    """

    __tablename__ = "household_visit"
    __table_args__ = (
        UniqueConstraint("recorded_by", "client_key"),
        Index("ix_household_visit_household", "household_id", "recorded_at"),
    )

    id: Mapped[uuid_pk]
    household_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("household.id", ondelete="CASCADE"))
    team_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("community_team.id", ondelete="SET NULL")
    )
    recorded_by: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE")
    )
    client_key: Mapped[str] = mapped_column(String(64))
    visited: Mapped[bool] = mapped_column(Boolean)
    leaflet: Mapped[bool] = mapped_column(Boolean, default=False)
    smartphones: Mapped[int] = mapped_column(Integer, default=0)
    installed: Mapped[int] = mapped_column(Integer, default=0)
    helped: Mapped[int] = mapped_column(Integer, default=0)
    notes: Mapped[str] = mapped_column(String(500), default="")
    visited_at: Mapped[datetime] = mapped_column(UTCDateTime())  # when the member recorded it
    recorded_at: Mapped[created_at]  # when the server received it


class AdhocRequest(Base):
    """An ad-hoc request (báo cáo đột xuất): a few questions the DIC or the province asks of
    chosen units inside its area, to be answered before a deadline."""

    __tablename__ = "adhoc_request"

    id: Mapped[uuid_pk]
    title: Mapped[str] = mapped_column(String(200))
    questions: Mapped[list[str]] = mapped_column(JSON)  # 1 to 10 short texts
    # the issuer's area: its officials oversee the request; every recipient is inside it
    area_code: Mapped[str] = mapped_column(
        ForeignKey("admin_unit.code", ondelete="RESTRICT"), index=True
    )
    deadline: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[created_at]


class AdhocRecipient(Base):
    """A unit asked to answer an ad-hoc request."""

    __tablename__ = "adhoc_recipient"
    __table_args__ = (UniqueConstraint("request_id", "unit_code"),)

    id: Mapped[uuid_pk]
    request_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("adhoc_request.id", ondelete="CASCADE")
    )
    unit_code: Mapped[str] = mapped_column(
        ForeignKey("admin_unit.code", ondelete="RESTRICT"), index=True
    )


class AdhocAnswer(Base):
    """A unit's answers to an ad-hoc request, aligned with its questions; changeable until
    the deadline."""

    __tablename__ = "adhoc_answer"
    __table_args__ = (UniqueConstraint("request_id", "unit_code"),)

    id: Mapped[uuid_pk]
    request_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("adhoc_request.id", ondelete="CASCADE")
    )
    unit_code: Mapped[str] = mapped_column(
        ForeignKey("admin_unit.code", ondelete="RESTRICT"), index=True
    )
    answers: Mapped[list[str]] = mapped_column(JSON)
    answered_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    answered_label: Mapped[str] = mapped_column(String(200), default="")
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime())


class VenueDayCount(Base):
    """Check-ins of one venue on one local day, kept up to date by `rollout.rollups`.

    The indicator job reads these few rows per venue instead of the day's millions of
    presences. Counts only grow: a presence is counted once, when the roll-up first sees it
    (by the time it was stored, so scans uploaded late still count on the day they happened).
    """

    __tablename__ = "venue_day_count"

    venue_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    checkins: Mapped[int] = mapped_column(Integer, default=0)
    door_checkins: Mapped[int] = mapped_column(Integer, default=0)


class RollupMark(Base):
    """How far a roll-up has read: presences stored before `upto` are counted."""

    __tablename__ = "rollup_mark"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    upto: Mapped[datetime]


class WardSignupCount(Base):
    """Citizen accounts whose person's home ward is `ward_code`, whenever they were created.

    Kept by database triggers on `user_account` and `person` (migration `22_signup_counts`)
    in the transaction of every write — an account created, deleted, linked to another
    person or changing kind, a person moving ward or deleted — so that the nightly
    indicators read one row per ward instead of joining every account to its person.
    """

    __tablename__ = "ward_signup_count"

    ward_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    citizens: Mapped[int] = mapped_column(Integer, default=0)
