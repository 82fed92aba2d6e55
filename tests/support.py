"""Helpers the tests share: outside services, signed-in clients, counting queries."""

import os
import socket
from urllib.parse import urlparse

import pytest
from django.test import Client
from django.utils import timezone

from kabinet.accounts.models import Session, User

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def require_service(available: bool, what: str) -> None:
    """Skip a test whose outside service is missing; in CI, fail it instead."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{what} is required in CI but is not available", pytrace=False)
    pytest.skip(f"{what} is not available")


def tcp_reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    address = (parsed.hostname or "127.0.0.1", parsed.port or default_port)
    try:
        with socket.create_connection(address, timeout=1):
            return True
    except OSError:
        return False


def signed_in(user: User, *, mfa_done: bool = True) -> Client:
    """A client signed in as `user`. By default the session counts as having passed a second
    factor, so staff (who must use one) reach their pages; tests of that rule pass False."""
    from kabinet.accounts.access import MFA_DONE, SIGNED_IN_AT

    client = Client()
    client.force_login(user)
    session = client.session
    session[MFA_DONE] = mfa_done
    session[SIGNED_IN_AT] = timezone.now().isoformat()
    session.save()
    return client


def session_storage(sql: str) -> bool:
    """Whether a statement only stores the session (it is saved at most once a minute, for the
    idle timeout). The session's read also reads the user (partners.sessions): a page's query
    counts keep it as the user's query."""
    return Session._meta.db_table in sql and User._meta.db_table not in sql
