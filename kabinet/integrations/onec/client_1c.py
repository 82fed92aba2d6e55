"""A scripted client that behaves like 1C's «обмен с сайтом», for tests and the demo.

It walks the protocol as 1C does: checkauth with HTTP basic auth → the cookie from the
answer on every later request → init (zip and file_limit) → each file uploaded in chunks of
at most file_limit (or all of them as one zip archive, when the site says zip=yes) →
import of each file, repeated while the answer is `progress` → then the orders: query,
success, and a file of order statuses. `manage.py onec_exchange` wraps it.

The transport is a callable, so the same client runs over HTTP against a live server
(`http_transport`, httpx) and over Django's test client in fast tests.
"""

import base64
import io
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

# (method, query parameters, body, headers) → (HTTP status, body)
type Transport = Callable[[str, dict[str, str], bytes | None, dict[str, str]], tuple[int, bytes]]
ENCODING = "windows-1251"
MAX_IMPORT_STEPS = 10_000


class ExchangeFailed(Exception):
    """The site answered `failure` (or something 1C would not understand)."""


@dataclass
class Log:
    lines: list[str] = field(default_factory=list)

    def add(self, line: str) -> None:
        self.lines.append(line)


def http_transport(url: str, *, timeout: float = 60) -> Transport:
    client = httpx.Client(timeout=timeout)

    def send(
        method: str, params: dict[str, str], body: bytes | None, headers: dict[str, str]
    ) -> tuple[int, bytes]:
        response = client.request(method, url, params=params, content=body, headers=headers)
        return response.status_code, response.content

    return send


class OneCClient:
    def __init__(self, transport: Transport, *, login: str, password: str) -> None:
        self.transport = transport
        self.login = login
        self.password = password
        self.cookie = ""
        self.zip = False
        self.file_limit = 0
        self.log = Log()

    # --- the protocol's steps ----------------------------------------------------------

    def _call(
        self, kind: str, mode: str, *, body: bytes | None = None, **params: str
    ) -> tuple[int, bytes]:
        headers = {"User-Agent": "1C+Enterprise/8.3"}
        if self.cookie:
            headers["Cookie"] = self.cookie
        method = "POST" if body is not None else "GET"
        return self.transport(method, {"type": kind, "mode": mode, **params}, body, headers)

    def _text(self, kind: str, mode: str, *, body: bytes | None = None, **params: str) -> list[str]:
        status, content = self._call(kind, mode, body=body, **params)
        lines = content.decode(ENCODING, errors="replace").strip().splitlines()
        self.log.add(f"{kind}/{mode}: {status} {' | '.join(lines)}")
        # init answers its values (zip=…, file_limit=…) with no status line.
        expected = {"success", "progress"} if mode != "init" else {"zip=yes", "zip=no"}
        if not lines or lines[0].strip() not in expected or status >= 400:
            raise ExchangeFailed(f"{kind}/{mode}: HTTP {status}: {' '.join(lines)}")
        return lines

    def checkauth(self, kind: str = "catalog") -> None:
        credentials = base64.b64encode(f"{self.login}:{self.password}".encode()).decode()
        status, content = self.transport(
            "GET",
            {"type": kind, "mode": "checkauth"},
            None,
            {"Authorization": f"Basic {credentials}", "User-Agent": "1C+Enterprise/8.3"},
        )
        lines = content.decode(ENCODING, errors="replace").strip().splitlines()
        self.log.add(f"{kind}/checkauth: {status} {lines[0] if lines else ''}")
        if status != 200 or len(lines) < 3 or lines[0] != "success":
            raise ExchangeFailed(f"checkauth: HTTP {status}: {' '.join(lines)}")
        self.cookie = f"{lines[1]}={lines[2]}"

    def init(self, kind: str = "catalog") -> None:
        lines = self._text(kind, "init")
        values = dict(line.split("=", 1) for line in lines if "=" in line)
        self.zip = values.get("zip") == "yes"
        self.file_limit = int(values.get("file_limit", "0")) or 1024 * 1024

    def upload(self, kind: str, filename: str, data: bytes, *, chunk: int | None = None) -> int:
        """The file in chunks of at most file_limit; how many requests it took."""
        size = min(chunk or self.file_limit, self.file_limit)
        parts = [data[start : start + size] for start in range(0, len(data), size)] or [b""]
        for part in parts:
            self._text(kind, "file", body=part, filename=filename)
        return len(parts)

    def import_file(self, filename: str) -> list[str]:
        """Repeat the import while the site answers progress; the final answer's lines."""
        for _step in range(MAX_IMPORT_STEPS):
            lines = self._text("catalog", "import", filename=filename)
            if lines[0] == "success":
                return lines
        raise ExchangeFailed(f"import {filename}: no end after {MAX_IMPORT_STEPS} steps")

    # --- whole exchanges, as 1C runs them --------------------------------------------------

    def catalog(
        self, files: Iterable[Path], *, use_zip: bool | None = None, chunk: int | None = None
    ) -> list[str]:
        paths = list(files)
        self.checkauth("catalog")
        self.init("catalog")
        zipped = self.zip if use_zip is None else (use_zip and self.zip)
        if zipped:
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                for path in paths:
                    archive.write(path, path.name)
            self.upload("catalog", "siteexchange.zip", buffer.getvalue(), chunk=chunk)
        else:
            for path in paths:
                self.upload("catalog", path.name, path.read_bytes(), chunk=chunk)
        answers: list[str] = []
        # The catalog first, then the offers that refer to it.
        for path in sorted(paths, key=lambda p: not p.name.startswith("import")):
            answers.extend(self.import_file(path.name))
        self._text("catalog", "complete")
        return answers

    def sale_query(self) -> bytes:
        self.checkauth("sale")
        self.init("sale")
        status, content = self._call("sale", "query")
        self.log.add(f"sale/query: {status} {len(content)} bytes")
        if status != 200 or not content.lstrip().startswith(b"<?xml"):
            raise ExchangeFailed(f"sale/query: HTTP {status}: {content[:200]!r}")
        return content

    def sale_success(self) -> None:
        self._text("sale", "success")

    def sale_file(self, filename: str, data: bytes) -> list[str]:
        return self._text("sale", "file", body=data, filename=filename)
