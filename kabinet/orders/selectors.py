"""Reads of the cart (ORD4), always of one user's cart in one partner, priced under an
agreement: prices are never stored in the cart, they are read from the price list."""

import base64
import binascii
import json
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce
from django.db.models.lookups import GreaterThanOrEqual, LessThan
from django.utils import timezone

from kabinet.accounts.models import User
from kabinet.catalog.models import Variant
from kabinet.catalog.selectors import MAX_ID, agreement_prices
from kabinet.orders.models import (
    NUMBER_FIELDS,
    CartLine,
    NumberKey,
    Order,
    OrderLine,
    OrderStatus,
    OrderStatusChange,
)
from kabinet.partners.models import Agreement, Counterparty, DeliveryAddress, Partner

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


def cart_view(
    *, partner: Partner, user: User, agreement: Agreement | None, line_id: int | None = None
) -> CartView:
    """The user's cart at the agreement's current prices, with totals per currency. A line
    whose variant the agreement no longer sells, or whose product or variant is archived, is
    flagged unavailable and left out of the totals. Three queries, however many lines.

    With `line_id`, only that line is in `lines` (an htmx row update); totals still cover the
    whole cart."""
    lines = CartLine.objects.of_cart(partner=partner, user_id=user.pk)
    priced = agreement_prices(agreement=agreement, variant_ids=lines.values("variant_id"))
    prices, currency = priced.amounts, priced.currency
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


# --- Orders (ORD6) -------------------------------------------------------------------------

ORDER_PAGE_SIZE = 50
# A number search that matches at most this many orders has them gathered and sorted; more,
# and the date index is walked (`_page_order`).
NUMBER_MATCHES_SORTED = 2000
KEY_END = "\U0010ffff"  # above every character: P <= key < P + KEY_END holds for P's extensions


@dataclass(frozen=True)
class OrderFilters:
    counterparty_id: int | None = None
    statuses: tuple[str, ...] = ()
    date_from: date | None = None  # inclusive, in the portal's time zone
    date_to: date | None = None  # inclusive
    number: str = ""  # ours, the ERP's or the partner's PO number; a prefix is enough
    partner_id: int | None = None  # staff only
    before: str = ""  # keyset cursor: the last row of the previous page


@dataclass
class OrderPage:
    orders: list[Order]
    next_cursor: str | None


def _order_cursor(order: Order) -> str:
    raw = json.dumps([order.ordered_at.isoformat(), order.pk]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _order_cursor_decode(cursor: str) -> tuple[datetime, int] | None:
    """(ordered_at, pk) of a cursor; None for a mangled one (the first page, not an error)."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        moment, pk = json.loads(raw)
        when = datetime.fromisoformat(moment)
        pk = int(pk)
    except (ValueError, TypeError, binascii.Error, RecursionError):
        return None
    if when.tzinfo is None or not 0 < pk <= MAX_ID:
        return None
    return when, pk


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _orders_filtered(orders: QuerySet[Order], filters: OrderFilters) -> QuerySet[Order]:
    if filters.counterparty_id:
        orders = orders.filter(counterparty_id=filters.counterparty_id)
    if filters.statuses:
        orders = orders.filter(status__in=filters.statuses)
    if filters.date_from:
        orders = orders.filter(ordered_at__gte=_day_start(filters.date_from))
    if filters.date_to:
        orders = orders.filter(ordered_at__lt=_day_start(filters.date_to + timedelta(days=1)))
    if number := filters.number.strip():
        orders = orders.filter(_number_prefix(number))
    return orders


def _number_prefix(number: str) -> Q:
    """Ours, the ERP's or the PO number starts with `number`, case aside: a range of each
    one's `NumberKey` index (a LIKE or istartswith could use none)."""
    start = number.upper()
    matches = Q()
    for name in NUMBER_FIELDS:
        key = NumberKey(name)
        matches |= Q(GreaterThanOrEqual(key, start), LessThan(key, start + KEY_END))
    return matches


# An order list row's fields (and the keyset cursor's: ordered_at, pk).
LIST_FIELDS = (
    "number", "source", "ordered_at", "status", "total", "currency", "po_number",
    "partner_id", "counterparty__name",
)  # fmt: skip


def _order_page(
    orders: QuerySet[Order], filters: OrderFilters, *, partner_names: bool = False
) -> OrderPage:
    """One keyset page, newest first: as fast at page 2,000 as at page 1 (QUALITY.md P7)."""
    orders = _orders_filtered(orders, filters)
    if filters.before and (key := _order_cursor_decode(filters.before)):
        when, pk = key
        # The plain `<=` bound gives the index a range to seek to; the OR alone made
        # PostgreSQL walk and discard every newer row (23 ms at page 100 on data set L, now
        # 0.2 ms) and SQLite sort in a temporary tree.
        orders = orders.filter(ordered_at__lte=when).filter(Q(ordered_at__lt=when) | Q(pk__lt=pk))
    order = _page_order(orders, filters)
    # Only what a list row shows (orders.rows.OrderRows) and its cursor needs.
    joined = ("counterparty", "partner") if partner_names else ("counterparty",)
    shown = (*LIST_FIELDS, "partner__name") if partner_names else LIST_FIELDS
    page = orders.select_related(*joined).only(*shown).order_by(*order)
    rows = list(page[: ORDER_PAGE_SIZE + 1])
    more = len(rows) > ORDER_PAGE_SIZE
    rows = rows[:ORDER_PAGE_SIZE]
    return OrderPage(orders=rows, next_cursor=_order_cursor(rows[-1]) if more else None)


def _page_order(orders: QuerySet[Order], filters: OrderFilters) -> list[Any]:
    """How a page is sorted: newest first; for a selective number search, in a way the date
    index cannot serve.

    Sorted by date with a LIMIT, PostgreSQL walks the date index and filters, expecting a
    number's matches spread over time; they are not: "K-050" matches 1,000 orders all two
    years old, and the walk read ~49,000 newer rows first (44-88 ms on data set L) where the
    number indexes find the 1,000 at once and sorting them takes 0.7 ms. So the matches are
    counted first, up to NUMBER_MATCHES_SORTED (a bounded count on the number indexes); when
    there are no more, the same order is asked of COALESCE(ordered_at, ordered_at), which no
    index serves, and the planner gathers the matches and sorts them. With more matches the
    walk is usually the faster (a partner's 6,500 orders matching "K": 0.3 ms walked, 30 ms
    gathered and sorted) and the query is left to the planner; what is left slow is a prefix
    matching thousands of orders that are all old (docs/decisions.md). One query more,
    whatever the data."""
    newest: list[Any] = ["-ordered_at", "-pk"]
    if not filters.number.strip():
        return newest
    if orders.order_by()[: NUMBER_MATCHES_SORTED + 1].count() > NUMBER_MATCHES_SORTED:
        return newest
    return [Coalesce("ordered_at", "ordered_at").desc(), "-pk"]


def order_list(*, partner: Partner, filters: OrderFilters) -> OrderPage:
    """The partner's orders and drafts (ORD6), newest first."""
    return _order_page(Order.objects.for_partner(partner), filters)


def staff_order_list(*, filters: OrderFilters) -> OrderPage:
    """Every partner's orders, for the supplier's staff; drafts are the partners' own."""
    orders = Order.objects.exclude(status=OrderStatus.DRAFT)
    if filters.partner_id:
        orders = orders.filter(partner_id=filters.partner_id)
    return _order_page(orders, filters, partner_names=True)


def order_export_rows(*, partner: Partner | None, filters: OrderFilters) -> QuerySet[Any]:
    """The filtered list (every page of it) as plain rows for an export, newest first: a
    `values_list` query, read by the export in batches."""
    orders: QuerySet[Order] = (
        Order.objects.all() if partner is None else Order.objects.for_partner(partner)
    )
    if partner is None:
        orders = orders.exclude(status=OrderStatus.DRAFT)
        if filters.partner_id:
            orders = orders.filter(partner_id=filters.partner_id)
    orders = _orders_filtered(orders, replace(filters, before=""))
    return orders.order_by("-ordered_at", "-pk").values_list(
        "number",
        "ordered_at",
        "status",
        "source",
        "partner__name",
        "counterparty__name",
        "agreement__number",
        "po_number",
        "erp_number",
        "line_count",
        "total",
        "currency",
        "desired_date",
        "delivery_address_text",
        "comment",
    )


@dataclass
class OrderDetail:
    order: Order
    lines: list[OrderLine]
    history: list[OrderStatusChange]


def _order_detail(order: Order) -> OrderDetail:
    lines = list(OrderLine.objects.filter(order=order).order_by("position", "pk"))
    history = list(
        OrderStatusChange.objects.filter(order=order)
        .select_related("actor")
        .order_by("changed_at", "pk")
    )
    return OrderDetail(order=order, lines=lines, history=history)


def order_detail(*, partner: Partner, order_id: int) -> OrderDetail:
    """One of the partner's orders with lines and history; Order.DoesNotExist otherwise."""
    order = (
        Order.objects.for_partner(partner)
        .select_related("counterparty", "agreement", "created_by")
        .get(pk=order_id)
    )
    return _order_detail(order)


def staff_order_detail(*, order_id: int) -> OrderDetail:
    order = (
        Order.objects.exclude(status=OrderStatus.DRAFT)
        .select_related("partner", "counterparty", "agreement", "created_by")
        .get(pk=order_id)
    )
    return _order_detail(order)


def checkout_choices(
    *, partner: Partner
) -> tuple[list[Counterparty], list[Agreement], list[DeliveryAddress]]:
    """The partner's counterparties, its agreements still in force, and its addresses."""
    today = timezone.localdate()
    counterparties = list(Counterparty.objects.for_partner(partner).order_by("name", "pk"))
    agreements = list(
        Agreement.objects.for_partner(partner)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
        .select_related("counterparty")
    )
    addresses = list(DeliveryAddress.objects.for_partner(partner))
    return counterparties, agreements, addresses
