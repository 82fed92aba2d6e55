"""P8, page weight, on the demo data: HTML ≤ 60 KB gzipped, JS ≤ 100 KB gzipped, everything a
page loads (HTML, CSS, JS, pictures) ≤ 500 KB — for the catalog, cart and order pages.

Measured from what the pages reference: static files as gzip would send them, uploaded
pictures as stored (they are compressed already). Lives beside the browser walks for their
demo data set; it needs no browser itself.
"""

import gzip
import re
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.urls import reverse

from kabinet.accounts.models import User
from kabinet.catalog.models import Listing, PriceList
from kabinet.orders.checkout import OrderDetails, order_place
from kabinet.orders.services import cart_lines_add
from kabinet.partners.models import Membership
from tests.browser.test_walkthrough import IVAN
from tests.support import signed_in

pytestmark = pytest.mark.browser

HTML_LIMIT = 60 * 1024
JS_LIMIT = 100 * 1024
TOTAL_LIMIT = 500 * 1024
ASSET = re.compile(r'(?:src|href)="(/(?:static|media)/[^"?#]+)')


def _weight(html: bytes) -> dict[str, int]:
    sizes = {"html": len(gzip.compress(html)), "js": 0, "css": 0, "images": 0}
    for url in dict.fromkeys(ASSET.findall(html.decode())):
        if url.startswith(settings.STATIC_URL):
            found = finders.find(url.removeprefix(settings.STATIC_URL))
            assert found, url
            kind = "js" if url.endswith(".js") else "css" if url.endswith(".css") else "images"
            data = Path(str(found)).read_bytes()
            sizes[kind] += len(gzip.compress(data)) if kind != "images" else len(data)
        else:
            sizes["images"] += (
                Path(settings.MEDIA_ROOT, url.removeprefix(settings.MEDIA_URL)).stat().st_size
            )
    return sizes


def test_catalog_cart_and_order_pages_are_light(demo_data: None) -> None:
    user = User.objects.get(email=IVAN)
    membership = Membership.objects.filter(user=user).select_related("partner").first()
    assert membership is not None
    partner = membership.partner
    agreement = partner.agreements.get(is_main=True)
    price_list = PriceList.objects.get(code=agreement.price_list)
    products = Listing.objects.filter(price_list=price_list).values_list("product_id", flat=True)
    variants = list(
        price_list.prices.filter(variant__product_id__in=list(products[:30])).values_list(
            "variant_id", flat=True
        )[:60]
    )
    cart_lines_add(
        partner=partner,
        user=user,
        agreement=agreement,
        quantities={variant_id: Decimal(2) for variant_id in variants},
    )
    client = signed_in(user)
    client.post(reverse("partners:switch"), {"partner": partner.pk})
    pages = {
        "catalog tiles": reverse("catalog:list") + "?view=tiles",
        "catalog list": reverse("catalog:list") + "?view=list",
        "product card": reverse("catalog:product", args=[products[0]]),
        "cart (60 lines)": reverse("orders:cart"),
        "checkout": reverse("orders:checkout"),
    }
    weights = {name: _weight(client.get(url).content) for name, url in pages.items()}
    order, _ = order_place(
        partner=partner,
        user=user,
        details=OrderDetails(counterparty=agreement.counterparty, agreement=agreement),
        checkout_key=uuid.uuid4(),
        submit=True,
    )
    for name, url in {
        "order page (60 lines)": reverse("orders:detail", args=[order.pk]),
        "order list": reverse("orders:list"),
    }.items():
        response = client.get(url)
        assert response.status_code == 200, url
        weights[name] = _weight(response.content)

    heavy = {
        name: sizes
        for name, sizes in weights.items()
        if sizes["html"] > HTML_LIMIT or sizes["js"] > JS_LIMIT or sum(sizes.values()) > TOTAL_LIMIT
    }
    assert not heavy, heavy
    assert weights["catalog tiles"]["images"] > 0  # the tiles' pictures were counted
