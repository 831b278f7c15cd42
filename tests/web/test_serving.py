"""`epitrace serve` with several workers: every accepted connection has TCP_NODELAY.

uvicorn's own socket for several workers says protocol 0; connections accepted on it kept
Nagle's algorithm, and each response on a kept-alive connection waited about 40 ms for the
client's delayed acknowledgement (measured by `bench/checkin.py`: 47 ms a `/healthz` from
one client with two workers, 3 ms with one).
"""

from __future__ import annotations

import asyncio
import re
import socket
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from epitrace.web import serving

ROOT = Path(__file__).resolve().parents[2]


async def _nodelay_of_an_accepted_connection(listener: socket.socket) -> int:
    accepted: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    class Probe(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            sock = transport.get_extra_info("socket")
            accepted.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    server = await asyncio.get_running_loop().create_server(Probe, sock=listener)
    async with server:
        host, port = listener.getsockname()[:2]
        _reader, writer = await asyncio.open_connection(host, port)
        try:
            return await asyncio.wait_for(accepted, timeout=10)
        finally:
            writer.close()


@pytest.mark.parametrize("host", ["127.0.0.1", "::1"])
def test_the_socket_serve_binds_for_several_workers_gives_connections_nodelay(host: str) -> None:
    if host == "::1" and not socket.has_ipv6:
        pytest.fail("this machine has no IPv6 loopback; the test needs one")
    config = serving.TcpConfig("epitrace.asgi:app", host=host, port=0, workers=2)
    listener = config.bind_socket()
    assert listener.proto == socket.IPPROTO_TCP
    assert listener.get_inheritable()  # the workers receive it
    # a loop of its own in a thread of its own: the browser tests leave one running in this
    # thread when they share the worker process
    with ThreadPoolExecutor(1) as thread:
        nodelay = thread.submit(lambda: asyncio.run(_nodelay_of_an_accepted_connection(listener)))
        assert nodelay.result(timeout=30) == 1


def test_the_server_is_started_only_through_serving() -> None:
    # the rule that keeps the class away: no other code starts uvicorn with its own socket,
    # and the check-in benchmark measures the production command
    starts = re.compile(r"uvicorn\.run\(|Multiprocess\(|ChangeReload\(|\"-m\", \"uvicorn\"")
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("src", "bench")
        for path in (ROOT / folder).rglob("*.py")
        if path.name != "serving.py" and starts.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
    assert '"serve"' in (ROOT / "bench" / "checkin.py").read_text(encoding="utf-8")
