"""`epitrace rollout …`: compute the daily rollout indicators for a range of days."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from epitrace import localtime
from epitrace.config import get_settings
from epitrace.db import Database
from epitrace.domains import import_models
from epitrace.errors import DomainError
from epitrace.rollout import indicators
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


def register(app: typer.Typer) -> None:
    app.add_typer(rollout_app, name="rollout")
