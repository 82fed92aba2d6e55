"""Reads. Partner-side selectors take the partner explicitly; staff selectors say `staff_`."""

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet

from kabinet.accounts.models import User
from kabinet.partners.models import (
    Agreement,
    Contact,
    Counterparty,
    DeliveryAddress,
    Membership,
    Partner,
)
from kabinet.partners.rights import Role


def membership_list_for_user(*, user: User) -> list[Membership]:
    """The partners a user belongs to, the one chosen most recently first."""
    return list(
        Membership.objects.filter(user=user)
        .select_related("partner")
        .annotate(
            partner_has_subsidiaries=Exists(Partner.objects.filter(parent=OuterRef("partner")))
        )
        .order_by(F("selected_at").desc(nulls_last=True), "partner__name", "pk")
    )


def counterparty_list(*, partner: Partner) -> QuerySet[Counterparty]:
    return Counterparty.objects.for_partner(partner)


def agreement_list(*, partner: Partner) -> QuerySet[Agreement]:
    return Agreement.objects.for_partner(partner).select_related("counterparty")


def delivery_address_list(*, partner: Partner) -> QuerySet[DeliveryAddress]:
    return DeliveryAddress.objects.for_partner(partner).select_related("counterparty")


def contact_list(*, partner: Partner) -> QuerySet[Contact]:
    return Contact.objects.for_partner(partner).select_related("user")


def subsidiary_list(*, partner: Partner) -> QuerySet[Partner]:
    return (
        Partner.objects.filter(parent=partner)
        .with_activity()
        .annotate(counterparty_count=Count("counterparties", distinct=True))
        .order_by("name", "pk")
    )


def partner_profile(*, partner: Partner) -> Partner:
    """The current partner with what its profile header shows."""
    return (
        Partner.objects.for_partner(partner)
        .with_activity()
        .select_related("parent", "manager")
        .get()
    )


def staff_partner_list(
    *,
    search: str = "",
    active: bool | None = None,
    manager_id: int | None = None,
) -> QuerySet[Partner]:
    """All partners for staff: search by name, tax ID or city; filter by activity and manager."""
    partners = Partner.objects.with_activity().select_related("manager", "parent")
    if search:
        tax_match = Counterparty.objects.filter(tax_id__startswith=search.strip()).values(
            "partner_id"
        )
        partners = partners.filter(
            Q(name__icontains=search) | Q(city__icontains=search) | Q(pk__in=tax_match)
        )
    if active is not None:
        partners = partners.active(active)
    if manager_id is not None:
        partners = partners.filter(manager_id=manager_id)
    return partners.order_by("name", "pk")


def staff_partner_card(*, partner_id: int) -> Partner:
    """One partner with everything its card shows; raises Partner.DoesNotExist."""
    return (
        Partner.objects.with_activity()
        .select_related("manager", "parent")
        .prefetch_related(Prefetch("counterparties", queryset=Counterparty.objects.all()))
        .prefetch_related(
            Prefetch("agreements", queryset=Agreement.objects.select_related("counterparty"))
        )
        .prefetch_related(
            Prefetch(
                "delivery_addresses",
                queryset=DeliveryAddress.objects.select_related("counterparty"),
            )
        )
        .prefetch_related(Prefetch("contacts", queryset=Contact.objects.all()))
        .prefetch_related(
            Prefetch(
                "memberships",
                queryset=Membership.objects.select_related("user").order_by("role", "user__email"),
            )
        )
        .prefetch_related(Prefetch("subsidiaries", queryset=Partner.objects.order_by("name")))
        .get(pk=partner_id)
    )


def staff_manager_list() -> QuerySet[User]:
    """Staff who manage at least one partner, for the manager filter."""
    return User.objects.filter(is_staff=True, managed_partners__isnull=False).distinct()


def key_user_count(*, partner: Partner) -> int:
    return Membership.objects.filter(
        partner=partner, role=Role.PARTNER_ADMIN, user__is_active=True
    ).count()
