"""Importing the sample packages through the protocol: sections, products, variants, price
lists, prices and stock appear; windows-1251 and namespace-less files read the same; a
changes-only package touches only what it names; XML bombs are refused."""

import shutil
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pytest_django import Settings

from kabinet.catalog.models import Brand, Price, PriceList, Product, Section, Stock, Variant
from kabinet.integrations.onec.client_1c import ExchangeFailed, OneCClient
from kabinet.integrations.onec.tests.conftest import SAMPLES

pytestmark = pytest.mark.django_db

SUIT = "1c000000-0000-4000-8000-00000000c001"
GOWN = "1c000000-0000-4000-8000-00000000c002"
GLOVES = "1c000000-0000-4000-8000-00000000c003"
BLUE_48 = "1c000000-0000-4000-8000-00000000f011"
BLUE_50 = "1c000000-0000-4000-8000-00000000f012"
GREEN_48 = "1c000000-0000-4000-8000-00000000f021"


def catalog_state() -> dict[str, list[tuple[Any, ...]]]:
    """What the samples put in the catalog, in plain values, for comparisons."""
    return {
        "sections": sorted(
            Section.objects.filter(erp_id__startswith="1c").values_list(
                "erp_id", "name", "parent__erp_id"
            )
        ),
        "products": sorted(
            Product.objects.filter(erp_id__startswith="1c").values_list(
                "erp_id", "name", "section__erp_id", "brand__name", "description", "attributes"
            )
        ),
        "variants": sorted(
            Variant.objects.filter(product__erp_id__startswith="1c").values_list(
                "erp_id", "sku", "ean", "colour", "size", "product__erp_id"
            )
        ),
        "prices": sorted(
            Price.objects.filter(variant__product__erp_id__startswith="1c").values_list(
                "price_list__code", "variant__erp_id", "amount"
            )
        ),
        "stock": sorted(
            Stock.objects.filter(variant__product__erp_id__startswith="1c").values_list(
                "variant__erp_id", "quantity"
            )
        ),
    }


def test_the_catalog_file_brings_sections_and_products(one_c: OneCClient) -> None:
    answer = one_c.catalog([SAMPLES / "import.xml"])

    assert answer[0] == "success"
    assert "products: created 3" in answer[1]
    top = Section.objects.get(erp_id="1c000000-0000-4000-8000-00000000a100")
    child = Section.objects.get(erp_id="1c000000-0000-4000-8000-00000000a110")
    assert child.parent == top
    assert child.path.startswith(top.path)
    suit = Product.objects.get(erp_id=SUIT)
    assert suit.name == "Костюм хирургический «Оптима»"
    assert suit.section == child
    assert suit.brand == Brand.objects.get(name="МедТекс")
    assert suit.attributes == {"Материал": "хлопок", "Пол": "унисекс"}
    # A «Производитель» property is the brand when there is no Изготовитель.
    assert Product.objects.get(erp_id=GOWN).brand.name == "Доктор Стиль"  # type: ignore[union-attr]


def test_the_offers_bring_variants_price_lists_prices_and_stock(one_c: OneCClient) -> None:
    answers = one_c.catalog([SAMPLES / "import.xml", SAMPLES / "offers.xml"])

    assert answers.count("success") == 2
    state = catalog_state()
    assert state["variants"] == sorted(
        [
            (BLUE_48, "1C-KX-01-синий-48", None, "синий", "48", SUIT),
            (BLUE_50, "1C-KX-01-синий-50", None, "синий", "50", SUIT),
            (GREEN_48, "1C-KX-01-зелёный-48", None, "зелёный", "48", SUIT),
            (GOWN, "1C-HL-02", None, "", "", GOWN),
            (GLOVES, "1C-GL-03", "4601234500036", "", "", GLOVES),
        ]
    )
    assert PriceList.objects.get(code="Розничная").currency == "RUB"  # «руб» in the file
    assert state["prices"] == sorted(
        [
            ("Оптовая", BLUE_48, Decimal("2450.00")),
            ("Розничная", BLUE_48, Decimal("2990.00")),
            ("Оптовая", BLUE_50, Decimal("2450.00")),
            ("Розничная", BLUE_50, Decimal("2990.00")),
            ("Оптовая", GREEN_48, Decimal("2500.00")),
            ("Оптовая", GOWN, Decimal("1800.00")),
            ("Оптовая", GLOVES, Decimal("640.50")),
            ("Розничная", GLOVES, Decimal("790.00")),
        ]
    )
    assert state["stock"] == sorted(
        [
            (BLUE_48, Decimal(12)),
            (BLUE_50, Decimal(7)),
            (GREEN_48, Decimal(5)),  # two warehouses, 3 + 2
            (GOWN, Decimal(0)),
            (GLOVES, Decimal(250)),
        ]
    )


def test_windows_1251_files_without_the_namespace_read_the_same(
    one_c: OneCClient, tmp_path: Path
) -> None:
    one_c.catalog([SAMPLES / "cp1251" / "import.xml", SAMPLES / "cp1251" / "offers.xml"])
    legacy = catalog_state()
    assert legacy["variants"]
    Price.objects.all().delete()
    Stock.objects.all().delete()
    Variant.objects.all().delete()
    Product.objects.all().delete()

    one_c.catalog([SAMPLES / "import.xml", SAMPLES / "offers.xml"])

    assert catalog_state() == legacy


def test_a_zip_package_imports_like_plain_files(one_c: OneCClient) -> None:
    one_c.catalog([SAMPLES / "import.xml", SAMPLES / "offers.xml"], use_zip=False)
    plain = catalog_state()
    Price.objects.all().delete()
    Stock.objects.all().delete()
    Variant.objects.all().delete()
    Product.objects.all().delete()

    one_c.checkauth()
    one_c.init()
    one_c.upload("catalog", "package.zip", (SAMPLES / "package.zip").read_bytes(), chunk=1000)
    assert one_c.import_file("import.xml")[0] == "success"
    assert one_c.import_file("offers.xml")[0] == "success"

    assert catalog_state() == plain


def test_a_changes_only_package_touches_only_what_it_names(one_c: OneCClient) -> None:
    one_c.catalog([SAMPLES / "import.xml", SAMPLES / "offers.xml"])
    before = catalog_state()

    one_c.catalog([SAMPLES / "changes" / "import.xml", SAMPLES / "changes" / "offers.xml"])

    after = catalog_state()
    assert Product.objects.get(erp_id=GOWN).name == "Халат медицинский «Классик Плюс»"
    assert Price.objects.get(variant__erp_id=BLUE_48, price_list__code="Оптовая").amount == Decimal(
        "2390.00"
    )
    assert Stock.objects.get(variant__erp_id=GLOVES).quantity == Decimal(180)
    # Everything the package does not name is as it was.
    assert [p for p in after["products"] if p[0] != GOWN] == [
        p for p in before["products"] if p[0] != GOWN
    ]
    assert after["variants"] == before["variants"]
    changed = {("Оптовая", BLUE_48)}
    assert [p for p in after["prices"] if p[:2] not in changed] == [
        p for p in before["prices"] if p[:2] not in changed
    ]
    assert [s for s in after["stock"] if s[0] != GLOVES] == [
        s for s in before["stock"] if s[0] != GLOVES
    ]


def test_a_long_import_answers_progress_until_done(one_c: OneCClient, settings: Settings) -> None:
    settings.ONEC_IMPORT_SECONDS = 0
    settings.ONEC_IMPORT_BATCH = 1

    one_c.catalog([SAMPLES / "import.xml", SAMPLES / "offers.xml"])

    answers = [
        line.split(": ", 1)[1].split(" ", 1)[1] for line in one_c.log.lines if "/import" in line
    ]
    assert sum(answer.startswith("progress") for answer in answers) >= 5
    assert len(catalog_state()["variants"]) == 5
    # 1C asking again after success changes nothing and says success again.
    assert one_c.import_file("offers.xml")[0] == "success"


def test_a_repeated_exchange_changes_nothing(one_c: OneCClient) -> None:
    one_c.catalog([SAMPLES / "import.xml", SAMPLES / "offers.xml"])
    first = catalog_state()
    answers = one_c.catalog([SAMPLES / "import.xml", SAMPLES / "offers.xml"])
    assert catalog_state() == first
    assert "created" not in " ".join(answers)


BILLION_LAUGHS = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
]>
<КоммерческаяИнформация><Каталог><Товары><Товар><Ид>x</Ид><Наименование>&lol9;</Наименование>
</Товар></Товары></Каталог></КоммерческаяИнформация>""".encode()
XXE = """<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<КоммерческаяИнформация><Каталог><Товары><Товар><Ид>x</Ид><Наименование>&xxe;</Наименование>
</Товар></Товары></Каталог></КоммерческаяИнформация>""".encode()


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (BILLION_LAUGHS, "DTD"),
        (XXE, "DTD"),
        (b"<?xml version='1.0'?><html><body/></html>", "Not a CommerceML"),
        ("<?xml version='1.0'?><КоммерческаяИнформация><Каталог>".encode(), "not well-formed"),
    ],
)
def test_xml_bombs_and_junk_are_refused_with_a_clear_failure(
    one_c: OneCClient, body: bytes, reason: str
) -> None:
    one_c.checkauth()
    one_c.init()
    one_c.upload("catalog", "import.xml", body)
    started = time.monotonic()

    with pytest.raises(ExchangeFailed, match=reason):
        one_c.import_file("import.xml")

    assert time.monotonic() - started < 2
    assert not Product.objects.filter(erp_id="x").exists()


def test_an_offer_for_an_unknown_product_is_reported_not_guessed(
    one_c: OneCClient, tmp_path: Path
) -> None:
    offers = tmp_path / "offers.xml"
    shutil.copy(SAMPLES / "offers.xml", offers)

    answers = one_c.catalog([offers])

    assert answers[0] == "success"
    assert "import.xml first" in "\n".join(answers)
    assert not Variant.objects.filter(erp_id=BLUE_48).exists()


def test_goods_marked_deleted_in_1c_are_archived(one_c: OneCClient, tmp_path: Path) -> None:
    one_c.catalog([SAMPLES / "import.xml", SAMPLES / "offers.xml"])
    changes = tmp_path / "import.xml"
    text = (SAMPLES / "changes" / "import.xml").read_text()
    changes.write_text(text.replace("<Артикул>1C-HL-02</Артикул>", "<Статус>Удален</Статус>"))

    one_c.catalog([changes])

    assert Product.objects.get(erp_id=GOWN).is_archived
    assert not Product.objects.get(erp_id=SUIT).is_archived
