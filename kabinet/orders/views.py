"""The cart pages (ORD4): add from the product card, change, remove, clear.

Every change works as a plain form post (redirect back with a message) and, from the cart
page, over htmx (the line's row and the totals are swapped in place). Prices are those of
the catalog's current agreement, read when the cart is shown, never posted.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import (
    Http404,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from kabinet.catalog.selectors import MAX_ID
from kabinet.catalog.views import current_agreement
from kabinet.orders.forms import AddToCartForm, LineQuantityForm
from kabinet.orders.models import CartLine
from kabinet.orders.rows import CartRows
from kabinet.orders.selectors import CartView, cart_view
from kabinet.orders.services import (
    cart_clear,
    cart_line_remove,
    cart_line_set_quantity,
    cart_lines_add,
)
from kabinet.partners.access import PartnerRequest, require_right
from kabinet.partners.models import Partner
from kabinet.partners.rights import Right


def _partner(request: PartnerRequest) -> Partner:
    assert request.partner is not None  # guaranteed by @require_right
    return request.partner


def _back(request: PartnerRequest) -> HttpResponseRedirect:
    """To the page the form was posted from (only one of ours), else the cart."""
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("orders:cart")
    return HttpResponseRedirect(target)


@require_right(Right.ORDERS)
def cart(request: PartnerRequest) -> HttpResponse:
    partner = _partner(request)
    agreement = current_agreement(request, partner)[1]
    view = cart_view(partner=partner, user=request.user, agreement=agreement)
    rows = CartRows(request).rows(view.lines)  # P3: rows in Python, see orders.rows
    return render(
        request, "orders/cart.html", {"cart": view, "agreement": agreement, "cart_rows": rows}
    )


@require_POST
@require_right(Right.ORDERS)
def cart_add(request: PartnerRequest) -> HttpResponse:
    """The product card's "Add to cart": every quantity filled in, merged into the cart."""
    partner = _partner(request)
    form = AddToCartForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Nothing was added. %(errors)s") % {"errors": form.error_text()})
        return _back(request)
    quantities = form.quantities()
    if not quantities:
        messages.warning(request, _("Enter the quantities to add to the cart."))
        return _back(request)
    agreement = current_agreement(request, partner)[1]
    if agreement is None:
        messages.error(request, _("Your company has no agreement to order under."))
        return _back(request)
    try:
        added = cart_lines_add(
            partner=partner, user=request.user, agreement=agreement, quantities=quantities
        )
    except ValidationError as exc:
        messages.error(
            request, _("Nothing was added. %(errors)s") % {"errors": " ".join(exc.messages)}
        )
        return _back(request)
    messages.success(
        request,
        ngettext("%(count)s item added to the cart.", "%(count)s items added to the cart.", added)
        % {"count": added},
    )
    return _back(request)


def _refusal(request: PartnerRequest, line_id: int) -> HttpResponse | None:
    """404 for an id that is not a line of the user's own cart (another user's or partner's
    included), whatever the method; 405 for anything but a POST to one's own line."""
    if line_id > MAX_ID:
        raise Http404
    if request.method == "POST":
        return None  # the service finds the line among the user's own, or 404
    lines = CartLine.objects.of_cart(partner=_partner(request), user_id=request.user.pk)
    if not lines.filter(pk=line_id).exists():
        raise Http404
    return HttpResponseNotAllowed(["POST"])


def _htmx_line_response(
    request: PartnerRequest, line_id: int | None, error: str = ""
) -> HttpResponse:
    """The line's row (nothing when it is gone: htmx then removes it) and the totals."""
    partner = _partner(request)
    agreement = current_agreement(request, partner)[1]
    view: CartView = cart_view(
        partner=partner, user=request.user, agreement=agreement, line_id=line_id or 0
    )
    html = ""
    if line_id and view.lines:
        html = CartRows(request).row(view.lines[0], error)
    html += render_to_string(
        "orders/cart.html#totals", {"cart": view, "oob": True}, request=request
    )
    return HttpResponse(html)


@require_right(Right.ORDERS)
def line_quantity(request: PartnerRequest, line_id: int) -> HttpResponse:
    if refusal := _refusal(request, line_id):
        return refusal
    partner = _partner(request)
    form = LineQuantityForm(request.POST)
    if not form.is_valid():
        error = " ".join(str(message) for message in form.errors.get("quantity", []))
        if (
            not CartLine.objects.of_cart(partner=partner, user_id=request.user.pk)
            .filter(pk=line_id)
            .exists()
        ):
            raise Http404
        if request.htmx:
            return _htmx_line_response(request, line_id, error)
        messages.error(request, _("The quantity was not changed. %(error)s") % {"error": error})
        return HttpResponseRedirect(reverse("orders:cart"))
    quantity = form.cleaned_data["quantity"]
    try:
        line = cart_line_set_quantity(
            partner=partner, user=request.user, line_id=line_id, quantity=quantity
        )
    except CartLine.DoesNotExist as exc:
        raise Http404 from exc
    if request.htmx:
        return _htmx_line_response(request, line.pk if line else None)
    if line is None:
        messages.success(request, _("The line was removed from the cart."))
    else:
        messages.success(request, _("The quantity was changed."))
    return HttpResponseRedirect(reverse("orders:cart"))


@require_right(Right.ORDERS)
def line_remove(request: PartnerRequest, line_id: int) -> HttpResponse:
    if refusal := _refusal(request, line_id):
        return refusal
    try:
        cart_line_remove(partner=_partner(request), user=request.user, line_id=line_id)
    except CartLine.DoesNotExist as exc:
        raise Http404 from exc
    if request.htmx:
        return _htmx_line_response(request, None)
    messages.success(request, _("The line was removed from the cart."))
    return HttpResponseRedirect(reverse("orders:cart"))


@require_POST
@require_right(Right.ORDERS)
def cart_clear_view(request: PartnerRequest) -> HttpResponse:
    removed = cart_clear(partner=_partner(request), user=request.user)
    if removed:
        messages.success(request, _("The cart was cleared."))
    return HttpResponseRedirect(reverse("orders:cart"))
