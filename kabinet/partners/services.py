"""Writes. Each service is one transaction; views and commands call these, never .save()."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kabinet.accounts.models import User
from kabinet.partners.models import (
    Agreement,
    Contact,
    Counterparty,
    DeliveryAddress,
    Membership,
    Partner,
)
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
    return DeliveryAddress.objects.create(
        partner=partner,
        counterparty=counterparty,
        city=city,
        address=address,
        postal_code=postal_code,
        title=title,
        is_default=is_default,
    )


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
    return Contact.objects.create(
        partner=partner,
        full_name=full_name,
        position=position,
        email=email,
        phone=phone,
        user=user,
    )


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
