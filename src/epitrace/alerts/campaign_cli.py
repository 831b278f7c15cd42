"""`epitrace campaigns …`: list campaigns, launch, approve, pause and resume one (as a staff
account: its area rules apply and the audit log names it)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy.orm import Session

from epitrace import localtime
from epitrace.alerts import campaign_views as views
from epitrace.alerts import campaigns
from epitrace.alerts.models import Campaign
from epitrace.cli_support import acting as _acting
from epitrace.cli_support import explain as _explain
from epitrace.config import get_settings
from epitrace.db import Database
from epitrace.domains import import_models
from epitrace.errors import DomainError
from epitrace.security.permissions import Principal, require
from epitrace.security.roles import Action
from epitrace.web.templating import local_time

campaigns_app = typer.Typer(help="Campaigns (messages to an audience).", no_args_is_help=True)
console = Console()
err = Console(stderr=True)

AS_USER = typer.Option("--as", help="The staff account the command acts as (area rules, audit).")


def _id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise typer.BadParameter("not a campaign id", param_hint="ID") from None


def _run(action: Callable[[Session], str]) -> None:
    settings = get_settings()
    localtime.configure(settings.time_zone)
    import_models()
    db = Database(settings.database_url)
    try:
        with db.session_scope() as session:
            message = action(session)
    except DomainError as exc:
        err.print(f"[red]error:[/red] {_explain(exc)}")
        raise typer.Exit(code=1) from exc
    finally:
        db.dispose()
    console.print(message)


@campaigns_app.command("list")
def list_campaigns(as_user: Annotated[str, AS_USER]) -> None:
    """The campaigns of the account's areas, newest first."""

    def show(session: Session) -> str:
        user = require(_acting(session, as_user), Action.CAMPAIGNS_READ)
        found = campaigns.get_all(session, area_paths=user.area_paths(Action.CAMPAIGNS_READ))
        for c in found:
            recipients = str(c.audience_count) if c.audience_count is not None else "-"
            console.print(
                f"{c.id}  {c.status:<17}  {c.channel:<5}  {local_time(c.starts_at)}  "
                f"{recipients:>8}  {c.name}",
                soft_wrap=True,
                highlight=False,
            )
        return f"{len(found)} campaigns"

    _run(show)


def _act(
    campaign_id: str,
    as_user: str,
    act: Callable[[Session, Principal, uuid.UUID], Campaign],
) -> None:
    wanted = _id(campaign_id)

    def run(session: Session) -> str:
        campaign = act(session, _acting(session, as_user), wanted)
        return f"{campaign.id}: {campaign.status}"

    _run(run)


@campaigns_app.command("launch")
def launch(
    campaign_id: Annotated[str, typer.Argument(metavar="ID")], as_user: Annotated[str, AS_USER]
) -> None:
    """Launch a draft (over the approval threshold it waits for a second official)."""
    settings = get_settings()
    _act(campaign_id, as_user, lambda s, p, i: views.launch(s, p, i, settings))


@campaigns_app.command("approve")
def approve(
    campaign_id: Annotated[str, typer.Argument(metavar="ID")], as_user: Annotated[str, AS_USER]
) -> None:
    """Approve a campaign awaiting approval (not the official who prepared or launched it)."""
    _act(campaign_id, as_user, views.approve)


@campaigns_app.command("pause")
def pause(
    campaign_id: Annotated[str, typer.Argument(metavar="ID")], as_user: Annotated[str, AS_USER]
) -> None:
    """Hold the campaign's queued messages and its next occurrences."""
    _act(campaign_id, as_user, views.pause)


@campaigns_app.command("resume")
def resume(
    campaign_id: Annotated[str, typer.Argument(metavar="ID")], as_user: Annotated[str, AS_USER]
) -> None:
    """Release the held messages; occurrences due meanwhile are queued now."""
    _act(campaign_id, as_user, views.resume)


def register(app: typer.Typer) -> None:
    app.add_typer(campaigns_app, name="campaigns")
