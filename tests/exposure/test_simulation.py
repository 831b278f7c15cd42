"""End to end: simulated phones meet, cases upload keys through the API, every phone matches."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime, timedelta

import time_machine
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from epitrace.cli import app
from epitrace.config import Settings
from epitrace.db import Database
from epitrace.exposure import exportfile
from epitrace.exposure import service as exposure_service
from epitrace.exposure.device import fetch_exports
from epitrace.exposure.exportfile import ExportKey
from epitrace.exposure.simulation import Simulation
from epitrace.security.keys import Keyring
from tests.exposure.conftest import WARD


class ApiKeyServer:
    """The key server as phones and the health officer reach it: over HTTP."""

    def __init__(self, client: TestClient, officer: dict[str, str], db: Database,
                 settings: Settings) -> None:  # fmt: skip
        self.client = client
        self.officer = officer
        self.db = db
        self.settings = settings
        self.uploads = 0

    def issue_code(self, *, test_date: date, onset_date: date | None) -> str:
        response = self.client.post(
            "/api/v1/exposure/verification-codes",
            json={
                "area_code": WARD,
                "test_date": test_date.isoformat(),
                "onset_date": onset_date.isoformat() if onset_date else None,
            },
            headers=self.officer,
        )
        assert response.status_code == 201, response.text
        return str(response.json()["code"])

    def upload(self, code: str, keys: list[ExportKey]) -> None:
        body = {
            "verification_code": code,
            "keys": [
                {
                    "key_data": base64.b64encode(k.key_data).decode(),
                    "rolling_start_interval_number": k.rolling_start_interval_number,
                    "rolling_period": k.rolling_period,
                }
                for k in keys
            ],
        }
        response = self.client.post("/api/v1/exposure/keys", json=body)
        assert response.status_code == 201, response.text
        self.uploads += 1

    def publish(self, now: datetime) -> None:
        with self.db.session_scope() as session:
            exposure_service.publish_exports(
                session,
                keyring=Keyring(self.settings.keys_dir),
                exports_dir=self.settings.exports_dir,
                now=now,
            )

    def exports(self) -> list[bytes]:
        def get(url: str) -> bytes:
            response = self.client.get(url)
            assert response.status_code == 200, url
            return response.content

        return fetch_exports("http://testserver", get)

    def public_key(self) -> ec.EllipticCurvePublicKey:
        pem = self.client.get("/api/v1/exposure/public-key.pem").content
        return exportfile.load_public_key(pem)


def test_simulated_population_is_warned_through_the_api(
    client: TestClient, db: Database, settings: Settings, officer: dict[str, str]
) -> None:
    server = ApiKeyServer(client, officer, db, settings)
    simulation = Simulation(devices=40, venues=12, days=4, cases=3, seed=11)
    # the same day plan whatever the time the test runs (visits end before 18:00 UTC)
    evening = datetime.now(UTC).replace(hour=18, minute=0, second=0, microsecond=0)
    result = simulation.run(server, now=evening)
    print(result.summary())
    assert server.uploads == 3
    threshold = result.threshold
    # close enough even if every RSSI erred by 3 σ against them: must be warned
    clear_positives = {i for i, low in result.truth_low.items() if low >= threshold}
    # not close enough even if every RSSI erred by 3 σ for them: must not be warned
    clear_negatives = {i for i, high in result.truth_high.items() if high < threshold}
    never_near = {i for i, s in result.truth.items() if s == 0}
    # the population must hold both kinds for the test to mean something
    assert len(clear_positives) >= 3
    assert len(never_near) >= 10
    assert clear_positives <= result.alerted, "devices close to a case long enough are warned"
    assert not (clear_negatives & result.alerted), "devices that were not close are not warned"
    assert result.precision >= 0.8
    assert result.recall >= 0.8


def test_simulate_command_prints_precision_and_recall() -> None:
    result = CliRunner().invoke(
        app,
        ["exposure", "simulate", "--devices", "25", "--venues", "8", "--days", "3", "--cases", "2"],
    )
    assert result.exit_code == 0, result.output
    assert "precision=" in result.output
    assert "recall=" in result.output


def test_simulation_uses_keys_of_the_last_days_only(
    client: TestClient, db: Database, settings: Settings, officer: dict[str, str]
) -> None:
    server = ApiKeyServer(client, officer, db, settings)
    now = datetime.now(UTC)
    Simulation(devices=12, venues=3, days=2, cases=1, seed=3).run(server, now=now)
    oldest = (now - timedelta(days=3)).date()
    keys = exportfile.read_file(server.exports()[0]).keys
    assert keys
    assert all(
        datetime.fromtimestamp(k.rolling_start_interval_number * 600, UTC).date() >= oldest
        for k in keys
    )


def test_simulate_command_runs_at_any_time_of_day() -> None:
    """Regression: near 03:00 UTC a case's phone had no key in range, its empty upload was
    refused and the whole command failed."""
    at = datetime.now(UTC).replace(hour=2, minute=58)
    with time_machine.travel(at, tick=True):
        result = CliRunner().invoke(
            app,
            [
                "exposure",
                "simulate",
                "--devices",
                "25",
                "--venues",
                "8",
                "--days",
                "3",
                "--cases",
                "2",
            ],
        )
    assert result.exit_code == 0, result.output
    assert "recall=" in result.output
