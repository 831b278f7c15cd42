"""The `epitrace` command honours EPITRACE_DATABASE_URL and reports bad input clearly."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from epitrace.cli import app
from epitrace.config import get_settings
from epitrace.db import Database
from epitrace.places import service as place_service


@pytest.fixture
def cli_env(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("EPITRACE_DATABASE_URL", db.url)
    monkeypatch.setenv("EPITRACE_KEYS_DIR", str(tmp_path / "keys"))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_places_load_csv_reports_bad_rows_and_loads_nothing(
    cli_env: CliRunner, db: Database, tmp_path: Path
) -> None:
    bad = tmp_path / "units.csv"
    bad.write_text(
        "code,name,type,parent_code,population\n01,Hà Nội,tỉnh,,8500000\n001,Ba Đình,quận,01,x\n",
        encoding="utf-8",
    )
    result = cli_env.invoke(app, ["places", "load", "csv", str(bad)])
    assert result.exit_code == 1
    assert "line 3: population 'x' is not a whole number" in result.output
    assert "nothing was loaded" in result.output
    with db.session_scope() as s:
        assert place_service.count(s) == 0

    good = tmp_path / "old.csv"
    good.write_text(
        "code,name,type,parent_code,population\n01,Hà Nội,tỉnh,,8500000\n"
        "001,Ba Đình,quận,01,240000\n00001,Phúc Xá,phường,001,20000\n",
        encoding="utf-8",
    )
    result = cli_env.invoke(app, ["places", "load", "csv", str(good)])
    assert result.exit_code == 0, result.output
    with db.session_scope() as s:
        ancestors = place_service.get_ancestors(s, code="00001")
        assert [u.code for u in ancestors] == ["01", "001"]


def test_places_load_vietnam(cli_env: CliRunner, db: Database) -> None:
    result = cli_env.invoke(app, ["places", "load", "vietnam"])
    assert result.exit_code == 0, result.output
    assert "loaded 3355 units (34 provinces, 3321 wards)" in result.output
    with db.session_scope() as s:
        assert place_service.count(s) == 3355
        assert [u.code for u in place_service.get_ancestors(s, code="26743")] == ["79"]


def test_users_create_with_several_roles_and_demo_seed(
    cli_env: CliRunner, places: object, db: Database
) -> None:
    result = cli_env.invoke(
        app,
        [
            "users",
            "create",
            "--username",
            "minh",
            "--password",
            "a-long-password",
            "--role",
            "health_officer",
            "--area",
            "79",
            "--role",
            "ward_official",
            "--area",
            "26743",
        ],
    )
    assert result.exit_code == 0, result.output
    mismatch = cli_env.invoke(
        app,
        [
            "users",
            "create",
            "--username",
            "x",
            "--password",
            "a-long-password",
            "--role",
            "ward_official",
        ],
    )
    assert mismatch.exit_code == 1
    assert "one --area for every --role" in mismatch.output
    unknown_area = cli_env.invoke(
        app,
        [
            "users",
            "create",
            "--username",
            "y",
            "--password",
            "a-long-password",
            "--role",
            "ward_official",
            "--area",
            "55555",
        ],
    )
    assert unknown_area.exit_code == 1
    assert "Administrative unit 55555 does not exist." in unknown_area.output

    seeded = cli_env.invoke(app, ["demo", "seed"])
    assert seeded.exit_code == 0, seeded.output
    for username in ("admin", "province", "ward", "health", "dic", "org", "operator"):
        assert username in seeded.output
    again = cli_env.invoke(app, ["demo", "seed"])
    assert again.exit_code == 0, again.output


def test_keys_commands(cli_env: CliRunner) -> None:
    assert cli_env.invoke(app, ["keys", "create", "venue"]).exit_code == 0
    assert cli_env.invoke(app, ["keys", "create", "venue"]).exit_code == 0
    listed = cli_env.invoke(app, ["keys", "list"])
    assert "trusted" in listed.output
    assert "active" in listed.output
    assert cli_env.invoke(app, ["keys", "retire", "venue", "1"]).exit_code == 0
    pem = cli_env.invoke(app, ["keys", "public", "venue"])
    assert pem.output.startswith("-----BEGIN PUBLIC KEY-----")


def test_vapid_key_command(cli_env: CliRunner) -> None:
    first = cli_env.invoke(app, ["keys", "vapid"])
    assert first.exit_code == 0, first.output
    again = cli_env.invoke(app, ["keys", "vapid"])
    assert again.output == first.output
    assert len(first.output.strip()) == 87  # 65 bytes in base64url
    rotated = cli_env.invoke(app, ["keys", "vapid", "--rotate"])
    assert rotated.exit_code == 0
    assert rotated.output != first.output
