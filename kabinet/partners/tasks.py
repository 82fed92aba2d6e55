"""Background jobs of the partners domain."""

from datetime import timedelta

from django.conf import settings
from django.tasks import task
from django.utils import timezone

from kabinet.accounts.models import User
from kabinet.accounts.services import user_expire
from kabinet.notifications.services import email_enqueue
from kabinet.partners.models import Membership
from kabinet.partners.rights import Role


@task(queue_name="default")
def access_expiry_daily() -> dict[str, int]:
    """ACC9, once a day: warn users whose access ends within ACCESS_EXPIRY_WARNING_DAYS (and
    their partner admins), then block the accounts whose date has passed. Safe to re-run: a
    warning is sent once per expiry date, an expired account is blocked once."""
    today = timezone.localdate()
    horizon = today + timedelta(days=settings.ACCESS_EXPIRY_WARNING_DAYS)
    warned = 0
    expiring = User.objects.filter(
        access_expires_on__gte=today,
        access_expires_on__lte=horizon,
        blocked_at__isnull=True,
        expiry_warned_on__isnull=True,
    )
    for user in expiring:
        _warn(user)
        User.objects.filter(pk=user.pk).update(expiry_warned_on=today)
        warned += 1
    expired = 0
    for user in User.objects.filter(access_expires_on__lt=today, blocked_at__isnull=True):
        expired += user_expire(user=user, today=today)
    return {"warned": warned, "expired": expired}


def _warn(user: User) -> None:
    context: dict[str, object] = {"user": user, "expires_on": user.access_expires_on}
    email_enqueue(
        to=[user.email],
        template="partners/email/access_expiring",
        context=context,
        language=user.preferred_language or None,
    )
    admins = (
        User.objects.filter(
            memberships__role=Role.PARTNER_ADMIN,
            memberships__partner__in=Membership.objects.filter(user=user).values("partner"),
            blocked_at__isnull=True,
        )
        .exclude(pk=user.pk)
        .distinct()
    )
    for admin in admins:
        email_enqueue(
            to=[admin.email],
            template="partners/email/access_expiring_admin",
            context={**context, "admin": admin},
            language=admin.preferred_language or None,
        )
