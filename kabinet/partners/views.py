from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kabinet.partners import selectors
from kabinet.partners.access import PartnerRequest, require_partner, staff_required
from kabinet.partners.forms import StaffPartnerFilterForm
from kabinet.partners.models import Membership, Partner
from kabinet.partners.rights import Right
from kabinet.partners.services import membership_select

STAFF_PAGE_SIZE = 50


def _current_partner(request: PartnerRequest) -> Partner:
    assert request.partner is not None  # guaranteed by @require_partner
    return request.partner


@require_partner
def company_profile(request: PartnerRequest) -> HttpResponse:
    partner = _current_partner(request)
    context = {
        "profile": selectors.partner_profile(partner=partner),
        "counterparties": selectors.counterparty_list(partner=partner),
        "agreements": selectors.agreement_list(partner=partner),
        "addresses": selectors.delivery_address_list(partner=partner),
        "contacts": selectors.contact_list(partner=partner),
        "subsidiaries": selectors.subsidiary_list(partner=partner),
    }
    return render(request, "partners/company_profile.html", context)


@require_partner
def company_counterparties(request: PartnerRequest) -> HttpResponse:
    items = selectors.counterparty_list(partner=_current_partner(request))
    return render(request, "partners/company_counterparties.html", {"counterparties": items})


@require_partner
def company_agreements(request: PartnerRequest) -> HttpResponse:
    items = selectors.agreement_list(partner=_current_partner(request))
    return render(request, "partners/company_agreements.html", {"agreements": items})


@require_partner
def company_addresses(request: PartnerRequest) -> HttpResponse:
    items = selectors.delivery_address_list(partner=_current_partner(request))
    return render(request, "partners/company_addresses.html", {"addresses": items})


@require_partner
def company_contacts(request: PartnerRequest) -> HttpResponse:
    items = selectors.contact_list(partner=_current_partner(request))
    assert request.membership is not None
    can_manage = request.membership.has_right(Right.USERS)
    context = {"contacts": items, "can_manage": can_manage}
    return render(request, "partners/company_contacts.html", context)


@require_partner
def company_subsidiaries(request: PartnerRequest) -> HttpResponse:
    items = selectors.subsidiary_list(partner=_current_partner(request))
    return render(request, "partners/company_subsidiaries.html", {"subsidiaries": items})


@require_POST
def partner_switch(request: PartnerRequest) -> HttpResponse:
    """Work in another of the user's partners. Not a member of it: 404, nothing changes."""
    try:
        partner_id = int(request.POST.get("partner", ""))
        membership = membership_select(user=request.user, partner_id=partner_id)
    except (ValueError, Membership.DoesNotExist) as exc:
        raise Http404 from exc
    messages.success(
        request, _("You are now working as %(partner)s.") % {"partner": membership.partner.name}
    )
    next_url = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "/"
    return HttpResponseRedirect(next_url)


@staff_required("partners.view_partner")
def staff_partner_list(request: PartnerRequest) -> HttpResponse:
    managers = [(user.pk, str(user)) for user in selectors.staff_manager_list()]
    form = StaffPartnerFilterForm(request.GET or None, managers=managers)
    search, active, manager_id = "", None, None
    if form.is_valid():
        search = form.cleaned_data["q"]
        active = form.active_value()
        manager_id = form.cleaned_data["manager"]
    partners = selectors.staff_partner_list(search=search, active=active, manager_id=manager_id)
    page = Paginator(partners, STAFF_PAGE_SIZE).get_page(request.GET.get("page"))
    querystring = request.GET.copy()
    querystring.pop("page", None)
    context = {"form": form, "page": page, "querystring": querystring.urlencode()}
    template = "partners/staff_partner_list.html"
    if request.htmx:
        template += "#results"
    return render(request, template, context)


@staff_required("partners.view_partner")
def staff_partner_card(request: PartnerRequest, partner_id: int) -> HttpResponse:
    try:
        partner = selectors.staff_partner_card(partner_id=partner_id)
    except Partner.DoesNotExist as exc:
        raise Http404 from exc
    return render(request, "partners/staff_partner_card.html", {"partner": partner})
