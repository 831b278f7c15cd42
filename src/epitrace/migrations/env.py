"""Alembic environment: the URL comes from the caller's config (the CLI sets it from settings)."""

from __future__ import annotations

import re

from alembic import context
from sqlalchemy import pool

from epitrace.config import get_settings
from epitrace.db import Base, make_engine
from epitrace.domains import import_models

import_models()
target_metadata = Base.metadata
config = context.config


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Leave out of the comparison what the models do not describe on purpose: the day
    partitions of presences on PostgreSQL (made and dropped by `checkins.partitions`), and on
    SQLite the first unique key (client_key, venue_id) of presences, which stays beside the
    model's (client_key, venue_id, entered_at) because that table is never rebuilt there."""
    if not reflected or name is None:
        return True
    if type_ == "table":
        return PARTITION.fullmatch(name) is None
    return not (type_ == "unique_constraint" and name in SQLITE_KEPT)


PARTITION = re.compile(r"presence_(p\d{8}|default)")
SQLITE_KEPT = {"uq_presence_client_key_venue_id"}


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or get_settings().database_url


def run_migrations_offline() -> None:
    context.configure(
        url=_url(), target_metadata=target_metadata, literal_binds=True, render_as_batch=True
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,
            compare_type=True,
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(_url(), poolclass=pool.NullPool)
    with engine.connect() as conn:
        context.configure(
            connection=conn,
            target_metadata=target_metadata,
            render_as_batch=True,
            compare_type=True,
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
