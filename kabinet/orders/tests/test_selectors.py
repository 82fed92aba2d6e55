"""The cart read: current prices, exact totals, unavailable lines flagged, fixed queries."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kabinet.accounts.models import User
from kabinet.catalog.models import Price, PriceList, Product, Variant
from kabinet.catalog.tests.factories import PriceListFactory, listed_product
from kabinet.orders.selectors import cart_view
from kabinet.orders.services import cart_lines_add
from kabinet.orders.tests.factories import priced_variants
from kabinet.partners.models import Agreement, Partner
from kabinet.partners.tests.factories import AgreementFactory

D = Decimal


@pytest.fixture
def three(price_list_a: PriceList) -> list[Variant]:
    product = listed_product(
        price_lists=[price_list_a], sizes=("S", "M", "L"), price="0.10", name="Маска"
    )
    return list(product.variants.order_by("position"))


def _fill(partner: Partner, user: User, agreement: Agreement, quantities: dict[int, str]) -> None:
    cart_lines_add(
        partner=partner,
        user=user,
        agreement=agreement,
        quantities={variant_id: D(q) for variant_id, q in quantities.items()},
    )


def test_totals_are_exact_decimals(
    partner_a: Partner, partner_user: User, agreement_a: Agreement, three: list[Variant]
) -> None:
    _fill(partner_a, partner_user, agreement_a, {v.pk: "1" for v in three})
    view = cart_view(partner=partner_a, user=partner_user, agreement=agreement_a)
    assert view.totals == {"RUB": D("0.30")}  # 0.1 + 0.1 + 0.1 in floats is not 0.3
    assert [line.total for line in view.lines] == [D("0.10")] * 3
    assert [line.variant.sku for line in view.lines] == [v.sku for v in three]
    assert all(line.available for line in view.lines)


def test_line_totals_round_half_up_to_cents(
    partner_a: Partner, partner_user: User, agreement_a: Agreement, three: list[Variant]
) -> None:
    Price.objects.filter(variant=three[0]).update(amount=D("1234.50"))
    _fill(partner_a, partner_user, agreement_a, {three[0].pk: "0.333"})
    view = cart_view(partner=partner_a, user=partner_user, agreement=agreement_a)
    assert view.lines[0].total == D("411.09")  # 411.0885
    assert view.totals == {"RUB": D("411.09")}


def test_totals_per_currency(
    partner_a: Partner, partner_user: User, agreement_a: Agreement, three: list[Variant]
) -> None:
    euro = PriceListFactory.create(code="EUR list", currency="EUR")
    Price.objects.bulk_create(Price(price_list=euro, variant=v, amount=D("2.50")) for v in three)
    euro_agreement = AgreementFactory.create(
        counterparty=partner_a.counterparties.get(), price_list=euro.code
    )
    _fill(partner_a, partner_user, agreement_a, {three[0].pk: "2", three[1].pk: "1"})
    view = cart_view(partner=partner_a, user=partner_user, agreement=euro_agreement)
    assert view.totals == {"EUR": D("7.50")}
    assert view.lines[0].price == D("2.50")


def test_unavailable_lines_are_flagged_and_left_out_of_totals(
    partner_a: Partner, partner_user: User, agreement_a: Agreement, three: list[Variant]
) -> None:
    gone = listed_product(price_lists=[PriceList.objects.get(code=agreement_a.price_list)])
    _fill(partner_a, partner_user, agreement_a, {v.pk: "1" for v in three})
    _fill(partner_a, partner_user, agreement_a, {gone.variants.get().pk: "1"})
    Price.objects.filter(variant=three[0]).delete()  # no longer on the price list
    Variant.objects.filter(pk=three[1].pk).update(is_archived=True)
    Product.objects.filter(pk=gone.pk).update(is_archived=True)
    view = cart_view(partner=partner_a, user=partner_user, agreement=agreement_a)
    assert [line.available for line in view.lines] == [False, False, True, False]
    assert view.unavailable_count == 3
    assert view.lines[0].price is None
    assert view.lines[0].total is None
    assert view.totals == {"RUB": D("0.10")}


def test_without_an_agreement_everything_is_unavailable(
    partner_a: Partner, partner_user: User, agreement_a: Agreement, three: list[Variant]
) -> None:
    _fill(partner_a, partner_user, agreement_a, {three[0].pk: "1"})
    view = cart_view(partner=partner_a, user=partner_user, agreement=None)
    assert view.count == 1
    assert view.unavailable_count == 1
    assert view.totals == {}


def test_one_line_with_the_totals_of_all(
    partner_a: Partner, partner_user: User, agreement_a: Agreement, three: list[Variant]
) -> None:
    _fill(partner_a, partner_user, agreement_a, {v.pk: "2" for v in three})
    view = cart_view(partner=partner_a, user=partner_user, agreement=None)
    line_id = cart_view(partner=partner_a, user=partner_user, agreement=agreement_a).lines[1]
    one = cart_view(
        partner=partner_a, user=partner_user, agreement=agreement_a, line_id=line_id.line.pk
    )
    assert [line.variant for line in one.lines] == [three[1]]
    assert one.totals == {"RUB": D("0.60")}
    assert one.count == 3
    Variant.objects.filter(pk=three[0].pk).update(is_archived=True)
    none = cart_view(partner=partner_a, user=partner_user, agreement=agreement_a, line_id=0)
    assert none.lines == []
    assert (none.count, none.unavailable_count, none.totals) == (2 + 1, 1, {"RUB": D("0.40")})
    assert view.count == 3


def test_queries_do_not_grow_with_lines(
    partner_a: Partner, partner_user: User, agreement_a: Agreement, price_list_a: PriceList
) -> None:
    variants = priced_variants(price_list_a, 300)
    counts = []
    for chunk in (variants[:5], variants[5:]):
        _fill(partner_a, partner_user, agreement_a, {v.pk: "1" for v in chunk})
        with CaptureQueriesContext(connection) as queries:
            view = cart_view(partner=partner_a, user=partner_user, agreement=agreement_a)
            [line.variant.product.name for line in view.lines]
        counts.append(len(queries))
    assert counts == [3, 3]
    assert view.totals == {"RUB": D("30000.00")}
