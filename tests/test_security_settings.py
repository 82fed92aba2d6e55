"""Production profile and response headers (QUALITY.md R5, R8, R9)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from kabinet import settings as real_settings
from kabinet.accounts.models import User
from kabinet.content.services import info_page_upsert
from kabinet.partners.models import Partner
from tests.support import signed_in

ROOT = Path(__file__).resolve().parent.parent


def _check_deploy(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "kabinet.settings",
        "KABINET_VAR_DIR": str(tmp_path),
        "DEBUG": "false",
        "SECRET_KEY": "x7#Lq9!vR2@mZ5$wT8^nB3&kP6*hD1(sF4)gJ0_cY-eU+aI=oQ~" * 2,
        "ALLOWED_HOSTS": "kabinet.example",
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=base | env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_profile_passes_check_deploy(tmp_path: Path) -> None:
    result = _check_deploy(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_catches_an_unsafe_profile(tmp_path: Path) -> None:
    result = _check_deploy(tmp_path, DEBUG="true", HTTPS="false")
    assert result.returncode != 0
    assert "security.W018" in result.stdout + result.stderr  # DEBUG on in deployment


def test_passwords_are_hashed_with_argon2() -> None:
    assert real_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


@pytest.mark.parametrize(
    ("password", "accepted"),
    [
        ("Short1!pass", False),  # 11 characters
        ("password1234", False),  # common
        ("123456789012345", False),  # numeric only
        ("tulip-granite-harbor", True),
        ("a" * 30 + "Zq9!" + "b" * 30, True),  # 64 characters
    ],
)
def test_password_policy(password: str, accepted: bool) -> None:
    try:
        validate_password(password)
        result = True
    except ValidationError:
        result = False
    assert result is accepted


def test_security_headers_on_every_response(db: None) -> None:
    response = Client().get("/")
    csp = response["Content-Security-Policy"]
    for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
        assert directive in csp
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_cookies_are_httponly_and_samesite() -> None:
    assert real_settings.SESSION_COOKIE_HTTPONLY
    assert real_settings.CSRF_COOKIE_HTTPONLY
    assert real_settings.SESSION_COOKIE_SAMESITE == "Lax"
    # Secure cookies and HSTS follow HTTPS, which the production profile has on: asserted by
    # test_production_profile_passes_check_deploy.


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=", re.IGNORECASE)


def _assert_no_inline_code(html: str, url: str) -> None:
    assert not INLINE_SCRIPT.search(html), f"inline <script> in {url}"
    assert not EVENT_HANDLER.search(html), f"inline event handler in {url}"
    assert not STYLE_ATTRIBUTE.search(html), f"style attribute in {url}"


def test_pages_carry_no_inline_script_or_style(
    partner_admin: User, staff_manager: User, partner_a: Partner
) -> None:
    info_page_upsert(slug="about", title_ru="О нас", body_ru="Текст")
    anonymous = Client()
    for url in ["/", reverse("accounts:login"), "/pages/about/", "/missing/"]:
        _assert_no_inline_code(anonymous.get(url).content.decode(), url)
    partner = signed_in(partner_admin)
    for name in ["web:home", "partners:company", "partners:contacts"]:
        url = reverse(name)
        _assert_no_inline_code(partner.get(url).content.decode(), url)
    staff = signed_in(staff_manager)
    for url in [
        reverse("partners:staff_list"),
        reverse("partners:staff_card", kwargs={"partner_id": partner_a.pk}),
    ]:
        _assert_no_inline_code(staff.get(url).content.decode(), url)


def test_unsafe_routes_need_a_csrf_token(partner_admin: User, partner_a: Partner) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(partner_admin)
    for name in ["accounts:logout", "accounts:language", "partners:switch"]:
        response = client.post(reverse(name), {"partner": partner_a.pk, "language": "en"})
        assert response.status_code == 403, name
    assert client.get(reverse("partners:company")).status_code == 200  # still signed in
