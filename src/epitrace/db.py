"""Database engine, session factory, declarative base and shared column types.

Services receive a `Session` and never commit: the request, CLI command or job owns the
transaction (see `session_scope`). SQLite takes one writer at a time: a process's writing
transactions queue at its `WriteGate` and start with `BEGIN IMMEDIATE` (docs/operations.md).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, ClassVar

import anyio
from sqlalchemy import (
    ColumnElement,
    Connection,
    DateTime,
    Engine,
    MetaData,
    String,
    create_engine,
    event,
    func,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

from epitrace.errors import N_, ServiceBusy

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def affected(result: object) -> int:
    """How many rows an UPDATE or DELETE changed (its result's rowcount)."""
    return int(getattr(result, "rowcount", 0) or 0)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


# Shared annotated column types.
# Column.info key: False on a column that names a person without keeping their record alive
# (people.tasks.purge_orphans keeps every person another column points at, except these)
KEEPS_PERSON = "keeps_person"

uuid_pk = Annotated[uuid.UUID, mapped_column(primary_key=True, default=uuid.uuid4)]
created_at = Annotated[datetime, mapped_column(UTCDateTime(), default=utcnow, nullable=False)]
place_code = Annotated[str, mapped_column(String(16))]


# Text matching. LIKE patterns are built here only, so that `_` and `%` typed by a user (or
# stored in a path) match themselves and never stand for "any character".


def contains_text(column: Any, text: str) -> ColumnElement[bool]:
    """Case-insensitive: the column contains `text` (trimmed) literally."""
    condition: ColumnElement[bool] = column.icontains(text.strip(), autoescape=True)
    return condition


def path_within(path: Any, area_path: Any) -> ColumnElement[bool]:
    """A unit's materialised path lies at or below `area_path` (both a string or SQL)."""
    if isinstance(area_path, str):
        condition: ColumnElement[bool] = path.startswith(area_path, autoescape=True)
        return condition
    prefix: ColumnElement[bool] = func.substr(path, 1, func.length(area_path)) == area_path
    return prefix


# How long a request or job waits for its turn to write to SQLite before it gives up (503).
SQLITE_WRITE_WAIT_SECONDS = 60.0
# SQLite's own wait for another process's write lock (a command run beside the server).
SQLITE_BUSY_TIMEOUT_MS = 30_000
_BEGIN_OPTION = "epitrace_sqlite_begin"
_CHANGES_AT_BEGIN = "epitrace_changes_at_begin"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # The driver's own transaction handling ("legacy" mode) starts no transaction before a
    # SELECT or a SAVEPOINT, so a savepoint released first committed on its own; we emit
    # BEGIN ourselves instead (SQLAlchemy's documented recipe, `_sqlite_begin`).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    options = conn.get_execution_options()
    if options.get("isolation_level") == "AUTOCOMMIT":
        return
    # A writer takes the write lock at once: a transaction that read first and then wants
    # to write fails at once ("database is locked") if another commit came in between.
    conn.exec_driver_sql("BEGIN IMMEDIATE" if options.get(_BEGIN_OPTION) else "BEGIN")
    conn.info[_CHANGES_AT_BEGIN] = conn.connection.dbapi_connection.total_changes  # type: ignore[union-attr]


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets foreign keys, WAL, a busy timeout and real transactions."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if "poolclass" not in kwargs:
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 20)
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


_gate_held: ContextVar[WriteGate | None] = ContextVar("epitrace_write_gate", default=None)


class WriteGate:
    """One writing transaction at a time in this process, so that SQLite writers queue.

    SQLite has a single writer per database file; without the gate concurrent requests race
    for its lock and the losers fail with "database is locked". Requests wait for the gate
    without blocking the event loop or a worker thread (`acquire_async`); jobs and commands
    wait in their own thread (`held`). Whoever holds the gate begins its transactions with
    `BEGIN IMMEDIATE`. The gate is not tied to a thread: a request takes it in one thread
    and gives it back in another.
    """

    def __init__(self, wait_seconds: float = SQLITE_WRITE_WAIT_SECONDS) -> None:
        self._lock = threading.Lock()
        self.wait_seconds = wait_seconds

    def holding(self) -> bool:
        """Whether the current job or command holds the gate (see `held`)."""
        return _gate_held.get() is self

    def _busy(self) -> ServiceBusy:
        return ServiceBusy(N_("The service is busy. Please try again in a minute."), retry_after=60)

    async def acquire_async(self) -> None:
        """Wait for the gate in a helper thread; the caller gives it back with `release`."""
        handoff = threading.Lock()
        state = {"abandoned": False, "delivered": False}

        def wait() -> bool:
            got = self._lock.acquire(timeout=self.wait_seconds)
            with handoff:
                if got and state["abandoned"]:
                    self._lock.release()
                    return False
                state["delivered"] = got
            return got

        try:
            # Its own limiter: waiting requests must not use up the threads that the
            # request holding the gate needs to finish.
            got = await anyio.to_thread.run_sync(
                wait, abandon_on_cancel=True, limiter=anyio.CapacityLimiter(1)
            )
        except BaseException:
            with handoff:
                state["abandoned"] = True
                if state["delivered"]:
                    self._lock.release()
            raise
        if not got:
            raise self._busy()

    def release(self) -> None:
        """Give back the gate taken with `acquire_async` (after the commit or rollback)."""
        self._lock.release()

    @contextmanager
    def held(self) -> Iterator[None]:
        """Hold the gate in this thread for the block (re-entrant)."""
        if self.holding():
            yield
            return
        if not self._lock.acquire(timeout=self.wait_seconds):
            raise self._busy()
        token = _gate_held.set(self)
        try:
            yield
        finally:
            _gate_held.reset(token)
            self._lock.release()


def end_read_only_transaction(session: Session) -> None:
    """On SQLite, end the session's transaction so that another connection can write.

    Counters that must commit even when the request fails (rate limits) write on their own
    connection; with SQLite's single writer they can only do so while the request's
    connection holds no transaction. Limits are therefore counted before the request
    writes anything; counting after a write is a programming error.
    """
    if session.get_bind().dialect.name != "sqlite" or not session.in_transaction():
        return
    connection = session.connection()
    dbapi_connection = connection.connection.dbapi_connection
    wrote = dbapi_connection is not None and dbapi_connection.total_changes != connection.info.get(
        _CHANGES_AT_BEGIN
    )
    if session.new or session.dirty or session.deleted or wrote:
        raise RuntimeError("limits are counted before the request writes anything")
    session.commit()


class Database:
    """An engine and its session factories, one per application or command.

    `sessionmaker` gives plain sessions (reads); `writer` gives the sessions of requests,
    jobs and commands, which on SQLite begin with `BEGIN IMMEDIATE` and must hold `gate`.
    """

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        self.gate = WriteGate()
        self.writer = sessionmaker(
            self.engine.execution_options(**{_BEGIN_OPTION: True}), expire_on_commit=False
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def serialises_writes(self) -> bool:
        return self.dialect == "sqlite"

    @contextmanager
    def session_scope(self) -> Iterator[Session]:
        """One transaction: commit on success, roll back on any error (SQLite: in turn)."""
        if not self.serialises_writes:
            with self._scope(self.sessionmaker) as session:
                yield session
            return
        with self.gate.held(), self._scope(self.writer) as session:
            yield session

    @staticmethod
    @contextmanager
    def _scope(factory: sessionmaker[Session]) -> Iterator[Session]:
        session = factory()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
