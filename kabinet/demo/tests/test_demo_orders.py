"""The demo's twelve months of orders (kabinet.demo.orders): loaded once, looking real, and
consistent (totals, prices, status histories)."""

from collections import Counter, defaultdict
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from kabinet.accounts.models import AuditEvent
from kabinet.catalog.models import Price
from kabinet.orders.models import Order, OrderLine, OrderStatusChange
from kabinet.partners.models import Partner

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo() -> None:
    call_command("seed_demo", "--catalog-products", "60")


def test_every_partner_with_an_agreement_has_a_year_of_orders(demo: None) -> None:
    now = timezone.now()
    assert 200 <= Order.objects.count() <= 600
    for partner in Partner.objects.filter(agreements__isnull=False).distinct():
        dates = list(Order.objects.filter(partner=partner).values_list("ordered_at", flat=True))
        assert len(dates) >= 10, partner
        assert min(dates) > now - timedelta(days=366)
        assert max(dates) <= now
        assert max(dates) - min(dates) > timedelta(days=200), partner


def test_orders_look_real(demo: None) -> None:
    statuses = Counter(Order.objects.values_list("status", flat=True))
    assert statuses.most_common(1)[0][0] == "closed"
    for status in ("draft", "submitted", "accepted", "shipped", "cancelled", "rejected"):
        assert statuses[status], status
    erp = Order.objects.filter(source="erp")
    assert erp.count() >= 10
    assert not erp.filter(erp_number="").exists()
    assert not erp.filter(created_by__isnull=False).exists()
    assert not Order.objects.filter(source="portal", created_by__isnull=True).exists()
    assert Order.objects.exclude(po_number="").count() >= 50
    assert Order.objects.exclude(comment="").count() >= 20
    assert Order.objects.filter(currency="EUR").exists()  # the Baltic partner buys in euros
    numbers = list(Order.objects.order_by("pk").values_list("number", flat=True))
    assert numbers == [
        f"K-{pk:06d}" for pk in Order.objects.order_by("pk").values_list("pk", flat=True)
    ]
    # Staff moved the portal orders along by hand: their steps name who.
    staff_steps = OrderStatusChange.objects.filter(source="staff")
    assert staff_steps.exists()
    assert not staff_steps.filter(actor__is_staff=False).exists()


def test_orders_agree_with_their_lines_and_history(demo: None) -> None:
    sums: dict[int, Decimal] = defaultdict(Decimal)
    counts: Counter[int] = Counter()
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
        assert price == prices[price_list_of[order_id], variant_id]
        assert amount == (price * quantity).quantize(Decimal("0.01"))
        sums[order_id] += amount
        counts[order_id] += 1
    history = defaultdict(list)
    for change in OrderStatusChange.objects.order_by("changed_at", "pk"):
        history[change.order_id].append(change)
    for order in Order.objects.select_related("agreement"):
        assert order.total == sums[order.pk]
        assert order.line_count == counts[order.pk] > 0
        assert order.agreement is not None
        assert order.agreement.counterparty_id == order.counterparty_id
        steps = history[order.pk]
        assert steps[0].from_status == ""
        assert steps[-1].to_status == order.status
        assert [s.from_status for s in steps[1:]] == [s.to_status for s in steps[:-1]]
        assert steps[0].changed_at == order.ordered_at <= order.updated_at


def test_todays_orders_went_through_checkout(demo: None) -> None:
    live = Order.objects.filter(checkout_key__isnull=False)
    assert set(live.values_list("status", flat=True)) == {"draft", "submitted"}
    assert live.filter(status="draft").count() == 2
    numbers = set(live.values_list("number", flat=True))
    audited = set(
        AuditEvent.objects.filter(kind__in=["order_submitted", "order_draft_saved"]).values_list(
            "details__order", flat=True
        )
    )
    assert numbers <= audited


def test_loaded_once_and_added_to_an_older_demo() -> None:
    call_command("seed_demo", "--catalog-products", "60")
    first = Order.objects.count(), OrderLine.objects.count(), OrderStatusChange.objects.count()
    call_command("seed_demo", "--catalog-products", "60")
    assert (
        Order.objects.count(),
        OrderLine.objects.count(),
        OrderStatusChange.objects.count(),
    ) == first
    Order.objects.all().delete()  # as a demo loaded before the orders existed
    call_command("seed_demo", "--catalog-products", "60")
    assert Order.objects.count() == first[0]
