"""Reads of a partner's own article codes and of its uploads, always of one partner."""

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.db.models.functions import Upper

from kabinet.accounts.models import User
from kabinet.catalog.models import ArticleUpload, PartnerArticle
from kabinet.catalog.own_codes.matching import Entry
from kabinet.orders.quick_order.matching import values_subquery
from kabinet.partners.models import Partner

LIST_FIELDS = ("pk", "code", "variant__sku", "variant__ean", "variant__product__name")
MAX_SEARCH_CHARS = 100


def partner_article_list(*, partner: Partner, search: str = "") -> QuerySet[PartnerArticle]:
    """The partner's codes in code order, as (pk, code, SKU, EAN, product name) rows; with
    `search`, those whose code or product name contains it, or whose SKU or EAN it is."""
    articles = PartnerArticle.objects.for_partner(partner)
    term = search.strip()[:MAX_SEARCH_CHARS]
    if term:
        articles = articles.filter(
            Q(code__icontains=term)
            | Q(variant__sku__iexact=term)
            | Q(variant__ean=term)
            | Q(variant__product__name__icontains=term)
        )
    return articles.order_by("code", "pk").values_list(*LIST_FIELDS)


def partner_article_count(*, partner: Partner) -> int:
    return PartnerArticle.objects.for_partner(partner).count()


def partner_article_get(*, partner: Partner, article_id: int) -> PartnerArticle:
    """One of the partner's codes; PartnerArticle.DoesNotExist for another partner's."""
    return PartnerArticle.objects.for_partner(partner).select_related("variant").get(pk=article_id)


def partner_article_rows(*, partner: Partner) -> Iterator[tuple[Any, ...]]:
    """Every code of the partner for the XLSX download, streamed from one query."""
    return (
        PartnerArticle.objects.for_partner(partner)
        .order_by("code", "pk")
        .values_list("code", "variant__sku", "variant__ean", "variant__product__name")
        .iterator(chunk_size=2000)
    )


def article_upload_get(
    *, partner: Partner, user: User, upload_id: int, heavy: bool = False
) -> ArticleUpload:
    """The user's own upload in the partner (its rows only when `heavy`);
    ArticleUpload.DoesNotExist for anybody else's."""
    uploads = ArticleUpload.objects.for_partner(partner).filter(user=user)
    if not heavy:
        uploads = uploads.defer("entries", "rejected")
    return uploads.get(pk=upload_id)


@dataclass
class Changes:
    """What an upload's codes would do to the partner's table."""

    created: list[Entry] = field(default_factory=list)  # new codes and changed ones
    new: int = 0
    changed: int = 0  # codes the partner has, given to another product (or spelt otherwise)
    unchanged: int = 0
    replaced_ids: list[int] = field(default_factory=list)  # stored rows of changed codes
    kept_ids: list[int] = field(default_factory=list)  # stored rows the file repeats
    total: int = 0  # the partner's codes now

    @property
    def not_in_file(self) -> int:
        """Codes "replace all" would delete (and "merge" keeps)."""
        return self.total - len(self.replaced_ids) - len(self.kept_ids)


def article_changes(*, partner: Partner, entries: Iterable[Entry]) -> Changes:
    """Compare `entries` with the partner's stored codes, ignoring case: two queries (the
    stored rows of the file's codes, the partner's count) however many."""
    wanted = {entry.key: entry for entry in entries}
    stored: dict[str, list[tuple[int, str, int]]] = defaultdict(list)
    if wanted:
        # The database's upper() need not be Python's (PostgreSQL leaves "ß" as it is,
        # Python makes it "SS"): the codes as written are matched too, so a code the partner
        # has is never inserted a second time.
        exact = {entry.code for entry in wanted.values()}
        rows = (
            PartnerArticle.objects.for_partner(partner)
            .annotate(key=Upper("code"))
            .filter(Q(key__in=values_subquery(set(wanted))) | Q(code__in=values_subquery(exact)))
            .values_list("pk", "code", "variant_id")
        )
        for pk, code, variant_id in rows:
            stored[code.upper()].append((pk, code, variant_id))
    changes = Changes(total=PartnerArticle.objects.for_partner(partner).count())
    for key, entry in wanted.items():
        same = [
            pk
            for pk, code, variant_id in stored.get(key, ())
            if (code, variant_id) == (entry.code, entry.variant_id)
        ]
        others = [pk for pk, *_ in stored.get(key, ()) if pk not in same]
        changes.replaced_ids += others
        if same:
            changes.unchanged += 1
            changes.kept_ids += same
            continue
        changes.created.append(entry)
        if others:
            changes.changed += 1
        else:
            changes.new += 1
    return changes


def entries_of(upload: ArticleUpload) -> list[Entry]:
    return [Entry(int(row), str(code), int(variant_id)) for row, code, variant_id in upload.entries]
