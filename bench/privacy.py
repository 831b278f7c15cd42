"""Privacy modes benchmark: the time to trace one case in each mode, on the same population.

`python -m bench.privacy` loads a synthetic population (bench.population) into a fresh
PostgreSQL database (created and dropped here) and times F1+F2 for a few cases:

- central: the engine on the stored identities (as bench.tracing);
- escrow: the same cases after every presence was sealed to its day's key; a trace is the
  opening (every presence of the case's days decrypted into a temporary table, after the two
  shares were combined) and the engine on that table. The contacts must be the central ones.
- on-device: the server holds no presence; the case's visits in the infectious window (as
  their phone lists them, read here from the central rows before timing) become one signed
  hotspot notice each. The contacts are never known to the server: each phone matches the
  notices itself, so the row has no F1/F2.

`--full` is the reference size of bench.tracing: 1,000,000 people, 50,000 venues, 14 days
(about 20M presences). Sealing the loaded population (the check-ins' own cost, spread over
their days in production) is timed and reported apart.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy import Engine, create_engine, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from bench.population import START, Spec, load
from bench.tracing import pick_cases
from epitrace import localtime
from epitrace.cases.models import Case, TestType
from epitrace.checkins.models import Presence
from epitrace.domains import import_models
from epitrace.escrow import crypto
from epitrace.escrow import service as escrow_service
from epitrace.escrow.models import EscrowOpening, OpeningStatus
from epitrace.ondevice import service as ondevice_service
from epitrace.ondevice.service import VisitWindow
from epitrace.security.keys import Keyring
from epitrace.tracing.engine import trace_case
from epitrace.tracing.models import ContactLink
from epitrace.tracing.policy import DEFAULT_POLICY

POSTGRES_URL = os.environ.get(
    "EPITRACE_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
_CHUNK = 20_000
# from this population on, the escrow mode times its cases without a warm-up opening
_NO_ESCROW_WARMUP = 200_000


@dataclass
class Mode:
    name: str
    ms: list[float] = field(default_factory=list)
    f1: list[int] = field(default_factory=list)
    f2: list[int] = field(default_factory=list)
    note: str = ""


def _case(session: Session, person: uuid.UUID, spec: Spec) -> Case:
    as_of = START + timedelta(days=spec.days)
    case = Case(
        person_id=person,
        ward_code=spec.province,
        test_type=TestType.PCR,
        sampled_at=as_of - timedelta(days=3),
        confirmed_at=as_of - timedelta(days=2),
        onset_at=as_of - timedelta(days=5),
        isolated_at=as_of - timedelta(days=2),
    )
    session.add(case)
    session.flush()
    return case


def _contacts(session: Session, case: Case) -> set[tuple[int, str]]:
    rows = session.execute(
        select(ContactLink.level, ContactLink.contact_key).where(ContactLink.case_id == case.id)
    )
    return {(int(level), str(key)) for level, key in rows}


def central(
    engine: Engine, people: list[uuid.UUID], spec: Spec
) -> tuple[Mode, list[set], list[list[VisitWindow]]]:  # type: ignore[type-arg]
    """The engine on stored identities; also each case's visits in its infectious window."""
    mode, found, visits = Mode("central"), [], []
    as_of = START + timedelta(days=spec.days)
    for pid in people:
        with Session(engine) as session:
            case = _case(session, pid, spec)
            started = time.perf_counter()
            outcome = trace_case(session, case=case, policy=DEFAULT_POLICY, as_of=as_of)
            mode.ms.append((time.perf_counter() - started) * 1000)
            mode.f1.append(outcome.f1_count)
            mode.f2.append(outcome.f2_count)
            found.append(_contacts(session, case))
            window = outcome.trace.window_start, outcome.trace.window_end
            rows = session.execute(
                select(Presence.venue_id, Presence.entered_at, Presence.left_at).where(
                    Presence.person_id == pid,
                    Presence.entered_at >= window[0],
                    Presence.entered_at < window[1],
                )
            ).all()
            visits.append([VisitWindow(v, s, e or s + timedelta(hours=1)) for v, s, e in rows])
            session.rollback()
    return mode, found, visits


def on_device(engine: Engine, spec: Spec, visits: list[list[VisitWindow]]) -> Mode:
    """Each case's visits published as signed notices (the on-device mode's "trace")."""
    mode = Mode("on-device")
    published: list[int] = []
    as_of = START + timedelta(days=spec.days)
    with tempfile.TemporaryDirectory() as keys_dir:
        keyring = Keyring(Path(keys_dir))
        for case_visits in visits:
            with Session(engine) as session:
                started = time.perf_counter()
                notices = ondevice_service.publish_case_notices(
                    session,
                    keyring=keyring,
                    visits=case_visits,
                    severity="get_tested",
                    instructions_vi="Bạn đã ở cùng nơi với một ca bệnh: hãy đi xét nghiệm.",
                    instructions_en="You were where a case was: please get tested.",
                    actor=None,
                    now=as_of,
                    retention_days=21,
                )
                session.flush()
                mode.ms.append((time.perf_counter() - started) * 1000)
                published.append(len(notices))
                session.rollback()
    mode.note = (
        f"publishes {statistics.median(published):,.0f} signed notices per case (median); "
        "phones match them, the server learns no contact"
    )
    return mode


def seal_all(engine: Engine, spec: Spec) -> tuple[dict[date, X25519PrivateKey], float, int]:
    """A key ceremony for the period, then every presence sealed and its identity removed."""
    days = [localtime.today(START) - timedelta(days=1) + timedelta(days=i) for i in range(
        spec.days + 3)]  # fmt: skip
    made = crypto.generate(days)
    keys = {d: crypto.combine(made.shares["a"][d], made.shares["b"][d]) for d in days}
    public = {k.day: k.public_key for k in made.public}
    started = time.perf_counter()
    sealed_n = 0
    with Session(engine) as session:
        escrow_service.import_keys(session, ceremony=made.ceremony_id, keys=made.public)
        rows = session.execute(
            select(Presence.id, Presence.person_id, Presence.manual_visitor_id, Presence.entered_at)
        ).all()
        batch: list[dict[str, object]] = []
        for pid, person, visitor, entered in rows:
            day = localtime.today(entered)
            identity = crypto.Identity(person_id=person, manual_visitor_id=visitor)
            batch.append(
                {
                    "b_id": pid,
                    "sealed": crypto.seal(public[day], identity, presence_id=pid, day=day),
                    "day": day,
                }
            )
            if len(batch) >= _CHUNK:
                sealed_n += _write(session, batch)
                batch = []
        if batch:
            sealed_n += _write(session, batch)
        session.commit()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE presence" if engine.dialect.name != "sqlite"
                          else "ANALYZE"))  # fmt: skip
    return keys, time.perf_counter() - started, sealed_n


def _write(session: Session, batch: list[dict[str, object]]) -> int:
    from sqlalchemy import bindparam  # noqa: PLC0415 - the bench's own statement

    stmt = (
        update(Presence.__table__)
        .where(Presence.__table__.c.id == bindparam("b_id"))
        .values(
            sealed_identity=bindparam("sealed"),
            key_day=bindparam("day"),
            person_id=None,
            manual_visitor_id=None,
        )
    )
    session.connection().execute(stmt, batch)
    return len(batch)


def escrow(
    engine: Engine,
    people: list[uuid.UUID],
    spec: Spec,
    keys: dict[date, X25519PrivateKey],
    expected: list[set],  # type: ignore[type-arg]
) -> Mode:
    mode = Mode("escrow")
    opened: list[int] = []
    as_of = START + timedelta(days=spec.days)
    for pid, want in zip(people, expected, strict=True):
        with Session(engine) as session:
            case = _case(session, pid, spec)
            first, last = escrow_service.opening_days(case, DEFAULT_POLICY, as_of)
            opening = EscrowOpening(
                id=uuid.uuid4(), case_id=case.id, first_day=first, last_day=last,
                requested_at=as_of, expires_at=as_of, status=OpeningStatus.REQUESTED,
            )  # fmt: skip
            started = time.perf_counter()
            trace = escrow_service.open_and_trace(
                session, opening=opening, case=case, keys=keys, policy=DEFAULT_POLICY
            )
            mode.ms.append((time.perf_counter() - started) * 1000)
            mode.f1.append(trace.f1_count)
            mode.f2.append(trace.f2_count)
            opened.append(opening.opened_presences)
            if _contacts(session, case) != want:
                raise SystemExit(f"escrow and central disagree for {pid}")
            session.rollback()
    mode.note = f"opens {statistics.median(opened):,.0f} presences per case (median)"
    return mode


def report(label: str, presences: int, modes: list[Mode], sealing: tuple[float, int]) -> None:
    print(f"[{label}] {presences:,} presences; same contacts in every mode")
    print(f"[{label}] {'mode':<10} {'median ms':>10} {'min':>9} {'max':>9} {'F1':>6} {'F2':>7}")
    for m in modes:
        f1 = f"{statistics.median(m.f1):>6.0f}" if m.f1 else f"{'–':>6}"
        f2 = f"{statistics.median(m.f2):>7.0f}" if m.f2 else f"{'–':>7}"
        print(
            f"[{label}] {m.name:<10} {statistics.median(m.ms):>10.1f} {min(m.ms):>9.1f} "
            f"{max(m.ms):>9.1f} {f1} {f2}  {m.note}"
        )
    seconds, n = sealing
    print(
        f"[{label}] sealing the population once: {n:,} presences in {seconds:.1f} s "
        f"({seconds / max(n, 1) * 1e6:.0f} µs each, the check-ins' own cost)"
    )
    print(f"[{label}] machine load average (1 min): {os.getloadavg()[0]:.1f}")


def run(engine: Engine, spec: Spec, *, cases: int, label: str) -> None:
    import_models()
    localtime.configure("Asia/Ho_Chi_Minh")
    print(f"[{label}] loading {spec.people:,} people, {spec.venues:,} venues, {spec.days} days…")
    loaded = load(engine, spec)
    people = pick_cases(engine, cases + 1, spec)
    # the first case warms the connection and the plan cache in each mode
    warm, found, visits = central(engine, people, spec)
    base = Mode("central", warm.ms[1:], warm.f1[1:], warm.f2[1:])
    device = on_device(engine, spec, visits)
    device = Mode("on-device", device.ms[1:], note=device.note)
    keys, seconds, n = seal_all(engine, spec)
    if spec.people >= _NO_ESCROW_WARMUP:
        # an opening lasts minutes at this size: a cold plan cache is noise, a second one is not
        sealed = escrow(engine, people[1:], spec, keys, found[1:])
    else:
        sealed = escrow(engine, people, spec, keys, found)
        sealed = Mode("escrow", sealed.ms[1:], sealed.f1[1:], sealed.f2[1:], sealed.note)
    report(label, loaded.presences, [base, sealed, device], (seconds, n))


def postgres(spec: Spec, args: argparse.Namespace) -> None:
    name = f"bench_escrow_{secrets.token_hex(4)}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = create_engine(make_url(POSTGRES_URL).set(database=name))
    try:
        run(engine, spec, cases=args.cases, label="postgresql")
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def sqlite(spec: Spec, args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        try:
            run(engine, spec, cases=args.cases, label="sqlite")
        finally:
            engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--full", action="store_true", help="1M people, 50k venues, 14 days")
    parser.add_argument("--people", type=int)
    parser.add_argument("--venues", type=int)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--cases", type=int, default=3, help="cases timed (median reported)")
    parser.add_argument("--sqlite-people", type=int, default=5_000)
    parser.add_argument("--sqlite-venues", type=int, default=250)
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    people = args.people or (1_000_000 if args.full else 20_000)
    venues = args.venues or (50_000 if args.full else 1_000)
    postgres(Spec(people=people, venues=venues, days=args.days), args)
    if not args.skip_sqlite:
        sqlite(Spec(people=args.sqlite_people, venues=args.sqlite_venues, days=args.days), args)


if __name__ == "__main__":
    main()
