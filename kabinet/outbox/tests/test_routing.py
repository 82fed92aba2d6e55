"""Outbox routing: a change is written once per active integration that takes its topic (a
generic ERP every topic, 1C the orders), and a message nobody takes yet waits unrouted for
the first integration created or switched on that takes it, in that integration's
transaction. The order page's sync state sums up the active integrations' copies."""

import pytest
from django.db import transaction

from kabinet.accounts.models import AuditEvent, AuditKind, User
from kabinet.integrations.models import Integration, IntegrationKind
from kabinet.integrations.services import integration_create, integration_set_active
from kabinet.orders.statuses import order_cancel
from kabinet.orders.tests.factories import placed_order
from kabinet.outbox.models import MessageStatus, OutboxMessage, Topic
from kabinet.outbox.selectors import SyncState, order_sync_state
from kabinet.outbox.services import outbox_route_unrouted, outbox_write
from kabinet.partners.models import Partner
from kabinet.partners.services import contact_create

pytestmark = pytest.mark.django_db


def _erp(name: str = "ERP") -> Integration:
    return integration_create(name=name, kind=IntegrationKind.ERP_API, actor=None)


def _onec(name: str = "1C") -> Integration:
    return integration_create(name=name, kind=IntegrationKind.ONEC, actor=None, login=name)


def _copies(object_type: str, object_id: int) -> dict[int | None, OutboxMessage]:
    messages = OutboxMessage.objects.filter(object_type=object_type, object_id=str(object_id))
    return {message.integration_id: message for message in messages}


def test_an_order_is_written_once_per_integration_with_its_own_key(
    partner_a: Partner, partner_user: User
) -> None:
    erp, onec = _erp(), _onec()
    order = placed_order(partner_a, partner_user, lines=1)
    copies = _copies("order", order.pk)
    assert set(copies) == {erp.pk, onec.pk}
    assert copies[erp.pk].key != copies[onec.pk].key
    assert copies[erp.pk].payload == copies[onec.pk].payload
    assert {m.topic for m in copies.values()} == {Topic.ORDER_SUBMITTED}
    assert {m.status for m in copies.values()} == {MessageStatus.PENDING}

    order_cancel(partner=partner_a, order_id=order.pk, actor=partner_user, note="")
    cancelled = OutboxMessage.objects.filter(topic=Topic.ORDER_CANCELLED)
    assert set(cancelled.values_list("integration_id", flat=True)) == {erp.pk, onec.pk}


def test_1c_gets_only_the_order_topics(partner_a: Partner) -> None:
    erp, onec = _erp(), _onec()
    contact = contact_create(partner=partner_a, full_name="Anna")
    assert set(_copies("contact", contact.pk)) == {erp.pk}
    assert not OutboxMessage.objects.filter(integration=onec).exists()
    assert onec.topics() == [Topic.ORDER_SUBMITTED, Topic.ORDER_CANCELLED]
    assert erp.topics() == list(Topic.values)


def test_a_message_nobody_takes_waits_unrouted_and_goes_to_the_first_that_does(
    partner_a: Partner, partner_user: User, staff_manager: User
) -> None:
    order = placed_order(partner_a, partner_user, lines=1)
    contact = contact_create(partner=partner_a, full_name="Anna")
    assert set(_copies("order", order.pk)) == {None}
    assert set(_copies("contact", contact.pk)) == {None}

    # 1C takes the order, not the contact: that one waits for an ERP that takes it.
    onec = _onec()
    assert set(_copies("order", order.pk)) == {onec.pk}
    assert set(_copies("contact", contact.pk)) == {None}
    erp = integration_create(name="ERP", kind=IntegrationKind.ERP_API, actor=staff_manager)
    assert set(_copies("order", order.pk)) == {onec.pk}, "not taken from 1C again"
    assert set(_copies("contact", contact.pk)) == {erp.pk}
    assert not OutboxMessage.objects.filter(integration__isnull=True).exists()
    assert outbox_route_unrouted() == 0


def test_an_integration_created_in_a_transaction_that_rolls_back_takes_nothing(
    partner_a: Partner,
) -> None:
    contact = contact_create(partner=partner_a, full_name="Anna")

    class Abandoned(Exception):
        pass

    def create_then_fail() -> None:
        with transaction.atomic():
            _erp()
            assert set(_copies("contact", contact.pk)) != {None}
            raise Abandoned

    with pytest.raises(Abandoned):
        create_then_fail()
    assert not Integration.objects.exists()
    assert set(_copies("contact", contact.pk)) == {None}


def test_a_switched_off_integration_keeps_its_pending_messages_and_gets_no_new_ones(
    partner_a: Partner, staff_manager: User
) -> None:
    first, second = _erp("First"), _erp("Second")
    before = contact_create(partner=partner_a, full_name="Before")
    integration_set_active(integration=second, is_active=False, actor=staff_manager)
    assert AuditEvent.objects.filter(
        kind=AuditKind.INTEGRATION_CHANGED, actor=staff_manager
    ).exists()
    during = contact_create(partner=partner_a, full_name="During")
    assert set(_copies("contact", before.pk)) == {first.pk, second.pk}
    assert _copies("contact", before.pk)[second.pk].status == MessageStatus.PENDING
    assert set(_copies("contact", during.pk)) == {first.pk}, "the active one only"

    integration_set_active(integration=second, is_active=True, actor=staff_manager)
    assert _copies("contact", before.pk)[second.pk].status == MessageStatus.PENDING
    assert set(_copies("contact", during.pk)) == {first.pk}, "not written again"


def test_with_every_taker_off_a_message_waits_for_one_to_be_switched_on(
    partner_a: Partner,
) -> None:
    erp = _erp()
    integration_set_active(integration=erp, is_active=False, actor=None)
    contact = contact_create(partner=partner_a, full_name="Anna")
    assert set(_copies("contact", contact.pk)) == {None}
    integration_set_active(integration=erp, is_active=False, actor=None)  # no change
    assert set(_copies("contact", contact.pk)) == {None}
    integration_set_active(integration=erp, is_active=True, actor=None)
    assert set(_copies("contact", contact.pk)) == {erp.pk}


def test_a_message_written_as_an_integration_appeared_is_routed_by_the_safety_net(
    partner_a: Partner,
) -> None:
    # What a transaction that began before the integration committed leaves behind.
    erp = _erp()
    with transaction.atomic():
        [message] = outbox_write(
            topic=Topic.CONTACT_CHANGED, object_type="contact", object_id=1, payload={}
        )
    OutboxMessage.objects.filter(pk=message.pk).update(integration=None)
    assert outbox_route_unrouted() == 1
    message.refresh_from_db()
    assert message.integration_id == erp.pk


def test_the_order_sync_state_sums_up_the_active_integrations_copies(
    partner_a: Partner, partner_user: User
) -> None:
    erp, onec = _erp(), _onec()
    order = placed_order(partner_a, partner_user, lines=1)
    copies = _copies("order", order.pk)

    def state() -> str:
        sync = order_sync_state(order=order)
        assert sync is not None
        assert {m.integration_id for m in sync.deliveries} == {erp.pk, onec.pk}
        return sync.state

    assert state() == SyncState.WAITING
    OutboxMessage.objects.filter(pk=copies[erp.pk].pk).update(status=MessageStatus.DELIVERED)
    assert state() == SyncState.SENT, "the supplier has it, though 1C has not asked yet"
    OutboxMessage.objects.filter(pk=copies[onec.pk].pk).update(status=MessageStatus.FAILED)
    assert state() == SyncState.FAILED, "a failed copy shows: the supplier has to act"
    integration_set_active(integration=onec, is_active=False, actor=None)
    assert state() == SyncState.SENT, "a switched-off integration's copy does not count"
    integration_set_active(integration=erp, is_active=False, actor=None)
    assert state() == SyncState.FAILED, "unless no active one has a copy"
