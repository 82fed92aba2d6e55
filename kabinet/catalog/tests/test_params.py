"""The catalog's query string (catalog.forms.catalog_params): nothing in it is an error."""

from django.http import QueryDict

from kabinet.catalog.forms import catalog_params
from kabinet.catalog.selectors import MAX_ID, CatalogQuery


def test_a_full_query_string_reads_as_asked() -> None:
    params = catalog_params(
        QueryDict(
            "q=+халат+&section=7&brand=3&brand=5&brand=3&in_stock=on&sort=-price&view=list"
            "&after=abc&agreement=9&attr_material=хлопок&attr_gender=&attr_unknown=x"
        )
    )
    assert params.query == CatalogQuery(
        section_id=7,
        brand_ids=[3, 5],
        in_stock=True,
        search="халат",
        attributes={"material": "хлопок"},
        sort="-price",
        after="abc",
    )
    assert (params.agreement_id, params.view) == (9, "list")


def test_what_does_not_parse_is_dropped() -> None:
    params = catalog_params(
        QueryDict(
            f"q={'x' * 101}&section=-1&brand=a&brand=0&brand={MAX_ID + 1}&brand=4"
            "&in_stock=false&sort=cheapest&view=grid&agreement=1.5&attr_material=%00"
            f"&after={'c' * 201}"
        )
    )
    assert params.query == CatalogQuery(brand_ids=[4])
    assert (params.agreement_id, params.view) == (None, None)
    assert catalog_params(QueryDict("q=a%00b&in_stock=0")).query == CatalogQuery()


def test_an_empty_query_string_is_the_default_catalog() -> None:
    params = catalog_params(QueryDict(""))
    assert params.query == CatalogQuery()
    assert (params.agreement_id, params.view) == (None, None)


def test_brands_are_capped() -> None:
    query = catalog_params(QueryDict("&".join(f"brand={n}" for n in range(1, 80)))).query
    assert query.brand_ids == list(range(1, 51))
