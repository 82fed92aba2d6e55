"""Who must use a second factor. Staff always (R7, unless MFA_REQUIRED_FOR_STAFF is off);
partner users when one of their companies requires it — a rule that partners know, so the
function is named in settings (MFA_POLICY) rather than imported from here."""

from django.conf import settings
from django.utils.module_loading import import_string

from kabinet.accounts.models import User


def mfa_required(user: User) -> bool:
    if user.is_staff and settings.MFA_REQUIRED_FOR_STAFF:
        return True
    partner_policy = getattr(settings, "MFA_POLICY", "")
    return bool(partner_policy and import_string(partner_policy)(user))
