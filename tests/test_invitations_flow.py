"""Invitations end to end (ACC5, ACC8, PRT2, R3, R7): staff invite a partner's key user, the
e-mailed link opens the registration page, the person becomes the partner's admin.

Everything goes through the test client and the real database; e-mail goes through
django.tasks (an immediate backend here) once the transaction commits, and the links are
read from the delivered message as a person would read them.
"""

import hashlib
import re
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.db import connection
from django.tasks import TaskResultStatus
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from pytest_django import DjangoCaptureOnCommitCallbacks, Settings

from kabinet.accounts.models import AuditEvent, AuditKind, User
from kabinet.accounts.tests.factories import PASSWORD
from kabinet.partners.invitations import invitation_create
from kabinet.partners.models import Contact, Invitation, Membership, Partner
from kabinet.partners.rights import Right, Role
from kabinet.partners.tests.factories import PartnerFactory

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

type Capture = DjangoCaptureOnCommitCallbacks

STRONG_PASSWORD = "Tundra-lantern-93-ferry"
PHONE = "+7 916 123-45-67"
LINK = re.compile(r"/invitation/([A-Za-z0-9_\-]+)/")
EN = {"accept-language": "en"}


@pytest.fixture(autouse=True)
def immediate_tasks(settings: Settings) -> None:
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def fresh_partner(db: None) -> Partner:
    """A partner card without any user yet (PRT1: cards come from the ERP)."""
    return PartnerFactory.create(name="Gamma Trade")


# --- helpers -------------------------------------------------------------------------------


def _messages(response: "Response") -> list[str]:
    """The messages the page after a redirect shows."""
    return [str(message) for message in response.context["messages"]]


def _token(message: mail.EmailMessage) -> str:
    """The token of the one invitation link in a message; the link is absolute."""
    tokens = set(LINK.findall(str(message.body)))
    assert len(tokens) == 1, message.body
    [token] = tokens
    assert f"{settings.SITE_URL}/invitation/{token}/" in str(message.body)
    return token


def _html(message: mail.EmailMessage) -> str:
    assert isinstance(message, mail.EmailMultiAlternatives)
    [(content, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert isinstance(content, str)
    return content


def _url(token: str) -> str:
    return reverse("partners:invitation", kwargs={"token": token})


def _staff_invite(
    client: Client,
    capture: Capture,
    to_partner: Partner,
    email: str,
    full_name: str = "Kirill Key",
    **extra: str,
) -> "Response":
    """POST the invitation form of the partner card and follow back to the card, which shows
    (and so consumes) the messages."""
    url = reverse("partners:staff_invite", kwargs={"partner_id": to_partner.pk})
    with capture(execute=True):
        response: Response = client.post(
            url, {"email": email, "full_name": full_name, **extra}, follow=True, headers=EN
        )
    assert response.status_code == 200
    card = reverse("partners:staff_card", kwargs={"partner_id": to_partner.pk})
    assert response.redirect_chain == [(card, 302)]
    return response


def _invited_token(client: Client, capture: Capture, partner: Partner, email: str) -> str:
    sent_before = len(mail.outbox)
    _staff_invite(client, capture, partner, email)
    assert len(mail.outbox) == sent_before + 1
    return _token(mail.outbox[-1])


def _registration(**overrides: str) -> dict[str, str]:
    return {
        "full_name": "Kirill Key",
        "phone": PHONE,
        "password1": STRONG_PASSWORD,
        "password2": STRONG_PASSWORD,
        **overrides,
    }


def _counts() -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "memberships": Membership.objects.count(),
        "contacts": Contact.objects.count(),
        "invitations": Invitation.objects.count(),
        "accepted": Invitation.objects.filter(accepted_at__isnull=False).count(),
    }


def _is_active(partner: Partner) -> bool:
    return Partner.objects.with_activity().get(pk=partner.pk).is_active


def _assert_invalid_page(response: "Response") -> None:
    assert response.status_code == 410
    page = response.content.decode()
    assert 'data-testid="invitation-invalid"' in page
    assert 'data-testid="invitation-form"' not in page


def _sign_in(email: str, password: str) -> Client:
    client = Client()
    response = client.post(reverse("accounts:login"), {"username": email, "password": password})
    assert response.status_code == 302, response.content.decode()[:2000]
    return client


# --- ACC5, ACC8, PRT2: the key user's way in -----------------------------------------------


def test_staff_invitation_e_mail_is_russian_with_html_and_text_parts(
    manager_client: Client,
    staff_manager: User,
    fresh_partner: Partner,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    url = reverse("partners:staff_invite", kwargs={"partner_id": fresh_partner.pk})
    with django_capture_on_commit_callbacks(execute=True):
        # No Accept-Language: the portal's default language, Russian.
        response = manager_client.post(url, {"email": "Kirill@Gamma.example", "full_name": "K"})
    assert response.status_code == 302

    [message] = mail.outbox
    assert message.to == ["kirill@gamma.example"]
    token = _token(message)
    html = _html(message)
    assert '<html lang="ru">' in html
    for part in (message.subject, message.body, html):
        for english in ("Invitation to", "Hello", "You are invited", "registration", "valid until"):
            assert english not in part, part
    assert settings.KABINET_SUPPLIER_NAME in message.subject
    assert f'href="{settings.SITE_URL}/invitation/{token}/"' in html
    assert "Gamma Trade" in str(message.body)
    assert "Gamma Trade" in html
    # The expiry is shown in the Russian date format (dd.mm.yyyy hh:mm).
    assert re.search(r"\d{2}\.\d{2}\.\d{4} \d{2}:\d{2}", str(message.body))

    invitation = Invitation.objects.get()
    assert invitation.partner == fresh_partner
    assert invitation.email == "kirill@gamma.example"
    assert invitation.role == Role.PARTNER_ADMIN
    assert invitation.invited_by == staff_manager
    ttl = invitation.expires_at - invitation.sent_at
    assert ttl == timedelta(days=settings.INVITATION_TTL_DAYS)
    assert AuditEvent.objects.filter(
        kind=AuditKind.INVITATION_SENT,
        actor=staff_manager,
        partner_id=fresh_partner.pk,
        subject_email="kirill@gamma.example",
    ).exists()


def test_key_user_registers_through_the_link_and_becomes_the_partner_admin(
    manager_client: Client, fresh_partner: Partner, django_capture_on_commit_callbacks: Capture
) -> None:
    assert not _is_active(fresh_partner)
    token = _invited_token(
        manager_client, django_capture_on_commit_callbacks, fresh_partner, "kirill@gamma.example"
    )
    visitor = Client()

    page = visitor.get(_url(token))
    assert page.status_code == 200
    assert 'data-testid="invitation-form"' in page.content.decode()
    assert 'value="Kirill Key"' in page.content.decode()  # the name from the invitation

    response = visitor.post(
        _url(token), _registration(full_name="Kirill K. Key", phone="8 (916) 123 45 67")
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")

    user = User.objects.get(email="kirill@gamma.example")
    assert user.full_name == "Kirill K. Key"
    assert user.phone == "+7 916 123-45-67"  # normalised
    assert user.check_password(STRONG_PASSWORD)
    assert not user.is_staff
    [membership] = Membership.objects.filter(user=user)
    assert membership.partner == fresh_partner
    assert membership.role == Role.PARTNER_ADMIN
    contact = Contact.objects.get(partner=fresh_partner, user=user)
    assert contact.email == "kirill@gamma.example"
    assert contact.full_name == "Kirill K. Key"
    assert _is_active(fresh_partner)
    invitation = Invitation.objects.get()
    assert invitation.accepted_by == user
    assert invitation.status == Invitation.Status.ACCEPTED
    assert AuditEvent.objects.filter(
        kind=AuditKind.INVITATION_ACCEPTED, subject=user, partner_id=fresh_partner.pk
    ).exists()

    signed_in = _sign_in("Kirill@Gamma.example", STRONG_PASSWORD)
    assert signed_in.session[SESSION_KEY] == str(user.pk)
    assert signed_in.get(reverse("partners:users")).status_code == 200  # admin: every right


def test_first_user_of_a_partner_is_its_admin_even_when_invited_as_user(
    fresh_partner: Partner, staff_manager: User, django_capture_on_commit_callbacks: Capture
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        invitation_create(
            partner=fresh_partner,
            email="first@gamma.example",
            full_name="First",
            role=Role.PARTNER_USER,
            rights=frozenset({Right.ORDERS}),
            actor=staff_manager,
        )
        invitation_create(
            partner=fresh_partner,
            email="second@gamma.example",
            full_name="Second",
            role=Role.PARTNER_USER,
            rights=frozenset({Right.ORDERS}),
            actor=staff_manager,
        )
    first, second = (_token(message) for message in mail.outbox)

    assert Client().post(_url(first), _registration()).status_code == 302
    assert Client().post(_url(second), _registration()).status_code == 302

    roles = dict(Membership.objects.values_list("user__email", "role"))
    assert roles == {
        "first@gamma.example": Role.PARTNER_ADMIN,
        "second@gamma.example": "partner_user",
    }
    assert Membership.objects.get(user__email="second@gamma.example").rights == ["orders"]


# --- R7: the link is the key, used once, and expires ---------------------------------------


def test_unknown_token_gets_the_invalid_page_and_creates_nothing(
    fresh_partner: Partner, manager_client: Client, django_capture_on_commit_callbacks: Capture
) -> None:
    token = _invited_token(
        manager_client, django_capture_on_commit_callbacks, fresh_partner, "k@gamma.example"
    )
    before = _counts()
    for guess in ("nope", token[:-1], token + "x", hashlib.sha256(token.encode()).hexdigest()):
        _assert_invalid_page(Client().get(_url(guess)))
        _assert_invalid_page(Client().post(_url(guess), _registration()))
    assert _counts() == before
    assert Invitation.objects.get().status == Invitation.Status.PENDING


def test_the_link_works_once(
    fresh_partner: Partner, manager_client: Client, django_capture_on_commit_callbacks: Capture
) -> None:
    token = _invited_token(
        manager_client, django_capture_on_commit_callbacks, fresh_partner, "k@gamma.example"
    )
    assert Client().post(_url(token), _registration()).status_code == 302
    before = _counts()

    again = Client().get(_url(token))
    _assert_invalid_page(again)
    assert again.context["status"] == Invitation.Status.ACCEPTED  # the page says why
    _assert_invalid_page(
        Client().post(_url(token), _registration(password1="Other-pass-12345!"), headers=EN)
    )
    assert _counts() == before
    assert User.objects.get(email="k@gamma.example").check_password(STRONG_PASSWORD)


def test_expired_link_gets_the_invalid_page_and_creates_nothing(
    fresh_partner: Partner, manager_client: Client, django_capture_on_commit_callbacks: Capture
) -> None:
    token = _invited_token(
        manager_client, django_capture_on_commit_callbacks, fresh_partner, "k@gamma.example"
    )
    Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    before = _counts()

    page = Client().get(_url(token), headers=EN)
    _assert_invalid_page(page)
    assert page.context["status"] == Invitation.Status.EXPIRED  # the page says why
    _assert_invalid_page(Client().post(_url(token), _registration()))
    assert _counts() == before
    assert not User.objects.filter(email="k@gamma.example").exists()
    assert not _is_active(fresh_partner)


def test_revoked_link_is_dead(
    fresh_partner: Partner,
    manager_client: Client,
    staff_manager: User,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    token = _invited_token(
        manager_client, django_capture_on_commit_callbacks, fresh_partner, "k@gamma.example"
    )
    invitation = Invitation.objects.get()
    response = manager_client.post(
        reverse("partners:staff_invitation_revoke", kwargs={"invitation_id": invitation.pk})
    )
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.REVOKED
    assert AuditEvent.objects.filter(
        kind=AuditKind.INVITATION_REVOKED, actor=staff_manager, partner_id=fresh_partner.pk
    ).exists()

    before = _counts()
    page = Client().get(_url(token), headers=EN)
    _assert_invalid_page(page)
    assert page.context["status"] == Invitation.Status.REVOKED  # the page says why
    _assert_invalid_page(Client().post(_url(token), _registration()))
    assert _counts() == before


def test_resend_gives_a_new_link_and_kills_the_old_one(
    fresh_partner: Partner,
    manager_client: Client,
    staff_manager: User,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    old = _invited_token(
        manager_client, django_capture_on_commit_callbacks, fresh_partner, "k@gamma.example"
    )
    invitation = Invitation.objects.get()
    url = reverse("partners:staff_invitation_resend", kwargs={"invitation_id": invitation.pk})
    with django_capture_on_commit_callbacks(execute=True):
        assert manager_client.post(url).status_code == 302
    assert len(mail.outbox) == 2
    assert mail.outbox[1].to == ["k@gamma.example"]
    new = _token(mail.outbox[1])
    assert new != old
    assert Invitation.objects.count() == 1  # the same invitation, a new link
    assert AuditEvent.objects.filter(
        kind=AuditKind.INVITATION_SENT, partner_id=fresh_partner.pk, details__resent=True
    ).exists()

    _assert_invalid_page(Client().get(_url(old)))
    _assert_invalid_page(Client().post(_url(old), _registration()))
    assert not User.objects.filter(email="k@gamma.example").exists()

    assert Client().post(_url(new), _registration()).status_code == 302
    assert Membership.objects.filter(
        user__email="k@gamma.example", partner=fresh_partner, role=Role.PARTNER_ADMIN
    ).exists()


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("Sh0rt-pw!", "This password is too short"),
        ("qwerty123456", "This password is too common"),
    ],
)
def test_weak_password_is_refused_with_the_reason(
    password: str,
    reason: str,
    fresh_partner: Partner,
    manager_client: Client,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    token = _invited_token(
        manager_client, django_capture_on_commit_callbacks, fresh_partner, "k@gamma.example"
    )
    before = _counts()
    response = Client().post(
        _url(token), _registration(password1=password, password2=password), headers=EN
    )
    assert response.status_code == 200
    assert reason in response.content.decode()
    assert _counts() == before
    assert Invitation.objects.get().status == Invitation.Status.PENDING


def test_different_passwords_are_refused(
    fresh_partner: Partner, manager_client: Client, django_capture_on_commit_callbacks: Capture
) -> None:
    token = _invited_token(
        manager_client, django_capture_on_commit_callbacks, fresh_partner, "k@gamma.example"
    )
    before = _counts()
    response = Client().post(
        _url(token), _registration(password2=STRONG_PASSWORD + "x"), headers=EN
    )
    assert response.status_code == 200
    assert "The two passwords differ." in response.content.decode()
    assert _counts() == before


def test_token_is_stored_only_as_a_hash(
    fresh_partner: Partner, manager_client: Client, django_capture_on_commit_callbacks: Capture
) -> None:
    token = _invited_token(
        manager_client, django_capture_on_commit_callbacks, fresh_partner, "k@gamma.example"
    )
    invitation = Invitation.objects.get()
    assert invitation.token_hash != token
    assert len(invitation.token_hash) == 64
    stored = repr(Invitation.objects.values().get())
    assert token not in stored
    # Not in the audit log either (R19: no secrets in logs).
    assert token not in repr(list(AuditEvent.objects.values()))


def test_the_sent_link_does_not_stay_in_the_task_queue(
    fresh_partner: Partner,
    manager_client: Client,
    settings: Settings,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    url = reverse("partners:staff_invite", kwargs={"partner_id": fresh_partner.pk})
    with django_capture_on_commit_callbacks(execute=True):
        manager_client.post(url, {"email": "k@gamma.example", "full_name": "K"})
    [queued] = DBTaskResult.objects.all()
    # Deliver it the way `manage.py db_worker` does.
    Worker(
        queue_names=["default"],
        interval=0.1,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=1,
        worker_id="test",
        excluded_queue_names=[],
    ).run_task(queued)
    queued.refresh_from_db()
    assert queued.status == TaskResultStatus.SUCCESSFUL, queued.traceback
    token = _token(mail.outbox[0])

    assert token not in repr(list(DBTaskResult.objects.values()))


# --- R18: at the same moment --------------------------------------------------------------


def _at_once(*requests: Callable[[], int]) -> list[int]:
    """Run the requests in threads released together; their status codes, in order."""
    barrier = threading.Barrier(len(requests))
    statuses: list[int] = [0] * len(requests)
    errors: list[BaseException] = []

    def run(index: int, request: Callable[[], int]) -> None:
        try:
            barrier.wait(timeout=10)
            statuses[index] = request()
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(index, request))
        for index, request in enumerate(requests)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    return statuses


def _accepting(token: str, **overrides: str) -> Callable[[], int]:
    def post() -> int:
        return Client().post(_url(token), _registration(**overrides)).status_code

    return post


@pytest.mark.django_db(transaction=True)
def test_double_submit_of_the_same_link_creates_one_account(staff_manager: User) -> None:
    partner = PartnerFactory.create(name="Gamma Trade")
    invitation_create(
        partner=partner,
        email="k@gamma.example",
        full_name="K",
        role=Role.PARTNER_ADMIN,
        actor=staff_manager,
    )
    token = _token(mail.outbox[0])

    statuses = _at_once(*(_accepting(token) for _ in range(4)))

    # One wins; the others are told the link is used (on the form, or by the invalid page
    # when they arrive after the winner committed).
    assert statuses.count(302) == 1
    assert set(statuses) - {302} <= {200, 410}
    assert User.objects.filter(email="k@gamma.example").count() == 1
    assert Membership.objects.filter(partner=partner).count() == 1
    assert Contact.objects.filter(partner=partner).count() == 1
    assert AuditEvent.objects.filter(kind=AuditKind.INVITATION_ACCEPTED).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_first_users_registering_at_once_make_exactly_one_admin(staff_manager: User) -> None:
    partner = PartnerFactory.create(name="Gamma Trade")
    for email in ("one@gamma.example", "two@gamma.example", "three@gamma.example"):
        invitation_create(
            partner=partner,
            email=email,
            full_name=email,
            role=Role.PARTNER_USER,
            rights=frozenset({Right.ORDERS}),
            actor=staff_manager,
        )
    tokens = [_token(message) for message in mail.outbox]

    assert _at_once(*(_accepting(token) for token in tokens)) == [302, 302, 302]

    roles = sorted(Membership.objects.filter(partner=partner).values_list("role", flat=True))
    assert roles == [Role.PARTNER_ADMIN, Role.PARTNER_USER, Role.PARTNER_USER]


# --- Who already has an account -------------------------------------------------------------


def test_inviting_an_existing_member_is_refused_clearly(
    manager_client: Client,
    partner_a: Partner,
    partner_admin: User,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    before = _counts()
    response = _staff_invite(
        manager_client, django_capture_on_commit_callbacks, partner_a, "Admin@Alpha.example"
    )
    assert _messages(response) == ["admin@alpha.example already has an account in this company."]
    assert _counts() == before
    assert mail.outbox == []


def test_a_second_invitation_to_the_same_e_mail_is_refused(
    manager_client: Client, fresh_partner: Partner, django_capture_on_commit_callbacks: Capture
) -> None:
    _invited_token(
        manager_client, django_capture_on_commit_callbacks, fresh_partner, "k@gamma.example"
    )
    before = _counts()
    response = _staff_invite(
        manager_client, django_capture_on_commit_callbacks, fresh_partner, "K@Gamma.example"
    )
    assert _messages(response) == [
        "An invitation to k@gamma.example is already waiting: resend it instead."
    ]
    assert _counts() == before
    assert len(mail.outbox) == 1


def test_account_of_another_partner_joins_with_its_own_password(
    manager_client: Client,
    partner_a: Partner,
    partner_b: Partner,
    other_partner_user: User,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    token = _invited_token(
        manager_client, django_capture_on_commit_callbacks, partner_a, other_partner_user.email
    )
    visitor = Client()
    page = visitor.get(_url(token), headers=EN).content.decode()
    assert "This e-mail already has an account" in page
    assert 'name="password"' in page
    assert 'name="password1"' not in page
    assert 'name="phone"' not in page

    before = _counts()
    wrong = visitor.post(_url(token), {"password": "not-the-password-at-all"}, headers=EN)
    assert wrong.status_code == 200
    assert "The password is incorrect." in wrong.content.decode()
    assert _counts() == before
    assert set(
        Membership.objects.filter(user=other_partner_user).values_list("partner", flat=True)
    ) == {partner_b.pk}
    assert Invitation.objects.get().status == Invitation.Status.PENDING

    right = visitor.post(_url(token), {"password": PASSWORD})
    assert right.status_code == 302
    assert User.objects.count() == before["users"]  # no new account
    memberships = dict(
        Membership.objects.filter(user=other_partner_user).values_list("partner", "role")
    )
    assert memberships == {partner_b.pk: Role.PARTNER_ADMIN, partner_a.pk: Role.PARTNER_ADMIN}
    other_partner_user.refresh_from_db()
    assert other_partner_user.check_password(PASSWORD)  # his password did not change
    assert Contact.objects.filter(partner=partner_a, user=other_partner_user).exists()
    assert Invitation.objects.get().accepted_by == other_partner_user


# --- R3: mass assignment -------------------------------------------------------------------


def test_extra_fields_on_the_accept_form_change_nothing_beyond_the_invitation(
    partner_a: Partner,
    partner_admin: User,
    partner_b: Partner,
    other_partner_user: User,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        invitation_create(
            partner=partner_a,
            email="emp@alpha.example",
            full_name="Emp",
            role=Role.PARTNER_USER,
            rights=frozenset({Right.ORDERS}),
            actor=partner_admin,
        )
    token = _token(mail.outbox[0])
    b_members = list(Membership.objects.filter(partner=partner_b).values())

    response = Client().post(
        _url(token),
        _registration(
            role=Role.PARTNER_ADMIN,
            partner=str(partner_b.pk),
            partner_id=str(partner_b.pk),
            rights=Right.USERS.value,
            email="evil@beta.example",
            is_staff="on",
            is_superuser="on",
        ),
    )
    assert response.status_code == 302

    user = User.objects.get(email="emp@alpha.example")
    assert not user.is_staff
    assert not user.is_superuser
    assert not User.objects.filter(email="evil@beta.example").exists()
    assert list(Membership.objects.filter(user=user).values_list("partner", "role", "rights")) == [
        (partner_a.pk, Role.PARTNER_USER, ["orders"])
    ]
    assert list(Membership.objects.filter(partner=partner_b).values()) == b_members


def test_extra_fields_on_the_staff_invitation_change_nothing(
    manager_client: Client,
    fresh_partner: Partner,
    partner_b: Partner,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    _staff_invite(
        manager_client,
        django_capture_on_commit_callbacks,
        fresh_partner,
        "k@gamma.example",
        role=Role.PARTNER_USER,
        partner=str(partner_b.pk),
        rights=Right.FINANCE.value,
        expires_at="2099-01-01T00:00:00Z",
    )
    invitation = Invitation.objects.get()
    assert invitation.partner == fresh_partner
    assert invitation.role == Role.PARTNER_ADMIN
    assert invitation.rights == []
    assert invitation.expires_at - invitation.sent_at == timedelta(
        days=settings.INVITATION_TTL_DAYS
    )
