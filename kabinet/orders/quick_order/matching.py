"""From a file's rows to cart lines and report rows, in bulk (QUALITY.md P4).

Codes are matched in a fixed number of queries per chunk of rows, however many rows a chunk
holds: by SKU (case-insensitive), by EAN and by the partner's own article codes (only its
own). Every code is sent as one array parameter (PostgreSQL `unnest`, SQLite `json_each`),
so neither database's limit on bound parameters is met. Then **one** price query for the
whole file tells which of the variants found are on sale under the agreement's price list,
at what price. A row is rejected with a reason, never silently dropped; rows with the same
variant are summed into one line.
"""

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from kabinet.catalog.models import PartnerArticle, Price, PriceList, Variant
from kabinet.orders.forms import quantity_parse
from kabinet.orders.services import MAX_QUANTITY, QUANTITY_PLACES
from kabinet.partners.models import Agreement, Partner

CHUNK_ROWS = 25_000  # rows matched between two progress reports (a lookup scans the SKUs)
CODE_KINDS = {
    "any": _("SKU, EAN or your own code"),
    "sku": _("SKU"),
    "ean": _("EAN (barcode)"),
    "article": _("Your own article code"),
}
# Why a row was not taken (stored as the key, shown in the reader's language).
REASONS = {
    "no_code": _("The code is empty."),
    "unknown": _("Unknown code."),
    "ambiguous": _("Ambiguous code: it matches several products."),
    "not_on_sale": _("Not available under the agreement."),
    "quantity_missing": _("The quantity is empty."),
    "quantity_nan": _("The quantity is not a number."),
    "quantity_not_positive": _("A quantity must be a positive number."),
    "quantity_too_large": _("A quantity cannot exceed 1,000,000."),
    "quantity_decimals": _("A quantity can have at most three decimal places."),
}
WARNINGS = {
    "price_differs": _("The price differs from the expected one."),
    "price_unreadable": _("The expected price is not a number."),
}
CENT = Decimal("0.01")


# --- Column mapping ------------------------------------------------------------------------


@dataclass(frozen=True)
class Mapping:
    """Which columns (0-based, after the row number) hold the code, the quantity and the
    expected price, what kind of code it is, and whether the first row is a header."""

    code: int = 0
    quantity: int = 1
    price: int | None = None
    kind: str = "any"
    header: bool = True

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "quantity": self.quantity,
            "price": self.price,
            "kind": self.kind,
            "header": self.header,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Mapping":
        return cls(
            code=int(data.get("code", 0)),
            quantity=int(data.get("quantity", 1)),
            price=None if data.get("price") is None else int(data["price"]),
            kind=str(data.get("kind", "any")),
            header=bool(data.get("header", True)),
        )


def _folded(text: str) -> str:
    return "".join(char for char in text.casefold() if char.isalnum())


# Header words (folded: lower case, letters and digits only) → (role, kind of code).
_HEADERS: dict[str, tuple[str, str]] = {}
for _words, _role in (
    (("артикул", "sku", "артикулпоставщика", "vendorcode"), ("code", "sku")),
    (("ean", "ean13", "штрихкод", "штрихкоды", "barcode", "gtin"), ("code", "ean")),
    (
        (
            "мойартикул",
            "нашартикул",
            "вашартикул",
            "артикулпокупателя",
            "артикулпартнера",
            "артикулпартнёра",
            "кодпартнера",
            "owncode",
            "mycode",
            "yourcode",
            "customercode",
            "ownarticlecode",
        ),
        ("code", "article"),
    ),
    (("код", "code", "кодтовара", "itemcode", "productcode", "article", "арт"), ("code", "any")),
    (("количество", "колво", "кол", "qty", "quantity", "quantities", "шт"), ("quantity", "")),
    (
        ("цена", "price", "ожидаемаяцена", "expectedprice", "ценазаед", "unitprice"),
        ("price", ""),
    ),
):
    for _word in _words:
        _HEADERS[_word] = _role


def header_role(text: str) -> tuple[str, str] | None:
    return _HEADERS.get(_folded(text))


def _is_number(text: str) -> bool:
    value = quantity_parse(text) if text else None
    return value is not None


def mapping_guess(rows: Sequence[list[Any]]) -> Mapping:
    """The likely mapping of a table's rows ([row number, cell, …]): named by a header row
    when the first row has one; else the first column that is not all numbers for the code
    and the next numeric column for the quantity."""
    if not rows:
        return Mapping()
    first = [str(cell) for cell in rows[0][1:]]
    roles: dict[str, tuple[int, str]] = {}
    for index, text in enumerate(first):
        role = header_role(text)
        if role and role[0] not in roles:
            roles[role[0]] = (index, role[1])
    width = max(len(row) - 1 for row in rows[:20])
    if "code" in roles or "quantity" in roles:
        code, kind = roles.get("code", (0, "any"))
        default_quantity = next((i for i in range(width) if i != code), 0)
        quantity = roles.get("quantity", (default_quantity, ""))[0]
        price = roles["price"][0] if "price" in roles else None
        return Mapping(code=code, quantity=quantity, price=price, kind=kind, header=True)
    sample = rows[:20]
    numeric = [
        sum(1 for row in sample if index + 1 < len(row) and _is_number(str(row[index + 1])))
        for index in range(width)
    ]
    code = next((i for i in range(width) if numeric[i] < len(sample)), 0)
    quantity = next((i for i in range(width) if i != code and numeric[i]), 1 if code == 0 else 0)
    header = not any(_is_number(text) for text in first) and len(rows) > 1
    return Mapping(code=code, quantity=quantity, price=None, kind="any", header=header)


# --- Matching ------------------------------------------------------------------------------


@dataclass(slots=True)
class Line:
    """One variant to put in the cart: the rows with it summed. (Its SKU and name are read
    when shown, `line_labels`: 100k names would weigh on the job and its stored report.)"""

    variant_id: int
    quantity: Decimal
    price: Decimal
    first_row: int
    rows: int = 1
    expected: Decimal | None = None
    warning: str = ""

    def as_json(self) -> list[Any]:
        expected = "" if self.expected is None else str(self.expected)
        return [
            self.variant_id,
            _plain(self.quantity),
            str(self.price),
            expected,
            self.first_row,
            self.rows,
            self.warning,
        ]


@dataclass(slots=True)
class Rejection:
    row: int
    code: str
    quantity: str
    reason: str  # a key of REASONS

    def as_json(self) -> list[Any]:
        return [self.row, self.code, self.quantity, self.reason]


@dataclass
class Outcome:
    read: int = 0
    lines: list[Line] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    currency: str = ""

    @property
    def recognised(self) -> int:
        return self.read - len(self.rejected)

    @property
    def warnings(self) -> int:
        return sum(1 for line in self.lines if line.warning)


def _plain(value: Decimal) -> str:
    """A decimal without exponent or trailing zeros: 1E+1 → "10", 2.500 → "2.5"."""
    text = format(value.normalize(), "f")
    return text


def quantity_read(text: str) -> Decimal | str:
    """The quantity in a cell, or the key of REASONS that says why it is none."""
    if not text:
        return "quantity_missing"
    quantity = quantity_parse(text)
    if quantity is None:
        return "quantity_nan"
    if quantity <= 0:
        return "quantity_not_positive"
    if quantity > MAX_QUANTITY:
        return "quantity_too_large"
    exponent = quantity.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -QUANTITY_PLACES:
        return "quantity_decimals"
    return quantity


def values_subquery(values: Iterable[str] | Iterable[int], *, integers: bool = False) -> RawSQL:
    """`SELECT` of the given values, for `field__in=`: one bound parameter however many."""
    items = list(values)
    # The SQL is constant; the values travel as a single bound parameter.
    if connection.vendor == "postgresql":
        sql = "SELECT unnest(%s::bigint[])" if integers else "SELECT unnest(%s::text[])"
        return RawSQL(sql, (items,))  # noqa: S611
    return RawSQL("SELECT value FROM json_each(%s)", (json.dumps(items),))


# A row with a code and a good quantity: (row, code, quantity as written, quantity, price).
type _Candidate = tuple[int, str, str, Decimal, str]
SEVERAL = 0  # in a lookup: the code hits more than one variant of that kind


def _cell(row: list[Any], index: int | None) -> str:
    if index is None or index + 1 >= len(row):
        return ""
    return str(row[index + 1]).strip()


class _Lookup:
    """Codes → the variant they hit (or SEVERAL), by kind, filled chunk by chunk (a fixed
    number of queries each)."""

    def __init__(self, partner: Partner, kind: str) -> None:
        self.partner = partner
        self.kind = kind
        self.by_sku: dict[str, int] = {}
        self.by_ean: dict[str, int] = {}
        self.by_article: dict[str, int] = {}

    @staticmethod
    def _put(found: dict[str, int], key: str, variant_id: int) -> None:
        if found.setdefault(key, variant_id) != variant_id:
            found[key] = SEVERAL

    def add(self, codes: set[str]) -> None:
        if not codes:
            return
        upper = {code.upper() for code in codes}
        if self.kind in ("any", "sku"):
            variants: QuerySet[Variant, tuple[int, str]] = (
                Variant.objects.annotate(key=Upper("sku"))
                .filter(key__in=values_subquery(upper))
                .values_list("pk", "key")
            )
            for pk, key in variants:
                self._put(self.by_sku, key, pk)
        if self.kind in ("any", "ean"):
            eans = Variant.objects.filter(ean__in=values_subquery(codes)).values_list("pk", "ean")
            for pk, ean in eans:
                if ean:
                    self._put(self.by_ean, ean, pk)
        if self.kind in ("any", "article"):
            articles = (
                PartnerArticle.objects.filter(partner=self.partner)
                .annotate(key=Upper("code"))
                .filter(key__in=values_subquery(upper))
                .values_list("variant_id", "key")
            )
            for variant_id, key in articles:
                self._put(self.by_article, key, variant_id)

    def hits(self, code: str) -> set[int]:
        """The variants `code` hits (SEVERAL among them when one kind alone hits many)."""
        key = code.upper()
        found = (self.by_sku.get(key), self.by_ean.get(code), self.by_article.get(key))
        return {variant_id for variant_id in found if variant_id is not None}


def rows_match(
    *,
    partner: Partner,
    agreement: Agreement,
    rows: Sequence[list[Any]],
    mapping: Mapping,
    progress: Callable[[int], None] | None = None,
) -> Outcome:
    """Match `rows` ([row number, cell, …], the header row included when mapping.header)
    against the catalog under `agreement`. `progress(rows done)` is called after each chunk.
    Queries: the price list, up to three per chunk of CHUNK_ROWS rows, one for the prices."""
    data = rows[1:] if mapping.header else rows
    outcome = Outcome()
    candidates: list[_Candidate] = []
    lookup = _Lookup(partner, mapping.kind if mapping.kind in CODE_KINDS else "any")
    price_list = PriceList.objects.filter(code=agreement.price_list).first()
    rejected = outcome.rejected
    looked_up: set[str] = set()
    for start in range(0, len(data), CHUNK_ROWS):
        codes: set[str] = set()
        for row in data[start : start + CHUNK_ROWS]:
            code, quantity_text = _cell(row, mapping.code), _cell(row, mapping.quantity)
            if not code and not quantity_text:
                continue  # a blank line between lines, or a totals row without a code
            outcome.read += 1
            number = int(row[0])
            if not code:
                rejected.append(Rejection(number, code, quantity_text, "no_code"))
                continue
            quantity = quantity_read(quantity_text)
            if isinstance(quantity, str):
                rejected.append(Rejection(number, code, quantity_text, quantity))
                continue
            candidates.append((number, code, quantity_text, quantity, _cell(row, mapping.price)))
            if code not in looked_up:
                codes.add(code)
        lookup.add(codes)
        looked_up |= codes
        if progress is not None:
            progress(min(start + CHUNK_ROWS, len(data)))
    del looked_up

    resolved: dict[str, int] = {}  # code → the one variant it hits
    for candidate in candidates:
        code = candidate[1]
        if code not in resolved:
            hits = lookup.hits(code)
            resolved[code] = next(iter(hits)) if len(hits) == 1 else SEVERAL if hits else -1
    prices: dict[int, Decimal] = {}
    wanted = {variant_id for variant_id in resolved.values() if variant_id > 0}
    if price_list is not None and wanted:
        outcome.currency = price_list.currency
        # The one price query of the file (P4).
        prices = dict(
            Price.objects.filter(
                price_list=price_list,
                variant_id__in=values_subquery(wanted, integers=True),
                variant__is_archived=False,
                variant__product__is_archived=False,
            ).values_list("variant_id", "amount")
        )
    del wanted

    lines: dict[int, Line] = {}
    for number, code, quantity_text, quantity, price_text in candidates:
        variant_id = resolved[code]
        reason = ""
        if variant_id == SEVERAL:
            reason = "ambiguous"
        elif variant_id < 0:
            reason = "unknown"
        elif variant_id not in prices:
            reason = "not_on_sale"
        else:
            line = lines.get(variant_id)
            if line is not None and line.quantity + quantity > MAX_QUANTITY:
                reason = "quantity_too_large"
        if reason:
            rejected.append(Rejection(number, code, quantity_text, reason))
            continue
        if line is None:
            line = lines[variant_id] = Line(
                variant_id=variant_id, quantity=quantity, price=prices[variant_id], first_row=number
            )
        else:
            line.quantity += quantity
            line.rows += 1
        if price_text and line.expected is None and not line.warning:
            _expect(line, price_text)
    outcome.lines = list(lines.values())
    rejected.sort(key=lambda rejection: rejection.row)
    return outcome


def line_labels(variant_ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """Variant id → (SKU, product name), in one query however many."""
    return {
        pk: (sku, name)
        for pk, sku, name in Variant.objects.filter(
            pk__in=values_subquery(set(variant_ids), integers=True)
        ).values_list("pk", "sku", "product__name")
    }


def _expect(line: Line, text: str) -> None:
    expected = quantity_parse(text)
    if expected is None or expected < 0 or expected >= Decimal(10) ** 10:
        line.warning = "price_unreadable"
        return
    line.expected = expected.quantize(CENT)
    if line.expected != line.price:
        line.warning = "price_differs"
