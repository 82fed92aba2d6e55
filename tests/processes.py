"""Real Kabinet processes for end-to-end tests: `manage.py db_worker`, `scheduler`, … run as
subprocesses with the real settings, against the database this test run created."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

WAIT_SECONDS = 60


def test_database_url() -> str:
    """DATABASE_URL for the database this test run created (not the one settings name)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        path = Path(db["NAME"])
        if not path.is_file():
            pytest.fail(f"the SQLite test database must be a file a process can open: {path}")
        return f"sqlite:///{path.resolve()}"
    if connection.vendor == "postgresql":
        credentials = quote(db["USER"] or "", safe="")
        if db["PASSWORD"]:
            credentials += ":" + quote(db["PASSWORD"], safe="")
        host = db["HOST"] or "127.0.0.1"
        port = db["PORT"] or 5432
        return f"postgres://{credentials}@{host}:{port}/{quote(db['NAME'], safe='')}"
    pytest.fail(f"no DATABASE_URL for the {connection.vendor} backend")


def process_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    """The environment of a production-like process: real settings, the test database, its
    own var/ directory, and none of the shell's e-mail or task settings."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("EMAIL_") and key not in {"TASKS_BACKEND"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="kabinet.settings",
        DATABASE_URL=test_database_url(),
        KABINET_VAR_DIR=str(tmp_path / "var"),
        DEBUG="false",
        PYTHONUNBUFFERED="1",
    )
    env.update(overrides)
    return env


def manage(env: Mapping[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run a management command to the end (bounded)."""
    return subprocess.run(
        [sys.executable, str(settings.BASE_DIR / "manage.py"), *args],
        cwd=settings.BASE_DIR,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=WAIT_SECONDS,
        check=False,
    )


@contextmanager
def worker(
    tmp_path: Path, env: Mapping[str, str], max_tasks: int
) -> Iterator[subprocess.Popen[bytes]]:
    """`manage.py db_worker` until it has run `max_tasks` tasks; killed whatever happens.
    Its output goes to tmp_path/worker.log."""
    log = (tmp_path / "worker.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            str(settings.BASE_DIR / "manage.py"),
            "db_worker",
            "--no-startup-delay",
            "--no-reload",  # a reloader would fork a child that outlives a killed parent
            "--interval",
            "0.2",
            "--max-tasks",
            str(max_tasks),
        ],
        cwd=settings.BASE_DIR,
        env=dict(env),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=WAIT_SECONDS)
        log.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def fake_erp(
    tmp_path: Path, *, secret: str, port: int, mode: str = "ok", rate: float = 1.0
) -> Iterator[subprocess.Popen[bytes]]:
    """The fake ERP (kabinet/integrations/erp/fake_erp.py) on `port` until the block ends; its
    effects in tmp_path/fake-erp.sqlite3 (kept across restarts), its output in fake-erp.log."""
    log = (tmp_path / "fake-erp.log").open("ab")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kabinet.integrations.erp.fake_erp",
            "--port",
            str(port),
            # One argument: a URL-safe secret may begin with "-", which would read as an option.
            f"--secret={secret}",
            "--db",
            str(tmp_path / "fake-erp.sqlite3"),
            "--mode",
            mode,
            "--rate",
            str(rate),
        ],
        cwd=settings.BASE_DIR,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            with suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(
                    f"the fake ERP did not start: {(tmp_path / 'fake-erp.log').read_text()}"
                )
            time.sleep(0.05)
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=WAIT_SECONDS)
        log.close()
