"""Reads of the cart (ORD4), always of one user's cart in one partner, priced under an
agreement: prices are never stored in the cart, they are read from the price list."""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from kabinet.accounts.models import User
from kabinet.catalog.models import Price, PriceList, Variant
from kabinet.orders.models import CartLine
from kabinet.partners.models import Agreement, Partner

CENT = Decimal("0.01")
# What a cart row shows (`orders.rows`); the rest (a product's description, attributes,
# image) is left unread: at 2,000 lines loading it was a good part of the page's time.
ROW_FIELDS = (
    "quantity",
    "added_at",
    "variant__sku",
    "variant__colour",
    "variant__size",
    "variant__is_archived",
    "variant__product__name",
    "variant__product__is_archived",
)


@dataclass
class CartLineView:
    line: CartLine
    variant: Variant
    price: Decimal | None  # None: not on sale under the agreement
    currency: str
    available: bool

    @property
    def total(self) -> Decimal | None:
        if self.price is None:
            return None
        return (self.price * self.line.quantity).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class CartView:
    agreement: Agreement | None
    lines: list[CartLineView]
    totals: dict[str, Decimal] = field(default_factory=dict)  # currency → sum of available lines
    count: int = 0  # lines in the cart (all of them, also when `lines` holds only one)
    unavailable_count: int = 0


def _price_list(agreement: Agreement | None) -> PriceList | None:
    if agreement is None:
        return None
    return PriceList.objects.filter(code=agreement.price_list).first()


def cart_view(
    *, partner: Partner, user: User, agreement: Agreement | None, line_id: int | None = None
) -> CartView:
    """The user's cart at the agreement's current prices, with totals per currency. A line
    whose variant the agreement no longer sells, or whose product or variant is archived, is
    flagged unavailable and left out of the totals. Three queries, however many lines.

    With `line_id`, only that line is in `lines` (an htmx row update); totals still cover the
    whole cart."""
    price_list = _price_list(agreement)
    lines = CartLine.objects.of_cart(partner=partner, user_id=user.pk)
    prices: dict[int, Decimal] = {}
    if price_list is not None:
        prices = dict(
            Price.objects.filter(
                price_list=price_list, variant__in=lines.values("variant_id")
            ).values_list("variant_id", "amount")
        )
    currency = price_list.currency if price_list else ""
    totals: dict[str, Decimal] = {}
    shown: list[CartLineView] = []
    count = unavailable = 0
    if line_id is None:
        rows = list(
            lines.select_related("variant__product").only(*ROW_FIELDS).order_by("added_at", "pk")
        )
        for line in rows:
            view = _line_view(line, line.variant, prices, currency)
            shown.append(view)
            count += 1
            if view.available and view.total is not None:
                totals[currency] = totals.get(currency, Decimal("0.00")) + view.total
            else:
                unavailable += 1
    else:
        # The totals from plain values, the one line with its objects.
        for pk, variant_id, quantity, archived, product_archived in lines.values_list(
            "pk", "variant_id", "quantity", "variant__is_archived", "variant__product__is_archived"
        ):
            price = prices.get(variant_id)
            count += 1
            if price is not None and not archived and not product_archived:
                total = (price * quantity).quantize(CENT, rounding=ROUND_HALF_UP)
                totals[currency] = totals.get(currency, Decimal("0.00")) + total
            else:
                unavailable += 1
            if pk == line_id:
                line = lines.select_related("variant__product").only(*ROW_FIELDS).get(pk=pk)
                shown.append(_line_view(line, line.variant, prices, currency))
    return CartView(
        agreement=agreement,
        lines=shown,
        totals=totals,
        count=count,
        unavailable_count=unavailable,
    )


def _line_view(
    line: CartLine, variant: Variant, prices: dict[int, Decimal], currency: str
) -> CartLineView:
    price = prices.get(variant.pk)
    available = price is not None and not variant.is_archived and not variant.product.is_archived
    return CartLineView(
        line=line,
        variant=variant,
        price=price if available else None,
        currency=currency,
        available=available,
    )


def cart_line_count(*, partner: Partner, user: User) -> int:
    return CartLine.objects.of_cart(partner=partner, user_id=user.pk).count()
