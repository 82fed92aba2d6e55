"""Writes of a partner's own article codes (ORD2), each in one transaction with its audit event.

article_upload_create   a read file → the user's upload, checked (replaces his earlier one)
article_upload_discard  the upload dropped, nothing applied
partner_articles_apply  the upload's codes merged into the table, or replacing it whole;
                        the table changes only here
partner_article_delete  one code removed
"""

from dataclasses import dataclass
from typing import Literal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from kabinet.accounts.audit import audit_record
from kabinet.accounts.models import AuditKind, User
from kabinet.catalog.models import ArticleUpload, PartnerArticle, Variant
from kabinet.catalog.own_codes.matching import article_rows_check
from kabinet.catalog.own_codes.selectors import article_changes, entries_of
from kabinet.orders.quick_order.files import Table
from kabinet.orders.quick_order.matching import values_subquery
from kabinet.partners.models import Partner

type Mode = Literal["merge", "replace"]
BATCH = 2_000


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
    PartnerArticle.objects.bulk_create(
        (
            PartnerArticle(partner=partner, variant_id=entry.variant_id, code=entry.code)
            for entry in changes.created
        ),
        batch_size=BATCH,
    )
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
