"""The partner admin's Users section (ACC6, ACC7, ACC9, ACC11, R19): employees from Contacts,
their section rights, blocking, access dates, the last-admin rule, the company's two-factor
policy and the audit trail, all through the test client and the real database."""

import re
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django import DjangoCaptureOnCommitCallbacks, Settings

from kabinet.accounts.models import AuditEvent, AuditKind, User
from kabinet.accounts.tests.factories import PASSWORD, UserFactory
from kabinet.partners.models import Contact, Invitation, Membership, Partner
from kabinet.partners.rights import DEFAULT_USER_RIGHTS, Right, Role
from kabinet.partners.tests.factories import ContactFactory, InvitationFactory, MembershipFactory
from tests.support import signed_in

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

type Capture = DjangoCaptureOnCommitCallbacks

STRONG_PASSWORD = "Tundra-lantern-93-ferry"
LINK = re.compile(r"/invitation/([A-Za-z0-9_\-]+)/")
EN = {"accept-language": "en"}
USERS_SECTION = ("partners:users", "partners:audit", "partners:security", "partners:employee_new")
CHANGE_KINDS = [
    AuditKind.INVITATION_SENT,
    AuditKind.INVITATION_REVOKED,
    AuditKind.RIGHTS_CHANGED,
    AuditKind.BLOCKED,
    AuditKind.UNBLOCKED,
    AuditKind.EXPIRY_SET,
    AuditKind.MFA_POLICY_CHANGED,
]


@pytest.fixture(autouse=True)
def immediate_tasks(settings: Settings) -> None:
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def employee(partner_a: Partner, partner_admin: User) -> User:
    user = UserFactory.create(email="egor@alpha.example", full_name="Egor Employee")
    MembershipFactory.create(user=user, partner=partner_a, rights=[Right.ORDERS.value])
    return user


@pytest.fixture
def delegate(partner_a: Partner, partner_admin: User) -> User:
    """A partner user who was given the Users right but is not an admin."""
    user = UserFactory.create(email="dina@alpha.example", full_name="Dina Delegate")
    MembershipFactory.create(user=user, partner=partner_a, rights=[Right.USERS.value])
    return user


# --- helpers -------------------------------------------------------------------------------


def _membership(user: User, partner: Partner) -> Membership:
    return Membership.objects.select_related("user").get(user=user, partner=partner)


def _member_url(name: str, membership: Membership) -> str:
    return reverse(name, kwargs={"membership_id": membership.pk})


def _messages(response: "Response") -> list[str]:
    """The messages shown on the page a POST redirected to (followed)."""
    return [str(message) for message in response.context["messages"]]


def _post(client: Client, url: str, data: dict[str, Any] | None = None) -> "Response":
    response: Response = client.post(url, data or {}, follow=True, headers=EN)
    return response


def _token(message: mail.EmailMessage) -> str:
    tokens = set(LINK.findall(str(message.body)))
    assert len(tokens) == 1, message.body
    return tokens.pop()


def _accept(token: str, full_name: str = "Egor Employee") -> User:
    url = reverse("partners:invitation", kwargs={"token": token})
    data = {
        "full_name": full_name,
        "phone": "+7 916 765-43-21",
        "password1": STRONG_PASSWORD,
        "password2": STRONG_PASSWORD,
    }
    response = Client().post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    invitation = Invitation.objects.get(accepted_at__isnull=False, accepted_by__isnull=False)
    assert invitation.accepted_by is not None
    return invitation.accepted_by


def _sign_in(email: str, password: str) -> Client:
    client = Client()
    response = client.post(reverse("accounts:login"), {"username": email, "password": password})
    assert response.status_code == 302, response.content.decode()[:3000]
    return client


def _add_employee(
    admin: Client, capture: Capture, *, email: str, rights: list[Right], give_account: bool = True
) -> "Response":
    data: dict[str, Any] = {
        "full_name": "Egor Employee",
        "position": "Buyer",
        "email": email,
        "phone": "+7 916 000-00-01",
        "rights": [right.value for right in rights],
    }
    if give_account:
        data["give_account"] = "on"
    with capture(execute=True):
        return _post(admin, reverse("partners:employee_new"), data)


def _state(partner: Partner) -> dict[str, list[Any]]:
    """Every row the Users section may change for `partner`."""
    users = User.objects.filter(memberships__partner=partner).order_by("pk")
    return {
        "partner": list(Partner.objects.filter(pk=partner.pk).values()),
        "memberships": list(Membership.objects.filter(partner=partner).order_by("pk").values()),
        "users": list(users.values()),
        "contacts": list(Contact.objects.filter(partner=partner).order_by("pk").values()),
        "invitations": list(Invitation.objects.filter(partner=partner).order_by("pk").values()),
    }


def _events(kind: AuditKind, **filters: Any) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(kind=kind, **filters))


# --- ACC6: employees from Contacts ---------------------------------------------------------


def test_admin_adds_an_employee_who_then_has_exactly_the_given_rights(
    admin_client_a: Client,
    partner_a: Partner,
    partner_admin: User,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    response = _add_employee(
        admin_client_a,
        django_capture_on_commit_callbacks,
        email="egor@alpha.example",
        rights=[Right.ORDERS, Right.FINANCE],
    )
    assert response.redirect_chain == [(reverse("partners:contacts"), 302)]
    assert _messages(response) == ["An invitation has been sent to egor@alpha.example."]
    contact = Contact.objects.get(partner=partner_a, email="egor@alpha.example")
    assert (contact.full_name, contact.position, contact.user) == ("Egor Employee", "Buyer", None)
    invitation = Invitation.objects.get(partner=partner_a)
    assert invitation.contact == contact
    assert invitation.role == Role.PARTNER_USER
    assert invitation.rights == ["finance", "orders"]
    assert invitation.invited_by == partner_admin
    [message] = mail.outbox
    assert message.to == ["egor@alpha.example"]
    assert _events(
        AuditKind.INVITATION_SENT,
        actor=partner_admin,
        partner_id=partner_a.pk,
        subject_email="egor@alpha.example",
    )
    contacts = Contact.objects.count()

    employee = _accept(_token(message))
    membership = _membership(employee, partner_a)
    assert membership.role == Role.PARTNER_USER
    assert membership.granted_rights == {Right.ORDERS, Right.FINANCE}
    contact.refresh_from_db()
    assert contact.user == employee
    assert Contact.objects.count() == contacts  # his card, not a second one

    client = _sign_in("egor@alpha.example", STRONG_PASSWORD)
    for name in USERS_SECTION:
        assert client.get(reverse(name)).status_code == 403, name
    contacts_page = client.get(reverse("partners:contacts"))
    assert contacts_page.status_code == 200
    assert 'data-testid="add-employee"' not in contacts_page.content.decode()
    assert reverse("partners:users") not in client.get("/").content.decode()  # not in his menu

    # Given the Users right, the section opens for him.
    _post(
        admin_client_a,
        _member_url("partners:member", membership),
        {"role": Role.PARTNER_USER, "rights": ["orders", "finance", "users"]},
    )
    assert client.get(reverse("partners:users")).status_code == 200
    assert reverse("partners:users") in client.get("/").content.decode()


def test_employee_card_without_an_account_sends_nothing(
    admin_client_a: Client, partner_a: Partner, django_capture_on_commit_callbacks: Capture
) -> None:
    response = _add_employee(
        admin_client_a,
        django_capture_on_commit_callbacks,
        email="egor@alpha.example",
        rights=[Right.ORDERS],
        give_account=False,
    )
    assert _messages(response) == ["The contact has been added."]
    assert Contact.objects.filter(partner=partner_a, email="egor@alpha.example").exists()
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_an_account_needs_an_e_mail(
    admin_client_a: Client, partner_a: Partner, django_capture_on_commit_callbacks: Capture
) -> None:
    before = _state(partner_a)
    response = _add_employee(
        admin_client_a, django_capture_on_commit_callbacks, email="", rights=[Right.ORDERS]
    )
    assert response.status_code == 200
    assert "An account needs an e-mail address." in response.content.decode()
    assert _state(partner_a) == before
    assert mail.outbox == []


def test_give_an_account_to_an_existing_contact(
    admin_client_a: Client,
    partner_a: Partner,
    partner_admin: User,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    contact = ContactFactory.create(
        partner=partner_a, full_name="Olga Orders", email="olga@alpha.example"
    )
    url = reverse("partners:contact_invite", kwargs={"contact_id": contact.pk})
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(admin_client_a, url)
    assert _messages(response) == ["An invitation has been sent to olga@alpha.example."]
    invitation = Invitation.objects.get()
    assert (invitation.contact, invitation.email, invitation.role) == (
        contact,
        "olga@alpha.example",
        Role.PARTNER_USER,
    )
    assert set(invitation.rights) == {right.value for right in DEFAULT_USER_RIGHTS}
    assert _events(AuditKind.INVITATION_SENT, actor=partner_admin, partner_id=partner_a.pk)

    # Asking twice does not send a second invitation.
    with django_capture_on_commit_callbacks(execute=True):
        again = _post(admin_client_a, url)
    assert _messages(again) == [
        "An invitation to olga@alpha.example is already waiting: resend it instead."
    ]
    assert Invitation.objects.count() == 1
    [message] = mail.outbox

    olga = _accept(_token(message), full_name="Olga Orders")
    contact.refresh_from_db()
    assert contact.user == olga
    assert Contact.objects.filter(partner=partner_a, email="olga@alpha.example").count() == 1
    assert _membership(olga, partner_a).granted_rights == DEFAULT_USER_RIGHTS


def test_a_contact_without_e_mail_or_with_an_account_gets_no_invitation(
    admin_client_a: Client,
    partner_a: Partner,
    employee: User,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    no_email = ContactFactory.create(partner=partner_a, email="")
    with_account = ContactFactory.create(partner=partner_a, email=employee.email, user=employee)
    before = _state(partner_a)
    for contact, error in [
        (no_email, "The contact has no e-mail address."),
        (with_account, "The contact already has an account."),
    ]:
        url = reverse("partners:contact_invite", kwargs={"contact_id": contact.pk})
        with django_capture_on_commit_callbacks(execute=True):
            assert _messages(_post(admin_client_a, url)) == [error]
    assert _state(partner_a) == before
    assert mail.outbox == []


def test_admin_revokes_and_resends_an_employee_invitation(
    admin_client_a: Client,
    partner_a: Partner,
    partner_admin: User,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    capture = django_capture_on_commit_callbacks
    _add_employee(admin_client_a, capture, email="egor@alpha.example", rights=[Right.ORDERS])
    invitation = Invitation.objects.get()
    old = _token(mail.outbox[0])
    with capture(execute=True):
        _post(
            admin_client_a,
            reverse("partners:invitation_resend", kwargs={"invitation_id": invitation.pk}),
        )
    new = _token(mail.outbox[1])
    assert new != old
    link = reverse("partners:invitation", kwargs={"token": old})
    assert Client().get(link).status_code == 410

    _post(
        admin_client_a,
        reverse("partners:invitation_revoke", kwargs={"invitation_id": invitation.pk}),
    )
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.REVOKED
    assert Client().get(reverse("partners:invitation", kwargs={"token": new})).status_code == 410
    assert _events(AuditKind.INVITATION_REVOKED, actor=partner_admin, partner_id=partner_a.pk)
    assert _events(AuditKind.INVITATION_SENT, partner_id=partner_a.pk, details__resent=True), (
        "the resend is logged"
    )


# --- ACC7: role and rights ----------------------------------------------------------------


def test_admin_changes_role_and_rights(
    admin_client_a: Client, partner_a: Partner, partner_admin: User, employee: User
) -> None:
    membership = _membership(employee, partner_a)
    url = _member_url("partners:member", membership)
    assert admin_client_a.get(url).status_code == 200

    response = _post(
        admin_client_a, url, {"role": Role.PARTNER_USER, "rights": ["reports", "requests"]}
    )
    assert _messages(response) == ["Saved."]
    membership.refresh_from_db()
    assert (membership.role, membership.rights) == (Role.PARTNER_USER, ["reports", "requests"])
    [event] = _events(AuditKind.RIGHTS_CHANGED, subject=employee)
    assert event.actor == partner_admin
    assert event.partner_id == partner_a.pk
    assert event.details["before"] == {"role": "partner_user", "rights": ["orders"]}
    assert event.details["after"] == {"role": "partner_user", "rights": ["reports", "requests"]}

    _post(admin_client_a, url, {"role": Role.PARTNER_ADMIN, "rights": ["reports"]})
    membership.refresh_from_db()
    assert (membership.role, membership.rights) == (Role.PARTNER_ADMIN, [])
    assert membership.granted_rights == frozenset(Right)

    before = _state(partner_a)
    bad = admin_client_a.post(url, {"role": "superuser", "rights": ["everything"]})
    assert bad.status_code == 200  # the form again, with its errors
    assert _state(partner_a) == before


# --- ACC9: blocking and access dates -------------------------------------------------------


def test_block_ends_the_employee_session_at_once_and_unblock_restores_sign_in(
    admin_client_a: Client, partner_a: Partner, partner_admin: User, employee: User
) -> None:
    employee_client = signed_in(employee)
    assert employee_client.get(reverse("partners:company")).status_code == 200
    # A second session (another device) makes no request until after the unblock: only
    # ending the sessions at the block, not the per-request check, can sign it out.
    other_device = signed_in(employee)
    membership = _membership(employee, partner_a)

    response = _post(
        admin_client_a, _member_url("partners:member_block", membership), {"reason": "left"}
    )
    [message] = _messages(response)
    assert "Egor Employee is blocked" in message
    employee.refresh_from_db()
    assert employee.blocked_at is not None
    assert employee.blocked_reason == "left"
    [event] = _events(AuditKind.BLOCKED, subject=employee)
    assert (event.actor, event.partner_id, event.details) == (
        partner_admin,
        partner_a.pk,
        {"reason": "left"},
    )

    page = employee_client.get(reverse("partners:company"))
    assert page.status_code == 302
    assert page["Location"].startswith(reverse("accounts:login"))
    assert SESSION_KEY not in employee_client.session
    refused = Client()
    refused.post(reverse("accounts:login"), {"username": employee.email, "password": PASSWORD})
    assert SESSION_KEY not in refused.session

    _post(admin_client_a, _member_url("partners:member_unblock", membership))
    employee.refresh_from_db()
    assert employee.blocked_at is None
    assert _events(
        AuditKind.UNBLOCKED, subject=employee, actor=partner_admin, partner_id=partner_a.pk
    )
    # The sessions open at the block stay ended; signing in again works.
    assert employee_client.get(reverse("partners:company")).status_code == 302
    response = other_device.get(reverse("partners:company"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert SESSION_KEY not in other_device.session
    assert _sign_in(employee.email, PASSWORD).get(reverse("partners:company")).status_code == 200


def test_admin_sets_extends_and_clears_the_access_date(
    admin_client_a: Client, partner_a: Partner, partner_admin: User, employee: User
) -> None:
    membership = _membership(employee, partner_a)
    url = _member_url("partners:member_expiry", membership)
    today = timezone.localdate()
    User.objects.filter(pk=employee.pk).update(
        access_expires_on=today + timedelta(days=2), expiry_warned_on=today
    )

    extended = today + timedelta(days=90)
    response = _post(admin_client_a, url, {"expires_on": extended.isoformat()})
    assert _messages(response) == ["Access date saved."]
    employee.refresh_from_db()
    assert employee.access_expires_on == extended
    assert employee.expiry_warned_on is None  # the new date will be warned about in its turn
    [event] = _events(AuditKind.EXPIRY_SET, subject=employee)
    assert (event.actor, event.partner_id) == (partner_admin, partner_a.pk)
    assert event.details == {"expires_on": extended.isoformat()}

    _post(admin_client_a, url, {"expires_on": today.isoformat()})  # today is allowed
    employee.refresh_from_db()
    assert employee.access_expires_on == today

    _post(admin_client_a, url, {"expires_on": ""})
    employee.refresh_from_db()
    assert employee.access_expires_on is None


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("yesterday", "Choose a date from today on."),
        ("not-a-date", "Enter a valid date."),
    ],
)
def test_a_past_or_invalid_access_date_is_refused(
    value: str, error: str, admin_client_a: Client, partner_a: Partner, employee: User
) -> None:
    if value == "yesterday":
        value = (timezone.localdate() - timedelta(days=1)).isoformat()
    membership = _membership(employee, partner_a)
    before = _state(partner_a)
    response = _post(
        admin_client_a, _member_url("partners:member_expiry", membership), {"expires_on": value}
    )
    assert _messages(response) == [error]
    assert _state(partner_a) == before
    assert not _events(AuditKind.EXPIRY_SET)


def test_admin_removes_an_employee_from_the_company(
    admin_client_a: Client, partner_a: Partner, partner_admin: User, employee: User
) -> None:
    contact = ContactFactory.create(partner=partner_a, email=employee.email, user=employee)
    employee_client = signed_in(employee)
    membership = _membership(employee, partner_a)

    response = _post(admin_client_a, _member_url("partners:member_remove", membership))
    assert response.redirect_chain[-1] == (reverse("partners:users"), 302)
    assert _messages(response) == ["Egor Employee no longer has access to the company."]
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert User.objects.filter(pk=employee.pk).exists()  # the account may serve other partners
    contact.refresh_from_db()
    assert contact.user is None
    assert _events(
        AuditKind.RIGHTS_CHANGED,
        subject=employee,
        actor=partner_admin,
        partner_id=partner_a.pk,
        details__removed=True,
    )
    assert employee_client.get(reverse("partners:company")).status_code == 404


# --- The last admin stays -------------------------------------------------------------------


LAST_ADMIN = "Anna Admin is the company's last administrator: appoint another one first."


def test_the_last_admin_cannot_be_demoted_blocked_or_removed(
    admin_client_a: Client, partner_a: Partner, partner_admin: User, delegate: User
) -> None:
    admin = _membership(partner_admin, partner_a)
    delegate_client = signed_in(delegate)
    before = _state(partner_a)
    events = AuditEvent.objects.count()

    demote = {"role": Role.PARTNER_USER, "rights": ["users"]}
    for client in (admin_client_a, delegate_client):
        response = client.post(_member_url("partners:member", admin), demote, headers=EN)
        assert response.status_code == 200
        assert _messages(response) == [LAST_ADMIN]
    response = _post(delegate_client, _member_url("partners:member_block", admin))
    assert _messages(response) == [LAST_ADMIN]
    for client in (admin_client_a, delegate_client):
        response = _post(client, _member_url("partners:member_remove", admin))
        assert _messages(response) == [LAST_ADMIN]
    # Nor can he block himself.
    response = _post(admin_client_a, _member_url("partners:member_block", admin))
    assert _messages(response) == ["You cannot block yourself."]

    assert _state(partner_a) == before
    assert AuditEvent.objects.count() == events

    # With a second admin appointed, the first may step down.
    _post(
        admin_client_a,
        _member_url("partners:member", _membership(delegate, partner_a)),
        {"role": Role.PARTNER_ADMIN},
    )
    assert _messages(_post(admin_client_a, _member_url("partners:member", admin), demote)) == [
        "Saved."
    ]
    admin.refresh_from_db()
    assert (admin.role, admin.rights) == (Role.PARTNER_USER, ["users"])


def test_a_blocked_admin_does_not_count_as_another_admin(
    admin_client_a: Client, partner_a: Partner, partner_admin: User, delegate: User
) -> None:
    membership = _membership(delegate, partner_a)
    Membership.objects.filter(pk=membership.pk).update(role=Role.PARTNER_ADMIN, rights=[])
    _post(admin_client_a, _member_url("partners:member_block", membership))
    delegate.refresh_from_db()
    assert delegate.blocked_at is not None
    before = _state(partner_a)

    admin = _membership(partner_admin, partner_a)
    response = admin_client_a.post(
        _member_url("partners:member", admin), {"role": Role.PARTNER_USER}, headers=EN
    )
    assert _messages(response) == [LAST_ADMIN]
    assert _messages(_post(admin_client_a, _member_url("partners:member_remove", admin))) == [
        LAST_ADMIN
    ]
    assert _state(partner_a) == before


# --- Who may use the Users section ---------------------------------------------------------


def test_a_partner_user_without_the_users_right_is_refused_and_changes_nothing(
    user_client_a: Client,
    partner_a: Partner,
    partner_admin: User,
    partner_user: User,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    admin = _membership(partner_admin, partner_a)
    contact = ContactFactory.create(partner=partner_a, email="olga@alpha.example")
    invitation = InvitationFactory.create(partner=partner_a)
    before = _state(partner_a)

    for name in USERS_SECTION:
        assert user_client_a.get(reverse(name)).status_code == 403, name
    posts: list[tuple[str, dict[str, Any]]] = [
        (_member_url("partners:member", admin), {"role": Role.PARTNER_USER}),
        (
            _member_url("partners:member", _membership(partner_user, partner_a)),
            {"role": Role.PARTNER_ADMIN},
        ),
        (_member_url("partners:member_block", admin), {}),
        (_member_url("partners:member_unblock", admin), {}),
        (_member_url("partners:member_expiry", admin), {"expires_on": "2099-01-01"}),
        (_member_url("partners:member_remove", admin), {}),
        (reverse("partners:employee_new"), {"full_name": "X", "email": "x@alpha.example"}),
        (reverse("partners:contact_invite", kwargs={"contact_id": contact.pk}), {}),
        (reverse("partners:invitation_resend", kwargs={"invitation_id": invitation.pk}), {}),
        (reverse("partners:invitation_revoke", kwargs={"invitation_id": invitation.pk}), {}),
        (reverse("partners:security"), {"require_mfa": "on"}),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        for url, data in posts:
            assert user_client_a.post(url, data).status_code == 403, url

    assert _state(partner_a) == before
    assert not AuditEvent.objects.filter(kind__in=CHANGE_KINDS).exists()
    assert mail.outbox == []


def test_only_a_partner_admin_sets_the_company_two_factor_policy(
    admin_client_a: Client, partner_a: Partner, partner_admin: User, delegate: User
) -> None:
    delegate_client = signed_in(delegate)
    page = delegate_client.get(reverse("partners:security")).content.decode()
    assert 'name="require_mfa"' not in page  # he sees the policy, not the switch
    response = delegate_client.post(reverse("partners:security"), {"require_mfa": "on"})
    assert response.status_code in (403, 404)
    partner_a.refresh_from_db()
    assert not partner_a.require_mfa
    assert not _events(AuditKind.MFA_POLICY_CHANGED)

    response = _post(admin_client_a, reverse("partners:security"), {"require_mfa": "on"})
    assert _messages(response) == ["Saved."]
    partner_a.refresh_from_db()
    assert partner_a.require_mfa
    [event] = _events(AuditKind.MFA_POLICY_CHANGED)
    assert (event.actor, event.partner_id, event.details) == (
        partner_admin,
        partner_a.pk,
        {"required": True},
    )

    # Users of the company without a second factor are sent to set one up.
    fresh = _sign_in(delegate.email, PASSWORD)
    response = fresh.get(reverse("partners:company"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:mfa_setup")


# --- ACC10: another partner's members ------------------------------------------------------


def test_actions_on_another_partners_members_are_404_and_change_nothing(
    admin_client_a: Client,
    partner_a: Partner,
    partner_b: Partner,
    other_partner_user: User,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    b_member = _membership(other_partner_user, partner_b)
    b_contact = ContactFactory.create(partner=partner_b, email="bob@beta.example")
    b_invitation = InvitationFactory.create(partner=partner_b)
    before = _state(partner_b)

    posts: list[tuple[str, dict[str, Any]]] = [
        (_member_url("partners:member", b_member), {"role": Role.PARTNER_USER, "rights": []}),
        (_member_url("partners:member_block", b_member), {"reason": "x"}),
        (_member_url("partners:member_unblock", b_member), {}),
        (_member_url("partners:member_expiry", b_member), {"expires_on": "2099-01-01"}),
        (_member_url("partners:member_remove", b_member), {}),
        (reverse("partners:contact_invite", kwargs={"contact_id": b_contact.pk}), {}),
        (reverse("partners:invitation_resend", kwargs={"invitation_id": b_invitation.pk}), {}),
        (reverse("partners:invitation_revoke", kwargs={"invitation_id": b_invitation.pk}), {}),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        for url, data in posts:
            response = admin_client_a.post(url, data)
            assert response.status_code == 404, url
            assert "Beta" not in response.content.decode()

    assert _state(partner_b) == before
    assert not AuditEvent.objects.filter(kind__in=CHANGE_KINDS).exists()
    assert mail.outbox == []


def test_a_delegate_cannot_make_himself_or_others_admin(
    delegate: User, employee: User, partner_a: Partner
) -> None:
    client = signed_in(delegate)
    before = _state(partner_a)
    for target in (delegate, employee):
        url = _member_url("partners:member", _membership(target, partner_a))
        response = _post(client, url, {"role": Role.PARTNER_ADMIN.value, "rights": []})
        assert "Only an administrator of the company can appoint administrators." in _messages(
            response
        )
    assert _state(partner_a) == before


def test_the_last_admin_gets_no_access_end_date(partner_admin: User, partner_a: Partner) -> None:
    client = signed_in(partner_admin)
    url = _member_url("partners:member_expiry", _membership(partner_admin, partner_a))
    later = timezone.localdate() + timedelta(days=30)
    response = _post(client, url, {"expires_on": later.isoformat()})
    assert any("last administrator" in message for message in _messages(response))
    partner_admin.refresh_from_db()
    assert partner_admin.access_expires_on is None


def test_a_refused_section_is_an_audit_event(employee: User, partner_a: Partner) -> None:
    response = signed_in(employee).get(reverse("partners:users"))
    assert response.status_code == 403
    [event] = _events(AuditKind.ACCESS_DENIED)
    assert (event.subject, event.partner_id) == (employee, partner_a.pk)
    assert event.details == {"path": "/company/users/", "needed": "users"}


def test_invitations_go_out_in_the_portal_language_whoever_invites(
    partner_admin: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    client = signed_in(partner_admin)
    client.cookies["kabinet_language"] = "en"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("partners:employee_new"),
            {
                "full_name": "Ivan Novikov",
                "email": "ivan.n@alpha.example",
                "give_account": "on",
                "rights": ["orders"],
            },
        )
    [message] = mail.outbox
    assert "Здравствуйте" in message.body or "Приглашение" in message.subject
