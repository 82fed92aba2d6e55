"""A fake ERP that receives outbox deliveries: for the tests and the offline demo (DESIGN
rule 8). Standard library only, so tests can run it as a plain subprocess.

    POST <any path>      a delivery (see kabinet/integrations/erp/outbound.py): the signature
                         is checked (401 if wrong), the idempotency key de-duplicated (the
                         first delivery of a key is recorded as an *effect* and answered 200
                         with an ERP number; a repeat is answered 409 and changes nothing).
    GET  /control        the current behaviour, as JSON;
    POST /control        change it: {"mode": ..., "rate": 0..1, "delay": seconds};
    GET  /effects        what was applied: {"effects": [{"key", "topic", "erp_number"}],
                         "deliveries": total POSTs received}.

Modes (each applies to a `rate` share of deliveries, chosen at random; the rest are normal):
    ok       answer normally;
    refuse   422, nothing recorded (the ERP does not accept the message);
    503      503, nothing recorded (the ERP is down);
    timeout  wait `delay` seconds (default 30), record nothing, close the connection;
    slow     wait `delay` seconds (default 2), then answer normally;
    drop     record the effect, then close the connection without answering (the ERP
             committed but the answer was lost: the relay retries and must not double it).

Effects live in an SQLite file the fake ERP owns (`--db`), so they survive its restarts.
"""

import argparse
import hashlib
import hmac
import json
import random
import socket
import sqlite3
import threading
import time
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

MODES = ("ok", "refuse", "503", "timeout", "slow", "drop")
DEFAULT_DELAY = {"timeout": 30.0, "slow": 2.0}
# A delivery signed longer ago than this is refused: a captured request cannot be replayed.
MAX_CLOCK_SKEW = 300


class FakeErp:
    def __init__(
        self,
        *,
        db_path: Path,
        secret: str | Callable[[], str],
        mode: str = "ok",
        rate: float = 1.0,
        delay: float | None = None,
    ) -> None:
        self.db_path = db_path
        self._secret = secret
        self._lock = threading.Lock()
        self.mode, self.rate, self.delay = "ok", 1.0, 0.0
        self.configure(mode=mode, rate=rate, delay=delay)
        with self._db() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS effects (key TEXT PRIMARY KEY, topic TEXT NOT NULL,"
                " erp_number TEXT NOT NULL, body TEXT NOT NULL, received_at REAL NOT NULL)"
            )
            db.execute("CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, n INTEGER)")

    def _db(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.db_path, timeout=30, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")  # durable enough for a fake, and fast
        return db

    def secret(self) -> str:
        return self._secret() if callable(self._secret) else self._secret

    def configure(self, *, mode: str, rate: float = 1.0, delay: float | None = None) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}")
        with self._lock:
            self.mode = mode
            self.rate = max(0.0, min(1.0, float(rate)))
            self.delay = float(delay) if delay is not None else DEFAULT_DELAY.get(mode, 0.0)

    def state(self) -> dict[str, Any]:
        return {"mode": self.mode, "rate": self.rate, "delay": self.delay}

    def behaviour(self) -> tuple[str, float]:
        """The mode for one delivery: the configured one for a `rate` share, else ok."""
        with self._lock:
            mode = self.mode if random.random() < self.rate else "ok"  # noqa: S311
            return mode, self.delay

    def signature_ok(self, timestamp: str, body: bytes, signature: str) -> bool:
        secret = self.secret()
        if (
            not secret
            or not timestamp.isdigit()
            or abs(time.time() - int(timestamp)) > MAX_CLOCK_SKEW
        ):
            return False
        expected = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
        return hmac.compare_digest("sha256=" + expected.hexdigest(), signature)

    def apply(self, key: str, topic: str, body: bytes) -> tuple[bool, str]:
        """Record the delivery's effect once per key: (new?, the ERP number)."""
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            db.execute(
                "INSERT INTO counters VALUES ('deliveries', 1)"
                " ON CONFLICT(name) DO UPDATE SET n = n + 1"
            )
            row = db.execute("SELECT erp_number FROM effects WHERE key = ?", (key,)).fetchone()
            if row is not None:
                db.execute("COMMIT")
                return False, str(row[0])
            (count,) = db.execute("SELECT count(*) FROM effects").fetchone()
            number = f"ERP-{count + 1:06d}"
            db.execute(
                "INSERT INTO effects VALUES (?, ?, ?, ?, ?)",
                (key, topic, number, body.decode(errors="replace"), time.time()),
            )
            db.execute("COMMIT")
            return True, number

    def count_delivery(self) -> None:
        with self._db() as db:
            db.execute(
                "INSERT INTO counters VALUES ('deliveries', 1)"
                " ON CONFLICT(name) DO UPDATE SET n = n + 1"
            )

    def effects(self) -> dict[str, Any]:
        with self._db() as db:
            rows = db.execute(
                "SELECT key, topic, erp_number FROM effects ORDER BY rowid"
            ).fetchall()
            counter = db.execute("SELECT n FROM counters WHERE name = 'deliveries'").fetchone()
        return {
            "effects": [{"key": k, "topic": t, "erp_number": n} for k, t, n in rows],
            "deliveries": counter[0] if counter else 0,
        }


def _handler(erp: FakeErp) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as a real ERP's server would
        # Headers and body in one segment: written apart, Nagle and delayed ACKs would add
        # 40 ms to every answer.
        wbufsize = 64 * 1024
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:
            pass  # one line per delivery would drown the demo's console

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _drop(self) -> None:
            # shutdown, not close: the handler's file objects would keep the socket open.
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)

        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def do_GET(self) -> None:
            if self.path == "/control":
                self._answer(200, erp.state())
            elif self.path == "/effects":
                self._answer(200, erp.effects())
            else:
                self._answer(200, {"service": "fake ERP", **erp.state()})

        def do_POST(self) -> None:
            body = self._body()
            if self.path == "/control":
                try:
                    options = json.loads(body or b"{}")
                    erp.configure(
                        mode=options.get("mode", "ok"),
                        rate=options.get("rate", 1.0),
                        delay=options.get("delay"),
                    )
                except (ValueError, TypeError, AttributeError) as exc:
                    self._answer(400, {"code": "bad_control", "message": str(exc)})
                    return
                self._answer(200, erp.state())
                return
            key = self.headers.get("Idempotency-Key", "")
            topic = self.headers.get("X-Kabinet-Topic", "")
            if not key or not erp.signature_ok(
                self.headers.get("X-Kabinet-Timestamp", ""),
                body,
                self.headers.get("X-Kabinet-Signature", ""),
            ):
                erp.count_delivery()
                self._answer(401, {"code": "bad_signature", "message": "signature check failed"})
                return
            mode, delay = erp.behaviour()
            if mode in ("refuse", "503"):
                erp.count_delivery()
                status = 422 if mode == "refuse" else 503
                self._answer(status, {"code": f"fake_{mode}", "message": f"fake ERP mode {mode}"})
                return
            if mode == "timeout":
                erp.count_delivery()
                time.sleep(delay)
                self._drop()
                return
            if mode == "slow":
                time.sleep(delay)
            new, number = erp.apply(key, topic, body)
            if mode == "drop":
                self._drop()
                return
            if new:
                self._answer(200, {"status": "accepted", "erp_number": number})
            else:
                self._answer(HTTPStatus.CONFLICT, {"status": "duplicate", "erp_number": number})

    return Handler


def serve(erp: FakeErp, *, host: str = "127.0.0.1", port: int = 8001) -> ThreadingHTTPServer:
    """A started-but-not-yet-serving server; call serve_forever() on it."""
    server = ThreadingHTTPServer((host, port), _handler(erp))
    server.daemon_threads = True
    return server


def main(argv: list[str] | None = None) -> None:
    """`python -m kabinet.integrations.erp.fake_erp --port 8001 --secret … --db …`"""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--mode", default="ok", choices=MODES)
    parser.add_argument("--rate", type=float, default=1.0)
    parser.add_argument("--delay", type=float, default=None)
    options = parser.parse_args(argv)
    erp = FakeErp(
        db_path=options.db,
        secret=options.secret,
        mode=options.mode,
        rate=options.rate,
        delay=options.delay,
    )
    server = serve(erp, host=options.host, port=options.port)
    print(
        f"Fake ERP listening on http://{options.host}:{options.port}/ ({options.mode})", flush=True
    )
    server.serve_forever()


if __name__ == "__main__":
    main()
