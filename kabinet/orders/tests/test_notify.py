"""The partner's manager hears of a submitted order by e-mail, after commit; drafts are quiet."""

import uuid
from decimal import Decimal

import pytest
from django.core import mail
from django.test import override_settings
from django_tasks_db.models import DBTaskResult
from pytest_django import DjangoCaptureOnCommitCallbacks

from kabinet.accounts.models import User
from kabinet.catalog.models import PriceList
from kabinet.notifications.tasks import email_send
from kabinet.orders.checkout import OrderDetails, order_place
from kabinet.orders.services import cart_lines_add
from kabinet.orders.statuses import order_submit
from kabinet.orders.tests.factories import priced_variants
from kabinet.partners.models import Agreement, Partner

pytestmark = pytest.mark.django_db


def _run_queued_mail() -> None:
    """What the worker does with the queued e-mail tasks."""
    for result in DBTaskResult.objects.filter(task_path=email_send.module_path):
        email_send.call(*result.args_kwargs["args"], **result.args_kwargs["kwargs"])
        result.delete()


def _place(
    partner: Partner, user: User, agreement: Agreement, price_list: PriceList, *, submit: bool
) -> int:
    variants = priced_variants(price_list, 2)
    cart_lines_add(
        partner=partner,
        user=user,
        agreement=agreement,
        quantities={v.pk: Decimal(3) for v in variants},
    )
    details = OrderDetails(
        counterparty=agreement.counterparty,
        agreement=agreement,
        delivery_address=partner.delivery_addresses.first(),
        desired_date=None,
        po_number="PO-42",
        comment="",
    )
    order, _ = order_place(
        partner=partner, user=user, details=details, checkout_key=uuid.uuid4(), submit=submit
    )
    return order.pk


def test_a_submitted_order_is_mailed_to_the_partners_manager(
    partner_a: Partner,
    partner_user: User,
    agreement_a: Agreement,
    price_list_a: PriceList,
    staff_manager: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    Partner.objects.filter(pk=partner_a.pk).update(manager=staff_manager)
    partner_a.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        order_id = _place(partner_a, partner_user, agreement_a, price_list_a, submit=True)
    _run_queued_mail()

    [message] = mail.outbox
    assert message.to == [staff_manager.email]
    number = f"K-{order_id:06d}"
    assert number in message.subject
    assert partner_a.name in message.subject
    assert "PO-42" in message.body
    assert f"/staff/orders/{order_id}/" in message.body


def test_a_draft_is_not_mailed_until_it_is_submitted(
    partner_a: Partner,
    partner_user: User,
    agreement_a: Agreement,
    price_list_a: PriceList,
    staff_manager: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    Partner.objects.filter(pk=partner_a.pk).update(manager=staff_manager)
    partner_a.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        order_id = _place(partner_a, partner_user, agreement_a, price_list_a, submit=False)
    _run_queued_mail()
    assert mail.outbox == []

    with django_capture_on_commit_callbacks(execute=True):
        order_submit(partner=partner_a, order_id=order_id, actor=partner_user)
    _run_queued_mail()

    assert [m.to for m in mail.outbox] == [[staff_manager.email]]


@pytest.mark.parametrize("fallback", ["", "orders@medtech.example"])
def test_without_a_manager_the_fallback_address_or_nobody(
    partner_a: Partner,
    partner_user: User,
    agreement_a: Agreement,
    price_list_a: PriceList,
    fallback: str,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    Partner.objects.filter(pk=partner_a.pk).update(manager=None)
    partner_a.refresh_from_db()
    with (
        override_settings(ORDERS_NOTIFY_EMAIL=fallback),
        django_capture_on_commit_callbacks(execute=True),
    ):
        _place(partner_a, partner_user, agreement_a, price_list_a, submit=True)
    _run_queued_mail()

    assert [m.to for m in mail.outbox] == ([[fallback]] if fallback else [])
