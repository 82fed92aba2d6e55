"""The tenant context kept in memory (partners.tenancy): every path that changes access
changes the stamp — the triggers, not our services, are what is tested — and a changed
right, agreement or partner is in force on the very next request."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kabinet.accounts.models import User
from kabinet.accounts.tests.factories import UserFactory
from kabinet.partners.backends import STAMP_ATTRIBUTE, AccessStampBackend
from kabinet.partners.models import AccessStamp, Agreement, Counterparty, Membership, Partner
from kabinet.partners.rights import Right, Role
from kabinet.partners.tenancy import tenant_context
from kabinet.partners.tests.factories import (
    AgreementFactory,
    MembershipFactory,
    PartnerFactory,
)
from tests.support import signed_in

pytestmark = pytest.mark.django_db


def _stamp(user: User) -> str | None:
    return AccessStamp.objects.filter(user_id=user.pk).values_list("stamp", flat=True).first()


@pytest.fixture
def member() -> Membership:
    membership: Membership = MembershipFactory.create(role=Role.PARTNER_USER, rights=["orders"])
    return membership


def _changes(member: Membership) -> dict[str, object]:
    """Each one a way access changes, none of them through a service."""
    partner = member.partner
    user = member.user

    def subsidiary() -> None:
        PartnerFactory.create(parent=partner)

    return {
        "membership created": lambda: MembershipFactory.create(user=user),
        "rights updated (QuerySet.update)": lambda: Membership.objects.filter(pk=member.pk).update(
            rights=[]
        ),
        "membership saved": lambda: Membership.objects.get(pk=member.pk).save(),
        "partner renamed (QuerySet.update)": lambda: Partner.objects.filter(pk=partner.pk).update(
            name="Renamed"
        ),
        "subsidiary added": subsidiary,
        "agreement created": lambda: AgreementFactory.create(counterparty__partner=partner),
        "agreements updated (QuerySet.update)": lambda: Agreement.objects.filter(
            partner=partner
        ).update(valid_until=timezone.localdate() - timedelta(days=1)),
        "counterparty renamed (QuerySet.update)": lambda: Counterparty.objects.filter(
            partner=partner
        ).update(name="Renamed LLC"),
        "agreements deleted": lambda: Agreement.objects.filter(partner=partner).delete(),
        "bulk_create(ignore_conflicts)": lambda: Membership.objects.bulk_create(
            [Membership(user=user, partner=PartnerFactory.create())], ignore_conflicts=True
        ),
        "membership deleted": lambda: Membership.objects.filter(pk=member.pk).delete(),
    }


def test_every_kind_of_change_gives_a_new_stamp(member: Membership) -> None:
    AgreementFactory.create(counterparty__partner=member.partner, is_main=True)
    seen = {_stamp(member.user)}
    assert None not in seen
    for name, change in _changes(member).items():
        change()  # type: ignore[operator]
        stamp = _stamp(member.user)
        assert stamp not in seen, name
        seen.add(stamp)


def test_a_change_elsewhere_keeps_the_stamp(member: Membership) -> None:
    before = _stamp(member.user)
    other = MembershipFactory.create()
    AgreementFactory.create(counterparty__partner=other.partner)
    Partner.objects.filter(pk=other.partner_id).update(name="Someone else's")
    assert _stamp(member.user) == before


def test_unchanged_context_is_one_query(member: Membership) -> None:
    AgreementFactory.create(counterparty__partner=member.partner, is_main=True)
    tenant_context(member.user)
    with CaptureQueriesContext(connection) as queries:
        context = tenant_context(member.user)
    assert len(queries) == 1
    assert [m.partner_id for m in context.memberships] == [member.partner_id]
    assert [a.partner_id for a in context.agreements_in_force(member.partner)] == [
        member.partner_id
    ]


def test_requests_get_their_own_objects(member: Membership) -> None:
    first = tenant_context(member.user)
    first.memberships[0].partner.name = "Changed in memory, never saved"
    first.memberships[0].rights.append("finance")
    second = tenant_context(member.user)
    assert second.memberships[0].partner.name == member.partner.name
    assert second.memberships[0].rights == ["orders"]


def test_expired_agreement_is_dropped_by_date_not_by_cache(member: Membership) -> None:
    today = timezone.localdate()
    AgreementFactory.create(counterparty__partner=member.partner, valid_until=today)
    context = tenant_context(member.user)
    assert len(context.agreements_in_force(member.partner, today)) == 1
    assert context.agreements_in_force(member.partner, today + timedelta(days=1)) == []


def test_a_right_taken_away_behind_the_services_is_refused_at_once(member: Membership) -> None:
    AgreementFactory.create(counterparty__partner=member.partner, is_main=True)
    client = signed_in(member.user)
    catalog = reverse("catalog:list")
    assert client.get(catalog).status_code == 200
    assert client.get(catalog).status_code == 200  # now from the kept context
    Membership.objects.filter(pk=member.pk).update(rights=[Right.FINANCE.value])
    assert client.get(catalog).status_code == 403
    Membership.objects.filter(pk=member.pk).delete()
    assert client.get(catalog).status_code == 404


def test_an_agreement_ended_behind_the_services_leaves_the_catalog(member: Membership) -> None:
    main = AgreementFactory.create(
        counterparty__partner=member.partner, is_main=True, number="MAIN-1"
    )
    other = AgreementFactory.create(counterparty__partner=member.partner)
    client = signed_in(member.user)
    catalog = reverse("catalog:list")
    assert "MAIN-1" in client.get(catalog).content.decode()
    Agreement.objects.filter(pk=main.pk).update(
        valid_until=timezone.localdate() - timedelta(days=1)
    )
    page = client.get(catalog).content.decode()
    assert "MAIN-1" not in page
    assert other.number in page


def test_a_user_never_a_member_has_no_stamp_and_no_context() -> None:
    staff = UserFactory.create(is_staff=True)
    assert _stamp(staff) is None
    with CaptureQueriesContext(connection) as queries:
        assert tenant_context(staff).memberships == []
    assert len(queries) == 1


def test_a_membership_written_past_the_triggers_grants_nothing() -> None:
    """Closed, not open: were the stamp ever missing, the user sees no company."""
    membership = MembershipFactory.create()
    AccessStamp.objects.filter(user_id=membership.user_id).delete()
    assert tenant_context(membership.user).memberships == []


def test_the_user_of_a_request_is_read_with_its_stamp(member: Membership) -> None:
    """On every signed-in request: one statement for the user and its stamp, none for the
    context while the stamp is unchanged."""
    backend = AccessStampBackend()
    tenant_context(member.user)  # the context read once, then kept
    with CaptureQueriesContext(connection) as queries:
        user = backend.get_user(member.user_id)
        assert user is not None
        context = tenant_context(user)
    assert len(queries) == 1
    assert getattr(user, STAMP_ATTRIBUTE) == _stamp(member.user)
    assert [m.partner_id for m in context.memberships] == [member.partner_id]
    # The user is Django's: its fields typed as the ORM reads them.
    assert user.date_joined == member.user.date_joined
    assert user.access_expires_on == member.user.access_expires_on


def test_the_backend_reads_no_stamp_for_a_non_member_and_no_inactive_user() -> None:
    backend = AccessStampBackend()
    staff = UserFactory.create(is_staff=True)
    user = backend.get_user(staff.pk)
    assert user is not None
    assert getattr(user, STAMP_ATTRIBUTE) is None
    with CaptureQueriesContext(connection) as queries:
        assert tenant_context(user).memberships == []
    assert len(queries) == 0
    User.objects.filter(pk=staff.pk).update(is_active=False)
    assert backend.get_user(staff.pk) is None
    assert backend.get_user(staff.pk + 1000) is None
