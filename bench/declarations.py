"""Declarations benchmark: pass verification, status lookups and officials' lists.

`python -m bench.declarations` measures, each beside a baseline from the same run:
- verifying personal passes (parse, key lookup, Ed25519, expiry) against bare Ed25519 verify
  of the same bytes: the cost of the format around the signature;
- the status of one person (latest declaration, case facts, the rules) against loading the
  person by primary key: what a pass or a status page costs in queries;
- the officials' 7-day list of one ward and the counts per ward per day of a province, against
  a bare `count(*)` of the declarations table.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ed25519
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from epitrace import migrations
from epitrace.accounts.models import Person, new_pseudonym
from epitrace.db import Database
from epitrace.declarations import passes
from epitrace.declarations import service as declaration_service
from epitrace.declarations.models import Declaration
from epitrace.domains import import_models
from epitrace.places import service as place_service
from epitrace.places.service import UnitRow
from epitrace.security import tokens
from epitrace.security.keys import Keyring
from epitrace.security.tokens import b64decode

NOW = datetime.now(UTC).replace(microsecond=0)
WARDS = 40


def timed(func: Callable[[], object], repeat: int) -> float:
    """Seconds per call, best of three rounds of `repeat` calls."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(repeat):
            func()
        best = min(best, (time.perf_counter() - start) / repeat)
    return best


def bench_passes(repeat: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        ring = Keyring(Path(tmp))
        text = passes.issue(ring, pseudonym=new_pseudonym(), colour=passes.Colour.YELLOW, now=NOW)
        raw = b64decode(text.removeprefix(passes.PREFIX))
        payload = raw[: -tokens.SIGNATURE_BYTES]
        key = ed25519.Ed25519PrivateKey.generate()
        public = key.public_key()
        sig = key.sign(payload)
        ours = timed(lambda: passes.verify(ring, text, now=NOW), repeat)
        bare = timed(lambda: public.verify(sig, payload), repeat)
    print(
        f"pass verify      {ours * 1e6:8.1f} µs   bare Ed25519 {bare * 1e6:8.1f} µs"
        f"   ratio {ours / bare:5.2f}   ({1 / ours:,.0f} passes/s on one core)"
    )


def populate(session: Session, count: int, rng: random.Random) -> list[uuid.UUID]:
    rows = [UnitRow("79", "Thành phố Hồ Chí Minh", "thành phố trung ương", None, 9_000_000)]
    rows += [UnitRow(f"9{i:04d}", f"Phường {i}", "phường", "79", 50_000) for i in range(WARDS)]
    place_service.load(session, rows)
    people = [uuid.uuid4() for _ in range(count // 3)]
    session.execute(
        insert(Person),
        [
            {"id": p, "full_name": f"Người {i}", "pseudonym": new_pseudonym()}
            for i, p in enumerate(people)
        ],
    )
    batch = []
    for _ in range(count):
        symptoms = ["fever"] if rng.random() < 0.05 else []
        exposures = ["case"] if rng.random() < 0.03 else []
        batch.append(
            {
                "id": uuid.uuid4(),
                "person_id": rng.choice(people),
                "subject": "self",
                "full_name": "Nguyễn Văn An",
                "id_kind": "cccd",
                "id_number": "079090123456",
                "birth_year": 1990,
                "gender": "male",
                "nationality": "Việt Nam",
                "ward_code": f"9{rng.randrange(WARDS):04d}",
                "street": "12 Lê Lợi",
                "phone": "+84912345678",
                "email": None,
                "travel": [],
                "symptoms": symptoms,
                "other_symptom": None,
                "exposures": exposures,
                "dose_dates": ["2021-08-01"],
                "has_symptoms": bool(symptoms),
                "has_exposure": bool(exposures),
                "consent": True,
                "submitted_at": NOW - timedelta(minutes=rng.randrange(30 * 24 * 60)),
            }
        )
        if len(batch) == 10_000:
            session.execute(insert(Declaration), batch)
            batch = []
    if batch:
        session.execute(insert(Declaration), batch)
    session.flush()
    return people


def bench_database(url: str, count: int, repeat: int) -> None:
    import_models()
    migrations.upgrade(url)
    db = Database(url)
    rng = random.Random(4)
    with db.session_scope() as session:
        start = time.perf_counter()
        people = populate(session, count, rng)
        print(
            f"loaded {count:,} declarations of {len(people):,} people in "
            f"{time.perf_counter() - start:.1f} s ({db.dialect})"
        )
    with db.sessionmaker() as session:
        ids = iter(rng.choices(people, k=repeat * 3))
        status = timed(
            lambda: declaration_service.get_status(
                session, person_id=next(ids), policy="declaration_based", now=NOW
            ),
            repeat,
        )
        ids = iter(rng.choices(people, k=repeat * 3))
        by_key = timed(lambda: session.get(Person, next(ids), populate_existing=True), repeat)
        print(
            f"status of one    {status * 1e3:8.2f} ms   person by key {by_key * 1e3:8.2f} ms"
            f"   ratio {status / by_key:5.2f}"
        )
        since = NOW - timedelta(days=7)
        listed = timed(
            lambda: declaration_service.get_flagged(
                session, area_path="79.", since=since, ward_code="90007"
            ),
            max(1, repeat // 20),
        )
        counts = timed(
            lambda: declaration_service.count_per_ward_day(session, area_path="79.", since=since),
            max(1, repeat // 50),
        )
        scan = timed(
            lambda: session.scalar(select(func.count()).select_from(Declaration)),
            max(1, repeat // 50),
        )
        print(
            f"ward list (7 d)  {listed * 1e3:8.2f} ms   count(*) {scan * 1e3:8.2f} ms"
            f"   ratio {listed / scan:5.2f}"
        )
        print(
            f"counts per ward  {counts * 1e3:8.2f} ms   count(*) {scan * 1e3:8.2f} ms"
            f"   ratio {counts / scan:5.2f}"
        )
    db.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--declarations", type=int, default=60_000)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument(
        "--database-url",
        default=None,
        help="an empty database to fill (default: a temporary SQLite file)",
    )
    args = parser.parse_args(argv)
    bench_passes(args.repeat * 10)
    if args.database_url:
        bench_database(args.database_url, args.declarations, args.repeat)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            bench_database(f"sqlite:///{tmp}/bench.sqlite3", args.declarations, args.repeat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
