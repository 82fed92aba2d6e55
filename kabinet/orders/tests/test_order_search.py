"""The order lists' number search (ORD6, QUALITY.md P7): a prefix of ours, the ERP's or the
PO number, in any case, on index ranges; never another partner's order."""

import pytest
from django.test import Client
from django.urls import reverse

from kabinet.accounts.models import User
from kabinet.orders import selectors
from kabinet.orders.models import Order, OrderSource
from kabinet.orders.selectors import OrderFilters, order_export_rows, order_list, staff_order_list
from kabinet.orders.tests.factories import placed_order
from kabinet.partners.models import Partner


@pytest.fixture
def numbered(partner_a: Partner, partner_user: User) -> Order:
    order = placed_order(partner_a, partner_user, lines=1, po_number="ЗП-2025/0042")
    Order.objects.filter(pk=order.pk).update(source=OrderSource.ERP, erp_number="ЗК25-000777")
    order.refresh_from_db()
    return order


def _found(partner: Partner, number: str) -> list[int]:
    return [
        order.pk
        for order in order_list(partner=partner, filters=OrderFilters(number=number)).orders
    ]


@pytest.mark.parametrize(
    "prefix",
    [
        "зк25-000",  # the ERP's number, lower case (Cyrillic folds too)
        "ЗК25-000777",
        "зп-2025/00",  # the PO number, lower case
        "зП-2025/0042",
    ],
)
def test_a_lowercase_prefix_of_the_erp_or_po_number_finds_the_order(
    numbered: Order, partner_a: Partner, prefix: str
) -> None:
    assert _found(partner_a, prefix) == [numbered.pk]
    assert [o.pk for o in staff_order_list(filters=OrderFilters(number=prefix)).orders] == [
        numbered.pk
    ]


def test_our_number_in_any_case(numbered: Order, partner_a: Partner) -> None:
    assert _found(partner_a, numbered.number.lower()) == [numbered.pk]
    assert _found(partner_a, numbered.number[:3].lower()) == [numbered.pk]


def test_a_prefix_only_not_a_substring(numbered: Order, partner_a: Partner) -> None:
    assert _found(partner_a, "2025/0042") == []
    assert _found(partner_a, "000777") == []
    assert _found(partner_a, "ЗК25-0007770") == []  # longer than the number


def test_like_wildcards_are_plain_characters(numbered: Order, partner_a: Partner) -> None:
    assert _found(partner_a, "ЗП%") == []
    assert _found(partner_a, "З_-") == []


def test_another_partners_order_is_not_found(
    numbered: Order, partner_b: Partner, other_partner_user: User, partner_a: Partner
) -> None:
    theirs = placed_order(partner_b, other_partner_user, lines=1, po_number="ЗП-2025/0042")
    Order.objects.filter(pk=theirs.pk).update(erp_number="ЗК25-000778")
    assert _found(partner_b, "зк25-000") == [theirs.pk]
    assert _found(partner_b, "зп-2025/0042") == [theirs.pk]
    assert _found(partner_a, "зк25-000778") == []
    assert numbered.pk not in _found(partner_b, "зк25-000777")
    assert numbered.pk not in _found(partner_b, numbered.number)
    export = order_export_rows(partner=partner_b, filters=OrderFilters(number="зп-2025"))
    assert [row[0] for row in export] == [theirs.number]


def test_the_page_over_http_finds_by_po_prefix_and_hides_the_other_partner(
    user_client_a: Client, numbered: Order, partner_b: Partner, other_partner_user: User
) -> None:
    theirs = placed_order(partner_b, other_partner_user, lines=1, po_number="ЗП-2025/0099")
    html = user_client_a.get(reverse("orders:list"), {"number": "зп-2025"}).content.decode()
    assert numbered.number in html
    assert theirs.number not in html


@pytest.mark.parametrize("sorted_up_to", [100, 1])  # the few matches gathered; the walk
def test_pages_of_a_number_search_follow_the_cursor(
    partner_a: Partner, partner_user: User, monkeypatch: pytest.MonkeyPatch, sorted_up_to: int
) -> None:
    orders = [placed_order(partner_a, partner_user, lines=1, po_number=f"PO-{n}") for n in range(5)]
    placed_order(partner_a, partner_user, lines=1, po_number="OTHER-1")
    monkeypatch.setattr(selectors, "ORDER_PAGE_SIZE", 2)
    monkeypatch.setattr(selectors, "NUMBER_MATCHES_SORTED", sorted_up_to)
    seen: list[int] = []
    cursor = ""
    for _page in range(4):
        page = order_list(partner=partner_a, filters=OrderFilters(number="po-", before=cursor))
        seen += [order.pk for order in page.orders]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == sorted((order.pk for order in orders), reverse=True)
