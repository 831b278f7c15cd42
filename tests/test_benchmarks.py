"""Every benchmark runs end to end at a tiny size, so that a schema or API change that breaks
one is found by the suite, not by the next person measuring (the tracing benchmark once
stopped loading when a column became NOT NULL). Figures are not checked here: speed is
measured by `make bench`, never in tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect

from epitrace import migrations
from tests.conftest import _create_pg_database, _drop_pg_database

ROOT = Path(__file__).resolve().parent.parent

TINY = {
    "checkin": ["--seconds", "1", "--citizens", "400", "--clients", "2", "--workers", "1"],
    "tracing": [
        "--people",
        "2000",
        "--venues",
        "100",
        "--cases",
        "2",
        "--brute-runs",
        "1",
        "--sqlite-people",
        "500",
        "--sqlite-venues",
        "30",
    ],
    "exposure": [
        "--keys",
        "500",
        "--observations",
        "200",
        "--export-keys",
        "2000",
        "--rounds",
        "1",
    ],
    "declarations": ["--declarations", "500", "--repeat", "3"],
    "reports": ["--wards", "30", "--repeat", "1"],
    "rollout": ["--wards", "5", "--people", "2000", "--venues", "50", "--checkins", "2000"],
    "alerts": ["--recipients", "2000", "--drain", "100", "--rate", "1000"],
    "scale": [
        "--days",
        "2",
        "--rows-per-day",
        "5000",
        "--venues",
        "200",
        "--cases",
        "2",
        "--database",
        "bench_scale_tiny",
    ],
    "privacy": [
        "--people",
        "2000",
        "--venues",
        "100",
        "--cases",
        "2",
        "--sqlite-people",
        "500",
        "--sqlite-venues",
        "30",
    ],
}


def test_every_benchmark_has_a_tiny_run() -> None:
    from bench.__main__ import BENCHMARKS

    assert set(BENCHMARKS) == set(TINY)


@pytest.mark.parametrize("name", sorted(TINY))
def test_benchmark_runs(name: str, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", f"bench.{name}", *TINY[name]],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    assert done.stdout.strip()


def test_the_target_rows_are_printed_together(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`make bench` ends with one row per target of the performance work, each figure beside
    the baseline of the same run; a run below a target's reference size is shown, not judged."""
    from bench import exposure, targets, tracing

    monkeypatch.setattr(targets, "_rows", {})
    # `python -m bench` runs each benchmark in its own process: the rows travel by a file
    rows = tmp_path / "targets.jsonl"
    monkeypatch.setenv(targets.FILE_VARIABLE, str(rows))
    monkeypatch.setattr(sys, "argv", ["bench.exposure", *TINY["exposure"]])
    exposure.main()
    monkeypatch.setattr(sys, "argv", ["bench.tracing", *TINY["tracing"], "--skip-sqlite"])
    tracing.main()
    monkeypatch.setattr(targets, "_rows", {})
    targets.load(rows)
    recorded = {row.target: row for row in targets.rows()}
    gaen, trace, indexes = (recorded[targets.ORDER[i]] for i in (3, 2, 4))
    assert gaen.met is (float(gaen.figure.split("×")[0]) <= 4)
    assert "brute-force SQL" in trace.baseline and trace.met is None  # far below 20 M
    assert indexes.baseline.startswith("table ") and isinstance(indexes.met, bool)
    summary = targets.summary()
    assert summary.count("not measured in this run") == 3  # check-ins, batches, retention
    assert "below the reference size" in summary
    with pytest.raises(ValueError, match="not a target"):
        targets.record("something else", figure="", baseline="", met=None)


def test_the_tracing_benchmark_measures_the_schemas_own_presence_indexes() -> None:
    """Its loader drops the presence indexes and builds them after the load: what it builds
    must be the migrated schema's indexes, no more (it once added a client-key constraint of
    an older schema, 40 MiB of NULLs counted in the indexes' size)."""
    from bench import population

    def indexes(url: str) -> set[tuple[str, tuple[str, ...]]]:
        engine = create_engine(url)
        try:
            found = inspect(engine)
            named = {
                (str(ix["name"]), tuple(str(c) for c in ix["column_names"]))
                for ix in found.get_indexes("presence")
            }
            named |= {
                (str(uq["name"]), tuple(uq["column_names"]))
                for uq in found.get_unique_constraints("presence")
            }
            return named
        finally:
            engine.dispose()

    made: list[str] = []
    try:
        bench_name, bench_url = _create_pg_database()
        made.append(bench_name)
        engine = create_engine(bench_url)
        population.load(engine, population.Spec(people=300, venues=20, days=2))
        engine.dispose()
        schema_name, schema_url = _create_pg_database()
        made.append(schema_name)
        migrations.upgrade(schema_url)
        assert indexes(bench_url) == indexes(schema_url)
    finally:
        for name in made:
            _drop_pg_database(name)
