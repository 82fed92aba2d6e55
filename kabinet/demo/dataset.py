"""The reference data sets of QUALITY.md ("L" and its scaled-down M and S) for benchmarks.

The catalog part of "L": 10,000 products × 10 colour × size variants = 100k SKUs with stock,
1,000 partners, each with a counterparty and a main agreement whose own contract price list
prices 1,000 SKUs (100 products): 1M contract price rows. Every partner also has a second
agreement on the general wholesale price list, which prices every SKU (100k more rows): that
is the deep catalog (10,000 products, 200 pages of 50) that P1 walks. Listings follow: one
per price list × product (110k for "L"). See docs/decisions.md (2026-11-22, data set "L").

The orders part of "L": 100k orders with 1M order lines over the two years before
`ORDERS_UNTIL`, spread over the partners with a skew (partner n orders in proportion to
n^-0.8: partner 1, the one the benchmarks sign in to, has ~6,400 orders, the median one
~30), each with its status history (`_orders`). Invoices and payments arrive with their models.

Deterministic: rows and their ids come from the seed alone (`dataset_rows`), so the same
seed always writes the same database. Writing goes around the ORM, on the fastest portable
path: PostgreSQL's COPY (psycopg's `cursor.copy`), SQLite's `executemany` in big batches.
"""

import hashlib
import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
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
from kabinet.orders.checkout import NUMBER_PREFIX
from kabinet.orders.models import (
    Order,
    OrderLine,
    OrderSource,
    OrderStatus,
    OrderStatusChange,
    StatusChangeSource,
)
from kabinet.partners.models import Agreement, Counterparty, Partner


@dataclass(frozen=True)
class Size:
    products: int
    partners: int
    contract_products: int  # products each partner's contract price list sells
    colours: int = 2
    sizes: int = 5
    orders: int = 0  # with ten lines each on average (exactly: LINE_COUNTS)

    @property
    def variants(self) -> int:
        return self.colours * self.sizes


SIZES = {
    "L": Size(products=10_000, partners=1_000, contract_products=100, orders=100_000),
    "M": Size(products=2_000, partners=200, contract_products=100, orders=20_000),
    "S": Size(products=200, partners=10, contract_products=10, orders=2_000),
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
CREATED = datetime(2024, 11, 1, tzinfo=UTC)


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
    # Lines first: the orders' totals and line counts are summed while the lines stream.
    order_lines: Iterator[tuple[Any, ...]]
    orders: Iterator[tuple[Any, ...]]
    order_status_changes: Iterator[tuple[Any, ...]]


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
    "order_lines": (
        OrderLine,
        (
            "id",
            "order",
            "variant",
            "position",
            "sku",
            "name",
            "colour",
            "size",
            "quantity",
            "price",
            "amount",
        ),
    ),
    "orders": (
        Order,
        (
            "id",
            "partner",
            "number",
            "status",
            "source",
            "counterparty",
            "agreement",
            "delivery_address_text",
            "desired_date",
            "comment",
            "po_number",
            "currency",
            "total",
            "line_count",
            "created_at",
            "ordered_at",
            "submitted_at",
            "updated_at",
            "erp_id",
            "erp_number",
        ),
    ),
    "order_status_changes": (
        OrderStatusChange,
        ("id", "order", "from_status", "to_status", "changed_at", "source", "note"),
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

    order_lines, orders, status_changes = _orders(
        spec, seed=seed, catalog=catalog, variants=variants, contracts=contracts, partners=partners
    )
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
        order_lines=order_lines,
        orders=orders,
        order_status_changes=status_changes,
    )


# --- Orders ----------------------------------------------------------------------------------

ORDERS_UNTIL = datetime(2026, 12, 1, tzinfo=UTC)  # the data set's "now": nothing happens later
ORDER_DAYS = 730  # two years of orders before it
PARTNER_SKEW = 0.8  # partner n places orders in proportion to n ** -PARTNER_SKEW
# Lines per order, dealt in shuffled blocks of ten: ten lines per order on average, exactly.
LINE_COUNTS = (1, 2, 3, 5, 8, 10, 12, 15, 20, 24)
QUANTITIES = (1, 1, 2, 2, 3, 4, 5, 5, 6, 10, 10, 12, 20, 25, 50, 100)
ERP_SHARE = 0.15  # orders entered in the ERP by the supplier's managers (source=erp)
WHOLESALE_SHARE = 0.3  # orders under the wholesale agreement; the rest under the contract
# What becomes of an order, by weight. The story is cut at ORDERS_UNTIL, so the last weeks'
# orders are still on their way (submitted, accepted, in assembly, shipped).
FATES = (
    ("closed", 86.0),
    ("shipped", 3.0),  # shipped, never closed
    ("cancelled", 5.0),
    ("rejected", 1.5),
    ("draft", 2.0),  # saved and forgotten
    ("submitted", 1.0),  # waiting for the supplier
    ("accepted", 1.5),  # waiting for payment
)
COMMENTS = (
    "Доставка с 9 до 17, пропуск на охране",
    "Позвонить за час до доставки",
    "Срочно, до конца недели",
    "Отгрузить одной партией",
    "Счёт на оплату прислать на почту бухгалтерии",
)
CANCEL_NOTES = ("", "", "Заказали повторно", "Нет финансирования", "Ошибка в количестве")
REJECT_NOTES = ("Превышен кредитный лимит", "Договор на продлении", "Нет в наличии")

_HOUR = 3600
Step = tuple[str, datetime, str]  # (to status, when, who: StatusChangeSource)


def order_timeline(
    rng: random.Random,
    at: datetime,
    fate: str,
    *,
    erp: bool,
    until: datetime = ORDERS_UNTIL,
    supplier: str = StatusChangeSource.ERP,
) -> list[Step]:
    """An order's status steps from `at` to its `fate` (see FATES), as the partner, the
    supplier (`supplier`: the ERP or staff by hand) and the ERP would have taken them, with
    realistic delays; cut at `until` (the first step always stays). An order entered in the
    ERP (`erp`) starts accepted and is never a draft or rejected. The demo uses it too."""
    S, who = OrderStatus, StatusChangeSource

    def later(step: Step, low: int, high: int) -> datetime:
        return step[1] + timedelta(seconds=rng.randrange(low * _HOUR, high * _HOUR))

    def cut(steps: list[Step]) -> list[Step]:
        # Plain strings for the choices (for COPY and for repr in the digest).
        return [
            (str(status), when, str(source))
            for n, (status, when, source) in enumerate(steps)
            if n == 0 or when <= until
        ]

    if fate == "draft" and not erp:
        return cut([(S.DRAFT, at, who.PARTNER)])
    if erp:
        steps: list[Step] = [(S.ACCEPTED, at, who.ERP)]
        supplier = who.ERP
        fate = "closed" if fate in ("draft", "rejected", "submitted") else fate
    else:
        steps = [(S.SUBMITTED, at, who.PARTNER)]
        if fate == "submitted":
            return cut(steps)
        if fate == "rejected":
            return cut([*steps, (S.REJECTED, later(steps[-1], 2, 48), supplier)])
        if fate == "cancelled" and rng.random() < 0.6:  # the partner withdrew it in time
            return cut([*steps, (S.CANCELLED, later(steps[-1], 1, 24), who.PARTNER)])
        steps.append((S.ACCEPTED, later(steps[-1], 1, 30), supplier))
    if fate == "accepted":
        return cut(steps)
    if fate == "cancelled":
        return cut([*steps, (S.CANCELLED, later(steps[-1], 2, 96), supplier)])
    steps.append((S.IN_ASSEMBLY, later(steps[-1], 2, 48), supplier))
    steps.append((S.SHIPPED, later(steps[-1], 4, 72), supplier))
    if fate == "closed":
        steps.append((S.CLOSED, later(steps[-1], 5 * 24, 20 * 24), supplier))
    return cut(steps)


@dataclass(frozen=True, slots=True)
class _OrderPlan:
    partner: int
    at: datetime
    erp: bool
    wholesale: bool
    lines: int
    steps: list[Step]


def _orders(
    spec: Size,
    *,
    seed: int,
    catalog: list[tuple[str, int, str, list[tuple[int, int, int]], dict[str, str]]],
    variants: list[tuple[Any, ...]],
    contracts: list[tuple[int, int, list[int]]],
    partners: list[tuple[Any, ...]],
) -> tuple[Iterator[tuple[Any, ...]], Iterator[tuple[Any, ...]], Iterator[tuple[Any, ...]]]:
    """(order lines, orders, status changes) of data set `spec`. The orders are planned
    here (who, when, what became of them); lines are drawn while they stream, and the
    orders' totals and line counts are summed from them, so `orders` must be read after
    `order_lines` (TABLES' order)."""
    rng = random.Random(seed * 1_000_003 + 11)
    count = spec.orders
    first = ORDERS_UNTIL - timedelta(days=ORDER_DAYS)
    # Working hours, Moscow time (06:00-16:00 UTC); sorted, so ids grow with the date.
    moments = sorted(
        rng.randrange(ORDER_DAYS) * 86_400 + rng.randrange(6 * _HOUR, 16 * _HOUR)
        for _ in range(count)
    )
    weights = [n**-PARTNER_SKEW for n in range(1, spec.partners + 1)]
    owners = rng.choices(range(1, spec.partners + 1), weights=weights, k=count)
    fates, fate_weights = zip(*FATES, strict=True)
    drawn_fates = rng.choices(fates, weights=fate_weights, k=count)
    sizes: list[int] = []
    while len(sizes) < count:
        block = list(LINE_COUNTS)
        rng.shuffle(block)
        sizes += block
    plans = []
    for n in range(count):
        at = first + timedelta(seconds=moments[n])
        erp = rng.random() < ERP_SHARE
        plans.append(
            _OrderPlan(
                partner=owners[n],
                at=at,
                erp=erp,
                wholesale=rng.random() < WHOLESALE_SHARE,
                lines=sizes[n],
                steps=order_timeline(rng, at, drawn_fates[n], erp=erp),
            )
        )
    totals = [0] * count  # kopecks, summed while the lines stream
    line_counts = [0] * count

    def order_lines() -> Iterator[tuple[Any, ...]]:
        lines = random.Random(seed * 1_000_003 + 12)
        line_id = 0
        per_product = spec.variants
        for index, plan in enumerate(plans):
            if plan.wholesale:
                chosen: Sequence[int] = range(spec.products)
                percent = 80
            else:
                _price_list_id, discount, chosen = contracts[plan.partner - 1]
                percent = 80 - discount // 2
            pool = len(chosen) * per_product
            total = 0
            slots = lines.sample(range(pool), min(plan.lines, pool))
            for position, slot in enumerate(slots, start=1):
                product_slot, variant_no = divmod(slot, per_product)
                product_index = chosen[product_slot]
                _path, _brand, name, own, _attributes = catalog[product_index]
                variant_id, retail, _stock = own[variant_no]
                variant = variants[variant_id - 1]
                price = retail * percent // 100
                quantity = lines.choice(QUANTITIES)
                total += price * quantity
                line_id += 1
                yield (
                    line_id,
                    index + 1,
                    variant_id,
                    position,
                    variant[2],
                    name,
                    variant[4],
                    variant[5],
                    quantity,
                    _money(price),
                    _money(price * quantity),
                )
            totals[index] = total
            line_counts[index] = len(slots)

    def orders() -> Iterator[tuple[Any, ...]]:
        if count and not line_counts[-1]:
            raise RuntimeError("orders are read after order_lines: their totals come from them")
        details = random.Random(seed * 1_000_003 + 13)
        erp_numbers = 0
        for index, plan in enumerate(plans):
            order_id = index + 1
            status, updated_at = plan.steps[-1][0], plan.steps[-1][1]
            erp_id = erp_number = None
            if plan.erp:
                erp_numbers += 1
                erp_id = f"{ERP_PREFIX}O{order_id:06d}"
                erp_number = f"ЗК{plan.at:%y}-{erp_numbers:06d}"
            desired = None
            if details.random() < 0.4:
                desired = (plan.at + timedelta(days=details.randrange(2, 15))).date()
            comment = details.choice(COMMENTS) if details.random() < 0.15 else ""
            po_number = ""
            if details.random() < 0.3:
                po_number = f"ЗП-{plan.at:%Y}/{details.randrange(1, 10_000):04d}"
            yield (
                order_id,
                plan.partner,
                f"{NUMBER_PREFIX}{order_id:06d}",
                status,
                OrderSource.ERP.value if plan.erp else OrderSource.PORTAL.value,
                plan.partner,  # each partner's one counterparty
                2 * plan.partner if plan.wholesale else 2 * plan.partner - 1,
                f"{partners[plan.partner - 1][5]}, склад",
                desired,
                comment,
                po_number,
                "RUB",
                _money(totals[index]),
                line_counts[index],
                plan.at,
                plan.at,
                None if plan.erp or status == OrderStatus.DRAFT else plan.at,
                updated_at,
                erp_id,
                erp_number or "",
            )

    def status_changes() -> Iterator[tuple[Any, ...]]:
        notes = random.Random(seed * 1_000_003 + 14)
        change_id = 0
        for index, plan in enumerate(plans):
            before = ""
            for to_status, when, source in plan.steps:
                note = ""
                if to_status == OrderStatus.CANCELLED:
                    note = notes.choice(CANCEL_NOTES)
                elif to_status == OrderStatus.REJECTED:
                    note = notes.choice(REJECT_NOTES)
                change_id += 1
                yield (change_id, index + 1, before, to_status, when, source, note)
                before = to_status

    return order_lines(), orders(), status_changes()


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
    # Off PostgreSQL, date-times are stored the way Django writes them (SQLite: naive UTC
    # text): sqlite3's own adapter would keep "+00:00", which sorts and compares apart.
    moments_at = []
    if connection.vendor != "postgresql":
        moments_at = [
            n
            for n, name in enumerate(fields)
            if isinstance(model._meta.get_field(name), models.DateTimeField)
        ]
    adapt = connection.ops.adapt_datetimefield_value

    def ready(row: tuple[Any, ...]) -> tuple[Any, ...]:
        if not json_at and not moments_at:
            return row
        values = list(row)
        for n in json_at:
            values[n] = json.dumps(values[n], ensure_ascii=False)
        for n in moments_at:
            values[n] = adapt(values[n])
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
            log(f"{table:>20}: {counts[table]:>9,} rows in {time.perf_counter() - began:5.1f} s")
        began = time.perf_counter()
        models_written = [model for model, _ in TABLES.values()]
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), models_written):
                cursor.execute(sql)
    if connection.vendor == "postgresql":
        # VACUUM too, where it may run (not inside a transaction): bulk inserts leave the
        # search index's rows in its GIN pending list, which every search then reads
        # through — the catalog search took 6 ms instead of 2.3 ms on data set L until
        # autovacuum came by (and where autovacuum is off, it never does).
        command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
        with connection.cursor() as cursor:
            for model in models_written:
                cursor.execute(f"{command} {connection.ops.quote_name(model._meta.db_table)}")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    log(f"{'sequences, analyze':>20}: {time.perf_counter() - began:5.1f} s")
    log(f"{'total':>20}: {time.perf_counter() - started:5.1f} s")
    return counts
