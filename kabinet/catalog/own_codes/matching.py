"""From an uploaded table to a partner's own article codes, checked in bulk (ORD2).

The table has two columns: the partner's own code, then our SKU (any case) or the EAN of
the variant it stands for. Every SKU and EAN of the file is looked up in **one** query (a
union of two index scans, each with the file's values as a single array parameter), so a
file of 10,000 rows costs what a file of ten does. A row is either taken or rejected with
its number and a reason; nothing is written here.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from kabinet.catalog.models import PartnerArticle, Variant

# The quick order's helper: every value as one bound parameter (unnest / json_each).
from kabinet.orders.quick_order.matching import values_subquery

MAX_CODE_CHARS = PartnerArticle._meta.get_field("code").max_length or 64

# Why a row was not taken (stored as the key, shown in the reader's language).
REASONS = {
    "no_code": _("Your code is empty."),
    "no_target": _("The SKU or EAN is empty."),
    "too_long": _("Your code is longer than 64 characters."),
    "unknown": _("No product has this SKU or EAN."),
    "ambiguous": _("Ambiguous: it is the SKU of one product and the EAN of another."),
    "duplicate": _("The file gives this code to different products."),
}


@dataclass(frozen=True, slots=True)
class Entry:
    """One own code to store: the first row that gave it, as written there."""

    row: int
    code: str
    variant_id: int

    @property
    def key(self) -> str:
        """Codes are told apart ignoring case, as the quick order and search match them."""
        return self.code.upper()


@dataclass(frozen=True, slots=True)
class Rejection:
    row: int
    code: str
    target: str  # the SKU or EAN as written
    reason: str  # a key of REASONS


@dataclass
class ArticleCheck:
    read: int = 0  # rows with anything in the two columns, the header aside
    header: bool = False  # the first row was taken as column names
    entries: list[Entry] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)

    @property
    def recognised(self) -> int:
        return self.read - len(self.rejected)


def _cell(row: Sequence[Any], index: int) -> str:
    return str(row[index + 1]).strip() if index + 1 < len(row) else ""


def variant_hits(targets: set[str]) -> tuple[dict[str, set[int]], dict[str, set[int]]]:
    """(upper-cased SKU → variant ids, EAN → variant ids) of the variants any of `targets`
    names: one query however many. (SKUs are unique as written, so two variants may share
    one SKU in capitals: that code is ambiguous.)"""
    by_sku: dict[str, set[int]] = defaultdict(set)
    by_ean: dict[str, set[int]] = defaultdict(set)
    if not targets:
        return by_sku, by_ean
    skus = (
        Variant.objects.annotate(key=Upper("sku"))
        .filter(key__in=values_subquery({target.upper() for target in targets}))
        .order_by()
        .values_list("pk", "sku", "ean")
    )
    eans = Variant.objects.filter(ean__in=values_subquery(targets)).order_by()
    for pk, sku, ean in skus.union(eans.values_list("pk", "sku", "ean")).order_by():
        by_sku[sku.upper()].add(pk)
        if ean:
            by_ean[ean].add(pk)
    return by_sku, by_ean


def _looks_like_header(code: str, target: str) -> bool:
    """Column names ("Your code", "SKU or EAN", "Артикул"): text without a digit. Checked
    on the first row only, and only when its SKU or EAN names no product."""
    return not any(char.isdigit() for char in code + target)


def article_rows_check(*, rows: Sequence[list[Any]]) -> ArticleCheck:
    """Check `rows` ([row number, own code, SKU or EAN, …], as files.table_read gives them):
    which own codes they give to which variants, and which rows are refused and why."""
    check = ArticleCheck()
    pairs = [(int(row[0]), _cell(row, 0), _cell(row, 1)) for row in rows]
    pairs = [pair for pair in pairs if pair[1] or pair[2]]
    by_sku, by_ean = variant_hits({target for _, _, target in pairs if target})

    def hits(target: str) -> set[int]:
        return by_sku.get(target.upper(), set()) | by_ean.get(target, set())

    if pairs and not hits(pairs[0][2]) and _looks_like_header(pairs[0][1], pairs[0][2]):
        check.header = True
        pairs = pairs[1:]
    check.read = len(pairs)

    chosen: dict[str, Entry] = {}  # upper-cased code → its first good row
    conflicting: set[str] = set()
    taken: list[tuple[Entry, str]] = []  # with the SKU or EAN as written
    for number, code, target in pairs:
        reason = ""
        if not code:
            reason = "no_code"
        elif len(code) > MAX_CODE_CHARS:
            reason = "too_long"
        elif not target:
            reason = "no_target"
        else:
            found = hits(target)
            reason = "ambiguous" if len(found) > 1 else "" if found else "unknown"
        if reason:
            check.rejected.append(Rejection(number, code[:MAX_CODE_CHARS], target, reason))
            continue
        entry = Entry(number, code, next(iter(found)))
        taken.append((entry, target))
        first = chosen.setdefault(entry.key, entry)
        if first.variant_id != entry.variant_id:
            conflicting.add(entry.key)
    # Which of two products a code means is the partner's to say: every row of it is refused.
    for entry, target in taken:
        if entry.key in conflicting:
            check.rejected.append(Rejection(entry.row, entry.code, target, "duplicate"))
    check.entries = [entry for key, entry in chosen.items() if key not in conflicting]
    check.rejected.sort(key=lambda rejection: rejection.row)
    return check
