"""Writes. Each service is one transaction; views and commands call these, never .save()."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from kabinet.accounts.audit import audit_record
from kabinet.accounts.models import AuditKind, User
from kabinet.accounts.services import user_block, user_set_access_expiry, user_unblock
from kabinet.partners.models import (
    Agreement,
    Contact,
    Counterparty,
    DeliveryAddress,
    Membership,
    Partner,
)
from kabinet.partners.outbox_events import address_changed_announce, contact_changed_announce
from kabinet.partners.rights import DEFAULT_USER_RIGHTS, Right, Role
from kabinet.partners.taxids import tax_id_normalize


@transaction.atomic
def partner_create(
    *,
    name: str,
    city: str = "",
    parent: Partner | None = None,
    manager: User | None = None,
    erp_id: str | None = None,
    email: str = "",
    phone: str = "",
) -> Partner:
    if parent is not None and parent.parent_id is not None:
        raise ValidationError(
            _("A subsidiary cannot be the head company of another partner."), code="nested_holding"
        )
    return Partner.objects.create(
        name=name,
        city=city,
        parent=parent,
        manager=manager,
        erp_id=erp_id,
        email=email,
        phone=phone,
    )


@transaction.atomic
def counterparty_create(
    *,
    partner: Partner,
    name: str,
    tax_id: str,
    country: str = "RU",
    kpp: str = "",
    registration_number: str = "",
    legal_address: str = "",
    erp_id: str | None = None,
) -> Counterparty:
    normalized = tax_id_normalize(country=country, tax_id=tax_id)
    if Counterparty.objects.filter(country=country.upper(), tax_id=normalized).exists():
        raise ValidationError(
            _("A counterparty with tax ID %(tax_id)s already exists."),
            code="tax_id_taken",
            params={"tax_id": normalized},
        )
    return Counterparty.objects.create(
        partner=partner,
        name=name,
        country=country.upper(),
        tax_id=normalized,
        kpp=kpp,
        registration_number=registration_number,
        legal_address=legal_address,
        erp_id=erp_id,
    )


@transaction.atomic
def agreement_create(
    *,
    counterparty: Counterparty,
    number: str,
    price_list: str,
    currency: str = "RUB",
    payment_deferral_days: int = 0,
    is_main: bool = False,
    signed_on: date | None = None,
    valid_until: date | None = None,
    erp_id: str | None = None,
) -> Agreement:
    if is_main:
        # One main agreement per partner: it is the default at checkout.
        Agreement.objects.for_partner(counterparty.partner).filter(is_main=True).update(
            is_main=False
        )
    return Agreement.objects.create(
        partner=counterparty.partner,
        counterparty=counterparty,
        number=number,
        price_list=price_list,
        currency=currency.upper(),
        payment_deferral_days=payment_deferral_days,
        is_main=is_main,
        signed_on=signed_on,
        valid_until=valid_until,
        erp_id=erp_id,
    )


@transaction.atomic
def delivery_address_create(
    *,
    partner: Partner,
    city: str,
    address: str,
    postal_code: str = "",
    title: str = "",
    counterparty: Counterparty | None = None,
    is_default: bool = False,
) -> DeliveryAddress:
    if counterparty is not None and counterparty.partner_id != partner.pk:
        raise ValidationError(_("The counterparty belongs to another partner."), code="foreign")
    if is_default:
        DeliveryAddress.objects.for_partner(partner).filter(is_default=True).update(
            is_default=False
        )
    created = DeliveryAddress.objects.create(
        partner=partner,
        counterparty=counterparty,
        city=city,
        address=address,
        postal_code=postal_code,
        title=title,
        is_default=is_default,
    )
    address_changed_announce(created, change="created")
    return created


@transaction.atomic
def contact_create(
    *,
    partner: Partner,
    full_name: str,
    position: str = "",
    email: str = "",
    phone: str = "",
    user: User | None = None,
) -> Contact:
    contact = Contact.objects.create(
        partner=partner,
        full_name=full_name,
        position=position,
        email=email,
        phone=phone,
        user=user,
    )
    contact_changed_announce(contact, change="created")
    return contact


@transaction.atomic
def membership_create(
    *,
    partner: Partner,
    user: User,
    role: Role = Role.PARTNER_USER,
    rights: frozenset[Right] = DEFAULT_USER_RIGHTS,
) -> Membership:
    """Bind a user to a partner. The first user of a partner always becomes its admin (ACC8)."""
    # Lock the partner row so two first users registering at once cannot both miss each other.
    Partner.objects.select_for_update().filter(pk=partner.pk).first()
    if not Membership.objects.for_partner(partner).exists():
        role = Role.PARTNER_ADMIN
    return Membership.objects.create(
        partner=partner,
        user=user,
        role=role,
        rights=sorted(right.value for right in rights) if role == Role.PARTNER_USER else [],
    )


@transaction.atomic
def membership_select(*, user: User, partner_id: int) -> Membership:
    """Make `partner_id` the user's current partner. Raises Membership.DoesNotExist if he
    does not belong to it, and nothing changes then."""
    membership = Membership.objects.select_for_update().get(user=user, partner_id=partner_id)
    membership.selected_at = timezone.now()
    membership.save(update_fields=["selected_at"])
    return membership


def _other_active_admins(membership: Membership) -> bool:
    return (
        Membership.objects.for_partner(membership.partner)
        .filter(role=Role.PARTNER_ADMIN, user__is_active=True, user__blocked_at__isnull=True)
        .exclude(pk=membership.pk)
        .exists()
    )


def _guard_last_admin(membership: Membership) -> None:
    if membership.role == Role.PARTNER_ADMIN and not _other_active_admins(membership):
        raise ValidationError(
            _("%(name)s is the company's last administrator: appoint another one first."),
            code="last_admin",
            params={"name": membership.user},
        )


def _guard_admin_grant(partner: Partner, actor: User) -> None:
    """Only an admin of the company (or staff) makes someone its admin: a user trusted with
    the Users section must not be able to raise himself above it."""
    if actor.is_staff:
        return
    if (
        not Membership.objects.for_partner(partner)
        .filter(user=actor, role=Role.PARTNER_ADMIN)
        .exists()
    ):
        raise ValidationError(
            _("Only an administrator of the company can appoint administrators."),
            code="admin_only",
        )


@transaction.atomic
def membership_update(
    *,
    membership: Membership,
    role: Role,
    rights: frozenset[Right],
    actor: User,
    request: HttpRequest | None = None,
) -> Membership:
    """Change a member's role and section rights (ACC7). The last admin stays an admin."""
    Partner.objects.select_for_update().filter(pk=membership.partner_id).first()
    membership = Membership.objects.select_related("partner", "user").get(pk=membership.pk)
    if role == Role.PARTNER_ADMIN and membership.role != Role.PARTNER_ADMIN:
        _guard_admin_grant(membership.partner, actor)
    if role != Role.PARTNER_ADMIN:
        _guard_last_admin(membership)
    before = {"role": membership.role, "rights": sorted(membership.rights)}
    membership.role = role
    membership.rights = sorted(right.value for right in rights) if role == Role.PARTNER_USER else []
    membership.save(update_fields=["role", "rights"])
    audit_record(
        AuditKind.RIGHTS_CHANGED,
        request=request,
        actor=actor,
        subject=membership.user,
        partner_id=membership.partner_id,
        before=before,
        after={"role": membership.role, "rights": membership.rights},
    )
    return membership


@transaction.atomic
def membership_remove(
    *, membership: Membership, actor: User, request: HttpRequest | None = None
) -> None:
    """Unbind a user from the partner. The account stays (it may belong to other partners)."""
    Partner.objects.select_for_update().filter(pk=membership.partner_id).first()
    membership = Membership.objects.select_related("partner", "user").get(pk=membership.pk)
    _guard_last_admin(membership)
    Contact.objects.for_partner(membership.partner).filter(user=membership.user).update(user=None)
    membership.delete()
    audit_record(
        AuditKind.RIGHTS_CHANGED,
        request=request,
        actor=actor,
        subject=membership.user,
        partner_id=membership.partner_id,
        removed=True,
    )


@transaction.atomic
def member_block(
    *, membership: Membership, actor: User, reason: str = "", request: HttpRequest | None = None
) -> None:
    """A partner admin blocks an employee: the account cannot sign in (ACC9)."""
    # Two admins blocking each other at once must not leave the company without one.
    Partner.objects.select_for_update().filter(pk=membership.partner_id).first()
    if membership.user_id == actor.pk:
        raise ValidationError(_("You cannot block yourself."), code="self_block")
    if membership.role == Role.PARTNER_ADMIN:
        _guard_last_admin(membership)
    user_block(
        user=membership.user,
        reason=reason,
        actor=actor,
        request=request,
        partner_id=membership.partner_id,
    )


def member_unblock(
    *, membership: Membership, actor: User, request: HttpRequest | None = None
) -> None:
    user_unblock(
        user=membership.user, actor=actor, request=request, partner_id=membership.partner_id
    )


def member_set_access_expiry(
    *,
    membership: Membership,
    expires_on: date | None,
    actor: User,
    request: HttpRequest | None = None,
) -> None:
    if expires_on is not None and expires_on < timezone.localdate():
        raise ValidationError(_("Choose a date from today on."), code="past_date")
    if expires_on is not None and membership.role == Role.PARTNER_ADMIN:
        _guard_last_admin(membership)
    user_set_access_expiry(
        user=membership.user,
        expires_on=expires_on,
        actor=actor,
        request=request,
        partner_id=membership.partner_id,
    )


@transaction.atomic
def partner_set_mfa_policy(
    *, partner: Partner, required: bool, actor: User, request: HttpRequest | None = None
) -> None:
    """A partner admin requires a second factor for every user of the company (ACC11)."""
    Partner.objects.filter(pk=partner.pk).update(require_mfa=required)
    audit_record(
        AuditKind.MFA_POLICY_CHANGED,
        request=request,
        actor=actor,
        partner_id=partner.pk,
        required=required,
    )
