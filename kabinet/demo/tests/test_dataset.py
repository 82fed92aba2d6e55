"""The reference data set (kabinet.demo.dataset), size S: deterministic, with the designed
shapes, listings equal to what catalog.services.listing_refresh derives, and orders whose
totals, line counts, prices and status histories agree with each other."""

import json
import statistics
from collections import Counter, defaultdict
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count

from kabinet.catalog.models import Listing, Price, PriceList, Product, Section, Stock, Variant
from kabinet.catalog.services import listing_refresh, section_create
from kabinet.demo.dataset import (
    LINE_COUNTS,
    ORDER_DAYS,
    ORDERS_UNTIL,
    SIZES,
    WHOLESALE,
    NotEmpty,
    dataset_digest,
    dataset_generate,
)
from kabinet.orders.models import Order, OrderLine, OrderStatusChange
from kabinet.orders.selectors import OrderFilters, order_list
from kabinet.partners.models import Agreement, Counterparty, Partner

S = SIZES["S"]


def test_the_same_seed_gives_the_same_rows() -> None:
    assert dataset_digest(size="S", seed=1) == dataset_digest(size="S", seed=1)
    assert dataset_digest(size="S", seed=1) != dataset_digest(size="S", seed=2)


def test_size_l_is_the_quality_data_set() -> None:
    spec = SIZES["L"]
    assert spec.products * spec.variants == 100_000  # SKUs
    assert spec.partners == 1_000
    assert spec.partners * spec.contract_products * spec.variants == 1_000_000  # prices
    assert spec.orders == 100_000
    assert spec.orders * sum(LINE_COUNTS) // len(LINE_COUNTS) == 1_000_000  # order lines


@pytest.mark.django_db
def test_shapes() -> None:
    counts = dataset_generate(size="S", seed=1)
    skus = S.products * S.variants
    contract_prices = S.partners * S.contract_products * S.variants
    assert Product.objects.count() == S.products
    assert Variant.objects.count() == Stock.objects.count() == skus
    assert Variant.objects.values("product").annotate(n=Count("pk")).filter(n=10).count() == (
        S.products
    )
    assert PriceList.objects.count() == S.partners + 1
    assert Price.objects.count() == skus + contract_prices == counts["prices"]
    assert Price.objects.filter(price_list__code=WHOLESALE).count() == skus
    assert Listing.objects.count() == S.products + S.partners * S.contract_products
    assert Partner.objects.count() == Counterparty.objects.count() == S.partners
    priced = set(Price.objects.values_list("price_list__code", flat=True).distinct())
    for partner in Partner.objects.prefetch_related("agreements"):
        agreements = list(partner.agreements.all())
        assert len(agreements) == 2
        assert {a.price_list for a in agreements} <= priced  # every one names prices
        main = next(a for a in agreements if a.is_main)
        assert main.price_list != WHOLESALE
        assert Price.objects.filter(price_list__code=main.price_list).count() == (
            S.contract_products * S.variants
        )
    assert Agreement.objects.filter(is_main=True).count() == S.partners


def _listings() -> set[tuple[object, ...]]:
    rows = Listing.objects.values_list(
        "price_list_id",
        "product_id",
        "section_path",
        "brand_id",
        "name",
        "name_folded",
        "min_price",
        "max_price",
        "stock",
        "variant_count",
        "attributes",
        "image",
    )
    return {(*row[:10], json.dumps(row[10], sort_keys=True), row[11]) for row in rows}


@pytest.mark.django_db
def test_listings_are_what_listing_refresh_derives() -> None:
    dataset_generate(size="S", seed=1)
    written = _listings()
    listing_refresh()
    assert _listings() == written


@pytest.mark.django_db
def test_ids_continue_after_the_data_set() -> None:
    dataset_generate(size="S", seed=1)
    section = section_create(name="Новый раздел")  # the sequences were moved past the ids
    assert section.pk > Section.objects.exclude(pk=section.pk).order_by("-pk")[0].pk
    last = Order.objects.order_by("-pk")[0]
    order = Order.objects.create(
        partner_id=last.partner_id, counterparty_id=last.counterparty_id, number="K-new"
    )
    assert order.pk == S.orders + 1


@pytest.mark.django_db
def test_orders_agree_with_their_lines_prices_and_history() -> None:
    counts = dataset_generate(size="S", seed=1)
    assert Order.objects.count() == counts["orders"] == S.orders
    assert OrderLine.objects.count() == counts["order_lines"] == S.orders * 10
    sums: dict[int, Decimal] = defaultdict(Decimal)
    lines: Counter[int] = Counter()
    prices = {
        (code, variant_id): amount
        for code, variant_id, amount in Price.objects.values_list(
            "price_list__code", "variant_id", "amount"
        )
    }
    price_list_of = dict(Order.objects.values_list("pk", "agreement__price_list"))
    for order_id, variant_id, quantity, price, amount in OrderLine.objects.values_list(
        "order_id", "variant_id", "quantity", "price", "amount"
    ):
        assert price == prices[price_list_of[order_id], variant_id]  # the agreement's price
        assert amount == price * quantity
        sums[order_id] += amount
        lines[order_id] += 1
    history: dict[int, list[OrderStatusChange]] = defaultdict(list)
    for change in OrderStatusChange.objects.order_by("changed_at", "pk"):
        history[change.order_id].append(change)
    earliest = ORDERS_UNTIL - timedelta(days=ORDER_DAYS)
    for order in Order.objects.select_related("agreement"):
        assert order.total == sums[order.pk], order
        assert order.line_count == lines[order.pk] > 0, order
        assert order.agreement is not None
        assert order.agreement.partner_id == order.partner_id
        assert order.agreement.counterparty_id == order.counterparty_id
        assert earliest <= order.ordered_at <= order.updated_at <= ORDERS_UNTIL
        steps = history[order.pk]
        assert steps, order
        assert steps[0].from_status == ""
        assert steps[0].changed_at == order.ordered_at
        assert [step.from_status for step in steps[1:]] == [step.to_status for step in steps[:-1]]
        assert steps[-1].to_status == order.status
        assert steps[-1].changed_at == order.updated_at
        assert (order.submitted_at is not None) == (order.source == "portal" and not order.is_draft)
        if order.source == "erp":
            assert order.erp_number
            assert order.erp_id
            assert steps[0].to_status == "accepted"
        else:
            assert not order.erp_number
            assert order.erp_id is None


@pytest.mark.django_db
def test_orders_are_mixed_and_skewed() -> None:
    dataset_generate(size="S", seed=1)
    statuses = Counter(Order.objects.values_list("status", flat=True))
    assert statuses.most_common(1)[0][0] == "closed"
    assert statuses["closed"] + statuses["shipped"] > S.orders * 0.8
    for status in ("draft", "submitted", "accepted", "cancelled", "rejected"):
        assert statuses[status], status
    sources = Counter(Order.objects.values_list("source", flat=True))
    assert 0.05 * S.orders < sources["erp"] < 0.3 * S.orders
    per_partner = Counter(Order.objects.values_list("partner_id", flat=True))
    assert per_partner.most_common(1)[0][0] == 1  # the benchmarks' partner has the most
    assert per_partner[1] > 3 * statistics.median(per_partner.values())
    assert len(per_partner) == S.partners


@pytest.mark.django_db
def test_the_order_list_walks_every_order_of_a_partner_once() -> None:
    """The keyset cursor over written dates (SQLite stores them as Django does)."""
    dataset_generate(size="S", seed=1)
    partner = Partner.objects.get(pk=1)
    seen: list[int] = []
    filters = OrderFilters()
    while True:
        page = order_list(partner=partner, filters=filters)
        seen += [order.pk for order in page.orders]
        if page.next_cursor is None:
            break
        filters = replace(filters, before=page.next_cursor)
    assert len(seen) == len(set(seen)) == Order.objects.filter(partner=partner).count()


@pytest.mark.django_db
def test_needs_an_empty_database() -> None:
    dataset_generate(size="S", seed=1)
    with pytest.raises(NotEmpty):
        dataset_generate(size="S", seed=1)


@pytest.mark.django_db
def test_command_prints_timings() -> None:
    out = StringIO()
    call_command("generate_dataset", size="S", seed=5, stdout=out)
    assert "prices:" in out.getvalue()
    assert "written" in out.getvalue()
