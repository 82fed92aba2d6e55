"""Brute-force protection (R4, ACC11) through the sign-in page, with django-axes underneath.

Time is moved the honest way: every timestamp the lockout decision reads (axes' attempt rows
and failure log, our audit events) is shifted into the past, as if the clock had run on.
"""

import re
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from axes.models import AccessAttempt, AccessAttemptExpiration, AccessFailureLog
from django.contrib.auth import SESSION_KEY
from django.db.models import F
from django.test import Client, RequestFactory
from django.urls import reverse
from pytest_django.fixtures import Settings

from kabinet.accounts.lockout import client_ip
from kabinet.accounts.models import AuditEvent, AuditKind, User
from kabinet.accounts.tests.factories import PASSWORD, UserFactory

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

pytestmark = pytest.mark.django_db

EMAIL = "anna@alpha.example"
WRONG = "not-the-password-at-all"
LIMIT = 5


@pytest.fixture
def anna() -> User:
    return UserFactory.create(email=EMAIL)


def _attempt(client: Client, email: str, password: str, **extra: str) -> "Response":
    return client.post(
        reverse("accounts:login"),
        {"username": email, "password": password},
        HTTP_ACCEPT_LANGUAGE="en",
        **extra,  # type: ignore[arg-type]
    )


def _signed_in(client: Client) -> bool:
    return SESSION_KEY in client.session


def _lock(client: Client, email: str = EMAIL, **extra: str) -> "Response":
    """LIMIT wrong passwords; the last one locks."""
    for _ in range(LIMIT - 1):
        assert _attempt(client, email, WRONG, **extra).status_code == 200
    return _attempt(client, email, WRONG, **extra)


def _time_passes(delta: timedelta) -> None:
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - delta)
    AccessAttemptExpiration.objects.update(expires_at=F("expires_at") - delta)
    AccessFailureLog.objects.update(attempt_time=F("attempt_time") - delta)
    AuditEvent.objects.update(created_at=F("created_at") - delta)


def _scored(email: str = EMAIL) -> int:
    """Attempts whose password was actually checked (axes logs each one; refusals during a
    lockout are not logged)."""
    return AccessFailureLog.objects.filter(username__iexact=email).count()


def _without_tokens(page: str) -> str:
    """The page without its CSRF tokens (form field and htmx header), which differ per client."""
    return re.sub(r"[A-Za-z0-9]{64}", "TOKEN", page)


def test_five_wrong_passwords_lock_even_the_right_password_out(anna: User) -> None:
    client = Client()
    locked = _lock(client)
    assert locked.status_code == 429
    assert 'data-testid="locked-out"' in locked.content.decode()
    assert locked["Retry-After"] == str(15 * 60)

    response = _attempt(client, EMAIL, PASSWORD)
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert not _signed_in(client)
    assert not AuditEvent.objects.filter(kind=AuditKind.SIGN_IN).exists()
    assert _scored() == LIMIT  # the right password was never checked


def test_the_lock_is_on_the_account_not_only_on_the_address(anna: User) -> None:
    _lock(Client())
    elsewhere = Client()
    response = _attempt(elsewhere, EMAIL, PASSWORD, REMOTE_ADDR="198.51.100.20")
    assert response.status_code == 429
    assert not _signed_in(elsewhere)


def test_changing_the_case_of_the_address_does_not_escape_the_lock(anna: User) -> None:
    _lock(Client())
    elsewhere = Client()
    response = _attempt(elsewhere, "ANNA@Alpha.Example", PASSWORD, REMOTE_ADDR="198.51.100.21")
    assert response.status_code == 429
    assert not _signed_in(elsewhere)


def test_unknown_address_gets_the_same_lockout_answer(anna: User) -> None:
    known = Client()
    _lock(known, EMAIL, REMOTE_ADDR="198.51.100.1")
    known_answer = _attempt(known, EMAIL, PASSWORD, REMOTE_ADDR="198.51.100.1")

    unknown = Client()
    _lock(unknown, "nobody@alpha.example", REMOTE_ADDR="198.51.100.2")
    unknown_answer = _attempt(unknown, "nobody@alpha.example", PASSWORD, REMOTE_ADDR="198.51.100.2")

    assert known_answer.status_code == unknown_answer.status_code == 429
    assert known_answer["Retry-After"] == unknown_answer["Retry-After"]
    assert _without_tokens(known_answer.content.decode()) == _without_tokens(
        unknown_answer.content.decode()
    )


def test_still_locked_just_before_the_cool_off_ends(anna: User) -> None:
    client = Client()
    _lock(client)
    _time_passes(timedelta(minutes=14))
    assert _attempt(client, EMAIL, PASSWORD).status_code == 429
    assert not _signed_in(client)
    assert _scored() == LIMIT


def test_the_right_password_works_again_after_the_cool_off(anna: User) -> None:
    client = Client()
    _lock(client)
    _time_passes(timedelta(minutes=16))
    response = _attempt(client, EMAIL, PASSWORD)
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(anna.pk)


def test_second_lockout_within_a_day_lasts_an_hour(anna: User) -> None:
    client = Client()
    _lock(client)
    _time_passes(timedelta(minutes=16))

    # A second round: the passwords are checked again (scored), and the fifth locks for 1 h.
    for _ in range(LIMIT - 1):
        assert _attempt(client, EMAIL, WRONG).status_code == 200
    second = _attempt(client, EMAIL, WRONG)
    assert second.status_code == 429
    assert second["Retry-After"] == str(60 * 60)
    assert "60 minutes" in second.content.decode()
    assert _scored() == 2 * LIMIT

    # Guessing on during the hour scores nothing, the right password included.
    for _ in range(5):
        assert _attempt(client, EMAIL, WRONG).status_code == 429
    _time_passes(timedelta(minutes=30))
    assert _attempt(client, EMAIL, PASSWORD).status_code == 429
    assert _scored() == 2 * LIMIT  # at most 10 checked passwords within the hour
    assert not _signed_in(client)

    _time_passes(timedelta(minutes=31))
    assert _attempt(client, EMAIL, PASSWORD).status_code == 302
    assert _signed_in(client)


def test_spoofed_forwarded_for_does_not_escape_the_per_address_count(anna: User) -> None:
    statuses = []
    for i in range(20):
        client = Client()
        response = _attempt(
            client,
            f"guess{i}@alpha.example",
            WRONG,
            REMOTE_ADDR="203.0.113.9",
            HTTP_X_FORWARDED_FOR=f"10.{i}.{i}.{i}",
        )
        statuses.append(response.status_code)
    assert statuses == [200] * (LIMIT - 1) + [429] * (20 - LIMIT + 1)
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.9"}
    assert sum(_scored(f"guess{i}@alpha.example") for i in range(20)) == LIMIT

    # The address is locked for everybody, the real account included.
    client = Client()
    response = _attempt(
        client, EMAIL, PASSWORD, REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="192.0.2.1"
    )
    assert response.status_code == 429
    assert not _signed_in(client)


def test_spoofed_forwarded_for_does_not_escape_the_per_account_count(anna: User) -> None:
    statuses = [
        _attempt(
            Client(), EMAIL, WRONG, REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR=f"10.0.0.{i}"
        ).status_code
        for i in range(20)
    ]
    assert statuses == [200] * (LIMIT - 1) + [429] * (20 - LIMIT + 1)
    assert _scored() == LIMIT
    client = Client()
    assert _attempt(client, EMAIL, PASSWORD, REMOTE_ADDR="198.51.100.30").status_code == 429
    assert not _signed_in(client)


def test_behind_a_trusted_proxy_the_forwarded_client_is_counted(
    anna: User, settings: Settings
) -> None:
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    statuses = [
        _attempt(
            Client(),
            f"guess{i}@alpha.example",
            WRONG,
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR=f"172.16.0.{i}, 198.51.100.7",  # left part spoofed
        ).status_code
        for i in range(20)
    ]
    assert statuses == [200] * (LIMIT - 1) + [429] * (20 - LIMIT + 1)
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.7"}

    # Another client behind the same proxy is not punished for it.
    client = Client()
    response = _attempt(
        client, EMAIL, PASSWORD, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.8"
    )
    assert response.status_code == 302
    assert _signed_in(client)


@pytest.mark.parametrize(
    ("trusted", "remote", "forwarded", "expected"),
    [
        ([], "203.0.113.9", "198.51.100.7", "203.0.113.9"),  # no proxy: header ignored
        (["10.0.0.1"], "203.0.113.9", "198.51.100.7", "203.0.113.9"),  # not from the proxy
        (["10.0.0.1"], "10.0.0.1", "198.51.100.7", "198.51.100.7"),
        (["10.0.0.1"], "10.0.0.1", "1.2.3.4, 198.51.100.7", "198.51.100.7"),  # spoofed left
        (["10.0.0.1", "10.0.0.2"], "10.0.0.1", "1.2.3.4, 198.51.100.7, 10.0.0.2", "198.51.100.7"),
        (["10.0.0.1"], "10.0.0.1", "1.2.3.4, not-an-address", "10.0.0.1"),  # garbage
        (["10.0.0.1"], "10.0.0.1", "", "10.0.0.1"),
        (["10.0.0.1"], "10.0.0.1", "2001:db8::1", "2001:db8::1"),
    ],
)
def test_client_ip(
    settings: Settings, trusted: list[str], remote: str, forwarded: str, expected: str
) -> None:
    settings.TRUSTED_PROXIES = trusted
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_a_lockout_is_recorded_once_in_the_audit_log(anna: User) -> None:
    client = Client()
    _lock(client, REMOTE_ADDR="198.51.100.40")
    for _ in range(3):
        _attempt(client, EMAIL, PASSWORD, REMOTE_ADDR="198.51.100.40")
    events = list(AuditEvent.objects.filter(kind=AuditKind.LOCKED_OUT))
    assert len(events) == 1
    assert events[0].subject_email == EMAIL
    assert events[0].ip_address == "198.51.100.40"

    # What axes and we store about the attempts never holds a password.
    stored = [
        *AccessAttempt.objects.values_list("post_data", flat=True),
        *(str(e.details) + e.subject_email for e in AuditEvent.objects.all()),
    ]
    assert not any(WRONG in text or PASSWORD in text for text in stored)


def test_a_lockout_of_an_unknown_address_is_recorded_too(db: None) -> None:
    _lock(Client(), "Nobody@Alpha.example")
    event = AuditEvent.objects.get(kind=AuditKind.LOCKED_OUT)
    assert event.subject_email == "nobody@alpha.example"
    assert event.subject is None
