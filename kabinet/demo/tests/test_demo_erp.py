"""The demo's ERP: `manage.py fake_erp` (as `make run` starts it) finds the demo
integration's signing secret in the database and accepts the relay's deliveries."""

import subprocess
import sys
import time
from contextlib import suppress
from pathlib import Path

import httpx
import pytest
from django.conf import settings

from kabinet.accounts.models import User
from kabinet.demo.erp import DEMO_ERP_NAME, demo_erp_ensure
from kabinet.integrations.erp.relay import relay_run
from kabinet.integrations.models import Integration
from kabinet.orders.tests.factories import placed_order
from kabinet.outbox.models import MessageStatus, OutboxMessage
from kabinet.partners.models import Partner
from tests.processes import free_port, process_env


@pytest.mark.django_db(transaction=True)
def test_an_order_in_the_demo_is_delivered_to_the_fake_erp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, partner_a: Partner, partner_user: User
) -> None:
    port = free_port()
    monkeypatch.setenv("FAKE_ERP_PORT", str(port))
    integration = demo_erp_ensure()
    assert demo_erp_ensure() == integration
    assert Integration.objects.filter(name=DEMO_ERP_NAME).count() == 1
    assert integration.outbound_url == f"http://127.0.0.1:{port}/outbox"

    env = process_env(tmp_path)
    command = [sys.executable, str(settings.BASE_DIR / "manage.py"), "fake_erp"]
    command += ["--port", str(port), "--db", str(tmp_path / "erp.sqlite3")]
    with (tmp_path / "erp.log").open("wb") as log:
        server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 30
            while True:
                with suppress(httpx.HTTPError):
                    if httpx.get(f"http://127.0.0.1:{port}/control").status_code == 200:
                        break
                output = (tmp_path / "erp.log").read_text()
                assert server.poll() is None, output
                assert time.monotonic() < deadline, output
                time.sleep(0.1)
            order = placed_order(partner_a, partner_user, lines=1)
            assert relay_run()["delivered"] >= 1
            message = OutboxMessage.objects.get(object_type="order", object_id=str(order.pk))
            assert message.status == MessageStatus.DELIVERED, message.last_error
            effects = httpx.get(f"http://127.0.0.1:{port}/effects").json()["effects"]
            assert str(message.key) in {effect["key"] for effect in effects}
        finally:
            server.kill()
            server.wait(timeout=30)
