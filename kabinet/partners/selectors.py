"""Reads. Partner-side selectors take the partner explicitly; staff selectors say `staff_`."""

from datetime import date

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from kabinet.accounts.models import AuditEvent, User
from kabinet.partners.models import (
    Agreement,
    Contact,
    Counterparty,
    DeliveryAddress,
    Invitation,
    Membership,
    Partner,
)


def memberships_of_user(*, user_id: int) -> QuerySet[Membership]:
    """A user's memberships, each with `partner_has_subsidiaries`, the partner chosen most
    recently first (also what `partners.tenancy` keeps, as values)."""
    return (
        Membership.objects.filter(user_id=user_id)
        .annotate(
            partner_has_subsidiaries=Exists(Partner.objects.filter(parent=OuterRef("partner")))
        )
        .order_by(F("selected_at").desc(nulls_last=True), "partner__name", "pk")
    )


def membership_list_for_user(*, user: User) -> list[Membership]:
    """The partners a user belongs to, the one chosen most recently first."""
    return list(memberships_of_user(user_id=user.pk).select_related("partner"))


def counterparty_list(*, partner: Partner) -> QuerySet[Counterparty]:
    return Counterparty.objects.for_partner(partner)


def agreement_list(*, partner: Partner) -> QuerySet[Agreement]:
    return Agreement.objects.for_partner(partner).select_related("counterparty")


def delivery_address_list(*, partner: Partner) -> QuerySet[DeliveryAddress]:
    return DeliveryAddress.objects.for_partner(partner).select_related("counterparty")


def contact_list(*, partner: Partner) -> QuerySet[Contact]:
    """Contacts, each with `invited`: an invitation to it is waiting."""
    waiting = Invitation.objects.pending(timezone.now()).filter(contact=OuterRef("pk"))
    return Contact.objects.for_partner(partner).annotate(invited=Exists(waiting))


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
        .prefetch_related(
            Prefetch(
                "invitations",
                queryset=Invitation.objects.filter(
                    accepted_at__isnull=True, revoked_at__isnull=True
                ).order_by("-created_at"),
                to_attr="open_invitations",
            )
        )
        .get(pk=partner_id)
    )


def staff_manager_list() -> QuerySet[User]:
    """Staff who manage at least one partner, for the manager filter."""
    return User.objects.filter(is_staff=True, managed_partners__isnull=False).distinct()


def member_list(*, partner: Partner) -> QuerySet[Membership]:
    return (
        Membership.objects.for_partner(partner)
        .select_related("user")
        .order_by("-role", "user__full_name", "user__email")
    )


def member_get(*, partner: Partner, membership_id: int) -> Membership:
    """Raises Membership.DoesNotExist for another partner's member, as for a missing one."""
    return (
        Membership.objects.for_partner(partner)
        .select_related("user", "partner")
        .get(pk=membership_id)
    )


def contact_get(*, partner: Partner, contact_id: int) -> Contact:
    return Contact.objects.for_partner(partner).get(pk=contact_id)


def invitation_list(*, partner: Partner) -> QuerySet[Invitation]:
    """Invitations not accepted or revoked (waiting or expired: those can be resent)."""
    return (
        Invitation.objects.for_partner(partner)
        .filter(accepted_at__isnull=True, revoked_at__isnull=True)
        .select_related("invited_by")
        .order_by("-created_at")
    )


def invitation_get(*, partner: Partner, invitation_id: int) -> Invitation:
    return Invitation.objects.for_partner(partner).select_related("partner").get(pk=invitation_id)


def staff_invitation_get(*, invitation_id: int) -> Invitation:
    return Invitation.objects.select_related("partner").get(pk=invitation_id)


def staff_user_get(*, user_id: int) -> User:
    return User.objects.get(pk=user_id, is_staff=False)


def audit_event_list(
    *,
    partner_id: int | None = None,
    kind: str = "",
    email: str = "",
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[AuditEvent]:
    """The access log, newest first. Partner admins call it with their partner_id; staff
    may leave it out to see everything."""
    events = AuditEvent.objects.select_related("actor", "subject")
    if partner_id is not None:
        events = events.filter(partner_id=partner_id)
    if kind:
        events = events.filter(kind=kind)
    if email:
        events = events.filter(subject_email__icontains=email.strip())
    if since:
        events = events.filter(created_at__date__gte=since)
    if until:
        events = events.filter(created_at__date__lte=until)
    return events.order_by("-created_at", "-pk")


def partner_names(ids: set[int]) -> dict[int, str]:
    return dict(Partner.objects.filter(pk__in=ids).values_list("pk", "name"))
