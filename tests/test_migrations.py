"""Migrations build the schema the models describe, on both databases, and run backwards."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any, TypeVar

import pytest
from sqlalchemy import Uuid, create_engine, func, insert, inspect, select, text
from sqlalchemy import column as sa_column
from sqlalchemy import table as sa_table
from sqlalchemy.exc import IntegrityError

from epitrace import migrations
from epitrace.checkins.models import Presence
from epitrace.db import Base, UTCDateTime
from tests.conftest import POSTGRES_URL

T = TypeVar("T")


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('mig') / 'm.sqlite3'}"
        return
    name = f"epitrace_mig_{abs(hash(request.node.nodeid)) % 10**8}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield POSTGRES_URL.rpartition("/")[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_upgrade_check_downgrade_upgrade(empty_database: str) -> None:
    migrations.upgrade(empty_database)
    # the migrated schema matches the models exactly (alembic check)
    migrations.check(empty_database)
    engine = create_engine(empty_database)
    tables = set(inspect(engine).get_table_names())
    assert {t.name for t in Base.metadata.sorted_tables} <= tables
    engine.dispose()
    migrations.downgrade(empty_database, "base")
    engine = create_engine(empty_database)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
    migrations.upgrade(empty_database)


def test_history_has_one_head() -> None:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(migrations.alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1


def test_report_units_upgrade_a_database_with_reports(empty_database: str) -> None:
    """`23_report_units` turns the stored reports into administrative units' reports keyed by
    their code, and the new unique key holds them; downgrading keeps them."""
    migrations.upgrade(empty_database, "22_signup_counts")
    engine = create_engine(empty_database)
    form_id, report_id = uuid.uuid4().hex, uuid.uuid4().hex
    now = "2026-10-05 00:00:00+00:00"
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO admin_unit (code, name, unit_type, level, parent_code, path, "
                "updated_at) VALUES ('99', 'Tỉnh Thử', 'province', 1, NULL, '99.', :now)"
            ),
            {"now": now},
        )
        conn.execute(
            text(
                "INSERT INTO report_form (id, name, area_code, period_type, due_days, levels, "
                "active, created_at) VALUES (:id, 'Báo cáo tuần', '99', 'weekly', 1, 'province', "
                ":active, :now)"
            ),
            {"id": form_id, "active": True, "now": now},
        )
        conn.execute(
            text(
                "INSERT INTO report (id, form_id, unit_code, period_start, period_end, status, "
                "results, difficulties, proposals, review_comment, created_at, updated_at) "
                "VALUES (:id, :form, '99', '2026-09-28', '2026-10-04', 'approved', 'Xong', '', "
                "'', '', :now, :now)"
            ),
            {"id": report_id, "form": form_id, "now": now},
        )
        conn.execute(
            text(
                "INSERT INTO report_event (id, report_id, kind, actor_label, comment, "
                "created_at) VALUES (:id, :report, 'approve', 'Tỉnh', '', :now)"
            ),
            {"id": uuid.uuid4().hex, "report": report_id, "now": now},
        )
    engine.dispose()
    migrations.upgrade(empty_database)
    engine = create_engine(empty_database)
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT unit_type, unit_key, unit_code, organisation_id, sector FROM report")
        ).one()
        assert tuple(row) == ("area", "99", "99", None, "")
        kinds = conn.execute(text("SELECT organisation_kinds FROM report_form")).scalar_one()
        assert kinds == ""
        # the report's history survives the rebuilt table
        assert conn.execute(text("SELECT count(*) FROM report_event")).scalar_one() == 1
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO report (id, form_id, unit_type, unit_key, unit_code, sector, "
                "period_start, period_end, status, results, difficulties, proposals, "
                "review_comment, created_at, updated_at) VALUES (:id, :form, 'area', '99', "
                "'99', '', '2026-09-28', '2026-10-04', 'draft', '', '', '', '', :now, :now)"
            ),
            {"id": uuid.uuid4().hex, "form": form_id, "now": now},
        )
    engine.dispose()
    migrations.downgrade(empty_database, "22_signup_counts")
    engine = create_engine(empty_database)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT unit_code FROM report")).scalar_one() == "99"
        assert conn.execute(text("SELECT count(*) FROM report_event")).scalar_one() == 1
    engine.dispose()


@contextmanager
def _f0_contact_and_market(url: str, revision: str) -> Iterator[tuple[Any, Any, Any, Any]]:
    """A database at `revision` with its places, two people (an F0 and a contact) and a
    market: (session, f0, contact, market), committed when the block ends."""
    from epitrace.db import Database
    from epitrace.domains import import_models
    from tests import factories
    from tests.tracing import factories as tf

    import_models()
    migrations.upgrade(url, revision)
    db = Database(url)
    try:
        with db.session_scope() as s:
            factories.make_places(s)
            yield s, tf.person(s, "F0"), tf.person(s, "F1"), tf.venue(s)
    finally:
        db.dispose()


def _read(url: str, read: Callable[[Any], T]) -> T:
    """What `read` finds through a connection of its own."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return read(conn)
    finally:
        engine.dispose()


def _link_before_35(session: Any, *, case: Any, contact: Any, venue: Any, at: Any) -> None:
    """A link as revisions before `35_contact_link_lean` stored it (with an id of its own),
    and the trace that wrote it (revisions before 25 checked that key)."""
    from epitrace.tracing.models import Trace

    trace = Trace(case_id=case.id, policy_version=1, window_start=at, window_end=at, ran_at=at)
    session.add(trace)
    session.flush()
    columns = {
        "id": uuid.uuid4(),
        "case_id": case.id,
        "level": 1,
        "contact_key": f"p:{contact.id}",
        "person_id": contact.id,
        "manual_visitor_id": None,
        "source_key": f"p:{case.person_id}",
        "contact_presence_id": uuid.uuid4(),
        "source_presence_id": uuid.uuid4(),
        "venue_id": venue.id,
        "ward_code": venue.ward_code,
        "exposed_at": at,
        "exposure_end": at,
        "overlap_minutes": 60,
        "evidence_count": 1,
        "trace_id": trace.id,
        "created_at": at,
    }
    uuids = {"id", "case_id", "person_id", "manual_visitor_id", "contact_presence_id"}
    uuids |= {"source_presence_id", "venue_id", "trace_id"}
    old = sa_table(
        "contact_link",
        *(
            sa_column(name, Uuid() if name in uuids else UTCDateTime() if "_at" in name else None)
            for name in columns
        ),
    )
    session.execute(insert(old).values(**columns))


def test_tracing_lookups_keep_presences_their_receipts_and_the_links(empty_database: str) -> None:
    """`25_tracing_lookups` rebuilds `contact_link` on SQLite (its foreign key to the trace
    goes) and changes only indexes of `presence`: no row of either, nor a receipt that points
    at a presence (ON DELETE SET NULL), is lost or cut loose on the way."""
    from epitrace.checkins.models import ScanReceipt
    from epitrace.db import Database
    from epitrace.tracing.models import ContactLink
    from tests.tracing import factories as tf

    with _f0_contact_and_market(empty_database, "24_outbox_opt_out") as (s, f0, contact, market):
        # presences with the columns they had at that revision (the model has more now)
        seen_id = uuid.uuid4()
        for who, presence_id in ((f0, uuid.uuid4()), (contact, seen_id)):
            s.execute(
                insert(Presence.__table__),
                [
                    {
                        "id": presence_id,
                        "venue_id": market.id,
                        "ward_code": market.ward_code,
                        "person_id": who.id,
                        "entered_at": tf.at(60),
                        "left_at": tf.at(120),
                        "method": "self_scan",
                    }
                ],
            )
        s.add(
            ScanReceipt(
                person_id=contact.id,
                client_key="scan-1",
                venue_id=market.id,
                scanned_at=tf.at(60),
                outcome="checked_in",
                presence_id=seen_id,
            )
        )
        case = tf.case(s, who=f0, sampled=24 * 60)
        _link_before_35(s, case=case, contact=contact, venue=market, at=tf.at(60))
    migrations.upgrade(empty_database)
    db = Database(empty_database)
    with db.sessionmaker() as s:
        assert s.scalar(select(func.count()).select_from(Presence)) == 2
        assert s.scalar(select(ScanReceipt.presence_id)) == seen_id
        assert s.scalar(select(ContactLink.person_id)) == contact.id
    db.dispose()
    migrations.downgrade(empty_database, "24_outbox_opt_out")
    migrations.upgrade(empty_database)


def test_presence_partitions_keep_every_presence_and_what_names_it(empty_database: str) -> None:
    """`27_presence_partitions` turns the presences of PostgreSQL into a table partitioned by
    day (rows of days within reach get their own partition, the rest the default one) and
    finds every one afterwards; receipts and breaches keep naming theirs. SQLite keeps its
    table. Downgrading brings the plain table back with the rows."""
    from epitrace.cases.models import QuarantineBreach, QuarantineKind, QuarantineOrder
    from epitrace.checkins.models import ScanReceipt
    from epitrace.db import Database, utcnow
    from epitrace.domains import import_models
    from tests import factories
    from tests.tracing import factories as tf

    import_models()
    migrations.upgrade(empty_database, "26_presence_visitor_index")
    now = utcnow()
    moments = [now - timedelta(days=n, hours=3) for n in (0, 1, 5, 20)]
    moments.append(now - timedelta(days=2000))  # long past: the default partition
    ids = [uuid.uuid4() for _ in moments]
    engine = create_engine(empty_database)
    db = Database(empty_database)
    with db.session_scope() as s:
        factories.make_places(s)
        who, market = tf.person(s), tf.venue(s)
        market_id, who_id = market.id, who.id
        order = QuarantineOrder(
            person_id=who.id,
            kind=QuarantineKind.HOME,
            reason="f1",
            ward_code="26743",
            starts_at=now - timedelta(days=3),
            ends_at=now + timedelta(days=11),
        )
        s.add(order)
        s.flush()
        order_id = order.id
    # the rows as the tables stood at 26 (the models describe 27): plain SQL
    with engine.begin() as conn:
        for pid, moment in zip(ids, moments, strict=True):
            conn.execute(
                text(
                    "INSERT INTO presence (id, venue_id, ward_code, person_id, entered_at, "
                    "method, client_key, created_at) VALUES (:id, :v, '26743', :p, :at, "
                    "'self_scan', :key, :at)"
                ),
                {"id": _uuid(engine, pid), "v": _uuid(engine, market_id),
                 "p": _uuid(engine, who_id), "at": moment, "key": pid.hex[:12]},
            )  # fmt: skip
        conn.execute(
            text(
                "INSERT INTO checkin_scan (id, person_id, client_key, venue_id, scanned_at, "
                "outcome, presence_id, created_at) VALUES (:id, :p, 'k1', :v, :at, "
                "'checked_in', :presence, :at)"
            ),
            {"id": _uuid(engine, uuid.uuid4()), "p": _uuid(engine, who_id),
             "v": _uuid(engine, market_id), "at": moments[0],
             "presence": _uuid(engine, ids[0])},
        )  # fmt: skip
        conn.execute(
            text(
                "INSERT INTO quarantine_breach (id, order_id, presence_id, venue_id, ward_code, "
                "entered_at, status, detected_at) VALUES (:id, :o, :presence, :v, '26743', :at, "
                "'open', :at)"
            ),
            {"id": _uuid(engine, uuid.uuid4()), "o": _uuid(engine, order_id),
             "presence": _uuid(engine, ids[1]), "v": _uuid(engine, market_id),
             "at": moments[1]},
        )  # fmt: skip
    db.dispose()
    migrations.upgrade(empty_database)
    db = Database(empty_database)
    with db.sessionmaker() as s:
        assert set(s.scalars(select(Presence.id))) == set(ids)
        assert s.scalar(select(ScanReceipt.presence_id)) == ids[0]
        assert s.scalar(select(QuarantineBreach.presence_id)) == ids[1]
        if engine.dialect.name == "postgresql":
            rows = s.execute(text("SELECT id, tableoid::regclass::text FROM presence"))
            where = dict(rows.all())
            for pid, moment in zip(ids[:-1], moments[:-1], strict=True):
                assert where[pid] == f"presence_p{moment:%Y%m%d}"
            assert where[ids[-1]] == "presence_default"
            # one row per (client key, venue, time): the same scan cannot be stored twice
            with pytest.raises(IntegrityError), s.begin_nested():
                s.execute(
                    text(
                        "INSERT INTO presence (id, venue_id, ward_code, person_id, entered_at, "
                        "method, client_key, created_at) SELECT gen_random_uuid(), venue_id, "
                        "ward_code, person_id, entered_at, method, client_key, created_at "
                        "FROM presence WHERE id = :id"
                    ),
                    {"id": ids[0]},
                )
        else:
            assert "presence_default" not in inspect(engine).get_table_names()
    db.dispose()
    migrations.downgrade(empty_database, "26_presence_visitor_index")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM presence")).scalar_one() == len(ids)
        assert conn.execute(text("SELECT count(*) FROM quarantine_breach")).scalar_one() == 1
    engine.dispose()
    migrations.upgrade(empty_database)


def _uuid(engine: Any, value: uuid.UUID) -> str:
    """A uuid as each database stores it (SQLite: 32 hex digits)."""
    return str(value) if engine.dialect.name == "postgresql" else value.hex


def test_audit_named_person_indexes_the_searches_already_logged(empty_database: str) -> None:
    """`32_audit_named_person` fills its index from the searches and matches logged before it:
    a person's access history finds them without reading every search's detail."""
    from epitrace.security.models import AuditEntry, AuditNamedPerson

    migrations.upgrade(empty_database, "31_access_flags")
    one, two = uuid.uuid4(), uuid.uuid4()
    engine = create_engine(empty_database)
    base = {"actor_label": "officer", "action": "read", "subject_type": "person", "purpose": ""}
    with engine.begin() as conn:
        conn.execute(
            insert(AuditEntry.__table__),
            [
                {
                    **base,
                    "id": uuid.uuid4(),
                    "subject_id": "*",
                    "detail": {"ids": [str(one), str(two), "not-an-id", str(one)]},
                },
                {**base, "id": uuid.uuid4(), "subject_id": "*", "detail": {"matched": [str(two)]}},
                {**base, "id": uuid.uuid4(), "subject_id": str(one), "detail": {"ward": "00070"}},
                {**base, "id": uuid.uuid4(), "subject_id": "*", "detail": None},
            ],
        )
    engine.dispose()
    migrations.upgrade(empty_database)
    engine = create_engine(empty_database)
    with engine.connect() as conn:
        rows = conn.execute(select(AuditNamedPerson.person_id)).scalars().all()
        assert sorted(rows) == sorted([one, two, two])
    engine.dispose()
    migrations.downgrade(empty_database, "31_access_flags")
    migrations.upgrade(empty_database)


def test_lean_links_keep_every_link(empty_database: str) -> None:
    """`35_contact_link_lean` keys links by case and contact instead of an id of their own and
    drops their checked key to the case (a rebuild on SQLite): the links of a trace stay, and
    come back with an id and the key on the way down."""
    from epitrace.tracing.models import ContactLink
    from tests.tracing import factories as tf

    with _f0_contact_and_market(empty_database, "34_presence_no_ward_index") as people:
        s, f0, contact, market = people
        case = tf.case(s, who=f0, sampled=24 * 60)
        _link_before_35(s, case=case, contact=contact, venue=market, at=tf.at(60))

    def links(conn: Any) -> list[tuple[Any, ...]]:
        columns = (ContactLink.case_id, ContactLink.person_id, ContactLink.ward_code)
        return [tuple(row) for row in conn.execute(select(*columns))]

    def keys(conn: Any) -> list[str]:
        return [fk["referred_table"] for fk in inspect(conn).get_foreign_keys("contact_link")]

    def primary_key(conn: Any) -> list[str]:
        return list(inspect(conn).get_pk_constraint("contact_link")["constrained_columns"])

    before = _read(empty_database, links)
    assert before == [(case.id, contact.id, market.ward_code)]
    assert _read(empty_database, keys) == ["case_record"]
    migrations.upgrade(empty_database)
    assert _read(empty_database, links) == before
    assert _read(empty_database, keys) == []
    assert _read(empty_database, primary_key) == ["case_id", "contact_key"]
    migrations.downgrade(empty_database, "34_presence_no_ward_index")
    assert _read(empty_database, links) == before
    assert _read(empty_database, keys) == ["case_record"]
    assert _read(empty_database, primary_key) == ["id"]
    ids = _read(
        empty_database, lambda conn: conn.execute(text("SELECT id FROM contact_link")).all()
    )
    assert len(ids) == 1 and ids[0][0] is not None
    migrations.upgrade(empty_database)
