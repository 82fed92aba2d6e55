"""The catalog in Chromium on the demo data (ORD1–ORD3): htmx filters and "Show more", the
views, the product card's colour choice, and a phone's screen."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Page, Route, expect

from tests.browser.conftest import PHONE, BrowserProblems, NewPage, Screenshot
from tests.browser.test_walkthrough import IVAN, horizontal_overflow, ru, sidebar_link, sign_in

pytestmark = pytest.mark.browser


def _serve_media(page: Page) -> None:
    """The live server does not serve uploaded files (production's storage does): the
    browser reads product pictures from MEDIA_ROOT itself."""

    def fulfil(route: Route) -> None:
        name = route.request.url.split("/media/", 1)[1].split("?", 1)[0]
        path = Path(settings.MEDIA_ROOT, name).resolve()
        if path.is_relative_to(Path(settings.MEDIA_ROOT).resolve()) and path.is_file():
            route.fulfill(path=path)
        else:
            route.fulfill(status=404)

    page.context.route("**/media/**", fulfil)


def _rows(page: Page) -> int:
    return page.get_by_test_id("catalog-row").count()


def test_catalog_walk(
    demo_data: None, new_page: NewPage, problems: BrowserProblems, screenshot: Screenshot
) -> None:
    page = new_page()
    _serve_media(page)
    page.goto("/sign-in/")
    sign_in(page, IVAN)
    sidebar_link(page, ru("Catalog")).click()
    expect(page.locator("h1")).to_have_text(ru("Catalog"))
    expect(page.get_by_test_id("catalog-tiles")).to_be_visible()
    assert _rows(page) == 50
    screenshot(page, "catalog-01-tiles", full_page=False)

    # "Show more" appends the next rows in place; the address stays the first page's.
    url = page.url
    page.get_by_test_id("show-more").click()
    expect(page.get_by_test_id("catalog-row")).to_have_count(100)
    assert page.url == url

    # Typing in the search box swaps the results and puts the query in the address.
    page.get_by_test_id("catalog-search").fill("халат")
    expect(page).to_have_url(re.compile(r"q=%D1%85%D0%B0%D0%BB%D0%B0%D1%82"))
    expect(page.get_by_test_id("catalog-row").first).to_contain_text(re.compile("халат", re.I))

    # The list view, kept for the next visit.
    page.get_by_test_id("view-list").click()
    expect(page.get_by_test_id("catalog-list")).to_be_visible()
    page.goto("/catalog/")
    expect(page.get_by_test_id("catalog-list")).to_be_visible()
    screenshot(page, "catalog-02-list", full_page=False)

    # A section of the tree, then a product of it.
    page.get_by_test_id("catalog-sections").locator(".catalog-section-link").nth(1).click()
    expect(page.get_by_test_id("catalog-sections").locator("[aria-current=page]")).to_have_count(1)
    page.get_by_test_id("catalog-row").first.get_by_role("link").first.click()
    matrix = page.get_by_test_id("size-matrix")
    expect(matrix).to_be_visible()
    colours = page.get_by_test_id("colour-choice").get_by_role("link")
    if colours.count() > 1:
        second = colours.nth(1).inner_text()
        colours.nth(1).click()
        expect(matrix.locator("tr.catalog-matrix-current th")).to_have_text(second)
    screenshot(page, "catalog-03-product")
    problems.assert_none()


def test_catalog_on_a_phone(
    demo_data: None, new_page: NewPage, problems: BrowserProblems, screenshot: Screenshot
) -> None:
    page = new_page(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    _serve_media(page)
    layout: list[str] = []
    page.goto("/sign-in/")
    sign_in(page, IVAN)
    page.goto("/catalog/")
    expect(page.get_by_test_id("catalog-tiles")).to_be_visible()
    layout += horizontal_overflow(page)
    screenshot(page, "catalog-04-phone", full_page=False)
    page.locator("[aria-controls=catalog-aside-body]").click()
    expect(page.get_by_test_id("catalog-sections")).to_be_visible()
    layout += horizontal_overflow(page)
    # Clothes, sold in colours × sizes: the first section of the demo catalog.
    page.get_by_test_id("catalog-sections").locator(".catalog-section-link").nth(1).click()
    expect(page.get_by_test_id("catalog-tiles")).to_be_visible()
    href = page.get_by_test_id("catalog-row").first.get_by_role("link").first.get_attribute("href")
    page.goto(str(href))
    box = page.locator(".catalog-matrix-box")
    expect(box).to_be_visible()
    layout += horizontal_overflow(page)  # the matrix scrolls inside its box, not the page
    screenshot(page, "catalog-05-phone-product")
    assert not layout, layout
    problems.assert_none()
