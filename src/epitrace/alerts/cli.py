"""`epitrace alerts …` (send-test, status), the outbox part of `epitrace worker`, and the
campaign commands (`campaign_cli`)."""

from __future__ import annotations

import signal
import time
import uuid
from collections.abc import Callable
from types import FrameType
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy import func, select

from epitrace import localtime
from epitrace.alerts import campaign_cli
from epitrace.alerts import service as alert_service
from epitrace.alerts import worker as alert_worker
from epitrace.alerts.dispatch import Dispatcher, PassResult
from epitrace.alerts.models import Channel, ChannelState, OutboxMessage
from epitrace.alerts.service import Recipient
from epitrace.cli_support import explain as _explain
from epitrace.config import get_settings
from epitrace.db import Database
from epitrace.domains import import_models
from epitrace.errors import DomainError

alerts_app = typer.Typer(help="Alerts: the outbox and its channels.", no_args_is_help=True)
console = Console()
err = Console(stderr=True)
LOG_EVERY_SECONDS = 10.0


def _line(worker: Dispatcher, started: float) -> str:
    t = worker.totals
    elapsed = max(time.monotonic() - started, 1e-9)
    done = t.sent + t.delivered
    return (
        f"{escape(worker.name)}: sent {done} ({done / elapsed:.1f}/s), retried {t.retried}, "
        f"failed {t.failed}, expired {t.expired}, skipped {t.skipped}, "
        f"recovered {t.recovered}, fallbacks {t.fell_back}"
    )


def run_worker(
    db: Database,
    *,
    channels: list[Channel] | None,
    name: str | None,
    once: bool,
    on_stop: Callable[[], None] | None = None,
) -> PassResult:
    """Drain the outbox (`once`) or run until SIGTERM/SIGINT, finishing the message in hand."""
    settings = get_settings()
    localtime.configure(settings.time_zone)
    worker = alert_worker.build(db, settings, channels=channels, name=name)
    served = ", ".join(sorted(c.value for c in worker.adapters)) or "none"
    err.print(f"outbox worker {worker.name}: channels {served}")
    try:
        if once:
            return worker.drain()
        started = time.monotonic()
        last = [started]

        def stop(_signum: int, _frame: FrameType | None) -> None:
            err.print("stopping after the message in hand")
            worker.stop()
            if on_stop is not None:
                on_stop()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)

        def progress(_one: PassResult) -> None:
            if time.monotonic() - last[0] >= LOG_EVERY_SECONDS:
                last[0] = time.monotonic()
                err.print(_line(worker, started))

        worker.run_forever(on_pass=progress)
        err.print(_line(worker, started))
        return worker.totals
    finally:
        worker.close()


@alerts_app.command("send-test")
def send_test(
    to: Annotated[str, typer.Option(help="A mobile number or an e-mail address.")],
    channel: Annotated[Channel | None, typer.Option(help="Default: sms, or email.")] = None,
    now: Annotated[bool, typer.Option("--now", help="Run one dispatch pass at once.")] = False,
) -> None:
    """Queue the `test` template to one address (and send it with --now)."""
    import_models()
    settings = get_settings()
    email = "@" in to
    chosen = channel or (Channel.EMAIL if email else Channel.SMS)
    db = Database(settings.database_url)
    try:
        try:
            recipient = Recipient.email_address(to) if email else Recipient.phone_number(to)
            with db.session_scope() as session:
                result = alert_service.enqueue(
                    session,
                    recipients=[recipient],
                    template="test",
                    dedup_key=f"test:{uuid.uuid4()}",
                    channels=[chosen],
                )
        except DomainError as exc:
            err.print(f"[red]error:[/red] {_explain(exc)}")
            raise typer.Exit(code=1) from None
        if not result.created:
            err.print("[red]error:[/red] nothing queued (opted out, or no such address)")
            raise typer.Exit(code=1)
        console.print(f"queued {result.keys[0]} on {chosen.value}")
        if now:
            worker = alert_worker.build(db, settings, channels=[chosen], name="send-test")
            try:
                if chosen not in worker.adapters:
                    err.print(f"[red]error:[/red] no {chosen.value} channel is configured")
                    raise typer.Exit(code=1)
                worker.drain(max_passes=20)
            finally:
                worker.close()
            with db.sessionmaker() as session:
                row = session.scalars(
                    select(OutboxMessage).where(OutboxMessage.key == result.keys[0])
                ).one()
                reason = f" ({row.dead_reason or row.last_error})" if row.last_error else ""
                console.print(f"{row.key}: {row.status}{reason}")
    finally:
        db.dispose()


@alerts_app.command("status")
def status() -> None:
    """Messages per channel and status, and paused channels."""
    import_models()
    db = Database(get_settings().database_url)
    try:
        with db.sessionmaker() as session:
            counts = session.execute(
                select(OutboxMessage.channel, OutboxMessage.status, func.count())
                .group_by(OutboxMessage.channel, OutboxMessage.status)
                .order_by(OutboxMessage.channel, OutboxMessage.status)
            ).all()
            states = list(session.scalars(select(ChannelState).order_by(ChannelState.channel)))
    finally:
        db.dispose()
    table = Table("channel", "status", "messages")
    for channel, state, count in counts:
        table.add_row(channel, state, f"{count:,}")
    console.print(table)
    for row in states:
        if row.paused_until is not None:
            console.print(
                f"{row.channel}: paused until {row.paused_until.isoformat()} ({row.pause_reason})"
            )


def register(app: typer.Typer) -> None:
    app.add_typer(alerts_app, name="alerts")
    campaign_cli.register(app)
