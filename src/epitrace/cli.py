"""The `epitrace` command: serve, db, places, users, demo, keys, and each domain's commands."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.orm import Session

from epitrace import jobs, migrations
from epitrace.accounts import service as account_service
from epitrace.alerts import cli as alerts_cli
from epitrace.alerts import vapid
from epitrace.alerts.models import Channel
from epitrace.cli_support import explain
from epitrace.config import Settings, get_settings, is_loopback, served_address
from epitrace.db import Database
from epitrace.domains import domain_modules
from epitrace.errors import DomainError
from epitrace.places import service as place_service
from epitrace.security.keys import Keyring, KeyStatus, Purpose
from epitrace.security.roles import Role
from epitrace.web import i18n_tools

app = typer.Typer(help="epitrace — epidemic response platform.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
places_app = typer.Typer(help="Administrative units.", no_args_is_help=True)
places_load = typer.Typer(help="Load administrative units.", no_args_is_help=True)
users_app = typer.Typer(help="Staff accounts.", no_args_is_help=True)
demo_app = typer.Typer(help="Demo data.", no_args_is_help=True)
i18n_app = typer.Typer(help="Translation catalogs.", no_args_is_help=True)
keys_app = typer.Typer(
    help="Signing keys (kept on disk, outside the database).", no_args_is_help=True
)
app.add_typer(db_app, name="db")
app.add_typer(places_app, name="places")
places_app.add_typer(places_load, name="load")
app.add_typer(users_app, name="users")
app.add_typer(demo_app, name="demo")
app.add_typer(keys_app, name="keys")
app.add_typer(i18n_app, name="i18n")

console = Console()
err = Console(stderr=True)


@contextmanager
def session_scope() -> Iterator[Session]:
    """One transaction on the configured database; the engine is closed afterwards."""
    db = Database(get_settings().database_url)
    try:
        with db.session_scope() as session:
            yield session
    finally:
        db.dispose()


def progress_bar() -> Progress:
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    )


def fail(message: str) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}")
    return typer.Exit(code=1)


def public_base_url(settings: Settings, *, host: str, port: int) -> str:
    """The base URL printed in QR codes: EPITRACE_BASE_URL, else the address being served.

    The server processes read it from the environment, so the default is exported there.
    A loopback base with a server reachable from elsewhere gets a warning: phones scanning
    a poster can never open 127.0.0.1.
    """
    if "base_url" in settings.model_fields_set:
        base_url = settings.base_url
    else:
        base_url = served_address(host, port)
        os.environ["EPITRACE_BASE_URL"] = base_url
        get_settings.cache_clear()  # the app, loaded next in this process, reads it again
    base_host = urlsplit(base_url).hostname or ""
    if is_loopback(base_host) and not is_loopback(host):
        err.print(
            f"[yellow]warning:[/yellow] the public address {base_url} is this machine only; "
            "phones cannot open the QR codes. Set EPITRACE_BASE_URL to the address people use."
        )
    return base_url


def proxy_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's proxy-header options: X-Forwarded-* only from EPITRACE_TRUSTED_PROXIES.

    uvicorn would otherwise trust 127.0.0.1 (or its FORWARDED_ALLOW_IPS variable); with no
    trusted proxy the headers are not read at all.
    """
    proxies = settings.trusted_proxy_list
    if not proxies:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": proxies}


@app.command()
def serve(
    host: Annotated[str, typer.Option(envvar="HOST")] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="PORT")] = 8000,
    workers: Annotated[int, typer.Option(help="Server processes (PostgreSQL only).")] = 1,
    reload: bool = False,
) -> None:
    """Run the web application and API."""
    from epitrace.web import serving  # noqa: PLC0415 - only the serve command needs uvicorn

    settings = get_settings()
    if settings.is_sqlite and workers > 1:
        raise fail("SQLite serves one process; use PostgreSQL for several workers.")
    base_url = public_base_url(settings, host=host, port=port)
    console.print(f"public address (QR codes, links): {base_url}")
    serving.run(
        "epitrace.asgi:app",
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        **proxy_options(settings),
        log_level=os.environ.get("EPITRACE_LOG_LEVEL", "info"),
        # an access line is an address beside a venue's check-in URL and a time: the escrow
        # mode keeps none (docs/privacy.md, "Escrow mode")
        access_log=settings.privacy_mode != "escrow",
    )


@app.command()
def worker(
    once: Annotated[
        bool, typer.Option(help="Run every job once, send every due message, and exit.")
    ] = False,
    channel: Annotated[
        list[Channel] | None,
        typer.Option(help="Send only these channels (repeat); default: every configured one."),
    ] = None,
    name: Annotated[str | None, typer.Option(help="Worker name shown on claimed rows.")] = None,
    run_jobs: Annotated[
        bool,
        typer.Option(
            "--jobs/--no-jobs", help="Also run the scheduled jobs (one worker is enough)."
        ),
    ] = True,
) -> None:
    """Send the outbox (alerts) and run scheduled jobs (retention, exports, clean-up).

    Runs until SIGTERM: the message in hand is finished and recorded, the rest of its batch
    is given back. Run several on PostgreSQL; they share each channel's rate.
    """
    settings = get_settings()
    db = Database(settings.database_url)
    try:
        if once:
            if run_jobs:
                for job_name, outcome in jobs.run_once(db, settings).items():
                    console.print(f"{job_name}: {outcome}")
            result = alerts_cli.run_worker(db, channels=channel, name=name, once=True)
            console.print(
                f"outbox: {result.sent + result.delivered} sent, {result.retried} to retry, "
                f"{result.failed} failed, {result.expired} expired"
            )
            return
        scheduler = jobs.Scheduler(db, settings) if run_jobs else None
        if scheduler is not None:
            console.print(f"running {len(scheduler.jobs)} scheduled jobs")
            scheduler.start_thread()
        alerts_cli.run_worker(
            db,
            channels=channel,
            name=name,
            once=False,
            on_stop=scheduler.stop if scheduler is not None else None,
        )
        if scheduler is not None:
            scheduler.stop()
        console.print("stopped")
    finally:
        db.dispose()


@db_app.command("upgrade")
def db_upgrade(revision: str = "heads") -> None:
    """Apply migrations up to `revision` (default: the latest)."""
    settings = get_settings()
    migrations.upgrade(settings.database_url, revision)
    console.print(f"database at {revision}: {settings.database_url.split('@')[-1]}")


@db_app.command("downgrade")
def db_downgrade(revision: str) -> None:
    """Revert migrations down to `revision`."""
    migrations.downgrade(get_settings().database_url, revision)


@places_load.command("vietnam")
def places_load_vietnam() -> None:
    """Load today's provinces and wards from the vietnam-provinces package."""
    rows = place_service.vietnam_rows()
    with progress_bar() as bar, session_scope() as session:
        task = bar.add_task("administrative units", total=len(rows))
        place_service.load(
            session, rows, progress=lambda done, _t: bar.update(task, completed=done)
        )
    console.print(
        f"loaded {len(rows)} units ({sum(1 for r in rows if r.parent_code is None)} "
        f"provinces, {sum(1 for r in rows if r.parent_code)} wards)"
    )


@places_load.command("csv")
def places_load_csv(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
) -> None:
    """Load any hierarchy from a CSV file: code,name,type,parent_code,population."""
    try:
        rows = place_service.parse_csv(file.read_text(encoding="utf-8"))
        with progress_bar() as bar, session_scope() as session:
            task = bar.add_task(file.name, total=len(rows))
            place_service.load(
                session, rows, progress=lambda done, _t: bar.update(task, completed=done)
            )
    except place_service.PlaceLoadError as exc:
        for line in exc.errors:
            err.print(f"[red]{line}[/red]")
        raise fail(f"{file}: {len(exc.errors)} bad rows; nothing was loaded.") from None
    except UnicodeDecodeError:
        raise fail(f"{file} is not UTF-8 text.") from None
    console.print(f"loaded {len(rows)} units from {file}")


@places_app.command("show")
def places_show(code: str) -> None:
    """Print a unit with its parents and children."""
    with session_scope() as session:
        unit = place_service.get(session, code=code)
        if unit is None:
            raise fail(f"no administrative unit {code}")
        chain = " › ".join(p.name for p in place_service.get_ancestors(session, code=code))
        console.print(f"[bold]{unit.code}[/bold] {unit.name} ({unit.unit_type})  {chain}")
        for child in place_service.get_children(session, code=code):
            console.print(f"  {child.code}  {child.name}")


@users_app.command("create")
def users_create(
    username: Annotated[str, typer.Option()],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True)],
    role: Annotated[list[Role], typer.Option(help="Repeat with --area for each role.")],
    area: Annotated[
        list[str] | None, typer.Option(help="Area code per --role; '-' = country.")
    ] = None,
    name: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Create a staff account holding one or more roles, each bound to an area."""
    areas = list(area or [])
    if len(areas) != len(role):
        raise fail("give one --area for every --role (use '-' for the whole country)")
    grants = [(r, None if a == "-" else a) for r, a in zip(role, areas, strict=True)]
    try:
        with session_scope() as session:
            account = account_service.create_staff(
                session,
                username=username,
                password=password,
                display_name=name,
                grants=grants,
                granter=None,  # the operator at the console holds the whole country
            )
            console.print(f"created {account.username} ({account.id})")
    except DomainError as exc:
        raise fail(explain(exc)) from None


@keys_app.command("create")
def keys_create(purpose: Purpose) -> None:
    """Create a new signing key for a purpose; the previous one stays trusted."""
    info = Keyring(get_settings().keys_dir).create(purpose)
    console.print(f"{info.purpose.value} key {info.kid} created ({info.algorithm}), now signing")


@keys_app.command("list")
def keys_list() -> None:
    """List signing keys and their status."""
    table = Table("purpose", "kid", "status", "algorithm", "created")
    for k in Keyring(get_settings().keys_dir).list():
        table.add_row(k.purpose.value, str(k.kid), k.status.value, k.algorithm, k.created_at)
    console.print(table)


@keys_app.command("retire")
def keys_retire(purpose: Purpose, kid: int) -> None:
    """Stop trusting a key: everything it signed is refused from now on."""
    Keyring(get_settings().keys_dir).set_status(purpose, kid, KeyStatus.RETIRED)
    console.print(f"{purpose.value} key {kid} retired")


@keys_app.command("public")
def keys_public(purpose: Purpose, kid: int | None = None) -> None:
    """Print a public key (PEM) to give to verifiers."""
    console.print(Keyring(get_settings().keys_dir).public_pem(purpose, kid).decode(), end="")


@keys_app.command("vapid")
def keys_vapid(
    rotate: Annotated[
        bool, typer.Option("--rotate", help="Replace the key: browsers must subscribe again.")
    ] = False,
) -> None:
    """Print the web-push (VAPID) public key, made on first use; --rotate replaces it."""
    keys_dir = get_settings().keys_dir
    public = vapid.rotate(keys_dir) if rotate else vapid.public_key(keys_dir)
    typer.echo(public)  # one line, whatever the terminal width, to copy as it is


@i18n_app.command("update")
def i18n_update() -> None:
    """Add new messages to each domain's locale/vi.po and drop unused ones."""
    for domain_dir in i18n_tools.domain_dirs():
        added, removed = i18n_tools.update(domain_dir)
        if added or removed:
            console.print(f"{domain_dir.name}: +{added} -{removed}")


@i18n_app.command("check")
def i18n_check() -> None:
    """List messages without a Vietnamese translation or translated two ways; exit 1 if any."""
    total = 0
    for domain_dir in i18n_tools.domain_dirs():
        for msgid in i18n_tools.missing(domain_dir):
            console.print(f"{domain_dir.name}: {msgid}")
            total += 1
    if total:
        raise fail(f"{total} messages have no Vietnamese translation")
    clashes = i18n_tools.conflicts()
    for msgid, by_domain in sorted(clashes.items()):
        console.print(f"{msgid!r} is translated differently: {by_domain}")
    if clashes:
        raise fail(f"{len(clashes)} messages have different translations in two domains")


@demo_app.command("seed")
def demo_seed() -> None:
    """One demo province with wards, populations and one staff account of each role."""
    from epitrace import demo  # noqa: PLC0415 - demo data is not part of normal start-up

    with session_scope() as session:
        credentials = demo.seed(session, console=console)
    table = Table("username", "password", "role", "area")
    for row in credentials:
        table.add_row(*row)
    console.print(table)


for _module in domain_modules("cli"):
    _module.register(app)
