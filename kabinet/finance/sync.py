"""Invoices and payments from the ERP: bulk, idempotent upserts keyed by the ERP's ids.

The ERP is the book of record: it sends each invoice's amount and how much of it is paid,
and the status follows from those (`invoice_status`), so it can never disagree with them.
References are by ERP id and must belong together: the counterparty, agreement, order and
invoice named must all be the partner's own.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import models, transaction
from django.utils.translation import gettext as _

from kabinet.finance.models import Invoice, InvoiceStatus, Payment
from kabinet.orders.models import Order
from kabinet.orders.sync import decimal_fits
from kabinet.partners.models import Agreement, Counterparty, Partner
from kabinet.partners.sync import (
    BatchOutcome,
    ItemOutcome,
    ItemRefused,
    OutcomeStatus,
    counterparty_check,
    record_exchange,
)


@dataclass(frozen=True)
class InvoiceData:
    erp_id: str
    partner_erp_id: str
    counterparty_erp_id: str
    number: str
    issued_on: date
    currency: str
    amount: Decimal
    paid_amount: Decimal = Decimal("0.00")
    due_on: date | None = None
    agreement_erp_id: str | None = None
    order_erp_id: str | None = None
    cancelled: bool = False


@dataclass(frozen=True)
class PaymentData:
    erp_id: str
    partner_erp_id: str
    counterparty_erp_id: str
    number: str
    paid_on: date
    currency: str
    amount: Decimal
    invoice_erp_id: str | None = None


def invoice_status(*, amount: Decimal, paid_amount: Decimal, cancelled: bool) -> InvoiceStatus:
    if cancelled:
        return InvoiceStatus.CANCELLED
    if paid_amount >= amount:
        return InvoiceStatus.PAID
    if paid_amount > 0:
        return InvoiceStatus.PARTLY_PAID
    return InvoiceStatus.OPEN


def _by_erp_id[M: models.Model](model: type[M], erp_ids: set[str]) -> dict[str, M]:
    return {obj.erp_id: obj for obj in model._default_manager.filter(erp_id__in=erp_ids)}  # type: ignore[attr-defined]


def _party(
    partner_erp_id: str,
    counterparty_erp_id: str,
    partners: dict[str, Partner],
    counterparties: dict[str, Counterparty],
) -> tuple[Partner, Counterparty]:
    partner = partners.get(partner_erp_id)
    if partner is None:
        raise ItemRefused("unknown_partner", _("No partner with this ERP id."))
    counterparty = counterparty_check(counterparties.get(counterparty_erp_id), partner)
    return partner, counterparty


def _amounts_check(*amounts: tuple[str, Decimal], positive: bool = False) -> None:
    for name, value in amounts:
        if not decimal_fits(value, places=2, max_digits=16, positive=positive):
            raise ItemRefused(
                "bad_number",
                _("%(name)s %(value)s: not negative, at most 2 decimal places and 14 digits.")
                % {"name": name, "value": value},
            )


def _save[M: models.Model](
    model: type[M],
    existing: M | None,
    partner: Partner,
    erp_id: str,
    values: dict[str, object],
) -> OutcomeStatus:
    """Create, update what differs, or leave alone; the outcome's status."""
    if existing is None:
        model._default_manager.create(partner=partner, erp_id=erp_id, **values)
        return "created"
    if existing.partner_id != partner.pk:  # type: ignore[attr-defined]
        raise ItemRefused(
            "partner_mismatch",
            _("This record belongs to another partner; it cannot move to a different one."),
        )
    changed = [name for name, value in values.items() if getattr(existing, name) != value]
    if not changed:
        return "unchanged"
    for name in changed:
        setattr(existing, name, values[name])
    existing.save(update_fields=[*changed, "updated_at"])
    return "updated"


def _unique[T: (InvoiceData, PaymentData)](
    items: Sequence[T], outcome: BatchOutcome
) -> list[tuple[int, T]]:
    seen: set[str] = set()
    unique: list[tuple[int, T]] = []
    for index, item in enumerate(items):
        if item.erp_id in seen:
            outcome.add(
                ItemOutcome(
                    index,
                    item.erp_id,
                    "error",
                    "duplicate_key",
                    _("The same ERP id twice in one batch."),
                )
            )
            continue
        seen.add(item.erp_id)
        unique.append((index, item))
    return unique


@transaction.atomic
def invoices_upsert(*, items: Sequence[InvoiceData], source: str) -> BatchOutcome:
    """Create or update invoices by ERP id; see the module docstring."""
    outcome = BatchOutcome()
    unique = _unique(items, outcome)
    partners = _by_erp_id(Partner, {item.partner_erp_id for _, item in unique})
    counterparties = _by_erp_id(Counterparty, {item.counterparty_erp_id for _, item in unique})
    agreements = _by_erp_id(
        Agreement, {item.agreement_erp_id for _, item in unique if item.agreement_erp_id}
    )
    orders = _by_erp_id(Order, {item.order_erp_id for _, item in unique if item.order_erp_id})
    existing = {
        invoice.erp_id: invoice
        for invoice in Invoice.objects.select_for_update()
        .filter(erp_id__in=[item.erp_id for _, item in unique])
        .order_by("pk")
    }
    for index, item in unique:
        try:
            partner, counterparty = _party(
                item.partner_erp_id, item.counterparty_erp_id, partners, counterparties
            )
            agreement = None
            if item.agreement_erp_id:
                agreement = agreements.get(item.agreement_erp_id)
                if agreement is None:
                    raise ItemRefused("unknown_agreement", _("No agreement with this ERP id."))
                if (
                    agreement.partner_id != partner.pk
                    or agreement.counterparty_id != counterparty.pk
                ):
                    raise ItemRefused(
                        "agreement_of_other_counterparty",
                        _("The agreement is not one of the invoice's counterparty."),
                    )
            order = None
            if item.order_erp_id:
                order = orders.get(item.order_erp_id)
                if order is None:
                    raise ItemRefused("unknown_order", _("No order with this ERP id."))
                if order.partner_id != partner.pk:
                    raise ItemRefused(
                        "order_of_other_partner", _("The order belongs to another partner.")
                    )
            _amounts_check(("amount", item.amount), ("paid_amount", item.paid_amount))
            if item.due_on and item.due_on < item.issued_on:
                raise ItemRefused("bad_due_date", _("The invoice is due before it is issued."))
            values: dict[str, object] = {
                "counterparty_id": counterparty.pk,
                "agreement_id": agreement.pk if agreement else None,
                "order_id": order.pk if order else None,
                "number": item.number,
                "issued_on": item.issued_on,
                "due_on": item.due_on,
                "currency": item.currency,
                "amount": item.amount,
                "paid_amount": item.paid_amount,
                "status": invoice_status(
                    amount=item.amount, paid_amount=item.paid_amount, cancelled=item.cancelled
                ).value,
            }
            status = _save(Invoice, existing.get(item.erp_id), partner, item.erp_id, values)
        except ItemRefused as refused:
            outcome.add(ItemOutcome(index, item.erp_id, "error", refused.code, refused.message))
            continue
        outcome.add(ItemOutcome(index, item.erp_id, status))
    outcome.items.sort(key=lambda item: item.index)
    record_exchange(source, "invoices", outcome)
    return outcome


@transaction.atomic
def payments_upsert(*, items: Sequence[PaymentData], source: str) -> BatchOutcome:
    """Create or update payments by ERP id. An invoice named must be the partner's and in
    the payment's currency."""
    outcome = BatchOutcome()
    unique = _unique(items, outcome)
    partners = _by_erp_id(Partner, {item.partner_erp_id for _, item in unique})
    counterparties = _by_erp_id(Counterparty, {item.counterparty_erp_id for _, item in unique})
    invoices = _by_erp_id(
        Invoice, {item.invoice_erp_id for _, item in unique if item.invoice_erp_id}
    )
    existing = {
        payment.erp_id: payment
        for payment in Payment.objects.select_for_update()
        .filter(erp_id__in=[item.erp_id for _, item in unique])
        .order_by("pk")
    }
    for index, item in unique:
        try:
            partner, counterparty = _party(
                item.partner_erp_id, item.counterparty_erp_id, partners, counterparties
            )
            _amounts_check(("amount", item.amount), positive=True)
            invoice = None
            if item.invoice_erp_id:
                invoice = invoices.get(item.invoice_erp_id)
                if invoice is None:
                    raise ItemRefused("unknown_invoice", _("No invoice with this ERP id."))
                if invoice.partner_id != partner.pk:
                    raise ItemRefused(
                        "invoice_of_other_partner", _("The invoice belongs to another partner.")
                    )
                if invoice.currency != item.currency:
                    raise ItemRefused(
                        "currency_mismatch",
                        _("The invoice is in %(currency)s.") % {"currency": invoice.currency},
                    )
            values: dict[str, object] = {
                "counterparty_id": counterparty.pk,
                "invoice_id": invoice.pk if invoice else None,
                "number": item.number,
                "paid_on": item.paid_on,
                "currency": item.currency,
                "amount": item.amount,
            }
            status = _save(Payment, existing.get(item.erp_id), partner, item.erp_id, values)
        except ItemRefused as refused:
            outcome.add(ItemOutcome(index, item.erp_id, "error", refused.code, refused.message))
            continue
        outcome.add(ItemOutcome(index, item.erp_id, status))
    outcome.items.sort(key=lambda item: item.index)
    record_exchange(source, "payments", outcome)
    return outcome
