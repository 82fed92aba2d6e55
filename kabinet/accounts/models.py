from datetime import date
from importlib import import_module
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: Any) -> "User":
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> "User":
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> "User":
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> "User":
        # E-mail sign-in is case-insensitive: "Anna@Example.com" is the same person.
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in: a partner's employee or a member of the supplier's staff.

    Partner users belong to partners through Membership (kabinet.partners); staff have
    is_staff and get their rights from the staff role groups (kabinet.accounts.roles).
    """

    email = models.EmailField(_("e-mail"), unique=True)
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(
        _("staff"), default=False, help_text=_("Works for the supplier and may sign in to /admin/.")
    )
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)
    preferred_language = models.CharField(
        _("interface language"), max_length=8, blank=True, choices=settings.LANGUAGES
    )
    # Access (ACC9). A blocked or expired account cannot sign in; its sessions end at once.
    blocked_at = models.DateTimeField(_("blocked"), null=True, blank=True)
    blocked_reason = models.CharField(_("reason for blocking"), max_length=300, blank=True)
    access_expires_on = models.DateField(_("access expires on"), null=True, blank=True)
    expiry_warned_on = models.DateField(_("expiry warning sent on"), null=True, blank=True)
    must_change_password = models.BooleanField(
        _("must change password"),
        default=False,
        help_text=_("Set with a temporary password: the user picks a new one at sign-in."),
    )
    # Part of the session hash: raising it ends every session of the user (R6).
    session_generation = models.PositiveIntegerField(default=0, editable=False)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    def get_session_auth_hash(self) -> str:
        # Sessions carry this hash; Django drops a session whose hash no longer matches. Mixing
        # in session_generation lets blocking and "sign out everywhere" end them at once.
        return salted_hmac(
            "kabinet.accounts.User.get_session_auth_hash",
            f"{self.password}:{self.session_generation}",
            algorithm="sha256",
        ).hexdigest()

    def access_denial(self, today: date) -> str | None:
        """Why this account may not work now ("blocked", "expired"), or None."""
        if self.blocked_at is not None:
            return "blocked"
        if self.access_expires_on is not None and self.access_expires_on < today:
            return "expired"
        return None


class Session(AbstractBaseSession):
    """Django's session row with the signed-in user's id beside the data, so that a request
    reads its session and its user in one statement (kabinet.partners.sessions). Deleting a
    user deletes its sessions."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )

    class Meta(AbstractBaseSession.Meta):
        db_table = "accounts_session"

    @classmethod
    def get_session_store_class(cls) -> Any:
        return import_module(settings.SESSION_ENGINE).SessionStore


class AuditKind(models.TextChoices):
    SIGN_IN = "sign_in", _("signed in")
    SIGN_IN_FAILED = "sign_in_failed", _("sign-in failed")
    SIGN_IN_DENIED = "sign_in_denied", _("sign-in refused (blocked or expired)")
    SIGN_OUT = "sign_out", _("signed out")
    LOCKED_OUT = "locked_out", _("locked out")
    INVITATION_SENT = "invitation_sent", _("invitation sent")
    INVITATION_REVOKED = "invitation_revoked", _("invitation revoked")
    INVITATION_ACCEPTED = "invitation_accepted", _("invitation accepted")
    RIGHTS_CHANGED = "rights_changed", _("role or rights changed")
    BLOCKED = "blocked", _("blocked")
    UNBLOCKED = "unblocked", _("unblocked")
    EXPIRY_SET = "expiry_set", _("access expiry set")
    EXPIRED = "expired", _("access expired")
    PASSWORD_CHANGED = "password_changed", _("password changed")
    PASSWORD_RESET_REQUESTED = "password_reset_requested", _("password reset requested")
    PASSWORD_RESET = "password_reset", _("password reset by e-mail")
    TEMPORARY_PASSWORD = "temporary_password", _("temporary password set")
    SESSIONS_ENDED = "sessions_ended", _("other sessions ended")
    MFA_ENABLED = "mfa_enabled", _("two-factor sign-in enabled")
    MFA_DISABLED = "mfa_disabled", _("two-factor sign-in disabled")
    MFA_FAILED = "mfa_failed", _("wrong two-factor code")
    MFA_POLICY_CHANGED = "mfa_policy_changed", _("company two-factor policy changed")
    ACCESS_DENIED = "access_denied", _("access to a section denied")
    ORDER_DRAFT_SAVED = "order_draft_saved", _("order saved as a draft")
    ORDER_SUBMITTED = "order_submitted", _("order submitted")
    ORDER_STATUS_CHANGED = "order_status_changed", _("order status changed")
    INTEGRATION_CREATED = "integration_created", _("integration created")
    INTEGRATION_CHANGED = "integration_changed", _("integration changed")
    API_TOKEN_CREATED = "api_token_created", _("API token created")
    API_TOKEN_REVOKED = "api_token_revoked", _("API token revoked")
    ERP_EXCHANGE = "erp_exchange", _("data received from the ERP")
    OUTBOX_RETRIED = "outbox_retried", _("delivery to the ERP retried")
    PRICES_SYNCED = "prices_synced", _("prices loaded from the ERP")
    PRICES_DELETED = "prices_deleted", _("prices deleted by the ERP")
    STOCK_SYNCED = "stock_synced", _("stock loaded from the ERP")
    ARTICLE_CODES_UPLOADED = "article_codes_uploaded", _("own article codes uploaded")
    ARTICLE_CODE_DELETED = "article_code_deleted", _("own article code deleted")


class AuditEvent(models.Model):
    """One access event (R19): who, in which partner, when (UTC), from where, what.

    `partner_id` is a plain number, not a foreign key: accounts sits below partners in the
    dependency order, and the log must outlive a deleted partner anyway.
    """

    kind = models.CharField(_("event"), max_length=32, choices=AuditKind.choices)
    created_at = models.DateTimeField(_("time (UTC)"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        User,
        verbose_name=_("who"),
        related_name="audit_events_done",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    subject = models.ForeignKey(
        User,
        verbose_name=_("whom"),
        related_name="audit_events",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    # What was typed at a failed sign-in (never a password), or a deleted user's address.
    subject_email = models.CharField(_("e-mail"), max_length=254, blank=True)
    partner_id = models.BigIntegerField(_("partner"), null=True, blank=True, db_index=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=AuditKind.values),
                name="accounts_auditevent_kind_valid",
            )
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.kind} {self.subject_email}"
