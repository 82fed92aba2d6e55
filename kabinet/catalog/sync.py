"""Bulk, idempotent loads of prices and stock from the ERP (QUALITY.md P5).

The exchange API (`kabinet.integrations`) and other inbound channels call these services with
rows as the ERP sends them: a price list by its code, a variant by its ERP id (or its SKU
when the ERP id is not given), an amount or a quantity. Each call answers a `SyncReport`:
how many rows were inserted, updated, left unchanged, deleted and rejected, and one error per
rejected row with a stable code (`SyncErrorCode`).

How it is fast (docs/decisions.md, "P5"): rows are checked in Python, then written into a
temporary staging table (COPY on PostgreSQL, executemany on SQLite), keys are resolved by
joins, and rows whose value already holds are filtered out, so a re-sync with no changes
writes (and locks) no row at all. What is left is written by one `UPDATE … FROM` joined on
the live rows' ids and one `INSERT … ON CONFLICT` for new keys. On PostgreSQL a request that
names its variants one way (by ERP id or by SKU; not `full`) takes a shorter path: the rows
go as text parameters unnested into one table with their keys resolved, and the update joins
the table's unique key directly (docs/decisions.md, "P5 on PostgreSQL"). The products whose
listings (`catalog.Listing`, what catalog pages read) change are queued
(`catalog.ListingStale`) and their listings recomputed with set-based SQL by a background
task once the sync commits (`listings_refresh_stale`): catalog pages follow a few seconds
later, while the cart and the checkout read prices and stock themselves.

Rules of a request:
- Rows are independent: valid rows apply, invalid ones are reported and skipped. A failure
  of the request itself (a database error) rolls everything back.
- The same key twice in one request: the last valid row wins; each earlier one is reported
  as `duplicate_key` and not applied. A row that names a variant by SKU and another that
  names it by ERP id are the same key.
- Deletion is explicit: `prices_delete` with the keys to delete. `prices_upsert(full=True)`
  treats the request as the whole of each price list it names: that price list's prices
  whose variant no row of the request names are deleted (a row rejected for its amount
  still names its key, so that price is kept; a price list none of whose rows applied is
  left alone).
- Stock has no full mode: a variant absent from a stock request keeps its quantity; the ERP
  sends 0 for what is sold out. One quantity per variant (no warehouses).
"""

import contextlib
import enum
import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import connection, transaction
from django.utils.translation import gettext as _

from kabinet.accounts.audit import audit_record
from kabinet.accounts.models import AuditKind, User
from kabinet.catalog.selectors import listings_changed
from kabinet.catalog.services import search_index_flush

# --- What callers pass and get back -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PriceRow:
    """A variant's price in a price list. `erp_id` names the variant; `sku` is used only
    when `erp_id` is not given. The currency is the price list's. The amount is a Decimal,
    or its exact text or an int as a JSON message carries it (never a float)."""

    price_list: str
    amount: Decimal | int | str
    erp_id: str | None = None
    sku: str | None = None


@dataclass(frozen=True, slots=True)
class StockRow:
    """A variant's quantity in stock (one per variant: warehouses are not modelled);
    a Decimal, its text or an int."""

    quantity: Decimal | int | str
    erp_id: str | None = None
    sku: str | None = None


@dataclass(frozen=True, slots=True)
class PriceKey:
    """A price to delete: the price list's code and the variant's ERP id (or SKU)."""

    price_list: str
    erp_id: str | None = None
    sku: str | None = None


class SyncErrorCode(enum.StrEnum):
    BAD_KEY = "bad_key"  # no price list code, or neither an ERP id nor a SKU
    UNKNOWN_PRICE_LIST = "unknown_price_list"
    UNKNOWN_VARIANT = "unknown_variant"
    BAD_AMOUNT = "bad_amount"
    NEGATIVE_AMOUNT = "negative_amount"
    BAD_QUANTITY = "bad_quantity"
    NEGATIVE_QUANTITY = "negative_quantity"
    DUPLICATE_KEY = "duplicate_key"


@dataclass(frozen=True, slots=True)
class SyncError:
    index: int  # of the row in the request, from 0
    key: dict[str, str]  # what the row named: {"price_list": …, "erp_id" | "sku": …}
    code: SyncErrorCode
    message: str  # in the active language


@dataclass
class SyncReport:
    received: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    rejected: int = 0
    listings: int = 0  # products whose listings were queued for a refresh (ListingStale)
    errors: list[SyncError] = field(default_factory=list)

    @property
    def written(self) -> int:
        """Rows of prices or stock written by the call."""
        return self.inserted + self.updated + self.deleted


# --- Checking rows in Python ----------------------------------------------------------------


class _Rejected(Exception):
    def __init__(self, code: SyncErrorCode) -> None:
        self.code = code


class _Number:
    """A DecimalField's shape: the value must fit it exactly (money is never rounded)."""

    def __init__(
        self, places: int, max_digits: int, bad: SyncErrorCode, negative: SyncErrorCode
    ) -> None:
        self.step = Decimal(1).scaleb(-places)
        self.limit = Decimal(10) ** (max_digits - places)
        self.low = -self.limit
        self.zero = Decimal(0).quantize(self.step)
        self.bad, self.negative = bad, negative

    def check(self, value: object) -> Decimal:
        if type(value) is Decimal:
            number = value
        elif isinstance(value, str | int) and not isinstance(value, bool):
            try:
                number = Decimal(value)
            except (InvalidOperation, ValueError):
                raise _Rejected(self.bad) from None
        else:
            raise _Rejected(self.bad)  # floats too: binary fractions are not money
        try:
            if not self.low < number < self.limit:  # infinities too
                raise _Rejected(self.bad)
        except InvalidOperation:  # NaN: no order
            raise _Rejected(self.bad) from None
        exact = number.quantize(self.step)
        if exact != number:
            raise _Rejected(self.bad)
        if exact < 0:
            raise _Rejected(self.negative)
        return exact if exact else self.zero  # -0.00 becomes 0.00


AMOUNT = _Number(2, 12, SyncErrorCode.BAD_AMOUNT, SyncErrorCode.NEGATIVE_AMOUNT)
QUANTITY = _Number(3, 12, SyncErrorCode.BAD_QUANTITY, SyncErrorCode.NEGATIVE_QUANTITY)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _message(code: SyncErrorCode, key: dict[str, str]) -> str:
    if code == SyncErrorCode.UNKNOWN_VARIANT:
        if "erp_id" in key:
            return _("No variant has the ERP id “%(key)s”.") % {"key": key["erp_id"]}
        return _("No variant has the SKU “%(key)s”.") % {"key": key.get("sku", "")}
    if code == SyncErrorCode.UNKNOWN_PRICE_LIST:
        return _("No price list has the code “%(code)s”.") % {"code": key.get("price_list", "")}
    messages = {
        SyncErrorCode.BAD_KEY: _(
            "The row names no item: it needs the variant's ERP id or SKU (and, for a price, "
            "the price list's code)."
        ),
        SyncErrorCode.BAD_AMOUNT: _(
            "The price must be a number with at most 2 decimal places and at most 10 digits "
            "before the point."
        ),
        SyncErrorCode.NEGATIVE_AMOUNT: _("The price cannot be negative."),
        SyncErrorCode.BAD_QUANTITY: _(
            "The quantity must be a number with at most 3 decimal places and at most 9 digits "
            "before the point."
        ),
        SyncErrorCode.NEGATIVE_QUANTITY: _("The quantity cannot be negative."),
        SyncErrorCode.DUPLICATE_KEY: _(
            "A later row of the request names the same item: this one is not applied."
        ),
    }
    return messages[code]


@dataclass
class _Batch:
    """Rows checked in Python, ready for staging, held column by column (no tuple per row:
    a million-row load would otherwise feed the cyclic garbage collector a million
    containers, and its full collections cost ~0.1 s each): the row's index in the request,
    price list code, ERP id, SKU and value; value None for a row rejected for its value or
    superseded by a later one (kept only to name its key)."""

    rows: list[Any]
    errors: list[SyncError]
    with_price_list: bool
    indexes: list[int] = field(default_factory=list)
    codes: list[str | None] = field(default_factory=list)
    erp_ids: list[str | None] = field(default_factory=list)
    skus: list[str | None] = field(default_factory=list)
    values: list[Decimal | None] = field(default_factory=list)
    by_erp_id: bool = False  # some valid rows name their variant by ERP id
    mixed: bool = False  # some valid rows name variants by ERP id and others by SKU
    voided: int = 0  # staged rows without a value

    def staged(self) -> Iterator[tuple[int, str | None, str | None, str | None, Decimal | None]]:
        """The staged rows one at a time (no list of a million tuples)."""
        return zip(self.indexes, self.codes, self.erp_ids, self.skus, self.values, strict=True)

    def reject(self, index: int, code: SyncErrorCode) -> None:
        row = self.rows[index]
        erp_id = _text(getattr(row, "erp_id", None))
        sku = None if erp_id is not None else _text(getattr(row, "sku", None))
        key = {}
        if self.with_price_list:
            key["price_list"] = str(getattr(row, "price_list", ""))
        if erp_id is not None:
            key["erp_id"] = erp_id
        elif sku is not None:
            key["sku"] = sku
        self.errors.append(SyncError(index, key, code, _message(code, key)))


def _checked(
    rows: Iterable[Any],
    *,
    with_price_list: bool,
    value_field: str | None,
    number: _Number | None,
    keep_rejected_keys: bool,
    duplicates_rejected: bool = True,
) -> _Batch:
    """Check every row; keep the last valid row per key (reporting the earlier ones unless
    `duplicates_rejected` is false). Stock rows name no price list; deletions carry no
    value (`value_field` None). This loop runs once per row of a million-row load, so it
    sticks to plain operations: no per-row dicts, tuples or helper calls beyond the value's
    check (the keys seen are kept per price list code and per kind: ERP id or SKU)."""
    batch = _Batch(list(rows), [], with_price_list)
    indexes, values = batch.indexes, batch.values
    # Bound once: attribute look-ups in a million-row loop add up.
    add_index, add_code, add_erp_id, add_sku, add_value = (
        indexes.append, batch.codes.append, batch.erp_ids.append, batch.skus.append,
        values.append,
    )  # fmt: skip
    # The position in the staged columns of the latest valid row of each key: by price list
    # code, then ERP id or SKU (two namespaces). Requests mostly repeat one price list, so
    # the dicts of the current one are looked up only when the code changes.
    by_erp_id: dict[str | None, dict[str, int]] = {}
    by_sku: dict[str | None, dict[str, int]] = {}
    check = number.check if value_field is not None and number is not None else None
    code: str | None = None
    current: object = by_erp_id  # the code the two dicts below belong to (none yet)
    erp_ids_seen: dict[str, int] = {}
    skus_seen: dict[str, int] = {}
    position = 0  # = len(indexes)
    for index, row in enumerate(batch.rows):
        erp_id = getattr(row, "erp_id", None)
        sku = None
        if erp_id.__class__ is not str or not erp_id:
            erp_id = None
            sku = getattr(row, "sku", None)
            if sku.__class__ is not str or not sku:
                sku = None
        if with_price_list:
            code = getattr(row, "price_list", None)
            if code.__class__ is not str or not code:
                code = None
        if (erp_id is None and sku is None) or (with_price_list and code is None):
            batch.reject(index, SyncErrorCode.BAD_KEY)
            continue
        value: Decimal | None = None
        if check is not None:
            try:
                value = check(getattr(row, value_field))  # type: ignore[arg-type]
            except _Rejected as rejected:
                batch.reject(index, rejected.code)
                if keep_rejected_keys:
                    add_index(index)
                    if with_price_list:
                        add_code(code)
                    add_erp_id(erp_id)
                    add_sku(sku)
                    add_value(None)
                    batch.voided += 1
                    position += 1
                continue
        if code != current:
            current = code
            erp_ids_seen = by_erp_id.setdefault(code, {})
            skus_seen = by_sku.setdefault(code, {})
        seen, key = (erp_ids_seen, erp_id) if erp_id is not None else (skus_seen, sku)
        earlier = seen.setdefault(key, position)  # type: ignore[arg-type]
        if earlier != position:
            if not duplicates_rejected:
                continue
            batch.reject(indexes[earlier], SyncErrorCode.DUPLICATE_KEY)
            # Rejected, yet it still names its key (for `full`): staged without a value.
            values[earlier] = None
            batch.voided += 1
            seen[key] = position  # type: ignore[index]
        add_index(index)
        if with_price_list:
            add_code(code)
        add_erp_id(erp_id)
        add_sku(sku)
        add_value(value)
        position += 1
    if not with_price_list:
        batch.codes = [None] * position
    batch.by_erp_id = any(by_erp_id.values())
    batch.mixed = batch.by_erp_id and any(by_sku.values())
    return batch


# --- SQL ------------------------------------------------------------------------------------


def _postgres() -> bool:
    return connection.vendor == "postgresql"


class _Sql:
    """The statements of one call on one connection, and the temporary tables it made."""

    def __init__(self, cursor: Any) -> None:
        self.cursor = cursor
        self.temporary: list[str] = []

    def run(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.cursor.execute(sql, params)

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        self.cursor.execute(sql, params)
        return list(self.cursor.fetchall())

    def one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...]:
        self.cursor.execute(sql, params)
        row: tuple[Any, ...] = self.cursor.fetchone()
        return row

    def table(self, name: str, columns: str) -> None:
        """A temporary table (dropped on commit on PostgreSQL, and by `drop` in any case)."""
        self._forget(name)
        on_commit = " ON COMMIT DROP" if _postgres() else ""
        self.run(f"CREATE TEMP TABLE {name} ({columns}){on_commit}")

    def table_as(self, name: str, select: str, params: Sequence[Any] = ()) -> int:
        """A temporary table holding the rows of `select`; returns how many."""
        self._forget(name)
        on_commit = " ON COMMIT DROP" if _postgres() else ""
        self.run(f"CREATE TEMP TABLE {name}{on_commit} AS {select}", params)
        count = self.cursor.rowcount  # PostgreSQL's "SELECT n"; SQLite does not say
        if count is None or count < 0:
            (count,) = self.one(f"SELECT count(*) FROM {name}")  # noqa: S608 (our own names)
        self.analyze(name, count)
        return int(count)

    def analyze(self, name: str, count: int) -> None:
        if count > 500 and _postgres():
            # PostgreSQL never analyzes temporary tables by itself: without statistics the
            # planner guesses their size and joins them with the wrong plan. What it needs
            # of a staging table (its size, the range and spread of the join keys) a sample
            # of 3,000 rows (target 10) tells as well as the default 30,000, at ~1/8 the
            # cost; the transaction's own setting is restored right after.
            with self.settings(default_statistics_target="10"):
                self.run(f"ANALYZE {name}")

    @contextlib.contextmanager
    def settings(self, **values: str) -> Iterator[None]:
        """PostgreSQL: run the block with these settings, then give the transaction back its
        own (a caller may have set them). A failure rolls back to the service's savepoint,
        which undoes the settings too."""
        if not _postgres():
            yield
            return
        names = list(values)
        marks = ", ".join(["current_setting(%s)"] * len(names))
        before = self.one(f"SELECT {marks}", names)
        self._configure(dict(zip(names, values.values(), strict=True)))
        yield
        self._configure(dict(zip(names, before, strict=True)))

    def _configure(self, values: dict[str, str]) -> None:
        marks = ", ".join(["set_config(%s, %s, true)"] * len(values))
        self.run(f"SELECT {marks}", [item for pair in values.items() for item in pair])

    def load(
        self, name: str, columns: Sequence[str], rows: Iterable[tuple[Any, ...]], count: int
    ) -> None:
        """Write `count` rows into the temporary table `name`."""
        if _postgres():
            with self.cursor.cursor.copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            self.analyze(name, count)
            return
        marks = ", ".join(["%s"] * len(columns))
        sql = f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608
        rows = iter(rows)
        for _chunk in range(0, count, 50_000):
            self.cursor.executemany(sql, itertools.islice(rows, 50_000))

    def _forget(self, name: str) -> None:
        self.run(f"DROP TABLE IF EXISTS {name}")
        if name not in self.temporary:
            self.temporary.append(name)

    def drop(self) -> None:
        """Drop this call's tables now: a caller's transaction may make another call."""
        for name in reversed(self.temporary):
            self.run(f"DROP TABLE IF EXISTS {name}")
        self.temporary.clear()


def _stage(
    sql: _Sql, batch: _Batch, *, variant_only: bool, value_type: str
) -> tuple[list[int], list[int]]:
    """Stage the batch and resolve its keys into `sync_resolved` (index, price_list_id,
    variant_id, value). Reports unknown price lists and variants and, when the request names
    variants both ways, later rows that resolve to the same key. Returns the indexes found
    unknown and those superseded."""
    sql.table(
        "sync_stage",
        f"idx integer NOT NULL, code text, erp_id text, sku text, value {value_type}",
    )
    sql.load(
        "sync_stage", ("idx", "code", "erp_id", "sku", "value"), batch.staged(), len(batch.indexes)
    )
    price_list, join = "NULL AS price_list_id", ""
    if not variant_only:
        price_list = "pl.id AS price_list_id"
        join = "LEFT JOIN catalog_pricelist pl ON pl.code = s.code"
    sql.table_as(
        "sync_resolved",
        f"""SELECT s.idx, {price_list}, COALESCE(ve.id, vs.id) AS variant_id, s.value
        FROM sync_stage s {join}
        LEFT JOIN catalog_variant ve ON ve.erp_id = s.erp_id
        LEFT JOIN catalog_variant vs ON vs.sku = s.sku""",  # noqa: S608 (no user input)
    )
    if not _postgres():
        sql.run("CREATE INDEX sync_resolved_key ON sync_resolved (price_list_id, variant_id)")
    missing_list = "false" if variant_only else "price_list_id IS NULL"
    unknown = sql.rows(
        f"""SELECT idx, {missing_list} FROM sync_resolved
        WHERE ({missing_list} OR variant_id IS NULL) AND value IS NOT NULL ORDER BY idx"""  # noqa: S608
    )
    for index, no_list in unknown:
        code = SyncErrorCode.UNKNOWN_PRICE_LIST if no_list else SyncErrorCode.UNKNOWN_VARIANT
        batch.reject(index, code)
    superseded: list[int] = []
    if batch.mixed:
        key = "variant_id" if variant_only else "price_list_id, variant_id"
        # Rows already reported unknown are not duplicates of anything (one error per row).
        known_list = "true" if variant_only else "price_list_id IS NOT NULL"
        superseded = [
            index
            for (index,) in sql.rows(
                f"""SELECT idx FROM (
                    SELECT idx, row_number() OVER (PARTITION BY {key} ORDER BY idx DESC) AS n
                    FROM sync_resolved
                    WHERE variant_id IS NOT NULL AND value IS NOT NULL AND {known_list}
                ) ranked WHERE n > 1 ORDER BY idx"""  # noqa: S608
            )
        ]
        for index in superseded:
            batch.reject(index, SyncErrorCode.DUPLICATE_KEY)
        if superseded:
            marks = ", ".join(["%s"] * len(superseded))
            sql.run(f"UPDATE sync_resolved SET value = NULL WHERE idx IN ({marks})", superseded)  # noqa: S608
    return [index for index, _ in unknown], superseded


def _upsert(sql: _Sql, *, table: str, key: str, value: str) -> tuple[int, int]:
    """Write the rows of `sync_todo` (key columns, `value`, and `id`: the live row's, NULL for
    a new key) into `table`, changing only what differs. Returns (inserted, updated).

    Existing rows: a plain `UPDATE … FROM` joined on the primary key. On PostgreSQL that is
    several times cheaper than routing them through `INSERT … ON CONFLICT DO UPDATE`, which
    first tries (and abandons) an insert per row; the value column is in no index, so the
    new row versions are HOT (no index touched). New keys: `INSERT … ON CONFLICT`, which
    stays for a concurrent writer inserting the same key meanwhile."""
    distinct = "IS DISTINCT FROM" if _postgres() else "IS NOT"
    # The WHERE is repeated for a concurrent writer that set the same value meanwhile.
    sql.run(
        f"UPDATE {table} SET {value} = t.value FROM sync_todo t "  # noqa: S608 (no user input)
        f"WHERE {table}.id = t.id AND {table}.{value} {distinct} t.value"
    )
    updated = max(sql.cursor.rowcount, 0)
    conflict = (
        f"INSERT INTO {table} ({key}, {value}) SELECT {key}, value FROM sync_todo "  # noqa: S608
        # SQLite: a WHERE also keeps "ON CONFLICT" from being read as a join constraint.
        "WHERE id IS NULL "
        f"ON CONFLICT ({key}) DO UPDATE SET {value} = EXCLUDED.{value} "
        f"WHERE {table}.{value} {distinct} EXCLUDED.{value}"
    )
    if _postgres():
        # xmax is 0 on a freshly inserted row version and set on an updated one.
        inserted, written = sql.one(
            f"WITH up AS ({conflict} RETURNING (xmax = 0) AS inserted) "  # noqa: S608
            "SELECT count(*) FILTER (WHERE inserted), count(*) FROM up"
        )
        return int(inserted), updated + int(written) - int(inserted)
    # One writer at a time on SQLite: every new key is inserted.
    sql.run(conflict)
    return max(sql.cursor.rowcount, 0), updated


# --- PostgreSQL: a request that names its variants one way ---------------------------------


_WORK_MEM = "16MB"


def _keyed_stage(sql: _Sql, batch: _Batch, *, variant_only: bool) -> int | None:
    """PostgreSQL, every valid row naming its variant the same way (by ERP id or by SKU):
    resolve the keys of the rows to apply into `sync_keyed` (n, price_list_id, variant_id,
    product_id, value; n counts the rows applied from 1) in one statement, and report the
    unknown price lists and variants. Returns how many rows have every key resolved, or
    None when this path does not apply and `_stage` is to do the work.

    What it saves over `_stage` (docs/decisions.md, "P5 on PostgreSQL"): the COPY into
    `sync_stage` and its ANALYZE — the rows go as three text parameters (codes and keys one
    a line, values comma-separated), which `string_to_array` and `unnest` turn back into
    rows; the arrays are constants when the statement is planned, so the planner knows
    their number — and one of the two variant joins (by ERP id or by SKU, not both). The
    variant's product comes along for the listing queue."""
    if not _postgres() or batch.mixed:
        return None
    live = None  # positions of the staged rows with a value, when some have none
    if batch.voided:
        live = [position for position, value in enumerate(batch.values) if value is not None]

    def column(values: list[Any]) -> list[Any]:
        return values if live is None else [values[position] for position in live]

    keys = column(batch.erp_ids if batch.by_erp_id else batch.skus)
    texts = ["\n".join(keys)]
    if not variant_only:
        texts.insert(0, "\n".join(column(batch.codes)))
    if not keys or any(text.count("\n") != len(keys) - 1 for text in texts):
        return None  # a code or key with a line break in it (or nothing to apply)
    texts.append(",".join(map(str, column(batch.values))))
    arrays = ", ".join(["string_to_array(%s, E'\\n')"] * (len(texts) - 1))
    price_list, join = "", ""
    if not variant_only:
        price_list = "pl.id AS price_list_id, "
        join = "LEFT JOIN catalog_pricelist pl ON pl.code = s.code"
    names = "key, value, n" if variant_only else "code, key, value, n"
    sql.table_as(
        "sync_keyed",
        f"""SELECT s.n, {price_list}v.id AS variant_id, v.product_id, s.value
        FROM unnest({arrays}, string_to_array(%s, ',')::numeric[])
            WITH ORDINALITY AS s({names})
        {join}
        LEFT JOIN catalog_variant v ON v.{"erp_id" if batch.by_erp_id else "sku"} = s.key""",  # noqa: S608
        texts,
    )
    missing_list = "false" if variant_only else "price_list_id IS NULL"
    unknown = sql.rows(
        f"""SELECT n, {missing_list} FROM sync_keyed
        WHERE {missing_list} OR variant_id IS NULL ORDER BY n"""  # noqa: S608
    )
    indexes = column(batch.indexes)
    for n, no_list in unknown:
        code = SyncErrorCode.UNKNOWN_PRICE_LIST if no_list else SyncErrorCode.UNKNOWN_VARIANT
        batch.reject(indexes[n - 1], code)
    return len(keys) - len(unknown)


_SAMPLE = 1_000  # rows of a keyed request looked at to choose the order of its writes


def _keyed_write(
    sql: _Sql, report: SyncReport, known: int, *, table: str, key: str, value: str
) -> None:
    """Write the rows of `sync_keyed` into `table`, changing only what differs, and queue
    the products whose listings that changes. Fills the report's inserted, updated,
    unchanged and listings.

    Two orders, chosen on the first rows of the request: when every one of them changes
    something (a re-pricing), the update goes first, straight from `sync_keyed` joined on
    the table's unique key, and most often nothing is left to look for; otherwise (a
    re-sync where most rows hold) the rows that differ are found first, by one left join,
    and only those are written. Either way it is one join of the whole request with the
    table in the common case (the other order would take two), and the outcome is the
    same; only the time differs."""
    columns = key.split(", ")
    match = " AND ".join(f"c.{column} = k.{column}" for column in columns)
    resolved = " AND ".join(f"k.{column} IS NOT NULL" for column in columns)
    keyed = ", ".join(f"k.{column}" for column in columns)
    differ = f"(c.id IS NULL OR c.{value} <> k.value)"
    sampled, differing = sql.one(
        f"""SELECT count(*), count(*) FILTER (WHERE {differ})
        FROM (SELECT * FROM sync_keyed k WHERE {resolved} LIMIT {_SAMPLE}) k
        LEFT JOIN {table} c ON {match}"""  # noqa: S608 (no user input)
    )
    if not sampled or differing < sampled:
        # Rows that differ (new keys among them), then `_upsert` as the general way does.
        changed = sql.table_as(
            "sync_todo",
            f"""SELECT {keyed}, k.product_id, k.value, c.id
            FROM sync_keyed k LEFT JOIN {table} c ON {match}
            WHERE {resolved} AND {differ}""",  # noqa: S608 (no user input)
        )
        if changed:
            report.inserted, report.updated = _upsert(sql, table=table, key=key, value=value)
            report.listings = _listings_queue(sql, "SELECT product_id FROM sync_todo")
        report.unchanged = known - changed
        return
    # Existing rows first: one `UPDATE … FROM` whose WHERE leaves the rows that hold their
    # value alone (neither written nor locked); the value column is in no index, so the new
    # row versions are HOT. What it did not update is either unchanged or a new key; only
    # then does a left join look for the new keys, and `INSERT … ON CONFLICT` writes them
    # (kept for a concurrent writer inserting the same key meanwhile). The products touched
    # are gathered in `sync_touched` and queued once, so that a product with one price
    # updated and another inserted counts once.
    sql.table("sync_touched", "product_id bigint NOT NULL")
    (updated,) = sql.one(
        f"""WITH updated AS (
            UPDATE {table} c SET {value} = k.value FROM sync_keyed k
            WHERE {match} AND c.{value} <> k.value
            RETURNING k.product_id),
        touched AS (
            INSERT INTO sync_touched SELECT DISTINCT product_id FROM updated)
        SELECT count(*) FROM updated"""  # noqa: S608 (no user input)
    )
    fresh = inserted = rewritten = 0
    if known > updated:
        fresh, inserted, rewritten = sql.one(
            # A left join rather than NOT EXISTS: PostgreSQL plans this one as a merge join
            # along the unique index (~60 ms for 100k rows), the anti-join as a hash of the
            # whole table (~300 ms). The rows it also keeps whose value differs (only a
            # concurrent writer leaves any after the update) are not inserted.
            f"""WITH fresh AS MATERIALIZED (
                SELECT {keyed}, k.value, c.id FROM sync_keyed k LEFT JOIN {table} c ON {match}
                WHERE {resolved} AND {differ}),
            written AS (
                INSERT INTO {table} ({key}, {value}) SELECT {key}, value FROM fresh
                WHERE id IS NULL
                ON CONFLICT ({key}) DO UPDATE SET {value} = EXCLUDED.{value}
                WHERE {table}.{value} <> EXCLUDED.{value}
                -- xmax is 0 on a freshly inserted row version and set on an updated one.
                RETURNING variant_id, (xmax = 0) AS inserted),
            touched AS (
                INSERT INTO sync_touched SELECT v.product_id
                FROM written JOIN catalog_variant v ON v.id = written.variant_id)
            SELECT (SELECT count(*) FILTER (WHERE id IS NULL) FROM fresh),
                count(*) FILTER (WHERE inserted),
                count(*) FILTER (WHERE NOT inserted)
            FROM written"""  # noqa: S608 (no user input)
        )
    report.inserted = int(inserted)
    report.updated = int(updated) + int(rewritten)
    report.unchanged = known - int(updated) - int(fresh)
    report.listings = _listings_queue(sql, "SELECT product_id FROM sync_touched")


# --- Listings -------------------------------------------------------------------------------


# The products of the prices and stock a call wrote, and of the prices it deleted.
_TODO_PRODUCTS = (
    "SELECT v.product_id FROM sync_todo t JOIN catalog_variant v ON v.id = t.variant_id"
)
_GONE_PRODUCTS = (
    "SELECT v.product_id FROM sync_gone t JOIN catalog_variant v ON v.id = t.variant_id"
)


def _listings_queue(sql: _Sql, products: str) -> int:
    """Queue the products the query `products` selects for a listing refresh, and have it
    run once this transaction commits (docs/decisions.md, "P5: listings after commit").
    Returns how many products were queued.

    A queued product's row is upserted, not skipped when present: the refresh holds the rows
    it works on locked until it commits, so a sync that touches a product being refreshed
    waits for it, then queues the product anew — the running refresh read the prices before
    this sync committed them, and the next one reads them after."""
    sql.run(
        f"""INSERT INTO catalog_listingstale (product_id)
        SELECT DISTINCT product_id FROM ({products}) touched WHERE true
        ORDER BY product_id  -- one lock order for every sync: two cannot deadlock here
        ON CONFLICT (product_id) DO UPDATE SET queued_at = EXCLUDED.queued_at"""  # noqa: S608
    )
    queued = max(sql.cursor.rowcount, 0)
    if queued:
        from kabinet.catalog.tasks import listings_refresh_stale_task

        # Robust: the prices are committed by then, and a failed enqueue must not turn the
        # request into an error; the queue rows stay for the next sync's run.
        transaction.on_commit(listings_refresh_stale_task.enqueue, robust=True)
    return queued


def listings_refresh_stale() -> int:
    """Recompute the listings of the products the syncs queued (catalog.ListingStale) and
    take them off the queue; the background task `listings_refresh_stale_task` runs it.
    Idempotent and safe to run concurrently: products another refresh is working on are
    skipped (it holds them locked), and a product queued again meanwhile is refreshed by
    the next run. Returns how many listings were written."""
    written = 0
    with transaction.atomic(), connection.cursor() as cursor:
        sql = _Sql(cursor)
        lock = " FOR UPDATE SKIP LOCKED" if _postgres() else ""
        stale = f"SELECT product_id FROM catalog_listingstale{lock}"  # noqa: S608
        if sql.table_as("sync_stale", stale):
            written = _listings_refresh(sql)
            sql.run(
                """DELETE FROM catalog_listingstale
                WHERE product_id IN (SELECT product_id FROM sync_stale)"""
            )
        sql.drop()
    if written:
        search_index_flush()
    return written


def _listings_refresh(sql: _Sql) -> int:
    """Recompute every listing of the products in `sync_stale` the way
    `services.listing_refresh` does, in set-based SQL: one per price list that prices a live
    variant of a live product. Only the derived columns (prices, stock, variant count) of
    existing listings are rewritten, and only when they differ; product fields are
    listing_refresh's business when products change. Returns how many listings were
    written."""
    if not _postgres():
        sql.run("CREATE UNIQUE INDEX sync_stale_key ON sync_stale (product_id)")
    sql.table_as(
        "sync_fresh",
        """SELECT p.price_list_id, v.product_id, min(p.amount) AS min_price,
            max(p.amount) AS max_price, round(coalesce(sum(st.quantity), 0), 3) AS stock,
            count(*) AS variant_count
        FROM sync_stale s
        JOIN catalog_product pr ON pr.id = s.product_id AND NOT pr.is_archived
        JOIN catalog_variant v ON v.product_id = s.product_id AND NOT v.is_archived
        JOIN catalog_price p ON p.variant_id = v.id
        LEFT JOIN catalog_stock st ON st.variant_id = v.id
        GROUP BY p.price_list_id, v.product_id""",
    )
    if not _postgres():
        sql.run("CREATE UNIQUE INDEX sync_fresh_key ON sync_fresh (price_list_id, product_id)")
    written = 0
    sql.run(
        """DELETE FROM catalog_listing WHERE id IN (
            SELECT l.id FROM catalog_listing l
            JOIN sync_stale s ON s.product_id = l.product_id
            LEFT JOIN sync_fresh f
                ON f.price_list_id = l.price_list_id AND f.product_id = l.product_id
            WHERE f.product_id IS NULL)"""
    )
    written += max(sql.cursor.rowcount, 0)
    sql.run(
        """UPDATE catalog_listing SET min_price = f.min_price, max_price = f.max_price,
            stock = f.stock, variant_count = f.variant_count
        FROM sync_fresh f
        WHERE catalog_listing.price_list_id = f.price_list_id
            AND catalog_listing.product_id = f.product_id
            AND (catalog_listing.min_price <> f.min_price
                OR catalog_listing.max_price <> f.max_price
                OR catalog_listing.stock <> f.stock
                OR catalog_listing.variant_count <> f.variant_count)"""
    )
    written += max(sql.cursor.rowcount, 0)
    written += _listings_insert(sql)
    if written:
        # As listing_refresh: now for this transaction's reads, and again once committed.
        listings_changed()
        transaction.on_commit(listings_changed)
    return written


def _listings_insert(sql: _Sql) -> int:
    """Listings for the fresh pairs that have none yet. The sort key is Python's casefold()
    of the name (as listing_refresh writes it), which SQL's lower() does not equal."""
    names = sql.rows(
        """SELECT pr.id, pr.name FROM catalog_product pr WHERE pr.id IN (
            SELECT f.product_id FROM sync_fresh f
            LEFT JOIN catalog_listing l
                ON l.price_list_id = f.price_list_id AND l.product_id = f.product_id
            WHERE l.id IS NULL)"""
    )
    if not names:
        return 0
    sql.table("sync_names", "product_id bigint NOT NULL, name_folded text NOT NULL")
    folded = [(pk, name.casefold()) for pk, name in names]
    sql.load("sync_names", ("product_id", "name_folded"), folded, len(folded))
    kind = "jsonb_typeof" if _postgres() else "json_type"
    sql.run(
        f"""INSERT INTO catalog_listing (price_list_id, product_id, section_path, brand_id,
            name, name_folded, min_price, max_price, stock, variant_count, attributes, image)
        SELECT f.price_list_id, f.product_id, s.path, pr.brand_id, pr.name, n.name_folded,
            f.min_price, f.max_price, f.stock, f.variant_count,
            CASE WHEN {kind}(pr.attributes) = 'object' THEN pr.attributes ELSE '{{}}' END,
            coalesce(pr.image, '')
        FROM sync_fresh f
        JOIN sync_names n ON n.product_id = f.product_id
        JOIN catalog_product pr ON pr.id = f.product_id
        JOIN catalog_section s ON s.id = pr.section_id
        LEFT JOIN catalog_listing l
            ON l.price_list_id = f.price_list_id AND l.product_id = f.product_id
        WHERE l.id IS NULL"""  # noqa: S608 (no user input)
    )
    return max(sql.cursor.rowcount, 0)


# --- The services ---------------------------------------------------------------------------


def _finish(report: SyncReport, batch: _Batch) -> SyncReport:
    report.received = len(batch.rows)
    report.errors = sorted(batch.errors, key=lambda error: error.index)
    report.rejected = len(report.errors)
    return report


def _audit(kind: AuditKind, report: SyncReport, *, actor: User | None, source: str) -> None:
    audit_record(
        kind,
        actor=actor,
        source=source,
        received=report.received,
        inserted=report.inserted,
        updated=report.updated,
        unchanged=report.unchanged,
        deleted=report.deleted,
        rejected=report.rejected,
        listings=report.listings,
    )


def prices_upsert(
    *,
    rows: Iterable[PriceRow],
    full: bool = False,
    actor: User | None,
    source: str = "",
) -> SyncReport:
    """Insert or update prices; a price that already holds is not written. With
    `full=True` the request is the whole of each price list it names: the prices of those
    price lists whose variant no row names are deleted. `source` names the channel (e.g.
    "erp-api") for the audit log; `actor` is the user the channel acts for, if any."""
    batch = _checked(
        rows, with_price_list=True, value_field="amount", number=AMOUNT, keep_rejected_keys=full
    )
    report = SyncReport()
    with transaction.atomic(), connection.cursor() as cursor:
        sql = _Sql(cursor)
        with sql.settings(work_mem=_WORK_MEM):
            keyed = not full and bool(batch.indexes)
            known = _keyed_stage(sql, batch, variant_only=False) if keyed else None
            if known is not None:
                _keyed_write(
                    sql, report, known, table="catalog_price", key="price_list_id, variant_id",
                    value="amount",
                )  # fmt: skip
            elif batch.indexes:
                _stage(sql, batch, variant_only=False, value_type="numeric(12, 2)")
                changed = sql.table_as(
                    "sync_todo",
                    """SELECT r.price_list_id, r.variant_id, r.value, p.id
                    FROM sync_resolved r
                    LEFT JOIN catalog_price p
                        ON p.price_list_id = r.price_list_id AND p.variant_id = r.variant_id
                    WHERE r.price_list_id IS NOT NULL AND r.variant_id IS NOT NULL
                        AND r.value IS NOT NULL AND (p.id IS NULL OR p.amount <> r.value)""",
                )
                (applied,) = sql.one(
                    """SELECT count(*) FROM sync_resolved WHERE price_list_id IS NOT NULL
                    AND variant_id IS NOT NULL AND value IS NOT NULL"""
                )
                report.inserted, report.updated = _upsert(
                    sql, table="catalog_price", key="price_list_id, variant_id", value="amount"
                )
                report.unchanged = int(applied) - changed
                products = _TODO_PRODUCTS
                if full:
                    report.deleted = _prices_unnamed_delete(sql)
                    products += f" UNION ALL {_GONE_PRODUCTS}"
                report.listings = _listings_queue(sql, products)
            sql.drop()
        _finish(report, batch)
        _audit(AuditKind.PRICES_SYNCED, report, actor=actor, source=source)
    return report


def _prices_unnamed_delete(sql: _Sql) -> int:
    """`full`: delete the prices of the named price lists that no staged row names (kept in
    `sync_gone`). Only price lists with at least one row applied: a
    request whose every row for a price list was rejected (say, variants the portal does not
    know yet) must not empty it; `prices_delete` empties a price list on purpose."""
    sql.table_as(
        "sync_gone",
        """SELECT p.id, p.price_list_id, p.variant_id FROM catalog_price p
        WHERE p.price_list_id IN (
            SELECT DISTINCT price_list_id FROM sync_resolved
            WHERE price_list_id IS NOT NULL AND variant_id IS NOT NULL AND value IS NOT NULL)
        AND NOT EXISTS (
            SELECT 1 FROM sync_resolved r
            WHERE r.price_list_id = p.price_list_id AND r.variant_id = p.variant_id)""",
    )
    return _prices_gone_delete(sql)


def _prices_gone_delete(sql: _Sql) -> int:
    sql.run("DELETE FROM catalog_price WHERE id IN (SELECT id FROM sync_gone)")
    return max(sql.cursor.rowcount, 0)


def prices_delete(*, keys: Iterable[PriceKey], actor: User | None, source: str = "") -> SyncReport:
    """Delete the prices the keys name (the ERP's explicit deletion message). A key whose
    price does not exist counts as unchanged; unknown price lists and variants are
    reported. The same key twice is deleted once, without an error."""
    batch = _checked(
        keys, with_price_list=True, value_field=None, number=None,
        keep_rejected_keys=False, duplicates_rejected=False,
    )  # fmt: skip
    # Keys only (a staged value marks a row to apply); deleting twice is deleting once.
    batch.values = [Decimal(0)] * len(batch.values)
    batch.mixed = False
    report = SyncReport()
    with transaction.atomic(), connection.cursor() as cursor:
        sql = _Sql(cursor)
        if batch.indexes:
            _stage(sql, batch, variant_only=False, value_type="numeric(12, 2)")
            (named,) = sql.one(
                """SELECT count(*) FROM (SELECT DISTINCT price_list_id, variant_id
                FROM sync_resolved
                WHERE price_list_id IS NOT NULL AND variant_id IS NOT NULL) named"""
            )
            sql.table_as(
                "sync_gone",
                """SELECT DISTINCT p.id, p.price_list_id, p.variant_id
                FROM catalog_price p JOIN sync_resolved r
                    ON r.price_list_id = p.price_list_id AND r.variant_id = p.variant_id""",
            )
            report.deleted = _prices_gone_delete(sql)
            report.unchanged = int(named) - report.deleted
            report.listings = _listings_queue(sql, _GONE_PRODUCTS)
        sql.drop()
        _finish(report, batch)
        _audit(AuditKind.PRICES_DELETED, report, actor=actor, source=source)
    return report


def stock_upsert(*, rows: Iterable[StockRow], actor: User | None, source: str = "") -> SyncReport:
    """Insert or update variants' quantities in stock; a quantity that already holds is not
    written. The listings of the changed variants' products are refreshed (their stock)."""
    batch = _checked(
        rows, with_price_list=False, value_field="quantity", number=QUANTITY,
        keep_rejected_keys=False,
    )  # fmt: skip
    report = SyncReport()
    with transaction.atomic(), connection.cursor() as cursor:
        sql = _Sql(cursor)
        with sql.settings(work_mem=_WORK_MEM):
            known = _keyed_stage(sql, batch, variant_only=True) if batch.indexes else None
            if known is not None:
                _keyed_write(
                    sql, report, known, table="catalog_stock", key="variant_id", value="quantity"
                )
            elif batch.indexes:
                _stage(sql, batch, variant_only=True, value_type="numeric(12, 3)")
                changed = sql.table_as(
                    "sync_todo",
                    """SELECT r.variant_id, r.value, st.id
                    FROM sync_resolved r
                    LEFT JOIN catalog_stock st ON st.variant_id = r.variant_id
                    WHERE r.variant_id IS NOT NULL AND r.value IS NOT NULL
                        AND (st.id IS NULL OR st.quantity <> r.value)""",
                )
                (applied,) = sql.one(
                    """SELECT count(*) FROM sync_resolved
                    WHERE variant_id IS NOT NULL AND value IS NOT NULL"""
                )
                report.inserted, report.updated = _upsert(
                    sql, table="catalog_stock", key="variant_id", value="quantity"
                )
                report.unchanged = int(applied) - changed
                report.listings = _listings_queue(sql, _TODO_PRODUCTS)
            sql.drop()
        _finish(report, batch)
        _audit(AuditKind.STOCK_SYNCED, report, actor=actor, source=source)
    return report
