"""The cart (ORD4): one persisted cart per user and partner, a line per variant.

Lines hold quantities only. Prices are never stored in the cart: they are read from the
price list of the agreement every time the cart is shown, so a price change or a variant
taken off sale shows at once (the line is flagged unavailable, not silently dropped).
"""

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.sql.compiler import SQLCompiler
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kabinet.catalog.models import Variant
from kabinet.partners.models import Agreement, Partner, PartnerOwnedQuerySet


class NumberKey(models.Func):
    """A number (ours, the ERP's, a PO's) as the order lists search it: upper-cased, compared
    code point by code point, so a case-insensitive prefix is one range of an index
    (`key >= P AND key < P + U+10FFFF`). SQLite compares text that way already; PostgreSQL
    is told to with COLLATE "C", since in a language's collation the strings that start with
    P need not lie between those bounds. (On SQLite UPPER is ours: `kabinet.sqlite` folds
    beyond ASCII, like PostgreSQL's.)"""

    function = "UPPER"
    arity = 1
    output_field = models.CharField()

    def as_postgresql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: Any
    ) -> tuple[str, Any]:
        sql, params = self.as_sql(compiler, connection, **extra_context)
        return f'({sql}) COLLATE "C"', params


NUMBER_FIELDS = ("number", "erp_number", "po_number")  # what a number search looks in


class Cart(models.Model):
    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), related_name="carts", on_delete=models.CASCADE
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        related_name="carts",
        on_delete=models.CASCADE,
    )
    # The agreement the lines were last added under (the catalog's current one then).
    agreement = models.ForeignKey(
        Agreement,
        verbose_name=_("agreement"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    objects = PartnerOwnedQuerySet["Cart"].as_manager()

    class Meta:
        verbose_name = _("cart")
        verbose_name_plural = _("carts")
        constraints = [
            models.UniqueConstraint(fields=["partner", "user"], name="orders_cart_unique")
        ]

    def __str__(self) -> str:
        return f"{self.partner_id}/{self.user_id}"


class CartLineQuerySet(models.QuerySet["CartLine"]):
    def of_cart(self, *, partner: Partner, user_id: int) -> "CartLineQuerySet":
        """The lines of one user's cart in one partner: nobody else's line is ever found."""
        return self.filter(cart__partner=partner, cart__user_id=user_id)


class CartLine(models.Model):
    cart = models.ForeignKey(
        Cart, verbose_name=_("cart"), related_name="lines", on_delete=models.CASCADE
    )
    variant = models.ForeignKey(
        Variant, verbose_name=_("variant"), related_name="cart_lines", on_delete=models.CASCADE
    )
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3)
    added_at = models.DateTimeField(_("added"), default=timezone.now)

    objects = CartLineQuerySet.as_manager()

    class Meta:
        verbose_name = _("cart line")
        verbose_name_plural = _("cart lines")
        ordering = ["added_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "variant"], name="orders_cartline_unique"),
            models.CheckConstraint(
                condition=models.Q(quantity__gt=Decimal("0")),
                name="orders_cartline_quantity_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.variant_id} × {self.quantity}"


class OrderStatus(models.TextChoices):
    """The order's state (ORD7). Changed only by the transition services of
    `orders.statuses`, one per arrow of TRANSITIONS there."""

    DRAFT = "draft", _("draft")
    SUBMITTED = "submitted", _("submitted")
    ACCEPTED = "accepted", _("accepted")
    IN_ASSEMBLY = "in_assembly", _("in assembly")
    SHIPPED = "shipped", _("shipped")
    CLOSED = "closed", _("closed")
    CANCELLED = "cancelled", _("cancelled")
    REJECTED = "rejected", _("rejected")


class OrderSource(models.TextChoices):
    PORTAL = "portal", _("portal")
    ERP = "erp", _("ERP")


class Order(models.Model):
    """A partner's order (ORD4, ORD6): placed from the cart in the portal, or created in the
    ERP and imported (ORD8). Lines keep the price and the names as they were when ordered."""

    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), related_name="orders", on_delete=models.PROTECT
    )
    number = models.CharField(_("number"), max_length=40, unique=True)
    status = models.CharField(
        _("status"), max_length=16, choices=OrderStatus.choices, default=OrderStatus.DRAFT
    )
    source = models.CharField(
        _("source"), max_length=8, choices=OrderSource.choices, default=OrderSource.PORTAL
    )
    counterparty = models.ForeignKey(
        "partners.Counterparty",
        verbose_name=_("counterparty"),
        related_name="orders",
        on_delete=models.PROTECT,
    )
    agreement = models.ForeignKey(
        Agreement,
        verbose_name=_("agreement"),
        related_name="orders",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    delivery_address = models.ForeignKey(
        "partners.DeliveryAddress",
        verbose_name=_("delivery address"),
        related_name="orders",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    # The address as it read when the order was placed: an address edited or removed later
    # does not change where an order went.
    delivery_address_text = models.CharField(_("delivery address"), max_length=700, blank=True)
    desired_date = models.DateField(_("desired delivery date"), null=True, blank=True)
    comment = models.TextField(_("comment"), max_length=2000, blank=True)
    po_number = models.CharField(_("your PO number"), max_length=64, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="RUB")
    total = models.DecimalField(_("total"), max_digits=16, decimal_places=2, default=Decimal(0))
    line_count = models.PositiveIntegerField(_("lines"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        related_name="orders_created",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # The date the lists sort and filter by: when it was placed (a draft: created) in the
    # portal, or the ERP's document date for an order that came from there.
    ordered_at = models.DateTimeField(_("date"), default=timezone.now)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    erp_id = models.CharField(_("ERP id"), max_length=64, unique=True, null=True, blank=True)
    erp_number = models.CharField(_("ERP number"), max_length=40, blank=True)
    # The version of the last status the ERP set (its change time, then its sequence number
    # within that time): an older or repeated status message changes nothing (R17).
    erp_status_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    erp_status_sequence = models.PositiveBigIntegerField(default=0, db_default=0, editable=False)
    # The checkout form's one-time key (R18): posting the same form twice finds the order it
    # made the first time instead of making another.
    checkout_key = models.UUIDField(unique=True, null=True, blank=True, editable=False)

    objects = PartnerOwnedQuerySet["Order"].as_manager()

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-ordered_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=OrderStatus.values), name="orders_order_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(source__in=OrderSource.values), name="orders_order_source_valid"
            ),
        ]
        indexes = [
            # The order lists (QUALITY.md P7): a partner's orders newest first, by status or
            # counterparty, and staff's across partners; all keyset-paginated.
            models.Index(fields=["partner", "ordered_at", "id"], name="orders_partner_date"),
            models.Index(
                fields=["partner", "status", "ordered_at", "id"], name="orders_partner_status"
            ),
            models.Index(
                fields=["counterparty", "ordered_at", "id"], name="orders_counterparty_date"
            ),
            models.Index(fields=["ordered_at", "id"], name="orders_date"),
            models.Index(fields=["status", "ordered_at", "id"], name="orders_status_date"),
            # The number search: each of the three numbers a prefix range, within a partner
            # and (staff) across partners.
            models.Index("partner", NumberKey("number"), name="orders_partner_number_key"),
            models.Index("partner", NumberKey("erp_number"), name="orders_partner_erp_key"),
            models.Index("partner", NumberKey("po_number"), name="orders_partner_po_key"),
            models.Index(NumberKey("number"), name="orders_number_key"),
            models.Index(NumberKey("erp_number"), name="orders_erp_key"),
            models.Index(NumberKey("po_number"), name="orders_po_key"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_draft(self) -> bool:
        return self.status == OrderStatus.DRAFT

    @property
    def from_erp(self) -> bool:
        return self.source == OrderSource.ERP


class OrderLine(models.Model):
    order = models.ForeignKey(
        Order, verbose_name=_("order"), related_name="lines", on_delete=models.CASCADE
    )
    # Null when the ERP sent a line for goods the portal does not know, or the variant was
    # deleted since; the copied SKU and name still say what was ordered.
    variant = models.ForeignKey(
        Variant,
        verbose_name=_("variant"),
        related_name="order_lines",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    sku = models.CharField(_("SKU"), max_length=64)
    name = models.CharField(_("name"), max_length=255)
    colour = models.CharField(_("colour"), max_length=60, blank=True)
    size = models.CharField(_("size"), max_length=30, blank=True)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3)
    price = models.DecimalField(_("price"), max_digits=12, decimal_places=2)
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["order", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gt=Decimal("0")),
                name="orders_orderline_quantity_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sku} × {self.quantity}"


class StatusChangeSource(models.TextChoices):
    PARTNER = "partner", _("partner")
    STAFF = "staff", _("supplier's staff")
    ERP = "erp", _("ERP")


class OrderStatusChange(models.Model):
    """One step of an order's status history, written by the transition services."""

    order = models.ForeignKey(
        Order, verbose_name=_("order"), related_name="status_changes", on_delete=models.CASCADE
    )
    from_status = models.CharField(
        _("from"), max_length=16, choices=OrderStatus.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=16, choices=OrderStatus.choices)
    changed_at = models.DateTimeField(_("time"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    source = models.CharField(_("by"), max_length=8, choices=StatusChangeSource.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("order status change")
        verbose_name_plural = _("order status changes")
        ordering = ["changed_at", "pk"]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.from_status} → {self.to_status}"


class QuickOrderImportQuerySet(PartnerOwnedQuerySet["QuickOrderImport"]):
    def of_user(self, *, partner: Partner, user_id: int) -> "QuickOrderImportQuerySet":
        """One user's imports in one partner: another user of the same partner finds none."""
        return self.filter(partner=partner, user_id=user_id)


class QuickOrderImport(models.Model):
    """An order file uploaded for the quick order (ORD5), from upload to the cart.

    The file itself is not kept: its cells are read once, safely (`quick_order.files`),
    into `rows`, so nothing uploaded is ever stored on disk or served, and a worker on any
    machine can process it from the database. The cart is untouched until the user confirms
    (`applied`). Status moves only through the services in `quick_order.services`:
    uploaded → processing → ready (or failed) → applied; a ready import may be mapped again.
    """

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("uploaded")
        PROCESSING = "processing", _("processing")
        READY = "ready", _("ready")
        APPLIED = "applied", _("added to the cart")
        FAILED = "failed", _("failed")

    partner = models.ForeignKey(
        Partner,
        verbose_name=_("partner"),
        related_name="quick_order_imports",
        on_delete=models.CASCADE,
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        related_name="quick_order_imports",
        on_delete=models.CASCADE,
    )
    agreement = models.ForeignKey(
        Agreement, verbose_name=_("agreement"), related_name="+", on_delete=models.CASCADE
    )
    file_name = models.CharField(_("file name"), max_length=120)
    file_format = models.CharField(_("format"), max_length=4)
    # [row number in the file, cell, cell, …] of every non-blank row; emptied once applied.
    rows = models.JSONField(_("rows"), default=list, blank=True)
    head = models.JSONField(default=list, blank=True)  # the first rows: mapping and preview
    row_count = models.PositiveIntegerField(_("rows in the file"), default=0)
    column_count = models.PositiveSmallIntegerField(_("columns"), default=0)
    column_offset = models.PositiveSmallIntegerField(default=0)  # the sheet's first column
    mapping = models.JSONField(_("column mapping"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.UPLOADED
    )
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    rows_read = models.PositiveIntegerField(_("rows read"), default=0)
    rows_recognised = models.PositiveIntegerField(_("rows recognised"), default=0)
    rows_rejected = models.PositiveIntegerField(_("rows rejected"), default=0)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    # The report: lines to add ([variant, quantity, price, expected, first row, rows,
    # warning]) and rejected rows ([row, code, quantity, reason]).
    lines = models.JSONField(_("lines"), default=list, blank=True)
    rejected = models.JSONField(_("rejected rows"), default=list, blank=True)
    error = models.CharField(_("error"), max_length=255, blank=True)
    mode = models.CharField(_("added as"), max_length=8, blank=True)  # merge | replace
    created_at = models.DateTimeField(_("uploaded"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    objects = QuickOrderImportQuerySet.as_manager()

    class Meta:
        verbose_name = _("quick order import")
        verbose_name_plural = _("quick order imports")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["partner", "user", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    status__in=["uploaded", "processing", "ready", "applied", "failed"]
                ),
                name="orders_quickorderimport_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(progress_done__lte=models.F("progress_total")),
                name="orders_quickorderimport_progress_bounded",
            ),
            models.CheckConstraint(
                condition=models.Q(mode__in=["", "merge", "replace"]),
                name="orders_quickorderimport_mode_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.status})"

    @property
    def percent(self) -> int:
        if not self.progress_total:
            return 0
        return min(100, self.progress_done * 100 // self.progress_total)
