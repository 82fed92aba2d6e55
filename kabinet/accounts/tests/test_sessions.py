"""Sessions (R6) and blocked or expired accounts (ACC9), through the test client."""

from datetime import timedelta
from importlib import import_module
from typing import TYPE_CHECKING

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.base import SessionBase
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kabinet.accounts.access import SEEN_AT, SIGNED_IN_AT
from kabinet.accounts.models import AuditEvent, AuditKind, Session, User
from kabinet.accounts.services import user_block
from kabinet.accounts.tests.factories import PASSWORD
from tests.support import signed_in

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

pytestmark = pytest.mark.django_db

COOKIE = settings.SESSION_COOKIE_NAME
PAGE = reverse("accounts:security")  # any page that needs a signed-in user
LOGIN = reverse("accounts:login")
BLOCKED = "Your access is blocked."


def _client() -> Client:
    return Client(headers={"accept-language": "en"})


def _sign_in(user: User, client: Client | None = None) -> Client:
    client = client or _client()
    response = client.post(LOGIN, {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()
    assert client.session[SESSION_KEY] == str(user.pk)
    return client


def _store(session_key: str | None = None) -> SessionBase:
    engine = import_module(settings.SESSION_ENGINE)
    store: SessionBase = engine.SessionStore(session_key)
    return store


def _is_signed_out(response: "Response") -> bool:
    return response.status_code == 302 and response["Location"].startswith(LOGIN)


def _alerts(client: Client) -> str:
    """The sign-in page as the user sees it next (with the messages left for him)."""
    return client.get(LOGIN).content.decode()


def test_sign_in_rotates_the_session_id(partner_user: User) -> None:
    client = _client()
    client.get(LOGIN)
    session = client.session
    session["probe"] = "before"
    session.save()
    before = session.session_key
    assert before
    assert client.cookies[COOKIE].value == before

    _sign_in(partner_user, client)
    after = client.cookies[COOKIE].value
    assert after != before
    assert not _store().exists(before)  # the anonymous id is gone, not just replaced


def test_old_cookie_is_dead_after_sign_out(partner_user: User) -> None:
    client = _sign_in(partner_user)
    old_cookie = client.cookies[COOKIE].value
    assert client.get(PAGE).status_code == 200

    assert client.post(reverse("accounts:logout")).status_code == 302

    replay = _client()
    replay.cookies[COOKIE] = old_cookie
    assert _is_signed_out(replay.get(PAGE))
    assert not _store().exists(old_cookie)


def test_blocking_ends_open_sessions_at_once(partner_user: User, partner_admin: User) -> None:
    browser = _sign_in(partner_user)
    phone = _sign_in(partner_user)
    admin = signed_in(partner_admin)
    assert browser.get(PAGE).status_code == phone.get(PAGE).status_code == 200

    user_block(user=partner_user, reason="left the company", actor=partner_admin)

    assert _is_signed_out(browser.get(PAGE))
    assert _is_signed_out(phone.get(PAGE))
    assert SESSION_KEY not in browser.session
    assert admin.get(PAGE).status_code == 200  # only the blocked user's sessions end


def test_blocked_user_with_the_right_password_is_told_and_gets_no_session(
    partner_user: User, partner_admin: User
) -> None:
    user_block(user=partner_user, reason="left the company", actor=partner_admin)
    client = _client()
    response = client.post(LOGIN, {"username": partner_user.email, "password": PASSWORD})
    assert response.status_code == 200
    assert BLOCKED in response.content.decode()
    assert SESSION_KEY not in client.session
    assert _is_signed_out(client.get(PAGE))
    assert AuditEvent.objects.filter(kind=AuditKind.SIGN_IN_DENIED, subject=partner_user).count()
    assert not AuditEvent.objects.filter(kind=AuditKind.SIGN_IN).exists()

    # With a wrong password nothing tells that the account exists, let alone that it is blocked.
    wrong = client.post(LOGIN, {"username": partner_user.email, "password": "x" * 20})
    assert BLOCKED not in wrong.content.decode()
    assert "The e-mail or password is incorrect." in wrong.content.decode()


def test_expired_user_is_told_and_gets_no_session(partner_user: User) -> None:
    yesterday = timezone.localdate() - timedelta(days=1)
    User.objects.filter(pk=partner_user.pk).update(access_expires_on=yesterday)
    client = _client()
    response = client.post(LOGIN, {"username": partner_user.email, "password": PASSWORD})
    assert response.status_code == 200
    page = response.content.decode()
    assert f"Your access expired on {yesterday:%m/%d/%Y}" in page
    assert SESSION_KEY not in client.session
    assert AuditEvent.objects.get(kind=AuditKind.SIGN_IN_DENIED).details == {"why": "expired"}


def test_access_ending_today_still_works_today(partner_user: User) -> None:
    User.objects.filter(pk=partner_user.pk).update(access_expires_on=timezone.localdate())
    client = _sign_in(partner_user)
    assert client.get(PAGE).status_code == 200


def test_open_session_ends_on_the_first_request_after_the_date_passed(
    partner_user: User,
) -> None:
    client = _sign_in(partner_user)
    assert client.get(PAGE).status_code == 200
    yesterday = timezone.localdate() - timedelta(days=1)
    # The date passes while the session is open (the hash stays the same: only the date moves).
    User.objects.filter(pk=partner_user.pk).update(access_expires_on=yesterday)

    assert _is_signed_out(client.get(PAGE))
    assert SESSION_KEY not in client.session
    assert f"Your access expired on {yesterday:%m/%d/%Y}" in _alerts(client)
    assert _is_signed_out(client.get(PAGE))


def test_requests_push_the_idle_timeout_forward(partner_user: User) -> None:
    """At most once a SESSION_REFRESH_INTERVAL: the first request after it saves the session
    with a new expiry and cookie; the requests within it write nothing."""
    assert settings.SESSION_SAVE_EVERY_REQUEST is False
    assert settings.SESSION_COOKIE_AGE <= 30 * 60
    assert 0 < settings.SESSION_REFRESH_INTERVAL <= 60
    client = _sign_in(partner_user)
    client.get(PAGE)
    key = client.cookies[COOKIE].value
    soon = timezone.now() + timedelta(minutes=2)
    Session.objects.filter(session_key=key).update(expire_date=soon)

    response = client.get(PAGE)  # within the interval: nothing written
    assert response.status_code == 200
    assert COOKIE not in response.cookies
    assert Session.objects.get(session_key=key).expire_date == soon

    session = client.session
    session[SEEN_AT] -= settings.SESSION_REFRESH_INTERVAL  # the interval has passed
    session.save()
    Session.objects.filter(session_key=key).update(expire_date=soon)
    response = client.get(PAGE)
    assert response.status_code == 200
    assert int(response.cookies[COOKIE]["max-age"]) == settings.SESSION_COOKIE_AGE
    refreshed = Session.objects.get(session_key=key).expire_date
    expected = timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE)
    assert refreshed > soon
    assert abs((refreshed - expected).total_seconds()) < 10


def test_a_session_idle_for_too_long_is_not_accepted(partner_user: User) -> None:
    client = _sign_in(partner_user)
    key = client.cookies[COOKIE].value
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )

    assert _is_signed_out(client.get(PAGE))
    assert SESSION_KEY not in client.session


def _age_session(client: Client, seconds: int) -> None:
    session = client.session
    session[SIGNED_IN_AT] = (timezone.now() - timedelta(seconds=seconds)).isoformat()
    session.save()


def test_absolute_timeout_ends_the_session_with_a_message(partner_user: User) -> None:
    client = _sign_in(partner_user)
    _age_session(client, settings.SESSION_ABSOLUTE_TIMEOUT - 60)
    assert client.get(PAGE).status_code == 200  # activity does not renew the absolute limit
    signed_in_at = client.session[SIGNED_IN_AT]
    client.get(PAGE)
    assert client.session[SIGNED_IN_AT] == signed_in_at

    _age_session(client, settings.SESSION_ABSOLUTE_TIMEOUT + 60)
    assert _is_signed_out(client.get(PAGE))
    assert SESSION_KEY not in client.session
    assert "Your session has ended. Please sign in again." in _alerts(client)
    assert _is_signed_out(client.get(PAGE))


def test_sign_out_my_other_sessions_keeps_this_one(partner_user: User, partner_admin: User) -> None:
    here = _sign_in(partner_user)
    laptop = _sign_in(partner_user)
    phone = signed_in(partner_user)
    colleague = _sign_in(partner_admin)

    response = here.post(reverse("accounts:sessions_end_others"))
    assert response.status_code == 302
    assert response["Location"] == PAGE

    assert here.get(PAGE).status_code == 200
    assert _is_signed_out(laptop.get(PAGE))
    assert _is_signed_out(phone.get(PAGE))
    assert colleague.get(PAGE).status_code == 200
    event = AuditEvent.objects.get(kind=AuditKind.SESSIONS_ENDED)
    assert event.actor == event.subject == partner_user


def test_ending_other_sessions_needs_post(partner_user: User) -> None:
    here = _sign_in(partner_user)
    other = _sign_in(partner_user)
    assert here.get(reverse("accounts:sessions_end_others")).status_code == 405
    assert other.get(PAGE).status_code == 200
    assert not AuditEvent.objects.filter(kind=AuditKind.SESSIONS_ENDED).exists()
