from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kabinet.partners.rights import ALL_RIGHTS, Right, Role


def _has_key_user() -> Exists:
    return Exists(
        Membership.objects.filter(
            partner=OuterRef("pk"), role=Role.PARTNER_ADMIN, user__is_active=True
        )
    )


class PartnerQuerySet(models.QuerySet["Partner"]):
    def for_partner(self, partner: "Partner") -> "PartnerQuerySet":
        return self.filter(pk=partner.pk)

    def with_activity(self) -> "PartnerQuerySet":
        """Annotate `is_active`: a partner is active while an active key user is bound (PRT2)."""
        return self.annotate(is_active=_has_key_user())

    def active(self, is_active: bool) -> "PartnerQuerySet":
        return self.filter(_has_key_user() if is_active else ~_has_key_user())


class Partner(models.Model):
    """A company account in the portal (1C "Партнёр"): the tenant.

    Cards come from the ERP exchange (erp_id) or are created by staff. A partner may have a
    parent: the head company of a holding sees its subsidiaries (PRT4).
    """

    name = models.CharField(_("name"), max_length=255)
    erp_id = models.CharField(_("ERP id"), max_length=64, unique=True, null=True, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("head company"),
        related_name="subsidiaries",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("manager"),
        related_name="managed_partners",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        limit_choices_to={"is_staff": True},
    )
    city = models.CharField(_("city"), max_length=120, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    require_mfa = models.BooleanField(
        _("two-factor sign-in required"),
        default=False,
        help_text=_("Every user of the company must sign in with a second factor."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = PartnerQuerySet.as_manager()

    # Only on partners read through PartnerQuerySet.with_activity(): not a column.
    is_active: bool

    class Meta:
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        ordering = ["name", "pk"]
        indexes = [models.Index(fields=["city"]), models.Index(fields=["name"])]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(parent=models.F("pk")), name="partners_partner_not_own_parent"
            )
        ]

    def __str__(self) -> str:
        return self.name


class PartnerOwnedQuerySet[M: models.Model](models.QuerySet[M]):
    def for_partner(self, partner: Partner) -> "PartnerOwnedQuerySet[M]":
        return self.filter(partner=partner)


class Counterparty(models.Model):
    """A legal entity of a partner (1C "Контрагент"). Tax IDs are unique within a country."""

    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), related_name="counterparties", on_delete=models.CASCADE
    )
    name = models.CharField(_("name"), max_length=255)
    country = models.CharField(_("country"), max_length=2, default="RU")
    tax_id = models.CharField(_("tax ID"), max_length=20)
    kpp = models.CharField(_("KPP"), max_length=9, blank=True)
    registration_number = models.CharField(_("registration number"), max_length=32, blank=True)
    legal_address = models.CharField(_("legal address"), max_length=500, blank=True)
    erp_id = models.CharField(_("ERP id"), max_length=64, unique=True, null=True, blank=True)

    objects = PartnerOwnedQuerySet["Counterparty"].as_manager()

    class Meta:
        verbose_name = _("counterparty")
        verbose_name_plural = _("counterparties")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["country", "tax_id"], name="partners_counterparty_tax_id_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Agreement(models.Model):
    """Contract terms with a counterparty (1C "Соглашение"): price list, currency, deferral."""

    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), related_name="agreements", on_delete=models.CASCADE
    )
    counterparty = models.ForeignKey(
        Counterparty,
        verbose_name=_("counterparty"),
        related_name="agreements",
        on_delete=models.PROTECT,
    )
    number = models.CharField(_("number"), max_length=64)
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="RUB")
    price_list = models.CharField(
        _("price list"),
        max_length=120,
        help_text=_("The ERP's price type that sets this agreement's prices."),
    )
    payment_deferral_days = models.PositiveSmallIntegerField(_("payment deferral, days"), default=0)
    is_main = models.BooleanField(_("main agreement"), default=False)
    erp_id = models.CharField(_("ERP id"), max_length=64, unique=True, null=True, blank=True)

    objects = PartnerOwnedQuerySet["Agreement"].as_manager()

    class Meta:
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")
        ordering = ["-is_main", "number", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "number"], name="partners_agreement_number_unique"
            )
        ]

    def __str__(self) -> str:
        return self.number


class DeliveryAddress(models.Model):
    partner = models.ForeignKey(
        Partner,
        verbose_name=_("partner"),
        related_name="delivery_addresses",
        on_delete=models.CASCADE,
    )
    counterparty = models.ForeignKey(
        Counterparty,
        verbose_name=_("counterparty"),
        related_name="delivery_addresses",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    title = models.CharField(_("title"), max_length=120, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=16, blank=True)
    city = models.CharField(_("city"), max_length=120)
    address = models.CharField(_("address"), max_length=500)
    is_default = models.BooleanField(_("default"), default=False)
    erp_id = models.CharField(_("ERP id"), max_length=64, unique=True, null=True, blank=True)

    objects = PartnerOwnedQuerySet["DeliveryAddress"].as_manager()

    class Meta:
        verbose_name = _("delivery address")
        verbose_name_plural = _("delivery addresses")
        ordering = ["-is_default", "city", "address", "pk"]

    def __str__(self) -> str:
        return ", ".join(part for part in (self.postal_code, self.city, self.address) if part)


class Contact(models.Model):
    """A person at the partner. May have a user account (then `user` is set)."""

    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), related_name="contacts", on_delete=models.CASCADE
    )
    full_name = models.CharField(_("full name"), max_length=200)
    position = models.CharField(_("position"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        related_name="contact_cards",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    erp_id = models.CharField(_("ERP id"), max_length=64, unique=True, null=True, blank=True)

    objects = PartnerOwnedQuerySet["Contact"].as_manager()

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["full_name", "pk"]

    def __str__(self) -> str:
        return self.full_name


class Membership(models.Model):
    """A user's role and section rights in one partner (ACC7)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        related_name="memberships",
        on_delete=models.CASCADE,
    )
    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), related_name="memberships", on_delete=models.CASCADE
    )
    role = models.CharField(
        _("role"), max_length=20, choices=Role.choices, default=Role.PARTNER_USER
    )
    rights = models.JSONField(
        _("section rights"),
        default=list,
        blank=True,
        help_text=_("Sections a partner user may open; a partner admin has them all."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # The partner a user works in is the one chosen most recently; kept across sign-ins.
    selected_at = models.DateTimeField(_("last chosen"), null=True, blank=True)

    objects = PartnerOwnedQuerySet["Membership"].as_manager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["partner__name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "partner"], name="partners_membership_unique"),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="partners_membership_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.partner}"

    @property
    def is_partner_admin(self) -> bool:
        return self.role == Role.PARTNER_ADMIN

    @property
    def granted_rights(self) -> frozenset[Right]:
        if self.is_partner_admin:
            return ALL_RIGHTS
        return frozenset(Right(value) for value in self.rights if value in Right)

    def has_right(self, right: Right) -> bool:
        return right in self.granted_rights


class InvitationQuerySet(PartnerOwnedQuerySet["Invitation"]):
    def pending(self, now: datetime) -> "InvitationQuerySet":
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now)


class Invitation(models.Model):
    """A single-use, expiring link that makes a person a user of a partner (ACC5, ACC6).

    Only a hash of the token is stored: the link itself exists in the e-mail alone.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        ACCEPTED = "accepted", _("accepted")
        REVOKED = "revoked", _("revoked")
        EXPIRED = "expired", _("expired")

    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), related_name="invitations", on_delete=models.CASCADE
    )
    email = models.EmailField(_("e-mail"))
    full_name = models.CharField(_("full name"), max_length=200)
    role = models.CharField(
        _("role"), max_length=20, choices=Role.choices, default=Role.PARTNER_USER
    )
    rights = models.JSONField(_("section rights"), default=list, blank=True)
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("contact"),
        related_name="invitations",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("invited by"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
    )
    created_at = models.DateTimeField(_("sent"), auto_now_add=True)
    sent_at = models.DateTimeField(_("last sent"))
    expires_at = models.DateTimeField(_("expires"))
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("accepted by"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="partners_invitation_role_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(accepted_at__isnull=False, revoked_at__isnull=False),
                name="partners_invitation_accepted_or_revoked",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.partner}"

    def status_at(self, now: datetime) -> "Invitation.Status":
        if self.accepted_at is not None:
            return self.Status.ACCEPTED
        if self.revoked_at is not None:
            return self.Status.REVOKED
        if self.expires_at <= now:
            return self.Status.EXPIRED
        return self.Status.PENDING

    @property
    def status(self) -> "Invitation.Status":
        return self.status_at(timezone.now())


class AccessStamp(models.Model):
    """A random value that changes whenever anything a user's tenant context is read from
    changes: the user's memberships, their partners (and whether those have subsidiaries),
    their agreements and counterparties. Database triggers write it (migration 0003), so no
    code path — service, admin, ERP sync, bulk load, raw SQL — can change access without it;
    `partners.tenancy` keeps that context in process memory under (user, stamp).

    No foreign key to the user: the triggers may stamp a user that is being deleted."""

    user_id = models.BigIntegerField(_("user"), primary_key=True)
    stamp = models.CharField(_("stamp"), max_length=32)

    class Meta:
        verbose_name = _("access stamp")
        verbose_name_plural = _("access stamps")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.stamp}"
