"""Campaigns (service): audiences, preview, launch and four eyes, the scheduler, pause."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epitrace.alerts import campaigns, rendering
from epitrace.alerts import service as alert_service
from epitrace.alerts.campaign_schedule import Repeat
from epitrace.alerts.models import (
    AudienceKind,
    CampaignOccurrence,
    CampaignStatus,
    Channel,
    OutboxMessage,
    Status,
)
from epitrace.config import Settings
from epitrace.db import utcnow
from epitrace.errors import Conflict, Forbidden, InvalidInput
from epitrace.rollout import rosters
from epitrace.venues import service as venue_service
from tests.alerts import campaign_factories as cf
from tests.alerts import factories as af
from tests.sql import statements_sent


@pytest.fixture
def people(session: Session, places: Any) -> dict[str, Any]:
    dic = af.staff(session, "dic-a", "dic_officer", "79")
    other = af.staff(session, "dic-b", "dic_officer", "79")
    a, _ = af.citizen(session, "0912000001", name="Lê Thị Hoa", ward="26743")
    b, _ = af.citizen(session, "0912000002", name="Trần Văn Bình", ward="26743")
    c, _ = af.citizen(session, "0912000003", name="Phạm Văn Cường", ward="26734")
    d, _ = af.citizen(session, "0912000004", name="Ngô Thị Dung", ward="00070")  # Hà Nội
    alert_service.opt_out(session, phone="+84912000002", source="stop")
    return {"dic": dic, "other": other, "a": a, "b": b, "c": c, "d": d}


def _settings(threshold: int = 10_000) -> Settings:
    return Settings(campaign_approval_threshold=threshold, base_url="https://epitrace.example.vn")


def test_audience_of_a_ward_and_of_the_province(session: Session, people: Any) -> None:
    ward = cf.campaign(session, people["dic"].id)
    assert campaigns.audience_count(session, ward) == 2
    province = cf.campaign(session, people["dic"].id, audience_kind=AudienceKind.PROVINCE)
    assert campaigns.audience_count(session, province) == 3  # not the citizen of Hà Nội


def test_unknown_placeholder_is_refused_before_saving(session: Session, people: Any) -> None:
    with pytest.raises(InvalidInput) as caught:
        cf.campaign(session, people["dic"].id, text_vi="Chào {ten}")
    assert caught.value.code == "unknown_placeholder"
    assert "text_vi" in caught.value.fields


def test_a_unit_outside_the_province_is_refused(session: Session, people: Any) -> None:
    with pytest.raises(InvalidInput) as caught:
        cf.campaign(session, people["dic"].id, audience=("00070",))
    assert "units" in caught.value.fields


def test_preview_has_segments_cost_and_audience(session: Session, people: Any) -> None:
    campaign = cf.campaign(session, people["dic"].id)
    shown = campaigns.preview(session, campaign=campaign, settings=_settings())
    vi, en = shown.texts
    assert vi.text.startswith("Nguyễn Văn An ơi")
    assert "Phường Bến Thành" in vi.text
    assert "https://epitrace.example.vn" in vi.text
    assert en.locale == "en" and en.text.startswith("Nguyễn Văn An, please")
    assert vi.characters == len(vi.text)
    assert vi.segments == 1 and vi.cost == 800
    assert shown.audience == 2
    assert shown.total_cost == 1600
    assert shown.occurrences == 1


def test_launch_under_threshold_queues_at_once(session: Session, people: Any) -> None:
    campaign = cf.campaign(session, people["dic"].id)
    campaigns.launch(session, campaign=campaign, by=people["dic"].id, settings=_settings())
    assert campaign.status == CampaignStatus.FINISHED  # one occurrence, queued
    rows = af.messages(session, campaign_id=campaign.id)
    by_person = {r.person_id: r for r in rows}
    assert by_person[people["a"].id].status == Status.QUEUED
    assert by_person[people["a"].id].channel == Channel.SMS
    assert by_person[people["a"].id].params == {"name": "Lê Thị Hoa", "ward": "Phường Bến Thành"}
    # opted out: the account's inbox has it, no SMS
    assert by_person[people["b"].id].channel == Channel.INBOX
    assert by_person[people["b"].id].status == Status.DELIVERED
    assert {r.group_key for r in rows} == {f"campaign:{campaign.id}:1"}


def test_rendered_for_the_worker_and_the_inbox(session: Session, people: Any) -> None:
    campaign = cf.campaign(session, people["dic"].id)
    campaigns.launch(session, campaign=campaign, by=people["dic"].id, settings=_settings())
    rows = af.messages(session, campaign_id=campaign.id)
    rendered = rendering.render_rows(session, rows, base_url="https://x.vn", brand="Bo Y te")
    texts = {r.person_id: rendered[r.id].sms for r in rows}
    assert texts[people["a"].id].startswith("Lê Thị Hoa ơi")
    assert "Phường Bến Thành" in texts[people["a"].id]
    # the inbox shows the campaign's own text, under its name
    row = next(r for r in rows if r.person_id == people["a"].id)
    notice = alert_service.view(
        row, locale_code="vi", base_url="https://x.vn", brand="Bo Y te", session=session
    )
    assert notice.title == campaign.name
    assert notice.body.startswith("Lê Thị Hoa ơi")


def test_four_eyes_over_the_threshold(session: Session, people: Any) -> None:
    dic, other = people["dic"], people["other"]
    campaign = cf.campaign(session, dic.id)
    campaigns.launch(session, campaign=campaign, by=dic.id, settings=_settings(threshold=1))
    assert campaign.status == CampaignStatus.AWAITING_APPROVAL
    assert af.messages(session, campaign_id=campaign.id) == []
    with pytest.raises(Forbidden):
        campaigns.approve(session, campaign=campaign, by=dic.id)
    with pytest.raises(Conflict):
        campaigns.launch(session, campaign=campaign, by=dic.id, settings=_settings(threshold=1))
    campaigns.approve(session, campaign=campaign, by=other.id)
    assert campaign.approved_by == other.id
    assert len(af.messages(session, campaign_id=campaign.id)) == 2


def test_scheduler_queues_each_occurrence_once(session: Session, people: Any) -> None:
    start = cf.local_now(timedelta(hours=1))
    campaign = cf.campaign(
        session, people["dic"].id, repeat=Repeat.DAILY, repeat_count=3, start=start
    )
    campaigns.launch(session, campaign=campaign, by=people["dic"].id, settings=_settings())
    assert campaign.status == CampaignStatus.SCHEDULED
    assert af.messages(session, campaign_id=campaign.id) == []
    later = utcnow() + timedelta(days=1, hours=2)  # the first two are due
    assert campaigns.run_due(session, now=later) == 2
    assert campaigns.run_due(session, now=later) == 0  # run twice: nothing more
    rows = af.messages(session, campaign_id=campaign.id)
    assert len(rows) == 4  # two people, two occurrences
    assert campaign.status == CampaignStatus.RUNNING
    done = session.scalars(
        select(CampaignOccurrence).where(CampaignOccurrence.enqueued_at.is_not(None))
    ).all()
    assert sorted(o.recipients or 0 for o in done) == [2, 2]
    # even an occurrence marked not queued (a crash after the insert) queues nobody twice
    done[0].enqueued_at = None
    session.flush()
    campaigns.run_due(session, now=later)
    assert len(af.messages(session, campaign_id=campaign.id)) == 4
    campaigns.run_due(session, now=later + timedelta(days=2))
    assert campaign.status == CampaignStatus.FINISHED
    assert len(af.messages(session, campaign_id=campaign.id)) == 6


def test_pause_holds_and_resume_releases(session: Session, people: Any) -> None:
    campaign = cf.campaign(
        session, people["dic"].id, repeat=Repeat.DAILY, repeat_count=2, start=cf.local_now()
    )
    campaigns.launch(session, campaign=campaign, by=people["dic"].id, settings=_settings())
    assert campaigns.pause(session, campaign=campaign) == 1  # one SMS queued, one in the inbox
    statuses = {r.status for r in af.messages(session, campaign_id=campaign.id)}
    assert statuses == {Status.HELD, Status.DELIVERED}
    assert campaigns.run_due(session, now=utcnow() + timedelta(days=2)) == 0  # paused
    assert campaigns.resume(session, campaign=campaign) == 1
    rows = af.messages(session, campaign_id=campaign.id)
    assert Status.HELD not in {r.status for r in rows}
    assert campaign.status == CampaignStatus.RUNNING
    campaigns.cancel(session, campaign=campaign)
    assert {r.status for r in af.messages(session, campaign_id=campaign.id)} == {
        Status.CANCELLED,
        Status.DELIVERED,
    }


def test_organisation_staff_and_phone_list_audiences(session: Session, people: Any) -> None:
    org = venue_service.create_organisation(
        session, name="Trường Thử", kind="school", sector="education", ward_code="26743"
    )
    rosters.add_member(session, organisation=org, values={"full_name": "A", "phone": "0912000001"})
    rosters.add_member(session, organisation=org, values={"full_name": "B", "phone": "0933000009"})
    staff = cf.campaign(
        session,
        people["dic"].id,
        audience_kind=AudienceKind.ORGANISATIONS,
        audience=(str(org.id),),
    )
    assert campaigns.audience_count(session, staff) == 2
    listed = cf.campaign(session, people["dic"].id, audience_kind=AudienceKind.PHONES)
    campaigns.store_phones(
        session, campaign=listed, numbers=["+84912000001", "+84977000001", "+84977000002"]
    )
    assert campaigns.audience_count(session, listed) == 3
    campaigns.launch(session, campaign=listed, by=people["dic"].id, settings=_settings())
    rows = af.messages(session, campaign_id=listed.id)
    keys = sorted(r.recipient_key for r in rows)
    assert f"p:{people['a'].id.hex}" in keys  # the number of an account is that person
    assert "t:+84977000001" in keys
    count = session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.campaign_id == listed.id)
    )
    assert count == 3


def test_an_occurrence_is_written_in_one_statement(session: Session, people: Any) -> None:
    """Set-based: the statements of a sending do not grow with the audience."""

    def statements_for(extra: int) -> int:
        for n in range(extra):
            af.citizen(session, f"09130{n:05d}", name=f"Người {n}", ward="26743")
        campaign = cf.campaign(session, people["dic"].id, start=cf.local_now(timedelta(hours=1)))
        campaigns.launch(session, campaign=campaign, by=people["dic"].id, settings=_settings())
        with statements_sent(session.get_bind()) as seen:
            campaigns.run_due(session, now=utcnow() + timedelta(hours=2), campaign_id=campaign.id)
        inserts = [s for s in seen if s.lstrip().upper().startswith(("INSERT", "WITH"))]
        assert len(inserts) == 1
        return len(seen)

    assert statements_for(0) == statements_for(30)
