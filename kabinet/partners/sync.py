"""Partner cards from the ERP exchange (PRT1): bulk, idempotent upserts keyed by the ERP's ids.

A card the exchange creates is inactive until a key user is bound (PRT2: activity is derived
from memberships, see PartnerQuerySet.with_activity), so nothing here activates anything.
Every item gets an outcome; a bad item is reported and skipped, the valid rest applies. The
caller's transaction (the exchange request) makes the whole batch commit or roll back at once.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal, Protocol

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import ProtectedError, RestrictedError
from django.utils.translation import gettext as _

from kabinet.accounts.audit import audit_record
from kabinet.accounts.models import AuditKind
from kabinet.partners.models import Agreement, Contact, Counterparty, DeliveryAddress, Partner
from kabinet.partners.taxids import tax_id_normalize

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


# --- Counterparties, contacts, agreements, delivery addresses (INT1) ----------------------
#
# Each belongs to a partner named by its ERP id. A record never moves to another partner
# (its orders and documents would follow it into the wrong company): such an item is refused
# with `partner_mismatch`.


@dataclass(frozen=True)
class CounterpartyData:
    erp_id: str
    partner_erp_id: str
    name: str
    tax_id: str
    country: str = "RU"
    kpp: str = ""
    registration_number: str = ""
    legal_address: str = ""


@dataclass(frozen=True)
class ContactData:
    erp_id: str
    partner_erp_id: str
    full_name: str
    position: str = ""
    email: str = ""
    phone: str = ""


@dataclass(frozen=True)
class AgreementData:
    erp_id: str
    partner_erp_id: str
    counterparty_erp_id: str
    number: str
    price_list: str
    currency: str = "RUB"
    signed_on: date | None = None
    valid_until: date | None = None
    payment_deferral_days: int = 0
    is_main: bool = False


@dataclass(frozen=True)
class DeliveryAddressData:
    erp_id: str
    partner_erp_id: str
    city: str
    address: str
    counterparty_erp_id: str | None = None
    title: str = ""
    postal_code: str = ""
    is_default: bool = False


class _Item(Protocol):
    @property
    def erp_id(self) -> str: ...

    @property
    def partner_erp_id(self) -> str: ...


def _fail(index: int, erp_id: str, code: str, message: str) -> ItemOutcome:
    return ItemOutcome(index, erp_id, "error", code, message)


class ItemRefused(Exception):
    """One item of an exchange batch is refused: a stable `code` and a `message` for people.
    The sync services of every domain app raise it while checking an item."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def counterparty_check(counterparty: Counterparty | None, partner: Partner) -> Counterparty:
    """The counterparty an item names, which must exist and be the partner's."""
    if counterparty is None:
        raise ItemRefused("unknown_counterparty", _("No counterparty with this ERP id."))
    if counterparty.partner_id != partner.pk:
        raise ItemRefused(
            "counterparty_of_other_partner", _("The counterparty belongs to another partner.")
        )
    return counterparty


def _unique_items[T: _Item](items: Sequence[T], outcome: BatchOutcome) -> list[tuple[int, T]]:
    """The items with their index; a second item with the same ERP id is refused."""
    seen: set[str] = set()
    unique: list[tuple[int, T]] = []
    for index, item in enumerate(items):
        if item.erp_id in seen:
            outcome.add(
                _fail(index, item.erp_id, "duplicate_key", _("The same ERP id twice in one batch."))
            )
            continue
        seen.add(item.erp_id)
        unique.append((index, item))
    return unique


def _partners_of(items: Sequence[tuple[int, _Item]]) -> dict[str, Partner]:
    erp_ids = {item.partner_erp_id for _, item in items}
    return {p.erp_id: p for p in Partner.objects.filter(erp_id__in=erp_ids) if p.erp_id}


def _unknown_partner(index: int, item: _Item) -> ItemOutcome:
    return _fail(index, item.erp_id, "unknown_partner", _("No partner with this ERP id."))


def _partner_mismatch(index: int, item: _Item) -> ItemOutcome:
    return _fail(
        index,
        item.erp_id,
        "partner_mismatch",
        _("This record belongs to another partner; it cannot move to a different one."),
    )


def _apply[M: models.Model](
    obj: M, values: dict[str, object], index: int, erp_id: str, outcome: BatchOutcome
) -> M:
    """Write the fields that differ (none: nothing is written) and note the outcome."""
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    for name in changed:
        setattr(obj, name, values[name])
    if changed:
        obj.save(update_fields=changed)
    outcome.add(ItemOutcome(index, erp_id, "updated" if changed else "unchanged"))
    return obj


@transaction.atomic
def counterparties_upsert(*, items: Sequence[CounterpartyData], source: str) -> BatchOutcome:
    """Create or update counterparties by ERP id. The tax ID is normalised and checked
    (`bad_tax_id`) and unique per country (`tax_id_taken`). A counterparty staff entered
    before the exchange (no ERP id, same partner, same tax ID) is taken over, not doubled."""
    outcome = BatchOutcome()
    unique = _unique_items(items, outcome)
    partners = _partners_of(unique)
    existing = {
        c.erp_id: c
        for c in Counterparty.objects.filter(erp_id__in=[item.erp_id for _, item in unique])
        .select_for_update()
        .order_by("pk")
        if c.erp_id
    }
    normalized: dict[int, str] = {}
    for index, item in unique:
        try:
            normalized[index] = tax_id_normalize(country=item.country, tax_id=item.tax_id)
        except ValidationError as error:
            outcome.add(_fail(index, item.erp_id, "bad_tax_id", " ".join(error.messages)))
    holders = Counterparty.objects.filter(tax_id__in=set(normalized.values())).select_for_update()
    # Who holds each (country, tax ID) now, kept current as the batch moves tax IDs.
    by_tax_id = {(c.country, c.tax_id): c for c in [*holders, *existing.values()]}
    for index, item in unique:
        if index not in normalized:
            continue
        partner = partners.get(item.partner_erp_id)
        if partner is None:
            outcome.add(_unknown_partner(index, item))
            continue
        key = (item.country.upper(), normalized[index])
        counterparty = existing.get(item.erp_id)
        holder = by_tax_id.get(key)
        if (
            counterparty is None
            and holder is not None
            and holder.erp_id is None
            and holder.partner_id == partner.pk
        ):
            counterparty = holder  # staff's card of the same company: link it
        if counterparty is not None and counterparty.partner_id != partner.pk:
            outcome.add(_partner_mismatch(index, item))
            continue
        if holder is not None and holder is not counterparty:
            outcome.add(
                _fail(
                    index,
                    item.erp_id,
                    "tax_id_taken",
                    _("Another counterparty already has tax ID %(tax_id)s.") % {"tax_id": key[1]},
                )
            )
            continue
        values: dict[str, object] = {
            "name": item.name,
            "country": key[0],
            "tax_id": key[1],
            "kpp": item.kpp,
            "registration_number": item.registration_number,
            "legal_address": item.legal_address,
        }
        if counterparty is None:
            counterparty = Counterparty.objects.create(
                partner=partner, erp_id=item.erp_id, **values
            )
            outcome.add(ItemOutcome(index, item.erp_id, "created"))
        else:
            by_tax_id.pop((counterparty.country, counterparty.tax_id), None)
            _apply(counterparty, {**values, "erp_id": item.erp_id}, index, item.erp_id, outcome)
        by_tax_id[key] = counterparty
    outcome.items.sort(key=lambda item: item.index)
    record_exchange(source, "counterparties", outcome)
    return outcome


@transaction.atomic
def contacts_upsert(*, items: Sequence[ContactData], source: str) -> BatchOutcome:
    """Create or update the partners' contact persons by ERP id."""
    outcome = BatchOutcome()
    unique = _unique_items(items, outcome)
    partners = _partners_of(unique)
    existing = {
        c.erp_id: c
        for c in Contact.objects.filter(erp_id__in=[item.erp_id for _, item in unique])
        .select_for_update()
        .order_by("pk")
        if c.erp_id
    }
    for index, item in unique:
        partner = partners.get(item.partner_erp_id)
        if partner is None:
            outcome.add(_unknown_partner(index, item))
            continue
        values: dict[str, object] = {
            "full_name": item.full_name,
            "position": item.position,
            "email": item.email,
            "phone": item.phone,
        }
        contact = existing.get(item.erp_id)
        if contact is None:
            Contact.objects.create(partner=partner, erp_id=item.erp_id, **values)
            outcome.add(ItemOutcome(index, item.erp_id, "created"))
        elif contact.partner_id != partner.pk:
            outcome.add(_partner_mismatch(index, item))
        else:
            _apply(contact, values, index, item.erp_id, outcome)
    outcome.items.sort(key=lambda item: item.index)
    record_exchange(source, "contacts", outcome)
    return outcome


def _counterparties_by_erp_id(erp_ids: set[str]) -> dict[str, Counterparty]:
    return {c.erp_id: c for c in Counterparty.objects.filter(erp_id__in=erp_ids) if c.erp_id}


@transaction.atomic
def agreements_upsert(*, items: Sequence[AgreementData], source: str) -> BatchOutcome:
    """Create or update agreements by ERP id. The counterparty must be the partner's own.
    A partner has one main agreement (the default at checkout): naming another main one
    clears the old flag; clearing it on the main one without naming another is refused
    (`main_required`), as are two main agreements of one partner in a batch."""
    outcome = BatchOutcome()
    unique = _unique_items(items, outcome)
    partners = _partners_of(unique)
    counterparties = _counterparties_by_erp_id({item.counterparty_erp_id for _, item in unique})
    existing = {
        a.erp_id: a
        for a in Agreement.objects.filter(erp_id__in=[item.erp_id for _, item in unique])
        .select_for_update()
        .order_by("pk")
        if a.erp_id
    }
    main_named: dict[str, str] = {}  # partner ERP id → the agreement the batch makes main
    for index, item in unique:
        if not item.is_main:
            continue
        if item.partner_erp_id in main_named:
            outcome.add(
                _fail(
                    index,
                    item.erp_id,
                    "duplicate_main",
                    _("Another agreement of this partner is main in the same batch."),
                )
            )
            continue
        main_named[item.partner_erp_id] = item.erp_id
    refused = {item.index for item in outcome.items}
    for index, item in unique:
        if index in refused:
            continue
        partner = partners.get(item.partner_erp_id)
        if partner is None:
            outcome.add(_unknown_partner(index, item))
            continue
        try:
            counterparty = counterparty_check(counterparties.get(item.counterparty_erp_id), partner)
        except ItemRefused as problem:
            outcome.add(_fail(index, item.erp_id, problem.code, problem.message))
            continue
        if item.valid_until and item.signed_on and item.valid_until < item.signed_on:
            outcome.add(
                _fail(
                    index,
                    item.erp_id,
                    "bad_period",
                    _("The agreement ends before it is signed."),
                )
            )
            continue
        agreement = existing.get(item.erp_id)
        if agreement is not None and agreement.partner_id != partner.pk:
            outcome.add(_partner_mismatch(index, item))
            continue
        same_number = Agreement.objects.for_partner(partner).filter(number=item.number)
        if agreement is not None:
            same_number = same_number.exclude(pk=agreement.pk)
        if same_number.exists():
            outcome.add(
                _fail(
                    index,
                    item.erp_id,
                    "number_taken",
                    _("The partner has another agreement numbered %(number)s.")
                    % {"number": item.number},
                )
            )
            continue
        if (
            agreement is not None
            and agreement.is_main
            and not item.is_main
            and item.partner_erp_id not in main_named
        ):
            outcome.add(
                _fail(
                    index,
                    item.erp_id,
                    "main_required",
                    _("A partner keeps one main agreement: send the new main one with it."),
                )
            )
            continue
        if item.is_main and not (agreement is not None and agreement.is_main):
            Agreement.objects.for_partner(partner).filter(is_main=True).exclude(
                erp_id=item.erp_id
            ).update(is_main=False)
        values: dict[str, object] = {
            "counterparty_id": counterparty.pk,
            "number": item.number,
            "price_list": item.price_list,
            "currency": item.currency.upper(),
            "signed_on": item.signed_on,
            "valid_until": item.valid_until,
            "payment_deferral_days": item.payment_deferral_days,
            "is_main": item.is_main,
        }
        if agreement is None:
            Agreement.objects.create(partner=partner, erp_id=item.erp_id, **values)
            outcome.add(ItemOutcome(index, item.erp_id, "created"))
        else:
            _apply(agreement, values, index, item.erp_id, outcome)
    outcome.items.sort(key=lambda item: item.index)
    record_exchange(source, "agreements", outcome)
    return outcome


@transaction.atomic
def delivery_addresses_upsert(*, items: Sequence[DeliveryAddressData], source: str) -> BatchOutcome:
    """Create or update delivery addresses by ERP id. A counterparty named must be the
    partner's own. Marking one the default clears the partner's other default."""
    outcome = BatchOutcome()
    unique = _unique_items(items, outcome)
    partners = _partners_of(unique)
    counterparties = _counterparties_by_erp_id(
        {item.counterparty_erp_id for _, item in unique if item.counterparty_erp_id}
    )
    existing = {
        a.erp_id: a
        for a in DeliveryAddress.objects.filter(erp_id__in=[item.erp_id for _, item in unique])
        .select_for_update()
        .order_by("pk")
        if a.erp_id
    }
    for index, item in unique:
        partner = partners.get(item.partner_erp_id)
        if partner is None:
            outcome.add(_unknown_partner(index, item))
            continue
        counterparty: Counterparty | None = None
        if item.counterparty_erp_id:
            try:
                counterparty = counterparty_check(
                    counterparties.get(item.counterparty_erp_id), partner
                )
            except ItemRefused as problem:
                outcome.add(_fail(index, item.erp_id, problem.code, problem.message))
                continue
        address = existing.get(item.erp_id)
        if address is not None and address.partner_id != partner.pk:
            outcome.add(_partner_mismatch(index, item))
            continue
        if item.is_default and not (address is not None and address.is_default):
            DeliveryAddress.objects.for_partner(partner).filter(is_default=True).exclude(
                erp_id=item.erp_id
            ).update(is_default=False)
        values: dict[str, object] = {
            "counterparty_id": counterparty.pk if counterparty else None,
            "title": item.title,
            "postal_code": item.postal_code,
            "city": item.city,
            "address": item.address,
            "is_default": item.is_default,
        }
        if address is None:
            DeliveryAddress.objects.create(partner=partner, erp_id=item.erp_id, **values)
            outcome.add(ItemOutcome(index, item.erp_id, "created"))
        else:
            _apply(address, values, index, item.erp_id, outcome)
    outcome.items.sort(key=lambda item: item.index)
    record_exchange(source, "delivery_addresses", outcome)
    return outcome


# What the ERP may delete, by the name the message uses. Partners have no archive flag:
# these records are deleted; one that documents still refer to stays (`in_use`).
DELETABLE: dict[str, type[models.Model]] = {
    "counterparty": Counterparty,
    "contact": Contact,
    "agreement": Agreement,
    "delivery_address": DeliveryAddress,
}


@dataclass(frozen=True)
class DeletionData:
    entity: str  # a key of DELETABLE
    erp_id: str


@transaction.atomic
def partner_records_delete(*, items: Sequence[DeletionData], source: str) -> BatchOutcome:
    """Delete counterparties, contacts, agreements and delivery addresses by ERP id. A record
    something still refers to (an agreement with orders, a counterparty with agreements) is
    refused with `in_use` and nothing else of that item changes; an order keeps the text of
    a deleted delivery address."""
    outcome = BatchOutcome()
    for index, item in enumerate(items):
        model = DELETABLE.get(item.entity)
        if model is None:
            outcome.add(
                _fail(index, item.erp_id, "unknown_entity", _("This kind of record is unknown."))
            )
            continue
        obj = model._default_manager.select_for_update().filter(erp_id=item.erp_id).first()
        if obj is None:
            outcome.add(
                _fail(index, item.erp_id, "not_found", _("No such record with this ERP id."))
            )
            continue
        try:
            with transaction.atomic():
                obj.delete()
        except (ProtectedError, RestrictedError):
            outcome.add(
                _fail(
                    index,
                    item.erp_id,
                    "in_use",
                    _("Orders or other documents refer to this record; it stays."),
                )
            )
            continue
        outcome.add(ItemOutcome(index, item.erp_id, "deleted"))
    record_exchange(source, "partner_records_delete", outcome)
    return outcome
