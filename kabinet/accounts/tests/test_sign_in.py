import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from kabinet.accounts.models import User
from kabinet.accounts.tests.factories import PASSWORD, UserFactory

GENERIC_ERROR = "The e-mail or password is incorrect."

pytestmark = pytest.mark.django_db


def _sign_in(client: Client, email: str, password: str) -> str:
    response = client.post(
        reverse("accounts:login"),
        {"username": email, "password": password},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    return response.content.decode() if response.status_code == 200 else ""


def _alerts(page: str) -> list[str]:
    return re.findall(r'role="alert">\s*(.*?)\s*</div>', page)


def test_sign_in_with_email_and_password_then_sign_out() -> None:
    user = UserFactory.create(email="anna@alpha.example")
    client = Client()
    response = client.post(
        reverse("accounts:login"), {"username": "Anna@Alpha.example", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(user.pk)

    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert SESSION_KEY not in client.session


def test_sign_in_rotates_the_session_id() -> None:
    UserFactory.create(email="anna@alpha.example")
    client = Client()
    client.get(reverse("accounts:login"))
    client.session.save()
    before = client.cookies["kabinet_session"].value if "kabinet_session" in client.cookies else ""
    client.post(reverse("accounts:login"), {"username": "anna@alpha.example", "password": PASSWORD})
    assert client.cookies["kabinet_session"].value != before


def test_wrong_password_and_unknown_user_get_the_same_message() -> None:
    UserFactory.create(email="anna@alpha.example")
    wrong_password = _sign_in(Client(), "anna@alpha.example", "not-the-password-at-all")
    unknown_user = _sign_in(Client(), "nobody@alpha.example", "not-the-password-at-all")
    assert GENERIC_ERROR in wrong_password
    assert GENERIC_ERROR in unknown_user
    assert "nobody@alpha.example" in unknown_user  # the form keeps what was typed
    assert _alerts(wrong_password) == _alerts(unknown_user) == [GENERIC_ERROR]


def test_inactive_user_cannot_sign_in_and_gets_the_generic_message() -> None:
    UserFactory.create(email="anna@alpha.example", is_active=False)
    client = Client()
    page = _sign_in(client, "anna@alpha.example", PASSWORD)
    assert GENERIC_ERROR in page
    assert SESSION_KEY not in client.session


def test_sign_out_needs_post() -> None:
    user = UserFactory.create()
    client = Client()
    client.force_login(user)
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert client.session[SESSION_KEY] == str(user.pk)


def test_pages_need_sign_in_except_public_ones() -> None:
    client = Client()
    response = client.get(reverse("partners:company"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert client.get(reverse("web:home")).status_code == 200
    assert client.get(reverse("accounts:login")).status_code == 200
    assert client.get(reverse("web:healthz")).status_code == 200


def test_csrf_is_enforced_on_sign_in() -> None:
    UserFactory.create(email="anna@alpha.example")
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        reverse("accounts:login"), {"username": "anna@alpha.example", "password": PASSWORD}
    )
    assert response.status_code == 403
    assert SESSION_KEY not in client.session


def test_user_email_is_unique_ignoring_case() -> None:
    from django.db import IntegrityError, transaction

    User.objects.create_user(email="anna@alpha.example", password=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(email="ANNA@alpha.example")
