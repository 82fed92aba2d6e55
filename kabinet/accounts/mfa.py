"""Two-factor sign-in (ACC11, R7): TOTP apps with one-time recovery codes, via django-otp.

A user has at most one confirmed TOTP device and one set of recovery codes. A TOTP code is
accepted once: django-otp remembers the last time step used, so a replayed code fails.
"""

import io
from dataclasses import dataclass

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from kabinet.accounts.audit import audit_record
from kabinet.accounts.models import AuditKind, User

TOTP_NAME = "authenticator"
RECOVERY_NAME = "recovery"


def mfa_enabled(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


@dataclass
class Enrolment:
    device: TOTPDevice
    secret: str  # base32, for typing into an app by hand
    qr_svg: str  # an inline <svg> of the otpauth:// URL


@transaction.atomic
def totp_enrolment_start(*, user: User) -> Enrolment:
    """A fresh unconfirmed device; any earlier unconfirmed one is dropped."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    device = TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)
    return _enrolment(device)


def totp_enrolment_pending(*, user: User) -> Enrolment | None:
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    return _enrolment(device) if device else None


def _enrolment(device: TOTPDevice) -> Enrolment:
    from base64 import b32encode

    # config_url is the otpauth:// link; django-otp adds OTP_TOTP_ISSUER as its issuer.
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode()
    svg = svg[svg.index("<svg") :]  # drop the XML declaration: the SVG goes inline
    return Enrolment(device=device, secret=b32encode(device.bin_key).decode(), qr_svg=svg)


@transaction.atomic
def totp_enrolment_confirm(
    *, user: User, token: str, request: HttpRequest | None = None
) -> list[str] | None:
    """Confirm the pending device with a code from the app. Returns the new recovery codes
    (shown once), or None when the code is wrong."""
    device = (
        TOTPDevice.objects.select_for_update()
        .filter(user=user, confirmed=False)
        .order_by("-pk")
        .first()
    )
    if device is None or not device.verify_token(token.strip()):
        return None
    TOTPDevice.objects.filter(user=user, confirmed=True).delete()
    device.confirmed = True
    device.save()
    codes = _recovery_codes_replace(user)
    audit_record(AuditKind.MFA_ENABLED, request=request, actor=user, subject=user)
    return codes


def _recovery_codes_replace(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(settings.MFA_RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


@transaction.atomic
def recovery_codes_regenerate(*, user: User) -> list[str]:
    return _recovery_codes_replace(user)


@transaction.atomic
def mfa_disable(*, user: User, actor: User, request: HttpRequest | None = None) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    audit_record(AuditKind.MFA_DISABLED, request=request, actor=actor, subject=user)


@transaction.atomic
def mfa_verify(*, user: User, token: str, request: HttpRequest | None = None) -> bool:
    """A TOTP code (not replayable) or an unused recovery code (then spent)."""
    token = token.strip().replace(" ", "")
    for device in TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True):
        if device.verify_token(token):
            return True
    for static in StaticDevice.objects.select_for_update().filter(user=user, confirmed=True):
        if static.verify_token(token):
            return True
    audit_record(AuditKind.MFA_FAILED, request=request, subject=user)
    return False
