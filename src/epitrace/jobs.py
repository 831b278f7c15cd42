"""Scheduled jobs: each domain lists its periodic work in `tasks.py` as `JOBS`.

`epitrace worker` runs them on a schedule (or once with `--once`); with SQLite the web
process can run them in a background thread instead (`EPITRACE_RUN_JOBS_IN_PROCESS`). Each
run is its own transaction; a failing job is logged and retried at its next turn.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from epitrace.config import Settings
from epitrace.db import Database
from epitrace.domains import domain_modules

log = logging.getLogger("epitrace.jobs")


@dataclass(frozen=True)
class Job:
    name: str
    interval_seconds: int
    run: Callable[[Session, Settings], object]


def all_jobs() -> list[Job]:
    jobs: list[Job] = []
    for module in domain_modules("tasks"):
        jobs.extend(getattr(module, "JOBS", []))
    return jobs


def run_once(db: Database, settings: Settings, jobs: list[Job] | None = None) -> dict[str, str]:
    """Run every job once; returns job name → outcome text."""
    outcomes: dict[str, str] = {}
    for job in jobs if jobs is not None else all_jobs():
        try:
            with db.session_scope() as session:
                result = job.run(session, settings)
            outcomes[job.name] = f"ok: {result}"
        except Exception as exc:  # one failing job must not stop the others
            log.exception("job %s failed", job.name)
            outcomes[job.name] = f"failed: {exc}"
    return outcomes


class Scheduler:
    """Runs due jobs in a loop until stopped (used by `epitrace worker` and the web process)."""

    def __init__(self, db: Database, settings: Settings, jobs: list[Job] | None = None) -> None:
        self.db = db
        self.settings = settings
        self.jobs = jobs if jobs is not None else all_jobs()
        self._stop = threading.Event()
        self._next: dict[str, float] = {}

    def tick(self, now: float) -> list[str]:
        ran = []
        for job in self.jobs:
            if now >= self._next.get(job.name, 0.0):
                run_once(self.db, self.settings, [job])
                self._next[job.name] = now + job.interval_seconds
                ran.append(job.name)
        return ran

    def run_forever(self, poll_seconds: float = 5.0) -> None:
        while not self._stop.is_set():
            self.tick(time.monotonic())
            self._stop.wait(poll_seconds)

    def start_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.run_forever, name="epitrace-jobs", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self._stop.set()
