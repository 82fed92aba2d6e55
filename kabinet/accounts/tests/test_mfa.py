"""Two-factor sign-in (ACC11, R7): enrolment, the code step, replay, recovery codes, policy.

Codes are computed the way an authenticator app does, from the key shown on the page.
django-otp slows down guessing (1 s, 2 s, 4 s… after each wrong code); where a test needs
the next attempt at once, it lets that pause pass by moving the stored failure time back.
"""

import re
from base64 import b32decode
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from django.contrib.auth import SESSION_KEY
from django.db.models import F
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP, totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from kabinet.accounts.access import MFA_DONE
from kabinet.accounts.models import AuditEvent, AuditKind, User
from kabinet.accounts.tests.factories import PASSWORD
from kabinet.partners.models import Partner
from tests.support import signed_in

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")
VERIFY = reverse("accounts:verify")
SETUP = reverse("accounts:mfa_setup")
SECURITY = reverse("accounts:security")
DISABLE = reverse("accounts:mfa_disable")
STAFF_PAGE = reverse("partners:staff_list")
COMPANY = reverse("partners:company")
WRONG_CODE_MESSAGE = "The code is not valid."


def _client() -> Client:
    return Client(headers={"accept-language": "en"})


def _as(user: User, *, mfa_done: bool = True) -> Client:
    client = signed_in(user, mfa_done=mfa_done)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _code(secret: str, step: int | None = None) -> str:
    """The code an app shows now, or for the given time step."""
    key = b32decode(secret)
    if step is None:
        return f"{totp(key):06d}"
    generator = TOTP(key)
    generator.time = step * generator.step
    return f"{generator.token():06d}"


def _next_code(user: User, secret: str) -> str:
    """A code the server has not seen yet: the step after the last one accepted."""
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    return _code(secret, device.last_t + 1)


def _wrong_code(secret: str) -> str:
    now = TOTP(b32decode(secret)).t()
    valid = {_code(secret, now + offset) for offset in range(-3, 4)}
    return next(f"{n:06d}" for n in range(123456, 999999, 7919) if f"{n:06d}" not in valid)


def _throttle_passes() -> None:
    """The pause django-otp imposes after wrong codes runs out."""
    for model in (TOTPDevice, StaticDevice):
        model.objects.update(
            throttling_failure_timestamp=F("throttling_failure_timestamp") - timedelta(hours=1)
        )


def _enrol(client: Client) -> tuple[str, list[str]]:
    page = client.get(SETUP)
    assert page.status_code == 200
    match = re.search(r'data-testid="totp-secret">([A-Z2-7=]+)<', page.content.decode())
    assert match, page.content.decode()
    secret = match.group(1)
    response = client.post(SETUP, {"code": _code(secret)})
    assert response.status_code == 200
    listed = re.search(
        r'data-testid="recovery-codes">(.*?)</ul>', response.content.decode(), re.DOTALL
    )
    assert listed
    return secret, re.findall(r"<li>([^<]+)</li>", listed.group(1))


def _password_step(client: Client, user: User) -> "Response":
    return client.post(LOGIN, {"username": user.email, "password": PASSWORD})


def _signed_in(client: Client) -> bool:
    return SESSION_KEY in client.session


@pytest.fixture
def enrolled(partner_user: User) -> tuple[User, str, list[str]]:
    """partner_user with an authenticator app and recovery codes (optional for him)."""
    secret, codes = _enrol(_as(partner_user))
    return partner_user, secret, codes


def test_enrolment_shows_ten_recovery_codes_once(partner_user: User) -> None:
    client = _as(partner_user)
    secret, codes = _enrol(client)
    assert len(codes) == len(set(codes)) == 10
    assert TOTPDevice.objects.filter(user=partner_user, confirmed=True).count() == 1
    assert StaticToken.objects.filter(device__user=partner_user).count() == 10

    # Never again: the set-up page now leads to the account page, which lists no code.
    again = client.get(SETUP)
    assert again.status_code == 302
    assert again["Location"] == SECURITY
    page = client.get(SECURITY).content.decode()
    assert not any(code in page for code in codes)
    assert secret not in page
    event = AuditEvent.objects.get(kind=AuditKind.MFA_ENABLED)
    assert event.actor == event.subject == partner_user


def test_a_wrong_code_does_not_turn_two_factor_on(partner_user: User) -> None:
    client = _as(partner_user)
    page = client.get(SETUP).content.decode()
    match = re.search(r'data-testid="totp-secret">([A-Z2-7=]+)<', page)
    assert match
    response = client.post(SETUP, {"code": _wrong_code(match.group(1))})
    assert response.status_code == 200
    assert "The code is not valid." in response.content.decode()
    assert not TOTPDevice.objects.filter(user=partner_user, confirmed=True).exists()
    assert not StaticDevice.objects.filter(user=partner_user).exists()
    assert not AuditEvent.objects.filter(kind=AuditKind.MFA_ENABLED).exists()


def test_sign_in_needs_the_code_after_the_password(enrolled: tuple[User, str, list[str]]) -> None:
    user, secret, _ = enrolled
    client = _client()
    response = _password_step(client, user)
    assert response.status_code == 302
    assert response["Location"] == VERIFY
    assert not _signed_in(client)
    assert client.get(SECURITY).status_code == 302  # the password alone opens nothing

    wrong = client.post(VERIFY, {"code": _wrong_code(secret)})
    assert wrong.status_code == 200
    assert WRONG_CODE_MESSAGE in wrong.content.decode()
    assert not _signed_in(client)
    failed = AuditEvent.objects.get(kind=AuditKind.MFA_FAILED)
    assert failed.subject == user
    assert failed.ip_address == "127.0.0.1"

    _throttle_passes()
    done = client.post(VERIFY, {"code": _next_code(user, secret)})
    assert done.status_code == 302
    assert client.session[SESSION_KEY] == str(user.pk)
    assert client.session[MFA_DONE] is True
    assert client.get(SECURITY).status_code == 200
    assert AuditEvent.objects.get(kind=AuditKind.SIGN_IN).details == {"mfa": True}


def test_a_code_cannot_be_used_twice(enrolled: tuple[User, str, list[str]]) -> None:
    user, secret, _ = enrolled
    code = _next_code(user, secret)
    first = _client()
    _password_step(first, user)
    assert first.post(VERIFY, {"code": code}).status_code == 302
    assert _signed_in(first)

    # Someone who saw the code (and knows the password) tries it within the same minute.
    second = _client()
    _password_step(second, user)
    replay = second.post(VERIFY, {"code": code})
    assert replay.status_code == 200
    assert WRONG_CODE_MESSAGE in replay.content.decode()
    assert not _signed_in(second)
    assert AuditEvent.objects.filter(kind=AuditKind.SIGN_IN).count() == 1


def test_a_recovery_code_works_once(enrolled: tuple[User, str, list[str]]) -> None:
    user, _, codes = enrolled
    first = _client()
    _password_step(first, user)
    assert first.post(VERIFY, {"code": codes[0]}).status_code == 302
    assert _signed_in(first)
    assert StaticToken.objects.filter(device__user=user).count() == 9

    _throttle_passes()
    second = _client()
    _password_step(second, user)
    response = second.post(VERIFY, {"code": codes[0]})
    assert response.status_code == 200
    assert not _signed_in(second)

    _throttle_passes()
    assert second.post(VERIFY, {"code": codes[1]}).status_code == 302  # another one still works
    assert _signed_in(second)


def test_five_wrong_codes_end_the_pending_sign_in(enrolled: tuple[User, str, list[str]]) -> None:
    user, secret, _ = enrolled
    client = _client()
    _password_step(client, user)
    wrong = _wrong_code(secret)
    for _ in range(4):
        assert client.post(VERIFY, {"code": wrong}).status_code == 200
    # Wrong codes count toward the lockout like wrong passwords: the fifth locks (R4).
    fifth = client.post(VERIFY, {"code": wrong})
    assert fifth.status_code == 429
    assert AuditEvent.objects.filter(kind=AuditKind.MFA_FAILED, subject=user).count() == 5
    assert AuditEvent.objects.filter(kind=AuditKind.LOCKED_OUT, subject_email=user.email).exists()

    # The right code no longer helps: the pending sign-in is gone.
    _throttle_passes()
    late = client.post(VERIFY, {"code": _next_code(user, secret)})
    assert late.status_code == 302
    assert late["Location"] == LOGIN
    assert not _signed_in(client)
    # Nor does starting again with the password, for the cool-off.
    again = _client()
    assert _password_step(again, user).status_code == 429
    assert not _signed_in(again)
    assert not AuditEvent.objects.filter(kind=AuditKind.SIGN_IN).exists()


def test_the_code_step_expires(enrolled: tuple[User, str, list[str]]) -> None:
    user, secret, _ = enrolled
    client = _client()
    _password_step(client, user)
    session = client.session
    pending = session["kabinet_pending_sign_in"]
    started = datetime.fromisoformat(pending["at"])
    pending["at"] = (started - timedelta(minutes=6)).isoformat()
    session["kabinet_pending_sign_in"] = pending
    session.save()

    response = client.post(VERIFY, {"code": _next_code(user, secret)})
    assert response.status_code == 302
    assert response["Location"] == LOGIN
    assert not _signed_in(client)


def test_staff_without_a_second_factor_must_set_one_up_first(staff_manager: User) -> None:
    client = _as(staff_manager, mfa_done=False)
    for page in [STAFF_PAGE, SECURITY, reverse("partners:staff_audit"), STAFF_PAGE]:
        response = client.get(page)
        assert response.status_code == 302, page
        assert response["Location"] == SETUP

    _enrol(client)
    assert client.get(STAFF_PAGE).status_code == 200
    assert client.get(SECURITY).status_code == 200


def test_staff_signing_in_with_a_password_only_is_sent_to_set_up(staff_manager: User) -> None:
    client = _client()
    assert _password_step(client, staff_manager).status_code == 302
    response = client.get(STAFF_PAGE)
    assert response.status_code == 302
    assert response["Location"] == SETUP
    page = client.get(SETUP).content.decode()
    assert "Your account must use two-factor sign-in." in page


def test_staff_without_a_second_factor_do_not_get_the_start_page(staff_manager: User) -> None:
    client = _as(staff_manager, mfa_done=False)
    response = client.get(reverse("web:home"))
    assert response.status_code == 302
    assert response["Location"] == SETUP


def test_a_partner_that_requires_two_factor_makes_its_users_enrol(
    partner_user: User, partner_a: Partner, other_partner_user: User
) -> None:
    Partner.objects.filter(pk=partner_a.pk).update(require_mfa=True)
    client = _client()
    _password_step(client, partner_user)
    response = client.get(COMPANY)
    assert response.status_code == 302
    assert response["Location"] == SETUP

    _enrol(client)
    assert client.get(COMPANY).status_code == 200

    # Users of a company without the rule are not held back.
    other = _client()
    _password_step(other, other_partner_user)
    assert other.get(COMPANY).status_code == 200


def test_an_optional_user_can_turn_two_factor_off(enrolled: tuple[User, str, list[str]]) -> None:
    user, _, _ = enrolled
    client = _as(user)
    response = client.post(DISABLE)
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert not StaticDevice.objects.filter(user=user).exists()
    event = AuditEvent.objects.get(kind=AuditKind.MFA_DISABLED)
    assert event.actor == event.subject == user

    fresh = _client()
    assert _password_step(fresh, user)["Location"] != VERIFY
    assert _signed_in(fresh)


def test_staff_cannot_turn_two_factor_off(staff_manager: User) -> None:
    client = _as(staff_manager, mfa_done=False)
    _enrol(client)
    response = client.post(DISABLE, follow=True)
    assert "Two-factor sign-in is required for your account." in response.content.decode()
    assert TOTPDevice.objects.filter(user=staff_manager, confirmed=True).exists()
    assert StaticToken.objects.filter(device__user=staff_manager).count() == 10
    assert not AuditEvent.objects.filter(kind=AuditKind.MFA_DISABLED).exists()


def test_users_of_a_partner_that_requires_it_cannot_turn_it_off(
    enrolled: tuple[User, str, list[str]], partner_a: Partner
) -> None:
    user, _, _ = enrolled
    Partner.objects.filter(pk=partner_a.pk).update(require_mfa=True)
    _as(user).post(DISABLE)
    assert TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    assert not AuditEvent.objects.filter(kind=AuditKind.MFA_DISABLED).exists()


def test_turning_off_needs_post(enrolled: tuple[User, str, list[str]]) -> None:
    user, _, _ = enrolled
    assert _as(user).get(DISABLE).status_code == 405
    assert TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def test_new_recovery_codes_replace_the_old_ones(enrolled: tuple[User, str, list[str]]) -> None:
    user, _, old_codes = enrolled
    response = _as(user).post(reverse("accounts:recovery_codes"))
    listed = re.search(r'data-testid="recovery-codes">(.*?)</ul>', response.content.decode(), re.S)
    assert listed
    new_codes = re.findall(r"<li>([^<]+)</li>", listed.group(1))
    assert len(new_codes) == 10
    assert not set(new_codes) & set(old_codes)

    client = _client()
    _password_step(client, user)
    assert client.post(VERIFY, {"code": old_codes[0]}).status_code == 200
    assert not _signed_in(client)
    _throttle_passes()
    assert client.post(VERIFY, {"code": new_codes[0]}).status_code == 302
    assert _signed_in(client)


def test_audit_times_are_utc(enrolled: tuple[User, str, list[str]]) -> None:
    event = AuditEvent.objects.get(kind=AuditKind.MFA_ENABLED)
    assert event.created_at.utcoffset() == timedelta(0)
    assert abs((timezone.now() - event.created_at).total_seconds()) < 60
