"""The cart rows and the order lists' rows rendered in Python (P3, P7) say what the
templates did: same numbers, dates and escaping, the unavailable flag and the row's error."""

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.template.defaultfilters import floatformat
from django.test import RequestFactory
from django.utils import timezone, translation

from kabinet.catalog.models import Product, Variant
from kabinet.catalog.templatetags.catalog import money
from kabinet.orders.models import CartLine, Order
from kabinet.orders.rows import CartRows, NumberFormat, OrderRows
from kabinet.orders.selectors import CartLineView
from kabinet.partners.models import Counterparty, Partner

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


# The order list's row as its template rendered it before OrderRows (P7).
ORDER_ROW_TEMPLATE = """{% load i18n catalog %}{% for order in orders %}
<tr data-testid="order-row">
  <td><a href="{% if staff %}{% url 'orders:staff_detail' order.pk %}{% else %}\
{% url 'orders:detail' order.pk %}{% endif %}">{{ order.number }}</a>\
{% if order.source == "erp" %} <span class="badge text-bg-light border" \
title="{% translate 'Created in the ERP' %}">{% translate "ERP" %}</span>{% endif %}</td>
  <td>{{ order.ordered_at|date:"SHORT_DATE_FORMAT" }}</td>
  {% if staff %}<td>{{ order.partner.name }}</td>{% endif %}
  <td class="d-none d-md-table-cell">{{ order.counterparty.name }}</td>
  <td><span class="badge order-status order-status-{{ order.status }}">\
{{ order.get_status_display }}</span></td>
  <td class="text-end text-nowrap">{{ order.total|money:order.currency }}</td>
  <td class="d-none d-md-table-cell">{{ order.po_number }}</td>
</tr>{% endfor %}"""


def _orders() -> list[Order]:
    hostile = "<script>alert('x')</script> & \"Co\""
    late = datetime(2026, 3, 1, 22, 30, tzinfo=UTC)  # 2 March in Moscow, 1 March in UTC
    return [
        Order(
            pk=11, number="K-000011", source="portal", ordered_at=late, status="submitted",
            total=D("1234.50"), currency="RUB", po_number="",
            partner=Partner(name="ООО «Север»"), counterparty=Counterparty(name="Север"),
        ),
        Order(
            pk=12, number="K-<12>", source="erp", ordered_at=late, status="in_assembly",
            total=D("987654.32"), currency="EUR", po_number=hostile,
            partner=Partner(name=hostile), counterparty=Counterparty(name=hostile),
        ),
        Order(
            pk=13, number="K-13", source="portal", ordered_at=late, status="unknown",
            total=D("0"), currency="XYZ", po_number="ЗП-7",
            partner=Partner(name="B"), counterparty=Counterparty(name="C"),
        ),
    ]  # fmt: skip


def _squeezed(html: str) -> str:
    return re.sub(r">\s+<", "><", html).strip()


@pytest.mark.parametrize("staff", [False, True])
@pytest.mark.parametrize("language", ["en", "ru"])
@pytest.mark.parametrize("zone", ["Europe/Moscow", "UTC"])
def test_order_rows_are_what_the_template_made(staff: bool, language: str, zone: str) -> None:
    orders = _orders()
    with translation.override(language), timezone.override(zone):
        expected = Template(ORDER_ROW_TEMPLATE).render(Context({"orders": orders, "staff": staff}))
        html = OrderRows(staff=staff).rows(orders)
    assert _squeezed(html) == _squeezed(expected)
    assert "<script>" not in html
    assert ("2 March" in html or "02.03.2026" in html or "03/02/2026" in html) == (
        zone == "Europe/Moscow"
    )
