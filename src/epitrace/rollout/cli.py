"""`epitrace rollout …`: compute the daily indicators; produce the formal report."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from epitrace import localtime
from epitrace.config import get_settings
from epitrace.db import Database
from epitrace.domains import import_models
from epitrace.errors import DomainError
from epitrace.rollout import formal_report, indicators
from epitrace.web import i18n

rollout_app = typer.Typer(help="Rollout oversight.", no_args_is_help=True)
console = Console()
err = Console(stderr=True)


def _explain(exc: DomainError) -> str:
    i18n.set_locale("en")
    return i18n.gettext(exc.message, **exc.params)


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


def register(app: typer.Typer) -> None:
    app.add_typer(rollout_app, name="rollout")
