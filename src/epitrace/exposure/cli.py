"""`epitrace exposure ...`: key schedule, export publishing, file inspection, simulation."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from epitrace import migrations
from epitrace.config import Settings, get_settings
from epitrace.db import Database
from epitrace.exposure import exportfile, schedule, tasks
from epitrace.exposure.simulation import Simulation
from epitrace.places import service as place_service
from epitrace.places.service import UnitRow
from epitrace.security.keys import Keyring, Purpose

exposure_app = typer.Typer(help="Bluetooth exposure notification.", no_args_is_help=True)
console = Console()
err = Console(stderr=True)

REPORT_TYPE_NAMES = {
    0: "UNKNOWN",
    1: "CONFIRMED_TEST",
    2: "CONFIRMED_CLINICAL_DIAGNOSIS",
    3: "SELF_REPORT",
    4: "RECURSIVE",
    5: "REVOKED",
}


def register(app: typer.Typer) -> None:
    app.add_typer(exposure_app, name="exposure")


def _hex(value: str, name: str, length: int) -> bytes:
    try:
        data = bytes.fromhex(value)
    except ValueError:
        raise typer.BadParameter(f"{name} must be hexadecimal") from None
    if len(data) != length:
        raise typer.BadParameter(f"{name} must be {length} bytes ({2 * length} hex digits)")
    return data


@exposure_app.command("rpis")
def rpis(
    tek: Annotated[str, typer.Option(help="Temporary exposure key, 32 hex digits.")],
    start: Annotated[int, typer.Option(help="First ENIntervalNumber.", min=0, max=2**32 - 1)],
    count: Annotated[int, typer.Option(min=1, max=10_000)] = schedule.TEK_ROLLING_PERIOD,
    metadata: Annotated[str, typer.Option(help="4 metadata bytes in hex.")] = "40080000",
) -> None:
    """Print `ENIN RPI AEM` for `count` intervals of a TEK."""
    keys = schedule.DerivedKeys.from_tek(_hex(tek, "--tek", schedule.KEY_LENGTH))
    meta = _hex(metadata, "--metadata", schedule.METADATA_LENGTH)
    if start + count - 1 > schedule.ENIN_MAX:
        raise typer.BadParameter("the intervals go past the 32-bit ENIN range")
    for offset, identifier in enumerate(schedule.rpis(keys.rpik, start, count)):
        aem = schedule.encrypt_metadata(keys.aemk, identifier, meta)
        typer.echo(f"{start + offset} {identifier.hex()} {aem.hex()}")


def _progress() -> Progress:
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
    )


@exposure_app.command("export")
def export() -> None:
    """Publish the keys whose rolling period has ended as signed export files."""
    settings = get_settings()
    database = Database(settings.database_url)
    try:
        with _progress() as bar:
            task = bar.add_task("keys exported", total=None)
            batches = tasks.publish_exports(
                database,
                settings,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
    finally:
        database.dispose()
    if not batches:
        console.print("no keys are ready for publication")
        return
    for batch in batches:
        console.print(
            f"{batch.name}: {batch.key_count} keys + {batch.padding_count} padding, "
            f"{batch.file_size} bytes"
        )


@exposure_app.command("purge")
def purge() -> None:
    """Delete keys past the retention period and export files older than 14 days."""
    settings = get_settings()
    database = Database(settings.database_url)
    try:
        keys, files = tasks.purge(database, settings)
    finally:
        database.dispose()
    console.print(f"deleted {keys} keys and {files} export files")


@exposure_app.command("inspect")
def inspect(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    public_key: Annotated[
        Path | None,
        typer.Option(exists=True, dir_okay=False, help="PEM public key to verify with."),
    ] = None,
    keys: Annotated[bool, typer.Option(help="List every key.")] = False,
) -> None:
    """Print an export file's header and keys, and whether its signature verifies."""
    try:
        parsed = exportfile.read_file(file.read_bytes())
    except exportfile.ExportFormatError as exc:
        err.print(f"[red]error:[/red] {file}: {exc}")
        raise typer.Exit(code=2) from None
    start = datetime.fromtimestamp(parsed.start_timestamp, UTC).isoformat()
    end = datetime.fromtimestamp(parsed.end_timestamp, UTC).isoformat()
    typer.echo(f"region: {parsed.region}")
    typer.echo(f"start_timestamp: {parsed.start_timestamp} ({start})")
    typer.echo(f"end_timestamp: {parsed.end_timestamp} ({end})")
    typer.echo(f"batch: {parsed.batch_num} of {parsed.batch_size}")
    typer.echo(f"keys: {len(parsed.keys)}")
    typer.echo(f"revised_keys: {len(parsed.revised_keys)}")
    for info in parsed.signature_infos:
        typer.echo(
            f"signature_info: key_id={info.key_id} version={info.key_version} "
            f"algorithm={info.algorithm}"
        )
    if keys:
        for key in parsed.keys:
            typer.echo(
                f"  {key.key_data.hex()} start={key.rolling_start_interval_number} "
                f"period={key.rolling_period} "
                f"report={REPORT_TYPE_NAMES.get(key.report_type, key.report_type)} "
                f"dso={key.days_since_onset_of_symptoms}"
            )
    if public_key is None:
        typer.echo("signature: not checked (give --public-key)")
        return
    try:
        verifier = exportfile.load_public_key(public_key.read_bytes())
    except (ValueError, exportfile.ExportFormatError) as exc:
        err.print(f"[red]error:[/red] {public_key}: {exc}")
        raise typer.Exit(code=2) from None
    if exportfile.verify(parsed, verifier):
        typer.echo("signature: valid")
        return
    typer.echo("signature: INVALID")
    raise typer.Exit(code=1)


@exposure_app.command("simulate")
def simulate(
    devices: Annotated[int, typer.Option(min=2, max=5000)] = 60,
    venues: Annotated[int, typer.Option(min=1, max=500)] = 12,
    days: Annotated[int, typer.Option(min=1, max=12)] = 5,
    cases: Annotated[int, typer.Option(min=1)] = 4,
    seed: int = 7,
) -> None:
    """Simulate phones meeting at venues, cases uploading keys, and every phone matching.

    Runs against a fresh SQLite database and keyring in a temporary folder, through the same
    service functions as the server, and prints precision and recall against the truth.
    """
    if cases > devices:
        raise typer.BadParameter("there cannot be more cases than devices")
    with tempfile.TemporaryDirectory(prefix="epitrace-sim-") as folder:
        root = Path(folder)
        settings = Settings(
            database_url=f"sqlite:///{root / 'sim.sqlite3'}",
            keys_dir=root / "keys",
            exports_dir=root / "exports",
            secret_key_file=root / "secret.key",
        )
        migrations.upgrade(settings.database_url)
        database = Database(settings.database_url)
        try:
            with database.session_scope() as session:
                place_service.load(
                    session,
                    [
                        UnitRow("79", "Thành phố Hồ Chí Minh", "thành phố trung ương", None, 0),
                        UnitRow("26743", "Phường Bến Thành", "phường", "79", 0),
                    ],
                )
            Keyring(settings.keys_dir).ensure(Purpose.EXPOSURE_EXPORT)
            server = tasks.ServiceKeyServer(database, settings, area_code="26743")
            simulation = Simulation(
                devices=devices, venues=venues, days=days, cases=cases, seed=seed
            )
            result = simulation.run(server, progress=lambda m: err.print(f"… {m}"))
        finally:
            database.dispose()
    typer.echo(result.summary())
