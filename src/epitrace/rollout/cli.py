"""`epitrace rollout …`: import organisations and rosters, compute the daily indicators,
produce the formal report."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from epitrace import localtime
from epitrace.cli_support import acting as _acting
from epitrace.cli_support import explain as _explain
from epitrace.config import get_settings
from epitrace.db import Database
from epitrace.domains import import_models
from epitrace.errors import DomainError
from epitrace.rollout import access, formal_report, indicators, rosters
from epitrace.rollout import organisations as org_service
from epitrace.rollout.spreadsheets import FileRejected
from epitrace.security import audit
from epitrace.security.roles import Action
from epitrace.venues import service as venue_service

rollout_app = typer.Typer(help="Rollout oversight.", no_args_is_help=True)
console = Console()
err = Console(stderr=True)


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


@rollout_app.command("indicators")
def compute_indicators(
    first: Annotated[
        str | None, typer.Option("--from", help="First local day (YYYY-MM-DD); default today.")
    ] = None,
    last: Annotated[
        str | None, typer.Option("--to", help="Last local day (YYYY-MM-DD); default --from.")
    ] = None,
    force: Annotated[
        bool, typer.Option(help="Recompute past days that were already computed.")
    ] = False,
) -> None:
    """Compute the daily indicators of every unit, sector and organisation; past days
    already computed are kept unless --force."""
    settings = get_settings()
    localtime.configure(settings.time_zone)
    start = _day(first) if first else localtime.today()
    end = _day(last) if last else start
    import_models()
    db = Database(settings.database_url)
    written = kept = 0
    try:
        days = indicators.days_between(start, end)
        with Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
        ) as bar:
            task = bar.add_task("indicators", total=len(days))
            for day in days:
                bar.update(task, description=f"indicators {day.isoformat()}")
                # one transaction per day: an interrupted range keeps the days already done
                with db.session_scope() as session:
                    result = indicators.compute_day(
                        session,
                        day,
                        smartphone_share=settings.rollout_smartphone_share,
                        force=force,
                        now=datetime.now(localtime.zone()),
                    )
                kept += result.kept
                written += not result.kept
                bar.advance(task)
    except DomainError as exc:
        err.print(f"[red]error:[/red] {_explain(exc)}")
        raise typer.Exit(code=1) from exc
    finally:
        db.dispose()
    console.print(f"{written} days computed, {kept} past days kept (use --force to recompute)")


@rollout_app.command("report")
def produce_report(
    unit: Annotated[str, typer.Option(help="The area: a unit code, e.g. 79.")],
    out: Annotated[Path, typer.Option(help="Where to write: a .pdf or an .xlsx file.")],
    first: Annotated[str | None, typer.Option("--from", help="First day (YYYY-MM-DD).")] = None,
    last: Annotated[str | None, typer.Option("--to", help="Last day (YYYY-MM-DD).")] = None,
) -> None:
    """Produce the formal rollout report of an area for a period (default: last full week)."""
    if out.suffix not in (".pdf", ".xlsx"):
        raise typer.BadParameter("--out must end in .pdf or .xlsx")
    settings = get_settings()
    localtime.configure(settings.time_zone)
    today = localtime.today()
    end = _day(last) if last else today - timedelta(days=today.weekday() + 1)
    start = _day(first) if first else end - timedelta(days=6)
    import_models()
    db = Database(settings.database_url)
    try:
        with db.session_scope() as session:
            report = formal_report.build(
                session,
                area_code=unit,
                first=start,
                last=end,
                issued=today,
                not_reported=formal_report.not_reported(session, area_code=unit, day=end),
            )
            content = (
                formal_report.to_pdf(report)
                if out.suffix == ".pdf"
                else formal_report.to_xlsx(report)
            )
    except DomainError as exc:
        err.print(f"[red]error:[/red] {_explain(exc)}")
        raise typer.Exit(code=1) from exc
    finally:
        db.dispose()
    out.write_bytes(content)
    console.print(f"{out}: report of {report.area_name}, {start} to {end}")


def _rejected(exc: FileRejected) -> None:
    err.print(f"[red]error:[/red] {_explain(exc)}")
    for problem in exc.problems:
        where = f"line {problem.line}" if problem.line else "file"
        column = f", {problem.column}" if problem.column else ""
        err.print(f"  {where}{column}: {problem.text()}")


AS_USER = typer.Option("--as", help="The staff account the import is done as (area rules, audit).")


@rollout_app.command("import-organisations")
def import_organisations(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="XLSX or CSV.")],
    as_user: Annotated[str, AS_USER],
) -> None:
    """Register or update the organisations of a list, all or nothing (errors by line)."""
    settings = get_settings()
    import_models()
    db = Database(settings.database_url)
    try:
        with db.session_scope() as session:
            user = _acting(session, as_user)
            result = org_service.import_organisations(
                session, principal=user, filename=file.name, content=file.read_bytes()
            )
            audit.record(
                session,
                actor=user,
                action="import",
                subject_type="organisation",
                subject_id=file.name,
                detail={"created": result.created, "updated": result.updated, "via": "cli"},
            )
    except FileRejected as exc:
        _rejected(exc)
        raise typer.Exit(code=1) from exc
    except DomainError as exc:
        err.print(f"[red]error:[/red] {_explain(exc)}")
        raise typer.Exit(code=1) from exc
    finally:
        db.dispose()
    console.print(f"{result.created} organisations registered, {result.updated} updated")


@rollout_app.command("import-roster")
def import_roster(
    organisation: Annotated[str, typer.Argument(help="The organisation's id.")],
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="XLSX or CSV.")],
    as_user: Annotated[str, AS_USER],
    replace: Annotated[
        bool, typer.Option(help="The file is the whole roster: people not in it leave.")
    ] = True,
) -> None:
    """Load an organisation's staff or member roster, all or nothing (errors by line)."""
    try:
        organisation_id = uuid.UUID(organisation)
    except ValueError:
        raise typer.BadParameter("not an organisation id", param_hint="ORGANISATION") from None
    settings = get_settings()
    import_models()
    db = Database(settings.database_url)
    try:
        with db.session_scope() as session:
            user = _acting(session, as_user)
            org = venue_service.get_organisation(session, organisation_id=organisation_id)
            access.organisation(session, user, Action.ROLLOUT_ROSTER, org)
            result = rosters.import_roster(
                session,
                organisation=org,
                filename=file.name,
                content=file.read_bytes(),
                replace=replace,
            )
            audit.record(
                session,
                actor=user,
                action="import",
                subject_type="roster",
                subject_id=org.id,
                detail={**result.__dict__, "via": "cli"},
            )
    except FileRejected as exc:
        _rejected(exc)
        raise typer.Exit(code=1) from exc
    except DomainError as exc:
        err.print(f"[red]error:[/red] {_explain(exc)}")
        raise typer.Exit(code=1) from exc
    finally:
        db.dispose()
    console.print(f"{result.added} added, {result.updated} updated, {result.removed} removed")


def register(app: typer.Typer) -> None:
    app.add_typer(rollout_app, name="rollout")
