"""catalog.sync: the ERP's bulk loads of prices and stock (QUALITY.md P5), on SQLite and on
PostgreSQL alike. "Writes nothing" is proven by the database itself: PostgreSQL's per-
transaction row counters and the rows' xmin, SQLite's triggers counting every row written."""

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from kabinet.accounts.models import AuditEvent, AuditKind
from kabinet.catalog.models import (
    Listing,
    ListingStale,
    Price,
    PriceList,
    Product,
    Stock,
    Variant,
)
from kabinet.catalog.services import SEARCH_INDEX, listing_refresh
from kabinet.catalog.sync import (
    PriceKey,
    PriceRow,
    StockRow,
    SyncErrorCode,
    SyncReport,
    listings_refresh_stale,
    prices_delete,
    prices_upsert,
    stock_upsert,
)
from kabinet.catalog.tasks import listings_refresh_stale_task
from kabinet.catalog.tests.factories import (
    PriceFactory,
    PriceListFactory,
    ProductFactory,
    StockFactory,
    VariantFactory,
)

E = SyncErrorCode
WATCHED = ("catalog_price", "catalog_stock", "catalog_listing")


@contextlib.contextmanager
def rows_written() -> Iterator[list[int]]:
    """Counts the rows inserted, updated or deleted in prices, stock and listings inside
    the block: box[0] once it ends."""
    box = [0]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            select = (
                "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) "
                "FROM pg_stat_xact_user_tables WHERE schemaname = 'public' AND relname = ANY(%s)"
            )
            cursor.execute(select, [list(WATCHED)])
            (before,) = cursor.fetchone()
            yield box
            cursor.execute(select, [list(WATCHED)])
            (after,) = cursor.fetchone()
            box[0] = int(after - before)
            return
        cursor.execute("CREATE TEMP TABLE test_writes (n integer)")
        for table in WATCHED:
            for event in ("INSERT", "UPDATE", "DELETE"):
                cursor.execute(
                    f"CREATE TEMP TRIGGER test_{table}_{event.lower()} AFTER {event} "  # noqa: S608
                    f"ON main.{table} BEGIN INSERT INTO test_writes VALUES (1); END"
                )
        try:
            yield box
            cursor.execute("SELECT count(*) FROM test_writes")
            (box[0],) = cursor.fetchone()
        finally:
            for table in WATCHED:
                for event in ("insert", "update", "delete"):
                    cursor.execute(f"DROP TRIGGER IF EXISTS test_{table}_{event}")
            cursor.execute("DROP TABLE IF EXISTS test_writes")


def xmins() -> dict[int, str]:
    """PostgreSQL: each price's and stock row's row version (xmin) by id."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, xmin::text FROM catalog_price UNION ALL "
            "SELECT -id, xmin::text FROM catalog_stock"
        )
        return dict(cursor.fetchall())


@dataclass
class Catalog:
    base: PriceList
    vip: PriceList
    gown: Product  # variants G-1, G-2, G-3 priced 100, 200, 300 in BASE; stock 5 each
    mask: Product  # variant M-1 priced 50 in BASE and VIP; stock 10
    gowns: list[Variant]
    mask_variant: Variant


@pytest.fixture
def catalog(db: None) -> Catalog:
    base = PriceListFactory.create(code="BASE")
    vip = PriceListFactory.create(code="VIP")
    gown = ProductFactory.create(name="Халат «Ольга»")
    gowns = []
    for n, amount in enumerate(("100", "200", "300"), start=1):
        variant = VariantFactory.create(product=gown, erp_id=f"G-{n}", sku=f"SKU-G{n}")
        PriceFactory.create(price_list=base, variant=variant, amount=Decimal(amount))
        StockFactory.create(variant=variant, quantity=Decimal(5))
        gowns.append(variant)
    mask = ProductFactory.create(name="Маска")
    mask_variant = VariantFactory.create(product=mask, erp_id="M-1", sku="SKU-M1")
    for price_list in (base, vip):
        PriceFactory.create(price_list=price_list, variant=mask_variant, amount=Decimal(50))
    StockFactory.create(variant=mask_variant, quantity=Decimal(10))
    listing_refresh()
    return Catalog(base, vip, gown, mask, gowns, mask_variant)


def amounts() -> dict[tuple[str, str], Decimal]:
    return {
        (code, sku): amount
        for code, sku, amount in Price.objects.values_list(
            "price_list__code", "variant__sku", "amount"
        )
    }


def listing(price_list: PriceList, product: Product) -> Listing:
    """The listing as pages see it once the background refresh a sync queues has run (the
    task runs only after a commit, which a test's transaction never reaches)."""
    listings_refresh_stale()
    return Listing.objects.get(price_list=price_list, product=product)


def listed(price_list: PriceList, product: Product) -> bool:
    listings_refresh_stale()
    return Listing.objects.filter(price_list=price_list, product=product).exists()


def codes(report: SyncReport) -> list[tuple[int, str]]:
    return [(error.index, error.code) for error in report.errors]


def test_new_prices_are_inserted_and_listed(catalog: Catalog) -> None:
    report = prices_upsert(
        rows=[PriceRow("VIP", Decimal("90.00"), erp_id="G-1"), PriceRow("VIP", 80, sku="SKU-G2")],
        actor=None,
        source="test",
    )
    assert (report.inserted, report.updated, report.unchanged, report.rejected) == (2, 0, 0, 0)
    assert amounts()[("VIP", "SKU-G1")] == Decimal("90.00")
    assert amounts()[("VIP", "SKU-G2")] == Decimal("80.00")
    gown = listing(catalog.vip, catalog.gown)
    assert (gown.min_price, gown.max_price, gown.stock, gown.variant_count) == (
        Decimal("80.00"), Decimal("90.00"), Decimal("10"), 2,
    )  # fmt: skip
    assert gown.name == "Халат «Ольга»"
    assert gown.name_folded == "халат «ольга»"
    assert gown.section_path == catalog.gown.section.path
    assert gown.brand_id == catalog.gown.brand_id


def test_changed_prices_are_updated_and_only_changed_listings_rewritten(
    catalog: Catalog,
) -> None:
    mask_listing = listing(catalog.base, catalog.mask)
    with rows_written() as written:
        report = prices_upsert(
            rows=[
                PriceRow("BASE", Decimal("150"), erp_id="G-1"),  # changed
                PriceRow("BASE", Decimal("200.00"), erp_id="G-2"),  # unchanged
                PriceRow("BASE", Decimal("50"), erp_id="M-1"),  # unchanged
            ],
            actor=None,
        )
        listings_refresh_stale()
    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 2)
    # One price and one listing: the gown's in BASE. Not the mask's.
    assert written[0] == 2
    assert report.listings == 1
    gown = listing(catalog.base, catalog.gown)
    assert (gown.min_price, gown.max_price, gown.stock) == (
        Decimal("150.00"), Decimal("300.00"), Decimal("15"),
    )  # fmt: skip
    assert listing(catalog.base, catalog.mask).pk == mask_listing.pk


def test_a_resync_without_changes_writes_no_row(catalog: Catalog) -> None:
    rows = [
        PriceRow("BASE", Decimal(amount), erp_id=f"G-{n}")
        for n, amount in enumerate(("100", "200.0", "300.00"), start=1)
    ]
    before = xmins() if connection.vendor == "postgresql" else {}
    with rows_written() as written:
        report = prices_upsert(rows=rows, actor=None)
        stock = stock_upsert(rows=[StockRow(Decimal(5), erp_id="G-1")], actor=None)
    assert written[0] == 0
    assert (report.written, report.unchanged, report.listings) == (0, 3, 0)
    assert (stock.written, stock.unchanged, stock.listings) == (0, 1, 0)
    if connection.vendor == "postgresql":
        assert xmins() == before


def test_the_write_counter_sees_writes(catalog: Catalog) -> None:
    """The proof above could not fail if the counter never counted."""
    with rows_written() as written:
        Price.objects.filter(variant__erp_id="G-1").update(amount=1)
    assert written[0] == 1


def test_unknown_variants_and_price_lists_are_reported_and_the_rest_applies(
    catalog: Catalog,
) -> None:
    report = prices_upsert(
        rows=[
            PriceRow("BASE", Decimal(1), erp_id="NO-SUCH"),
            PriceRow("NOPE", Decimal(2), erp_id="G-1"),
            PriceRow("BASE", Decimal(3), sku="NO-SKU"),
            PriceRow("BASE", Decimal(4), erp_id="G-3"),
        ],
        actor=None,
    )
    assert codes(report) == [
        (0, E.UNKNOWN_VARIANT), (1, E.UNKNOWN_PRICE_LIST), (2, E.UNKNOWN_VARIANT),
    ]  # fmt: skip
    assert report.errors[0].key == {"price_list": "BASE", "erp_id": "NO-SUCH"}
    assert "NO-SUCH" in report.errors[0].message
    assert report.errors[2].key == {"price_list": "BASE", "sku": "NO-SKU"}
    assert "NOPE" in report.errors[1].message
    assert (report.updated, report.rejected, report.received) == (1, 3, 4)
    assert amounts()[("BASE", "SKU-G3")] == Decimal(4)


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        ("abc", E.BAD_AMOUNT),
        ("", E.BAD_AMOUNT),
        (Decimal("NaN"), E.BAD_AMOUNT),
        (Decimal("Infinity"), E.BAD_AMOUNT),
        (Decimal("1.005"), E.BAD_AMOUNT),  # money is not rounded
        (Decimal("1E+10"), E.BAD_AMOUNT),  # 11 digits before the point
        (1.5, E.BAD_AMOUNT),  # a float
        (None, E.BAD_AMOUNT),
        (True, E.BAD_AMOUNT),
        (Decimal("-0.01"), E.NEGATIVE_AMOUNT),
        (-3, E.NEGATIVE_AMOUNT),
    ],
)
def test_bad_amounts_are_rejected(catalog: Catalog, amount: Any, code: SyncErrorCode) -> None:
    report = prices_upsert(
        rows=[PriceRow("BASE", amount, erp_id="G-1"), PriceRow("BASE", 7, erp_id="G-2")],
        actor=None,
    )
    assert codes(report) == [(0, code)]
    assert amounts()[("BASE", "SKU-G1")] == Decimal(100)
    assert amounts()[("BASE", "SKU-G2")] == Decimal(7)


@pytest.mark.parametrize(
    "amount", [Decimal("0"), Decimal("-0"), "12.5", " 7 ", "1.500", "9999999999.99", 3]
)
def test_good_amounts_are_accepted(catalog: Catalog, amount: Any) -> None:
    report = prices_upsert(rows=[PriceRow("BASE", amount, erp_id="G-1")], actor=None)
    assert report.errors == []
    assert amounts()[("BASE", "SKU-G1")] == Decimal(str(amount).strip())


def test_rows_without_a_key_are_rejected(catalog: Catalog) -> None:
    report = prices_upsert(
        rows=[
            PriceRow("BASE", Decimal(1)),
            PriceRow("", Decimal(1), erp_id="G-1"),
            PriceRow("BASE", Decimal(1), erp_id="", sku=""),
        ],
        actor=None,
    )
    assert codes(report) == [(0, E.BAD_KEY), (1, E.BAD_KEY), (2, E.BAD_KEY)]
    assert report.written == 0


def test_the_last_row_of_a_key_wins_and_earlier_ones_are_reported(catalog: Catalog) -> None:
    report = prices_upsert(
        rows=[
            PriceRow("BASE", Decimal(1), erp_id="G-1"),
            PriceRow("BASE", Decimal(2), sku="SKU-G1"),  # the same variant by SKU
            PriceRow("BASE", Decimal(3), erp_id="G-1"),
            PriceRow("BASE", Decimal(-1), erp_id="G-1"),  # the last, but not valid
            PriceRow("VIP", Decimal(4), erp_id="G-1"),  # another price list: another key
        ],
        actor=None,
    )
    assert codes(report) == [
        (0, E.DUPLICATE_KEY), (1, E.DUPLICATE_KEY), (3, E.NEGATIVE_AMOUNT),
    ]  # fmt: skip
    assert amounts()[("BASE", "SKU-G1")] == Decimal(3)
    assert amounts()[("VIP", "SKU-G1")] == Decimal(4)


def test_an_erp_id_takes_precedence_over_a_sku(catalog: Catalog) -> None:
    prices_upsert(rows=[PriceRow("BASE", Decimal(9), erp_id="G-2", sku="SKU-G1")], actor=None)
    assert amounts()[("BASE", "SKU-G2")] == Decimal(9)
    assert amounts()[("BASE", "SKU-G1")] == Decimal(100)


def test_a_full_package_deletes_the_prices_it_does_not_name(catalog: Catalog) -> None:
    report = prices_upsert(
        rows=[
            PriceRow("BASE", Decimal(100), erp_id="G-1"),
            PriceRow("BASE", "oops", erp_id="G-2"),  # rejected, but named: kept
        ],
        full=True,
        actor=None,
    )
    assert report.deleted == 2  # G-3 and M-1 in BASE
    assert codes(report) == [(1, E.BAD_AMOUNT)]
    assert sorted(sku for code, sku in amounts() if code == "BASE") == ["SKU-G1", "SKU-G2"]
    assert ("VIP", "SKU-M1") in amounts()  # another price list is not touched
    assert not listed(catalog.base, catalog.mask)
    gown = listing(catalog.base, catalog.gown)
    assert (gown.min_price, gown.max_price, gown.variant_count) == (100, 200, 2)


def test_without_full_nothing_is_deleted(catalog: Catalog) -> None:
    report = prices_upsert(rows=[PriceRow("BASE", Decimal(1), erp_id="G-1")], actor=None)
    assert report.deleted == 0
    assert Price.objects.filter(price_list=catalog.base).count() == 4


def test_a_full_package_of_only_rejected_rows_empties_nothing(catalog: Catalog) -> None:
    report = prices_upsert(
        rows=[PriceRow("BASE", Decimal(1), erp_id="NOT-YET-KNOWN")], full=True, actor=None
    )
    assert (report.deleted, codes(report)) == (0, [(0, E.UNKNOWN_VARIANT)])
    assert Price.objects.filter(price_list=catalog.base).count() == 4


def test_prices_delete_deletes_the_named_prices(catalog: Catalog) -> None:
    report = prices_delete(
        keys=[
            PriceKey("BASE", erp_id="M-1"),
            PriceKey("BASE", sku="SKU-M1"),  # the same price again: deleted once
            PriceKey("VIP", erp_id="G-1"),  # no such price: unchanged
            PriceKey("BASE", erp_id="NO-SUCH"),
        ],
        actor=None,
        source="test",
    )
    assert (report.deleted, report.unchanged) == (1, 1)
    assert codes(report) == [(3, E.UNKNOWN_VARIANT)]
    assert ("BASE", "SKU-M1") not in amounts()
    assert ("VIP", "SKU-M1") in amounts()
    assert not listed(catalog.base, catalog.mask)
    assert listed(catalog.vip, catalog.mask)
    assert AuditEvent.objects.filter(kind=AuditKind.PRICES_DELETED).count() == 1


def test_stock_is_inserted_and_updated_and_listings_follow(catalog: Catalog) -> None:
    Stock.objects.filter(variant=catalog.gowns[2]).delete()
    report = stock_upsert(
        rows=[
            StockRow(Decimal("7.5"), erp_id="G-1"),
            StockRow(Decimal(2), sku="SKU-G3"),  # had no stock row
            StockRow(Decimal(5), erp_id="G-2"),  # unchanged
            StockRow(Decimal(-1), erp_id="M-1"),
            StockRow(Decimal("0.0001"), erp_id="M-1"),
            StockRow(Decimal(1), erp_id="NO-SUCH"),
        ],
        actor=None,
    )
    assert (report.inserted, report.updated, report.unchanged) == (1, 1, 1)
    assert codes(report) == [
        (3, E.NEGATIVE_QUANTITY), (4, E.BAD_QUANTITY), (5, E.UNKNOWN_VARIANT),
    ]  # fmt: skip
    assert report.errors[2].key == {"erp_id": "NO-SUCH"}
    quantities = dict(Stock.objects.values_list("variant__erp_id", "quantity"))
    assert quantities == {"G-1": Decimal("7.5"), "G-2": 5, "G-3": 2, "M-1": 10}
    assert listing(catalog.base, catalog.gown).stock == Decimal("14.5")
    assert listing(catalog.base, catalog.mask).stock == 10
    assert report.listings == 1


def test_listings_are_refreshed_after_commit_by_the_task(
    catalog: Catalog, django_capture_on_commit_callbacks: Any
) -> None:
    """The sync only queues the products; the task, enqueued when the sync commits,
    recomputes their listings and empties the queue. Cart and checkout read Price."""
    from django_tasks_db.models import DBTaskResult

    with django_capture_on_commit_callbacks(execute=True):
        report = prices_upsert(rows=[PriceRow("BASE", Decimal(1), erp_id="G-1")], actor=None)
        stock_upsert(rows=[StockRow(Decimal(9), erp_id="G-1")], actor=None)
    assert report.listings == 1
    assert list(ListingStale.objects.values_list("product_id", flat=True)) == [catalog.gown.pk]
    stale = Listing.objects.get(price_list=catalog.base, product=catalog.gown)
    assert (stale.min_price, stale.stock) == (100, 15)  # not yet
    queued = DBTaskResult.objects.filter(task_path__endswith="listings_refresh_stale_task")
    assert queued.count() == 2  # one per committed sync; the second finds nothing to do
    assert listings_refresh_stale_task.call() == 1
    assert not ListingStale.objects.exists()
    fresh = Listing.objects.get(price_list=catalog.base, product=catalog.gown)
    assert (fresh.min_price, fresh.stock) == (1, 19)
    assert listings_refresh_stale_task.call() == 0


def test_a_sync_without_changes_queues_nothing(catalog: Catalog) -> None:
    report = prices_upsert(rows=[PriceRow("BASE", Decimal(100), erp_id="G-1")], actor=None)
    assert report.listings == 0
    assert not ListingStale.objects.exists()


def test_the_bulk_listings_equal_listing_refresh(catalog: Catalog) -> None:
    """After a mixed sync the set-based listings are exactly what listing_refresh makes."""
    archived = VariantFactory.create(product=catalog.gown, erp_id="G-X", is_archived=True)
    other = ProductFactory.create(name="Straße", attributes={"material": "хлопок"})
    VariantFactory.create(product=other, erp_id="S-1")
    prices_upsert(
        rows=[
            PriceRow("VIP", Decimal(10), erp_id="G-X"),  # archived: not listed
            PriceRow("VIP", Decimal(20), erp_id="S-1"),  # a new listing
            PriceRow("BASE", Decimal(1), erp_id="G-3"),
        ],
        actor=None,
    )
    stock_upsert(rows=[StockRow(Decimal("0.1"), erp_id="S-1")], actor=None)
    assert archived.prices.count() == 1
    fields = [f.name for f in Listing._meta.fields if f.name != "id"]
    listings_refresh_stale()
    synced = sorted(Listing.objects.values_list(*fields))
    listing_refresh()
    assert synced == sorted(Listing.objects.values_list(*fields))
    assert listing(catalog.vip, other).name_folded == "strasse"  # casefold, not lower


def test_one_audit_event_per_call(catalog: Catalog) -> None:
    prices_upsert(
        rows=[PriceRow("BASE", Decimal(1), erp_id="G-1"), PriceRow("X", 1, erp_id="G-1")],
        actor=None,
        source="erp-api",
    )
    stock_upsert(rows=[], actor=None)
    synced = AuditEvent.objects.get(kind=AuditKind.PRICES_SYNCED)
    assert synced.details["source"] == "erp-api"
    assert (synced.details["updated"], synced.details["rejected"]) == (1, 1)
    assert AuditEvent.objects.filter(kind=AuditKind.STOCK_SYNCED).count() == 1


@contextlib.contextmanager
def price_666_fails() -> Iterator[None]:
    """A real failure of the database: a trigger that refuses a price of 666."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION test_refuse_666() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN IF NEW.amount = 666 THEN RAISE EXCEPTION 'refused'; END IF; "
                "RETURN NEW; END $$"
            )
            cursor.execute(
                "CREATE TRIGGER test_refuse_666 BEFORE INSERT OR UPDATE ON catalog_price "
                "FOR EACH ROW EXECUTE FUNCTION test_refuse_666()"
            )
        else:
            cursor.execute(
                "CREATE TEMP TRIGGER test_refuse_666 BEFORE UPDATE ON main.catalog_price "
                "WHEN NEW.amount = 666 BEGIN SELECT RAISE(ABORT, 'refused'); END"
            )
        yield
        if connection.vendor == "postgresql":
            cursor.execute("DROP TRIGGER test_refuse_666 ON catalog_price")
            cursor.execute("DROP FUNCTION test_refuse_666()")
        else:
            cursor.execute("DROP TRIGGER test_refuse_666")


def test_a_database_error_rolls_back_the_whole_request(catalog: Catalog) -> None:
    with price_666_fails():
        with pytest.raises(DatabaseError, match="refused"):
            prices_upsert(
                rows=[
                    PriceRow("BASE", Decimal(1), erp_id="G-1"),
                    PriceRow("BASE", Decimal(666), erp_id="G-2"),
                ],
                actor=None,
            )
        assert amounts()[("BASE", "SKU-G1")] == Decimal(100)
        assert listing(catalog.base, catalog.gown).min_price == Decimal(100)
        assert not AuditEvent.objects.filter(kind=AuditKind.PRICES_SYNCED).exists()
        # And the connection is usable again: the temporary tables went with the rollback.
        prices_upsert(rows=[PriceRow("BASE", Decimal(1), erp_id="G-1")], actor=None)
    assert amounts()[("BASE", "SKU-G1")] == Decimal(1)


def test_two_calls_in_one_transaction(catalog: Catalog) -> None:
    """The temporary tables of one call do not get in the way of the next."""
    with transaction.atomic():
        prices_upsert(rows=[PriceRow("BASE", Decimal(1), erp_id="G-1")], actor=None)
        stock_upsert(rows=[StockRow(Decimal(1), erp_id="G-1")], actor=None)
        prices_upsert(rows=[PriceRow("BASE", Decimal(2), erp_id="G-1")], actor=None)
    assert amounts()[("BASE", "SKU-G1")] == Decimal(2)


def test_a_request_naming_variants_one_way_reports_and_applies_alike(catalog: Catalog) -> None:
    """Every row by SKU (PostgreSQL's keyed path): unknown keys reported per row, the rest
    applied, new and changed prices told apart."""
    report = prices_upsert(
        rows=[
            PriceRow("BASE", Decimal(101), sku="SKU-G1"),  # changed
            PriceRow("VIP", Decimal(7), sku="SKU-G2"),  # new
            PriceRow("BASE", Decimal(1), sku="NO-SKU"),
            PriceRow("NOPE", Decimal(1), sku="SKU-G1"),
            PriceRow("BASE", Decimal(300), sku="SKU-G3"),  # unchanged
        ],
        actor=None,
    )
    assert codes(report) == [(2, E.UNKNOWN_VARIANT), (3, E.UNKNOWN_PRICE_LIST)]
    assert report.errors[0].key == {"price_list": "BASE", "sku": "NO-SKU"}
    assert (report.inserted, report.updated, report.unchanged, report.rejected) == (1, 1, 1, 2)
    assert report.listings == 1  # the gown: one product, however many of its prices
    assert amounts()[("BASE", "SKU-G1")] == Decimal(101)
    assert amounts()[("VIP", "SKU-G2")] == Decimal(7)


def test_repeated_keys_of_a_request_naming_variants_one_way(catalog: Catalog) -> None:
    report = prices_upsert(
        rows=[
            PriceRow("BASE", Decimal(1), erp_id="G-1"),
            PriceRow("BASE", Decimal(5), erp_id="G-2"),
            PriceRow("BASE", Decimal(3), erp_id="G-1"),
            PriceRow("BASE", Decimal(-1), erp_id="G-1"),  # the last, but not valid
        ],
        actor=None,
    )
    assert codes(report) == [(0, E.DUPLICATE_KEY), (3, E.NEGATIVE_AMOUNT)]
    assert (report.updated, report.unchanged, report.rejected) == (2, 0, 2)
    assert amounts()[("BASE", "SKU-G1")] == Decimal(3)
    assert amounts()[("BASE", "SKU-G2")] == Decimal(5)


def test_keys_and_codes_with_line_breaks_are_applied(catalog: Catalog) -> None:
    """PostgreSQL's keyed path sends keys one a line; such a request goes the general way."""
    odd = VariantFactory.create(product=catalog.mask, erp_id="M\n2", sku="SKU\nM2")
    PriceListFactory.create(code="VIP\nPLUS")
    prices = prices_upsert(
        rows=[
            PriceRow("BASE", Decimal(9), erp_id="M\n2"),
            PriceRow("VIP\nPLUS", Decimal(8), erp_id="M\n2"),
            PriceRow("BASE", Decimal(150), erp_id="G-1"),
        ],
        actor=None,
    )
    stock = stock_upsert(rows=[StockRow(Decimal(4), sku="SKU\nM2")], actor=None)
    assert (prices.inserted, prices.updated, prices.errors) == (2, 1, [])
    assert (stock.inserted, stock.errors) == (1, [])
    assert amounts()[("VIP\nPLUS", "SKU\nM2")] == Decimal(8)
    assert Stock.objects.get(variant=odd).quantity == 4


def test_a_sync_gives_the_callers_transaction_its_settings_back(catalog: Catalog) -> None:
    """PostgreSQL: the sync raises work_mem and lowers the statistics target of its
    staging tables' ANALYZE for itself only."""
    rows = [PriceRow("BASE", Decimal(1), erp_id=f"X-{n}") for n in range(600)]  # > 500
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL work_mem = '5MB'")
            cursor.execute("SET LOCAL default_statistics_target = 77")
        report = prices_upsert(rows=[*rows, PriceRow("BASE", 1, erp_id="G-1")], actor=None)
        assert (report.updated, report.rejected) == (1, 600)
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT current_setting('work_mem'), current_setting('default_statistics_target')"
            )
            assert cursor.fetchone() == ("5MB", "77")


# --- Hypothesis: whatever the batch, only reported errors; the database is the model ----

FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "60")),
    deadline=None,
    database=None,  # no example database in the work tree
    suppress_health_check=[HealthCheck.too_slow],
)
CODES = ["BASE", "VIP", "GONE", ""]
VARIANTS = [("G-1", "SKU-G1"), ("G-2", "SKU-G2"), ("M-1", "SKU-M1")]
AMOUNTS = st.one_of(
    st.decimals(min_value=-5, max_value=1000, places=2, allow_nan=False),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.sampled_from(["1", "2.50", "x", "", "-0", "1e2", "1.001", "1e20"]),
    st.integers(min_value=-3, max_value=10**12),
    st.none(),
    st.floats(),
)
KEYS = {
    "erp_id": st.sampled_from([None, "", "G-1", "G-2", "M-1", "NO-SUCH"]),
    "sku": st.sampled_from([None, "SKU-G1", "SKU-M1", "NO-SKU"]),
}
STOCK_ROWS = st.lists(st.builds(StockRow, quantity=AMOUNTS, **KEYS), max_size=12)
PRICE_ROWS = st.lists(
    st.builds(
        PriceRow,
        price_list=st.sampled_from(CODES),
        amount=AMOUNTS,
        erp_id=st.sampled_from([None, "", "G-1", "G-2", "M-1", "NO-SUCH"]),
        sku=st.sampled_from([None, "SKU-G1", "SKU-M1", "NO-SKU"]),
    ),
    max_size=12,
)


def _valid_amount(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        return None
    try:
        number = Decimal(value)
    except ArithmeticError:
        return None
    if not number.is_finite() or abs(number) >= 10**10 or number < 0:
        return None
    return number if number == round(number, 2) else None


class PricesFuzz(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        base, vip = PriceListFactory.create(code="BASE"), PriceListFactory.create(code="VIP")
        product = ProductFactory.create(name="Набор")
        for erp_id, sku in VARIANTS:
            variant = VariantFactory.create(product=product, erp_id=erp_id, sku=sku)
            PriceFactory.create(price_list=base, variant=variant, amount=Decimal(10))
            if erp_id != "M-1":
                StockFactory.create(variant=variant, quantity=Decimal(10))
        PriceFactory.create(price_list=vip, variant=variant, amount=Decimal(10))
        listing_refresh()

    @FUZZ
    @given(rows=PRICE_ROWS, full=st.booleans())
    def test_random_batches(self, rows: list[PriceRow], full: bool) -> None:
        sku_of = dict(VARIANTS)
        by_sku = {sku: erp_id for erp_id, sku in VARIANTS}
        expected = {
            (code, erp_id): amount
            for code, erp_id, amount in Price.objects.values_list(
                "price_list__code", "variant__erp_id", "amount"
            )
        }
        named: dict[str, set[str]] = {}
        applied: set[str] = set()
        for row in rows:  # the model: the last valid value per key
            erp_id = row.erp_id if row.erp_id else by_sku.get(row.sku or "")
            if not row.price_list or erp_id not in sku_of:
                continue
            if row.price_list not in {"BASE", "VIP"}:
                continue
            named.setdefault(row.price_list, set()).add(erp_id)
            amount = _valid_amount(row.amount)
            if amount is not None:
                expected[(row.price_list, erp_id)] = amount
                applied.add(row.price_list)
        if full:
            expected = {
                (code, erp_id): amount
                for (code, erp_id), amount in expected.items()
                if code not in applied or erp_id in named[code]
            }
        report = prices_upsert(rows=rows, full=full, actor=None)
        actual = {
            (code, erp_id): amount
            for code, erp_id, amount in Price.objects.values_list(
                "price_list__code", "variant__erp_id", "amount"
            )
        }
        assert actual == expected
        assert report.received == len(rows)
        assert report.rejected == len(report.errors)
        assert report.inserted + report.updated + report.unchanged + report.rejected == len(rows)
        assert {error.code for error in report.errors} <= set(SyncErrorCode)
        fields = [f.name for f in Listing._meta.fields if f.name != "id"]
        listings_refresh_stale()
        synced = sorted(Listing.objects.values_list(*fields))
        listing_refresh()
        assert synced == sorted(Listing.objects.values_list(*fields))

    @FUZZ
    @given(rows=PRICE_ROWS)
    def test_both_ways_of_applying_prices_agree(self, rows: list[PriceRow]) -> None:
        """PostgreSQL applies a request that names its variants one way on a keyed path,
        any other (and all of them on SQLite) the general way; one more row with a line
        break in its key sends the same request the general way: same outcome."""
        odd = PriceRow("BASE", Decimal(1), erp_id="ODD\nKEY")
        keyed = _outcome(lambda: prices_upsert(rows=rows, actor=None))
        general = _outcome(lambda: prices_upsert(rows=[*rows, odd], actor=None))
        _assert_same(keyed, general, len(rows))

    @FUZZ
    @given(rows=STOCK_ROWS)
    def test_both_ways_of_applying_stock_agree(self, rows: list[StockRow]) -> None:
        odd = StockRow(Decimal(1), erp_id="ODD\nKEY")
        keyed = _outcome(lambda: stock_upsert(rows=rows, actor=None))
        general = _outcome(lambda: stock_upsert(rows=[*rows, odd], actor=None))
        _assert_same(keyed, general, len(rows))


class _Undo(Exception):
    pass


def _outcome(sync: Any) -> tuple[SyncReport, list[Any]]:
    """The report of `sync` and the prices, stock and listings it leaves, then undone."""
    try:
        with transaction.atomic():
            report = sync()
            listings_refresh_stale()
            fields = [f.name for f in Listing._meta.fields if f.name != "id"]
            state = [
                sorted(Price.objects.values_list("price_list__code", "variant__sku", "amount")),
                sorted(Stock.objects.values_list("variant__sku", "quantity")),
                sorted(Listing.objects.values_list(*fields)),
            ]
            raise _Undo
    except _Undo:
        return report, state


def _assert_same(
    keyed: tuple[SyncReport, list[Any]], general: tuple[SyncReport, list[Any]], odd: int
) -> None:
    (one, state_one), (other, state_other) = keyed, general
    assert state_one == state_other
    assert [(e.index, e.code, e.key) for e in other.errors] == [
        *[(e.index, e.code, e.key) for e in one.errors],
        (odd, E.UNKNOWN_VARIANT, {**other.errors[-1].key}),
    ]
    assert other.errors[-1].key["erp_id"] == "ODD\nKEY"
    counts = ("inserted", "updated", "unchanged", "deleted", "listings")
    assert [getattr(one, c) for c in counts] == [getattr(other, c) for c in counts]


def _search_index_pending_pages_flushed() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [SEARCH_INDEX])
        row = cursor.fetchone()
    assert row is not None
    return int(row[0])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the search index is PostgreSQL's")
def test_a_refresh_leaves_nothing_in_the_search_index_pending_list(catalog: Catalog) -> None:
    """GIN gathers new entries in a pending list that every search reads in full; the refresh
    moves them into the index (services.search_index_flush)."""
    # The measure works: a listing written without the refresh leaves pending entries (out of
    # stock: its "in stock" key goes).
    Listing.objects.filter(price_list=catalog.base).update(stock=Decimal(0))
    assert _search_index_pending_pages_flushed() > 0
    prices_upsert(
        rows=[
            PriceRow("BASE", Decimal("150"), erp_id="G-1"),
            PriceRow("VIP", Decimal("51"), erp_id="M-1"),
        ],
        actor=None,
    )
    assert listings_refresh_stale() > 0
    assert _search_index_pending_pages_flushed() == 0


def _listing_updates() -> tuple[int, int]:
    """This transaction's updates of listings so far: (all, HOT)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables "
            "WHERE relname = 'catalog_listing'"
        )
        row = cursor.fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="HOT updates are PostgreSQL's")
def test_a_stock_refresh_writes_no_index_entry(catalog: Catalog) -> None:
    """A change of quantity that leaves a listing in stock changes no indexed column of it
    (migration 0009: the search keys read `in_stock`), so the refresh's updates are HOT: no
    index, the search index's ~20 keys a listing included, is written. Running out of stock
    changes the "in stock" key, and is not."""
    rows = [StockRow(Decimal(7), erp_id=f"G-{n}") for n in (1, 2, 3)] + [
        StockRow(Decimal(12), erp_id="M-1")
    ]
    before = _listing_updates()
    stock_upsert(rows=rows, actor=None)
    assert listings_refresh_stale() == 3  # the gown in BASE, the mask in BASE and VIP
    updated, hot = (a - b for a, b in zip(_listing_updates(), before, strict=True))
    assert (updated, hot) == (3, 3)
    assert listing(catalog.base, catalog.gown).stock == Decimal(21)

    before = _listing_updates()
    stock_upsert(rows=[StockRow(Decimal(0), erp_id="M-1")], actor=None)
    assert listings_refresh_stale() == 2
    updated, hot = (a - b for a, b in zip(_listing_updates(), before, strict=True))
    assert (updated, hot) == (2, 0)
    assert not Listing.objects.get(price_list=catalog.vip, product=catalog.mask).in_stock
