"""A local HTTP gateway started by the tests: answers from a script, counts requests and
deliveries per `Idempotency-Key`, and drops a second copy of a key it already accepted, as
a real SMS gateway does."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Answer:
    status: int = 200
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (after the message was taken)


@dataclass
class Gateway:
    url: str = ""
    script: list[Answer] = field(default_factory=list)
    requests: Counter[str] = field(default_factory=Counter)
    deliveries: Counter[str] = field(default_factory=Counter)
    bodies: list[dict[str, Any]] = field(default_factory=list)
    auth: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, key: str, body: dict[str, Any], auth: str) -> Answer:
        with self.lock:
            self.requests[key] += 1
            self.bodies.append(body)
            self.auth.append(auth)
            answer = self.script.pop(0) if self.script else Answer()
            if answer.status < 400 and not self.deliveries[key]:
                self.deliveries[key] += 1
            return answer


@contextmanager
def running(gateway: Gateway) -> Iterator[Gateway]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            key = self.headers.get("idempotency-key", "")
            answer = gateway.handle(key, body, self.headers.get("authorization", ""))
            if answer.delay:
                time.sleep(answer.delay)
            payload = json.dumps(
                answer.body if answer.body is not None else {"id": f"gw-{key[:8]}"}
            ).encode()
            try:
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:  # the client gave up (timeout)
                pass

        def log_message(self, format: str, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    gateway.url = f"http://127.0.0.1:{server.server_address[1]}/send"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield gateway
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
