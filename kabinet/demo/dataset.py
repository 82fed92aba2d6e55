"""The reference data sets of QUALITY.md ("L" and its scaled-down M and S) for benchmarks.

The catalog part of "L": 10,000 products × 10 colour × size variants = 100k SKUs with stock,
1,000 partners, each with a counterparty and a main agreement whose own contract price list
prices 1,000 SKUs (100 products): 1M contract price rows. Every partner also has a second
agreement on the general wholesale price list, which prices every SKU (100k more rows): that
is the deep catalog (10,000 products, 200 pages of 50) that P1 walks. Listings follow: one
per price list × product (110k for "L"). See docs/decisions.md (2026-11-22, data set "L").

Deterministic: rows and their ids come from the seed alone (`dataset_rows`), so the same
seed always writes the same database. Writing goes around the ORM, on the fastest portable
path: PostgreSQL's COPY (psycopg's `cursor.copy`), SQLite's `executemany` in big batches.
Orders, invoices and payments of "L" arrive with their models.
"""

import hashlib
import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from django.core.management.color import no_style
from django.db import connection, models, transaction

from kabinet.catalog.models import (
    Brand,
    Listing,
    Price,
    PriceList,
    Product,
    Section,
    Stock,
    Variant,
)
from kabinet.partners.models import Agreement, Counterparty, Partner


@dataclass(frozen=True)
class Size:
    products: int
    partners: int
    contract_products: int  # products each partner's contract price list sells
    colours: int = 2
    sizes: int = 5

    @property
    def variants(self) -> int:
        return self.colours * self.sizes


SIZES = {
    "L": Size(products=10_000, partners=1_000, contract_products=100),
    "M": Size(products=2_000, partners=200, contract_products=100),
    "S": Size(products=200, partners=10, contract_products=10),
}
WHOLESALE = "DS-WHOLESALE"
ERP_PREFIX = "DS-"


def contract_code(partner_no: int) -> str:
    return f"DS-C{partner_no:04d}"


# --- Reference data ---------------------------------------------------------------------------

COLOURS = (
    ("белый", "WH"), ("голубой", "LB"), ("синий", "BL"), ("зелёный", "GN"), ("серый", "GR"),
    ("розовый", "PK"), ("чёрный", "BK"), ("бордовый", "BD"), ("мятный", "MT"), ("сиреневый", "LL"),
)  # fmt: skip
SIZE_SCALE = ("40", "42", "44", "46", "48", "50", "52", "54", "56", "58", "60", "62")
MATERIALS = ("хлопок", "смесовая ткань", "микрофибра", "тиси", "сатин", "нитрил", "латекс")
GENDERS = ("женский", "мужской", "унисекс")
MODELS = (
    "Астра", "Вега", "Лилия", "Эльза", "Марта", "Виола", "Оскар", "Лидер", "Гранд", "Классик",
    "Комфорт", "Стиль", "Орион", "Альфа", "Нова", "Рио", "Флора", "Ника", "Ирис", "Мирра",
)  # fmt: skip
# Top section → its leaves and the kind of goods in each (the first word of their names).
SECTIONS = {
    "Медицинская одежда": {
        "Костюмы": "Костюм медицинский",
        "Халаты": "Халат медицинский",
        "Блузы": "Блуза медицинская",
        "Брюки": "Брюки медицинские",
        "Шапочки": "Шапочка медицинская",
    },
    "Медицинская обувь": {
        "Сабо": "Сабо медицинские",
        "Туфли": "Туфли медицинские",
        "Тапочки": "Тапочки медицинские",
    },
    "Расходные материалы": {
        "Перчатки": "Перчатки смотровые",
        "Маски": "Маска медицинская",
        "Бахилы": "Бахилы",
        "Шприцы": "Шприц",
        "Бинты": "Бинт",
    },
    "Оборудование": {
        "Тонометры": "Тонометр",
        "Термометры": "Термометр",
        "Стерилизаторы": "Стерилизатор",
    },
}
BRANDS = (
    "МедФорма", "Доктор Стиль", "Белый халат", "Uniform Pro", "MedWear", "StepMed", "Ортекс",
    "Нитролюкс", "SafeTouch", "Асептика", "SteriLine", "Санитекс", "Медирол", "Бинтекс",
    "CardioCheck", "Термоточка", "Пульс-Тех", "Vitasense", "Стерикон", "Аксон-Мед",
)  # fmt: skip
CITIES = ("Москва", "Санкт-Петербург", "Казань", "Новосибирск", "Екатеринбург", "Самара")
CREATED = datetime(2025, 1, 1, tzinfo=UTC)


# --- Rows ------------------------------------------------------------------------------------


@dataclass
class Rows:
    """Every row of the data set as plain tuples, in the column order of `TABLES`.

    Prices are a generator (1.1M rows for "L" are never all in memory); listings are
    aggregated while they stream, so `listings` is complete only after `prices` is drained.
    """

    sections: list[tuple[Any, ...]]
    brands: list[tuple[Any, ...]]
    products: list[tuple[Any, ...]]
    variants: list[tuple[Any, ...]]
    stock: list[tuple[Any, ...]]
    price_lists: list[tuple[Any, ...]]
    partners: list[tuple[Any, ...]]
    counterparties: list[tuple[Any, ...]]
    agreements: list[tuple[Any, ...]]
    prices: Iterator[tuple[Any, ...]]
    listings: list[tuple[Any, ...]]


# Model → the fields written, in the order of the tuples above.
TABLES: dict[str, tuple[type[models.Model], tuple[str, ...]]] = {
    "sections": (Section, ("id", "name", "parent", "path", "position", "erp_id")),
    "brands": (Brand, ("id", "name", "erp_id")),
    "products": (
        Product,
        (
            "id",
            "section",
            "brand",
            "name",
            "description",
            "attributes",
            "image",
            "is_archived",
            "erp_id",
        ),
    ),
    "variants": (
        Variant,
        ("id", "product", "sku", "ean", "colour", "size", "position", "is_archived", "erp_id"),
    ),
    "stock": (Stock, ("id", "variant", "quantity")),
    "price_lists": (PriceList, ("id", "code", "name", "currency")),
    "partners": (
        Partner,
        (
            "id",
            "name",
            "erp_id",
            "parent",
            "manager",
            "city",
            "email",
            "phone",
            "require_mfa",
            "created_at",
        ),
    ),
    "counterparties": (
        Counterparty,
        (
            "id",
            "partner",
            "name",
            "country",
            "tax_id",
            "kpp",
            "registration_number",
            "legal_address",
            "erp_id",
        ),
    ),
    "agreements": (
        Agreement,
        (
            "id",
            "partner",
            "counterparty",
            "number",
            "signed_on",
            "valid_until",
            "currency",
            "price_list",
            "payment_deferral_days",
            "is_main",
            "erp_id",
        ),
    ),
    "prices": (Price, ("id", "price_list", "variant", "amount")),
    "listings": (
        Listing,
        (
            "id",
            "price_list",
            "product",
            "section_path",
            "brand",
            "name",
            "name_folded",
            "min_price",
            "max_price",
            "stock",
            "variant_count",
            "attributes",
            "image",
        ),
    ),
}


def _money(kopecks: int) -> str:
    return f"{kopecks // 100}.{kopecks % 100:02d}"


def dataset_rows(*, size: str, seed: int) -> Rows:
    """The rows of data set `size` for `seed`: the same arguments always give the same rows
    (ids included: the data set goes into an empty database)."""
    spec = SIZES[size]
    rng = random.Random(seed)

    sections: list[tuple[Any, ...]] = []
    leaves: list[tuple[int, str, str]] = []  # (id, path, kind)
    for top_no, (top, children) in enumerate(SECTIONS.items(), start=1):
        top_id, top_path = len(sections) + 1, f"{top_no:04d}."
        sections.append((top_id, top, None, top_path, top_no, None))
        for leaf_no, (leaf, kind) in enumerate(children.items(), start=1):
            leaf_id, leaf_path = len(sections) + 1, f"{top_path}{leaf_no:04d}."
            sections.append((leaf_id, leaf, top_id, leaf_path, leaf_no, None))
            leaves.append((leaf_id, leaf_path, kind))
    brands = [(n, name, None) for n, name in enumerate(BRANDS, start=1)]

    products: list[tuple[Any, ...]] = []
    variants: list[tuple[Any, ...]] = []
    stock: list[tuple[Any, ...]] = []
    # Per product: (section path, brand id, name, [(variant id, retail kopecks, stock)],
    # attributes).
    catalog: list[tuple[str, int, str, list[tuple[int, int, int]], dict[str, str]]] = []
    for product_id in range(1, spec.products + 1):
        leaf_id, leaf_path, kind = leaves[rng.randrange(len(leaves))]
        brand_id = rng.randrange(len(brands)) + 1
        material, gender = rng.choice(MATERIALS), rng.choice(GENDERS)
        name = f"{kind} «{rng.choice(MODELS)}» {material}, арт. {product_id:05d}"
        attributes = {"material": material, "gender": gender}
        products.append(
            (product_id, leaf_id, brand_id, name, "", attributes, "", False, None)
        )  # fmt: skip
        retail = rng.randrange(200, 9000) * 100 + rng.choice((0, 50, 90))
        colours = rng.sample(COLOURS, spec.colours)
        first = rng.randrange(len(SIZE_SCALE) - spec.sizes + 1)
        own: list[tuple[int, int, int]] = []
        for colour, code in colours:
            for position, size_label in enumerate(SIZE_SCALE[first : first + spec.sizes]):
                variant_id = len(variants) + 1
                sku = f"DS{product_id:06d}-{code}-{size_label}"
                variants.append(
                    (variant_id, product_id, sku, None, colour, size_label, position, False, None)
                )
                quantity = 0 if rng.random() < 0.2 else rng.randrange(1, 500)
                stock.append((variant_id, variant_id, quantity))
                own.append((variant_id, retail + position * 1000, quantity))
        catalog.append((leaf_path, brand_id, name, own, attributes))

    price_lists: list[tuple[Any, ...]] = [(1, WHOLESALE, "Оптовая", "RUB")]
    partners: list[tuple[Any, ...]] = []
    counterparties: list[tuple[Any, ...]] = []
    agreements: list[tuple[Any, ...]] = []
    contracts: list[tuple[int, int, list[int]]] = []  # (price list id, discount %, products)
    for n in range(1, spec.partners + 1):
        name = f"Клиника «Партнёр {n:04d}»"
        partners.append(
            (
                n,
                name,
                f"{ERP_PREFIX}P{n:04d}",
                None,
                None,
                rng.choice(CITIES),
                "",
                "",
                False,
                CREATED,
            )
        )
        counterparties.append(
            (
                n,
                n,
                f"ООО «Партнёр {n:04d}»",
                "RU",
                f"77{n:08d}",
                "",
                "",
                "",
                f"{ERP_PREFIX}K{n:04d}",
            )
        )
        price_list_id = n + 1
        price_lists.append((price_list_id, contract_code(n), f"Контракт {n:04d}", "RUB"))
        signed = date(2024, 1 + n % 12, 1 + n % 28)
        agreements.append(
            (
                2 * n - 1,
                n,
                n,
                f"Д-{n:04d}/1",
                signed,
                None,
                "RUB",
                contract_code(n),
                30,
                True,
                f"{ERP_PREFIX}A{n:04d}-1",
            )
        )
        agreements.append(
            (
                2 * n,
                n,
                n,
                f"Д-{n:04d}/2",
                signed,
                None,
                "RUB",
                WHOLESALE,
                0,
                False,
                f"{ERP_PREFIX}A{n:04d}-2",
            )
        )
        chosen = sorted(rng.sample(range(spec.products), spec.contract_products))
        contracts.append((price_list_id, rng.randrange(5, 26), chosen))

    listings: list[tuple[Any, ...]] = []

    def prices() -> Iterator[tuple[Any, ...]]:
        price_id = 0

        def sell(price_list_id: int, percent: int, product_index: int) -> Iterator[tuple[Any, ...]]:
            nonlocal price_id
            path, brand_id, name, own, attributes = catalog[product_index]
            amounts = [retail * percent // 100 for _, retail, _ in own]
            for (variant_id, _, _), amount in zip(own, amounts, strict=True):
                price_id += 1
                yield (price_id, price_list_id, variant_id, _money(amount))
            listings.append(
                (
                    len(listings) + 1,
                    price_list_id,
                    product_index + 1,
                    path,
                    brand_id,
                    name,
                    name.casefold(),
                    _money(min(amounts)),
                    _money(max(amounts)),
                    sum(quantity for _, _, quantity in own),
                    len(own),
                    attributes,
                    "",
                )
            )

        for index in range(spec.products):
            yield from sell(1, 80, index)
        for price_list_id, discount, chosen in contracts:
            for index in chosen:
                yield from sell(price_list_id, 80 - discount // 2, index)

    return Rows(
        sections=sections,
        brands=brands,
        products=products,
        variants=variants,
        stock=stock,
        price_lists=price_lists,
        partners=partners,
        counterparties=counterparties,
        agreements=agreements,
        prices=prices(),
        listings=listings,
    )


def dataset_digest(*, size: str, seed: int) -> str:
    """A fingerprint of every row of the data set (for tests of determinism)."""
    rows = dataset_rows(size=size, seed=seed)
    digest = hashlib.sha256()
    for table in TABLES:
        for row in getattr(rows, table):
            digest.update(repr(row).encode())
    return digest.hexdigest()


# --- Writing ---------------------------------------------------------------------------------


def _columns(model: type[models.Model], fields: Sequence[str]) -> list[str]:
    columns = []
    for name in fields:
        field = model._meta.get_field(name)
        assert isinstance(field, models.Field)
        assert field.column
        columns.append(field.column)
    return columns


def _json_ready(model: type[models.Model], fields: Sequence[str]) -> list[int]:
    return [
        n
        for n, name in enumerate(fields)
        if isinstance(model._meta.get_field(name), models.JSONField)
    ]


def bulk_insert(
    model: type[models.Model], fields: Sequence[str], rows: Iterable[tuple[Any, ...]]
) -> int:
    """Insert `rows` (values of `fields`, in order) into `model`'s table, past the ORM:
    COPY on PostgreSQL, executemany in batches of 20,000 elsewhere. Returns the row count."""
    import json

    table = connection.ops.quote_name(model._meta.db_table)
    columns = _columns(model, fields)
    quoted = ", ".join(connection.ops.quote_name(column) for column in columns)
    json_at = _json_ready(model, fields)

    def ready(row: tuple[Any, ...]) -> tuple[Any, ...]:
        if not json_at:
            return row
        values = list(row)
        for n in json_at:
            values[n] = json.dumps(values[n], ensure_ascii=False)
        return tuple(values)

    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(ready(row))
                    count += 1
            return count
        marks = ", ".join(["%s"] * len(columns))
        sql = f"INSERT INTO {table} ({quoted}) VALUES ({marks})"  # noqa: S608 (model names)
        batch: list[tuple[Any, ...]] = []
        for row in rows:
            batch.append(ready(row))
            if len(batch) >= 20_000:
                cursor.executemany(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


class NotEmpty(Exception):
    """The database already holds a catalog or partners: the data set needs an empty one."""


def dataset_generate(
    *, size: str, seed: int, log: Callable[[str], None] = lambda message: None
) -> dict[str, int]:
    """Write data set `size` into the (empty) database and return the row count per table.
    `log` receives a line with the time each table took."""
    if Product.objects.exists() or Partner.objects.exists() or PriceList.objects.exists():
        raise NotEmpty("generate_dataset needs a database without products and partners")
    started = time.perf_counter()
    rows = dataset_rows(size=size, seed=seed)
    log(f"rows planned in {time.perf_counter() - started:.1f} s")
    counts: dict[str, int] = {}
    with transaction.atomic():
        for table, (model, fields) in TABLES.items():
            began = time.perf_counter()
            counts[table] = bulk_insert(model, fields, getattr(rows, table))
            log(f"{table:>15}: {counts[table]:>9,} rows in {time.perf_counter() - began:5.1f} s")
        began = time.perf_counter()
        models_written = [model for model, _ in TABLES.values()]
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), models_written):
                cursor.execute(sql)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in models_written:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    log(f"{'sequences, analyze':>15}: {time.perf_counter() - began:5.1f} s")
    log(f"{'total':>15}: {time.perf_counter() - started:5.1f} s")
    return counts
