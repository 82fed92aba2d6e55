"""The supplier's order pages: every partner's orders with the partners' filters and a
partner filter, the order page, and changing a status by hand (until the ERP drives it).
Partners' drafts are theirs alone: staff do not see them."""

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kabinet.catalog.selectors import MAX_ID
from kabinet.orders.forms import OrderFilterForm, StaffStatusForm
from kabinet.orders.models import Order, OrderStatus
from kabinet.orders.rows import OrderRows
from kabinet.orders.selectors import (
    OrderDetail,
    OrderFilters,
    order_export_rows,
    staff_order_detail,
    staff_order_list,
)
from kabinet.orders.statuses import STAFF_TRANSITIONS, TransitionRefused, staff_next_statuses
from kabinet.orders.views_orders import conflict, export_response
from kabinet.partners.access import PartnerRequest, staff_required

STAFF_STATUSES = [(value, label) for value, label in OrderStatus.choices if value != "draft"]


def _filters(request: PartnerRequest) -> tuple[OrderFilterForm, OrderFilters]:
    form = OrderFilterForm(request.GET or None, statuses=STAFF_STATUSES)
    partner_id = request.GET.get("partner", "")
    partner = int(partner_id) if partner_id.isdigit() and 0 < int(partner_id) <= MAX_ID else None
    return form, form.filters(partner_id=partner)


@staff_required("orders.view_order")
def staff_order_list_view(request: PartnerRequest) -> HttpResponse:
    form, filters = _filters(request)
    page = staff_order_list(filters=filters)
    query = request.GET.copy()
    query.pop("before", None)
    context = {
        "form": form,
        "page": page,
        "rows_html": OrderRows(staff=True).rows(page.orders),
        "querystring": query.urlencode(),
        "staff": True,
    }
    if request.htmx and request.htmx.target == "results":
        return render(request, "orders/order_list.html#results", context)
    return render(request, "orders/order_list.html", context)


@staff_required("orders.view_order")
def staff_order_export(request: PartnerRequest) -> HttpResponseBase:
    _form, filters = _filters(request)
    rows = order_export_rows(partner=None, filters=filters)
    return export_response(rows, f"orders-all-{timezone.localdate():%Y-%m-%d}.xlsx")


def _detail(order_id: int) -> OrderDetail:
    if order_id > MAX_ID:
        raise Http404
    try:
        return staff_order_detail(order_id=order_id)
    except Order.DoesNotExist as exc:
        raise Http404 from exc


@staff_required("orders.view_order")
def staff_order_detail_view(request: PartnerRequest, order_id: int) -> HttpResponse:
    detail = _detail(order_id)
    allowed = staff_next_statuses(detail.order)
    can_change = request.user.has_perm("orders.change_order")
    context = {
        "detail": detail,
        "order": detail.order,
        "line_rows": [(line, None) for line in detail.lines],
        "staff": True,
        "status_form": StaffStatusForm(allowed=allowed) if allowed and can_change else None,
    }
    return render(request, "orders/order_detail.html", context)


@staff_required("orders.change_order")
def staff_order_status(request: PartnerRequest, order_id: int) -> HttpResponse:
    detail = _detail(order_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = StaffStatusForm(request.POST, allowed=list(STAFF_TRANSITIONS))
    if not form.is_valid():
        messages.error(request, _("Choose the new status."))
        return HttpResponseRedirect(reverse("orders:staff_detail", args=[order_id]), status=303)
    to_status = form.cleaned_data["status"]
    try:
        order = STAFF_TRANSITIONS[to_status](
            order_id=detail.order.pk, actor=request.user, note=form.cleaned_data["note"]
        )
    except TransitionRefused as exc:
        return conflict(request, str(exc), exc.order)
    messages.success(
        request,
        _("Order %(number)s is now %(status)s.")
        % {"number": order.number, "status": order.get_status_display()},
    )
    return HttpResponseRedirect(reverse("orders:staff_detail", args=[order_id]), status=303)
