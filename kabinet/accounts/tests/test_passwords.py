"""Passwords (ACC3, ACC4, R5, R7): reset by e-mail, change, temporary passwords from staff.

The reset e-mail goes the real way: the view enqueues a task on commit (stored by the database
task backend), and the test then runs the stored task the way the worker would.
"""

import json
import logging
import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_tasks_db.models import DBTaskResult

from kabinet.accounts.models import AuditEvent, AuditKind, User
from kabinet.accounts.tests.factories import PASSWORD
from kabinet.notifications.tasks import email_send
from tests.support import signed_in

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

pytestmark = pytest.mark.django_db

type CaptureOnCommit = Callable[..., AbstractContextManager[list[Callable[[], Any]]]]

NEW = "violet-harbour-lantern-42"
TEMPORARY = "Temp-orary-Pass-2026"
TOO_SHORT = "Sh0rt-pass!"  # 11 characters
TOO_COMMON = "password1234"
RESET = reverse("accounts:password_reset")
CHANGE = reverse("accounts:password_change")
PAGE = reverse("accounts:security")
LOGIN = reverse("accounts:login")


def _client() -> Client:
    return Client(headers={"accept-language": "en"})


def _sign_in(user: User, password: str = PASSWORD) -> Client:
    client = _client()
    response = client.post(LOGIN, {"username": user.email, "password": password})
    assert response.status_code == 302, response.content.decode()
    return client


def _signed_out(client: Client) -> bool:
    response = client.get(PAGE)
    return response.status_code == 302 and response["Location"].startswith(LOGIN)


def _password_is(user: User, password: str) -> bool:
    return User.objects.get(pk=user.pk).check_password(password)


def _run_queued_mail() -> None:
    """What the worker does with the queued e-mail tasks: run each once."""
    for result in DBTaskResult.objects.filter(task_path=email_send.module_path):
        email_send.call(*result.args_kwargs["args"], **result.args_kwargs["kwargs"])
        result.delete()


def _ask_for_reset(
    client: Client, email: str, capture: CaptureOnCommit
) -> tuple["Response", "Response"]:
    with capture(execute=True):
        response = client.post(RESET, {"email": email})
    _run_queued_mail()
    return response, client.get(response["Location"])


def _link_from_mail() -> str:
    [message] = mail.outbox
    match = re.search(r"https?://[^/\s]+(/password/reset/[^/\s]+/[^/\s]+/)", str(message.body))
    assert match, message.body
    return match.group(1)


def _set_password(client: Client, link: str, password: str) -> "Response":
    form_page = client.get(link)
    assert form_page.status_code == 302  # the token moves into the session
    return client.post(
        form_page["Location"], {"new_password1": password, "new_password2": password}
    )


def _without_tokens(page: str) -> str:
    return re.sub(r"[A-Za-z0-9]{64}", "TOKEN", page)


def test_reset_answers_the_same_for_known_and_unknown_addresses(
    partner_user: User, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    known, known_page = _ask_for_reset(
        _client(), "User@Alpha.example", django_capture_on_commit_callbacks
    )
    assert len(mail.outbox) == 1
    unknown, unknown_page = _ask_for_reset(
        _client(), "nobody@alpha.example", django_capture_on_commit_callbacks
    )
    assert len(mail.outbox) == 1  # nothing was sent for the unknown address

    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == reverse("accounts:password_reset_done")
    assert 'data-testid="reset-sent"' in known_page.content.decode()
    assert _without_tokens(known_page.content.decode()) == _without_tokens(
        unknown_page.content.decode()
    )
    assert mail.outbox[0].to == [partner_user.email]
    assert list(
        AuditEvent.objects.filter(kind=AuditKind.PASSWORD_RESET_REQUESTED)
        .order_by("pk")
        .values_list("subject_email", flat=True)
    ) == ["user@alpha.example", "nobody@alpha.example"]


def test_reset_link_sets_a_new_password_once(
    partner_user: User, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    other_device = _sign_in(partner_user)
    _ask_for_reset(_client(), partner_user.email, django_capture_on_commit_callbacks)
    link = _link_from_mail()

    client = _client()
    done = _set_password(client, link, NEW)
    assert done.status_code == 302
    assert done["Location"] == reverse("accounts:password_reset_complete")
    assert _password_is(partner_user, NEW)
    assert SESSION_KEY not in client.session  # the link does not sign in by itself
    assert _signed_out(other_device)  # sessions opened with the old password end
    event = AuditEvent.objects.get(kind=AuditKind.PASSWORD_RESET)
    assert event.actor == event.subject == partner_user

    # The same link a second time: refused, and nothing changes.
    for again in (client, _client()):
        page = again.get(link)
        assert page.status_code == 200
        assert 'data-testid="link-invalid"' in page.content.decode()
        assert "This link no longer works" in page.content.decode()
    set_password_url = link.rsplit("/", 2)[0] + "/set-password/"
    refused = client.post(set_password_url, {"new_password1": "x" * 20, "new_password2": "x" * 20})
    assert 'data-testid="link-invalid"' in refused.content.decode()
    assert _password_is(partner_user, NEW)
    assert AuditEvent.objects.filter(kind=AuditKind.PASSWORD_RESET).count() == 1

    _sign_in(partner_user, NEW)


class _TokensMadeAgo(PasswordResetTokenGenerator):
    """Django's own token generator, with its clock set back (the link was sent earlier)."""

    def __init__(self, ago: timedelta) -> None:
        super().__init__()
        self.ago = ago

    def _now(self) -> datetime:
        return super()._now() - self.ago


def _link_sent_ago(user: User, ago: timedelta) -> str:
    token = _TokensMadeAgo(ago).make_token(user)
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return reverse("accounts:password_reset_confirm", kwargs={"uidb64": uid, "token": token})


def test_reset_link_older_than_an_hour_is_refused(partner_user: User) -> None:
    assert settings.PASSWORD_RESET_TIMEOUT <= 3600

    fresh_enough = _link_sent_ago(partner_user, timedelta(minutes=55))
    assert _client().get(fresh_enough).status_code == 302  # accepted: the form comes next

    stale = _link_sent_ago(partner_user, timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 60))
    client = _client()
    page = client.get(stale)
    assert page.status_code == 200
    assert 'data-testid="link-invalid"' in page.content.decode()
    refused = client.post(
        stale.rsplit("/", 2)[0] + "/set-password/", {"new_password1": NEW, "new_password2": NEW}
    )
    assert 'data-testid="link-invalid"' in refused.content.decode()
    assert _password_is(partner_user, PASSWORD)
    assert not AuditEvent.objects.filter(kind=AuditKind.PASSWORD_RESET).exists()


@pytest.mark.parametrize(
    ("weak", "reason"),
    [
        (TOO_SHORT, "This password is too short. It must contain at least 12 characters."),
        (TOO_COMMON, "This password is too common."),
    ],
)
def test_reset_refuses_weak_passwords_with_the_reason(
    partner_user: User, weak: str, reason: str
) -> None:
    link = _link_sent_ago(partner_user, timedelta(0))
    response = _set_password(_client(), link, weak)
    assert response.status_code == 200
    assert reason in response.content.decode()
    assert _password_is(partner_user, PASSWORD)
    assert not AuditEvent.objects.filter(kind=AuditKind.PASSWORD_RESET).exists()


@pytest.mark.parametrize(
    ("weak", "reason"),
    [
        (TOO_SHORT, "This password is too short. It must contain at least 12 characters."),
        (TOO_COMMON, "This password is too common."),
    ],
)
def test_change_refuses_weak_passwords_with_the_reason(
    partner_user: User, weak: str, reason: str
) -> None:
    client = _sign_in(partner_user)
    other_device = _sign_in(partner_user)
    response = client.post(
        CHANGE, {"old_password": PASSWORD, "new_password1": weak, "new_password2": weak}
    )
    assert response.status_code == 200
    assert reason in response.content.decode()
    assert _password_is(partner_user, PASSWORD)
    assert not _signed_out(other_device)
    assert not AuditEvent.objects.filter(kind=AuditKind.PASSWORD_CHANGED).exists()


def test_change_with_a_wrong_old_password_changes_nothing(partner_user: User) -> None:
    client = _sign_in(partner_user)
    other_device = _sign_in(partner_user)
    response = client.post(
        CHANGE, {"old_password": "not-my-password!", "new_password1": NEW, "new_password2": NEW}
    )
    assert response.status_code == 200
    assert _password_is(partner_user, PASSWORD)
    assert not _signed_out(other_device)


def test_change_ends_other_sessions_and_keeps_this_one(
    partner_user: User, partner_admin: User
) -> None:
    client = _sign_in(partner_user)
    other_device = _sign_in(partner_user)
    colleague = _sign_in(partner_admin)
    long_one = "x7-" * 21 + "end"  # 66 characters: long passwords are welcome (R5)

    response = client.post(
        CHANGE, {"old_password": PASSWORD, "new_password1": long_one, "new_password2": long_one}
    )
    assert response.status_code == 302
    assert response["Location"] == PAGE
    assert _password_is(partner_user, long_one)
    assert client.get(PAGE).status_code == 200
    assert _signed_out(other_device)
    assert not _signed_out(colleague)
    event = AuditEvent.objects.get(kind=AuditKind.PASSWORD_CHANGED)
    assert event.actor == event.subject == partner_user


PAGES_HELD_BACK = [
    reverse("accounts:security"),
    reverse("partners:company"),
    reverse("partners:contacts"),
]


def test_temporary_password_must_be_changed_before_anything_else(
    partner_user: User, staff_manager: User
) -> None:
    old_session = _sign_in(partner_user)
    manager = signed_in(staff_manager)
    url = reverse("partners:staff_user_password", kwargs={"user_id": partner_user.pk})
    assert manager.post(url, {"password": TEMPORARY}).status_code == 302

    user = User.objects.get(pk=partner_user.pk)
    assert user.must_change_password
    assert user.check_password(TEMPORARY)
    assert _signed_out(old_session)
    event = AuditEvent.objects.get(kind=AuditKind.TEMPORARY_PASSWORD)
    assert (event.actor, event.subject) == (staff_manager, partner_user)

    client = _sign_in(partner_user, TEMPORARY)
    for page in PAGES_HELD_BACK * 2:
        response = client.get(page)
        assert response.status_code == 302, page
        assert response["Location"] == CHANGE
    form = client.get(CHANGE)
    assert form.status_code == 200
    assert 'data-testid="must-change"' in form.content.decode()

    changed = client.post(
        CHANGE, {"old_password": TEMPORARY, "new_password1": NEW, "new_password2": NEW}
    )
    assert changed.status_code == 302
    assert not User.objects.get(pk=partner_user.pk).must_change_password
    for page in PAGES_HELD_BACK:
        assert client.get(page).status_code == 200, page


def test_temporary_password_holds_back_the_start_page_too(
    partner_user: User, staff_manager: User
) -> None:
    url = reverse("partners:staff_user_password", kwargs={"user_id": partner_user.pk})
    signed_in(staff_manager).post(url, {"password": TEMPORARY})
    client = _sign_in(partner_user, TEMPORARY)
    response = client.get(reverse("web:home"))
    assert response.status_code == 302
    assert response["Location"] == CHANGE


def test_staff_cannot_set_a_weak_temporary_password(
    partner_user: User, staff_manager: User
) -> None:
    url = reverse("partners:staff_user_password", kwargs={"user_id": partner_user.pk})
    response = signed_in(staff_manager).post(
        url, {"password": TOO_SHORT}, follow=True, headers={"accept-language": "en"}
    )
    assert "This password is too short." in response.content.decode()
    user = User.objects.get(pk=partner_user.pk)
    assert not user.must_change_password
    assert user.check_password(PASSWORD)
    assert not AuditEvent.objects.filter(kind=AuditKind.TEMPORARY_PASSWORD).exists()


def test_only_staff_with_the_right_set_temporary_passwords(
    partner_user: User, partner_admin: User, staff_editor: User, staff_manager: User
) -> None:
    url = reverse("partners:staff_user_password", kwargs={"user_id": partner_user.pk})
    assert signed_in(partner_admin).post(url, {"password": TEMPORARY}).status_code == 404
    assert signed_in(staff_editor).post(url, {"password": TEMPORARY}).status_code == 403
    # Staff accounts are not reset through this page.
    staff_url = reverse("partners:staff_user_password", kwargs={"user_id": staff_editor.pk})
    assert signed_in(staff_manager).post(staff_url, {"password": TEMPORARY}).status_code == 404
    for user in (partner_user, staff_editor):
        fresh = User.objects.get(pk=user.pk)
        assert fresh.check_password(PASSWORD)
        assert not fresh.must_change_password
    assert not AuditEvent.objects.filter(kind=AuditKind.TEMPORARY_PASSWORD).exists()


def test_passwords_never_reach_the_audit_log_or_the_logs(
    partner_user: User,
    staff_manager: User,
    caplog: pytest.LogCaptureFixture,
    django_capture_on_commit_callbacks: CaptureOnCommit,
) -> None:
    caplog.set_level(logging.DEBUG)
    typed = ["Wrong-Guess-Password-1", TOO_SHORT, NEW, TEMPORARY, "Changed-Again-Password-9"]

    _client().post(LOGIN, {"username": partner_user.email, "password": typed[0]})
    _ask_for_reset(_client(), partner_user.email, django_capture_on_commit_callbacks)
    reset_client = _client()
    _set_password(reset_client, _link_from_mail(), TOO_SHORT)  # refused
    _set_password(reset_client, _link_from_mail(), NEW)
    url = reverse("partners:staff_user_password", kwargs={"user_id": partner_user.pk})
    signed_in(staff_manager).post(url, {"password": TEMPORARY})
    _sign_in(partner_user, TEMPORARY).post(
        CHANGE, {"old_password": TEMPORARY, "new_password1": typed[4], "new_password2": typed[4]}
    )
    assert _password_is(partner_user, typed[4])

    kinds = set(AuditEvent.objects.values_list("kind", flat=True))
    assert {
        AuditKind.SIGN_IN_FAILED,
        AuditKind.PASSWORD_RESET_REQUESTED,
        AuditKind.PASSWORD_RESET,
        AuditKind.TEMPORARY_PASSWORD,
        AuditKind.PASSWORD_CHANGED,
    } <= kinds
    stored = [json.dumps(event.details) + event.subject_email for event in AuditEvent.objects.all()]
    logged = caplog.text + "".join(str(r.args) for r in caplog.records)
    for password in [*typed, PASSWORD]:
        assert not any(password in text for text in stored), password
        assert password not in logged, password
