"""Running the application under uvicorn with its listening socket marked as TCP.

With several worker processes (or the reloader) uvicorn binds the listening socket itself and
creates it without a protocol number (`socket.socket(family=…)`, proto 0). Accepted
connections inherit that number, and asyncio enables `TCP_NODELAY` only on sockets that say
they are TCP; so every connection kept alive (a reverse proxy's, a phone's) kept Nagle's
algorithm, and each response after the first waited for the client's delayed
acknowledgement: about 40 ms a request on Linux, whatever the request did (uvicorn issue
3149). One worker is not affected: asyncio binds that socket from `getaddrinfo`, which gives
the protocol. `run` starts uvicorn as `uvicorn.run` does, with a `Config` whose socket is
re-read from its descriptor, which gives the protocol the kernel knows (IPPROTO_TCP).
"""

from __future__ import annotations

import socket
from typing import Any

import uvicorn
from uvicorn.supervisors import ChangeReload, Multiprocess


class TcpConfig(uvicorn.Config):
    """uvicorn's configuration, whose listening socket reports the TCP protocol."""

    def bind_socket(self) -> socket.socket:
        sock = super().bind_socket()
        if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.proto != socket.IPPROTO_TCP:
            # a socket made from a descriptor asks the kernel for its family, type and protocol
            sock = socket.socket(fileno=sock.detach())
            sock.set_inheritable(True)
        return sock


def run(app: str, **options: Any) -> None:
    """`uvicorn.run(app, **options)`, every accepted connection with `TCP_NODELAY`."""
    if not options.get("reload") and (options.get("workers") or 1) <= 1:
        uvicorn.run(app, **options)  # asyncio binds the socket: no bound socket to mend
        return
    config = TcpConfig(app, **options)
    sock = config.bind_socket()
    try:
        if config.should_reload:
            ChangeReload(config, target=uvicorn.Server(config).run, sockets=[sock]).run()
        else:
            Multiprocess(config, sockets=[sock]).run()
    except KeyboardInterrupt:
        pass
