"""Checkout and the partner's orders (ORD4, ORD6, ORD7): place from the cart, list with
filters and an XLSX export, the order page, drafts (edit, submit), cancel, copy to cart."""

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from kabinet.catalog.selectors import MAX_ID
from kabinet.catalog.views import current_agreement
from kabinet.orders.checkout import (
    AlreadyPlaced,
    order_copy_to_cart,
    order_draft_update,
    order_place,
)
from kabinet.orders.forms import CheckoutForm, DraftForm, OrderFilterForm
from kabinet.orders.models import Order, OrderStatus
from kabinet.orders.rows import OrderRows
from kabinet.orders.selectors import (
    OrderDetail,
    cart_view,
    checkout_choices,
    order_detail,
    order_export_rows,
    order_list,
)
from kabinet.orders.statuses import (
    PARTNER_CANCELLABLE,
    TransitionRefused,
    order_cancel,
    order_submit,
)
from kabinet.partners.access import PartnerRequest, require_right
from kabinet.partners.models import Agreement, Counterparty, Partner
from kabinet.partners.rights import Right
from kabinet.web.spreadsheets import Cell, Labelled, xlsx_query_response


def _partner(request: PartnerRequest) -> Partner:
    assert request.partner is not None  # guaranteed by @require_right
    return request.partner


def _form_errors(form: CheckoutForm, error: ValidationError) -> None:
    """A service's ValidationError onto the form: per field when it names fields."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _checkout_initial(agreement: Agreement | None) -> dict[str, object]:
    initial: dict[str, object] = {"checkout_key": uuid.uuid4()}
    if agreement is not None:
        initial.update(counterparty=agreement.counterparty_id, agreement=agreement.pk)
    return initial


@require_right(Right.ORDERS)
def checkout(request: PartnerRequest) -> HttpResponse:
    """The checkout page; posting it places the order (submit) or saves a draft."""
    partner = _partner(request)
    agreement = current_agreement(request, partner)[1]  # the one the cart is priced under
    counterparties, agreements, addresses = checkout_choices(partner=partner)
    choices: dict[str, Any] = {
        "counterparties": counterparties,
        "agreements": agreements,
        "addresses": addresses,
    }
    status = 200
    if request.method == "POST":
        form = CheckoutForm(request.POST, **choices)
        if form.is_valid():
            submit = request.POST.get("action") != "draft"
            try:
                order, created = order_place(
                    partner=partner,
                    user=request.user,
                    details=form.details(),
                    checkout_key=form.cleaned_data["checkout_key"],
                    submit=submit,
                )
            except AlreadyPlaced as exc:
                return conflict(request, str(exc), exc.order)
            except ValidationError as exc:
                _form_errors(form, exc)
                status = 400
            else:
                if not created:
                    messages.info(
                        request,
                        _("Order %(number)s was already placed.") % {"number": order.number},
                    )
                elif order.status == OrderStatus.DRAFT:
                    messages.success(
                        request,
                        _(
                            "The order was saved as draft %(number)s. "
                            "It is not sent until you submit it."
                        )
                        % {"number": order.number},
                    )
                else:
                    messages.success(
                        request,
                        _("Order %(number)s was submitted to the supplier.")
                        % {"number": order.number},
                    )
                return HttpResponseRedirect(reverse("orders:detail", args=[order.pk]), status=303)
        else:
            status = 400
    else:
        initial = _checkout_initial(agreement)
        default_address = next((item for item in addresses if item.is_default), None)
        if default_address is not None:
            initial["delivery_address"] = default_address.pk
        form = CheckoutForm(initial=initial, **choices)
    cart = cart_view(partner=partner, user=request.user, agreement=agreement)
    if not cart.count and request.method == "GET":
        messages.info(request, _("Your cart is empty: add goods from the catalog first."))
        return HttpResponseRedirect(reverse("orders:cart"))
    context = {"form": form, "cart": cart, "agreement": agreement}
    return render(request, "orders/checkout.html", context, status=status)


def conflict(request: PartnerRequest, message: str, order: Order | None) -> HttpResponse:
    """409: the step was already taken by another click, tab or person (R18); says what
    happened and links the order as it is now."""
    context = {"message": message, "order": order, "staff": request.user.is_staff}
    return render(request, "orders/conflict.html", context, status=409)


def _filter_form(request: PartnerRequest, partner: Partner) -> OrderFilterForm:
    counterparties = list(
        Counterparty.objects.for_partner(partner).order_by("name").values_list("pk", "name")
    )
    return OrderFilterForm(request.GET or None, counterparties=counterparties)


@require_right(Right.ORDERS)
def order_list_view(request: PartnerRequest) -> HttpResponse:
    partner = _partner(request)
    form = _filter_form(request, partner)
    page = order_list(partner=partner, filters=form.filters())
    query = request.GET.copy()
    query.pop("before", None)
    context = {
        "form": form,
        "page": page,
        "rows_html": OrderRows(staff=False).rows(page.orders),
        "querystring": query.urlencode(),
    }
    if request.htmx and request.htmx.target == "results":
        return render(request, "orders/order_list.html#results", context)
    return render(request, "orders/order_list.html", context)


# Lazy: in the language of the request, not of whoever imported the module first.
EXPORT_HEADER = (
    gettext_lazy("Number"),
    gettext_lazy("Date"),
    gettext_lazy("Status"),
    gettext_lazy("Source"),
    gettext_lazy("Partner"),
    gettext_lazy("Counterparty"),
    gettext_lazy("Agreement"),
    gettext_lazy("PO number"),
    gettext_lazy("ERP number"),
    gettext_lazy("Lines"),
    gettext_lazy("Total"),
    gettext_lazy("Currency"),
    gettext_lazy("Desired date"),
    gettext_lazy("Delivery address"),
    gettext_lazy("Comment"),
)


def export_response(rows: QuerySet[Any], filename: str) -> HttpResponseBase:
    """The rows of `order_export_rows` as an XLSX download, streamed while they are read."""
    # Translated now: the body is made after the view has returned.
    statuses = Labelled({value: str(label) for value, label in OrderStatus.choices})
    sources = Labelled({"portal": str(_("portal")), "erp": str(_("ERP"))})
    text, number = Cell.TEXT, Cell.NUMBER
    return xlsx_query_response(
        filename,
        sheet=str(_("Orders")),
        header=[str(title) for title in EXPORT_HEADER],
        rows=rows,
        # As order_export_rows gives them: number, date, status, source, partner,
        # counterparty, agreement, PO and ERP numbers, lines, total, currency, desired
        # date, address, comment.
        columns=[text, Cell.MOMENT, statuses, sources, text, text, text, text, text,
                 number, number, text, Cell.DAY, text, text],
    )  # fmt: skip


@require_right(Right.ORDERS)
def order_export(request: PartnerRequest) -> HttpResponseBase:
    """The filtered list (every page of it) as XLSX, formula-safe (R13)."""
    partner = _partner(request)
    form = _filter_form(request, partner)
    rows = order_export_rows(partner=partner, filters=form.filters())
    return export_response(rows, f"orders-{timezone.localdate():%Y-%m-%d}.xlsx")


def _detail(partner: Partner, order_id: int) -> OrderDetail:
    if order_id > MAX_ID:
        raise Http404
    try:
        return order_detail(partner=partner, order_id=order_id)
    except Order.DoesNotExist as exc:
        raise Http404 from exc


def _draft_form(partner: Partner, detail: OrderDetail, data: object = None) -> DraftForm:
    counterparties, agreements, addresses = checkout_choices(partner=partner)
    order = detail.order
    initial = {
        "counterparty": order.counterparty_id,
        "agreement": order.agreement_id,
        "delivery_address": order.delivery_address_id,
        "desired_date": order.desired_date,
        "po_number": order.po_number,
        "comment": order.comment,
        **{f"q-{line.pk}": f"{line.quantity.normalize():f}" for line in detail.lines},
    }
    return DraftForm(
        data,
        initial=initial,
        line_ids=[line.pk for line in detail.lines],
        counterparties=counterparties,
        agreements=agreements,
        addresses=addresses,
    )


@require_right(Right.ORDERS)
def order_detail_view(request: PartnerRequest, order_id: int) -> HttpResponse:
    """The order page; a draft's page is also its edit form (posting saves it)."""
    partner = _partner(request)
    detail = _detail(partner, order_id)
    form = None
    status = 200
    if detail.order.is_draft:
        form = _draft_form(partner, detail, request.POST if request.method == "POST" else None)
        if request.method == "POST":
            if form.is_valid():
                try:
                    order_draft_update(
                        partner=partner,
                        user=request.user,
                        order_id=order_id,
                        details=form.details(),
                        quantities=form.quantities(),
                    )
                except ValidationError as exc:
                    _form_errors(form, exc)
                    status = 400
                except TransitionRefused as exc:
                    return conflict(request, str(exc), exc.order)
                else:
                    if request.POST.get("action") == "submit":
                        return _submit(request, partner, order_id)
                    messages.success(request, _("The draft was saved."))
                    return HttpResponseRedirect(request.path, status=303)
            else:
                status = 400
    elif request.method == "POST":
        return HttpResponse(status=405, headers={"Allow": "GET"})
    context = {
        "detail": detail,
        "order": detail.order,
        "form": form,
        "line_rows": [(line, form[f"q-{line.pk}"] if form else None) for line in detail.lines],
        "can_cancel": detail.order.status in PARTNER_CANCELLABLE,
    }
    return render(request, "orders/order_detail.html", context, status=status)


def _submit(request: PartnerRequest, partner: Partner, order_id: int) -> HttpResponse:
    try:
        order = order_submit(partner=partner, order_id=order_id, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except TransitionRefused as exc:
        return conflict(request, str(exc), exc.order)
    else:
        messages.success(
            request, _("Order %(number)s was submitted to the supplier.") % {"number": order.number}
        )
    return HttpResponseRedirect(reverse("orders:detail", args=[order_id]), status=303)


def _post_to_own_order(request: PartnerRequest, order_id: int) -> HttpResponse | None:
    """404 for an id that is not one of the partner's orders, whatever the method (so a GET
    tells nothing about another partner's ids); then 405 for anything but POST."""
    _detail(_partner(request), order_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    return None


@require_right(Right.ORDERS)
def order_submit_view(request: PartnerRequest, order_id: int) -> HttpResponse:
    if refusal := _post_to_own_order(request, order_id):
        return refusal
    return _submit(request, _partner(request), order_id)


@require_right(Right.ORDERS)
def order_cancel_view(request: PartnerRequest, order_id: int) -> HttpResponse:
    if refusal := _post_to_own_order(request, order_id):
        return refusal
    try:
        order = order_cancel(
            partner=_partner(request),
            order_id=order_id,
            actor=request.user,
            note=request.POST.get("note", "")[:500],
        )
    except Order.DoesNotExist as exc:
        raise Http404 from exc
    except TransitionRefused as exc:
        return conflict(request, str(exc), exc.order)
    messages.success(request, _("Order %(number)s was cancelled.") % {"number": order.number})
    return HttpResponseRedirect(reverse("orders:detail", args=[order_id]), status=303)


@require_right(Right.ORDERS)
def order_copy_view(request: PartnerRequest, order_id: int) -> HttpResponse:
    """Put the order's lines into the cart (merged), at the catalog's current agreement."""
    if refusal := _post_to_own_order(request, order_id):
        return refusal
    partner = _partner(request)
    order = _detail(partner, order_id).order
    agreement = current_agreement(request, partner)[1]
    if agreement is None:
        messages.error(request, _("Your company has no agreement to order under."))
        return HttpResponseRedirect(reverse("orders:detail", args=[order_id]), status=303)
    try:
        added, left_out = order_copy_to_cart(
            partner=partner, user=request.user, order=order, agreement=agreement
        )
    except ValidationError as exc:
        messages.error(
            request, _("Nothing was added. %(errors)s") % {"errors": " ".join(exc.messages)}
        )
        return HttpResponseRedirect(reverse("orders:detail", args=[order_id]), status=303)
    messages.success(
        request,
        ngettext(
            "%(count)s line of order %(number)s was added to the cart.",
            "%(count)s lines of order %(number)s were added to the cart.",
            added,
        )
        % {"count": added, "number": order.number},
    )
    if left_out:
        messages.warning(
            request,
            _("Not on sale under agreement %(agreement)s, left out: %(skus)s.")
            % {"agreement": agreement.number, "skus": ", ".join(left_out)},
        )
    return HttpResponseRedirect(reverse("orders:cart"), status=303)
