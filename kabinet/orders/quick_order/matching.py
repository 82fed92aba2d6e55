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

CHUNK_ROWS = 10_000  # rows matched between two progress reports
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


@dataclass
class Line:
    """One variant to put in the cart: the rows with it summed."""

    variant_id: int
    sku: str
    name: str
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
            self.sku,
            self.name,
            _plain(self.quantity),
            str(self.price),
            expected,
            self.first_row,
            self.rows,
            self.warning,
        ]


@dataclass
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


@dataclass
class _Candidate:
    row: int
    code: str
    quantity_text: str
    quantity: Decimal
    price_text: str


def _cell(row: list[Any], index: int | None) -> str:
    if index is None or index + 1 >= len(row):
        return ""
    return str(row[index + 1]).strip()


class _Lookup:
    """Codes → the variant ids they hit, filled chunk by chunk (a fixed number of queries
    each)."""

    def __init__(self, partner: Partner, kind: str) -> None:
        self.partner = partner
        self.kind = kind
        self.by_sku: dict[str, set[int]] = {}
        self.by_ean: dict[str, set[int]] = {}
        self.by_article: dict[str, set[int]] = {}
        self.seen: set[str] = set()

    def add(self, codes: set[str]) -> None:
        codes = codes - self.seen
        if not codes:
            return
        self.seen |= codes
        upper = {code.upper() for code in codes}
        if self.kind in ("any", "sku"):
            variants: QuerySet[Variant, tuple[int, str]] = (
                Variant.objects.annotate(key=Upper("sku"))
                .filter(key__in=values_subquery(upper))
                .values_list("pk", "key")
            )
            for pk, key in variants:
                self.by_sku.setdefault(key, set()).add(pk)
        if self.kind in ("any", "ean"):
            eans = Variant.objects.filter(ean__in=values_subquery(codes)).values_list("pk", "ean")
            for pk, ean in eans:
                if ean:
                    self.by_ean.setdefault(ean, set()).add(pk)
        if self.kind in ("any", "article"):
            articles = (
                PartnerArticle.objects.filter(partner=self.partner)
                .annotate(key=Upper("code"))
                .filter(key__in=values_subquery(upper))
                .values_list("variant_id", "key")
            )
            for variant_id, key in articles:
                self.by_article.setdefault(key, set()).add(variant_id)

    def hits(self, code: str) -> set[int]:
        key = code.upper()
        return (
            self.by_sku.get(key, set())
            | self.by_ean.get(code, set())
            | self.by_article.get(key, set())
        )


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
    for start in range(0, len(data), CHUNK_ROWS):
        codes: set[str] = set()
        for row in data[start : start + CHUNK_ROWS]:
            code, quantity_text = _cell(row, mapping.code), _cell(row, mapping.quantity)
            price_text = _cell(row, mapping.price)
            if not code and not quantity_text:
                continue  # a blank line between lines, or a totals row without a code
            outcome.read += 1
            number = int(row[0])
            if not code:
                outcome.rejected.append(Rejection(number, code, quantity_text, "no_code"))
                continue
            quantity = quantity_read(quantity_text)
            if isinstance(quantity, str):
                outcome.rejected.append(Rejection(number, code, quantity_text, quantity))
                continue
            candidates.append(_Candidate(number, code, quantity_text, quantity, price_text))
            codes.add(code)
        lookup.add(codes)
        if progress is not None:
            progress(min(start + CHUNK_ROWS, len(data)))

    resolved: dict[int, int] = {}  # candidate index → variant id
    for index, candidate in enumerate(candidates):
        hits = lookup.hits(candidate.code)
        if len(hits) == 1:
            resolved[index] = next(iter(hits))
    prices: dict[int, tuple[Decimal, str, str]] = {}
    if price_list is not None and resolved:
        outcome.currency = price_list.currency
        # The one price query of the file (P4).
        prices = {
            variant_id: (amount, sku, name)
            for variant_id, amount, sku, name in Price.objects.filter(
                price_list=price_list,
                variant_id__in=values_subquery(set(resolved.values()), integers=True),
                variant__is_archived=False,
                variant__product__is_archived=False,
            ).values_list("variant_id", "amount", "variant__sku", "variant__product__name")
        }

    lines: dict[int, Line] = {}
    for index, candidate in enumerate(candidates):
        variant_id = resolved.get(index)
        reason = ""
        if variant_id is None:
            reason = "ambiguous" if lookup.hits(candidate.code) else "unknown"
        elif variant_id not in prices:
            reason = "not_on_sale"
        if reason:
            outcome.rejected.append(
                Rejection(candidate.row, candidate.code, candidate.quantity_text, reason)
            )
            continue
        assert variant_id is not None
        line = lines.get(variant_id)
        if line is not None and line.quantity + candidate.quantity > MAX_QUANTITY:
            outcome.rejected.append(
                Rejection(
                    candidate.row, candidate.code, candidate.quantity_text, "quantity_too_large"
                )
            )
            continue
        if line is None:
            amount, sku, name = prices[variant_id]
            line = lines[variant_id] = Line(
                variant_id=variant_id,
                sku=sku,
                name=name,
                quantity=candidate.quantity,
                price=amount,
                first_row=candidate.row,
            )
        else:
            line.quantity += candidate.quantity
            line.rows += 1
        if candidate.price_text and line.expected is None and not line.warning:
            _expect(line, candidate.price_text)
    outcome.lines = list(lines.values())
    outcome.rejected.sort(key=lambda rejection: rejection.row)
    return outcome


def _expect(line: Line, text: str) -> None:
    expected = quantity_parse(text)
    if expected is None or expected < 0 or expected >= Decimal(10) ** 10:
        line.warning = "price_unreadable"
        return
    line.expected = expected.quantize(CENT)
    if line.expected != line.price:
        line.warning = "price_differs"
