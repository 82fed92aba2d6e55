"""type=sale: orders with pending outbox messages go to 1C as CommerceML, success marks them
delivered (1C's own copies only), and 1C's status documents move the orders through the
status flow."""

from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from lxml import etree

from kabinet.accounts.models import User
from kabinet.integrations.models import Integration, IntegrationKind
from kabinet.integrations.onec import sale
from kabinet.integrations.onec.client_1c import ExchangeFailed, OneCClient
from kabinet.integrations.services import integration_create
from kabinet.orders.models import Order, OrderStatus, OrderStatusChange
from kabinet.orders.tests.factories import placed_order
from kabinet.outbox.models import MessageStatus, OutboxMessage, Topic
from kabinet.outbox.services import outbox_write
from kabinet.partners.models import Partner

pytestmark = pytest.mark.django_db


def announced(order: Order, topic: Topic = Topic.ORDER_SUBMITTED) -> OutboxMessage:
    """The order's outbox message (written here when the order service does not yet)."""
    existing = OutboxMessage.objects.filter(
        object_type="order", object_id=str(order.pk), topic=topic
    ).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        [message] = outbox_write(
            topic=topic,
            object_type="order",
            object_id=order.pk,
            payload={"number": order.number},
            partner=order.partner,
        )
    return message


@pytest.fixture
def order(partner_a: Partner, partner_admin: User) -> Order:
    placed = placed_order(partner_a, partner_admin, lines=2, comment="Позвонить до 10:00")
    announced(placed)
    return placed


def _documents(body: bytes) -> list[etree._Element]:
    root = etree.fromstring(body, parser=etree.XMLParser(resolve_entities=False))
    return list(root.iter("Документ"))


def test_query_sends_the_new_orders_in_windows_1251(one_c: OneCClient, order: Order) -> None:
    body = one_c.sale_query()

    assert body.startswith(b"<?xml version='1.0' encoding='windows-1251'?>")
    (document,) = _documents(body)
    assert document.findtext("Номер") == order.number
    assert document.findtext("ХозОперация") == "Заказ товара"
    assert Decimal(document.findtext("Сумма") or "") == order.total
    counterparty = document.find("Контрагенты/Контрагент")
    assert counterparty is not None
    assert counterparty.findtext("ИНН") == order.counterparty.tax_id
    assert counterparty.findtext("Наименование") == order.counterparty.name
    goods = document.findall("Товары/Товар")
    assert [g.findtext("Артикул") for g in goods] == [line.sku for line in order.lines.all()]
    assert [Decimal(g.findtext("Количество") or "") for g in goods] == [
        line.quantity for line in order.lines.all()
    ]
    requisites = {
        r.findtext("Наименование"): r.findtext("Значение")
        for r in document.findall("ЗначенияРеквизитов/ЗначениеРеквизита")
    }
    assert requisites["Статус заказа"] == str(OrderStatus.SUBMITTED.label)
    assert requisites["Отменен"] == "false"
    assert document.findtext("Комментарий") == "Позвонить до 10:00"


def test_success_marks_the_orders_delivered_and_they_are_not_sent_again(
    one_c: OneCClient, order: Order
) -> None:
    one_c.sale_query()
    one_c.sale_success()

    message = OutboxMessage.objects.get(object_id=str(order.pk), topic=Topic.ORDER_SUBMITTED)
    assert message.status == MessageStatus.DELIVERED
    assert message.delivered_at is not None
    assert _documents(one_c.sale_query()) == []


def test_without_success_the_orders_come_again(one_c: OneCClient, order: Order) -> None:
    one_c.sale_query()
    (document,) = _documents(one_c.sale_query())
    assert document.findtext("Номер") == order.number


def test_an_order_submitted_after_the_query_is_not_acknowledged_by_its_success(
    one_c: OneCClient, order: Order, partner_a: Partner, partner_admin: User
) -> None:
    one_c.sale_query()
    later = placed_order(partner_a, partner_admin, lines=1)
    announced(later)
    one_c.sale_success()

    (document,) = _documents(one_c.sale_query())
    assert document.findtext("Номер") == later.number


def test_a_cancellation_is_sent_as_a_changed_order(one_c: OneCClient, order: Order) -> None:
    one_c.sale_query()
    one_c.sale_success()
    Order.objects.filter(pk=order.pk)  # cancelled through the partner's own service:
    from kabinet.orders.statuses import order_cancel

    order_cancel(partner=order.partner, order_id=order.pk, actor=order.created_by)  # type: ignore[arg-type]
    announced(order, Topic.ORDER_CANCELLED)

    (document,) = _documents(one_c.sale_query())
    requisites = {
        r.findtext("Наименование"): r.findtext("Значение")
        for r in document.findall("ЗначенияРеквизитов/ЗначениеРеквизита")
    }
    assert requisites["Отменен"] == "true"


def status_file(number: str, **requisites: str) -> bytes:
    values = "".join(
        f"<ЗначениеРеквизита><Наименование>{name}</Наименование>"
        f"<Значение>{value}</Значение></ЗначениеРеквизита>"
        for name, value in requisites.items()
    )
    return (
        '<?xml version="1.0" encoding="windows-1251"?>'
        '<КоммерческаяИнформация ВерсияСхемы="2.05">'
        f"<Документ><Ид>{number}</Ид><Номер>{number}</Номер><ХозОперация>Заказ товара"
        f"</ХозОперация><ЗначенияРеквизитов>{values}</ЗначенияРеквизитов></Документ>"
        "</КоммерческаяИнформация>"
    ).encode("cp1251")


def test_statuses_from_1c_move_the_order_step_by_step(one_c: OneCClient, order: Order) -> None:
    one_c.checkauth("sale")
    one_c.init("sale")

    answer = one_c.sale_file(
        "orders.xml", status_file(order.number, **{"Статус заказа": "Отгружен"})
    )

    assert answer[0] == "success"
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    steps = list(
        OrderStatusChange.objects.filter(order=order).values_list("from_status", "to_status")
    )
    assert steps[-2:] == [("submitted", "accepted"), ("accepted", "shipped")]

    # The same file again changes nothing; an older status does not move it back.
    one_c.sale_file("orders.xml", status_file(order.number, **{"Статус заказа": "Отгружен"}))
    one_c.sale_file("orders.xml", status_file(order.number, Проведен="true"))
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    assert OrderStatusChange.objects.filter(order=order).count() == len(steps)


@pytest.mark.parametrize(
    ("requisites", "status"),
    [
        ({"Проведен": "true"}, OrderStatus.ACCEPTED),
        ({"Статус заказа": "[N] Принят"}, OrderStatus.ACCEPTED),
        ({"Статус заказа": "На согласовании"}, OrderStatus.SUBMITTED),
        ({"Отменен": "true"}, OrderStatus.CANCELLED),
        ({"Статус заказа": "Закрыт"}, OrderStatus.CLOSED),
        ({"Статус заказа": "К выполнению / резервировать"}, OrderStatus.IN_ASSEMBLY),
        ({"Статус заказа": "[F] Выполнен"}, OrderStatus.CLOSED),
        ({"Статус заказа": "Отклонен"}, OrderStatus.REJECTED),
    ],
)
def test_1c_words_for_statuses(
    one_c: OneCClient, order: Order, requisites: dict[str, str], status: str
) -> None:
    one_c.checkauth("sale")
    one_c.init("sale")
    one_c.sale_file("orders.xml", status_file(order.number, **requisites))
    order.refresh_from_db()
    assert order.status == status


def test_an_unknown_order_or_a_refused_step_is_reported(one_c: OneCClient, order: Order) -> None:
    one_c.checkauth("sale")
    one_c.init("sale")
    one_c.sale_file("a.xml", status_file(order.number, **{"Статус заказа": "Закрыт"}))

    answer = one_c.sale_file("b.xml", status_file(order.number, Отменен="true"))
    missing = one_c.sale_file("c.xml", status_file("NO-SUCH-1", Проведен="true"))

    assert "errors 1" in answer[1]
    order.refresh_from_db()
    assert order.status == OrderStatus.CLOSED
    assert "NO-SUCH-1" in "\n".join(missing)


def test_a_broken_status_file_changes_nothing(one_c: OneCClient, order: Order) -> None:
    one_c.checkauth("sale")
    one_c.init("sale")
    broken = status_file(order.number, Проведен="true")[:-30]
    with pytest.raises(ExchangeFailed, match="well-formed"):
        one_c.sale_file("orders.xml", broken)
    order.refresh_from_db()
    assert order.status == OrderStatus.SUBMITTED


def test_query_counts_do_not_grow_with_orders(
    one_c: OneCClient, order: Order, partner_a: Partner, partner_admin: User
) -> None:
    one_c.checkauth("sale")
    one_c.init("sale")

    def queries_of_one_query() -> int:
        with CaptureQueriesContext(connection) as captured:
            one_c._call("sale", "query")
        return len(captured)

    few = queries_of_one_query()
    for _n in range(4):
        announced(placed_order(partner_a, partner_admin, lines=3))
    many = queries_of_one_query()

    assert len(_documents(one_c._call("sale", "query")[1])) == 5
    assert many == few


def test_1c_sees_and_acknowledges_only_its_own_copies(
    one_c: OneCClient, onec: Integration, partner_a: Partner, partner_admin: User
) -> None:
    erp = integration_create(name="ERP", kind=IntegrationKind.ERP_API, actor=None)
    other_1c = integration_create(
        name="1C, second base", kind=IntegrationKind.ONEC, actor=None, login="other-1c"
    )
    order = placed_order(partner_a, partner_admin, lines=1)
    copies = {
        m.integration_id: m
        for m in OutboxMessage.objects.filter(object_id=str(order.pk), topic=Topic.ORDER_SUBMITTED)
    }
    assert set(copies) == {onec.pk, erp.pk, other_1c.pk}
    (document,) = _documents(one_c.sale_query())
    assert document.findtext("Номер") == order.number
    one_c.sale_success()
    assert _documents(one_c.sale_query()) == []

    for integration, status in ((onec, "delivered"), (erp, "pending"), (other_1c, "pending")):
        copies[integration.pk].refresh_from_db()
        assert copies[integration.pk].status == status, integration

    # Even given another integration's message ids, 1C's success changes only its own.
    others = [copies[erp.pk].pk, copies[other_1c.pk].pk]
    assert sale.orders_acknowledge(integration=onec, message_ids=others) == 0
    assert set(OutboxMessage.objects.filter(pk__in=others).values_list("status", flat=True)) == {
        MessageStatus.PENDING
    }
