import pytest
from django.test import Client
from django.urls import reverse

from kabinet.accounts.models import User
from kabinet.accounts.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_anonymous_visitor_switches_language_and_it_sticks() -> None:
    client = Client()
    assert "Войти" in client.get("/").content.decode()  # Russian by default
    response = client.post(reverse("accounts:language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert response["Location"] == "/"
    page = client.get("/").content.decode()
    assert "Sign in" in page
    assert 'lang="en"' in page


def test_signed_in_user_language_is_remembered_for_next_sign_in() -> None:
    user = UserFactory.create(email="anna@alpha.example")
    client = Client()
    client.force_login(user)
    client.post(reverse("accounts:language"), {"language": "en", "next": "/"})
    user.refresh_from_db()
    assert user.preferred_language == "en"

    other_device = Client()
    response = other_device.post(
        reverse("accounts:login"), {"username": "anna@alpha.example", "password": PASSWORD}
    )
    assert response.cookies["kabinet_language"].value == "en"


def test_unknown_language_and_foreign_redirects_are_ignored() -> None:
    user = UserFactory.create()
    client = Client()
    client.force_login(user)
    response = client.post(
        reverse("accounts:language"), {"language": "xx", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"
    assert "kabinet_language" not in response.cookies
    assert User.objects.get(pk=user.pk).preferred_language == ""


def test_dates_and_numbers_follow_the_locale(partner_admin: User) -> None:
    from datetime import date

    from django.utils import formats, translation

    with translation.override("ru"):
        assert formats.date_format(date(2026, 3, 1), "SHORT_DATE_FORMAT") == "01.03.2026"
        assert formats.number_format(1234.5, 1, force_grouping=True) == "1\xa0234,5"
    with translation.override("en"):
        assert formats.date_format(date(2026, 3, 1), "SHORT_DATE_FORMAT") == "03/01/2026"
        assert formats.number_format(1234.5, 1, force_grouping=True) == "1,234.5"
