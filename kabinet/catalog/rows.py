"""The catalog's rows and section tree (P1), rendered in Python.

A catalog page is 50 rows of a dozen values each plus the section tree: as template partials
(an include per tree level, a tag and a filter per row) they were most of the page's time.
Here each row is one `str.format` of constant markup. Everything per request — the product URL
pattern, the translated words (the template's msgids), the language's number format, the query
string the links keep — is prepared once in `CatalogRows.__init__`, and every value placed in
the markup is escaped with `html.escape` (what Django's `escape` does, without its lazy-string
wrapper). kabinet/catalog/tests/test_rows.py checks the output against the filters and the
escaping with hostile names.
"""

from collections.abc import Collection, Iterable, Mapping, Sequence
from decimal import Decimal
from html import escape as _e
from urllib.parse import urlencode

from django.conf import settings
from django.core.files.storage import Storage
from django.urls import reverse
from django.utils import numberformat
from django.utils.formats import get_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from kabinet.catalog.models import Brand, Product
from kabinet.catalog.selectors import CatalogPage, CatalogRow, SectionNode
from kabinet.catalog.templatetags.catalog import CURRENCY_SIGNS, stock_level

# An id no product has, replaced by the real one in a URL reversed once.
_SENTINEL = 987654321987654321

TILE = """<div class="col" data-testid="catalog-row">
  <article class="card h-100 catalog-tile">
    <a href="{url}" class="catalog-tile-image" tabindex="-1" aria-hidden="true">
      {image}
    </a>
    <div class="card-body d-flex flex-column p-2 p-md-3">
      {brand}<h2 class="catalog-tile-title"><a href="{url}">{name}</a></h2>
      <div class="mt-auto d-flex flex-wrap justify-content-between align-items-baseline gap-1">
        <span class="catalog-price">{price_from}{price}</span>
        <span class="stock stock-{stock_level}">{stock}</span>
      </div>
    </div>
  </article>
</div>
"""
TILE_BRAND = '<div class="small text-secondary text-truncate">{}</div>\n      '
TILE_IMAGE = '<img src="{}" alt="" loading="lazy">'
TILE_NO_IMAGE = '<span class="catalog-no-image">{}</span>'

LIST_ROW = """<tr data-testid="catalog-row">
  <td>
    <a href="{url}" class="fw-semibold">{name}</a>{brand}
  </td>
  <td class="d-none d-md-table-cell text-end">{variant_count}</td>
  <td class="text-end text-nowrap"><span class="catalog-price">{price_from}{price}</span></td>
  <td class="text-end text-nowrap"><span class="stock stock-{stock_level}">{stock}</span></td>
</tr>
"""
LIST_BRAND = '\n    <div class="small text-secondary">{}</div>'

TILE_MORE = """<div class="col-12 text-center catalog-more" id="catalog-more">
  <a class="btn btn-outline-primary" href="{url}" hx-get="{url}" hx-target="#catalog-more" \
hx-swap="outerHTML" hx-push-url="false" data-testid="show-more">{label}</a>
</div>
"""
LIST_MORE = """<tr id="catalog-more">
  <td colspan="4" class="text-center">
    <a class="btn btn-outline-primary btn-sm" href="{url}" hx-get="{url}" \
hx-target="#catalog-more" hx-swap="outerHTML" hx-push-url="false" \
data-testid="show-more">{label}</a>
  </td>
</tr>
"""

TREE_LINK = '<a href="{url}" class="catalog-section-link{active}"{current}>{name}</a>'

BRANDS = """<fieldset class="mb-3">
  <legend class="catalog-filter-title">{legend}</legend>
  <div class="catalog-brands">
{items}  </div>
</fieldset>
"""
BRAND = """    <div class="form-check">
      <input class="form-check-input" type="checkbox" name="brand" value="{pk}" \
id="catalog-brand-{pk}"{checked}>
      <label class="form-check-label" for="catalog-brand-{pk}">{name}</label>
    </div>
"""
ATTRIBUTE = """<div class="mb-3">
  <label class="catalog-filter-title" for="catalog-attr-{key}">{label}</label>
  <select class="form-select form-select-sm" name="attr_{key}" id="catalog-attr-{key}">
    <option value="">{any}</option>
{options}  </select>
</div>
"""
OPTION = '    <option value="{value}"{selected}>{value}</option>\n'


def query_string(params: Mapping[str, Sequence[str]], **changes: str | int | None) -> str:
    """As `{% querystring %}` over `params` (name → values): a change replaces a parameter,
    None removes it. Always starts with "?"."""
    merged = {key: list(values) for key, values in params.items()}
    for key, value in changes.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = [str(value)]
    return "?" + urlencode([(key, v) for key, values in merged.items() for v in values])


class LocaleNumbers:
    """`formats.number_format` with the current language's separators looked up once: the same
    output, without the per-call lookups that dominate formatting a page of numbers."""

    def __init__(self) -> None:
        lang = get_language()
        self.decimal_sep = get_format("DECIMAL_SEPARATOR", lang, use_l10n=True)
        self.grouping = get_format("NUMBER_GROUPING", lang, use_l10n=True)
        self.thousand_sep = get_format("THOUSAND_SEPARATOR", lang, use_l10n=True)

    def format(self, value: Decimal, decimal_pos: int | None) -> str:
        return numberformat.format(
            value,
            self.decimal_sep,
            decimal_pos,
            self.grouping,
            self.thousand_sep,
            force_grouping=True,
            use_l10n=True,
        )

    def money(self, amount: Decimal, currency: str) -> str:
        """As the `money` filter: "1 234,50 ₽" in Russian, "1,234.50 ₽" in English."""
        if self.grouping == 3:  # Python's own grouping, the separators swapped in
            number = f"{amount:,.2f}".translate(
                {ord(","): self.thousand_sep, ord("."): self.decimal_sep}
            )
        else:
            number = self.format(amount, 2)
        return f"{number}\N{NO-BREAK SPACE}{CURRENCY_SIGNS.get(currency, currency)}"


class CatalogRows:
    """Renders one request's catalog rows, "Show more" link and section tree.

    `params` are the page's query parameters (empty ones left out); `list_url` the catalog's
    address."""

    def __init__(self, *, list_url: str, params: Mapping[str, Sequence[str]]) -> None:
        self.list_url = list_url
        self.params = params
        self.numbers = LocaleNumbers()
        prefix, suffix = reverse("catalog:product", kwargs={"product_id": _SENTINEL}).split(
            str(_SENTINEL)
        )
        self.product_url = (_e(prefix), _e(suffix))
        self.storage: Storage = Product._meta.get_field("image").storage
        self.price_from = f'<span class="catalog-price-from">{_e(_("from"))}</span> '
        self.no_image = TILE_NO_IMAGE.format(_e(_("No photo")))
        self.show_more = _e(_("Show more"))
        self.stock_words = {
            "none": _e(_("out of stock")),
            "many": _e(_("plenty")),
            "few": _e(_("few left")),
        }
        self.stock_as_quantity = settings.CATALOG_STOCK_DISPLAY == "quantity"

    def _stock(self, quantity: Decimal) -> tuple[str, str]:
        """As `{% stock %}`: the level and the words (or the number) shown."""
        level = stock_level(quantity)
        if level == "none" or not self.stock_as_quantity:
            return level, self.stock_words[level]
        return level, _e(self.numbers.format(quantity.normalize(), None))

    def _values(self, row: CatalogRow, currency: str) -> dict[str, str]:
        level, stock = self._stock(row.stock)
        return {
            "url": f"{self.product_url[0]}{row.product_id}{self.product_url[1]}",
            "name": _e(row.name),
            "price_from": self.price_from if row.min_price != row.max_price else "",
            "price": _e(self.numbers.money(row.min_price, currency)),
            "stock_level": level,
            "stock": stock,
        }

    def tile(self, row: CatalogRow, currency: str) -> str:
        return TILE.format(
            image=TILE_IMAGE.format(_e(self.storage.url(row.image)))
            if row.image
            else self.no_image,
            brand=TILE_BRAND.format(_e(row.brand_name)) if row.brand_name else "",
            **self._values(row, currency),
        )

    def list_row(self, row: CatalogRow, currency: str) -> str:
        return LIST_ROW.format(
            brand=LIST_BRAND.format(_e(row.brand_name)) if row.brand_name else "",
            variant_count=row.variant_count,
            **self._values(row, currency),
        )

    def rows(self, page: CatalogPage, view_mode: str) -> SafeString:
        """The page's rows and, when there are more, the "Show more" link to append them."""
        render = self.list_row if view_mode == "list" else self.tile
        parts = [render(row, page.currency) for row in page.listings]
        if page.next_cursor:
            url = _e(self.list_url + query_string(self.params, after=page.next_cursor))
            more = LIST_MORE if view_mode == "list" else TILE_MORE
            parts.append(more.format(url=url, label=self.show_more))
        return mark_safe("".join(parts))  # noqa: S308 (every value above is escaped)

    def filters(
        self,
        brands: Iterable[Brand],
        brand_ids: Collection[int],
        attributes: Iterable[tuple[str, object, Sequence[str], str]],
    ) -> SafeString:
        """The brand checkboxes and attribute selects of the filter form: `attributes` as
        (key, label, values on sale, the selected one). A filter with nothing to choose from
        is left out."""
        items = "".join(
            BRAND.format(
                pk=brand.pk,
                checked=" checked" if brand.pk in brand_ids else "",
                name=_e(brand.name),
            )
            for brand in brands
        )
        parts = [BRANDS.format(legend=_e(_("Brand")), items=items)] if items else []
        any_value = _e(_("Any"))
        for key, label, values, selected in attributes:
            if not values:
                continue
            options = "".join(
                OPTION.format(value=_e(value), selected=" selected" if value == selected else "")
                for value in values
            )
            parts.append(
                ATTRIBUTE.format(key=_e(key), label=_e(str(label)), any=any_value, options=options)
            )
        return mark_safe("".join(parts))  # noqa: S308 (every value is escaped)

    def tree(self, nodes: Iterable[SectionNode]) -> SafeString:
        """The section tree, each level opened down to the current section."""
        return mark_safe(self._tree(nodes, 0))  # noqa: S308 (every value is escaped)

    def _tree(self, nodes: Iterable[SectionNode], depth: int) -> str:
        indent = "  " * depth
        items = []
        for node in nodes:
            url = self.list_url + query_string(
                self.params, section=node.section.pk, after=None, agreement=None
            )
            link = TREE_LINK.format(
                url=_e(url),
                active=" active" if node.active else "",
                current=' aria-current="page"' if node.active else "",
                name=_e(node.section.name),
            )
            below = self._tree(node.children, depth + 1) if node.open and node.children else ""
            items.append(f"{indent}  <li>{link}{below}</li>\n")
        return f'\n{indent}<ul class="list-unstyled catalog-tree">\n{"".join(items)}{indent}</ul>'
