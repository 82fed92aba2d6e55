"""Partner cards from the ERP exchange (PRT1): bulk, idempotent upserts keyed by the ERP's ids.

A card the exchange creates is inactive until a key user is bound (PRT2: activity is derived
from memberships, see PartnerQuerySet.with_activity), so nothing here activates anything.
Every item gets an outcome; a bad item is reported and skipped, the valid rest applies. The
caller's transaction (the exchange request) makes the whole batch commit or roll back at once.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from django.db import transaction
from django.utils.translation import gettext as _

from kabinet.accounts.audit import audit_record
from kabinet.accounts.models import AuditKind
from kabinet.partners.models import Partner

type OutcomeStatus = Literal["created", "updated", "unchanged", "archived", "deleted", "error"]


@dataclass(frozen=True)
class ItemOutcome:
    """What became of one item of an exchange batch. `code` is stable (API clients match on
    it); `message` is for people."""

    index: int
    erp_id: str
    status: OutcomeStatus
    code: str = ""
    message: str = ""


@dataclass
class BatchOutcome:
    items: list[ItemOutcome] = field(default_factory=list)

    def add(self, outcome: ItemOutcome) -> None:
        self.items.append(outcome)

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for item in self.items:
            counts[item.status] = counts.get(item.status, 0) + 1
        return counts


@dataclass(frozen=True)
class PartnerData:
    erp_id: str
    name: str
    parent_erp_id: str | None = None
    city: str = ""
    email: str = ""
    phone: str = ""


_FIELDS = ("name", "city", "email", "phone")


@transaction.atomic
def partners_upsert(*, items: Sequence[PartnerData], source: str) -> BatchOutcome:
    """Create or update partner cards by ERP id. A head company may come in the same batch
    as its subsidiaries, in any order; holdings are one level deep (PRT4)."""
    outcome = BatchOutcome()
    by_erp_id: dict[str, tuple[int, PartnerData]] = {}
    for index, item in enumerate(items):
        if item.erp_id in by_erp_id:
            outcome.add(
                _error(index, item, "duplicate_key", _("The same ERP id twice in one batch."))
            )
            continue
        by_erp_id[item.erp_id] = (index, item)
    existing = {
        p.erp_id: p for p in Partner.objects.filter(erp_id__in=by_erp_id).select_for_update()
    }
    parent_ids = {item.parent_erp_id for _, item in by_erp_id.values() if item.parent_erp_id}
    parents = {p.erp_id: p for p in Partner.objects.filter(erp_id__in=parent_ids - set(by_erp_id))}

    # Heads first, so a subsidiary in the same batch finds its head already saved.
    ordered = sorted(by_erp_id.values(), key=lambda pair: pair[1].parent_erp_id is not None)
    saved: dict[str, Partner] = {}
    for index, item in ordered:
        parent: Partner | None = None
        if item.parent_erp_id:
            if item.parent_erp_id == item.erp_id:
                outcome.add(
                    _error(
                        index, item, "bad_parent", _("A partner cannot be its own head company.")
                    )
                )
                continue
            parent = saved.get(item.parent_erp_id) or parents.get(item.parent_erp_id)
            if parent is None and item.parent_erp_id in existing:
                parent = existing[item.parent_erp_id]
            if parent is None:
                outcome.add(
                    _error(
                        index,
                        item,
                        "unknown_parent",
                        _("No partner with the head company's ERP id."),
                    )
                )
                continue
            if parent.parent_id is not None or (
                item.parent_erp_id in by_erp_id and by_erp_id[item.parent_erp_id][1].parent_erp_id
            ):
                outcome.add(
                    _error(
                        index,
                        item,
                        "nested_holding",
                        _("A subsidiary cannot be the head company of another partner."),
                    )
                )
                continue
        partner = existing.get(item.erp_id)
        if partner is None:
            partner = Partner.objects.create(
                erp_id=item.erp_id,
                parent=parent,
                **{name: getattr(item, name) for name in _FIELDS},
            )
            outcome.add(ItemOutcome(index, item.erp_id, "created"))
        else:
            changed = [name for name in _FIELDS if getattr(partner, name) != getattr(item, name)]
            if partner.parent_id != (parent.pk if parent else None):
                if parent is not None and partner.subsidiaries.exists():
                    outcome.add(
                        _error(
                            index,
                            item,
                            "nested_holding",
                            _("A head company with subsidiaries cannot become a subsidiary."),
                        )
                    )
                    continue
                partner.parent = parent
                changed.append("parent")
            for name in _FIELDS:
                setattr(partner, name, getattr(item, name))
            if changed:
                partner.save(update_fields=changed)
            outcome.add(ItemOutcome(index, item.erp_id, "updated" if changed else "unchanged"))
        saved[item.erp_id] = partner
    outcome.items.sort(key=lambda item: item.index)
    record_exchange(source, "partners", outcome)
    return outcome


def _error(index: int, item: PartnerData, code: str, message: str) -> ItemOutcome:
    return ItemOutcome(index, item.erp_id, "error", code, message)


def record_exchange(source: str, entity: str, outcome: BatchOutcome) -> None:
    """The audit event of one exchange batch (R19), left out when nothing changed."""
    counts = outcome.counts()
    if counts.keys() - {"unchanged", "error"}:  # a no-change re-sync leaves no trace
        audit_record(AuditKind.ERP_EXCHANGE, source=source, entity=entity, counts=counts)
