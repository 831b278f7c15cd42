"""Shared fixtures: every database test runs on SQLite and on PostgreSQL.

The schema is built once per backend by running the Alembic migrations; after each test all
tables are emptied. PostgreSQL is required: if it cannot be reached the tests fail, they are
never skipped (`EPITRACE_TEST_POSTGRES_URL` overrides the default address).
"""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

import pytest
import time_machine
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import settings as hypothesis_settings
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.orm import Session

from epitrace import migrations
from epitrace.accounts.sms import FileSmsChannel
from epitrace.app import create_app
from epitrace.config import Settings
from epitrace.db import Base, Database
from epitrace.domains import import_models
from epitrace.security import ratelimit
from tests import factories

# Speed is measured in the benchmarks, never in unit tests: no per-example deadline (a busy
# machine made a pure date-arithmetic property fail its 200 ms default now and then).
hypothesis_settings.register_profile("epitrace", deadline=None)
hypothesis_settings.load_profile("epitrace")

POSTGRES_URL = os.environ.get(
    "EPITRACE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BACKENDS = ("sqlite", "postgresql")


def _create_pg_database() -> tuple[str, str]:
    name = f"epitrace_t_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        pytest.fail(f"PostgreSQL is required for the test suite ({POSTGRES_URL}): {exc}")
    finally:
        admin.dispose()
    base, _, _ = POSTGRES_URL.rpartition("/")
    return name, f"{base}/{name}"


def _drop_pg_database(name: str) -> None:
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def database_urls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """One migrated database per backend for the whole run."""
    import_models()
    sqlite_path = tmp_path_factory.mktemp("db") / "epitrace.sqlite3"
    pg_name, pg_url = _create_pg_database()
    urls = {"sqlite": f"sqlite:///{sqlite_path}", "postgresql": pg_url}
    for url in urls.values():
        migrations.upgrade(url)
    yield urls
    _drop_pg_database(pg_name)


@pytest.fixture(scope="session")
def databases(database_urls: dict[str, str]) -> Iterator[dict[str, Database]]:
    dbs = {name: Database(url) for name, url in database_urls.items()}
    yield dbs
    for db in dbs.values():
        db.dispose()


def _empty_all_tables(db: Database) -> None:
    existing = set(inspect(db.engine).get_table_names())
    tables = [t.name for t in reversed(Base.metadata.sorted_tables) if t.name in existing]
    if db.dialect == "postgresql":
        with db.engine.begin() as conn:
            names = ", ".join(f'"{t}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} CASCADE"))
        return
    raw = db.engine.raw_connection()
    try:
        # Self-referencing rows (units, dependents) are deleted in any order; the pragma
        # only takes effect outside a transaction.
        raw.execute("PRAGMA foreign_keys=OFF")
        raw.execute("BEGIN IMMEDIATE")
        for table in tables:
            raw.execute(f'DELETE FROM "{table}"')  # noqa: S608 - our table names
        raw.execute("COMMIT")
        raw.execute("PRAGMA foreign_keys=ON")
    finally:
        raw.close()


@pytest.fixture(autouse=True)
def _rate_limits_counted_in_the_database() -> Iterator[None]:
    """A test that counted rate limits in Redis (an app with EPITRACE_REDIS_URL) leaves the
    process counting in the database again, as every other test expects."""
    yield
    ratelimit.configure("")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def db(backend: str, databases: dict[str, Database]) -> Iterator[Database]:
    database = databases[backend]
    yield database
    _empty_all_tables(database)


@pytest.fixture
def session(db: Database) -> Iterator[Session]:
    """A session whose work the test commits or not; tables are emptied afterwards."""
    with db.sessionmaker() as s:
        yield s
        s.rollback()


@pytest.fixture(scope="session")
def keys_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("keys")


@pytest.fixture
def settings(db: Database, tmp_path: Path, keys_dir: Path) -> Settings:
    return Settings(
        database_url=db.url,
        base_url="https://epitrace.example.vn",
        secret_key_file=tmp_path / "secret.key",
        keys_dir=keys_dir,
        uploads_dir=tmp_path / "uploads",
        exports_dir=tmp_path / "exports",
        sms_outbox=tmp_path / "sms.log",
        sms_backend="file",
        environment="test",
        cookie_secure=False,
        login_rate_limit=1000,
        # The route matrices add a relative for every route and role they walk through;
        # tests of the limit set their own.
        limit_dependents=1000,
    )


# The local calendar (UTC+7) is a day ahead of UTC from 17:00 to 24:00 UTC. A test whose
# expectation mixes UTC days (a GAEN key's day) with local days (an onset date, "today") takes
# `clock_phase` first among its fixtures and runs in both phases, whatever hour it is run at.
CLOCK_PHASES = {"same_date": time(5, 0), "local_date_ahead": time(20, 0)}


@pytest.fixture(params=sorted(CLOCK_PHASES))
def clock_phase(request: pytest.FixtureRequest) -> Iterator[str]:
    """Today at 05:00 UTC (12:00 local) or at 20:00 UTC (03:00 local the next day)."""
    moment = datetime.combine(datetime.now(UTC).date(), CLOCK_PHASES[request.param], UTC)
    with time_machine.travel(moment, tick=True):
        yield str(request.param)


@pytest.fixture
def app(settings: Settings, db: Database) -> FastAPI:
    return create_app(settings, database=db)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver") as c:
        yield c


@pytest.fixture
def sms(settings: Settings) -> FileSmsChannel:
    return FileSmsChannel(settings.sms_outbox)


@pytest.fixture
def places(db: Database) -> dict[str, Any]:
    """A small hierarchy: two provinces (01, 79), a three-level province (99) and wards."""
    with db.session_scope() as s:
        return factories.make_places(s)


@pytest.fixture
def make_staff(db: Database, client: TestClient) -> Any:
    """Create a staff account and return bearer headers for it."""

    def _make(role: str, area: str | None, username: str | None = None) -> dict[str, str]:
        name = username or f"{role}-{uuid.uuid4().hex[:6]}"
        with db.session_scope() as s:
            factories.staff(s, username=name, role=role, area=area)
        return factories.token_headers(client, username=name)

    return _make


@pytest.fixture
def citizen(client: TestClient, sms: FileSmsChannel) -> Any:
    """Sign a citizen up by phone and return bearer headers."""

    def _make(phone: str = "0912345678") -> dict[str, str]:
        return factories.citizen_headers(client, sms, phone)

    return _make
