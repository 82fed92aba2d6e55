"""outbox 0002: the messages written before routing go to the integration that would have
received them (the push target if it takes the topic, else the oldest active integration
that does), or stay unrouted."""

from collections.abc import Iterator

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("outbox", "0001_initial")]
AFTER = [("outbox", "0002_outboxmessage_integration")]


def _state_before(executor: MigrationExecutor) -> list[tuple[str, str]]:
    """outbox before routing, every other app as it is (integrations' models included)."""
    others = [node for node in executor.loader.graph.leaf_nodes() if node[0] != "outbox"]
    return [*others, *BEFORE]


@pytest.fixture
def executor(transactional_db: None) -> Iterator[MigrationExecutor]:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    executor.loader.build_graph()
    yield executor
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_existing_messages_go_to_the_integration_that_would_have_received_them(
    executor: MigrationExecutor,
) -> None:
    apps = executor.loader.project_state(_state_before(executor)).apps
    integration_model = apps.get_model("integrations", "Integration")
    message_model = apps.get_model("outbox", "OutboxMessage")
    onec = integration_model.objects.create(name="1C", kind="onec", login="1c")
    integration_model.objects.create(name="Old", kind="erp_api", is_active=False)
    pushed = integration_model.objects.create(
        name="Pushed", kind="erp_api", outbound_url="http://127.0.0.1:9/"
    )
    for topic in ("order.submitted", "partner.contact_changed"):
        message_model.objects.create(topic=topic, object_type="x", object_id="1", payload={})

    executor.migrate(AFTER)
    apps = MigrationExecutor(connection).loader.project_state(AFTER).apps
    routed = dict(
        apps.get_model("outbox", "OutboxMessage").objects.values_list("topic", "integration_id")
    )
    assert routed == {"order.submitted": pushed.pk, "partner.contact_changed": pushed.pk}
    assert onec.pk not in routed.values()


def test_without_a_push_target_the_oldest_active_taker_gets_them_or_nobody(
    executor: MigrationExecutor,
) -> None:
    apps = executor.loader.project_state(_state_before(executor)).apps
    integration_model = apps.get_model("integrations", "Integration")
    message_model = apps.get_model("outbox", "OutboxMessage")
    onec = integration_model.objects.create(name="1C", kind="onec", login="1c")
    for topic in ("order.cancelled", "partner.address_changed"):
        message_model.objects.create(topic=topic, object_type="x", object_id="1", payload={})

    executor.migrate(AFTER)
    apps = MigrationExecutor(connection).loader.project_state(AFTER).apps
    routed = dict(
        apps.get_model("outbox", "OutboxMessage").objects.values_list("topic", "integration_id")
    )
    assert routed == {"order.cancelled": onec.pk, "partner.address_changed": None}
