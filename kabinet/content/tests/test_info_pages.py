import pytest
from django.test import Client

from kabinet.accounts.models import User
from kabinet.content.models import InfoPage
from kabinet.content.services import info_page_upsert
from tests.support import signed_in

pytestmark = pytest.mark.django_db


def test_published_page_is_public_and_listed_on_the_home_page() -> None:
    info_page_upsert(
        slug="benefits",
        title_ru="Преимущества",
        title_en="Benefits",
        summary_ru="Кратко",
        body_ru="Первый абзац.\n\nВторой абзац.",
    )
    client = Client()
    assert "/pages/benefits/" in client.get("/").content.decode()
    page = client.get("/pages/benefits/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Преимущества" in html
    assert "<p>Первый абзац.</p>" in html
    assert 'data-testid="sidebar"' not in html


def test_english_falls_back_to_russian_where_not_translated() -> None:
    info_page_upsert(slug="about", title_ru="О программе", title_en="About", body_ru="Текст")
    page = Client(headers={"accept-language": "en"}).get("/pages/about/").content.decode()
    assert "About" in page
    assert "Текст" in page


def test_unpublished_and_unknown_pages_are_404() -> None:
    page = info_page_upsert(slug="draft", title_ru="Черновик", body_ru="…")
    InfoPage.objects.filter(pk=page.pk).update(is_published=False)
    assert Client().get("/pages/draft/").status_code == 404
    assert Client().get("/pages/nope/").status_code == 404


def test_page_text_is_escaped() -> None:
    info_page_upsert(
        slug="x", title_ru="<script>alert(1)</script>", body_ru="<img src=x onerror=1>"
    )
    html = Client().get("/pages/x/").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html
    assert "<img src=x" not in html


def test_staff_edit_pages_in_the_admin(staff_editor: User) -> None:
    page = info_page_upsert(slug="about", title_ru="О программе", body_ru="Текст")
    client = signed_in(staff_editor)
    url = f"/admin/content/infopage/{page.pk}/change/"
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "slug": "about",
            "is_published": "on",
            "show_on_home": "on",
            "position": "1",
            "title_ru": "О партнёрской программе",
            "summary_ru": "",
            "body_ru": "Новый текст",
            "title_en": "",
            "summary_en": "",
            "body_en": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Client().get("/pages/about/").content.decode().count("Новый текст") == 1
