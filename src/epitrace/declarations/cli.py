"""`epitrace declarations …`: who must be reminded to declare, and the follow-up list as XLSX."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from epitrace.accounts import phone as phone_numbers
from epitrace.accounts import service as account_service
from epitrace.config import get_settings
from epitrace.db import Database, utcnow
from epitrace.declarations import export
from epitrace.declarations import service as declaration_service
from epitrace.domains import import_models
from epitrace.places import service as place_service
from epitrace.web import exports
from epitrace.web.templating import local_time

declarations_app = typer.Typer(help="Health declarations.", no_args_is_help=True)
console = Console()
err = Console(stderr=True)


def _database() -> Database:
    import_models()
    return Database(get_settings().database_url)


@declarations_app.command("expired")
def expired(
    limit: Annotated[int, typer.Option(min=1, help="At most this many people.")] = 200,
) -> None:
    """List the people whose latest declaration has expired (oldest first), to remind them."""
    db = _database()
    try:
        with db.session_scope() as session:
            rows = declaration_service.get_expired(session, now=utcnow(), limit=limit)
            table = Table("Họ và tên", "Điện thoại", "Khai báo gần nhất", "Người giám hộ")
            for row in rows:
                person = account_service.get_person(session, person_id=row.person_id)
                guardian = (
                    account_service.get_person(session, person_id=row.guardian_id)
                    if row.guardian_id
                    else None
                )
                table.add_row(
                    person.full_name,
                    phone_numbers.mask(person.phone) if person.phone else "",
                    local_time(row.last_declared_at),
                    guardian.full_name if guardian else "",
                )
    finally:
        db.dispose()
    console.print(table)
    console.print(f"{len(rows)} people to remind")


@declarations_app.command("export")
def export_flagged(
    area: Annotated[str, typer.Option(help="Code of the area (province, district or ward).")],
    out: Annotated[Path, typer.Option(help="The file to write (.xlsx, or .csv).")],
    days: Annotated[int, typer.Option(min=1, max=60)] = 7,
) -> None:
    """Write the declarations with symptoms or exposure of an area to an XLSX (or CSV) file."""
    db = _database()
    try:
        with db.session_scope() as session:
            path = place_service.path_of(session, code=area)
            if path is None:
                err.print(f"[red]no administrative unit {area}[/red]")
                raise typer.Exit(code=2)
            rows = declaration_service.get_flagged(
                session, area_path=path, since=utcnow() - timedelta(days=days)
            )
            declaration_service.audit_list_read(
                session, actor=None, rows=rows, purpose="declaration.export"
            )
            sheet = export.flagged_sheet(rows)
            is_csv = out.suffix.lower() == ".csv"
            out.write_bytes(exports.to_csv(sheet) if is_csv else exports.to_xlsx(sheet))
    finally:
        db.dispose()
    console.print(f"{len(rows)} declarations written to {out}")


def register(app: typer.Typer) -> None:
    app.add_typer(declarations_app, name="declarations")
