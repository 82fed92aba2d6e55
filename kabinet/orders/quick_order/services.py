"""Writes of the quick order (ORD5): one transition each, inside a transaction.

    quick_order_upload    a read file → a new import (uploaded)
    quick_order_map       uploaded/ready/failed → ready (small files, matched at once) or
                          processing (big files: a background task, enqueued on commit)
    quick_order_process   processing → ready or failed (the task's work; idempotent)
    quick_order_apply     ready → applied: the recognised lines merged into the cart or
                          replacing it; nothing touches the cart before this
    quick_order_prune     imports older than a week are deleted (a daily job)

Like cart edits, imports are a user's scratch pad and are not written to the audit log.
"""

import logging
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kabinet.accounts.models import User
from kabinet.orders.models import QuickOrderImport
from kabinet.orders.quick_order.files import Table
from kabinet.orders.quick_order.matching import Mapping, Outcome, mapping_guess, rows_match
from kabinet.orders.services import cart_lines_add
from kabinet.partners.models import Agreement, Partner

logger = logging.getLogger(__name__)

Status = QuickOrderImport.Status
HEAD_ROWS = 11  # a header and ten rows: what the mapping page shows
INLINE_ROWS = 5_000  # larger files are matched by a background task, with a progress bar
KEEP_DAYS = 7
# A background run that has written no progress for this long died with its worker: the
# file may be mapped (and so processed) again.
STALE_AFTER = timedelta(minutes=10)


def _for_update(*, partner: Partner, user: User, import_id: int) -> QuickOrderImport:
    """The user's own import, locked; QuickOrderImport.DoesNotExist for anybody else's."""
    return (
        QuickOrderImport.objects.of_user(partner=partner, user_id=user.pk)
        .select_for_update()
        .defer("rows", "head", "lines", "rejected")
        .get(pk=import_id)
    )


@transaction.atomic
def quick_order_upload(
    *, partner: Partner, user: User, agreement: Agreement, file_name: str, table: Table
) -> QuickOrderImport:
    """A new import of `table` (read by files.table_read) under `agreement`."""
    if agreement.partner_id != partner.pk:
        raise ValidationError(_("The agreement is not one of the company's."), code="agreement")
    return QuickOrderImport.objects.create(
        partner=partner,
        user=user,
        agreement=agreement,
        file_name=file_name[:120],
        file_format=table.format,
        rows=table.rows,
        head=table.rows[:HEAD_ROWS],
        row_count=len(table.rows),
        column_count=table.width,
        column_offset=table.column_offset,
        mapping=mapping_guess(table.rows).as_json(),
    )


def mapping_check(mapping: Mapping, column_count: int) -> None:
    """ValidationError unless the mapping names columns of the file, distinct ones."""
    columns = [mapping.code, mapping.quantity] + (
        [mapping.price] if mapping.price is not None else []
    )
    if any(not 0 <= column < column_count for column in columns):
        raise ValidationError(_("Choose columns of the file."), code="mapping")
    if len(set(columns)) != len(columns):
        raise ValidationError(
            _("The code, the quantity and the price must be in different columns."),
            code="mapping",
        )


@transaction.atomic
def quick_order_map(
    *, partner: Partner, user: User, import_id: int, mapping: Mapping
) -> QuickOrderImport:
    """Match the file with `mapping`: at once for up to INLINE_ROWS rows (the import is then
    ready), else in a background task enqueued when this transaction commits."""
    item = _for_update(partner=partner, user=user, import_id=import_id)
    stale = item.status == Status.PROCESSING and item.updated_at < timezone.now() - STALE_AFTER
    if item.status not in (Status.UPLOADED, Status.READY, Status.FAILED) and not stale:
        raise ValidationError(
            _("This file is being processed or was already added."), code="status"
        )
    mapping_check(mapping, item.column_count)
    rows_total = item.row_count - (1 if mapping.header else 0)
    changes: dict[str, object] = {
        "mapping": mapping.as_json(),
        "progress_done": 0,
        "progress_total": max(rows_total, 0),
        "error": "",
        "updated_at": timezone.now(),
    }
    if rows_total > INLINE_ROWS:
        changes["status"] = Status.PROCESSING
        QuickOrderImport.objects.filter(pk=item.pk).update(**changes)
        from kabinet.orders.quick_order.tasks import quick_order_process_task

        transaction.on_commit(lambda: quick_order_process_task.enqueue(import_id=item.pk))
    else:
        QuickOrderImport.objects.filter(pk=item.pk).update(**changes)
        rows = QuickOrderImport.objects.values_list("rows", flat=True).get(pk=item.pk)
        outcome = rows_match(partner=partner, agreement=item.agreement, rows=rows, mapping=mapping)
        _save_outcome(item.pk, outcome, rows_total)
    item.refresh_from_db()
    return item


def _save_outcome(import_id: int, outcome: Outcome, total: int) -> None:
    QuickOrderImport.objects.filter(pk=import_id).update(
        status=Status.READY,
        progress_done=max(total, 0),
        rows_read=outcome.read,
        rows_recognised=outcome.recognised,
        rows_rejected=len(outcome.rejected),
        currency=outcome.currency,
        lines=[line.as_json() for line in outcome.lines],
        rejected=[rejection.as_json() for rejection in outcome.rejected],
        updated_at=timezone.now(),
    )


def quick_order_process(*, import_id: int) -> bool:
    """Match a big file (the background task's work). Idempotent: an import that is not
    `processing` any more (done, or mapped again and done) is left alone. Progress is
    written after every chunk, outside the final transaction, so the page can show it.
    Returns whether it processed the import."""
    item = (
        QuickOrderImport.objects.select_related("partner", "agreement")
        .filter(pk=import_id, status=Status.PROCESSING)
        .first()
    )
    if item is None:
        return False
    mapping = Mapping.from_json(item.mapping)
    total = item.progress_total

    def progress(done: int) -> None:
        QuickOrderImport.objects.filter(pk=import_id, status=Status.PROCESSING).update(
            progress_done=min(done, total), updated_at=timezone.now()
        )

    rows, item.rows = item.rows, []  # one reference, freed as soon as matched (P4: memory)
    try:
        outcome = rows_match(
            partner=item.partner,
            agreement=item.agreement,
            rows=rows,
            mapping=mapping,
            progress=progress,
        )
        del rows
    except Exception:
        logger.exception("quick order import %s failed", import_id)
        QuickOrderImport.objects.filter(pk=import_id, status=Status.PROCESSING).update(
            status=Status.FAILED,
            error="processing",
            updated_at=timezone.now(),
        )
        raise
    with transaction.atomic():
        locked = (
            QuickOrderImport.objects.select_for_update()
            .filter(pk=import_id, status=Status.PROCESSING)
            .values_list("mapping", flat=True)
            .first()
        )
        if locked is None or Mapping.from_json(locked) != mapping:
            return False  # mapped again meanwhile: that run's result counts
        _save_outcome(import_id, outcome, total)
    return True


@transaction.atomic
def quick_order_apply(
    *, partner: Partner, user: User, import_id: int, mode: Literal["merge", "replace"]
) -> int:
    """Put the import's recognised lines into the user's cart (added to what is there, or
    instead of it). The cart service checks every line again against the price list, so a
    variant taken off sale since the report makes the whole apply fail, nothing changed.
    Returns the number of lines written."""
    if mode not in ("merge", "replace"):
        raise ValidationError(_("Choose to add to the cart or to replace it."), code="mode")
    item = _for_update(partner=partner, user=user, import_id=import_id)
    if item.status == Status.APPLIED:
        raise ValidationError(_("This file was already added to the cart."), code="status")
    if item.status != Status.READY:
        raise ValidationError(_("The file is not processed yet."), code="status")
    lines = QuickOrderImport.objects.values_list("lines", flat=True).get(pk=item.pk)
    quantities = {int(line[0]): Decimal(line[1]) for line in lines}
    if not quantities:
        raise ValidationError(_("No line of the file was recognised."), code="empty")
    written = cart_lines_add(
        partner=partner, user=user, agreement=item.agreement, quantities=quantities, mode=mode
    )
    QuickOrderImport.objects.filter(pk=item.pk).update(
        status=Status.APPLIED, mode=mode, rows=[], updated_at=timezone.now()
    )
    return written


def quick_order_prune(*, now: datetime | None = None) -> int:
    """Delete imports older than KEEP_DAYS (their rows are the partner's data: not kept
    longer than needed). Returns how many."""
    cutoff = (now or timezone.now()) - timedelta(days=KEEP_DAYS)
    deleted, _by_model = QuickOrderImport.objects.filter(created_at__lt=cutoff).delete()
    return deleted
