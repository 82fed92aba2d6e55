"""The daily access-expiry job (ACC9): warnings before the date, blocking after it.

The job is called as the worker calls it (`Task.call()`), against the real database; its
e-mails go through django.tasks (an immediate backend here) once the transaction commits.
"""

from datetime import date, timedelta

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from pytest_django import DjangoCaptureOnCommitCallbacks, Settings

from kabinet.accounts.models import AuditEvent, AuditKind, User
from kabinet.accounts.services import user_set_access_expiry, user_unblock
from kabinet.accounts.tests.factories import PASSWORD, UserFactory
from kabinet.partners.models import Partner
from kabinet.partners.rights import Role
from kabinet.partners.tasks import access_expiry_daily
from kabinet.partners.tests.factories import MembershipFactory
from tests.support import signed_in

type Capture = DjangoCaptureOnCommitCallbacks


@pytest.fixture(autouse=True)
def immediate_tasks(settings: Settings) -> None:
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


def _member(partner: Partner, email: str, expires_on: date | None, **user: object) -> User:
    person = UserFactory.create(email=email, access_expires_on=expires_on, **user)
    MembershipFactory.create(user=person, partner=partner)
    return person


def _run(capture: Capture) -> dict[str, int]:
    # In the worker no request has chosen a language: the portal's default applies.
    with translation.override(settings.LANGUAGE_CODE), capture(execute=True):
        result = access_expiry_daily.call()
    return result


def _recipients(start: int = 0) -> list[str]:
    return sorted(address for message in mail.outbox[start:] for address in message.to)


def test_warns_blocks_and_leaves_the_others_alone_once(
    partner_a: Partner,
    partner_admin: User,
    partner_b: Partner,
    other_partner_user: User,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    today = timezone.localdate()
    warn_days = settings.ACCESS_EXPIRY_WARNING_DAYS
    soon = _member(partner_a, "soon@alpha.example", today + timedelta(days=warn_days))
    last_day = _member(partner_a, "today@alpha.example", today)
    expired = _member(partner_a, "expired@alpha.example", today - timedelta(days=1))
    later = _member(partner_a, "later@alpha.example", today + timedelta(days=warn_days + 1))
    no_date = _member(partner_a, "nodate@alpha.example", None)
    already_blocked = _member(
        partner_a,
        "blocked@alpha.example",
        today - timedelta(days=3),
        blocked_at=timezone.now(),
        blocked_reason="by hand",
    )
    blocked_soon = _member(
        partner_a,
        "blockedsoon@alpha.example",
        today + timedelta(days=1),
        blocked_at=timezone.now(),
    )
    expired_session = signed_in(expired)
    generation = expired.session_generation
    untouched = [later, no_date, already_blocked, blocked_soon, other_partner_user]
    untouched_before = {u.pk: User.objects.filter(pk=u.pk).values().get() for u in untouched}

    assert _run(django_capture_on_commit_callbacks) == {"warned": 2, "expired": 1}

    # Each warned user gets a message, and so does the admin of his company (once each);
    # B's admin hears nothing of A's people.
    assert _recipients() == sorted(
        [soon.email, last_day.email, partner_admin.email, partner_admin.email]
    )
    to_admin = [m.body for m in mail.outbox if m.to == [partner_admin.email]]
    for person in (soon, last_day):
        assert len([body for body in to_admin if person.email in body]) == 1
    own = next(m for m in mail.outbox if m.to == [soon.email])
    assert (today + timedelta(days=warn_days)).strftime("%d.%m.%Y") in own.body
    for person in (soon, last_day):
        person.refresh_from_db()
        assert person.expiry_warned_on == today
        assert person.blocked_at is None

    expired.refresh_from_db()
    assert expired.blocked_at is not None
    assert expired.blocked_reason == "expired"
    assert expired.session_generation == generation + 1
    [event] = AuditEvent.objects.filter(kind=AuditKind.EXPIRED)
    assert event.subject == expired
    assert event.details == {"expired_on": str(today - timedelta(days=1))}

    for person in untouched:
        assert User.objects.filter(pk=person.pk).values().get() == untouched_before[person.pk]

    # A second run the same day changes nothing and sends nothing.
    sent = len(mail.outbox)
    events = AuditEvent.objects.count()
    assert _run(django_capture_on_commit_callbacks) == {"warned": 0, "expired": 0}
    assert len(mail.outbox) == sent
    assert AuditEvent.objects.count() == events

    # The blocked account's open session ended with the block: even with the date extended
    # and the block lifted, the old session does not come back.
    user_set_access_expiry(user=expired, expires_on=today + timedelta(days=30), actor=None)
    user_unblock(user=expired, actor=None)
    response = expired_session.get(reverse("partners:company"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert SESSION_KEY not in expired_session.session


def test_warnings_go_to_the_admins_of_every_company_of_the_user(
    partner_a: Partner,
    partner_admin: User,
    partner_b: Partner,
    other_partner_user: User,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    shared = _member(partner_a, "shared@alpha.example", timezone.localdate() + timedelta(days=1))
    MembershipFactory.create(user=shared, partner=partner_b)
    blocked_admin = UserFactory.create(email="gone@alpha.example", blocked_at=timezone.now())
    MembershipFactory.create(user=blocked_admin, partner=partner_a, role=Role.PARTNER_ADMIN)

    assert _run(django_capture_on_commit_callbacks) == {"warned": 1, "expired": 0}
    assert _recipients() == sorted([shared.email, partner_admin.email, other_partner_user.email])


def test_a_new_date_is_warned_about_again(
    partner_a: Partner, partner_admin: User, django_capture_on_commit_callbacks: Capture
) -> None:
    today = timezone.localdate()
    person = _member(partner_a, "soon@alpha.example", today + timedelta(days=2))
    assert _run(django_capture_on_commit_callbacks)["warned"] == 1
    sent = len(mail.outbox)

    # Extended beyond the warning window: no warning; later moved into it again: warned again.
    user_set_access_expiry(user=person, expires_on=today + timedelta(days=60), actor=partner_admin)
    assert _run(django_capture_on_commit_callbacks)["warned"] == 0
    user_set_access_expiry(user=person, expires_on=today + timedelta(days=3), actor=partner_admin)
    assert _run(django_capture_on_commit_callbacks)["warned"] == 1
    assert _recipients(sent) == sorted([person.email, partner_admin.email])


def test_an_expired_account_cannot_sign_in_after_the_job(
    partner_a: Partner, partner_admin: User, django_capture_on_commit_callbacks: Capture
) -> None:
    person = _member(partner_a, "old@alpha.example", timezone.localdate() - timedelta(days=5))
    _run(django_capture_on_commit_callbacks)
    client = Client()
    response = client.post(
        reverse("accounts:login"), {"username": person.email, "password": PASSWORD}
    )
    assert response.status_code == 200
    assert SESSION_KEY not in client.session
    assert AuditEvent.objects.filter(kind=AuditKind.SIGN_IN_DENIED, subject=person).exists()


def test_the_company_audit_log_shows_an_employees_expiry(
    partner_a: Partner, partner_admin: User, django_capture_on_commit_callbacks: Capture
) -> None:
    person = _member(partner_a, "old@alpha.example", timezone.localdate() - timedelta(days=1))
    _run(django_capture_on_commit_callbacks)
    page = signed_in(partner_admin).get(reverse("partners:audit"), {"kind": AuditKind.EXPIRED})
    assert [event.subject for event in page.context["page"].object_list] == [person]
