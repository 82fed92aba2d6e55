"""Checkout and order pages as a user drives them (ORD4, ORD6, ORD7), with their refusals."""

import io
import uuid
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from python_calamine import CalamineWorkbook

from kabinet.accounts.models import User
from kabinet.catalog.models import PriceList
from kabinet.orders.models import CartLine, Order, OrderSource, OrderStatus
from kabinet.orders.services import cart_lines_add
from kabinet.orders.tests.factories import placed_order, priced_variants
from kabinet.partners.models import Agreement, Partner
from kabinet.partners.rights import Right
from tests.support import signed_in


@pytest.fixture
def cart_of_user(
    partner_a: Partner, partner_user: User, agreement_a: Agreement, price_list_a: PriceList
) -> list[int]:
    variants = priced_variants(price_list_a, 2, price="10.00")
    cart_lines_add(
        partner=partner_a,
        user=partner_user,
        agreement=agreement_a,
        quantities={variant.pk: Decimal(3) for variant in variants},
    )
    return [variant.pk for variant in variants]


def _checkout_data(on: Agreement, **extra: str) -> dict[str, str]:
    return {
        "counterparty": str(on.counterparty_id),
        "agreement": str(on.pk),
        "delivery_address": "",
        "checkout_key": str(uuid.uuid4()),
        "po_number": "PO-123",
        "comment": "Позвоните заранее",
        "action": "submit",
        **extra,
    }


def test_checkout_page_offers_the_partners_choices(
    user_client_a: Client, cart_of_user: list[int], agreement_a: Agreement, partner_b: Partner
) -> None:
    response = user_client_a.get(reverse("orders:checkout"))
    assert response.status_code == 200
    html = response.content.decode()
    assert agreement_a.number in html
    assert "Beta" not in html  # nothing of partner B's among the choices (R2)
    assert "60,00" in html or "60.00" in html  # the cart's total


def test_checkout_with_an_empty_cart_goes_back_to_the_cart(user_client_a: Client) -> None:
    response = user_client_a.get(reverse("orders:checkout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("orders:cart")


def test_submitting_checkout_places_the_order_and_ignores_posted_prices_and_status(
    user_client_a: Client,
    cart_of_user: list[int],
    partner_a: Partner,
    partner_b: Partner,
    agreement_a: Agreement,
) -> None:
    """R3: extra fields (partner, status, price, total, number) are not read."""
    data = _checkout_data(
        agreement_a,
        partner=str(partner_b.pk),
        status="closed",
        price="0.01",
        total="1",
        number="HACK-1",
        source="erp",
        created_by="1",
    )
    response = user_client_a.post(reverse("orders:checkout"), data)
    order = Order.objects.get()
    assert response.status_code == 303
    assert response["Location"] == reverse("orders:detail", args=[order.pk])
    assert (order.partner_id, order.status, order.source) == (
        partner_a.pk,
        OrderStatus.SUBMITTED,
        OrderSource.PORTAL,
    )
    assert order.total == Decimal("60.00")
    assert order.number.startswith("K-")
    assert order.po_number == "PO-123"
    page = user_client_a.get(response["Location"]).content.decode()
    assert f"{order.number} was submitted" in page
    assert "Позвоните заранее" in page


def test_saving_a_draft_then_editing_and_submitting_it(
    user_client_a: Client, cart_of_user: list[int], agreement_a: Agreement
) -> None:
    response = user_client_a.post(
        reverse("orders:checkout"), _checkout_data(agreement_a, action="draft")
    )
    draft = Order.objects.get()
    assert draft.status == OrderStatus.DRAFT
    url = reverse("orders:detail", args=[draft.pk])
    assert response["Location"] == url
    page = user_client_a.get(url)
    assert 'data-testid="draft-form"' in page.content.decode()

    first, second = draft.lines.order_by("position")
    edit = {
        "counterparty": agreement_a.counterparty_id,
        "agreement": agreement_a.pk,
        "po_number": "PO-9",
        f"q-{first.pk}": "5",
        f"q-{second.pk}": "0",
        "action": "save",
    }
    assert user_client_a.post(url, edit).status_code == 303
    draft.refresh_from_db()
    assert (draft.po_number, draft.line_count, draft.total) == ("PO-9", 1, Decimal("50.00"))
    assert draft.status == OrderStatus.DRAFT

    bad = {**edit, f"q-{first.pk}": "-2"}
    response = user_client_a.post(url, bad)
    assert response.status_code == 400
    assert "cannot be negative" in response.content.decode()
    draft.refresh_from_db()
    assert draft.total == Decimal("50.00")

    assert user_client_a.post(url, {**edit, "action": "submit"}).status_code == 303
    draft.refresh_from_db()
    assert draft.status == OrderStatus.SUBMITTED
    # Submitting again (a stale page): 409 and nothing changes.
    response = user_client_a.post(reverse("orders:submit", args=[draft.pk]))
    assert response.status_code == 409
    assert draft.status_changes.count() == 2


def test_checkout_errors_are_shown_and_change_nothing(
    user_client_a: Client, cart_of_user: list[int], agreement_a: Agreement, partner_b: Partner
) -> None:
    foreign = partner_b.agreements.get(is_main=True)
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    for data in (
        _checkout_data(agreement_a, agreement=str(foreign.pk)),
        _checkout_data(agreement_a, desired_date=yesterday),
        _checkout_data(agreement_a, checkout_key="not-a-uuid"),
    ):
        response = user_client_a.post(reverse("orders:checkout"), data)
        assert response.status_code == 400, data
        html = response.content.decode()
        assert "invalid-feedback" in html or "out of date" in html, data
    assert not Order.objects.exists()
    assert CartLine.objects.count() == 2


def test_order_list_filters_and_pages(
    user_client_a: Client,
    partner_a: Partner,
    partner_user: User,
    partner_b: Partner,
    other_partner_user: User,
) -> None:
    from kabinet.orders import selectors

    orders = [placed_order(partner_a, partner_user, lines=1) for _ in range(4)]
    draft = placed_order(partner_a, partner_user, lines=1, submit=False, po_number="DRAFT-PO")
    other = placed_order(partner_b, other_partner_user, lines=1)
    url = reverse("orders:list")
    html = user_client_a.get(url).content.decode()
    for order in [*orders, draft]:
        assert order.number in html
    assert other.number not in html

    html = user_client_a.get(url, {"status": "draft"}).content.decode()
    assert draft.number in html
    assert orders[0].number not in html
    html = user_client_a.get(url, {"number": "draft-po"}).content.decode()
    assert draft.number in html
    assert orders[0].number not in html
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    html = user_client_a.get(url, {"date_from": tomorrow}).content.decode()
    assert "No orders match" in html
    # Wrong filter values are dropped, not an error page.
    assert user_client_a.get(url, {"status": "nonsense", "date_from": "x"}).status_code == 200

    # Keyset pages: newest first, the cursor continues where the page ended.
    old_size = selectors.ORDER_PAGE_SIZE
    selectors.ORDER_PAGE_SIZE = 2
    try:
        first = selectors.order_list(partner=partner_a, filters=selectors.OrderFilters())
        second = selectors.order_list(
            partner=partner_a, filters=selectors.OrderFilters(before=first.next_cursor or "")
        )
    finally:
        selectors.ORDER_PAGE_SIZE = old_size
    seen = [order.pk for order in first.orders + second.orders]
    assert seen == sorted(seen, reverse=True)[:4]
    assert len(set(seen)) == 4


def test_order_export_is_an_attachment_and_formula_safe(
    user_client_a: Client,
    partner_a: Partner,
    partner_user: User,
    partner_b: Partner,
    other_partner_user: User,
) -> None:
    placed_order(partner_a, partner_user, lines=1, po_number='=HYPERLINK("x")')
    placed_order(partner_a, partner_user, lines=1, comment="@SUM(A1)", po_number="+1")
    placed_order(partner_b, other_partner_user, lines=1)
    response = user_client_a.get(reverse("orders:export"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    content = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    rows = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python()
    assert len(rows) == 3  # the header and A's two orders only
    texts = [cell for row in rows for cell in row if isinstance(cell, str)]
    assert not [text for text in texts if text.startswith(("=", "+", "-", "@", "\t", "\r"))]
    assert '\'=HYPERLINK("x")' in texts
    assert "Beta" not in " ".join(texts)
    first = rows[1]
    assert isinstance(first[1], datetime)  # the order's date, as a date
    assert first[9] == 1
    assert first[10] == 100.0
    assert isinstance(first[2], str)
    assert first[2]


def test_cancel_and_copy(
    user_client_a: Client, partner_a: Partner, partner_user: User, staff_manager: User
) -> None:
    from kabinet.orders.statuses import order_accept

    order = placed_order(partner_a, partner_user, lines=2)
    response = user_client_a.post(reverse("orders:copy", args=[order.pk]))
    assert response.status_code == 303
    assert CartLine.objects.filter(cart__user=partner_user).count() == 2

    accepted = placed_order(partner_a, partner_user, lines=1)
    order_accept(order_id=accepted.pk, actor=staff_manager)
    response = user_client_a.post(reverse("orders:cancel", args=[accepted.pk]))
    assert response.status_code == 409  # accepted: the supplier's to stop now
    accepted.refresh_from_db()
    assert accepted.status == OrderStatus.ACCEPTED

    response = user_client_a.post(reverse("orders:cancel", args=[order.pk]), {"note": "Ошибка"})
    assert response.status_code == 303
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert order.status_changes.last().note == "Ошибка"  # type: ignore[union-attr]


def test_erp_orders_are_marked(
    user_client_a: Client, partner_a: Partner, partner_user: User
) -> None:
    order = placed_order(partner_a, partner_user, lines=1)
    Order.objects.filter(pk=order.pk).update(source=OrderSource.ERP, erp_number="ЗК-00042")
    html = user_client_a.get(reverse("orders:detail", args=[order.pk])).content.decode()
    assert 'data-testid="order-erp"' in html
    assert "ЗК-00042" in html
    html = user_client_a.get(reverse("orders:list"), {"number": "ЗК-000"}).content.decode()
    assert order.number in html
    assert "Created in the ERP" in html


def test_staff_see_submitted_orders_not_drafts_and_change_a_status(
    manager_client: Client, partner_a: Partner, partner_user: User
) -> None:
    order = placed_order(partner_a, partner_user, lines=1)
    draft = placed_order(partner_a, partner_user, lines=1, submit=False)
    html = manager_client.get(reverse("orders:staff_list")).content.decode()
    assert order.number in html
    assert draft.number not in html
    assert manager_client.get(reverse("orders:staff_detail", args=[draft.pk])).status_code == 404
    html = manager_client.get(
        reverse("orders:staff_list"), {"partner": str(partner_a.pk), "status": "submitted"}
    ).content.decode()
    assert order.number in html

    url = reverse("orders:staff_status", args=[order.pk])
    for step in ("accepted", "in_assembly", "shipped", "closed"):
        assert manager_client.post(url, {"status": step}).status_code == 303, step
    order.refresh_from_db()
    assert order.status == OrderStatus.CLOSED
    assert manager_client.post(url, {"status": "cancelled"}).status_code == 409
    assert [change.source for change in order.status_changes.all()] == [
        "partner",
        "staff",
        "staff",
        "staff",
        "staff",
    ]
    html = manager_client.get(reverse("orders:staff_detail", args=[order.pk])).content.decode()
    assert "Status history" in html
    assert 'data-testid="status-form"' not in html


def test_without_the_right_nothing_is_shown_or_changed(
    partner_a: Partner, partner_user: User, staff_editor: User
) -> None:
    from kabinet.partners.models import Membership

    order = placed_order(partner_a, partner_user, lines=1)
    membership = Membership.objects.get(user=partner_user, partner=partner_a)
    membership.rights = [Right.FINANCE.value]
    membership.save()
    client = signed_in(partner_user)
    for url in (reverse("orders:list"), reverse("orders:detail", args=[order.pk])):
        assert client.get(url).status_code == 403
    assert client.post(reverse("orders:cancel", args=[order.pk])).status_code == 403
    editor = signed_in(staff_editor)
    assert editor.get(reverse("orders:staff_list")).status_code == 403
    response = editor.post(reverse("orders:staff_status", args=[order.pk]), {"status": "accepted"})
    assert response.status_code == 403
    order.refresh_from_db()
    assert order.status == OrderStatus.SUBMITTED
