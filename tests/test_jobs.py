"""Scheduled jobs: discovery, one transaction each, failures isolated, schedule respected."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epitrace import jobs
from epitrace.accounts.models import OtpChallenge
from epitrace.config import Settings
from epitrace.db import Database, utcnow
from epitrace.security.models import RateCounter


def test_security_purge_removes_only_stale_rows(db: Database, settings: Settings) -> None:
    with db.session_scope() as s:
        s.add(RateCounter(key="old", window_start=1000, count=3))
        s.add(RateCounter(key="new", window_start=int(utcnow().timestamp()), count=1))
        s.add(
            OtpChallenge(
                phone="+84912345678", code_hash="x", expires_at=utcnow() - timedelta(days=2)
            )
        )
        s.add(
            OtpChallenge(
                phone="+84912345678", code_hash="y", expires_at=utcnow() + timedelta(minutes=5)
            )
        )
    names = {job.name for job in jobs.all_jobs()}
    assert "security.purge_expired" in names
    outcome = jobs.run_once(
        db, settings, [j for j in jobs.all_jobs() if j.name == "security.purge_expired"]
    )
    assert outcome == {"security.purge_expired": "ok: 2"}
    with db.session_scope() as s:
        assert s.scalars(select(RateCounter.key)).all() == ["new"]
        assert s.scalar(select(func.count()).select_from(OtpChallenge)) == 1


def test_a_failing_job_does_not_stop_the_others(db: Database, settings: Settings) -> None:
    def broken(session: Session, _settings: Settings) -> None:
        session.add(RateCounter(key="half-done", window_start=1, count=1))
        raise RuntimeError("disk full")

    def fine(session: Session, _settings: Settings) -> int:
        session.add(RateCounter(key="done", window_start=1, count=1))
        return 1

    outcome = jobs.run_once(
        db, settings, [jobs.Job("broken", 60, broken), jobs.Job("fine", 60, fine)]
    )
    assert outcome == {"broken": "failed: disk full", "fine": "ok: 1"}
    with db.session_scope() as s:
        assert s.scalars(select(RateCounter.key)).all() == ["done"]  # the failure rolled back


def test_scheduler_runs_each_job_when_due(db: Database, settings: Settings) -> None:
    calls: list[str] = []
    job = jobs.Job("count", 60, lambda _s, _c: calls.append("x"))
    scheduler = jobs.Scheduler(db, settings, [job])
    assert scheduler.tick(1000.0) == ["count"]
    assert scheduler.tick(1030.0) == []
    assert scheduler.tick(1060.0) == ["count"]
    assert calls == ["x", "x"]
