"""Check-in benchmark: a real server process on PostgreSQL, concurrent HTTP clients.

`python -m bench.checkin` creates its own PostgreSQL database, starts the server as production
does (`epitrace serve --workers N`) in a separate process, and measures with concurrent
clients (threads, keep-alive connections):
- the trivial endpoint `/healthz` (one `SELECT 1`): the baseline of this machine and server;
- `POST /api/v1/checkins` (rate limits, token verification, closing the previous presence,
  the new presence): half the citizens start with an open presence at one of eight venues and
  each request moves a citizen on to the next venue, so every request creates a presence and
  closes the previous one (a citizen comes back to a venue only after seven other visits, far
  beyond the one-minute duplicate window); each request carries a client key, as the web app
  sends it, so each also writes a scan receipt (`--no-client-key` leaves it out);
- `POST /api/v1/checkins/batch` with 50 offline scans each, from the other half: every scan of
  a citizen is two minutes after the previous one at another venue, so every scan writes a
  presence (and, but for a citizen's very first, closes the previous one).
The figures are the ratios of check-ins/s and scans/s to the baseline requests/s, all measured
in this run, the rows each phase really wrote (counted in the database before and after), and
the CPU time a request cost the server, PostgreSQL and the clients (read from /proc).
The database is dropped at the end. With `EPITRACE_REDIS_URL` set in its environment the
server keeps its rate-limit counters in Redis (the production setting); the output says which.
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import create_engine, insert, text

from bench import targets
from epitrace import migrations
from epitrace.accounts import service as account_service
from epitrace.accounts.models import Person, UserAccount, new_pseudonym
from epitrace.checkins.models import Presence, PresenceMethod
from epitrace.db import Database
from epitrace.domains import import_models
from epitrace.places import service as place_service
from epitrace.places.service import UnitRow
from epitrace.security.keys import Keyring
from epitrace.venues import service as venue_service
from epitrace.venues.models import VenueCategory

ADMIN_URL = os.environ.get(
    "EPITRACE_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BATCH_SIZE = 50
VENUES = 8
SCAN_SPACING = timedelta(minutes=2)  # between two offline scans of one citizen


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def create_database() -> tuple[str, str]:
    name = f"epitrace_bench_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return name, ADMIN_URL.rpartition("/")[0] + "/" + name


def drop_database(name: str) -> None:
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def seed(url: str, keyring: Keyring, citizens: int) -> tuple[list[str], list[str]]:
    """`VENUES` venues, `citizens` citizen accounts with API tokens, and an open presence at
    the first venue for each citizen of the first half; returns (tokens, venue codes)."""
    import_models()
    db = Database(url)
    with db.session_scope() as session:
        place_service.load(
            session,
            [
                UnitRow("79", "Thành phố Hồ Chí Minh", "thành phố trung ương", None, 9_000_000),
                UnitRow("26743", "Phường Bến Thành", "phường", "79", 60_000),
            ],
        )
        venues = [
            venue_service.create(
                session, name=f"Chợ số {i + 1}", category=VenueCategory.MARKET, ward_code="26743"
            )
            for i in range(VENUES)
        ]
        codes = [venue_service.token_for(keyring, v) for v in venues]
        people = [uuid.uuid4() for _ in range(citizens)]
        session.execute(
            insert(Person),
            [
                {"id": p, "full_name": f"Người {i}", "pseudonym": new_pseudonym()}
                for i, p in enumerate(people)
            ],
        )
        accounts = [uuid.uuid4() for _ in people]
        session.execute(
            insert(UserAccount),
            [
                {
                    "id": a,
                    "kind": "citizen",
                    "phone": f"+849{i:08d}",
                    "display_name": f"Người {i}",
                    "person_id": p,
                    "is_active": True,
                }
                for i, (a, p) in enumerate(zip(accounts, people, strict=True))
            ],
        )
        entered = datetime.now(UTC) - timedelta(minutes=10)
        session.execute(
            insert(Presence),
            [
                {
                    "venue_id": venues[0].id,
                    "ward_code": "26743",
                    "person_id": p,
                    "entered_at": entered,
                    "method": PresenceMethod.SELF_SCAN,
                }
                for p in people[: citizens // 2]
            ],
        )
        session.flush()
        tokens = []
        for account_id in accounts:
            account = session.get(UserAccount, account_id)
            if account is None:
                raise RuntimeError("seeded account vanished")
            token, _ttl = account_service.issue_token(session, account=account, ttl_seconds=3600)
            tokens.append(token)
    db.dispose()
    return tokens, codes


def start_server(
    url: str, keys: Path, workdir: Path, port: int, workers: int
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "EPITRACE_DATABASE_URL": url,
        "EPITRACE_KEYS_DIR": str(keys),
        "EPITRACE_SECRET_KEY_FILE": str(workdir / "secret.key"),
        "EPITRACE_BASE_URL": "https://checkin.example.vn",
        "EPITRACE_SMS_OUTBOX": str(workdir / "sms.log"),
        "EPITRACE_ENVIRONMENT": "production",
        "EPITRACE_RUN_JOBS_IN_PROCESS": "false",
        "EPITRACE_LOG_LEVEL": "warning",
    }
    # the production command, `epitrace serve` (epitrace.web.serving): a plain
    # `uvicorn --workers N` leaves Nagle's algorithm on every kept-alive connection, about
    # 40 ms a request whatever it does (docs/performance.md, "The 40 ms of every request")
    command = [
        sys.executable, "-c", "from epitrace.cli import app; app()", "serve",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
    ]  # fmt: skip
    server = subprocess.Popen(command, env=env, cwd=workdir)  # noqa: S603 - our own command line
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.terminate()
    raise RuntimeError("the server did not start")


def hammer(
    base: str, clients: int, seconds: float, request: Callable[[httpx.Client, int, int], int]
) -> tuple[float, int, int]:
    """Run `request(client, worker, n)` in `clients` threads for `seconds`; (req/s, ok, errors).

    `request` returns how many items one request carried (1, or the scans of a batch), or a
    negative number for a failed request.
    """
    done = [0] * clients
    items = [0] * clients
    errors = [0] * clients
    stop = threading.Event()

    def worker(index: int) -> None:
        with httpx.Client(base_url=base, timeout=30) as client:
            n = 0
            while not stop.is_set():
                carried = request(client, index, n)
                n += 1
                if carried < 0:
                    errors[index] += 1
                else:
                    done[index] += 1
                    items[index] += carried

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    return sum(items) / elapsed, sum(done), sum(errors)


class CpuMeter:
    """CPU time spent by the server (its process and workers), PostgreSQL and this process
    (the client threads), read from /proc: where a phase's CPU went, per request."""

    TICK = os.sysconf("SC_CLK_TCK")

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid

    @staticmethod
    def _stat(pid: str) -> tuple[str, int, float] | None:
        try:
            text = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return None
        name = text[text.index("(") + 1 : text.rindex(")")]
        fields = text[text.rindex(")") + 2 :].split()
        return name, int(fields[1]), (int(fields[11]) + int(fields[12])) / CpuMeter.TICK

    def snapshot(self) -> dict[tuple[str, str], float]:
        stats = {pid: self._stat(pid) for pid in os.listdir("/proc") if pid.isdigit()}
        found = {pid: stat for pid, stat in stats.items() if stat is not None}
        server = {str(self.server_pid)}
        grown = True
        while grown:  # the server's worker processes (and theirs)
            children = {pid for pid, (_n, ppid, _t) in found.items() if str(ppid) in server}
            grown = not children <= server
            server |= children
        times: dict[tuple[str, str], float] = {}
        for pid, (name, _ppid, cpu) in found.items():
            if pid in server:
                times[("server", pid)] = cpu
            elif name == "postgres":
                times[("postgres", pid)] = cpu
        times[("clients", str(os.getpid()))] = sum(os.times()[:2])
        return times

    @staticmethod
    def per_request(
        before: dict[tuple[str, str], float], after: dict[tuple[str, str], float], requests: int
    ) -> str:
        spent: dict[str, float] = {"server": 0.0, "postgres": 0.0, "clients": 0.0}
        for key, cpu in after.items():
            spent[key[0]] += cpu - before.get(key, 0.0)
        total = sum(spent.values())
        parts = ", ".join(f"{k} {v / max(requests, 1) * 1000:.1f} ms" for k, v in spent.items())
        return f"CPU a request: {parts}; all {total / max(requests, 1) * 1000:.1f} ms"


ROW_COUNTS = {
    "presences": "SELECT count(*) FROM presence",
    "closed": "SELECT count(*) FROM presence WHERE left_at IS NOT NULL",
    "receipts": "SELECT count(*) FROM checkin_scan",
}


def row_counts(url: str) -> dict[str, int]:
    """Rows in the tables a check-in writes: the difference before/after a phase is what it
    really wrote (duplicates and refusals write nothing)."""
    db = Database(url)
    with db.engine.connect() as conn:
        counts = {
            name: int(conn.execute(text(sql)).scalar_one()) for name, sql in ROW_COUNTS.items()
        }
    db.dispose()
    return counts


def written(before: dict[str, int], after: dict[str, int]) -> str:
    new = after["presences"] - before["presences"]
    closed = after["closed"] - before["closed"]
    receipts = after["receipts"] - before["receipts"]
    return f"written: {new} presences, {closed} closed, {receipts} scan receipts"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16, help="concurrent client threads")
    parser.add_argument("--workers", type=int, default=max(2, os.cpu_count() or 2))
    parser.add_argument("--seconds", type=float, default=12.0, help="duration of each phase")
    parser.add_argument("--citizens", type=int, default=3000)
    parser.add_argument(
        "--no-client-key",
        action="store_true",
        help="single check-ins without the client key the web app sends (no receipt written)",
    )
    args = parser.parse_args(argv)

    name, url = create_database()
    server: subprocess.Popen[bytes] | None = None
    try:
        with tempfile.TemporaryDirectory() as tmp:
            workdir = Path(tmp)
            keyring = Keyring(workdir / "keys")
            print(f"database {name}: migrating and seeding {args.citizens} citizens …")
            migrations.upgrade(url)
            tokens, codes = seed(url, keyring, args.citizens)
            port = free_port()
            server = start_server(url, workdir / "keys", workdir, port, args.workers)
            base = f"http://127.0.0.1:{port}"
            half = len(tokens) // 2
            per_client = half // args.clients

            def healthz(client: httpx.Client, _worker: int, _n: int) -> int:
                return 1 if client.get("/healthz").status_code == 200 else -1

            def checkin(client: httpx.Client, worker: int, n: int) -> int:
                # Citizens of the first half, each with an open presence at venue 0 from the
                # seed: visit k of a citizen goes to venue k + 1 (mod VENUES), so it closes the
                # presence of visit k - 1 at another venue and creates one.
                user = worker * per_client + n % per_client
                code = codes[(n // per_client + 1) % VENUES]
                body = {"token": code, "device_id": f"bench-{user}"}
                if not args.no_client_key:  # as the web app sends it: a key per scan
                    body["client_key"] = f"bench-{user:06d}-{worker:03d}-{n:08d}"
                response = client.post(
                    "/api/v1/checkins",
                    json=body,
                    headers={"Authorization": f"Bearer {tokens[user]}"},
                )
                return 1 if response.status_code == 201 else -1

            started = datetime.now(UTC) - timedelta(hours=24)

            def batch(client: httpx.Client, worker: int, n: int) -> int:
                # Citizens of the second half; a citizen's scans follow each other every
                # SCAN_SPACING at the next venue, batch after batch, so none is a duplicate.
                user = half + worker * per_client + n % per_client
                first = (n // per_client) * BATCH_SIZE
                scans = [
                    {
                        "client_key": f"bench-{user:06d}-{first + i:06d}",
                        "token": codes[(first + i) % VENUES],
                        "at": (started + (first + i) * SCAN_SPACING).isoformat(),
                    }
                    for i in range(BATCH_SIZE)
                ]
                response = client.post(
                    "/api/v1/checkins/batch",
                    json={"scans": scans},
                    headers={"Authorization": f"Bearer {tokens[user]}"},
                )
                if response.status_code != 200 or response.json()["refused"]:
                    return -1
                return BATCH_SIZE

            hammer(base, args.clients, 2.0, healthz)  # warm up connections and workers
            meter = CpuMeter(server.pid)
            start = meter.snapshot()
            base_rate, base_ok, base_err = hammer(base, args.clients, args.seconds, healthz)
            base_cpu = CpuMeter.per_request(start, meter.snapshot(), base_ok)
            before = row_counts(url)
            start = meter.snapshot()
            rate, ok, err = hammer(base, args.clients, args.seconds, checkin)
            checkin_cpu = CpuMeter.per_request(start, meter.snapshot(), ok)
            middle = row_counts(url)
            scan_rate, batches, batch_err = hammer(base, args.clients, args.seconds / 2, batch)
            after = row_counts(url)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=20)
        drop_database(name)

    print(f"server: epitrace serve, {args.workers} worker processes; {args.clients} client threads")
    counters = os.environ.get("EPITRACE_REDIS_URL") or "the database"
    print(f"rate-limit counters in {counters} (EPITRACE_REDIS_URL)")
    print(f"/healthz          {base_rate:8.1f} req/s   ({base_ok} ok, {base_err} failed)")
    print(f"  {base_cpu}")
    print(f"POST /checkins    {rate:8.1f} req/s   ({ok} ok, {err} failed)")
    print(f"  {checkin_cpu}")
    print(f"  {written(before, middle)}")
    print(f"ratio check-in / healthz: {rate / base_rate:.2f}")
    print(
        f"POST /checkins/batch ({BATCH_SIZE} scans): {scan_rate:8.1f} scans/s"
        f"   ({batches} batches = {batches * BATCH_SIZE} scans, {batch_err} failed); "
        f"ratio scans/s / healthz: {scan_rate / base_rate:.2f}"
    )
    print(f"  {written(middle, after)}")
    targets.record(
        targets.ORDER[0],
        figure=f"{rate / base_rate:.2f} ({rate:,.1f} check-ins/s)",
        baseline=f"/healthz {base_rate:,.1f} req/s",
        met=rate / base_rate >= 0.6,
    )
    targets.record(
        targets.ORDER[1],
        figure=f"{scan_rate:,.0f} scans/s (batches of {BATCH_SIZE})",
        baseline=f"/healthz {base_rate:,.1f} req/s",
        met=scan_rate >= 20_000,
    )
    return 0 if not (err or batch_err or base_err) else 1


if __name__ == "__main__":
    raise SystemExit(main())
