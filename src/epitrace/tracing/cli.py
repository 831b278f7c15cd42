"""Commands: `epitrace trace CASE_ID [--json]`, `epitrace places geo FILE.geojson`,
`epitrace quarantine scan-breaches` and `epitrace tracing policy …`."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from epitrace.cases import service as case_service
from epitrace.cli_support import explain as _explain
from epitrace.config import get_settings
from epitrace.db import Database, utcnow
from epitrace.domains import import_models
from epitrace.errors import DomainError
from epitrace.tracing import geo, policy_store
from epitrace.tracing import service as tracing_service
from epitrace.web.templating import local_time

console = Console()
err = Console(stderr=True)
quarantine_app = typer.Typer(help="Quarantine follow-up jobs.", no_args_is_help=True)
tracing_app = typer.Typer(help="Tracing policy.", no_args_is_help=True)
policy_app = typer.Typer(help="Versions of the tracing policy.", no_args_is_help=True)
tracing_app.add_typer(policy_app, name="policy")


def _database() -> Database:
    import_models()
    return Database(get_settings().database_url)


def _fail(message: str) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}")
    return typer.Exit(code=1)


def _contact_json(row: tracing_service.ContactRow) -> dict[str, Any]:
    return {
        "level": f"F{row.level}",
        "contact": row.contact_key,
        "full_name": row.full_name,
        "phone": row.phone,
        "home_ward": row.home_ward,
        "exposed_through": row.source_key,
        "evidence": {
            "contact_presence_id": str(row.contact_presence_id),
            "source_presence_id": str(row.source_presence_id),
            "venue_id": str(row.venue_id),
            "venue_name": row.venue_name,
            "venue_ward": row.venue_ward,
            "start": row.exposed_at.isoformat(),
            "end": row.exposure_end.isoformat(),
            "overlap_minutes": row.overlap_minutes,
            "qualifying_overlaps": row.evidence_count,
        },
    }


def trace(
    case_id: Annotated[str, typer.Argument(help="The case's id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print F1 and F2 as JSON.")] = False,
) -> None:
    """Trace a case's F1 and F2 now and print them with their evidence."""
    try:
        ident = uuid.UUID(case_id)
    except ValueError:
        raise _fail(f"{case_id!r} is not a case id") from None
    db = _database()
    try:
        with db.session_scope() as session:
            case = case_service.get_or_404(session, case_id=ident)
            outcome = tracing_service.run_trace(
                session, case=case, now=utcnow(), privacy_mode=get_settings().privacy_mode
            )
            rows = tracing_service.contacts(session, case=case)
            trace_row = outcome.trace
            summary = {
                "case_id": str(case.id),
                "trace_id": str(trace_row.id),
                "policy_version": trace_row.policy_version,
                "window": [trace_row.window_start.isoformat(), trace_row.window_end.isoformat()],
                "duration_ms": trace_row.duration_ms,
                "f1": [_contact_json(r) for r in rows if r.level == 1],
                "f2": [_contact_json(r) for r in rows if r.level == 2],
            }
    except DomainError as exc:
        raise _fail(_explain(exc)) from None
    finally:
        db.dispose()
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False, indent=2))
        return
    console.print(
        f"case {case_id}: {outcome.f1_count} F1, {outcome.f2_count} F2 "
        f"(policy v{summary['policy_version']}, {summary['duration_ms']} ms)"
    )
    table = Table("level", "name", "phone", "venue", "from", "minutes", "through")
    for r in rows:
        table.add_row(
            f"F{r.level}",
            r.full_name,
            r.phone or "",
            r.venue_name,
            local_time(r.exposed_at),
            str(r.overlap_minutes),
            r.source_name,
        )
    console.print(table)


def places_geo(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    code_property: Annotated[
        str | None, typer.Option(help="Feature property holding the unit code.")
    ] = None,
) -> None:
    """Import ward shapes or centroid points (GeoJSON) for the risk map."""
    try:
        shapes = geo.parse(file.read_text(encoding="utf-8"), code_property=code_property)
        db = _database()
        try:
            with db.session_scope() as session:
                count = geo.import_geometries(session, shapes)
        finally:
            db.dispose()
    except geo.GeoImportError as exc:
        for line in exc.errors[:50]:
            err.print(f"[red]{line}[/red]")
        raise _fail(f"{file}: {len(exc.errors)} problems; nothing was imported.") from None
    except UnicodeDecodeError:
        raise _fail(f"{file} is not UTF-8 text.") from None
    console.print(f"imported geometry for {count} units from {file}")


@quarantine_app.command("scan-breaches")
def scan_breaches(
    hours: Annotated[int, typer.Option(help="Look at presences of the last N hours.")] = 24,
) -> None:
    """Find check-ins of people under home quarantine outside their allowed venues."""
    db = _database()
    try:
        with db.session_scope() as session:
            found = case_service.scan_breaches(session, since=utcnow() - timedelta(hours=hours))
    finally:
        db.dispose()
    console.print(f"{found} new breaches")


@policy_app.command("show")
def policy_show() -> None:
    """Print the policy in force with its version."""
    db = _database()
    try:
        with db.session_scope() as session:
            policy = policy_store.current(session)
    finally:
        db.dispose()
    typer.echo(
        json.dumps(
            {"version": policy.version, **policy.to_settings()}, ensure_ascii=False, indent=2
        )
    )


@policy_app.command("set")
def policy_set(
    changes: Annotated[list[str], typer.Argument(help="NAME=JSON_VALUE pairs.")],
    note: Annotated[str, typer.Option(help="Why the policy changes.")] = "",
) -> None:
    """Store a new policy version with the given settings changed."""
    parsed: dict[str, Any] = {}
    for change in changes:
        name, sep, value = change.partition("=")
        if not sep:
            raise _fail(f"{change!r} is not NAME=VALUE")
        try:
            parsed[name.strip()] = json.loads(value)
        except json.JSONDecodeError:
            raise _fail(f"{name}: {value!r} is not a JSON value") from None
    db = _database()
    try:
        with db.session_scope() as session:
            policy = policy_store.create_version(session, changes=parsed, note=note)
    except DomainError as exc:
        raise _fail(_explain(exc)) from None
    finally:
        db.dispose()
    console.print(f"tracing policy version {policy.version} is now in force")


def register(app: typer.Typer) -> None:
    app.command("trace")(trace)
    app.add_typer(quarantine_app, name="quarantine")
    app.add_typer(tracing_app, name="tracing")
    places = next((g.typer_instance for g in app.registered_groups if g.name == "places"), None)
    if places is not None:
        places.command("geo")(places_geo)
    else:  # pragma: no cover - the core CLI always has the places group
        app.command("places-geo")(places_geo)
