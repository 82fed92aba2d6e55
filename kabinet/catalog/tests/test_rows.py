"""catalog.rows renders what the template filters did, escaped."""

from decimal import Decimal

import pytest
from django.test import RequestFactory
from django.utils import translation

from kabinet.catalog.rows import CatalogRows, LocaleNumbers, query_string
from kabinet.catalog.selectors import CatalogPage, CatalogRow
from kabinet.catalog.templatetags.catalog import money, stock

HOSTILE = "<script>alert(\"x\")</script> & 'quoted'"


def _row(**changes: object) -> CatalogRow:
    values: dict[str, object] = {
        "product_id": 7,
        "name": "Халат",
        "name_folded": "халат",
        "min_price": Decimal("1234.50"),
        "max_price": Decimal("1234.50"),
        "stock": Decimal("3"),
        "variant_count": 2,
        "brand_name": "МедТекс",
        "image": "",
    }
    return CatalogRow(**{**values, **changes})  # type: ignore[arg-type]


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_money_as_the_filter(lang: str) -> None:
    amounts = ["0", "0.5", "999.99", "1000", "1234.5", "-1234.56", "12345678.9", "9999999999.99"]
    with translation.override(lang):
        numbers = LocaleNumbers()
        for amount in amounts:
            assert numbers.money(Decimal(amount), "RUB") == money(Decimal(amount), "RUB")


def test_rows_escape_every_value(settings: object) -> None:
    rows = CatalogRows(list_url="/catalog/", params={"q": [HOSTILE]})
    page = CatalogPage(
        listings=[_row(name=HOSTILE, brand_name=HOSTILE, image='a"b.png')],
        next_cursor='c"<',
        currency="<b>",
    )
    for mode in ("tiles", "list"):
        html = rows.rows(page, mode)
        assert "<script>" not in html
        assert '"x"' not in html
        assert 'a"b' not in html
        assert "<b>" not in html
        assert "&lt;script&gt;" in html


def test_rows_show_price_stock_and_more_link(settings: object) -> None:
    with translation.override("en"):
        rows = CatalogRows(list_url="/catalog/", params={"sort": ["price"], "after": ["old"]})
        page = CatalogPage(
            listings=[_row(max_price=Decimal("2000")), _row(product_id=8, stock=Decimal(0))],
            next_cursor="next",
            currency="RUB",
        )
        html = rows.rows(page, "list")
    assert html.count('data-testid="catalog-row"') == 2
    assert 'href="/catalog/7/"' in html
    assert '<span class="catalog-price-from">from</span> 1,234.50\xa0₽' in html
    assert f'<span class="stock stock-few">{"few left"}</span>' in html
    assert '<span class="stock stock-none">out of stock</span>' in html
    assert 'href="/catalog/?sort=price&amp;after=next"' in html


def test_stock_as_quantity_as_the_tag(settings: object) -> None:
    settings.CATALOG_STOCK_DISPLAY = "quantity"  # type: ignore[attr-defined]
    rows = CatalogRows(list_url="/catalog/", params={})
    for quantity in ("1", "12.5", "100", "12345"):
        facts = stock(Decimal(quantity))
        html = rows.list_row(_row(stock=Decimal(quantity)), "RUB")
        assert f'stock-{facts["level"]}">{facts["quantity"]}</span>' in html


def test_query_string_as_the_tag() -> None:
    from django.template import Context, Template

    request = RequestFactory().get("/catalog/", {"brand": ["1", "2"], "q": "a b", "after": "x"})
    params = dict(request.GET.lists())
    template = Template("{% querystring params section=5 after=None %}")
    expected = template.render(Context({"params": request.GET}))
    assert query_string(params, section=5, after=None) == expected.replace("&amp;", "&")
