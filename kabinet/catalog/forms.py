from dataclasses import dataclass

from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from kabinet.catalog.selectors import FILTER_ATTRIBUTES, MAX_ID, SORTS, CatalogQuery

SORT_CHOICES = [
    ("name", _("By name")),
    ("price", _("Price: low to high")),
    ("-price", _("Price: high to low")),
]
VIEW_CHOICES = [("tiles", _("Tiles")), ("list", _("List"))]
VIEW_VALUES = frozenset(value for value, _ in VIEW_CHOICES)
MAX_TEXT = 100  # the search and attribute values
MAX_CURSOR = 200
MAX_BRANDS = 50


@dataclass(frozen=True)
class CatalogParams:
    """What the catalog's query string asks for."""

    query: CatalogQuery
    agreement_id: int | None
    view: str | None  # None: the remembered one


def _text(value: str | None, limit: int) -> str:
    """Stripped; "" for a value longer than `limit` or with a NUL (PostgreSQL refuses it)."""
    value = (value or "").strip()
    return "" if len(value) > limit or "\x00" in value else value


def _id(value: str | None) -> int | None:
    try:
        number = int((value or "").strip())
    except ValueError:
        return None
    return number if 0 < number <= MAX_ID else None


def catalog_params(data: QueryDict) -> CatalogParams:
    """Reads the catalog's query string. Nothing in it is an error: a value that does not
    parse is dropped and its default used (a hand-edited address still shows the catalog).
    Plain code rather than a Django form: the form cost ~0.3 ms of every catalog page (P1),
    and there is no error to show."""
    brand_ids: list[int] = []
    for value in data.getlist("brand"):
        number = _id(value)
        if number is not None and number not in brand_ids:
            brand_ids.append(number)
    attributes = {}
    for key in FILTER_ATTRIBUTES:
        value = _text(data.get(f"attr_{key}"), MAX_TEXT)
        if value:
            attributes[key] = value
    sort = data.get("sort", "")
    view = data.get("view", "")
    query = CatalogQuery(
        section_id=_id(data.get("section")),
        brand_ids=brand_ids[:MAX_BRANDS],
        # As Django's BooleanField reads a checkbox: absent, "", "false" and "0" are off.
        in_stock=data.get("in_stock", "").strip().lower() not in ("", "false", "0"),
        search=_text(data.get("q"), MAX_TEXT),
        attributes=attributes,
        sort=sort if sort in SORTS else "name",
        after=_text(data.get("after"), MAX_CURSOR),
    )
    return CatalogParams(
        query=query,
        agreement_id=_id(data.get("agreement")),
        view=view if view in VIEW_VALUES else None,
    )
