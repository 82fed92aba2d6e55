"""Writes of the cart (ORD4). Each service is one transaction.

What may be put in a cart is decided here, never by what a form posts (R3): the variant ids
and quantities are all that is taken from the request; prices come from the price list of the
agreement whenever the cart is read, and the partner and user are the request's own.

Cart edits are a user's scratch pad, not business documents: they are not written to the
access audit log (the order made from a cart will be).
"""

from collections.abc import Mapping
from decimal import Decimal
from typing import Literal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kabinet.accounts.models import User
from kabinet.catalog.models import Variant
from kabinet.catalog.selectors import agreement_prices
from kabinet.orders.models import Cart, CartLine
from kabinet.partners.models import Agreement, Partner

MAX_QUANTITY = Decimal(1_000_000)
QUANTITY_PLACES = 3  # CartLine.quantity has three decimals: pieces, metres, kilograms
MAX_LINES = 5_000  # a cart larger than this is a mistake or an attack, not an order


def quantity_error(quantity: Decimal) -> str | None:
    """Why `quantity` cannot be a cart line's quantity, or None when it can."""
    if not quantity.is_finite() or quantity <= 0:
        return _("A quantity must be a positive number.")
    if quantity > MAX_QUANTITY:
        return _("A quantity cannot exceed 1,000,000.")
    exponent = quantity.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -QUANTITY_PLACES:
        return _("A quantity can have at most three decimal places.")
    return None


def _cart_for_update(*, partner: Partner, user: User) -> tuple[Cart, bool]:
    """The user's cart in the partner (and whether it is new), created when missing, locked
    for this transaction: two adds at once (a double click, two tabs) merge one after the
    other."""
    return Cart.objects.select_for_update().get_or_create(partner=partner, user=user)


def _touch(cart: Cart, **changes: object) -> None:
    Cart.objects.filter(pk=cart.pk).update(updated_at=timezone.now(), **changes)


@transaction.atomic
def cart_lines_add(
    *,
    partner: Partner,
    user: User,
    agreement: Agreement,
    quantities: Mapping[int, Decimal],
    mode: Literal["merge", "replace"] = "merge",
) -> int:
    """Put `quantities` (variant id → quantity) into the user's cart: added to the lines
    already there ("merge") or instead of all of them ("replace"). Every variant must be on
    sale under the agreement's price list; if one is not, or a quantity is wrong, a
    ValidationError names it and nothing changes. A fixed number of queries however many
    lines (QUALITY.md P3). Returns the number of lines written."""
    if agreement.partner_id != partner.pk:
        raise ValidationError(_("The agreement is not one of the company's."), code="agreement")
    if mode not in ("merge", "replace"):
        raise ValueError(mode)
    errors = [
        f"{variant_id}: {error}"
        for variant_id, quantity in quantities.items()
        if (error := quantity_error(quantity))
    ]
    if errors:
        raise ValidationError(errors, code="quantity")
    if not quantities:
        return 0
    if len(quantities) > MAX_LINES:
        raise ValidationError(
            _("A cart can hold at most %(count)s lines.") % {"count": MAX_LINES}, code="too_many"
        )
    on_sale = agreement_prices(agreement=agreement, variant_ids=list(quantities)).amounts
    missing = [variant_id for variant_id in quantities if variant_id not in on_sale]
    if missing:
        skus = dict(Variant.objects.filter(pk__in=missing).values_list("pk", "sku"))
        names = ", ".join(sorted(skus.get(variant_id, f"#{variant_id}") for variant_id in missing))
        raise ValidationError(
            _("Not on sale under agreement %(agreement)s: %(skus)s.")
            % {"agreement": agreement.number, "skus": names},
            code="not_on_sale",
        )

    cart, created = _cart_for_update(partner=partner, user=user)
    wanted = dict(quantities)
    if created:  # a new cart has no lines to replace or merge with
        pass
    elif mode == "replace":
        CartLine.objects.filter(cart=cart).delete()
    else:
        existing = CartLine.objects.filter(cart=cart, variant_id__in=list(wanted)).values_list(
            "variant_id", "quantity"
        )
        for variant_id, quantity in existing:
            wanted[variant_id] += quantity
        too_many = [
            variant_id for variant_id, quantity in wanted.items() if quantity > MAX_QUANTITY
        ]
        if too_many:
            skus = dict(Variant.objects.filter(pk__in=too_many).values_list("pk", "sku"))
            raise ValidationError(
                _(
                    "With what is already in the cart, the quantity would exceed 1,000,000: "
                    "%(skus)s."
                )
                % {"skus": ", ".join(sorted(skus.values()))},
                code="quantity",
            )
    now = timezone.now()
    # One upsert for new and existing lines alike: existing ones get the merged quantity and
    # keep their place (added_at) in the cart.
    CartLine.objects.bulk_create(
        [
            CartLine(cart=cart, variant_id=variant_id, quantity=quantity, added_at=now)
            for variant_id, quantity in wanted.items()
        ],
        update_conflicts=True,
        unique_fields=["cart", "variant"],
        update_fields=["quantity"],
        batch_size=1000,
    )
    _touch(cart, agreement=agreement)
    return len(wanted)


def _line_for_update(*, partner: Partner, user: User, line_id: int) -> CartLine:
    """The user's own line (CartLine.DoesNotExist for anybody else's: the view's 404)."""
    return (
        CartLine.objects.of_cart(partner=partner, user_id=user.pk)
        .select_for_update()
        .select_related("cart")
        .get(pk=line_id)
    )


@transaction.atomic
def cart_line_set_quantity(
    *, partner: Partner, user: User, line_id: int, quantity: Decimal
) -> CartLine | None:
    """Set one line's quantity; 0 removes the line (then None is returned)."""
    if quantity == 0:
        cart_line_remove(partner=partner, user=user, line_id=line_id)
        return None
    if error := quantity_error(quantity):
        raise ValidationError(error, code="quantity")
    line = _line_for_update(partner=partner, user=user, line_id=line_id)
    CartLine.objects.filter(pk=line.pk).update(quantity=quantity)
    line.quantity = quantity
    _touch(line.cart)
    return line


@transaction.atomic
def cart_line_remove(*, partner: Partner, user: User, line_id: int) -> None:
    line = _line_for_update(partner=partner, user=user, line_id=line_id)
    CartLine.objects.filter(pk=line.pk).delete()
    _touch(line.cart)


@transaction.atomic
def cart_clear(*, partner: Partner, user: User) -> int:
    """Remove every line of the user's cart; returns how many there were."""
    deleted, _by_model = CartLine.objects.of_cart(partner=partner, user_id=user.pk).delete()
    Cart.objects.filter(partner=partner, user=user).update(updated_at=timezone.now())
    return deleted
