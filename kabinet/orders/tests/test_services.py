"""Cart writes: merge and replace, validation that changes nothing, R3, P3 query bounds."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kabinet.accounts.models import User
from kabinet.catalog.models import PriceList, Variant
from kabinet.catalog.tests.factories import (
    PriceListFactory,
    ProductFactory,
    VariantFactory,
    listed_product,
)
from kabinet.orders.models import Cart, CartLine
from kabinet.orders.services import (
    cart_clear,
    cart_line_remove,
    cart_line_set_quantity,
    cart_lines_add,
)
from kabinet.orders.tests.factories import priced_variants
from kabinet.partners.models import Agreement, Partner

D = Decimal


def _lines(user: User) -> dict[str, Decimal]:
    return dict(CartLine.objects.filter(cart__user=user).values_list("variant__sku", "quantity"))


@pytest.fixture
def variants(price_list_a: PriceList) -> list[Variant]:
    product = listed_product(price_lists=[price_list_a], sizes=("S", "M", "L"))
    return list(product.variants.order_by("position"))


def _add(
    partner: Partner,
    user: User,
    agreement: Agreement,
    quantities: dict[int, Decimal],
    mode: str = "merge",
) -> int:
    return cart_lines_add(
        partner=partner,
        user=user,
        agreement=agreement,
        quantities=quantities,
        mode=mode,  # type: ignore[arg-type]
    )


def test_merge_adds_to_existing_lines(
    partner_a: Partner, partner_user: User, agreement_a: Agreement, variants: list[Variant]
) -> None:
    s, m, l_ = variants
    _add(partner_a, partner_user, agreement_a, {s.pk: D("2"), m.pk: D("1.5")})
    _add(partner_a, partner_user, agreement_a, {m.pk: D("1"), l_.pk: D("0.125")})
    assert _lines(partner_user) == {s.sku: D("2"), m.sku: D("2.5"), l_.sku: D("0.125")}
    cart = Cart.objects.get(partner=partner_a, user=partner_user)
    assert cart.agreement == agreement_a


def test_replace_drops_what_was_there(
    partner_a: Partner, partner_user: User, agreement_a: Agreement, variants: list[Variant]
) -> None:
    s, m, l_ = variants
    _add(partner_a, partner_user, agreement_a, {s.pk: D("2"), m.pk: D("1")})
    _add(partner_a, partner_user, agreement_a, {m.pk: D("7"), l_.pk: D("1")}, mode="replace")
    assert _lines(partner_user) == {m.sku: D("7"), l_.sku: D("1")}


def test_carts_are_per_user_and_partner(
    partner_a: Partner,
    partner_user: User,
    partner_admin: User,
    agreement_a: Agreement,
    variants: list[Variant],
) -> None:
    _add(partner_a, partner_user, agreement_a, {variants[0].pk: D("1")})
    _add(partner_a, partner_admin, agreement_a, {variants[0].pk: D("5")})
    assert _lines(partner_user) == {variants[0].sku: D("1")}
    assert _lines(partner_admin) == {variants[0].sku: D("5")}


@pytest.mark.parametrize(
    "bad", [D("0"), D("-1"), D("1000000.001"), D("1.0001"), D("NaN"), D("Infinity")]
)
def test_wrong_quantities_change_nothing(
    partner_a: Partner,
    partner_user: User,
    agreement_a: Agreement,
    variants: list[Variant],
    bad: Decimal,
) -> None:
    _add(partner_a, partner_user, agreement_a, {variants[0].pk: D("1")})
    with pytest.raises(ValidationError):
        _add(partner_a, partner_user, agreement_a, {variants[1].pk: D("3"), variants[2].pk: bad})
    assert _lines(partner_user) == {variants[0].sku: D("1")}


def test_merging_beyond_the_limit_changes_nothing(
    partner_a: Partner, partner_user: User, agreement_a: Agreement, variants: list[Variant]
) -> None:
    _add(partner_a, partner_user, agreement_a, {variants[0].pk: D("999999")})
    with pytest.raises(ValidationError) as error:
        _add(partner_a, partner_user, agreement_a, {variants[0].pk: D("2"), variants[1].pk: D("1")})
    assert variants[0].sku in str(error.value)
    assert _lines(partner_user) == {variants[0].sku: D("999999")}


def test_variants_not_on_sale_are_refused_by_sku(
    partner_a: Partner,
    partner_user: User,
    agreement_a: Agreement,
    price_list_a: PriceList,
    variants: list[Variant],
) -> None:
    other_list = PriceListFactory.create(code="Other")
    elsewhere = listed_product(price_lists=[other_list]).variants.get()
    unpriced = VariantFactory.create(product=ProductFactory.create())
    archived = listed_product(price_lists=[price_list_a]).variants.get()
    Variant.objects.filter(pk=archived.pk).update(is_archived=True)
    archived_product = listed_product(price_lists=[price_list_a])
    archived_product.__class__.objects.filter(pk=archived_product.pk).update(is_archived=True)
    refused = [elsewhere, unpriced, archived, archived_product.variants.get()]
    for variant in refused:
        with pytest.raises(ValidationError) as error:
            _add(partner_a, partner_user, agreement_a, {variants[0].pk: D("1"), variant.pk: D("1")})
        assert variant.sku in str(error.value)
    with pytest.raises(ValidationError, match="#999999"):
        _add(partner_a, partner_user, agreement_a, {999999: D("1")})
    assert _lines(partner_user) == {}
    assert not Cart.objects.exists()


def test_another_partners_agreement_is_refused(
    partner_a: Partner,
    partner_b: Partner,
    partner_user: User,
    variants: list[Variant],
) -> None:
    with pytest.raises(ValidationError):
        _add(partner_a, partner_user, partner_b.agreements.get(), {variants[0].pk: D("1")})
    assert not CartLine.objects.exists()


def test_set_quantity_remove_and_clear(
    partner_a: Partner, partner_user: User, agreement_a: Agreement, variants: list[Variant]
) -> None:
    s, m, l_ = variants
    _add(partner_a, partner_user, agreement_a, {s.pk: D("1"), m.pk: D("1"), l_.pk: D("1")})
    line_s, line_m, line_l = CartLine.objects.order_by("variant__position")
    cart_line_set_quantity(partner=partner_a, user=partner_user, line_id=line_s.pk, quantity=D("4"))
    assert _lines(partner_user)[s.sku] == D("4")
    with pytest.raises(ValidationError):
        cart_line_set_quantity(
            partner=partner_a, user=partner_user, line_id=line_s.pk, quantity=D("-1")
        )
    assert (
        cart_line_set_quantity(
            partner=partner_a, user=partner_user, line_id=line_m.pk, quantity=D("0")
        )
        is None
    )
    cart_line_remove(partner=partner_a, user=partner_user, line_id=line_l.pk)
    assert _lines(partner_user) == {s.sku: D("4")}
    assert cart_clear(partner=partner_a, user=partner_user) == 1
    assert _lines(partner_user) == {}


def test_nobody_else_can_touch_a_line(
    partner_a: Partner,
    partner_user: User,
    partner_admin: User,
    agreement_a: Agreement,
    variants: list[Variant],
) -> None:
    _add(partner_a, partner_user, agreement_a, {variants[0].pk: D("1")})
    line = CartLine.objects.get()
    with pytest.raises(CartLine.DoesNotExist):
        cart_line_set_quantity(
            partner=partner_a, user=partner_admin, line_id=line.pk, quantity=D("9")
        )
    with pytest.raises(CartLine.DoesNotExist):
        cart_line_remove(partner=partner_a, user=partner_admin, line_id=line.pk)
    cart_clear(partner=partner_a, user=partner_admin)
    assert _lines(partner_user) == {variants[0].sku: D("1")}


def _statements(queries: CaptureQueriesContext) -> list[str]:
    """The SQL run, savepoints left out."""
    return [
        query["sql"]
        for query in queries.captured_queries
        if not query["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
    ]


def test_adding_2000_lines_is_a_bounded_number_of_queries(
    partner_a: Partner, partner_user: User, agreement_a: Agreement, price_list_a: PriceList
) -> None:
    """QUALITY.md P3: no per-line queries, whether the lines are new or merged."""
    variants = priced_variants(price_list_a, 2000)
    quantities = {variant.pk: D("2") for variant in variants}
    with CaptureQueriesContext(connection) as first:
        assert _add(partner_a, partner_user, agreement_a, quantities) == 2000
    with CaptureQueriesContext(connection) as again:
        _add(partner_a, partner_user, agreement_a, quantities)
    # price list, prices, cart (+ insert), existing lines, upsert (batches of 1,000), cart
    assert len(_statements(first)) <= 8, _statements(first)
    assert len(_statements(again)) <= 8, _statements(again)
    assert set(_lines(partner_user).values()) == {D("4")}
    assert CartLine.objects.count() == 2000

    line = CartLine.objects.order_by("pk")[1000]
    with CaptureQueriesContext(connection) as change:
        cart_line_set_quantity(
            partner=partner_a, user=partner_user, line_id=line.pk, quantity=D("7")
        )
    assert len(_statements(change)) <= 4
    with CaptureQueriesContext(connection) as remove:
        cart_line_remove(partner=partner_a, user=partner_user, line_id=line.pk)
    assert len(_statements(remove)) <= 4
