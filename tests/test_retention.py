"""Retention proven (docs/privacy.md, "Retention").

Every table that holds personal data is classified here: purged by a scheduled job, kept for
a stated reason, or a known gap. A seeded database is aged past every period, every
scheduled job runs, and each table holds exactly what the classification says: rows past
their period gone where a job enforces it; people, health records, the audit log and the
aggregates still there. A new table with a personal column fails the inventory test until
it is classified.
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import time_machine
from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from epitrace import jobs
from epitrace.accounts.models import OtpChallenge, Person, UserAccount, WebSession
from epitrace.alerts.models import InboundSms, OutboxMessage
from epitrace.cases import models as case_models
from epitrace.cases.models import Case, QuarantineBreach, QuarantineKind, QuarantineOrder
from epitrace.checkins.models import ManualVisitor, Presence, PresenceMethod, ScanReceipt
from epitrace.config import Settings
from epitrace.db import Base, Database
from epitrace.declarations.models import Declaration, FollowUp
from epitrace.domains import domain_modules
from epitrace.exposure import schedule
from epitrace.exposure.models import ExposureKey, ExposureReport, VerificationCode
from epitrace.feedback import service as feedback_service
from epitrace.feedback.models import Feedback
from epitrace.ondevice.models import HotspotNotice
from epitrace.rollout.models import (
    CommunityTeam,
    Household,
    HouseholdVisit,
    IndicatorSnapshot,
    IndicatorUnit,
    RosterMember,
    VenueDayCount,
)
from epitrace.security.models import ApiToken, AuditEntry, RateCounter
from epitrace.tracing.models import ContactLink
from epitrace.venues.models import Organisation, OrganisationKind, Sector, Venue, VenueCategory
from tests.factories import make_places

PHOTO = "seeded-photo.png"
PURGED = "purged"  # rows past their period are deleted by the named scheduled job
KEPT = "kept"  # kept on purpose, for the reason given
GAP = "gap"  # no retention today; listed in docs/privacy.md as a gap

# table → (disposition, job name or reason). docs/privacy.md carries the same table.
RETENTION: dict[str, tuple[str, str]] = {
    # check-ins and contact tracing: the retention period (EPITRACE_RETENTION_DAYS)
    "presence": (PURGED, "checkins.purge_old"),
    "checkin_scan": (PURGED, "checkins.purge_old"),
    "manual_visitor": (PURGED, "checkins.purge_old"),
    "quarantine_breach": (PURGED, "checkins.purge_old (with its presence)"),
    "contact_link": (PURGED, "tracing.purge_links"),
    "exposure_key": (PURGED, "exposure.purge"),
    "exposure_verification_code": (PURGED, "exposure.purge"),
    # security records: a day after they expire
    "rate_counter": (PURGED, "security.purge_expired"),
    "web_session": (PURGED, "security.purge_expired"),
    "api_token": (PURGED, "security.purge_expired"),
    "otp_challenge": (PURGED, "security.purge_expired"),
    # kept while the account or the person exists (deleted with them)
    "person": (KEPT, "while anything refers to it; people.purge_orphans deletes the others"),
    "user_account": (KEPT, "while the account exists"),
    "role_grant": (KEPT, "while the staff account exists (cascade)"),
    "contact_setting": (KEPT, "while the account exists (cascade)"),
    "push_subscription": (KEPT, "while the account exists (cascade)"),
    "sms_opt_out": (KEPT, "an opt-out must be honoured for as long as it stands"),
    "venue_operator": (KEPT, "while the staff account holds the role (cascade)"),
    "organisation_admin": (KEPT, "while the staff account holds the role (cascade)"),
    "sector_director": (KEPT, "while the staff account holds the role (cascade)"),
    "team_member": (KEPT, "while the member is in the team (cascade)"),
    "organisation": (KEPT, "the head's name and contact of an organisation, public role"),
    "venue": (KEPT, "the creating staff account id only"),
    # kept by law: the audit trail and the health records of the epidemic
    "audit_entry": (KEPT, "the audit log, kept by law"),
    "access_flag": (KEPT, "staff access flagged from the audit log, kept with it"),
    "audit_named_person": (KEPT, "the people a logged search named, kept with its entry"),
    "erasure_request": (KEPT, "proof of a citizen's erasure request: a bare person id, dates"),
    "case_record": (KEPT, "health record of a case, kept under the health records law"),
    "lab_test": (KEPT, "health record, kept under the health records law"),
    "quarantine_order": (KEPT, "health record, kept under the health records law"),
    "follow_up": (KEPT, "health record, kept under the health records law"),
    "trace_run": (KEPT, "goes with its case (cascade)"),
    "escrow_opening": (KEPT, "goes with its case (cascade); the asking staff id"),
    "escrow_approval": (KEPT, "goes with its opening (cascade); approving staff ids"),
    "hotspot_alert": (KEPT, "a venue and a window; only the marking staff id"),
    "hotspot_notice": (PURGED, "ondevice.purge_notices"),
    "tracing_policy": (KEPT, "policy versions; only the author's staff id"),
    # rollout oversight: staff work records
    "report": (KEPT, "an organisation's report; staff ids only"),
    "report_form": (KEPT, "staff id of the author only"),
    "report_event": (KEPT, "staff ids and labels of a report's history"),
    "adhoc_request": (KEPT, "staff id of the author only"),
    "adhoc_answer": (KEPT, "staff id and label of who answered"),
    "campaign": (KEPT, "staff ids of author, approver, launcher"),
    # messages: EPITRACE_ALERTS_RETENTION_DAYS after they were made, once final
    "outbox_message": (PURGED, "alerts.purge"),
    "inbound_sms": (PURGED, "alerts.purge"),
    "campaign_phone": (PURGED, "alerts.purge (once its campaign ended that long ago)"),
    "exposure_report": (PURGED, "exposure.purge"),
    "declaration": (PURGED, "declarations.purge"),
    "declaration_follow_up": (PURGED, "declarations.purge (with its declaration)"),
    "feedback": (PURGED, "feedback.purge (with the photo files)"),
    "household": (PURGED, "rollout.purge_visits (once nobody visited it in the period)"),
    "household_visit": (PURGED, "rollout.purge_visits"),
    "roster_member": (PURGED, "rollout.purge_rosters (no upload confirmed them for a period)"),
}

# A column with one of these names makes a table personal (people's identity or contact, a
# person or account beside a place or a time, health data, free text from citizens).
PERSONAL_COLUMNS = frozenset(
    {
        "full_name",
        "head_name",
        "phone",
        "contact_phone",
        "email",
        "contact_email",
        "id_number",
        "address",
        "ip",
        "ip_address",
        "user_agent",
        "endpoint",
        "person_id",
        "user_id",
        "actor_id",
        "actor_label",
        "manual_visitor_id",
        "recorded_by",
        "created_by",
        "ran_by",
        "issued_by",
        "marked_by",
        "answered_by",
        "answered_by_id",
        "by_user_id",
        "submitted_by_id",
        "case_id",
        "order_id",
        "presence_id",
        "household_id",
        "text",
        "notes",
        "symptoms",
    }
)


def _tables() -> dict[str, Table]:
    domain_modules("models")  # imports every domain's models: all tables registered
    return dict(Base.metadata.tables)


def test_every_personal_table_is_classified() -> None:
    tables = _tables()
    personal = {
        name for name, table in tables.items() if PERSONAL_COLUMNS & set(table.columns.keys())
    }
    assert sorted(personal - RETENTION.keys()) == [], "classify these tables in RETENTION"
    assert sorted(RETENTION.keys() - tables.keys()) == [], "no such tables"
    purging_jobs = {job.name for job in jobs.all_jobs()}
    for name, (disposition, how) in RETENTION.items():
        assert disposition in (PURGED, KEPT, GAP), name
        if disposition == PURGED:
            assert how.split(" ")[0] in purging_jobs, (name, how)


def test_the_privacy_document_lists_every_classified_table() -> None:
    text = (Path(__file__).parents[1] / "docs" / "privacy.md").read_text(encoding="utf-8")
    missing = [name for name in RETENTION if f"`{name}`" not in text]
    assert missing == []


def _seed(session: Session, now: datetime) -> dict[str, object]:
    make_places(session)
    ward = "00070"
    person = Person(full_name="Nguyễn Văn An", phone="+84912000001", id_number="001099000001")
    person.ward_code = ward
    # someone a neighbour declared for: only their declaration refers to them
    declared = Person(full_name="Đỗ Văn Cường", phone="+84912000003")
    session.add_all([person, declared])
    session.flush()
    account = UserAccount(kind="citizen", phone="+84912000001", person_id=person.id)
    venue = Venue(number=990001, name="Chợ Thử", category=VenueCategory.MARKET, ward_code=ward)
    visitor = ManualVisitor(full_name="Trần Thị Bình", phone="+84912000002")
    session.add_all([account, venue, visitor])
    session.flush()
    presence = Presence(
        venue_id=venue.id,
        ward_code=ward,
        person_id=person.id,
        entered_at=now - timedelta(hours=1),
        left_at=now,
        method=PresenceMethod.SELF_SCAN,
    )
    manual = Presence(
        venue_id=venue.id,
        ward_code=ward,
        manual_visitor_id=visitor.id,
        entered_at=now - timedelta(hours=1),
        left_at=now,
        method=PresenceMethod.MANUAL,
    )
    case = Case(
        person_id=person.id,
        ward_code=ward,
        test_type=case_models.TestType.PCR,
        sampled_at=now,
        confirmed_at=now,
    )
    order = QuarantineOrder(
        person_id=person.id,
        reason="f1",
        kind=QuarantineKind.HOME,
        ward_code=ward,
        starts_at=now - timedelta(days=1),
        ends_at=now + timedelta(days=13),
    )
    code = VerificationCode(
        code_hash="c" * 64,
        area_code=ward,
        report_type=1,
        test_date=now.date(),
        expires_at=now + timedelta(hours=1),
    )
    session.add_all([presence, manual, case, order, code])
    session.flush()
    session.add_all(
        [
            ScanReceipt(
                person_id=person.id,
                client_key="k" * 32,
                venue_id=venue.id,
                scanned_at=now - timedelta(hours=1),
                outcome="checked_in",
                presence_id=presence.id,
            ),
            QuarantineBreach(
                order_id=order.id,
                presence_id=presence.id,
                venue_id=venue.id,
                ward_code=ward,
                entered_at=presence.entered_at,
            ),
            ContactLink(
                case_id=case.id,
                level=1,
                contact_key=f"m:{visitor.id}",
                manual_visitor_id=visitor.id,
                source_key=f"p:{person.id}",
                contact_presence_id=manual.id,
                source_presence_id=presence.id,
                venue_id=venue.id,
                ward_code=ward,
                exposed_at=now - timedelta(hours=1),
                exposure_end=now,
                overlap_minutes=60,
                trace_id=uuid.uuid4(),
            ),
            ExposureKey(
                key_data=os.urandom(16),
                rolling_start_interval_number=schedule.en_interval_number(now - timedelta(days=1))
                // 144
                * 144,
                rolling_period=144,
                report_type=1,
                region="VN",
                verification_code_id=code.id,
                publish_after=now + timedelta(days=1),
            ),
            RateCounter(key="otp:+84912000001", window_start=int(now.timestamp()), count=1),
            WebSession(
                id_hash="s" * 64,
                user_id=account.id,
                csrf_token="t" * 32,
                ip_address="203.0.113.7",
                last_seen_at=now,
                expires_at=now + timedelta(hours=8),
            ),
            ApiToken(token_hash="a" * 64, user_id=account.id, expires_at=now + timedelta(days=1)),
            OtpChallenge(
                phone="+84912000001", code_hash="o" * 64, expires_at=now + timedelta(minutes=5)
            ),
            AuditEntry(
                actor_label="officer",
                action="read",
                subject_type="person",
                subject_id=str(person.id),
                ip="203.0.113.8",
            ),
            IndicatorSnapshot(
                day=now.date() - timedelta(days=1),
                unit_type=IndicatorUnit.AREA,
                area_code=ward,
                checkins=1,
                computed_at=now,
            ),
            OutboxMessage(
                kind="contact",
                template="contact_f1",
                group_key="contact:test",
                recipient_key=f"p:{person.id}",
                person_id=person.id,
                phone="+84912000001",
                channel="sms",
                status="delivered",
            ),
            InboundSms(phone="+84912000001", text="STOP", action="opt_out"),
            ExposureReport(
                exposure_date=now.date(),
                windows=1,
                person_id=person.id,
                idempotency_key="r" * 32,
            ),
            HotspotNotice(
                venue_id=venue.id,
                ward_code=ward,
                starts_at=now - timedelta(hours=2),
                ends_at=now - timedelta(hours=1),
                severity="get_tested",
                instructions_vi="Đi xét nghiệm.",
                issued_at=now,
                expires_at=now - timedelta(hours=1) + timedelta(days=21),
                changed_at=now,
                kid=1,
                payload="e30",
                signature="x",
            ),
        ]
    )
    declaration = Declaration(
        person_id=declared.id,
        submitted_by_id=account.id,
        subject="other",
        full_name=declared.full_name,
        id_kind="cccd",
        id_number="001099000003",
        birth_year=1990,
        gender="male",
        nationality="Việt Nam",
        ward_code=ward,
        street="1 Hàng Bạc",
        phone="+84912000003",
        symptoms=["fever"],
        has_symptoms=True,
        consent=True,
    )
    team = CommunityTeam(ward_code=ward, name="Tổ 1")
    school = Organisation(
        name="Trường Tiểu học Thử",
        kind=OrganisationKind.SCHOOL,
        sector=Sector.EDUCATION,
        ward_code=ward,
    )
    session.add_all([declaration, team, school])
    session.flush()
    session.add(RosterMember(organisation_id=school.id, full_name="Lê Văn Giáo",
                             phone="+84912000009", department="Tổ Toán"))  # fmt: skip
    household = Household(
        ward_code=ward, team_id=team.id, address="5 Lê Lợi", head_name="Chủ hộ", members=4
    )
    session.add_all(
        [
            FollowUp(declaration_id=declaration.id, by_label="Cán bộ phường", note="Đã gọi điện"),
            household,
            Feedback(
                person_id=person.id,
                category="gathering",
                ward_code=ward,
                text="Tụ tập đông người",
                photo_file=PHOTO,
                photo_type="image/png",
            ),
        ]
    )
    session.flush()
    session.add(
        HouseholdVisit(
            household_id=household.id,
            recorded_by=account.id,
            client_key="v1",
            visited=True,
            visited_at=now,
        )
    )
    return {"person": person.id, "declared": declared.id}


# Seeded personal rows per table, and what remains once the database is past every period.
SEEDED = {
    Presence: 2,
    ScanReceipt: 1,
    ManualVisitor: 1,
    QuarantineBreach: 1,
    ContactLink: 1,
    ExposureKey: 1,
    VerificationCode: 1,
    RateCounter: 1,
    WebSession: 1,
    ApiToken: 1,
    OtpChallenge: 1,
    Person: 2,
    UserAccount: 1,
    Case: 1,
    QuarantineOrder: 1,
    AuditEntry: 1,
    OutboxMessage: 1,
    InboundSms: 1,
    ExposureReport: 1,
    Declaration: 1,
    FollowUp: 1,
    Feedback: 1,
    Household: 1,
    HouseholdVisit: 1,
    HotspotNotice: 1,
    RosterMember: 1,
}
SEEDED_BY_NAME = {model.__tablename__: n for model, n in SEEDED.items()}


def _counts(db: Database) -> dict[str, int]:
    with db.session_scope() as s:
        return {
            model.__tablename__: int(s.scalar(select(func.count()).select_from(model)) or 0)
            for model in SEEDED
        }


def test_a_database_aged_past_every_period_keeps_only_what_the_law_keeps(
    db: Database, settings: Settings
) -> None:
    start = datetime.now(UTC).replace(microsecond=0)
    photo = settings.uploads_dir / feedback_service.FOLDER / PHOTO
    photo.parent.mkdir(parents=True, exist_ok=True)
    photo.write_bytes(b"\x89PNG")
    with time_machine.travel(start, tick=False), db.session_scope() as s:
        seeded = _seed(s, start)
    # a few minutes on, inside every period: the jobs run (the roll-up counts the check-ins)
    with time_machine.travel(start + timedelta(minutes=5), tick=False):
        first = jobs.run_once(db, settings)
    assert [name for name, outcome in first.items() if not outcome.startswith("ok")] == []
    # within every period nothing personal is removed (the jobs may add: the breach's alert)
    within = _counts(db)
    assert {n: c for n, c in within.items() if c < SEEDED_BY_NAME[n]} == {}
    with db.session_scope() as s:
        rolled_up = s.scalar(select(func.sum(VenueDayCount.checkins)))
    assert rolled_up == 2  # the aggregate was counted before the presences go

    longest = max(
        settings.retention_days,
        settings.alerts_retention_days,
        settings.declaration_retention_days,
        settings.feedback_retention_days,
        settings.household_retention_days,
        settings.roster_retention_days,
    )
    later = start + timedelta(days=longest + 2)
    with time_machine.travel(later, tick=False):
        aged = jobs.run_once(db, settings)
    assert [name for name, outcome in aged.items() if not outcome.startswith("ok")] == []

    counts = _counts(db)
    for model in SEEDED:
        name = model.__tablename__
        disposition, how = RETENTION[name]
        expected = 0 if disposition == PURGED else within[name]
        if model is Person:  # kept while referred to: checked one by one below
            expected = within[name] - 1
        assert (name, counts[name]) == (name, expected), how
    with db.session_scope() as s:
        # the aggregates stay: the per-venue day counts and the indicator snapshot
        assert s.scalar(select(func.sum(VenueDayCount.checkins))) == 2
        assert s.scalar(select(func.count()).select_from(IndicatorSnapshot)) >= 1
        # the audit entry is the one seeded, intact
        entry = s.scalars(select(AuditEntry)).one()
        assert (entry.action, entry.ip) == ("read", "203.0.113.8")
        # the person only a declaration referred to is gone with it; the account holder stays
        assert s.get(Person, seeded["declared"]) is None
        assert s.get(Person, seeded["person"]) is not None
    assert not photo.exists()  # the feedback's photo left with its row
