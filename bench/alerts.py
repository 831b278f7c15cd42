"""Alerts benchmark: queue a campaign-sized audience, then drain it with several workers.

`python -m bench.alerts` (PostgreSQL; its own database, created and dropped here) measures,
each beside a baseline from the same run:
- `alert_service.enqueue_select` of every person with a phone (10 % with an account, 1 %
  opted out) against a plain `INSERT … SELECT` of the same rows into the same table (no
  account join, no opt-out check, no conflict clause): the price of the rules;
- draining `--drain` messages with `--workers` worker processes through the in-memory
  channel at `--rate` messages/s, against that configured rate (dispatch should be limited
  by the channel, not the database); and once more with an unlimited channel, which shows
  how much faster than the rate the database could go.

`--recipients 1000000` is the campaign size of docs/scaling.md; the default is a quick run.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import secrets
import time
from multiprocessing.synchronize import Event

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from epitrace import migrations
from epitrace.accounts.models import Person
from epitrace.alerts import service as alert_service
from epitrace.alerts import templates
from epitrace.alerts.channels.fake import FakeAdapter
from epitrace.alerts.dispatch import Dispatcher
from epitrace.alerts.models import Channel, OutboxMessage, Status
from epitrace.config import Settings
from epitrace.db import Database
from epitrace.domains import import_models
from epitrace.places import service as place_service
from epitrace.places.service import UnitRow

ADMIN_URL = os.environ.get(
    "EPITRACE_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
WARDS = 40


def create_database() -> tuple[str, str]:
    name = f"epitrace_bench_alerts_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return name, make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def drop_database(name: str) -> None:
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def seed(db: Database, people: int) -> None:
    """`people` persons with phones in 40 wards; every 10th has an account, 1 % opted out."""
    rows = [UnitRow("79", "Thành phố Hồ Chí Minh", "thành phố trung ương", None, 9_000_000)]
    rows += [UnitRow(f"9{i:04d}", f"Phường {i}", "phường", "79", 50_000) for i in range(WARDS)]
    with db.session_scope() as session:
        place_service.load(session, rows)
        session.execute(
            text(
                """
                INSERT INTO person (id, full_name, phone, ward_code, pseudonym, search_name,
                                    created_at)
                SELECT gen_random_uuid(), 'Người ' || i, '+8491' || lpad(i::text, 7, '0'),
                       '9' || lpad((i % :wards)::text, 4, '0'), 'bench' || i, '', now()
                FROM generate_series(1, :n) AS i
                """
            ),
            {"n": people, "wards": WARDS},
        )
        session.execute(
            text(
                """
                INSERT INTO user_account (id, kind, phone, display_name, person_id, is_active,
                                          locale, created_at)
                SELECT gen_random_uuid(), 'citizen', phone, full_name, id, true, 'vi', now()
                FROM person WHERE right(phone, 1) = '0'
                """
            )
        )
        session.execute(
            text(
                "INSERT INTO sms_opt_out (phone, source, created_at) "
                "SELECT phone, 'stop', now() FROM person WHERE right(phone, 2) = '17'"
            )
        )
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


BASELINE = """
INSERT INTO outbox_message (key, kind, template, group_key, recipient_key, person_id, phone,
    ward_code, locale, channel, status, urgent, sensitive, priority, attempts, due_at,
    expires_at, created_at)
SELECT gen_random_uuid(), 'test', 'test', 'baseline', 'p:' || replace(id::text, '-', ''), id,
    phone, ward_code, 'vi', 'sms', 'queued', true, false, 1, 0, now(),
    now() + interval '3 days', now()
FROM person WHERE phone IS NOT NULL
"""


def empty_outbox(db: Database) -> None:
    with db.engine.begin() as conn:
        conn.execute(text("TRUNCATE outbox_message, channel_state"))


def bench_enqueue(db: Database) -> tuple[float, float, int]:
    empty_outbox(db)
    started = time.perf_counter()
    with db.engine.begin() as conn:
        plain = conn.execute(text(BASELINE)).rowcount
    baseline = time.perf_counter() - started
    empty_outbox(db)
    started = time.perf_counter()
    with db.session_scope() as session:
        ours = alert_service.enqueue_select(
            session,
            source=alert_service.people_source(select(Person.id).where(Person.phone.is_not(None))),
            template="test",
            dedup_key="bench:campaign",
            channel=Channel.SMS,
        )
    elapsed = time.perf_counter() - started
    if ours != plain:
        raise SystemExit(f"enqueue_select queued {ours} rows, the baseline {plain}")
    return elapsed, baseline, ours


def work(url: str, name: str, rate: float, batch: int, go: Event, stop: Event) -> None:
    """One worker process: the in-memory channel at `rate`, until told to stop."""
    import_models()
    db = Database(url, pool_size=2, max_overflow=0)
    settings = Settings(database_url=url, alerts_batch_size=batch, environment="test")
    adapter = FakeAdapter(Channel.SMS, rate_per_second=rate)
    dispatcher = Dispatcher(db, settings, {Channel.SMS: adapter}, name=name)
    templates.all_templates()  # a long-running worker loads every domain's templates once
    go.wait()
    while not stop.is_set():
        one = dispatcher.run_once()
        if not one.claimed:
            stop.wait(min(one.wait_seconds or 0.02, 0.02))
    db.dispose()


def bench_drain(db: Database, url: str, count: int, workers: int, rate: float, batch: int) -> float:
    """Seconds to send `count` due messages with `workers` processes; returns messages/s."""
    empty_outbox(db)
    with db.session_scope() as session:
        alert_service.enqueue_select(
            session,
            source=alert_service.people_source(select(Person.id).order_by(Person.id).limit(count)),
            template="test",
            dedup_key="bench:drain",
            channel=Channel.SMS,
            urgent=True,  # the benchmark may run in quiet hours
        )
        total = session.scalar(
            select(func.count()).where(OutboxMessage.status == Status.QUEUED.value)
        )
    context = mp.get_context("spawn")
    go, stop = context.Event(), context.Event()
    procs = [
        context.Process(target=work, args=(url, f"bench-{i}", rate, batch, go, stop))
        for i in range(workers)
    ]
    for proc in procs:
        proc.start()
    time.sleep(3.0)  # let the processes import and connect
    started = time.perf_counter()
    go.set()
    pending = text("SELECT count(*) FROM outbox_message WHERE status IN ('queued', 'sending')")
    try:
        while True:
            time.sleep(0.05)
            with db.engine.connect() as conn:
                if conn.execute(pending).scalar_one() == 0:
                    break
        elapsed = time.perf_counter() - started
    finally:
        stop.set()
        for proc in procs:
            proc.join(timeout=30)
    return (total or 0) / elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--recipients", type=int, default=100_000, help="audience size")
    parser.add_argument("--drain", type=int, default=4_000, help="messages sent by workers")
    parser.add_argument("--workers", type=int, default=4, help="worker processes")
    parser.add_argument(
        "--rate", type=float, default=200.0, help="channel messages/s (4 operator links of 50)"
    )
    parser.add_argument("--batch", type=int, default=200, help="rows claimed at once")
    args = parser.parse_args()
    import_models()
    name, url = create_database()
    try:
        migrations.upgrade(url)
        db = Database(url)
        started = time.perf_counter()
        seed(db, args.recipients)
        print(f"seeded {args.recipients:,} people in {time.perf_counter() - started:.1f} s")
        ours, plain, rows = bench_enqueue(db)
        print(
            f"enqueue_select   {ours:7.2f} s for {rows:,} rows ({rows / ours:,.0f} rows/s)   "
            f"plain INSERT … SELECT {plain:6.2f} s   ratio {ours / plain:4.2f}"
        )
        drain = min(args.drain, args.recipients)
        limited = bench_drain(db, url, drain, args.workers, args.rate, args.batch)
        print(
            f"dispatch         {limited:8,.0f} messages/s with {args.workers} workers   "
            f"channel rate {args.rate:,.0f}/s   ratio {limited / args.rate:4.2f}"
        )
        unlimited = bench_drain(db, url, drain, args.workers, 1e9, args.batch)
        print(
            f"dispatch, no channel limit {unlimited:8,.0f} messages/s   "
            f"= {unlimited / args.rate:4.1f}× the configured rate (database headroom)"
        )
        db.dispose()
    finally:
        drop_database(name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
