"""A signed-in user's tenant context — memberships with their partners, and those partners'
agreements with counterparties — read once per change instead of on every request.

Every partner page needs it, and reading it was two of the five queries a catalog page runs
(P1). It is kept in process memory under (user id, access stamp). The stamp is a random value
in `partners_accessstamp` that database triggers replace whenever a row the context is read
from changes (migration 0003): so the one query left, the stamp's, sees every change the
moment it commits, whichever code made it. A context read after the stamp may be newer than
its key, never older. The cache holds plain row values, pickled; every request builds its own
model instances from them, so what one request changes on its objects never reaches another.
A user without a stamp has never been a member of any partner: no query beyond the stamp's.
"""

import functools
import pickle
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import connection
from django.db.models import Model
from django.utils import timezone

from kabinet.accounts.models import User
from kabinet.partners.backends import STAMP_ATTRIBUTE
from kabinet.partners.models import Agreement, Counterparty, Membership, Partner
from kabinet.partners.selectors import memberships_of_user

CONTEXTS_KEPT = 4096


def _columns(model: type[Model]) -> tuple[str, ...]:
    return tuple(field.attname for field in model._meta.concrete_fields)


MEMBERSHIP = _columns(Membership)
PARTNER = _columns(Partner)
AGREEMENT = _columns(Agreement)
COUNTERPARTY = _columns(Counterparty)


@dataclass(frozen=True)
class _Rows:
    """The context as plain values: memberships (with partner and "has subsidiaries") as
    `memberships_of_user` gives them, and every agreement of those partners."""

    memberships: tuple[tuple[Any, ...], ...]
    agreements: tuple[tuple[Any, ...], ...]


@dataclass
class TenantContext:
    memberships: list[Membership]
    # Agreements (counterparty attached) of each of the user's partners, main one first.
    agreements: dict[int, list[Agreement]]

    @property
    def agreements_known(self) -> set[int]:
        """The partners whose agreements are here (all of them, none included)."""
        return {membership.partner_id for membership in self.memberships}

    def agreements_in_force(self, partner: Partner, today: date | None = None) -> list[Agreement]:
        """As `catalog.selectors.agreement_list_for_catalog`: not past their valid_until."""
        today = today or timezone.localdate()
        return [
            agreement
            for agreement in self.agreements.get(partner.pk, [])
            if agreement.valid_until is None or agreement.valid_until >= today
        ]


def _stamp(user_id: int) -> str | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT stamp FROM partners_accessstamp WHERE user_id = %s", [user_id])
        row = cursor.fetchone()
    return row[0] if row else None


def _read(user_id: int) -> _Rows:
    memberships = tuple(
        memberships_of_user(user_id=user_id).values_list(
            *MEMBERSHIP, *(f"partner__{name}" for name in PARTNER), "partner_has_subsidiaries"
        )
    )
    partner_ids = {row[MEMBERSHIP.index("partner_id")] for row in memberships}
    agreements = tuple(
        Agreement.objects.filter(partner_id__in=partner_ids)
        .order_by("partner_id", *(Agreement._meta.ordering or ()))
        .values_list(*AGREEMENT, *(f"counterparty__{name}" for name in COUNTERPARTY))
        if partner_ids
        else ()
    )
    return _Rows(memberships, agreements)


@functools.lru_cache(maxsize=CONTEXTS_KEPT)
def _kept(user_id: int, stamp: str, database: str) -> bytes:
    # Pickled, so that each request unpickles values of its own (rights are a list, and a
    # list appended to in one request must not grow in the next). `database` keeps two
    # databases in one process (the test suite's) apart.
    return pickle.dumps(_read(user_id), pickle.HIGHEST_PROTOCOL)


def _build(rows: _Rows) -> TenantContext:
    db = connection.alias
    memberships = []
    m, p = len(MEMBERSHIP), len(PARTNER)
    for row in rows.memberships:
        membership = Membership.from_db(db, MEMBERSHIP, row[:m])
        partner = Partner.from_db(db, PARTNER, row[m : m + p])
        membership.partner = partner
        membership.partner_has_subsidiaries = row[m + p]  # type: ignore[attr-defined]
        memberships.append(membership)
    agreements: dict[int, list[Agreement]] = {}
    a = len(AGREEMENT)
    for row in rows.agreements:
        agreement = Agreement.from_db(db, AGREEMENT, row[:a])
        agreement.counterparty = Counterparty.from_db(db, COUNTERPARTY, row[a:])
        agreements.setdefault(agreement.partner_id, []).append(agreement)
    return TenantContext(memberships, agreements)


def tenant_context(user: User) -> TenantContext:
    """The user's memberships and agreements as of now (one query when nothing changed, none
    when the stamp was read with the user: `backends.AccessStampBackend`)."""
    # Read in the same statement as the user, this request; else read now.
    stamp = getattr(user, STAMP_ATTRIBUTE) if hasattr(user, STAMP_ATTRIBUTE) else _stamp(user.pk)
    if stamp is None:
        # Never a member: creating a membership stamps its user, and migration 0003 stamped
        # every member before it. (Were a membership ever written past the triggers, its user
        # would see no company: closed, not open.) Staff users mostly end here.
        return TenantContext([], {})
    rows: _Rows = pickle.loads(_kept(user.pk, stamp, connection.settings_dict["NAME"]))  # noqa: S301 (our own bytes)
    return _build(rows)
