"""A real user's walk through the portal in Chromium, on the demo data (ACC1, ACC2, i18n, PRT).

Texts of the interface are looked up through Django's own catalogues, so the tests follow the
translations instead of copying them; names of companies and documents come from the demo data.
"""

import re

import pytest
from django.utils import translation
from playwright.sync_api import Locator, Page, expect
from pytest_django.fixtures import Settings

from kabinet.demo.data import DEMO_PASSWORD, SUPPLIER_NAME
from tests.browser.conftest import PHONE, BrowserProblems, NewPage, Screenshot

IVAN = "ivan@zdorovie.example"  # partner user of a head company and of one of its clinics
MANAGER = "manager@medtech.example"  # the supplier's manager
HEAD = "Группа клиник «Здоровье»"
SOUTH = "Клиника «Здоровье» Юг"


def ru(message: str) -> str:
    with translation.override("ru"):
        return translation.gettext(message)


def sign_in(page: Page, email: str, password: str = DEMO_PASSWORD) -> None:
    form = page.get_by_test_id("sign-in-form")
    form.locator("input[name=username]").fill(email)
    form.locator("input[name=password]").fill(password)
    form.locator("button[type=submit]").click()


def sidebar_link(page: Page, label: str) -> Locator:
    return page.get_by_test_id("sidebar").get_by_role("link", name=label, exact=True)


def expect_anonymous_home(page: Page, base_url: str) -> None:
    expect(page).to_have_url(f"{base_url}/")
    expect(page.locator("body")).to_have_class(re.compile(r"\banonymous\b"))
    expect(page.get_by_test_id("sidebar")).to_have_count(0)
    expect(page.get_by_test_id("user-menu")).to_have_count(0)
    expect(page.get_by_test_id("sign-in-form")).to_be_visible()


def horizontal_overflow(page: Page) -> list[str]:
    """What sticks out to the right of a phone's screen (empty when nothing does)."""
    width = page.evaluate("document.documentElement.scrollWidth")
    if width <= PHONE["width"]:
        return []
    culprits = page.evaluate(
        """(limit) => [...document.querySelectorAll("body *")]
            .filter((element) => element.getBoundingClientRect().right > limit + 0.5)
            .filter((element) => getComputedStyle(element).position !== "fixed")
            .map((element) => {
                const id = element.dataset.testid || element.id || element.className;
                return `${element.tagName.toLowerCase()}[${id}] ends at `
                    + `${Math.round(element.getBoundingClientRect().right)}px`;
            })""",
        PHONE["width"],
    )
    return [f"{page.url} is {width}px wide: {'; '.join(culprits[:4])}"]


@pytest.mark.browser
def test_partner_user_walkthrough(
    demo_data: None,
    new_page: NewPage,
    problems: BrowserProblems,
    screenshot: Screenshot,
) -> None:
    page = new_page()
    page.goto("/")
    base_url = page.url.rstrip("/")

    # The public home page: the supplier's presentation and a sign-in form, no menu.
    expect_anonymous_home(page, base_url)
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.locator("h1")).to_contain_text(SUPPLIER_NAME)
    cards = page.locator(".public-home a.card")
    expect(cards).to_have_count(3)
    expect(cards.first).to_contain_text("Возможности портала")
    screenshot(page, "walkthrough-01-public-home")

    # A wrong password, and an unknown address: the same single, generic message.
    incorrect = ru("The e-mail or password is incorrect.")
    for email, password in ((IVAN, "not-the-password"), ("nobody@zdorovie.example", "x" * 12)):
        sign_in(page, email, password)
        expect(page.locator(".alert-danger")).to_have_count(1)
        expect(page.locator(".alert-danger")).to_have_text(incorrect)
        expect(page.locator(".invalid-feedback")).to_have_count(0)
        expect(page.get_by_test_id("sidebar")).to_have_count(0)
        expect(page.locator("input[name=password]")).to_have_value("")
    screenshot(page, "walkthrough-02-wrong-password")

    # Signed in: the two-level sidebar, working as the head company first.
    sign_in(page, IVAN)
    expect(page).to_have_url(f"{base_url}/")
    sidebar = page.get_by_test_id("sidebar")
    expect(sidebar).to_be_visible()
    sections = sidebar.locator(".sidebar-section")
    # A partner user with the Orders right and without the Users right: the catalog, his
    # company, and his own account.
    expect(sections.locator(".sidebar-section-title")).to_have_text(
        [ru("Orders"), ru("Company"), ru("Access")]
    )
    expect(sections.first.locator(".sidebar-link")).to_have_text(
        [ru("Catalog"), ru("My article codes"), ru("Cart"), ru("My orders")]
    )
    expect(sections.nth(2).locator(".sidebar-link")).to_have_text([ru("My account")])
    company_section = sections.nth(1)
    expect(company_section.locator(".sidebar-link")).to_have_text(
        [
            ru("Profile"),
            ru("Counterparties"),
            ru("Agreements"),
            ru("Delivery addresses"),
            ru("Contacts"),
            ru("Subsidiaries"),  # the head company of a holding
        ]
    )
    switcher = page.get_by_test_id("partner-switcher")
    expect(switcher.locator(".dropdown-toggle")).to_have_text(HEAD)
    screenshot(page, "walkthrough-03-signed-in-home")

    # The company profile, opened from the sidebar: the current partner's own documents.
    sidebar_link(page, ru("Profile")).click()
    expect(page).to_have_url(f"{base_url}/company/")
    expect(sidebar_link(page, ru("Profile"))).to_have_attribute("aria-current", "page")
    expect(page.locator("h1")).to_have_text(HEAD)
    counterparties = page.get_by_test_id("counterparties")
    expect(counterparties).to_contain_text("ООО «Здоровье Холдинг»")
    expect(counterparties).to_contain_text("7701234560")
    expect(counterparties).not_to_contain_text("ООО «Клиника Здоровье Юг»")
    expect(page.get_by_test_id("agreements")).to_contain_text("МТС-2025/014")
    expect(page.get_by_test_id("subsidiaries")).to_contain_text(SOUTH)
    screenshot(page, "walkthrough-04-company-profile-ru")

    # English, with the buttons in the header; the page stays where it was.
    page.get_by_test_id("language-en").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(f"{base_url}/company/")
    expect(page.get_by_test_id("language-en")).to_have_attribute("aria-pressed", "true")
    expect(sidebar.locator(".sidebar-section-title")).to_have_text(["Orders", "Company", "Access"])
    expect(sidebar_link(page, "Profile")).to_be_visible()
    expect(page.locator("h2#counterparties")).to_have_text("Counterparties")
    page.get_by_test_id("user-menu").click()
    expect(page.get_by_test_id("sign-out")).to_have_text("Sign out")
    expect(page.get_by_test_id("sign-out")).to_be_visible()
    screenshot(page, "walkthrough-05-company-profile-en")
    page.keyboard.press("Escape")

    # And back to Russian.
    page.get_by_test_id("language-ru").click()
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.get_by_test_id("language-ru")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_test_id("sign-out")).to_have_text(ru("Sign out"))
    expect(sidebar_link(page, ru("Profile"))).to_be_visible()

    # Switch to the other company from the header: its name and counterparty, not the first's.
    switcher.locator(".dropdown-toggle").click()
    switcher.locator(".dropdown-item", has_text=SOUTH).click()
    expect(page).to_have_url(f"{base_url}/company/")
    expect(page.locator(".alert-success")).to_contain_text(SOUTH)
    expect(switcher.locator(".dropdown-toggle")).to_have_text(SOUTH)
    expect(page.locator("h1")).to_have_text(SOUTH)
    expect(counterparties).to_contain_text("ООО «Клиника Здоровье Юг»")
    expect(counterparties).not_to_contain_text("ООО «Здоровье Холдинг»")
    expect(page.get_by_test_id("agreements")).to_contain_text("МТС-2025/016")
    expect(sidebar_link(page, ru("Subsidiaries"))).to_have_count(0)  # a clinic has none
    screenshot(page, "walkthrough-06-switched-partner")

    # Sign out from the user menu: back on the public home page.
    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("sign-out").click()
    expect_anonymous_home(page, base_url)
    screenshot(page, "walkthrough-07-signed-out")

    problems.assert_none()


@pytest.mark.browser
def test_phone_layout(
    demo_data: None,
    new_page: NewPage,
    problems: BrowserProblems,
    screenshot: Screenshot,
) -> None:
    page = new_page(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    layout: list[str] = []  # checked at the end, so that every screenshot gets taken
    page.goto("/")
    layout += horizontal_overflow(page)
    screenshot(page, "phone-01-public-home")

    sign_in(page, IVAN)
    expect(page.locator("body")).to_have_class(re.compile(r"\bsigned-in\b"))
    sidebar = page.get_by_test_id("sidebar")
    menu_button = page.locator("button[aria-controls=sidebar]")
    expect(menu_button).to_be_visible()
    expect(sidebar).to_be_hidden()
    layout += horizontal_overflow(page)
    screenshot(page, "phone-02-home")

    # The ☰ button opens the sidebar as an off-canvas panel; its links work.
    menu_button.click()
    expect(sidebar).to_be_visible()
    expect(sidebar).not_to_have_class(re.compile(r"\bshowing\b"))  # slid in completely
    expect(sidebar_link(page, ru("Profile"))).to_be_in_viewport()
    panel = sidebar.bounding_box()
    assert panel is not None
    if panel["width"] >= PHONE["width"]:
        layout.append(
            f"the open menu is {panel['width']:.0f}px wide: wider than the screen, its close"
            " button is cut off and no backdrop is left to tap"
        )
    screenshot(page, "phone-03-menu-open", full_page=False)
    sidebar_link(page, ru("Profile")).click()
    expect(page).to_have_url(re.compile(r"/company/$"))
    expect(page.locator("h1")).to_have_text(HEAD)
    expect(sidebar).to_be_hidden()
    layout += horizontal_overflow(page)
    screenshot(page, "phone-04-company-profile")

    menu_button.click()
    sidebar_link(page, ru("Contacts")).click()
    expect(page).to_have_url(re.compile(r"/company/contacts/$"))
    expect(page.get_by_test_id("contacts")).to_contain_text("Елена Морозова")
    layout += horizontal_overflow(page)
    screenshot(page, "phone-05-contacts")

    # The header's menus fit on a phone too.
    page.get_by_test_id("partner-switcher").locator(".dropdown-toggle").click()
    expect(page.get_by_test_id("partner-switcher").locator(".dropdown-menu")).to_be_in_viewport()
    layout += horizontal_overflow(page)
    screenshot(page, "phone-06-partner-switcher")
    page.keyboard.press("Escape")
    # A header wider than the screen hides the user menu under the language buttons, so what
    # follows can only work once the layout is right.
    assert not layout, "the phone layout is broken:\n" + "\n".join(layout)

    page.get_by_test_id("user-menu").click()
    expect(page.get_by_test_id("sign-out")).to_be_in_viewport(ratio=1)
    screenshot(page, "phone-07-user-menu", full_page=False)
    page.get_by_test_id("sign-out").click()
    expect(page.get_by_test_id("sign-in-form")).to_be_visible()
    expect(sidebar).to_have_count(0)
    expect(menu_button).to_have_count(0)
    problems.assert_none()


@pytest.mark.browser
def test_staff_manager_finds_a_partner(
    demo_data: None,
    new_page: NewPage,
    problems: BrowserProblems,
    screenshot: Screenshot,
    settings: Settings,
) -> None:
    # Staff must enrol a second factor first; that walk is test_access_lifecycle's.
    settings.MFA_REQUIRED_FOR_STAFF = False
    page = new_page()
    page.goto("/")
    sign_in(page, MANAGER)
    sidebar_link(page, ru("Partners")).click()
    expect(page).to_have_url(re.compile(r"/staff/partners/$"))
    rows = page.get_by_test_id("partner-list").locator("tbody tr")
    expect(rows).to_have_count(6)
    screenshot(page, "staff-01-partner-list")

    # The live filter: htmx asks once the typing pauses (300 ms), not on every key.
    htmx_requests: list[str] = []
    page.on(
        "request",
        lambda request: (
            htmx_requests.append(request.url) if request.headers.get("hx-request") else None
        ),
    )
    search = page.locator("input[type=search]")
    search.press_sequentially("Новосибирск", delay=30)
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Аптечная сеть «Фарма Плюс»")
    expect(page).to_have_url(re.compile(r"[?&]q="))  # the filtered list can be bookmarked
    assert 1 <= len(htmx_requests) < len("Новосибирск"), htmx_requests

    search.fill("")
    expect(rows).to_have_count(6)
    search.press_sequentially("5409876540", delay=30)  # a counterparty's tax ID
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Аптечная сеть «Фарма Плюс»")
    screenshot(page, "staff-02-search-by-tax-id")

    # The partner's card.
    rows.first.get_by_role("link", name="Аптечная сеть «Фарма Плюс»").click()
    expect(page).to_have_url(re.compile(r"/staff/partners/\d+/$"))
    expect(page.locator("h1")).to_have_text("Аптечная сеть «Фарма Плюс»")
    expect(page.get_by_test_id("counterparties")).to_contain_text("ООО «Фарма Плюс Логистик»")
    expect(page.get_by_test_id("members")).to_contain_text("anna@farmaplus.example")
    expect(sidebar_link(page, ru("Partners"))).to_have_attribute("aria-current", "page")
    screenshot(page, "staff-03-partner-card")

    problems.assert_none()


@pytest.mark.browser
def test_problem_detector_sees_csp_violations(new_page: NewPage, problems: BrowserProblems) -> None:
    """The other tests' "no problems" must not pass because nothing was listening."""
    page = new_page()
    page.goto("/")
    problems.assert_none()
    page.evaluate(
        """() => {
            const style = document.createElement("style");
            style.textContent = "body { color: red; }";
            document.head.append(style);
            const script = document.createElement("script");
            script.textContent = "window.inlineRan = true;";
            document.head.append(script);
        }"""
    )
    for _ in range(50):
        if len(problems.csp_violations) >= 2:
            break
        page.wait_for_timeout(100)
    assert any(v.startswith("style-src") for v in problems.csp_violations), problems.all()
    assert any(v.startswith("script-src") for v in problems.csp_violations), problems.all()
    assert problems.console_errors, "CSP refusals are also console errors"
    assert page.evaluate("window.inlineRan") is None
