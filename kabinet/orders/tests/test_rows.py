"""The cart rows rendered in Python (P3) say what the template did: same numbers, same
escaping, the unavailable flag and the row's error."""

from decimal import Decimal

import pytest
from django.template.defaultfilters import floatformat
from django.test import RequestFactory
from django.utils import translation

from kabinet.catalog.models import Product, Variant
from kabinet.catalog.templatetags.catalog import money
from kabinet.orders.models import CartLine
from kabinet.orders.rows import CartRows, NumberFormat
from kabinet.orders.selectors import CartLineView

D = Decimal
AMOUNTS = ["0", "0.5", "1", "12.345", "999.995", "1234.5", "1000000", "987654321.01", "-3.2"]
QUANTITIES = ["0.001", "0.5", "1", "1.5", "2.25", "12.345", "1000", "1234.567", "1999999.999"]


@pytest.mark.parametrize("language", ["en", "ru"])
def test_numbers_as_the_template_filters(language: str) -> None:
    with translation.override(language):
        numbers = NumberFormat()
        for amount in AMOUNTS:
            for currency in ("RUB", "USD", "XYZ"):
                assert numbers.money(D(amount), currency) == money(D(amount), currency)
        for quantity in QUANTITIES:
            for value in (D(quantity), D(quantity).quantize(D("0.001"))):
                assert numbers.quantity(value) == floatformat(value, "-3")


def _item(*, sku: str, name: str, available: bool = True) -> CartLineView:
    product = Product(pk=7, name=name)
    variant = Variant(pk=9, sku=sku, product=product, colour="Бел<ый", size="")
    line = CartLine(pk=5, variant=variant, quantity=D("1.500"))
    return CartLineView(
        line=line,
        variant=variant,
        price=D("1234.50") if available else None,
        currency="RUB",
        available=available,
    )


def test_every_value_is_escaped() -> None:
    rows = CartRows(RequestFactory().get("/cart/"))
    html = rows.row(_item(sku="A\"<b>&'", name="<script>x</script>"))
    assert "<script>" not in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html
    assert 'data-sku="A&quot;&lt;b&gt;&amp;&#x27;"' in html
    assert "· Бел&lt;ый" in html
    assert 'aria-label="Quantity of A&quot;&lt;b&gt;&amp;&#x27;"' in html


def test_row_markup_flags_and_error() -> None:
    with translation.override("en"):
        rows = CartRows(RequestFactory().get("/cart/"))
        html = rows.row(_item(sku="S-1", name="Gown"), error="Enter <a> number.")
        gone = rows.row(_item(sku="S-2", name="Gown", available=False))
    assert html.startswith('<tr id="line-5" data-testid="cart-line" data-sku="S-1" class="">')
    assert 'href="/catalog/7/"' in html
    assert html.count('action="/cart/lines/5/quantity/"') == 1
    assert 'hx-post="/cart/lines/5/remove/"' in html
    assert html.count('name="csrfmiddlewaretoken"') == 2
    assert 'value="1.500"' in html
    assert "1,234.50\xa0₽" in html
    assert "1,851.75\xa0₽" in html
    assert "cart-qty is-invalid" in html
    assert 'role="alert">Enter &lt;a&gt; number.</div>' in html
    assert 'class="cart-line-unavailable"' in gone
    assert 'data-testid="unavailable"' in gone
    assert "₽" not in gone
    assert "is-invalid" not in gone
