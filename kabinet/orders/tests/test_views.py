"""The cart pages: access, adding from the product card, htmx and plain-form changes, R3."""

import time
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from kabinet.accounts.models import AuditEvent, User
from kabinet.accounts.tests.factories import UserFactory
from kabinet.catalog.models import PriceList, Product, Variant
from kabinet.catalog.tests.factories import listed_product
from kabinet.orders.models import Cart, CartLine
from kabinet.orders.services import cart_lines_add
from kabinet.orders.tests.factories import priced_variants
from kabinet.partners.models import Agreement, Partner
from kabinet.partners.rights import Right
from kabinet.partners.tests.factories import MembershipFactory
from tests.support import signed_in

D = Decimal
CART = reverse("orders:cart")
ADD = reverse("orders:cart_add")
HTMX = {"HX-Request": "true", "HX-Target": "line-1"}


@pytest.fixture
def gown(price_list_a: PriceList) -> Product:
    return listed_product(
        price_lists=[price_list_a],
        name="Халат хирургический",
        colours=("Белый", "Синий"),
        sizes=("46", "48"),
        price="1234.50",
    )


def _variants(product: Product) -> list[Variant]:
    return list(product.variants.order_by("colour", "position"))


def _lines(user: User) -> dict[str, Decimal]:
    return dict(CartLine.objects.filter(cart__user=user).values_list("variant__sku", "quantity"))


def _product_url(product: Product) -> str:
    return reverse("catalog:product", kwargs={"product_id": product.pk})


def test_product_card_has_quantity_inputs_in_a_post_form(
    user_client_a: Client, gown: Product
) -> None:
    page = user_client_a.get(_product_url(gown)).content.decode()
    assert f'action="{ADD}"' in page
    assert "csrfmiddlewaretoken" in page
    for variant in _variants(gown):
        assert f'name="q-{variant.pk}"' in page


def test_add_from_the_card_merges_and_goes_back(
    user_client_a: Client, partner_user: User, gown: Product
) -> None:
    white_46, white_48, blue_46, _ = _variants(gown)
    back = _product_url(gown) + "?colour=%D0%A1%D0%B8%D0%BD%D0%B8%D0%B9"
    data = {f"q-{white_46.pk}": "2", f"q-{white_48.pk}": "", f"q-{blue_46.pk}": "1,5"}
    response = user_client_a.post(ADD, {**data, "next": back})
    assert response.status_code == 302
    assert response["Location"] == back
    user_client_a.post(ADD, {f"q-{white_46.pk}": "1", f"q-{white_48.pk}": "0"})
    assert _lines(partner_user) == {white_46.sku: D("3"), blue_46.sku: D("1.5")}
    page = user_client_a.get(back).content.decode()
    assert "added to the cart" in page


@pytest.mark.parametrize("bad", ["-1", "abc", "1e400", "1.0001", "2000000"])
def test_bad_quantities_change_nothing(
    user_client_a: Client, partner_user: User, gown: Product, bad: str
) -> None:
    first, second, *_ = _variants(gown)
    response = user_client_a.post(ADD, {f"q-{first.pk}": "2", f"q-{second.pk}": bad}, follow=True)
    assert _lines(partner_user) == {}
    assert "Nothing was added" in response.content.decode()


def test_nothing_filled_in_is_a_warning(
    user_client_a: Client, partner_user: User, gown: Product
) -> None:
    response = user_client_a.post(ADD, {f"q-{_variants(gown)[0].pk}": " "}, follow=True)
    assert "Enter the quantities" in response.content.decode()
    assert not Cart.objects.exists()


def test_a_variant_of_another_price_list_is_refused_by_sku(
    user_client_a: Client, partner_user: User, gown: Product
) -> None:
    from kabinet.catalog.tests.factories import PriceListFactory

    other = listed_product(price_lists=[PriceListFactory.create(code="Other")]).variants.get()
    response = user_client_a.post(
        ADD, {f"q-{_variants(gown)[0].pk}": "1", f"q-{other.pk}": "1"}, follow=True
    )
    assert other.sku in response.content.decode()
    assert _lines(partner_user) == {}


def test_posted_prices_partner_and_status_are_ignored(
    user_client_a: Client, partner_user: User, partner_a: Partner, partner_b: Partner, gown: Product
) -> None:
    """R3: only the quantities are read; the price shown is the price list's."""
    variant = _variants(gown)[0]
    user_client_a.post(
        ADD,
        {
            f"q-{variant.pk}": "1",
            "price": "0.01",
            f"price-{variant.pk}": "0.01",
            "partner": partner_b.pk,
            "user": 999,
            "status": "submitted",
            "agreement": partner_b.agreements.get().pk,
        },
    )
    cart = Cart.objects.get()
    assert (cart.partner, cart.user, cart.agreement) == (
        partner_a,
        partner_user,
        partner_a.agreements.get(),
    )
    line = CartLine.objects.get()
    user_client_a.post(
        reverse("orders:line_quantity", kwargs={"line_id": line.pk}),
        {"quantity": "2", "price": "0.01", "partner": partner_b.pk, "cart": 999},
    )
    page = user_client_a.get(CART).content.decode()
    assert "2\xa0469,00" in page or "2,469.00" in page
    assert "0.01" not in page
    assert "0,01" not in page
    assert CartLine.objects.get().cart == cart


def test_cart_page_lists_lines_and_flags_unavailable(
    user_client_a: Client, partner_user: User, partner_a: Partner, gown: Product
) -> None:
    variants = _variants(gown)
    cart_lines_add(
        partner=partner_a,
        user=partner_user,
        agreement=partner_a.agreements.get(),
        quantities={variants[0].pk: D("2"), variants[1].pk: D("1")},
    )
    Variant.objects.filter(pk=variants[1].pk).update(is_archived=True)
    page = user_client_a.get(CART).content.decode()
    assert variants[0].sku in page
    assert variants[1].sku in page
    assert page.count('data-testid="unavailable"') == 1
    assert 'data-testid="unavailable-note"' in page
    assert "2\xa0469,00" in page or "2,469.00" in page  # only the available line counts
    assert 'href="/cart/"' in page  # the menu item


def test_cart_needs_the_orders_right(partner_a: Partner, partner_admin: User) -> None:
    user = UserFactory.create()
    MembershipFactory.create(user=user, partner=partner_a, rights=[Right.FINANCE.value])
    client = signed_in(user)
    assert client.get(CART).status_code == 403
    assert client.post(ADD, {"q-1": "1"}).status_code == 403
    assert AuditEvent.objects.filter(kind="access_denied").exists()
    assert 'href="/cart/"' not in client.get(reverse("web:home")).content.decode()


def test_staff_without_a_partner_get_404(manager_client: Client) -> None:
    assert manager_client.get(CART).status_code == 404
    assert manager_client.post(ADD, {"q-1": "1"}).status_code == 404
    assert manager_client.post(reverse("orders:cart_clear")).status_code == 404


@pytest.fixture
def line(partner_a: Partner, partner_user: User, gown: Product) -> CartLine:
    cart_lines_add(
        partner=partner_a,
        user=partner_user,
        agreement=partner_a.agreements.get(),
        quantities={v.pk: D("1") for v in _variants(gown)},
    )
    return CartLine.objects.order_by("pk")[0]


def test_htmx_quantity_change_returns_the_row_and_the_totals(
    user_client_a: Client, partner_user: User, line: CartLine
) -> None:
    url = reverse("orders:line_quantity", kwargs={"line_id": line.pk})
    response = user_client_a.post(url, {"quantity": "3"}, headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<tr id="line-{line.pk}"')
    assert 'id="cart-totals"' in html
    assert 'hx-swap-oob="true"' in html
    assert "<html" not in html
    assert _lines(partner_user)[line.variant.sku] == D("3")
    # 3 + 1 + 1 + 1 lines at 1,234.50
    assert "7\xa0407,00" in html or "7,407.00" in html


def test_htmx_wrong_quantity_shows_the_error_in_the_row(
    user_client_a: Client, partner_user: User, line: CartLine
) -> None:
    url = reverse("orders:line_quantity", kwargs={"line_id": line.pk})
    response = user_client_a.post(url, {"quantity": "-2"}, headers=HTMX)
    assert response.status_code == 200
    assert "is-invalid" in response.content.decode()
    assert _lines(partner_user)[line.variant.sku] == D("1")


def test_htmx_zero_or_remove_drops_the_row(
    user_client_a: Client, partner_user: User, line: CartLine
) -> None:
    url = reverse("orders:line_quantity", kwargs={"line_id": line.pk})
    response = user_client_a.post(url, {"quantity": "0"}, headers=HTMX)
    assert response.content.decode().lstrip().startswith('<div id="cart-totals"')
    other = CartLine.objects.order_by("pk")[0]
    remove = reverse("orders:line_remove", kwargs={"line_id": other.pk})
    response = user_client_a.post(remove, headers=HTMX)
    assert "<tr" not in response.content.decode()
    assert "2 lines" in response.content.decode()  # the totals of what is left
    assert CartLine.objects.count() == 2


def test_without_javascript_forms_post_and_redirect(
    user_client_a: Client, partner_user: User, line: CartLine
) -> None:
    url = reverse("orders:line_quantity", kwargs={"line_id": line.pk})
    response = user_client_a.post(url, {"quantity": "5"}, follow=True)
    assert response.redirect_chain == [(CART, 302)]
    assert "The quantity was changed" in response.content.decode()
    response = user_client_a.post(url, {"quantity": "x"}, follow=True)
    assert "The quantity was not changed" in response.content.decode()
    assert _lines(partner_user)[line.variant.sku] == D("5")
    remove = reverse("orders:line_remove", kwargs={"line_id": line.pk})
    assert user_client_a.post(remove).status_code == 302
    assert user_client_a.post(reverse("orders:cart_clear")).status_code == 302
    assert not CartLine.objects.exists()
    assert 'data-testid="cart-empty"' in user_client_a.get(CART).content.decode()


def test_get_on_an_action_changes_nothing(
    user_client_a: Client, partner_user: User, line: CartLine
) -> None:
    for name in ("line_quantity", "line_remove"):
        url = reverse(name.join(("orders:", "")), kwargs={"line_id": line.pk})
        assert user_client_a.get(url).status_code == 405
    assert user_client_a.get(ADD).status_code == 405
    assert user_client_a.get(reverse("orders:cart_clear")).status_code == 405
    assert CartLine.objects.count() == 4


def test_another_users_line_is_404(partner_admin: User, line: CartLine, partner_user: User) -> None:
    client = signed_in(partner_admin)  # same partner, not the owner of the cart
    for name in ("line_quantity", "line_remove"):
        url = reverse(name.join(("orders:", "")), kwargs={"line_id": line.pk})
        assert client.post(url, {"quantity": "9"}).status_code == 404
        assert client.get(url).status_code == 404
    assert (
        client.post(reverse("orders:line_quantity", kwargs={"line_id": 2**63})).status_code == 404
    )
    assert _lines(partner_user)[line.variant.sku] == D("1")


def test_a_2000_line_cart(
    user_client_a: Client, partner_user: User, partner_a: Partner, price_list_a: PriceList
) -> None:
    """P3, functionally: the page shows them all; changing one line stays quick."""
    variants = priced_variants(price_list_a, 2000)
    agreement: Agreement = partner_a.agreements.get()
    cart_lines_add(
        partner=partner_a,
        user=partner_user,
        agreement=agreement,
        quantities={v.pk: D("1") for v in variants},
    )
    # The best of three: a busy machine slows single runs, never all three.
    page_seconds = 10.0
    for _attempt in range(3):
        started = time.perf_counter()
        page = user_client_a.get(CART).content.decode()
        page_seconds = min(page_seconds, time.perf_counter() - started)
    assert page.count('data-testid="cart-line"') == 2000
    line = CartLine.objects.order_by("pk")[1500]
    url = reverse("orders:line_quantity", kwargs={"line_id": line.pk})
    started = time.perf_counter()
    response = user_client_a.post(url, {"quantity": "2"}, headers=HTMX)
    change_seconds = time.perf_counter() - started
    assert "200\xa0100,00" in response.content.decode() or "200,100.00" in response.content.decode()
    # P3 asks ≤ 100 ms to change a line and ≤ 500 ms for the page; here ~25 ms and ~0.2-0.3 s
    # on a 2-core box (docs/decisions.md). The limits leave room for a loaded CI machine;
    # the page's is what catches rows going back to per-row template tags (~1.2 s).
    assert change_seconds < 0.5, change_seconds
    assert page_seconds < 1.0, page_seconds
