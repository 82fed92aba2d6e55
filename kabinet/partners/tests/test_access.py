"""Tenant resolution, section rights and the partner switch (ACC2, ACC7, ACC10, PRT4)."""

import re

import pytest
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse

from kabinet.accounts.models import User
from kabinet.accounts.tests.factories import UserFactory
from kabinet.partners.access import PartnerRequest, TenantMiddleware, require_right
from kabinet.partners.models import Membership, Partner
from kabinet.partners.rights import Right, Role
from kabinet.partners.tests.factories import MembershipFactory, PartnerFactory
from tests.support import signed_in


def _resolve(user: User) -> PartnerRequest:
    request = RequestFactory().get("/")
    request.user = user
    TenantMiddleware(lambda r: HttpResponse())(request)
    return request  # type: ignore[return-value]


@pytest.mark.django_db
def test_middleware_picks_the_partner_chosen_last(partner_a: Partner, partner_b: Partner) -> None:
    user = UserFactory.create()
    MembershipFactory.create(user=user, partner=partner_a)
    MembershipFactory.create(user=user, partner=partner_b)
    assert _resolve(user).partner == partner_a  # by name when nothing was chosen yet

    client = signed_in(user)
    client.post(reverse("partners:switch"), {"partner": partner_b.pk, "next": "/company/"})
    request = _resolve(user)
    assert request.partner == partner_b
    assert request.membership is not None
    assert [m.partner for m in request.memberships] == [partner_b, partner_a]


@pytest.mark.django_db
def test_staff_without_membership_has_no_partner(staff_manager: User) -> None:
    request = _resolve(staff_manager)
    assert request.partner is None
    assert request.membership is None


def test_partner_switch_persists_across_sign_ins(partner_a: Partner, partner_b: Partner) -> None:
    user = UserFactory.create()
    MembershipFactory.create(user=user, partner=partner_a)
    MembershipFactory.create(user=user, partner=partner_b)
    response = signed_in(user).post(
        reverse("partners:switch"), {"partner": partner_b.pk, "next": "/company/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/company/"
    fresh_session = signed_in(user)
    assert "Beta Clinic" in fresh_session.get(reverse("partners:company")).content.decode()


def test_partner_switch_refuses_foreign_redirect(partner_a: Partner, partner_admin: User) -> None:
    response = signed_in(partner_admin).post(
        reverse("partners:switch"), {"partner": partner_a.pk, "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


@pytest.mark.parametrize("value", ["", "abc", "999999"])
def test_partner_switch_with_bad_id_is_404(value: str, partner_admin: User) -> None:
    before = list(Membership.objects.values("pk", "selected_at"))
    response = signed_in(partner_admin).post(reverse("partners:switch"), {"partner": value})
    assert response.status_code == 404
    assert list(Membership.objects.values("pk", "selected_at")) == before


def test_partner_switch_is_post_only(partner_a: Partner, partner_admin: User) -> None:
    response = signed_in(partner_admin).get(reverse("partners:switch"), {"partner": partner_a.pk})
    assert response.status_code == 405


def test_require_right_lets_only_holders_in(partner_a: Partner, partner_user: User) -> None:
    @require_right(Right.FINANCE)
    def finance_view(request: PartnerRequest) -> HttpResponse:
        return HttpResponse("ok")

    from django.core.exceptions import PermissionDenied

    request = _resolve(partner_user)  # holds ORDERS only
    with pytest.raises(PermissionDenied):
        finance_view(request)

    membership = Membership.objects.get(user=partner_user)
    membership.rights = [Right.FINANCE.value]
    membership.save()
    response = finance_view(_resolve(partner_user))
    assert isinstance(response, HttpResponse)
    assert response.content == b"ok"


def test_partner_admin_holds_every_right(partner_admin: User) -> None:
    membership = Membership.objects.get(user=partner_admin)
    assert all(membership.has_right(right) for right in Right)


def test_user_without_partner_gets_404_on_company_pages(db: None) -> None:
    lonely = UserFactory.create()
    assert signed_in(lonely).get(reverse("partners:company")).status_code == 404


def test_non_staff_get_404_on_staff_pages(partner_admin: User, partner_a: Partner) -> None:
    client = signed_in(partner_admin)
    assert client.get(reverse("partners:staff_list")).status_code == 404
    url = reverse("partners:staff_card", kwargs={"partner_id": partner_a.pk})
    assert client.get(url).status_code == 404


def test_staff_without_the_permission_get_403(staff_editor: User) -> None:
    assert signed_in(staff_editor).get(reverse("partners:staff_list")).status_code == 403


def test_menu_depends_on_who_signs_in(
    partner_admin: User, staff_manager: User, staff_editor: User
) -> None:
    partner_page = signed_in(partner_admin).get("/").content.decode()
    assert 'data-testid="sidebar"' in partner_page
    assert reverse("partners:company") in partner_page
    assert reverse("partners:staff_list") not in partner_page
    assert reverse("partners:subsidiaries") not in partner_page  # not a head company

    manager_page = signed_in(staff_manager).get("/").content.decode()
    assert reverse("partners:staff_list") in manager_page
    assert reverse("partners:company") not in manager_page

    editor_page = signed_in(staff_editor).get("/").content.decode()
    assert reverse("partners:staff_list") not in editor_page
    assert reverse("admin:content_infopage_changelist") in editor_page


def test_anonymous_home_has_no_sidebar(db: None) -> None:
    page = Client().get("/").content.decode()
    assert 'data-testid="sidebar"' not in page
    assert 'data-testid="sign-in-form"' in page


def test_head_company_lists_subsidiaries(partner_a: Partner, partner_admin: User) -> None:
    child = PartnerFactory.create(name="Alpha North", parent=partner_a)
    MembershipFactory.create(partner=child, role=Role.PARTNER_ADMIN)
    PartnerFactory.create(name="Someone Else's Child")
    client = signed_in(partner_admin)
    home = client.get("/").content.decode()
    assert reverse("partners:subsidiaries") in home
    page = client.get(reverse("partners:subsidiaries")).content.decode()
    assert "Alpha North" in page
    assert "Someone Else" not in page


def test_menu_marks_the_current_page(partner_admin: User) -> None:
    page = signed_in(partner_admin).get(reverse("partners:contacts")).content.decode()
    current = re.findall(r'<a href="([^"]+)"[^>]*aria-current="page"', page)
    assert current == [reverse("partners:contacts")]
