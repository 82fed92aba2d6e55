"""End to end: the scripted 1C client talks HTTP to a live server (the real protocol view,
the real middleware stack), through `manage.py onec_exchange` as a user would run it."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from pytest_django.live_server_helper import LiveServer

from kabinet.catalog.models import Price, Product, Variant
from kabinet.integrations.models import IntegrationKind
from kabinet.integrations.onec.client_1c import OneCClient, http_transport
from kabinet.integrations.onec.tests.conftest import LOGIN, PASSWORD, SAMPLES
from kabinet.integrations.onec.tests.test_sale import announced, status_file
from kabinet.integrations.services import integration_create
from kabinet.orders.models import OrderStatus
from kabinet.orders.tests.factories import placed_order
from kabinet.outbox.models import MessageStatus, OutboxMessage

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_whole_exchange_over_http(
    live_server: LiveServer, tmp_path: Path, partner_a: object, partner_admin: object
) -> None:
    integration_create(
        name="1C live", kind=IntegrationKind.ONEC, actor=None, login=LOGIN, password=PASSWORD
    )
    url = f"{live_server.url}/exchange/1c/"
    order = placed_order(partner_a, partner_admin, lines=2)  # type: ignore[arg-type]
    announced(order)

    # Plain files in small chunks, as the command does it.
    out = StringIO()
    orders_file = tmp_path / "orders.xml"
    call_command(
        "onec_exchange",
        str(SAMPLES / "import.xml"),
        str(SAMPLES / "offers.xml"),
        "--url", url, "--login", LOGIN, "--password", PASSWORD,
        "--no-zip", "--chunk", "2000", "--orders", str(orders_file), "--ack",
        stdout=out,
    )  # fmt: skip
    log = out.getvalue()
    assert "catalog/checkauth: 200 success" in log
    assert log.count("catalog/file: 200 success") >= 8  # two files of ~7 kB in 2 kB chunks
    assert Product.objects.filter(erp_id__startswith="1c").count() == 3
    assert Variant.objects.filter(product__erp_id__startswith="1c").count() == 5
    assert Price.objects.filter(variant__product__erp_id__startswith="1c").count() == 8
    assert order.number.encode() in orders_file.read_bytes()
    assert OutboxMessage.objects.get(object_id=str(order.pk)).status == MessageStatus.DELIVERED

    # Then as 1C with zip=yes: one archive, and the statuses of the order back.
    client = OneCClient(http_transport(url), login=LOGIN, password=PASSWORD)
    answers = client.catalog([SAMPLES / "import.xml", SAMPLES / "offers.xml"])
    assert answers.count("success") == 2
    assert client.zip  # the server said zip=yes, so the files went as one archive
    client.checkauth("sale")
    client.init("sale")
    client.sale_file("orders.xml", status_file(order.number, **{"Статус заказа": "К выполнению"}))
    order.refresh_from_db()
    assert order.status == OrderStatus.IN_ASSEMBLY
