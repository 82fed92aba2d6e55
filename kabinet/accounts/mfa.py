"""Two-factor sign-in (ACC11, R7): TOTP apps with one-time recovery codes, via django-otp.

A user has at most one confirmed TOTP device and one set of recovery codes. A TOTP code is
accepted once: django-otp remembers the last time step used, so a replayed code fails.
"""

import io
import time
from base64 import b32encode
from binascii import unhexlify
from dataclasses import dataclass

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from kabinet.accounts.audit import audit_record
from kabinet.accounts.models import AuditKind, User

TOTP_NAME = "authenticator"
RECOVERY_NAME = "recovery"


def mfa_enabled(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


@dataclass
class Enrolment:
    key: str  # hex; kept in the session until confirmed, so a GET writes nothing
    secret: str  # base32, for typing into an app by hand
    qr_svg: str  # an inline <svg> of the otpauth:// URL


def totp_key_new() -> str:
    return random_hex(20)


def totp_enrolment(*, user: User, key: str) -> Enrolment:
    """What the set-up page shows for a not yet confirmed key."""
    device = TOTPDevice(user=user, name=TOTP_NAME, key=key)  # never saved
    # config_url is the otpauth:// link; django-otp adds OTP_TOTP_ISSUER as its issuer.
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode()
    svg = svg[svg.index("<svg") :]  # drop the XML declaration: the SVG goes inline
    return Enrolment(key=key, secret=b32encode(device.bin_key).decode(), qr_svg=svg)


@transaction.atomic
def totp_enrolment_confirm(
    *, user: User, key: str, token: str, request: HttpRequest | None = None
) -> list[str] | None:
    """Confirm a new key with a code from the app: the device is stored only now. Returns the
    new recovery codes (shown once), or None when the code is wrong."""
    totp = TOTP(unhexlify(key))
    totp.time = time.time()
    try:
        value = int(token.strip().replace(" ", ""))
    except ValueError:
        return None
    if not totp.verify(value, tolerance=1):
        return None
    TOTPDevice.objects.filter(user=user).delete()
    # last_t: the step just used, so the same code cannot sign in afterwards (R7).
    TOTPDevice.objects.create(
        user=user, name=TOTP_NAME, key=key, confirmed=True, last_t=totp.t(), drift=totp.drift
    )
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
