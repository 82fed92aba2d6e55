"""The access lifecycle in Chromium, on the demo data (ACC3-ACC9, ACC11, PRT2).

A staff manager, made to set up two-factor sign-in first, invites the key user of a partner
that has none; the key user registers through the e-mailed link and becomes the company's
admin; the admin adds an employee with one section right; the employee registers on her
phone, sees only what her rights allow, resets her password by e-mail and, once her access
date has passed, cannot sign in. Last, the admin turns on two-factor sign-in and signs in with
a code.

E-mails are sent at once (the immediate task backend) into Django's test outbox; the links in
them point at the live server (SITE_URL).
"""

import base64
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from django_otp.oath import TOTP
from playwright.sync_api import Page, expect
from pytest_django.fixtures import Settings
from pytest_django.live_server_helper import LiveServer

from kabinet.accounts.models import User
from kabinet.partners.invitations import invitation_create
from kabinet.partners.models import Partner
from kabinet.partners.rights import Role
from tests.browser.conftest import PHONE, BrowserProblems, NewPage, Screenshot
from tests.browser.test_walkthrough import horizontal_overflow, ru, sidebar_link, sign_in

MANAGER = "manager@medtech.example"
DENTA = "Стоматология «Дента Про»"
KEY_USER = ("Марина Гусева", "guseva@dentapro.example")
DEMO_INVITEE = "viktor@dentapro.example"  # the demo data's invitation, still waiting
EMPLOYEE = ("Ольга Кравец", "kravets@dentapro.example")
KEY_USER_PASSWORD = "Бормашина-2026-зелёная"
EMPLOYEE_PASSWORD = "Пломба-светлая-2026"
EMPLOYEE_NEW_PASSWORD = "Коронка-новая-2027"
TOTP_STEP = 30


@pytest.fixture
def mail_at_once(settings: Settings, live_server: LiveServer) -> None:
    """Tasks run at once (after commit) in the live server's thread: mail lands in the outbox,
    with links to the live server."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.SITE_URL = live_server.url
    mail.outbox.clear()


def last_link(to: str, pattern: str) -> str:
    """The link (matching `pattern`) in the latest message sent to `to`."""
    sent = [message for message in mail.outbox if to in message.to]
    assert sent, f"no e-mail to {to}; the outbox has {[m.to for m in mail.outbox]}"
    body = str(sent[-1].body)
    found = re.search(rf"https?://\S*{pattern}\S*", body)
    assert found, f"no link matching {pattern!r} in:\n{body}"
    return found.group(0)


def expected_error(problems: BrowserProblems, status: int, url: str) -> None:
    """Forget the report of an error answer the test asked for (the browser logs it twice)."""
    problems.http_errors.remove(f"{status} {url}")
    console = [e for e in problems.console_errors if f"status of {status}" in e and url in e]
    assert len(console) == 1, problems.console_errors
    problems.console_errors.remove(console[0])


def sign_out(page: Page) -> None:
    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("sign-out").click()
    expect(page.get_by_test_id("sign-in-form")).to_be_visible()


def totp_step() -> int:
    return TOTP(b"", step=TOTP_STEP).t()


def totp_code(secret: str, step: int) -> str:
    """The code an authenticator app shows for the key `secret` during time step `step`."""
    totp = TOTP(base64.b32decode(secret), step=TOTP_STEP)
    totp.time = step * TOTP_STEP
    return f"{totp.token():06d}"


def enrol_second_factor(page: Page) -> tuple[str, int]:
    """On the set-up page: read the key, type the app's code, turn it on. Returns the key and
    the time step used."""
    expect(page.get_by_test_id("totp-qr").locator("svg")).to_be_visible()
    secret = page.get_by_test_id("totp-secret").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-7]{32}", secret), secret
    step = totp_step()
    page.get_by_label(ru("Code"), exact=True).fill(totp_code(secret, step))
    page.get_by_role("button", name=ru("Turn on")).click()
    expect(page.locator(".alert-success")).to_have_text(ru("Two-factor sign-in is on."))
    expect(page.get_by_test_id("recovery-codes").locator("li")).to_have_count(10)
    return secret, step


@pytest.mark.browser
def test_access_lifecycle(
    demo_data: None,
    mail_at_once: None,
    new_page: NewPage,
    problems: BrowserProblems,
    screenshot: Screenshot,
    live_server: LiveServer,
) -> None:
    base_url = live_server.url
    today = timezone.localdate()
    layout: list[str] = []  # phone-layout problems, asserted at the end

    # --- 1. Staff: a second factor first (required for staff), then the key user's invitation.
    staff = new_page()
    staff.goto("/")
    sign_in(staff, MANAGER)
    # Straight from sign-in to the set-up page: no page opens before it.
    expect(staff).to_have_url(f"{base_url}/account/two-factor/")
    expect(staff.locator(".alert-warning")).to_have_text(
        ru("Your account must use two-factor sign-in. Set it up to continue.")
    )
    screenshot(staff, "access-01-staff-mfa-required")
    enrol_second_factor(staff)
    screenshot(staff, "access-02-staff-recovery-codes")
    staff.get_by_role("link", name=ru("I have saved them")).click()
    expect(staff).to_have_url(f"{base_url}/account/")
    expect(staff.get_by_test_id("mfa-status")).to_contain_text(ru("on"))

    sidebar_link(staff, ru("Partners")).click()
    staff.get_by_test_id("partner-list").get_by_role("link", name=DENTA).click()
    expect(staff.locator("h1")).to_have_text(DENTA)
    expect(staff.locator("h1 + .badge")).to_have_text(ru("inactive: no key user"))
    expect(staff.get_by_test_id("members")).to_have_count(0)
    card_url = staff.url

    invitations = staff.get_by_test_id("invitations")
    expect(invitations.locator("li")).to_have_count(1)
    expect(invitations).to_contain_text(DEMO_INVITEE)

    invite = staff.get_by_test_id("invite-key-user")
    expect(invite.locator("xpath=preceding-sibling::h2[1]")).to_have_text(ru("Invite a key user"))
    invite.get_by_label(ru("Full name")).fill(KEY_USER[0])
    invite.get_by_label(ru("E-mail")).fill(KEY_USER[1])
    invite.get_by_role("button", name=ru("Invite")).click()
    expect(staff.locator(".alert-success")).to_contain_text(KEY_USER[1])
    expect(invitations.locator("li")).to_have_count(2)
    expect(invitations).to_contain_text(KEY_USER[0])
    expect(invitations).to_contain_text(KEY_USER[1])
    expect(invitations).to_contain_text(ru("Partner admin"))
    screenshot(staff, "access-03-partner-card-invited")

    # --- 2. The key user registers through the e-mailed link and becomes the company's admin.
    invitation_link = last_link(KEY_USER[1], "/invitation/")
    admin = new_page()
    admin.goto(invitation_link)
    expect(admin.locator("h1")).to_have_text(ru("Complete your registration"))
    expect(admin.locator(".card-body")).to_contain_text(DENTA)
    expect(admin.locator(".card-body")).to_contain_text(KEY_USER[1])
    form = admin.get_by_test_id("invitation-form")
    expect(form.get_by_label(ru("Full name"))).to_have_value(KEY_USER[0])
    form.get_by_label(ru("Phone")).fill("+7 912 345-67-89")
    # (A weak password is refused with its reason: test_registration_explains_a_weak_password.)
    form.get_by_label(ru("Password"), exact=True).fill(KEY_USER_PASSWORD)
    form.get_by_label(ru("Password again")).fill(KEY_USER_PASSWORD)
    expect(admin.get_by_test_id("sidebar")).to_have_count(0)
    screenshot(admin, "access-04-registration")
    form.get_by_role("button", name=ru("Complete registration")).click()
    expect(admin).to_have_url(f"{base_url}/sign-in/")
    expect(admin.locator(".alert-success")).to_contain_text(DENTA)
    screenshot(admin, "access-05-registered-sign-in")
    sign_in(admin, KEY_USER[1], KEY_USER_PASSWORD)
    expect(admin).to_have_url(f"{base_url}/")
    expect(sidebar_link(admin, ru("Users"))).to_be_visible()
    sidebar_link(admin, ru("Users")).click()
    members = admin.get_by_test_id("members")
    expect(members.locator("tbody tr")).to_have_count(1)
    expect(members).to_contain_text(KEY_USER[1])
    expect(members).to_contain_text(ru("Partner admin"))

    # The link worked once.
    again = new_page()
    again.goto(invitation_link)
    expect(again.get_by_test_id("invitation-invalid")).to_contain_text(
        ru("It has been used already: sign in with your e-mail and password.")
    )
    again.context.close()
    expected_error(problems, 410, invitation_link)

    # The partner is active now, for staff too.
    staff.goto(card_url)
    expect(staff.locator("h1 + .badge")).to_have_text(ru("active"))
    expect(staff.get_by_test_id("members")).to_contain_text(KEY_USER[1])
    expect(staff.get_by_test_id("invitations").locator("li")).to_have_count(1)
    expect(staff.get_by_test_id("invitations")).not_to_contain_text(KEY_USER[1])
    screenshot(staff, "access-06-partner-card-active")

    # --- 3. The admin adds an employee with an account and only the Orders right.
    sidebar_link(admin, ru("Contacts")).click()
    admin.get_by_test_id("add-employee").click()
    employee_form = admin.get_by_test_id("employee-form")
    employee_form.get_by_label(ru("Full name")).fill(EMPLOYEE[0])
    employee_form.get_by_label(ru("Position")).fill("Администратор клиники")
    employee_form.get_by_label(ru("E-mail")).fill(EMPLOYEE[1])
    employee_form.get_by_label(ru("Phone"), exact=True).fill("+7 343 300-40-51")
    employee_form.get_by_label(ru("Give an account: send an invitation to this e-mail")).check()
    rights = employee_form.locator("[data-field=rights]")
    for label in (ru("Materials"), ru("Support")):  # ticked by default
        expect(rights.get_by_label(label, exact=True)).to_be_checked()
        rights.get_by_label(label, exact=True).uncheck()
    expect(rights.get_by_label(ru("Orders"), exact=True)).to_be_checked()
    expect(rights.get_by_label(ru("Users"), exact=True)).not_to_be_checked()
    screenshot(admin, "access-07-new-employee")
    employee_form.get_by_role("button", name=ru("Save")).click()
    expect(admin).to_have_url(f"{base_url}/company/contacts/")
    expect(admin.locator(".alert-success")).to_contain_text(EMPLOYEE[1])
    expect(admin.get_by_test_id("contacts")).to_contain_text(EMPLOYEE[0])
    screenshot(admin, "access-08-contacts-employee-invited")
    sidebar_link(admin, ru("Users")).click()
    expect(admin.get_by_test_id("invitations")).to_contain_text(EMPLOYEE[1])

    # The employee registers on her phone, signs in and sees only what her rights allow.
    phone = new_page(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    phone.goto(last_link(EMPLOYEE[1], "/invitation/"))
    expect(phone.get_by_test_id("invitation-form").get_by_label(ru("Full name"))).to_have_value(
        EMPLOYEE[0]
    )
    layout += horizontal_overflow(phone)
    screenshot(phone, "access-09-phone-registration")
    form = phone.get_by_test_id("invitation-form")
    form.get_by_label(ru("Phone")).fill("+7 343 300-40-51")
    form.get_by_label(ru("Password"), exact=True).fill(EMPLOYEE_PASSWORD)
    form.get_by_label(ru("Password again")).fill(EMPLOYEE_PASSWORD + "x")
    form.get_by_role("button", name=ru("Complete registration")).click()
    expect(form.locator("[data-field=password2] .invalid-feedback")).to_have_text(
        ru("The two passwords differ.")
    )
    layout += horizontal_overflow(phone)
    screenshot(phone, "access-10-phone-registration-errors")
    form.get_by_label(ru("Password"), exact=True).fill(EMPLOYEE_PASSWORD)
    form.get_by_label(ru("Password again")).fill(EMPLOYEE_PASSWORD)
    form.get_by_role("button", name=ru("Complete registration")).click()
    expect(phone).to_have_url(f"{base_url}/sign-in/")
    sign_in(phone, EMPLOYEE[1], EMPLOYEE_PASSWORD)
    expect(phone).to_have_url(f"{base_url}/")
    phone.locator("button[aria-controls=sidebar]").click()
    sidebar = phone.get_by_test_id("sidebar")
    expect(sidebar).to_be_visible()
    expect(sidebar).not_to_have_class(re.compile(r"\bshowing\b"))  # slid in completely
    expect(sidebar.locator(".sidebar-section").last.locator(".sidebar-link")).to_have_text(
        [ru("My account")]
    )
    expect(sidebar_link(phone, ru("Users"))).to_have_count(0)
    layout += horizontal_overflow(phone)
    screenshot(phone, "access-11-phone-employee-menu", full_page=False)
    answer = phone.goto("/company/users/")
    assert answer is not None
    assert answer.status == 403
    expect(phone.locator("h1")).to_have_text(ru("No access"))
    layout += horizontal_overflow(phone)
    screenshot(phone, "access-12-phone-no-access")
    expected_error(problems, 403, f"{base_url}/company/users/")
    sidebar_link(admin, ru("Users")).click()
    row = admin.get_by_test_id("members").locator("tbody tr", has_text=EMPLOYEE[1])
    expect(row).to_contain_text(ru("Partner user"))
    expect(row).to_contain_text(ru("Orders"))
    expect(admin.get_by_test_id("invitations")).not_to_contain_text(EMPLOYEE[1])

    # --- 4. The employee forgot her password: a new one by e-mail; the link works once.
    sign_out(phone)
    employee = new_page()
    employee.goto("/sign-in/")
    employee.get_by_role("link", name=ru("Forgot your password?")).click()
    expect(employee).to_have_url(f"{base_url}/password/reset/")
    employee.locator("input[name=email]").fill(EMPLOYEE[1])
    employee.get_by_role("button", name=ru("Send the link")).click()
    expect(employee.get_by_test_id("reset-sent")).to_be_visible()
    screenshot(employee, "access-13-reset-sent")
    reset_link = last_link(EMPLOYEE[1], "/password/reset/")
    employee.goto(reset_link)
    expect(employee.locator("h1")).to_have_text(ru("New password"))
    employee.locator("input[name=new_password1]").fill(EMPLOYEE_NEW_PASSWORD)
    employee.locator("input[name=new_password2]").fill(EMPLOYEE_NEW_PASSWORD)
    screenshot(employee, "access-14-reset-new-password")
    employee.get_by_role("button", name=ru("Save the password")).click()
    expect(employee.locator("h1")).to_have_text(ru("Password saved"))
    employee.get_by_role("link", name=ru("Sign in")).last.click()
    sign_in(employee, EMPLOYEE[1], EMPLOYEE_PASSWORD)  # the old one no longer works
    expect(employee.locator(".alert-danger")).to_have_text(
        ru("The e-mail or password is incorrect.")
    )
    sign_in(employee, EMPLOYEE[1], EMPLOYEE_NEW_PASSWORD)
    expect(employee).to_have_url(f"{base_url}/")
    expect(employee.get_by_test_id("sidebar")).to_be_visible()
    sign_out(employee)
    employee.goto(reset_link)
    expect(employee.get_by_test_id("link-invalid")).to_have_text(ru("This link no longer works"))
    screenshot(employee, "access-15-reset-link-used")

    # --- 5. Access dates: the admin sets one; once it has passed, the employee cannot sign in.
    row.get_by_role("link", name=ru("Manage")).click()
    expect(admin.locator("h1")).to_have_text(EMPLOYEE[0])
    expiry = admin.locator("form[action$='/expiry/']")
    expiry.get_by_label(ru("Access until")).fill((today - timedelta(days=1)).isoformat())
    expiry.get_by_role("button", name=ru("Save the date")).click()
    expect(admin.locator(".alert-danger")).to_have_text(ru("Choose a date from today on."))
    until = today + timedelta(days=30)
    expiry.get_by_label(ru("Access until")).fill(until.isoformat())
    expiry.get_by_role("button", name=ru("Save the date")).click()
    expect(admin.locator(".alert-success")).to_have_text(ru("Access date saved."))
    # (The field should show the saved date: see test_member_page_shows_the_access_date.)
    screenshot(admin, "access-16-member-access-date")
    admin.get_by_role("link", name=f"← {ru('Users')}").click()
    expect(row).to_contain_text(f"{ru('until')} {until:%d.%m.%Y}")

    yesterday = today - timedelta(days=1)
    User.objects.filter(email=EMPLOYEE[1]).update(access_expires_on=yesterday)
    employee.goto("/sign-in/")
    sign_in(employee, EMPLOYEE[1], EMPLOYEE_NEW_PASSWORD)
    expect(employee.locator(".alert-danger")).to_have_text(
        ru(
            "Your access expired on %(date)s. Ask your company's administrator or your manager "
            "at the supplier to extend it."
        )
        % {"date": yesterday.strftime("%d.%m.%Y")}
    )
    expect(employee.get_by_test_id("sidebar")).to_have_count(0)
    screenshot(employee, "access-17-expired-sign-in")
    sidebar_link(admin, ru("Users")).click()
    expect(
        admin.get_by_test_id("members").locator("tbody tr", has_text=EMPLOYEE[1])
    ).to_contain_text(ru("expired"))

    # --- 6. The admin turns on two-factor sign-in and signs in with a code from her app.
    sidebar_link(admin, ru("My account")).click()
    mfa_status = admin.get_by_test_id("mfa-status")
    mfa_status.get_by_role("link", name=ru("Set up")).click()
    expect(admin.locator("h1")).to_have_text(ru("Set up two-factor sign-in"))
    expect(admin.locator(".alert-warning")).to_have_count(0)  # not required for her
    screenshot(admin, "access-18-mfa-setup")
    secret, used_step = enrol_second_factor(admin)
    screenshot(admin, "access-19-recovery-codes")
    admin.get_by_role("link", name=ru("I have saved them")).click()
    expect(mfa_status.locator(".badge")).to_have_text(ru("on"))

    sign_out(admin)
    sign_in(admin, KEY_USER[1], KEY_USER_PASSWORD)
    expect(admin).to_have_url(f"{base_url}/sign-in/code/")
    expect(admin.get_by_test_id("sidebar")).to_have_count(0)
    code_field = admin.get_by_test_id("verify-form").get_by_label(ru("Code"))
    # The code already used to turn it on is refused: a code works once.
    code_field.fill(totp_code(secret, used_step))
    admin.get_by_role("button", name=ru("Continue")).click()
    expect(admin.locator("[data-field=code] .invalid-feedback")).to_have_text(
        ru("The code is not valid. Try the next one from your app.")
    )
    screenshot(admin, "access-20-sign-in-code-refused")
    admin.wait_for_timeout(1100)  # django-otp pauses a device for a second after a failure
    # A fresh one: the app's current code, or the next step's if the app still shows the used
    # one (the server accepts one step of clock difference).
    code_field.fill(totp_code(secret, max(totp_step(), used_step + 1)))
    admin.get_by_role("button", name=ru("Continue")).click()
    expect(admin).to_have_url(f"{base_url}/")
    expect(sidebar_link(admin, ru("Users"))).to_be_visible()
    screenshot(admin, "access-21-signed-in-with-code")

    assert not layout, "the phone layout is broken:\n" + "\n".join(layout)
    problems.assert_none()


@pytest.mark.browser
def test_registration_explains_a_weak_password(
    demo_data: None,
    mail_at_once: None,
    new_page: NewPage,
    problems: BrowserProblems,
    screenshot: Screenshot,
) -> None:
    invitation_create(
        partner=Partner.objects.get(name=DENTA),
        email=KEY_USER[1],
        full_name=KEY_USER[0],
        role=Role.PARTNER_ADMIN,
        actor=User.objects.get(email=MANAGER),
    )
    page = new_page()
    page.goto(last_link(KEY_USER[1], "/invitation/"))
    form = page.get_by_test_id("invitation-form")
    form.get_by_label(ru("Phone")).fill("+7 912 345-67-89")
    form.get_by_label(ru("Password"), exact=True).fill("password123")
    form.get_by_label(ru("Password again")).fill("password123")
    form.get_by_role("button", name=ru("Complete registration")).click()
    screenshot(page, "access-04a-registration-weak-password")
    password = form.locator("[data-field=password1]")
    expect(password.locator(".invalid-feedback").first).to_be_visible(timeout=3000)
    expect(password).to_contain_text(ru("This password is too common."))
    expect(form.get_by_label(ru("Full name"))).to_have_value(KEY_USER[0])
    assert not User.objects.filter(email=KEY_USER[1]).exists()
    problems.assert_none()


@pytest.mark.browser
def test_member_page_shows_the_access_date(
    demo_data: None, new_page: NewPage, problems: BrowserProblems
) -> None:
    until = timezone.localdate() + timedelta(days=30)
    ivan = User.objects.get(email="ivan@zdorovie.example")
    ivan.access_expires_on = until
    ivan.save(update_fields=["access_expires_on"])
    page = new_page()
    page.goto("/")
    sign_in(page, "olga@zdorovie.example")  # the admin of Ivan's head company
    sidebar_link(page, ru("Users")).click()
    row = page.get_by_test_id("members").locator("tbody tr", has_text=ivan.email)
    expect(row).to_contain_text(f"{until:%d.%m.%Y}")
    row.get_by_role("link", name=ru("Manage")).click()
    field = page.locator("form[action$='/expiry/']").get_by_label(ru("Access until"))
    expect(field).to_have_value(until.isoformat(), timeout=2000)
    problems.assert_none()
