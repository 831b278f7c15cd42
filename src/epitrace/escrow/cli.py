"""`epitrace escrow …`: the key ceremony (generate the day keys and their two shares, import
the public keys, see which days have keys), and the opening of a case's days for a trace
(request, then one approval per official with their share file)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy import select
from sqlalchemy.orm import Session

from epitrace import localtime
from epitrace.cases import service as case_service
from epitrace.cli_support import acting
from epitrace.cli_support import explain as _explain
from epitrace.config import get_settings
from epitrace.db import Database
from epitrace.domains import import_models
from epitrace.errors import DomainError
from epitrace.escrow import crypto
from epitrace.escrow import service as escrow_service
from epitrace.escrow.models import EscrowOpening

escrow_app = typer.Typer(
    help="Escrow privacy mode: day keys and the opening of a case's days.", no_args_is_help=True
)
keys_app = typer.Typer(help="The key ceremony and the published day keys.", no_args_is_help=True)
escrow_app.add_typer(keys_app, name="keys")
console = Console()
err = Console(stderr=True)

AS_USER = typer.Option("--as", help="The staff account the command acts as (area rules, audit).")
# Warn when fewer days than this have keys ahead: check-ins stop on a day without a key.
KEYS_AHEAD_WARNING = 14


def _fail(message: str) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}")
    return typer.Exit(code=1)


def _run(action: Callable[[Session], str]) -> None:
    settings = get_settings()
    localtime.configure(settings.time_zone)
    import_models()
    db = Database(settings.database_url)
    try:
        with db.session_scope() as session:
            message = action(session)
    except DomainError as exc:
        raise _fail(_explain(exc)) from exc
    finally:
        db.dispose()
    console.print(message, highlight=False)


def _write_private(path: Path, text: str) -> None:
    """A new file readable by its owner only; an existing file is never overwritten."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)


@keys_app.command("generate")
def generate(
    first: Annotated[
        str, typer.Option("--from", help="The first local day (YYYY-MM-DD); default today.")
    ] = "",
    days: Annotated[int, typer.Option(min=1, max=3660, help="How many days.")] = 90,
    share_a: Annotated[Path, typer.Option(help="Official A's share file (new).")] = Path(
        "share-a.json"
    ),
    share_b: Annotated[Path, typer.Option(help="Official B's share file (new).")] = Path(
        "share-b.json"
    ),
    public: Annotated[Path, typer.Option(help="The public keys, for `keys import` (new).")] = Path(
        "public.json"
    ),
) -> None:
    """Make one key pair per day, write each private key as two shares and drop it.

    Run it on an offline machine; give each share file to its official, carry the public
    file to the server and run `epitrace escrow keys import` there.
    """
    try:
        start = date.fromisoformat(first) if first else localtime.today()
    except ValueError:
        raise typer.BadParameter("a date YYYY-MM-DD", param_hint="--from") from None
    for path in (share_a, share_b, public):
        if path.exists():
            raise _fail(f"{path} exists; the ceremony never overwrites a file")
    made = crypto.generate([start + timedelta(days=i) for i in range(days)])
    _write_private(share_a, crypto.share_file(made, "a"))
    _write_private(share_b, crypto.share_file(made, "b"))
    public.write_text(crypto.public_file(made), encoding="utf-8")
    last = start + timedelta(days=days - 1)
    console.print(
        f"ceremony {made.ceremony_id}: {days} day keys {start} … {last}\n"
        f"share A → {share_a}\nshare B → {share_b}\npublic keys → {public}",
        highlight=False,
    )


@keys_app.command("import")
def import_(
    public: Annotated[Path, typer.Argument(help="The public key file of a ceremony.")],
) -> None:
    """Publish the public day keys of a ceremony (days that have a key keep it)."""
    try:
        ceremony, keys = crypto.read_public_file(public.read_text(encoding="utf-8"))
    except (OSError, crypto.ShareError) as exc:
        raise _fail(str(exc)) from None

    def run(session: Session) -> str:
        n = escrow_service.import_keys(session, ceremony=ceremony, keys=keys)
        return f"{n} day keys published (ceremony {ceremony})"

    _run(run)


@keys_app.command("status")
def status() -> None:
    """The days from today that have a key, and a warning when they run short."""

    def run(session: Session) -> str:
        today = localtime.today()
        days = escrow_service.key_days(session, since=today)
        if not days or days[0] != today:
            return "[red]no key for today: check-ins are refused in the escrow mode[/red]"
        ahead = 0
        while ahead < len(days) and days[ahead] == today + timedelta(days=ahead):
            ahead += 1
        last = today + timedelta(days=ahead - 1)
        note = (
            f" [yellow]fewer than {KEYS_AHEAD_WARNING}: hold a key ceremony[/yellow]"
            if ahead < KEYS_AHEAD_WARNING
            else ""
        )
        return f"keys for {ahead} days from today, until {last}{note}"

    _run(run)


def _uuid(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise typer.BadParameter(f"not {what} id") from None


@escrow_app.command("request")
def request(
    case_id: Annotated[str, typer.Argument(metavar="CASE_ID")],
    as_user: Annotated[str, AS_USER],
    reason: Annotated[str, typer.Option(help="Why the case is traced (audited).")] = "",
) -> None:
    """Ask for the opening of a case's days; two officials then approve with their shares."""
    wanted = _uuid(case_id, "a case")

    def run(session: Session) -> str:
        case = case_service.get_or_404(session, case_id=wanted)
        opening = escrow_service.request_opening(
            session,
            principal=acting(session, as_user),
            case=case,
            reason=reason,
        )
        return (
            f"opening {opening.id}: days {opening.first_day} … {opening.last_day}; "
            f"waiting for shares A and B until {opening.expires_at:%Y-%m-%d %H:%M} UTC"
        )

    _run(run)


@escrow_app.command("approve")
def approve(
    opening_id: Annotated[str, typer.Argument(metavar="OPENING_ID")],
    share: Annotated[Path, typer.Option(help="Your share file from the key ceremony.")],
    as_user: Annotated[str, AS_USER],
) -> None:
    """Approve an opening with your share; the second share opens, traces and discards."""
    wanted = _uuid(opening_id, "an opening")
    try:
        shares = crypto.read_share_file(share.read_text(encoding="utf-8"))
    except (OSError, crypto.ShareError) as exc:
        raise _fail(str(exc)) from None
    settings = get_settings()

    def run(session: Session) -> str:
        done = escrow_service.approve(
            session,
            principal=acting(session, as_user),
            opening_id=wanted,
            shares=shares,
            secret=settings.secret_key().encode(),
            open_now=True,  # the command waits for the opening (the web answers at once)
        )
        if done.trace is None:
            other = "B" if shares.holder == "a" else "A"
            return f"share {shares.holder.upper()} accepted; waiting for share {other}"
        return (
            f"opened {done.opening.opened_presences} presences of "
            f"{done.opening.first_day} … {done.opening.last_day}; trace {done.trace.id}: "
            f"{done.trace.f1_count} F1, {done.trace.f2_count} F2; the opened identities are "
            "discarded"
        )

    _run(run)


@escrow_app.command("list")
def list_openings() -> None:
    """Openings, newest first."""

    def run(session: Session) -> str:
        rows = session.scalars(
            select(EscrowOpening).order_by(EscrowOpening.requested_at.desc()).limit(50)
        )
        lines = [
            f"{o.id}  {o.status.value:<9}  case {o.case_id}  {o.first_day} … {o.last_day}  "
            f"{o.opened_presences} opened"
            for o in rows
        ]
        return "\n".join(lines) or "no openings"

    _run(run)


def register(app: typer.Typer) -> None:
    app.add_typer(escrow_app, name="escrow")
