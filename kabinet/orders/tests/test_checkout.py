"""Placing orders from the cart, drafts and copying back (ORD4, ORD6): kabinet.orders.checkout."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from kabinet.accounts.models import AuditEvent, AuditKind, User
from kabinet.catalog.models import Price, PriceList
from kabinet.orders.checkout import (
    AlreadyPlaced,
    OrderDetails,
    order_copy_to_cart,
    order_draft_update,
    order_place,
)
from kabinet.orders.models import CartLine, Order, OrderStatus
from kabinet.orders.services import cart_lines_add
from kabinet.orders.statuses import TransitionRefused, order_submit
from kabinet.orders.tests.factories import placed_order, priced_variants
from kabinet.partners.models import Agreement, Partner
from kabinet.partners.tests.factories import AgreementFactory


def _fill_cart(
    partner: Partner, user: User, agreement: Agreement, price_list: PriceList, count: int = 3
) -> list[int]:
    variants = priced_variants(price_list, count, price="12.50")
    cart_lines_add(
        partner=partner,
        user=user,
        agreement=agreement,
        quantities={variant.pk: Decimal(2) for variant in variants},
    )
    return [variant.pk for variant in variants]


def _details(agreement: Agreement, **changes: object) -> OrderDetails:
    fields: dict[str, object] = {
        "counterparty": agreement.counterparty,
        "agreement": agreement,
        "delivery_address": agreement.partner.delivery_addresses.first(),
        **changes,
    }
    return OrderDetails(**fields)  # type: ignore[arg-type]


def test_submitting_turns_the_cart_into_an_order_at_the_agreements_prices(
    partner_a: Partner, partner_user: User, agreement_a: Agreement, price_list_a: PriceList
) -> None:
    variant_ids = _fill_cart(partner_a, partner_user, agreement_a, price_list_a)
    order, created = order_place(
        partner=partner_a,
        user=partner_user,
        details=_details(agreement_a, po_number=" PO-7 ", comment="До обеда"),
        checkout_key=uuid.uuid4(),
        submit=True,
    )
    assert created
    assert order.status == OrderStatus.SUBMITTED
    assert order.number == f"K-{order.pk:06d}"
    assert order.submitted_at is not None
    assert (order.total, order.line_count, order.currency) == (Decimal("75.00"), 3, "RUB")
    assert order.po_number == "PO-7"
    assert order.delivery_address_text == str(partner_a.delivery_addresses.first())
    lines = list(order.lines.order_by("position"))
    assert [line.variant_id for line in lines] == variant_ids
    assert {(line.price, line.quantity, line.amount) for line in lines} == {
        (Decimal("12.50"), Decimal(2), Decimal("25.00"))
    }
    assert not CartLine.objects.filter(cart__user=partner_user).exists()
    history = list(order.status_changes.values_list("from_status", "to_status", "actor"))
    assert history == [("", "submitted", partner_user.pk)]
    event = AuditEvent.objects.get(kind=AuditKind.ORDER_SUBMITTED)
    assert (event.partner_id, event.details["order"]) == (partner_a.pk, order.number)


def test_a_draft_is_saved_not_submitted(
    partner_a: Partner, partner_user: User, agreement_a: Agreement, price_list_a: PriceList
) -> None:
    _fill_cart(partner_a, partner_user, agreement_a, price_list_a)
    order, _ = order_place(
        partner=partner_a,
        user=partner_user,
        details=_details(agreement_a),
        checkout_key=uuid.uuid4(),
        submit=False,
    )
    assert order.status == OrderStatus.DRAFT
    assert order.submitted_at is None
    assert AuditEvent.objects.filter(kind=AuditKind.ORDER_DRAFT_SAVED).count() == 1
    assert not AuditEvent.objects.filter(kind=AuditKind.ORDER_SUBMITTED).exists()


def test_the_same_checkout_key_gives_back_the_first_order(
    partner_a: Partner, partner_user: User, agreement_a: Agreement, price_list_a: PriceList
) -> None:
    _fill_cart(partner_a, partner_user, agreement_a, price_list_a)
    key = uuid.uuid4()
    first, created = order_place(
        partner=partner_a,
        user=partner_user,
        details=_details(agreement_a),
        checkout_key=key,
        submit=True,
    )
    again, created_again = order_place(
        partner=partner_a,
        user=partner_user,
        details=_details(agreement_a),
        checkout_key=key,
        submit=True,
    )
    assert (created, created_again) == (True, False)
    assert again.pk == first.pk
    assert Order.objects.count() == 1
    assert AuditEvent.objects.filter(kind=AuditKind.ORDER_SUBMITTED).count() == 1


def test_another_key_after_the_cart_was_ordered_is_told_so(
    partner_a: Partner, partner_user: User, agreement_a: Agreement, price_list_a: PriceList
) -> None:
    _fill_cart(partner_a, partner_user, agreement_a, price_list_a)
    first, _ = order_place(
        partner=partner_a,
        user=partner_user,
        details=_details(agreement_a),
        checkout_key=uuid.uuid4(),
        submit=True,
    )
    with pytest.raises(AlreadyPlaced) as refused:
        order_place(
            partner=partner_a,
            user=partner_user,
            details=_details(agreement_a),
            checkout_key=uuid.uuid4(),
            submit=True,
        )
    assert refused.value.order == first
    assert Order.objects.count() == 1


def test_an_empty_cart_cannot_be_ordered(
    partner_a: Partner, partner_user: User, agreement_a: Agreement
) -> None:
    with pytest.raises(ValidationError, match="empty"):
        order_place(
            partner=partner_a,
            user=partner_user,
            details=_details(agreement_a),
            checkout_key=uuid.uuid4(),
            submit=True,
        )
    assert not Order.objects.exists()


def test_lines_not_on_sale_under_the_chosen_agreement_are_named_and_nothing_changes(
    partner_a: Partner, partner_user: User, agreement_a: Agreement, price_list_a: PriceList
) -> None:
    variant_ids = _fill_cart(partner_a, partner_user, agreement_a, price_list_a)
    Price.objects.filter(variant_id=variant_ids[1]).delete()
    with pytest.raises(ValidationError, match="Not on sale") as refused:
        order_place(
            partner=partner_a,
            user=partner_user,
            details=_details(agreement_a),
            checkout_key=uuid.uuid4(),
            submit=True,
        )
    assert refused.value.messages[0].count("BULK-") == 1
    assert not Order.objects.exists()
    assert CartLine.objects.filter(cart__user=partner_user).count() == 3


def test_details_of_another_partner_are_refused(
    partner_a: Partner,
    partner_b: Partner,
    partner_user: User,
    agreement_a: Agreement,
    price_list_a: PriceList,
) -> None:
    _fill_cart(partner_a, partner_user, agreement_a, price_list_a)
    foreign = partner_b.agreements.get(is_main=True)
    for details in (
        _details(foreign),
        OrderDetails(counterparty=agreement_a.counterparty, agreement=foreign),
        _details(agreement_a, delivery_address=partner_b.delivery_addresses.first()),
    ):
        with pytest.raises(ValidationError):
            order_place(
                partner=partner_a,
                user=partner_user,
                details=details,
                checkout_key=uuid.uuid4(),
                submit=True,
            )
    assert not Order.objects.exists()
    assert CartLine.objects.filter(cart__user=partner_user).count() == 3


def test_expired_agreements_and_past_dates_are_refused(
    partner_a: Partner, partner_user: User, agreement_a: Agreement, price_list_a: PriceList
) -> None:
    _fill_cart(partner_a, partner_user, agreement_a, price_list_a)
    yesterday = timezone.localdate() - timedelta(days=1)
    expired = AgreementFactory.create(
        counterparty=agreement_a.counterparty,
        price_list=agreement_a.price_list,
        valid_until=yesterday,
    )
    with pytest.raises(ValidationError) as refused:
        order_place(
            partner=partner_a,
            user=partner_user,
            details=_details(expired),
            checkout_key=uuid.uuid4(),
            submit=True,
        )
    assert "agreement" in refused.value.error_dict
    with pytest.raises(ValidationError) as refused:
        order_place(
            partner=partner_a,
            user=partner_user,
            details=_details(agreement_a, desired_date=yesterday),
            checkout_key=uuid.uuid4(),
            submit=True,
        )
    assert "desired_date" in refused.value.error_dict
    assert not Order.objects.exists()


def test_a_draft_changes_quantities_and_is_repriced_then_submitted(
    partner_a: Partner, partner_user: User, price_list_a: PriceList
) -> None:
    draft = placed_order(partner_a, partner_user, lines=3, submit=False)
    first, second, third = draft.lines.order_by("position")
    Price.objects.filter(variant=first.variant).update(amount=Decimal("50.00"))
    agreement = partner_a.agreements.get(is_main=True)
    order = order_draft_update(
        partner=partner_a,
        user=partner_user,
        order_id=draft.pk,
        details=_details(agreement, comment="Новый комментарий"),
        quantities={first.pk: Decimal(4), second.pk: Decimal(0), third.pk: third.quantity},
    )
    assert order.comment == "Новый комментарий"
    assert list(order.lines.order_by("position").values_list("quantity", "price")) == [
        (Decimal(4), Decimal("50.00")),
        (Decimal(3), Decimal("100.00")),
    ]
    assert (order.total, order.line_count) == (Decimal("500.00"), 2)
    submitted = order_submit(partner=partner_a, order_id=draft.pk, actor=partner_user)
    assert submitted.status == OrderStatus.SUBMITTED
    with pytest.raises(TransitionRefused):
        order_draft_update(
            partner=partner_a,
            user=partner_user,
            order_id=draft.pk,
            details=_details(agreement),
            quantities={},
        )


def test_a_draft_keeps_at_least_one_line(partner_a: Partner, partner_user: User) -> None:
    draft = placed_order(partner_a, partner_user, lines=1, submit=False)
    line = draft.lines.get()
    with pytest.raises(ValidationError, match="at least one line"):
        order_draft_update(
            partner=partner_a,
            user=partner_user,
            order_id=draft.pk,
            details=_details(partner_a.agreements.get(is_main=True)),
            quantities={line.pk: Decimal(0)},
        )
    assert draft.lines.count() == 1


def test_submitting_a_draft_with_goods_taken_off_sale_is_refused(
    partner_a: Partner, partner_user: User
) -> None:
    draft = placed_order(partner_a, partner_user, lines=2, submit=False)
    line = draft.lines.first()
    assert line is not None
    Price.objects.filter(variant=line.variant).delete()
    with pytest.raises(ValidationError, match="No longer on sale"):
        order_submit(partner=partner_a, order_id=draft.pk, actor=partner_user)
    draft.refresh_from_db()
    assert draft.status == OrderStatus.DRAFT


def test_copying_an_order_into_the_cart_merges_and_names_what_is_not_on_sale(
    partner_a: Partner, partner_user: User, agreement_a: Agreement
) -> None:
    order = placed_order(partner_a, partner_user, lines=3)
    gone = order.lines.order_by("position").last()
    assert gone is not None
    Price.objects.filter(variant=gone.variant).delete()
    added, left_out = order_copy_to_cart(
        partner=partner_a, user=partner_user, order=order, agreement=agreement_a
    )
    assert (added, left_out) == (2, [gone.sku])
    quantities = dict(
        CartLine.objects.filter(cart__user=partner_user).values_list("variant_id", "quantity")
    )
    assert quantities == {
        line.variant_id: line.quantity for line in order.lines.exclude(pk=gone.pk)
    }
