"""Invoices and payments, as the ERP keeps them (INT1). They come only from the exchange
(kabinet.finance.sync); the partner's finance pages come later and read them through
`for_partner`, newest first, hence the (partner, date) indexes."""

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from kabinet.partners.models import PartnerOwnedQuerySet


class InvoiceStatus(models.TextChoices):
    """Derived from the amounts the ERP sends (kabinet.finance.sync), never set by hand."""

    OPEN = "open", _("open")
    PARTLY_PAID = "partly_paid", _("partly paid")
    PAID = "paid", _("paid")
    CANCELLED = "cancelled", _("cancelled")


class Invoice(models.Model):
    partner = models.ForeignKey(
        "partners.Partner",
        verbose_name=_("partner"),
        related_name="invoices",
        on_delete=models.PROTECT,
    )
    counterparty = models.ForeignKey(
        "partners.Counterparty",
        verbose_name=_("counterparty"),
        related_name="invoices",
        on_delete=models.PROTECT,
    )
    agreement = models.ForeignKey(
        "partners.Agreement",
        verbose_name=_("agreement"),
        related_name="invoices",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    order = models.ForeignKey(
        "orders.Order",
        verbose_name=_("order"),
        related_name="invoices",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    erp_id = models.CharField(_("ERP id"), max_length=64, unique=True)
    number = models.CharField(_("number"), max_length=40)
    issued_on = models.DateField(_("date"))
    due_on = models.DateField(_("due date"), null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="RUB")
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2)
    paid_amount = models.DecimalField(
        _("paid"), max_digits=16, decimal_places=2, default=Decimal("0.00")
    )
    status = models.CharField(
        _("status"), max_length=12, choices=InvoiceStatus.choices, default=InvoiceStatus.OPEN
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = PartnerOwnedQuerySet["Invoice"].as_manager()

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-issued_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=InvoiceStatus.values),
                name="finance_invoice_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gte=Decimal("0"), paid_amount__gte=Decimal("0")),
                name="finance_invoice_amounts_not_negative",
            ),
        ]
        indexes = [
            models.Index(
                fields=["partner", "issued_on", "id"], name="finance_invoice_partner_date"
            ),
            models.Index(
                fields=["partner", "status", "due_on", "id"], name="finance_invoice_partner_due"
            ),
            models.Index(
                fields=["counterparty", "issued_on", "id"], name="finance_invoice_cp_date"
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def outstanding(self) -> Decimal:
        if self.status == InvoiceStatus.CANCELLED:
            return Decimal("0.00")
        return max(self.amount - self.paid_amount, Decimal("0.00"))


class Payment(models.Model):
    partner = models.ForeignKey(
        "partners.Partner",
        verbose_name=_("partner"),
        related_name="payments",
        on_delete=models.PROTECT,
    )
    counterparty = models.ForeignKey(
        "partners.Counterparty",
        verbose_name=_("counterparty"),
        related_name="payments",
        on_delete=models.PROTECT,
    )
    invoice = models.ForeignKey(
        Invoice,
        verbose_name=_("invoice"),
        related_name="payments",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    erp_id = models.CharField(_("ERP id"), max_length=64, unique=True)
    number = models.CharField(_("number"), max_length=40)
    paid_on = models.DateField(_("date"))
    currency = models.CharField(_("currency"), max_length=3, default="RUB")
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = PartnerOwnedQuerySet["Payment"].as_manager()

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-paid_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=Decimal("0")), name="finance_payment_amount_positive"
            ),
        ]
        indexes = [
            models.Index(fields=["partner", "paid_on", "id"], name="finance_payment_partner_date"),
            models.Index(fields=["counterparty", "paid_on", "id"], name="finance_payment_cp_date"),
        ]

    def __str__(self) -> str:
        return self.number
