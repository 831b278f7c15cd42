"""API shapes of rollout oversight."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from epitrace.rollout.models import RosterKind
from epitrace.rollout.periods import PeriodType
from epitrace.venues.models import OrganisationKind, Sector
from epitrace.web.fields import MedicalDateTime

_LEGACY_KINDS = {"agency": OrganisationKind.STATE_AGENCY.value}


class OrganisationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, examples=["Trường THPT Trưng Vương"])
    kind: OrganisationKind = OrganisationKind.ENTERPRISE
    sector: Sector = Sector.PEOPLE_COMMITTEE
    ward_code: str = Field(min_length=1, max_length=16, examples=["26743"])
    tax_code: str | None = Field(default=None, max_length=20, pattern=r"^\d{10}(-\d{3})?$")
    address: str = Field(default="", max_length=300)
    head_name: str | None = Field(default=None, max_length=200)
    head_title: str | None = Field(default=None, max_length=120)
    contact_phone: str | None = Field(default=None, max_length=20)
    contact_email: str | None = Field(default=None, max_length=200)

    @field_validator("kind", mode="before")
    @classmethod
    def _legacy_kind(cls, value: object) -> object:
        return _LEGACY_KINDS.get(value, value) if isinstance(value, str) else value


class OrganisationPatch(BaseModel):
    """The fields to change; the others keep their values."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    kind: OrganisationKind | None = None
    sector: Sector | None = None
    ward_code: str | None = Field(default=None, min_length=1, max_length=16)
    tax_code: str | None = Field(default=None, max_length=20, pattern=r"^\d{10}(-\d{3})?$")
    address: str | None = Field(default=None, max_length=300)
    head_name: str | None = Field(default=None, max_length=200)
    head_title: str | None = Field(default=None, max_length=120)
    contact_phone: str | None = Field(default=None, max_length=20)
    contact_email: str | None = Field(default=None, max_length=200)


class OrganisationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    kind: OrganisationKind
    sector: Sector
    tax_code: str | None
    ward_code: str
    address: str
    head_name: str | None
    head_title: str | None
    contact_phone: str | None
    contact_email: str | None
    created_at: datetime


class OrganisationPage(BaseModel):
    items: list[OrganisationOut]
    total: int


class ImportOut(BaseModel):
    created: int
    updated: int


class AdminIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=80)


class AdminOut(BaseModel):
    user_id: uuid.UUID
    username: str | None
    display_name: str


class CoverageOut(BaseModel):
    """A roster's take-up: counts, and percentages of the people on it (None when empty)."""

    days: int
    members: int
    signed_up: int
    declared: int
    checked_in: int
    relatives: int
    relatives_declared: int
    signed_up_pct: float | None
    declared_pct: float | None
    checked_in_pct: float | None


class MemberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    full_name: str = Field(min_length=1, max_length=200)
    phone: str = Field(min_length=1, max_length=20, examples=["0912345678"])
    id_number: str | None = Field(default=None, max_length=20)
    department: str = Field(default="", max_length=200)
    kind: RosterKind = RosterKind.STAFF


class MemberPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    full_name: str | None = Field(default=None, min_length=1, max_length=200)
    phone: str | None = Field(default=None, min_length=1, max_length=20)
    id_number: str | None = Field(default=None, max_length=20)
    department: str | None = Field(default=None, max_length=200)
    kind: RosterKind | None = None


class MemberOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    full_name: str
    phone: str
    id_number: str | None
    department: str
    kind: RosterKind


class MemberCoverageOut(MemberOut):
    signed_up: bool
    declared: bool
    checked_in: bool
    relatives: int
    relatives_declared: int


class RosterOut(BaseModel):
    coverage: CoverageOut
    items: list[MemberCoverageOut]


class RosterImportOut(BaseModel):
    added: int
    updated: int
    removed: int


class IndicatorDayOut(BaseModel):
    """One day's indicators of a unit: counts, and percentages of their base (None when the
    base is zero or unknown). Definitions: docs/rollout.md, "Indicators"."""

    day: date
    computed_at: datetime
    population: int | None
    smartphone_share: float | None
    signup_target: int | None
    citizens: int | None
    citizens_pct: float | None
    declarations: int | None
    venues: int
    venues_with_poster: int
    venues_with_poster_pct: float | None
    venues_active: int
    venues_active_pct: float | None
    venues_door_control: int
    venues_door_control_pct: float | None
    checkins: int
    roster_members: int
    roster_signed_up: int
    roster_signed_up_pct: float | None
    households: int | None = None
    households_visited: int | None = None
    households_visited_pct: float | None = None


class IndicatorUnitOut(BaseModel):
    type: str  # area | sector | organisation
    code: str  # the administrative unit
    name: str
    sector: Sector | None = None
    organisation_id: uuid.UUID | None = None
    organisation_name: str | None = None


class IndicatorsOut(BaseModel):
    unit: IndicatorUnitOut
    first: date = Field(serialization_alias="from")
    last: date = Field(serialization_alias="to")
    days: list[IndicatorDayOut]


# -- the reporting chain ------------------------------------------------------------------


ReportLevel = Literal["province", "district", "ward", "sector", "organisation"]


class ReportFormIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, examples=["Báo cáo tiến độ hằng tuần"])
    area_code: str = Field(min_length=1, max_length=16, examples=["79"])
    period_type: PeriodType = PeriodType.WEEKLY
    due_days: int = Field(default=1, ge=0, le=60)
    levels: list[ReportLevel] = Field(
        min_length=1, max_length=5, examples=[["ward", "district", "organisation"]]
    )
    organisation_kinds: list[OrganisationKind] = Field(
        default_factory=list,
        max_length=20,
        description="The kinds of organisation that submit (none: every kind).",
    )


class ReportFormPatch(BaseModel):
    """What the DIC may change on a form; the area and the period type stay."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    due_days: int | None = Field(default=None, ge=0, le=60)
    levels: list[ReportLevel] | None = Field(default=None, min_length=1, max_length=5)
    organisation_kinds: list[OrganisationKind] | None = Field(default=None, max_length=20)
    active: bool | None = None


class ReportFormOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    area_code: str
    period_type: PeriodType
    due_days: int
    levels: list[str]
    organisation_kinds: list[str]
    active: bool
    created_at: datetime


class ReportIn(BaseModel):
    """The narrative of a report; the figures are filled in from the indicators."""

    model_config = ConfigDict(extra="forbid")

    results: str | None = Field(default=None, max_length=4000)
    difficulties: str | None = Field(default=None, max_length=4000)
    proposals: str | None = Field(default=None, max_length=4000)


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    comment: str = Field(default="", max_length=4000)


class ReportEventOut(BaseModel):
    kind: str
    actor: str
    comment: str
    at: datetime


class ReportOut(BaseModel):
    form_id: uuid.UUID
    form_name: str
    unit_code: str  # the unit's key: an area's code, org-<id> or sector-<sector>
    unit_type: str  # area | organisation | sector
    unit_name: str
    period: str
    period_start: date
    period_end: date
    deadline: datetime
    status: str  # "missing" (nothing saved yet) or draft | submitted | returned | ...
    figures: dict[str, Any]
    results: str
    difficulties: str
    proposals: str
    review_comment: str
    first_submitted_at: datetime | None
    submitted_at: datetime | None
    approved_at: datetime | None
    on_time: bool | None
    pending_children: list[str]  # units below whose reports are not approved yet
    events: list[ReportEventOut]


class RateRowOut(BaseModel):
    code: str
    name: str
    expected: int
    submitted: int
    on_time: int
    approved: int
    submitted_pct: float | None
    approved_pct: float | None


class LaggingOut(BaseModel):
    code: str
    name: str
    tier: str
    status: str
    overdue: bool


class RateOut(BaseModel):
    form_id: uuid.UUID
    area_code: str
    area_name: str
    period: str
    period_start: date
    period_end: date
    deadline: datetime
    total: RateRowOut
    rows: list[RateRowOut]
    lagging: list[LaggingOut]


class RemindOut(BaseModel):
    units: int
    recipients: int
    duplicates: int
    without_staff: list[str]


# -- community teams ---------------------------------------------------------------------


class TeamIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=120, examples=["Tổ Covid cộng đồng khu phố 1"])
    ward_code: str = Field(min_length=1, max_length=16, examples=["26743"])


class TeamOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    ward_code: str
    name: str
    created_at: datetime


class TeamMemberIn(BaseModel):
    """A staff account by `username`, or a citizen volunteer by `phone` (one of the two)."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(default="", max_length=80)
    phone: str = Field(default="", max_length=20, examples=["0912345678"])
    full_name: str = Field(default="", max_length=200)


class TeamMemberOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    user_id: uuid.UUID | None
    phone: str | None
    full_name: str


class HouseholdCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    address: str = Field(min_length=1, max_length=300, examples=["12 Lê Lợi"])
    street: str = Field(default="", max_length=200, examples=["Lê Lợi"])
    head_name: str = Field(min_length=1, max_length=200)
    members: int = Field(ge=1, le=50)


class HouseholdOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    ward_code: str
    team_id: uuid.UUID | None
    street: str
    address: str
    head_name: str
    members: int


class StreetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    street: str = Field(min_length=1, max_length=200, examples=["Lê Lợi"])


class StreetOut(BaseModel):
    households: int


class TeamDetailOut(TeamOut):
    members: list[TeamMemberOut]
    households: list[HouseholdOut]


class VisitCreate(BaseModel):
    """A household visit; `client_key` is made by the phone once per visit and sent again
    unchanged on every resend."""

    model_config = ConfigDict(extra="forbid")

    client_key: str = Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    visited: bool
    leaflet: bool = False
    smartphones: int = Field(default=0, ge=0, le=50)
    installed: int = Field(default=0, ge=0, le=50)
    helped: int = Field(default=0, ge=0, le=50)
    notes: str = Field(default="", max_length=500)
    visited_at: MedicalDateTime | None = None


class VisitOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    household_id: uuid.UUID
    client_key: str
    visited: bool
    leaflet: bool
    smartphones: int
    installed: int
    helped: int
    notes: str
    visited_at: datetime
    recorded_at: datetime


class AssignedHouseholdOut(HouseholdOut):
    last_visit: VisitOut | None


class TeamCoverageOut(BaseModel):
    """Households visited of those assigned; members with the suite of those with a
    smartphone (from each household's last visit in which someone was at home)."""

    team_id: uuid.UUID | None
    name: str
    ward_code: str
    households: int
    visited: int
    visited_pct: float | None
    leaflets: int
    people: int
    smartphones: int
    installed: int
    installed_pct: float | None
    helped: int


class CoverageOfTeamsOut(BaseModel):
    unit: str
    total: TeamCoverageOut
    teams: list[TeamCoverageOut]


# -- ad-hoc requests (báo cáo đột xuất) -----------------------------------------------------


class AdhocRequestIn(BaseModel):
    """A request to chosen units of the issuer's area: units by code, or every district or
    ward of the area (`all_of`), or both."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200, examples=["Số điểm tiêm lưu động"])
    questions: list[Annotated[str, Field(max_length=300)]] = Field(
        min_length=1, max_length=10, examples=[["Có bao nhiêu tổ Covid cộng đồng?"]]
    )
    area_code: str = Field(min_length=1, max_length=16, examples=["79"])
    deadline: datetime = Field(
        description="Local date and time (Vietnam) unless a time zone is given.",
        examples=["2026-12-05T17:00:00"],
    )
    unit_codes: list[Annotated[str, Field(min_length=1, max_length=16)]] = Field(
        default=[], max_length=500
    )
    all_of: Literal["districts", "wards"] | None = None


class AdhocAnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answers: list[Annotated[str, Field(max_length=2000)]] = Field(min_length=1, max_length=10)


class AdhocRecipientOut(BaseModel):
    unit_code: str
    unit_name: str
    answered: bool
    overdue: bool
    answered_at: datetime | None
    answered_by: str
    answers: list[str]


class AdhocRequestOut(BaseModel):
    id: uuid.UUID
    title: str
    questions: list[str]
    area_code: str
    deadline: datetime
    created_at: datetime
    closed: bool
    answered: int
    expected: int
    recipients: list[AdhocRecipientOut] = []


class AdhocSummaryOut(BaseModel):
    id: uuid.UUID
    title: str
    area_code: str
    deadline: datetime
    created_at: datetime
    unit_code: str | None = None  # for a request asked of the caller's unit: that unit


class AdhocAnswerOut(BaseModel):
    request_id: uuid.UUID
    unit_code: str
    questions: list[str]
    answers: list[str]
    answered_at: datetime | None
    deadline: datetime
    closed: bool
