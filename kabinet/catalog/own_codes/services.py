"""Writes of a partner's own article codes (ORD2), each in one transaction with its audit event.

article_upload_create   a read file → the user's upload, checked (replaces his earlier one)
article_upload_discard  the upload dropped, nothing applied
partner_articles_apply  the upload's codes merged into the table, or replacing it whole;
                        the table changes only here
partner_article_delete  one code removed
"""

import json
from dataclasses import dataclass
from typing import Literal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from kabinet.accounts.audit import audit_record
from kabinet.accounts.models import AuditKind, User
from kabinet.catalog.models import ArticleUpload, PartnerArticle, Variant
from kabinet.catalog.own_codes.matching import Entry, article_rows_check
from kabinet.catalog.own_codes.selectors import article_changes, entries_of
from kabinet.orders.quick_order.files import Table
from kabinet.orders.quick_order.matching import values_subquery
from kabinet.partners.models import Partner

type Mode = Literal["merge", "replace"]


@transaction.atomic
def article_upload_create(
    *, partner: Partner, file_name: str, table: Table, actor: User
) -> ArticleUpload:
    """Check `table` (read by files.table_read) and keep the outcome for the user to
    confirm. Like the quick order's imports, an upload is a scratch pad: not audited (the
    apply is)."""
    check = article_rows_check(rows=table.rows)
    ArticleUpload.objects.for_partner(partner).filter(user=actor).delete()
    return ArticleUpload.objects.create(
        partner=partner,
        user=actor,
        file_name=file_name[:120],
        rows_read=check.read,
        header=check.header,
        entries=[[entry.row, entry.code, entry.variant_id] for entry in check.entries],
        rejected=[[r.row, r.code, r.target, r.reason] for r in check.rejected],
    )


@transaction.atomic
def article_upload_discard(*, partner: Partner, upload_id: int, actor: User) -> None:
    ArticleUpload.objects.for_partner(partner).filter(user=actor, pk=upload_id).delete()


@dataclass(frozen=True)
class Applied:
    added: int
    replaced: int
    removed: int  # codes not in the file that "replace all" deleted
    unchanged: int


@transaction.atomic
def partner_articles_apply(
    *,
    partner: Partner,
    upload_id: int,
    mode: Mode,
    actor: User,
    request: HttpRequest | None = None,
) -> Applied:
    """Apply the user's upload: "merge" adds its codes and replaces those the partner has
    (ignoring case); "replace" also deletes every code the file does not have. The upload is
    deleted, so a second submit finds nothing (ArticleUpload.DoesNotExist). ValidationError,
    the table untouched, when a product of the file has left the catalog meanwhile."""
    if mode not in ("merge", "replace"):
        raise ValidationError(_("Choose to merge or to replace."), code="mode")
    upload = (
        ArticleUpload.objects.for_partner(partner)
        .filter(user=actor)
        .select_for_update()
        .get(pk=upload_id)
    )
    # Two users of one partner applying at once would race on its codes: one after the other.
    list(Partner.objects.select_for_update().filter(pk=partner.pk).values_list("pk"))
    entries = entries_of(upload)
    variant_ids = {entry.variant_id for entry in entries}
    if variant_ids:
        present = Variant.objects.filter(pk__in=values_subquery(variant_ids, integers=True))
        if present.count() != len(variant_ids):
            raise ValidationError(
                _("Some products of the file have left the catalog since: upload it again."),
                code="stale",
            )
    changes = article_changes(partner=partner, entries=entries)
    stored = PartnerArticle.objects.for_partner(partner)
    if mode == "replace":
        removed = changes.not_in_file
        stored.exclude(pk__in=values_subquery(changes.kept_ids, integers=True)).delete()
    else:
        removed = 0
        if changes.replaced_ids:
            stored.filter(pk__in=values_subquery(changes.replaced_ids, integers=True)).delete()
    _articles_insert(partner, changes.created)
    upload.delete()
    applied = Applied(
        added=changes.new, replaced=changes.changed, removed=removed, unchanged=changes.unchanged
    )
    audit_record(
        AuditKind.ARTICLE_CODES_UPLOADED,
        request=request,
        actor=actor,
        partner_id=partner.pk,
        file=upload.file_name,
        mode=mode,
        added=applied.added,
        replaced=applied.replaced,
        removed=applied.removed,
        unchanged=applied.unchanged,
    )
    return applied


def _articles_insert(partner: Partner, entries: list[Entry]) -> None:
    """Insert the codes in one statement, selecting them from the entries passed as arrays
    (PostgreSQL) or as one JSON text (SQLite). bulk_create spends ~0.4 s of Python on
    10,000 model instances and their parameters; this takes a few milliseconds."""
    if not entries:
        return
    # Constant SQL: the table and columns are the model's, the values travel as parameters.
    table = connection.ops.quote_name(PartnerArticle._meta.db_table)
    columns = "(partner_id, variant_id, code)"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"INSERT INTO {table} {columns} SELECT %s, variant_id, code "  # noqa: S608
                "FROM unnest(%s::bigint[], %s::text[]) AS entry(variant_id, code)",
                [partner.pk, [e.variant_id for e in entries], [e.code for e in entries]],
            )
        else:
            cursor.execute(
                f"INSERT INTO {table} {columns} SELECT %s, "  # noqa: S608
                "json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(%s)",
                [partner.pk, json.dumps([[e.variant_id, e.code] for e in entries])],
            )


@transaction.atomic
def partner_article_delete(
    *, partner: Partner, article_id: int, actor: User, request: HttpRequest | None = None
) -> None:
    """Delete one of the partner's codes; PartnerArticle.DoesNotExist for another's."""
    article = (
        PartnerArticle.objects.for_partner(partner)
        .select_related("variant")
        .select_for_update(of=("self",))
        .get(pk=article_id)
    )
    article.delete()
    audit_record(
        AuditKind.ARTICLE_CODE_DELETED,
        request=request,
        actor=actor,
        partner_id=partner.pk,
        code=article.code,
        sku=article.variant.sku,
    )
