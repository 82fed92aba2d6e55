"""The systems Kabinet exchanges data with, and how they prove who they are.

An `Integration` is one ERP connection (a generic ERP on the JSON exchange API, or 1C on the
CommerceML protocol). It signs in with bearer tokens (API) or a login and password (1C's
HTTP basic auth). Tokens are random, so a SHA-256 digest is enough to store them: only the
digest and a short prefix (to tell tokens apart in the list) are kept.

Each active integration gets its own copy of every outbox message whose topic it takes
(`outbox.services.outbox_write`): a generic ERP takes every topic, 1C only the orders (its
CommerceML exchange has no documents for the others). See docs/erp-exchange.md, "Routing".
"""

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kabinet.outbox.models import Topic


class IntegrationKind(models.TextChoices):
    ERP_API = "erp_api", _("ERP (JSON exchange API)")
    ONEC = "onec", _("1C (CommerceML exchange)")


# The topics each kind receives; None: every topic.
ORDER_TOPICS: frozenset[str] = frozenset({Topic.ORDER_SUBMITTED, Topic.ORDER_CANCELLED})
KIND_TOPICS: dict[str, frozenset[str] | None] = {
    IntegrationKind.ERP_API: None,
    IntegrationKind.ONEC: ORDER_TOPICS,
}


def kinds_taking(topic: str) -> list[str]:
    """The kinds of integration that receive messages of `topic`."""
    return [kind for kind, topics in KIND_TOPICS.items() if topics is None or topic in topics]


class IntegrationQuerySet(models.QuerySet["Integration"]):
    def receiving(self, topic: str) -> "IntegrationQuerySet":
        """The active integrations that get a copy of a message of `topic`, oldest first."""
        return self.filter(is_active=True, kind__in=kinds_taking(topic)).order_by("pk")

    def pushed_to(self) -> "IntegrationQuerySet":
        """The active integrations the relay delivers to (the others poll), oldest first."""
        return self.filter(is_active=True).exclude(outbound_url="").order_by("pk")


class Integration(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=IntegrationKind.choices)
    is_active = models.BooleanField(_("active"), default=True)
    # 1C signs in with HTTP basic auth; the password is stored hashed like a user's.
    login = models.CharField(_("login"), max_length=150, unique=True, null=True, blank=True)
    password = models.CharField(_("password"), max_length=128, blank=True)
    # Where the relay POSTs outbox messages; empty: the ERP polls for them instead.
    outbound_url = models.URLField(_("delivery URL"), blank=True)
    # Signs each delivery (HMAC-SHA256), so the ERP can tell it came from us.
    outbound_secret = models.CharField(_("signing secret"), max_length=128, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )

    objects = IntegrationQuerySet.as_manager()

    class Meta:
        verbose_name = _("integration")
        verbose_name_plural = _("integrations")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=IntegrationKind.values),
                name="integrations_kind_valid",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def check_password(self, raw_password: str) -> bool:
        return bool(self.password) and check_password(raw_password, self.password)

    def takes(self, topic: str) -> bool:
        """Whether this integration receives messages of `topic` (active or not)."""
        return self.kind in kinds_taking(topic)

    def topics(self) -> list[str]:
        """The topics this integration receives."""
        return [topic for topic in Topic.values if self.takes(topic)]


class IntegrationToken(models.Model):
    integration = models.ForeignKey(
        Integration, verbose_name=_("integration"), related_name="tokens", on_delete=models.CASCADE
    )
    name = models.CharField(_("name"), max_length=120, blank=True)
    prefix = models.CharField(_("prefix"), max_length=16)
    digest = models.CharField(_("digest"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.prefix}…"


class InboundRequest(models.Model):
    """The first answer to an idempotency key: a repeat gets it again; the same key with a
    different body is refused. Written in the transaction that applied the request."""

    integration = models.ForeignKey(
        Integration,
        verbose_name=_("integration"),
        related_name="inbound_requests",
        on_delete=models.CASCADE,
    )
    key = models.CharField(_("idempotency key"), max_length=200)
    operation = models.CharField(_("operation"), max_length=64)
    body_digest = models.CharField(_("body digest"), max_length=64)
    status_code = models.PositiveSmallIntegerField(_("HTTP status"))
    response = models.JSONField(_("response"))
    created_at = models.DateTimeField(_("received"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("inbound request")
        verbose_name_plural = _("inbound requests")
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "key"], name="integrations_inbound_key_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.operation} {self.key}"
