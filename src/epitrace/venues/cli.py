"""`epitrace venues …`: register venues, print their posters, list, suspend and reissue codes."""

from __future__ import annotations

import enum
import uuid
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from sqlalchemy.orm import Session

from epitrace.accounts import service as account_service
from epitrace.cli_support import explain as _explain
from epitrace.config import get_settings
from epitrace.db import Database
from epitrace.domains import import_models
from epitrace.errors import DomainError
from epitrace.places import service as place_service
from epitrace.security.keys import Keyring
from epitrace.venues import posters
from epitrace.venues import service as venue_service
from epitrace.venues.models import Venue, VenueCategory
from epitrace.web import i18n

venues_app = typer.Typer(help="Venues and their QR posters.", no_args_is_help=True)
console = Console()
err = Console(stderr=True)


class PosterFormat(enum.StrEnum):
    PDF = "pdf"
    PNG = "png"


class PaperSize(enum.StrEnum):
    A4 = "a4"
    A5 = "a5"


def _database() -> Database:
    import_models()
    return Database(get_settings().database_url)


def _poster_text(session: Session, venue: Venue, url: str) -> posters.PosterText:
    ward = place_service.get(session, code=venue.ward_code)
    return posters.PosterText(
        venue_name=venue.name,
        address=venue.address,
        ward_name=ward.name if ward else "",
        category_label=i18n.translations("vi").ugettext(
            venue_service.CATEGORY_NAMES[venue.category]
        ),
        url=url,
    )


@venues_app.command("create")
def create(
    name: Annotated[str, typer.Option(help="Venue name as printed on the poster.")],
    category: Annotated[VenueCategory, typer.Option(help="Venue category.")],
    ward: Annotated[str, typer.Option(help="Ward code (administrative unit).")],
    address: Annotated[str, typer.Option(help="Street address.")] = "",
    capacity: Annotated[int | None, typer.Option(min=1)] = None,
    plate: Annotated[str | None, typer.Option(help="Number plate (vehicles).")] = None,
    route: Annotated[str | None, typer.Option(help="Route (vehicles).")] = None,
    latitude: Annotated[float | None, typer.Option()] = None,
    longitude: Annotated[float | None, typer.Option()] = None,
    small_room: Annotated[bool, typer.Option(help="Any overlap counts as contact.")] = False,
    operator: Annotated[str | None, typer.Option(help="Staff user name to run its door.")] = None,
) -> None:
    """Register a venue; prints its id and the URL in its QR code."""
    settings = get_settings()
    keyring = Keyring(settings.keys_dir)
    db = _database()
    try:
        with db.session_scope() as session:
            operator_id = None
            if operator:
                account = account_service.get_by_username(session, username=operator)
                if account is None:
                    err.print(f"[red]error:[/red] there is no staff account {operator}")
                    raise typer.Exit(code=1)
                operator_id = account.id
            venue = venue_service.create(
                session,
                name=name,
                category=category,
                ward_code=ward,
                address=address,
                capacity=capacity,
                vehicle_plate=plate,
                vehicle_route=route,
                latitude=latitude,
                longitude=longitude,
                small_room=small_room,
                created_by=operator_id,
            )
            url = venue_service.url_for(keyring, venue, base_url=settings.base_url)
            venue_id = venue.id
    except DomainError as exc:
        err.print(f"[red]error:[/red] {_explain(exc)}")
        raise typer.Exit(code=1) from exc
    finally:
        db.dispose()
    console.print(f"id: {venue_id}")
    console.print(f"qr: {url}", soft_wrap=True)


@venues_app.command("poster")
def poster(
    venue_id: Annotated[uuid.UUID, typer.Argument(help="The venue's id.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="File to write.")],
    kind: Annotated[PosterFormat, typer.Option("--format", "-f")] = PosterFormat.PDF,
    size: Annotated[PaperSize, typer.Option(help="Paper size.")] = PaperSize.A4,
) -> None:
    """Write a venue's poster (PDF or PNG) with its current QR code."""
    settings = get_settings()
    keyring = Keyring(settings.keys_dir)
    db = _database()
    try:
        with db.session_scope() as session:
            venue = venue_service.get(session, venue_id=venue_id)
            if venue is None:
                err.print(f"[red]error:[/red] no venue {venue_id}")
                raise typer.Exit(code=1)
            text = _poster_text(
                session, venue, venue_service.url_for(keyring, venue, base_url=settings.base_url)
            )
            venue_service.mark_poster_downloaded(session, venue=venue)
    finally:
        db.dispose()
    data = (
        posters.pdf(text, size=size.value)
        if kind is PosterFormat.PDF
        else posters.png(text, size=size.value)
    )
    output.write_bytes(data)
    console.print(f"wrote {output} ({len(data)} bytes)")


@venues_app.command("posters")
def posters_for_ward(
    ward: Annotated[str, typer.Option(help="Ward (or any area) code.")],
    directory: Annotated[Path, typer.Option("-d", "--directory")] = Path("posters"),
    size: Annotated[PaperSize, typer.Option()] = PaperSize.A4,
) -> None:
    """Write the PDF posters of every venue in an area (one file per venue)."""
    settings = get_settings()
    keyring = Keyring(settings.keys_dir)
    db = _database()
    directory.mkdir(parents=True, exist_ok=True)
    try:
        with db.session_scope() as session:
            path = place_service.path_of(session, code=ward)
            if path is None:
                err.print(f"[red]error:[/red] no administrative unit {ward}")
                raise typer.Exit(code=1)
            venues, _total = venue_service.get_all(session, area_paths=[path], limit=100_000)
            with Progress(
                TextColumn("posters"), BarColumn(), MofNCompleteColumn(), console=err
            ) as bar:
                task = bar.add_task("posters", total=len(venues))
                for venue in venues:
                    url = venue_service.url_for(keyring, venue, base_url=settings.base_url)
                    target = directory / f"venue-{venue.number}.pdf"
                    target.write_bytes(
                        posters.pdf(_poster_text(session, venue, url), size=size.value)
                    )
                    venue_service.mark_poster_downloaded(session, venue=venue)
                    bar.advance(task)
    finally:
        db.dispose()
    console.print(f"{len(venues)} posters in {directory}")


@venues_app.command("list")
def list_venues(
    ward: Annotated[str | None, typer.Option(help="Only this area (code).")] = None,
) -> None:
    """List venues (all, or those of an area)."""
    db = _database()
    try:
        with db.session_scope() as session:
            paths: list[str | None] = [None]
            if ward:
                paths = [place_service.path_of(session, code=ward) or "-"]
            venues, total = venue_service.get_all(session, area_paths=paths, limit=10_000)
            table = Table("id", "number", "name", "category", "ward", "status", "code")
            for v in venues:
                table.add_row(
                    str(v.id), str(v.number), v.name, v.category.value, v.ward_code,
                    v.status.value, str(v.code_version),
                )  # fmt: skip
    finally:
        db.dispose()
    console.print(table)
    console.print(f"{total} venues")


def _change(venue_id: uuid.UUID, action: str) -> None:
    settings = get_settings()
    db = _database()
    try:
        with db.session_scope() as session:
            venue = venue_service.get(session, venue_id=venue_id)
            if venue is None:
                err.print(f"[red]error:[/red] no venue {venue_id}")
                raise typer.Exit(code=1)
            if action == "suspend":
                venue_service.suspend(session, venue=venue)
                console.print(f"{venue.name}: check-ins paused")
            elif action == "resume":
                venue_service.resume(session, venue=venue)
                console.print(f"{venue.name}: open again")
            else:
                venue_service.reissue_code(session, venue=venue)
                url = venue_service.url_for(
                    Keyring(settings.keys_dir), venue, base_url=settings.base_url
                )
                console.print(f"{venue.name}: code version {venue.code_version}")
                console.print(f"qr: {url}", soft_wrap=True)
    finally:
        db.dispose()


@venues_app.command("suspend")
def suspend(venue_id: uuid.UUID) -> None:
    """Pause check-ins at a venue (e.g. closed for disinfection)."""
    _change(venue_id, "suspend")


@venues_app.command("resume")
def resume(venue_id: uuid.UUID) -> None:
    """Open a suspended venue again."""
    _change(venue_id, "resume")


@venues_app.command("reissue")
def reissue(venue_id: uuid.UUID) -> None:
    """Revoke a venue's printed codes and print the new QR URL."""
    _change(venue_id, "reissue")


def register(app: typer.Typer) -> None:
    app.add_typer(venues_app, name="venues")
