"""Catalog pages (ORD1–ORD3): the catalog with its filters, and the product card.

Prices and availability always come from one of the current partner's agreements: the one
picked in the catalog (remembered in the session per partner), else the main one.
"""

from typing import Any

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers

from kabinet.catalog.forms import SORT_CHOICES, VIEW_CHOICES, VIEW_VALUES, catalog_params
from kabinet.catalog.models import PriceList
from kabinet.catalog.rows import CatalogRows, query_string
from kabinet.catalog.selectors import (
    ATTRIBUTE_LABELS,
    FILTER_ATTRIBUTES,
    MAX_ID,
    NotAvailable,
    agreement_list_for_catalog,
    agreement_pick,
    catalog_facets,
    catalog_page,
    price_list_of,
    product_card,
    section_nav,
)
from kabinet.partners.access import PartnerRequest, require_right
from kabinet.partners.models import Agreement, Partner
from kabinet.partners.rights import Right

# The session remembers {"agreements": {partner id: agreement id}, "view": "tiles" | "list"}.
SESSION_KEY = "catalog"


def _partner(request: PartnerRequest) -> Partner:
    assert request.partner is not None  # guaranteed by @require_right
    return request.partner


def _preferences(request: PartnerRequest) -> dict[str, Any]:
    preferences = request.session.get(SESSION_KEY)
    return preferences if isinstance(preferences, dict) else {}


def _remember(request: PartnerRequest, **changes: Any) -> None:
    preferences = _preferences(request)
    if any(preferences.get(key) != value for key, value in changes.items()):
        request.session[SESSION_KEY] = {**preferences, **changes}


def current_agreement(
    request: PartnerRequest, partner: Partner, requested: int | None = None
) -> tuple[list[Agreement], Agreement | None]:
    """The partner's agreements and the current one: the requested one if it is the
    partner's (then remembered), else the remembered one, else the main one. An id of
    another partner's agreement is simply not among them."""
    context = getattr(request, "tenant", None)
    if context is not None and partner.pk in context.agreements_known:
        agreements = context.agreements_in_force(partner)
    else:
        agreements = agreement_list_for_catalog(partner=partner)
    remembered = _preferences(request).get("agreements", {})
    agreement = agreement_pick(agreements, requested, remembered.get(str(partner.pk)))
    if requested and agreement and agreement.pk == requested:
        _remember(request, agreements={**remembered, str(partner.pk): agreement.pk})
    return agreements, agreement


def _view_mode(request: PartnerRequest, requested: str | None) -> str:
    if requested:
        _remember(request, view=requested)
        return requested
    remembered = _preferences(request).get("view")
    return remembered if remembered in VIEW_VALUES else "tiles"


def _htmx_target(request: PartnerRequest) -> str | None:
    if not request.htmx or request.htmx.history_restore_request:
        return None
    return request.htmx.target


def _params(request: PartnerRequest) -> dict[str, list[str]]:
    """The page's query parameters without the empty ones (a submitted filter form sends
    every field): what the page's links keep and the address htmx pushes."""
    params = {}
    for key, values in request.GET.lists():
        kept = [value for value in values if value]
        if kept:
            params[key] = kept
    return params


@require_right(Right.ORDERS)
def catalog_list(request: PartnerRequest) -> HttpResponse:
    partner = _partner(request)
    asked = catalog_params(request.GET)
    agreements, agreement = current_agreement(request, partner, asked.agreement_id)
    price_list: PriceList | None = price_list_of(agreement) if agreement else None
    query = asked.query
    view_mode = _view_mode(request, asked.view)
    list_url = reverse("catalog:list")  # once, not per link
    params = _params(request)
    rows = CatalogRows(list_url=list_url, params=params)
    # The facets once: the rows take their brands' names from them, the full page its filters.
    facets = catalog_facets(price_list=price_list) if price_list else None
    page = (
        catalog_page(partner=partner, price_list=price_list, query=query, facets=facets)
        if price_list
        else None
    )
    context: dict[str, Any] = {
        "agreements": agreements,
        "agreement": agreement,
        "price_list": price_list,
        "query": query,
        "params": params,
        "view_mode": view_mode,
        "page": page,
        # The rows in Python (catalog.rows), not a partial with a tag per value: P1.
        "rows_html": rows.rows(page, view_mode) if page else "",
        "list_url": list_url,
        "sort_choices": SORT_CHOICES,
    }
    target = _htmx_target(request)
    if target != "catalog-more":  # the results' head: view switch, "First page"
        # The links that keep the page's parameters, built here: as {% querystring %} tags
        # they were a sixth of the template's time (P1).
        context["view_links"] = [
            (value, label, list_url + query_string(params, view=value, after=None))
            for value, label in VIEW_CHOICES
        ]
        context["first_page_url"] = list_url + query_string(params, after=None)
    if target == "catalog-results":  # filters changed
        template = "catalog/catalog.html#results"
    elif target == "catalog-more":  # "Show more": the next rows, appended
        template = "catalog/catalog.html#rows"
    else:
        template = "catalog/catalog.html"
        nav = section_nav(current_id=query.section_id, sections=facets.sections if facets else [])
        context["nav"] = nav
        context["section_tree"] = rows.tree(nav.roots)
        context["all_products_url"] = list_url + query_string(
            params, section=None, after=None, agreement=None
        )
        context["facets"] = facets
        # The brands and attribute values in Python too (catalog.rows): with a tag per
        # value they were the larger part of the template's time.
        attributes = facets.attributes if facets else {}
        context["filters_html"] = rows.filters(
            facets.brands if facets else [],
            query.brand_ids,
            [
                (key, label, attributes.get(key, []), query.attributes.get(key, ""))
                for key, label in FILTER_ATTRIBUTES.items()
            ],
        )
    response = render(request, template, context)
    if target is not None and target != "catalog-more":
        # The address the browser shows: without the empty fields of the submitted form.
        response["HX-Push-Url"] = list_url + (query_string(params) if params else "")
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


@require_right(Right.ORDERS)
def product_detail(request: PartnerRequest, product_id: int) -> HttpResponse:
    """The product card: 404 for a product the current agreement does not sell, the same
    as for a missing one (another partner's price list included)."""
    partner = _partner(request)
    _, agreement = current_agreement(request, partner)
    price_list = price_list_of(agreement) if agreement else None
    if price_list is None or product_id > MAX_ID:
        raise Http404
    try:
        card = product_card(partner=partner, price_list=price_list, product_id=product_id)
    except NotAvailable as exc:
        raise Http404 from exc
    colour = request.GET.get("colour", "")
    if colour not in card.colours:
        colour = card.colours[0] if card.colours else ""
    colour_images = [image for image in card.images if image.colour == colour]
    attributes = card.product.attributes if isinstance(card.product.attributes, dict) else {}
    cells = list(card.cells.values())
    context = {
        "card": card,
        "has_colours": any(card.colours),
        # One variant without colour or size: its SKU, no matrix.
        "single": cells[0] if len(cells) == 1 and not any(card.colours + card.sizes) else None,
        "product": card.product,
        "agreement": agreement,
        "colour": colour,
        "attributes": [
            (ATTRIBUTE_LABELS.get(key, key), value)
            for key, value in attributes.items()
            if value not in (None, "")
        ],
        "image": (colour_images[0].image if colour_images else None)
        or card.product.image
        or (card.images[0].image if card.images else None),
    }
    return render(request, "catalog/product.html", context)
