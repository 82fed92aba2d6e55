"""The transactional outbox (DESIGN rule 5): what Kabinet has to tell the ERP.

Domain services write a message in the same transaction as the change it announces
(`outbox.services.outbox_write`), so a change is never committed without its message and a
message never escapes for a change that rolled back. `integrations.erp` delivers messages
(push: the relay POSTs them; pull: the ERP polls and acknowledges them). The receiver
de-duplicates by `key`, so a delivery repeated after a crash has one effect.

A message has one addressee, `integration`: a change is written once per active integration
that takes its topic, and each copy is delivered, retried and acknowledged on its own. With
no such integration the message waits unrouted (NULL) for the first one created or
activated (`outbox_route_unrouted`).
"""

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kabinet.partners.models import Partner


class Topic(models.TextChoices):
    ORDER_SUBMITTED = "order.submitted", _("order submitted")
    ORDER_CANCELLED = "order.cancelled", _("order cancelled")
    CONTACT_CHANGED = "partner.contact_changed", _("partner contact changed")
    ADDRESS_CHANGED = "partner.address_changed", _("delivery address changed")


class MessageStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    DELIVERED = "delivered", _("delivered")
    FAILED = "failed", _("failed")


class OutboxMessage(models.Model):
    topic = models.CharField(_("topic"), max_length=64, choices=Topic.choices)
    # The idempotency key the ERP de-duplicates deliveries by.
    key = models.UUIDField(_("key"), default=uuid.uuid4, unique=True, editable=False)
    partner = models.ForeignKey(
        Partner,
        verbose_name=_("partner"),
        related_name="outbox_messages",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    # Who receives it; NULL: nobody takes its topic yet (it goes to the first who will).
    # PROTECT: a message is the record of what an ERP was told (or still has to be told);
    # an integration with messages is deactivated, never deleted with them.
    integration = models.ForeignKey(
        "integrations.Integration",
        verbose_name=_("integration"),
        related_name="outbox_messages",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    # What the message is about, e.g. ("order", "123"): the order page shows its sync state.
    object_type = models.CharField(_("object type"), max_length=32)
    object_id = models.CharField(_("object id"), max_length=64)
    payload = models.JSONField(_("payload"))
    status = models.CharField(
        _("status"), max_length=16, choices=MessageStatus.choices, default=MessageStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    # When the relay may try next. Claiming a message moves it forward by a lease, so a
    # relay killed mid-delivery leaves the message to be retried once the lease is over.
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        verbose_name = _("message to the ERP")
        verbose_name_plural = _("messages to the ERP")
        ordering = ["pk"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due"),
            # The relay's claim, a poll and 1C's query: one integration's pending messages.
            models.Index(
                fields=["integration", "status", "next_attempt_at"], name="outbox_integration_due"
            ),
            models.Index(fields=["object_type", "object_id"], name="outbox_object"),
            models.Index(fields=["partner", "created_at"], name="outbox_partner"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=MessageStatus.values), name="outbox_status_valid"
            )
        ]

    def __str__(self) -> str:
        return f"{self.topic} {self.object_type}:{self.object_id}"


class AttemptOutcome(models.TextChoices):
    DELIVERED = "delivered", _("delivered")
    REFUSED = "refused", _("refused by the ERP")
    ERROR = "error", _("error")


class DeliveryAttempt(models.Model):
    """One try at delivering a message: what staff read when a delivery fails."""

    message = models.ForeignKey(
        OutboxMessage,
        verbose_name=_("message"),
        related_name="delivery_attempts",
        on_delete=models.CASCADE,
    )
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=AttemptOutcome.choices)
    http_status = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        ordering = ["message_id", "pk"]

    def __str__(self) -> str:
        return f"{self.message_id}: {self.outcome}"
