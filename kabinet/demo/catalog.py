"""The demo catalog (ORD1–ORD3): about 2,000 medical goods in nested sections, colour × size
variants, one picture per product, four price lists and stock.

Two steps so that the catalog is reproducible and testable without a database:
`catalog_plan` turns a seed into plain data (the same seed always gives the same catalog), and
`catalog_seed` writes that plan with bulk inserts, draws the pictures and refreshes the
listings. Nothing here touches the network.
"""

import io
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cache

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from PIL import Image, ImageDraw, ImageFont

from kabinet.catalog.models import (
    PartnerArticle,
    Price,
    PriceList,
    Product,
    ProductImage,
    Section,
    Stock,
    Variant,
)
from kabinet.catalog.services import brand_get_or_create, listing_refresh, section_create
from kabinet.partners.models import Partner

# The partner whose own article codes are loaded, so that ORD2 search by them can be tried.
ARTICLE_PARTNER_ERP_ID = "DEMO-farmaplus"
ARTICLE_COUNT = 30
NAME_ATTEMPTS = 40  # draws for a product name not taken yet
IMAGE_DIR = "catalog/demo"
IMAGE_SIZE = 480

# --- Reference data ---------------------------------------------------------------------------

# Colour: Russian name (what the partner sees), SKU code, English caption, RGB.
COLOURS: dict[str, tuple[str, str, tuple[int, int, int]]] = {
    "белый": ("WH", "white", (246, 246, 244)),
    "голубой": ("LB", "light blue", (150, 198, 235)),
    "синий": ("BL", "blue", (45, 85, 170)),
    "тёмно-синий": ("NV", "navy", (28, 38, 82)),
    "бирюзовый": ("TQ", "turquoise", (48, 178, 170)),
    "мятный": ("MT", "mint", (168, 224, 198)),
    "зелёный": ("GN", "green", (52, 138, 82)),
    "бордовый": ("BD", "burgundy", (122, 28, 48)),
    "розовый": ("PK", "pink", (240, 160, 190)),
    "сиреневый": ("LL", "lilac", (190, 160, 222)),
    "серый": ("GR", "grey", (140, 142, 148)),
    "чёрный": ("BK", "black", (32, 32, 34)),
    "фиолетовый": ("VT", "violet", (112, 64, 168)),
    "прозрачный": ("CL", "clear", (222, 228, 234)),
}
SCRUB_COLOURS = tuple(list(COLOURS)[:12])
GOWN_COLOURS = ("белый", "голубой", "мятный", "розовый", "сиреневый", "бирюзовый", "серый")
SHOE_COLOURS = ("белый", "чёрный", "синий", "голубой", "розовый", "серый", "бирюзовый", "зелёный")
# Examination gloves come in the colours their material is made in.
GLOVE_COLOURS = {
    "нитрил": ("синий", "фиолетовый", "чёрный", "розовый", "белый"),
    "латекс": ("белый",),
    "винил": ("прозрачный",),
    "полиизопрен": ("белый",),
}

WOMEN_SIZES = ("40", "42", "44", "46", "48", "50", "52", "54", "56", "58")
MEN_SIZES = ("44", "46", "48", "50", "52", "54", "56", "58", "60", "62")
UNISEX_SIZES = ("40", "42", "44", "46", "48", "50", "52", "54", "56", "58", "60", "62")
SHOE_SIZES = ("35", "36", "37", "38", "39", "40", "41", "42", "43", "44", "45", "46")
GLOVE_SIZES = ("XS", "S", "M", "L", "XL")
SURGICAL_GLOVE_SIZES = ("6", "6,5", "7", "7,5", "8", "8,5", "9")
ONE_SIZE = ("универсальный",)
SIZE_TOKENS = {"универсальный": "OS"}
# More fabric goes into the largest garments, and their price says so.
LARGE_SIZES = frozenset({"56", "58", "60", "62"})

# Adjective forms that agree with the noun of a name template: {gender_m}, {gender_f}, ….
GENDER_FORMS = {
    "женский": {"gender_m": "женский", "gender_f": "женская", "gender_pl": "женские"},
    "мужской": {"gender_m": "мужской", "gender_f": "мужская", "gender_pl": "мужские"},
    "унисекс": {"gender_m": "унисекс", "gender_f": "унисекс", "gender_pl": "унисекс"},
}
MODEL_NAMES = (
    "Астра", "Вега", "Лилия", "Эльза", "Марта", "Виола", "Оскар", "Лидер", "Гранд", "Классик",
    "Комфорт", "Стиль", "Орион", "Альфа", "Нова", "Рио", "Флора", "Ника", "Ирис", "Мирра",
    "Доминик", "Бриз", "Ассоль", "Диана", "Жасмин", "Соната", "Грация", "Лайт", "Техно", "Аврора",
    "Верона", "Мадрид", "Прага", "Сити", "Спорт", "Актив", "Премиум", "Норд", "Капри", "Ривьера",
    "Элегия", "Мелодия", "Камелия", "Сапфир", "Вектор", "Гармония", "Фьорд", "Валенсия", "Тиара",
    "Эдем",
)  # fmt: skip
MODEL_LETTERS = ("A", "B", "M", "S", "T", "X", "CS", "MT", "LD", "PRO", "DX")

GARMENT_BRANDS = (
    "МедФорма", "Доктор Стиль", "Белый халат", "Uniform Pro", "Сестричка", "MedWear",
    "Клиника Стиль", "Comfort Care",
)  # fmt: skip
SHOE_BRANDS = ("StepMed", "Ортекс", "Airmed", "Лёгкий шаг")
# Makers specialise: each kind of goods comes from a few of them.
GLOVE_BRANDS = ("Нитролюкс", "SafeTouch", "Асептика", "SteriLine")
PROTECTION_BRANDS = ("Санитекс", "SafeTouch", "Асептика", "Медирол")
INJECTION_BRANDS = ("ИнЪект", "SteriLine", "Медирол")
DRESSING_BRANDS = ("Бинтекс", "Пласт-Мед", "Медирол", "Асептика")
ANTISEPTIC_BRANDS = ("DezoPro", "Асептика", "Санитекс", "Медирол")
DIAGNOSTIC_BRANDS = ("CardioCheck", "Термоточка", "Пульс-Тех", "Vitasense", "ДиаЛайн")
FURNITURE_BRANDS = ("МедМебель", "Аксон-Мед")
STERILISATION_BRANDS = ("Стерикон", "Аксон-Мед", "ДиаЛайн")

CLOTH = ("хлопок", "смесовая ткань", "микрофибра", "тиси", "сатин", "стрейч-габардин")
SHOE_MATERIALS = ("EVA", "натуральная кожа", "полиуретан", "искусственная кожа")
ATTRIBUTE_LABELS = {
    "material": "Материал",
    "gender": "Пол",
    "sterility": "Стерильность",
    "powder": "Пудра",
    "pack": "Упаковка",
    "protection": "Класс защиты",
    "components": "Компонентов",
    "volume": "Объём",
    "gauge": "Диаметр иглы",
    "purpose": "Назначение",
    "type": "Тип",
    "cuff": "Манжета",
}


@dataclass(frozen=True)
class Top:
    """A top-level section: its SKU prefix and how its pictures look."""

    name: str
    prefix: str
    shape: str
    tint: tuple[int, int, int]


TOPS = {
    top.name: top
    for top in (
        Top("Медицинская одежда", "MC", "garment", (226, 236, 246)),
        Top("Медицинская обувь", "SH", "shoe", (240, 232, 222)),
        Top("Расходные материалы", "CN", "box", (228, 242, 232)),
        Top("Оборудование", "EQ", "device", (236, 234, 244)),
    )
}


@dataclass(frozen=True)
class Leaf:
    """A section products go into, and the recipe for its products.

    `names` are templates: {brand}, {model} (a model name), {code} (a model code) and one
    placeholder per option. An option value "text|value" puts text into the name and value
    into the attributes; options whose key starts with "_" are only part of the name.
    """

    path: tuple[str, ...]
    label: str  # the picture's caption: the default font has no Cyrillic
    weight: int  # the leaf's share of the products
    names: tuple[str, ...]
    options: dict[str, tuple[str, ...]]
    brands: tuple[str, ...]
    price: tuple[int, int]  # retail, RUB
    colours: tuple[str, ...] = ()
    colour_count: tuple[int, int] = (1, 1)
    sizes: tuple[str, ...] = ()
    size_count: tuple[int, int] = (1, 1)
    fixed: dict[str, str] = field(default_factory=dict)
    colours_of_material: bool = False  # colours from GLOVE_COLOURS[material], not `colours`
    export: bool = True  # sold under the export price list at all
    stock_many: int = 200

    @property
    def top(self) -> Top:
        return TOPS[self.path[0]]

    @property
    def slug(self) -> str:
        return self.label.lower().replace("'", "").replace(" ", "-")


def _garments(
    *,
    path: tuple[str, ...],
    label: str,
    weight: int,
    names: tuple[str, ...],
    gender: tuple[str, ...],
    sizes: tuple[str, ...],
    price: tuple[int, int],
    colours: tuple[str, ...] = SCRUB_COLOURS,
) -> Leaf:
    return Leaf(
        path=("Медицинская одежда", *path),
        label=label,
        weight=weight,
        names=names,
        options={"gender": gender, "material": CLOTH},
        brands=GARMENT_BRANDS,
        price=price,
        colours=colours,
        colour_count=(3, 6),
        sizes=sizes,
        size_count=(5, 9) if len(sizes) > 1 else (1, 1),
        stock_many=120,
    )


SUIT = ("Костюм медицинский {gender_m} «{model}», {material}",)
SURGICAL_SUIT = ("Костюм хирургический {gender_m} «{model}», {material}",)
GOWN = ("Халат медицинский {gender_m} «{model}», {material}",)

LEAVES: tuple[Leaf, ...] = (
    _garments(
        path=("Костюмы", "Женские костюмы"),
        label="Women's scrubs",
        weight=170,
        names=SUIT + SURGICAL_SUIT,
        gender=("женский",),
        sizes=WOMEN_SIZES,
        price=(2600, 6900),
    ),
    _garments(
        path=("Костюмы", "Мужские костюмы"),
        label="Men's scrubs",
        weight=110,
        names=SUIT + SURGICAL_SUIT,
        gender=("мужской",),
        sizes=MEN_SIZES,
        price=(2600, 6900),
    ),
    _garments(
        path=("Халаты", "Женские халаты"),
        label="Women's gowns",
        weight=110,
        names=GOWN,
        gender=("женский",),
        sizes=WOMEN_SIZES,
        price=(2200, 5800),
        colours=GOWN_COLOURS,
    ),
    _garments(
        path=("Халаты", "Мужские халаты"),
        label="Men's gowns",
        weight=70,
        names=GOWN,
        gender=("мужской",),
        sizes=MEN_SIZES,
        price=(2200, 5800),
        colours=GOWN_COLOURS,
    ),
    _garments(
        path=("Блузы и туники",),
        label="Tunics",
        weight=100,
        names=(
            "Блуза медицинская {gender_f} «{model}», {material}",
            "Туника медицинская {gender_f} «{model}», {material}",
        ),
        gender=("женский",),
        sizes=WOMEN_SIZES,
        price=(1500, 3600),
    ),
    _garments(
        path=("Брюки",),
        label="Trousers",
        weight=90,
        names=("Брюки медицинские {gender_pl} «{model}», {material}",),
        gender=("женский", "мужской", "унисекс"),
        sizes=UNISEX_SIZES,
        price=(1200, 3200),
    ),
    _garments(
        path=("Головные уборы",),
        label="Caps",
        weight=60,
        names=(
            "Шапочка медицинская {gender_f} «{model}», {material}",
            "Колпак медицинский {gender_m} «{model}», {material}",
        ),
        gender=("женский", "мужской", "унисекс"),
        sizes=ONE_SIZE,
        price=(250, 750),
    ),
    Leaf(
        path=("Медицинская обувь", "Сабо"),
        label="Clogs",
        weight=110,
        names=(
            "Сабо медицинские {gender_pl} «{model}», {material}",
            "Сабо антистатические {gender_pl} «{model}», {material}",
        ),
        options={"gender": ("женский", "мужской", "унисекс"), "material": SHOE_MATERIALS},
        brands=SHOE_BRANDS,
        price=(1500, 6500),
        colours=SHOE_COLOURS,
        colour_count=(3, 6),
        sizes=SHOE_SIZES,
        size_count=(5, 9),
        stock_many=80,
    ),
    Leaf(
        path=("Медицинская обувь", "Туфли и тапочки"),
        label="Shoes",
        weight=90,
        names=(
            "Туфли медицинские {gender_pl} «{model}», {material}",
            "Тапочки медицинские {gender_pl} «{model}», {material}",
            "Шлёпанцы медицинские {gender_pl} «{model}», {material}",
        ),
        options={"gender": ("женский", "мужской", "унисекс"), "material": SHOE_MATERIALS},
        brands=SHOE_BRANDS,
        price=(1200, 5500),
        colours=SHOE_COLOURS,
        colour_count=(3, 6),
        sizes=SHOE_SIZES,
        size_count=(5, 9),
        stock_many=80,
    ),
    Leaf(
        path=("Расходные материалы", "Перчатки", "Смотровые перчатки"),
        label="Exam gloves",
        weight=60,
        names=("Перчатки смотровые {material} {powder}, {pack}, {brand}",),
        options={
            "material": ("нитриловые|нитрил", "латексные|латекс", "виниловые|винил"),
            "powder": ("неопудренные|без пудры", "опудренные|с пудрой"),
            "pack": ("50 пар", "100 шт.", "200 шт."),
        },
        brands=GLOVE_BRANDS,
        price=(350, 1400),
        colour_count=(1, 2),
        colours_of_material=True,
        sizes=GLOVE_SIZES,
        size_count=(4, 5),
        fixed={"sterility": "нестерильно"},
        stock_many=600,
    ),
    Leaf(
        path=("Расходные материалы", "Перчатки", "Хирургические перчатки"),
        label="Surgical gloves",
        weight=40,
        names=("Перчатки хирургические {material} стерильные {powder}, {pack}, {brand}",),
        options={
            "material": (
                "латексные|латекс",
                "нитриловые|нитрил",
                "из синтетического полиизопрена|полиизопрен",
            ),
            "powder": ("неопудренные|без пудры", "опудренные|с пудрой"),
            "pack": ("1 пара", "25 пар", "50 пар"),
        },
        brands=GLOVE_BRANDS,
        price=(90, 4200),
        colours_of_material=True,
        sizes=SURGICAL_GLOVE_SIZES,
        size_count=(5, 7),
        fixed={"sterility": "стерильно"},
        stock_many=400,
    ),
    Leaf(
        path=("Расходные материалы", "Маски и респираторы"),
        label="Masks",
        weight=80,
        names=("{_type}, {pack}, {brand}",),
        options={
            "_type": (
                "Маска медицинская трёхслойная на резинках",
                "Маска медицинская трёхслойная на завязках",
                "Маска медицинская четырёхслойная",
                "Маска медицинская детская",
                "Респиратор FFP2 без клапана",
                "Респиратор FFP2 с клапаном",
                "Респиратор FFP3 с клапаном",
            ),
            "pack": ("1 шт.", "10 шт.", "20 шт.", "50 шт.", "100 шт."),
        },
        brands=PROTECTION_BRANDS,
        price=(40, 1600),
        fixed={"sterility": "нестерильно"},
        stock_many=800,
    ),
    Leaf(
        path=("Расходные материалы", "Шприцы и иглы", "Шприцы"),
        label="Syringes",
        weight=90,
        names=("Шприц {components} {volume} с иглой {_needle}, {pack}, {brand}",),
        options={
            "components": ("двухкомпонентный|2", "трёхкомпонентный|3"),
            "volume": ("1 мл", "2 мл", "3 мл", "5 мл", "10 мл", "20 мл"),
            "_needle": ("21G", "22G", "23G", "25G"),
            "pack": ("10 шт.", "100 шт."),
        },
        brands=INJECTION_BRANDS,
        price=(90, 1500),
        fixed={"sterility": "стерильно"},
        stock_many=900,
    ),
    Leaf(
        path=("Расходные материалы", "Шприцы и иглы", "Иглы инъекционные"),
        label="Needles",
        weight=50,
        names=("Игла инъекционная {gauge} {_length}, {pack}, {brand}",),
        options={
            "gauge": ("18G", "20G", "21G", "22G", "23G", "25G", "27G", "30G"),
            "_length": ("13 мм", "25 мм", "32 мм", "38 мм", "40 мм"),
            "pack": ("100 шт.",),
        },
        brands=INJECTION_BRANDS,
        price=(180, 650),
        fixed={"sterility": "стерильно"},
        stock_many=900,
    ),
    Leaf(
        path=("Расходные материалы", "Перевязочные материалы", "Бинты"),
        label="Bandages",
        weight=70,
        names=("Бинт {sterility} {_size}, {brand}",),
        options={
            "sterility": (
                "марлевый медицинский стерильный|стерильно",
                "марлевый медицинский нестерильный|нестерильно",
                "эластичный медицинский|нестерильно",
                "трубчатый эластичный|нестерильно",
                "когезивный самофиксирующийся|нестерильно",
            ),
            "_size": ("3 м × 10 см", "5 м × 7 см", "5 м × 10 см", "7 м × 14 см", "4,5 м × 8 см"),
        },
        brands=DRESSING_BRANDS,
        price=(20, 420),
        stock_many=1500,
    ),
    Leaf(
        path=("Расходные материалы", "Перевязочные материалы", "Пластыри"),
        label="Plasters",
        weight=80,
        names=("Пластырь {_kind} {material} {_size}, {brand}",),
        options={
            "_kind": ("бактерицидный", "фиксирующий", "медицинский", "послеоперационный"),
            "material": (
                "на тканевой основе|ткань",
                "на полимерной основе|полимер",
                "на нетканой основе|нетканый материал",
                "прозрачный|полимер",
            ),
            "_size": ("1,9 × 7,2 см", "2,5 × 7,2 см", "6 × 10 см", "2,5 см × 5 м", "5 см × 5 м"),
        },
        brands=DRESSING_BRANDS,
        price=(30, 480),
        stock_many=1200,
    ),
    Leaf(
        path=("Расходные материалы", "Перевязочные материалы", "Салфетки"),
        label="Wipes",
        weight=70,
        names=("Салфетки {sterility} {_size}, {pack}, {brand}",),
        options={
            "sterility": (
                "марлевые стерильные|стерильно",
                "нетканые стерильные|стерильно",
                "спиртовые антисептические|нестерильно",
                "сорбционные|нестерильно",
            ),
            "_size": ("5 × 5 см", "7,5 × 7,5 см", "10 × 10 см", "16 × 14 см", "45 × 29 см"),
            "pack": ("10 шт.", "20 шт.", "100 шт."),
        },
        brands=DRESSING_BRANDS,
        price=(35, 520),
        stock_many=1200,
    ),
    Leaf(
        path=("Расходные материалы", "Антисептики и дезинфекция"),
        label="Antiseptics",
        weight=110,
        names=("{purpose} {volume}, {brand}",),
        options={
            "purpose": (
                "Антисептик кожный спиртовой|кожный антисептик",
                "Гель антисептический для рук|кожный антисептик",
                "Средство дезинфицирующее, концентрат|дезинфекция поверхностей",
                "Средство дезинфицирующее, готовый раствор|дезинфекция поверхностей",
                "Мыло жидкое антибактериальное|мыло",
                "Пенка антисептическая для рук|кожный антисептик",
                "Средство для стерилизации инструментов|стерилизация",
            ),
            "volume": ("100 мл", "250 мл", "500 мл", "750 мл", "1 л", "5 л"),
        },
        brands=ANTISEPTIC_BRANDS,
        price=(120, 2400),
        export=False,  # flammable liquids do not go abroad
        stock_many=700,
    ),
    Leaf(
        path=("Расходные материалы", "Одноразовая одежда"),
        label="Disposables",
        weight=90,
        names=("{material}, {pack}, {brand}",),
        options={
            "material": (
                "Бахилы полиэтиленовые 2,5 г|полиэтилен",
                "Бахилы нетканые высокие|спанбонд",
                "Халат одноразовый нестерильный 25 г/м²|спанбонд",
                "Халат хирургический одноразовый стерильный|СММС",
                "Шапочка-берет одноразовая|спанбонд",
                "Фартук одноразовый|полиэтилен",
                "Комбинезон защитный одноразовый|ламинированный спанбонд",
            ),
            "pack": ("1 шт.", "10 шт.", "50 шт.", "100 шт."),
        },
        brands=PROTECTION_BRANDS,
        price=(60, 1900),
        stock_many=1000,
    ),
    Leaf(
        path=("Оборудование", "Диагностика", "Тонометры"),
        label="Tonometers",
        weight=60,
        names=("Тонометр {type} {cuff} {brand} {code}",),
        options={
            "type": ("автоматический", "полуавтоматический", "механический"),
            "cuff": ("на плечо", "на запястье"),
        },
        brands=DIAGNOSTIC_BRANDS,
        price=(1800, 7500),
        stock_many=60,
    ),
    Leaf(
        path=("Оборудование", "Диагностика", "Термометры"),
        label="Thermometers",
        weight=50,
        names=("Термометр {type} {brand} {code}",),
        options={
            "type": (
                "электронный|электронный",
                "электронный с гибким наконечником|электронный",
                "инфракрасный бесконтактный|инфракрасный",
                "инфракрасный ушной|инфракрасный",
            )
        },
        brands=DIAGNOSTIC_BRANDS,
        price=(250, 3900),
        stock_many=150,
    ),
    Leaf(
        path=("Оборудование", "Диагностика", "Пульсоксиметры"),
        label="Pulse oximeters",
        weight=40,
        names=("Пульсоксиметр {type} {brand} {code}",),
        options={
            "type": (
                "напалечный|напалечный",
                "напалечный детский|напалечный",
                "портативный с выносным датчиком|портативный",
            )
        },
        brands=DIAGNOSTIC_BRANDS,
        price=(1200, 9800),
        stock_many=80,
    ),
    Leaf(
        path=("Оборудование", "Диагностика", "Стетоскопы"),
        label="Stethoscopes",
        weight=50,
        names=("Стетоскоп {type} {brand} {code}", "Фонендоскоп {type} {brand} {code}"),
        options={"type": ("терапевтический", "кардиологический", "педиатрический", "неонатальный")},
        brands=DIAGNOSTIC_BRANDS,
        price=(800, 14000),
        stock_many=80,
    ),
    Leaf(
        path=("Оборудование", "Мебель медицинская", "Кушетки"),
        label="Couches",
        weight=40,
        names=("Кушетка медицинская {type} {brand} {code}",),
        options={
            "type": (
                "смотровая|смотровая",
                "смотровая с регулируемым изголовьем|смотровая",
                "массажная складная|массажная",
                "процедурная|процедурная",
            )
        },
        brands=FURNITURE_BRANDS,
        price=(9000, 46000),
        stock_many=20,
    ),
    Leaf(
        path=("Оборудование", "Мебель медицинская", "Столики и тележки"),
        label="Trolleys",
        weight=40,
        names=("{type} {brand} {code}",),
        options={
            "type": (
                "Столик инструментальный|столик",
                "Столик процедурный двухполочный|столик",
                "Тележка медицинская с ящиками|тележка",
                "Штатив для вливаний|штатив",
            )
        },
        brands=FURNITURE_BRANDS,
        price=(4500, 36000),
        stock_many=25,
    ),
    Leaf(
        path=("Оборудование", "Стерилизация"),
        label="Sterilisation",
        weight=50,
        names=("{type} {brand} {code}",),
        options={
            "type": (
                "Облучатель-рециркулятор бактерицидный|рециркулятор",
                "Стерилизатор воздушный|стерилизатор",
                "Стерилизатор гласперленовый|стерилизатор",
                "Контейнер для дезинфекции инструментов|контейнер",
                "Аквадистиллятор|дистиллятор",
            )
        },
        brands=STERILISATION_BRANDS,
        price=(2500, 92000),
        export=False,  # needs a Russian registration certificate; not sold abroad
        stock_many=25,
    ),
)


@dataclass(frozen=True)
class PriceListSpec:
    code: str  # what Agreement.price_list names
    name: str
    currency: str
    factor: Decimal  # of the retail price in roubles
    share: float  # of the products it sells
    quantum: Decimal  # prices are rounded to it


RUB_PER_EUR = Decimal("95")
PRICE_LISTS = (
    PriceListSpec("Розничная", "Розничная", "RUB", Decimal("1"), 0.9, Decimal("1")),
    PriceListSpec("Оптовая", "Оптовая", "RUB", Decimal("0.85"), 0.85, Decimal("1")),
    PriceListSpec("Дилерская", "Дилерская", "RUB", Decimal("0.75"), 0.96, Decimal("1")),
    PriceListSpec(
        "Export EUR", "Экспортная (EUR)", "EUR", Decimal("0.78") / RUB_PER_EUR, 0.7, Decimal("0.01")
    ),
)
EXPORT = "Export EUR"
ARTICLE_PRICE_LIST = "Оптовая"  # the article partner's agreements buy at it

# --- The plan ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class VariantPlan:
    sku: str
    ean: str
    colour: str
    size: str
    position: int
    prices: dict[str, Decimal]  # price list code → amount; absent: not sold under it
    stock: int


@dataclass(frozen=True)
class ImagePlan:
    name: str  # the storage name
    label: str
    colour: str  # Russian colour name, "" for goods without colours
    shape: str
    background: tuple[int, int, int]
    fill: tuple[int, int, int]


@dataclass(frozen=True)
class ProductPlan:
    erp_id: str
    leaf: int  # index into LEAVES
    brand: str
    name: str
    description: str
    attributes: dict[str, str]
    image: str
    colour_images: dict[str, str]  # colour → storage name, for the product card's colour choice
    variants: list[VariantPlan]


@dataclass(frozen=True)
class CatalogPlan:
    products: list[ProductPlan]
    images: dict[str, ImagePlan]
    articles: list[tuple[str, str]]  # (variant SKU, the article partner's own code)


def ean13(body: str) -> str:
    """The 12 digits with the EAN-13 check digit appended."""
    total = sum(int(digit) * (3 if i % 2 else 1) for i, digit in enumerate(body))
    return body + str(-total % 10)


def _leaf_counts(products: int) -> list[int]:
    """How many products each leaf gets: proportional to its weight (largest remainder), and
    at least one each while there are enough products, so even a small catalog has every kind
    of goods."""
    weights = [leaf.weight for leaf in LEAVES]
    total = sum(weights)
    if products < len(LEAVES):
        return [1 if i < products else 0 for i in range(len(LEAVES))]
    floors = [max(1, products * weight // total) for weight in weights]
    by_remainder = sorted(range(len(LEAVES)), key=lambda i: (-(products * weights[i] % total), i))
    i = 0
    while sum(floors) < products:
        floors[by_remainder[i % len(LEAVES)]] += 1
        i += 1
    while sum(floors) > products:
        largest = max(range(len(LEAVES)), key=lambda j: floors[j])
        floors[largest] -= 1
    return floors


def _round_price(amount: Decimal, quantum: Decimal) -> Decimal:
    return amount.quantize(quantum, rounding=ROUND_HALF_UP)


def _retail_price(rng: random.Random, low: int, high: int) -> Decimal:
    """A shop-like price: whole tens above a hundred roubles, whole roubles below."""
    raw = rng.uniform(low, high)
    step = 10 if raw >= 100 else 1
    return Decimal(round(raw / step) * step)


def _split(value: str) -> tuple[str, str]:
    text, _, attribute = value.partition("|")
    return text, attribute or text


def _window(rng: random.Random, scale: tuple[str, ...], count: tuple[int, int]) -> list[int]:
    """Indexes of a run of consecutive sizes: a product is made in neighbouring sizes."""
    length = min(len(scale), rng.randint(*count))
    start = rng.randint(0, len(scale) - length)
    return list(range(start, start + length))


def _image_plan(leaf: Leaf, colour: str) -> ImagePlan:
    # One picture per (section, colour), shared by every product there: the demo needs a
    # picture on every card, not 2,000 distinct ones, and drawing them must stay fast.
    code = COLOURS[colour][1].replace(" ", "-") if colour else "plain"
    top = leaf.top
    fill = COLOURS[colour][2] if colour else tuple(max(0, c - 110) for c in top.tint)
    return ImagePlan(
        name=f"{IMAGE_DIR}/{leaf.slug}-{code}.png",
        label=leaf.label,
        colour=colour,
        shape=top.shape,
        background=top.tint,
        fill=(fill[0], fill[1], fill[2]),
    )


def catalog_plan(*, products: int = 2000, seed: int = 7) -> CatalogPlan:
    """The whole demo catalog as plain data; the same arguments always give the same plan."""
    rng = random.Random(seed)
    plans: list[ProductPlan] = []
    images: dict[str, ImagePlan] = {}
    names: set[str] = set()
    ean_counter = 0
    number = 0
    for leaf_index, (leaf, count) in enumerate(zip(LEAVES, _leaf_counts(products), strict=True)):
        for _ in range(count):
            number += 1
            brand, name, attributes = _product_name(rng, leaf, names)
            base_sku = f"{leaf.top.prefix}-{number:05d}"
            retail = _retail_price(rng, *leaf.price)
            sold_under = _price_lists_for(rng, leaf)
            palette = (
                GLOVE_COLOURS[attributes["material"]] if leaf.colours_of_material else leaf.colours
            )
            colours = _colours(rng, palette, leaf.colour_count) if palette else [""]
            sizes = _window(rng, leaf.sizes, leaf.size_count) if leaf.sizes else []
            # The export list leaves out the last colour of some products: a matrix with a gap
            # is what a partner abroad sees when a colour is not certified for export.
            export_colours = set(colours)
            if len(colours) >= 3 and rng.random() < 0.3:
                export_colours.discard(colours[-1])
            variants: list[VariantPlan] = []
            for colour in colours:
                for size_index in sizes or [-1]:
                    size = leaf.sizes[size_index] if size_index >= 0 else ""
                    ean_counter += 1
                    amount = retail * (Decimal("1.1") if size in LARGE_SIZES else 1)
                    prices = {
                        spec.code: _round_price(amount * spec.factor, spec.quantum)
                        for spec in PRICE_LISTS
                        if spec.code in sold_under
                        and (spec.code != EXPORT or colour in export_colours)
                    }
                    variants.append(
                        VariantPlan(
                            sku=_sku(base_sku, colour, size),
                            ean=ean13(f"460705{ean_counter:06d}"),
                            colour=colour,
                            size=size,
                            position=size_index + 1,
                            prices=prices,
                            stock=_stock(rng, leaf.stock_many),
                        )
                    )
            colour_images = {}
            for colour in colours:
                image = _image_plan(leaf, colour)
                images.setdefault(image.name, image)
                colour_images[colour] = image.name
            plans.append(
                ProductPlan(
                    erp_id=f"DEMO-{base_sku}",
                    leaf=leaf_index,
                    brand=brand,
                    name=name,
                    description=_description(name, brand, attributes),
                    attributes=attributes,
                    image=colour_images[colours[0]],
                    colour_images=colour_images if colours != [""] else {},
                    variants=variants,
                )
            )
    return CatalogPlan(products=plans, images=images, articles=_articles(rng, plans))


def _product_name(
    rng: random.Random, leaf: Leaf, taken: set[str]
) -> tuple[str, str, dict[str, str]]:
    """(brand, name, attributes) with a name no other product has."""
    for attempt in range(NAME_ATTEMPTS):
        brand = rng.choice(leaf.brands)
        values = {"brand": brand, "model": rng.choice(MODEL_NAMES)}
        values["code"] = f"{rng.choice(MODEL_LETTERS)}-{rng.randint(10, 990)}"
        attributes = dict(leaf.fixed)
        for key, choices in leaf.options.items():
            text, attribute = _split(rng.choice(choices))
            values[key] = text
            if not key.startswith("_"):
                attributes[key] = attribute
        values.update(GENDER_FORMS.get(attributes.get("gender", ""), {}))
        name = rng.choice(leaf.names).format(**values)
        if attempt == NAME_ATTEMPTS - 1:  # a crowded leaf: tell twins apart by a series
            name = f"{name}, серия {len(taken) + 1}"
        if name not in taken:
            taken.add(name)
            return brand, name, attributes
    raise AssertionError("unreachable: the last attempt always gives a new name")


def _price_lists_for(rng: random.Random, leaf: Leaf) -> set[str]:
    """The price lists selling a product: most of them, not all, so what a partner can buy
    depends on its agreement (ORD1)."""
    chosen = {
        spec.code
        for spec in PRICE_LISTS
        if (spec.code != EXPORT or leaf.export) and rng.random() < spec.share
    }
    return chosen or {"Дилерская"}


def _colours(rng: random.Random, palette: tuple[str, ...], count: tuple[int, int]) -> list[str]:
    chosen = set(rng.sample(palette, min(len(palette), rng.randint(*count))))
    return [colour for colour in palette if colour in chosen]  # the palette's order, stable


def _sku(base: str, colour: str, size: str) -> str:
    parts = [base]
    if colour:
        parts.append(COLOURS[colour][0])
    if size:
        parts.append(SIZE_TOKENS.get(size, size.replace(",", ".")))
    return "-".join(parts)


def _stock(rng: random.Random, many: int) -> int:
    """A mix of sold out, a few left and plenty, so "in stock only" filters something."""
    roll = rng.random()
    if roll < 0.2:
        return 0
    if roll < 0.45:
        return rng.randint(1, 9)
    return rng.randint(10, many)


def _description(name: str, brand: str, attributes: dict[str, str]) -> str:
    facts = "; ".join(
        f"{ATTRIBUTE_LABELS.get(key, key)}: {value}" for key, value in attributes.items()
    )
    return f"{name}. Производитель: {brand}." + (f" {facts}." if facts else "")


def _articles(rng: random.Random, plans: list[ProductPlan]) -> list[tuple[str, str]]:
    """The article partner's own codes for variants its price list sells."""
    eligible = [
        variant.sku
        for plan in plans
        for variant in plan.variants
        if ARTICLE_PRICE_LIST in variant.prices
    ]
    chosen = rng.sample(eligible, min(ARTICLE_COUNT, len(eligible)))
    codes = rng.sample(range(10000, 99999), len(chosen))
    return [(sku, f"FP-{code}") for sku, code in zip(chosen, codes, strict=True)]


# --- Pictures ---------------------------------------------------------------------------------


def _ink(background: tuple[int, int, int]) -> tuple[int, int, int]:
    """Dark text on light colours, light text on dark ones."""
    luminance = 0.299 * background[0] + 0.587 * background[1] + 0.114 * background[2]
    return (30, 30, 34) if luminance > 140 else (245, 245, 245)


@cache
def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    return ImageFont.load_default(size=size)


def image_render(image: ImagePlan) -> bytes:
    """A flat picture: the section's tint, a shape in the product's colour, a caption. Drawn
    with Pillow's built-in font, so it needs no font files and no network."""
    size = IMAGE_SIZE
    picture = Image.new("RGB", (size, size), image.background)
    draw = ImageDraw.Draw(picture)
    outline = (60, 62, 70)
    fill = image.fill
    if image.shape == "garment":
        draw.polygon(
            [(150, 90), (205, 90), (240, 125), (275, 90), (330, 90), (400, 160), (360, 205),
             (330, 180), (330, 330), (150, 330), (150, 180), (120, 205), (80, 160)],
            fill=fill, outline=outline, width=5,
        )  # fmt: skip
    elif image.shape == "shoe":
        draw.rounded_rectangle((90, 190, 390, 300), radius=50, fill=fill, outline=outline, width=5)
        draw.ellipse((110, 140, 280, 260), fill=fill, outline=outline, width=5)
        for x in range(140, 260, 35):
            draw.ellipse((x, 180, x + 14, 194), fill=image.background)
    elif image.shape == "box":
        draw.rounded_rectangle((120, 100, 360, 320), radius=18, fill=fill, outline=outline, width=5)
        draw.rectangle((225, 150, 255, 270), fill=(250, 250, 250))
        draw.rectangle((180, 195, 300, 225), fill=(250, 250, 250))
    else:
        draw.rounded_rectangle((110, 110, 370, 320), radius=28, fill=fill, outline=outline, width=5)
        draw.rounded_rectangle((145, 140, 335, 220), radius=10, fill=(214, 236, 226))
        draw.ellipse((205, 240, 275, 305), fill=(250, 250, 250), outline=outline, width=4)
    ink = _ink(image.background)
    lines = [(image.label, 36)]
    if image.colour:
        lines.append((COLOURS[image.colour][1], 24))
    y = 362
    for text, font_size in lines:
        font = _font(font_size)
        left, _top, right, _bottom = draw.textbbox((0, 0), text, font=font)
        draw.text(((size - (right - left)) / 2 - left, y), text, font=font, fill=ink)
        y += font_size + 12
    buffer = io.BytesIO()
    picture.save(buffer, "PNG")
    return buffer.getvalue()


def _images_store(images: Iterable[ImagePlan]) -> int:
    """Draw the pictures that storage lacks. A file under a given name always has the same
    content, so one left by an earlier run (or by a rolled-back one) is simply reused."""
    drawn = 0
    for image in images:
        if not default_storage.exists(image.name):
            stored = default_storage.save(image.name, ContentFile(image_render(image)))
            assert stored == image.name, stored
            drawn += 1
    return drawn


# --- Writing ----------------------------------------------------------------------------------


@transaction.atomic
def catalog_seed(*, products: int = 2000, seed: int = 7) -> dict[str, int]:
    """Load the demo catalog into an empty catalog; returns how many of each thing it wrote.

    Pictures are written before the rows and outside any rollback; that is harmless because a
    name always holds the same picture, and the next run reuses what it finds."""
    plan = catalog_plan(products=products, seed=seed)
    drawn = _images_store(plan.images.values())

    sections: dict[tuple[str, ...], Section] = {}
    for leaf in LEAVES:
        for depth in range(1, len(leaf.path) + 1):
            path = leaf.path[:depth]
            if path not in sections:
                parent = sections.get(path[:-1])
                siblings = sum(1 for known in sections if known[:-1] == path[:-1])
                sections[path] = section_create(
                    name=path[-1],
                    parent=parent,
                    position=siblings + 1,
                    erp_id=f"DEMO-S{len(sections) + 1:03d}",
                )
    brands = {
        name: brand_get_or_create(name=name) for name in sorted({p.brand for p in plan.products})
    }

    Product.objects.bulk_create(
        Product(
            section=sections[LEAVES[item.leaf].path],
            brand=brands[item.brand],
            name=item.name,
            description=item.description,
            attributes=item.attributes,
            image=item.image,
            erp_id=item.erp_id,
        )
        for item in plan.products
    )
    # Ids through a query rather than bulk_create's return: the same on every backend.
    product_ids = dict(
        Product.objects.filter(erp_id__startswith="DEMO-").values_list("erp_id", "pk")
    )
    ProductImage.objects.bulk_create(
        ProductImage(product_id=product_ids[item.erp_id], image=name, colour=colour, position=i)
        for item in plan.products
        for i, (colour, name) in enumerate(item.colour_images.items())
    )
    Variant.objects.bulk_create(
        (
            Variant(
                product_id=product_ids[item.erp_id],
                sku=variant.sku,
                ean=variant.ean,
                colour=variant.colour,
                size=variant.size,
                position=variant.position,
                erp_id=f"DEMO-{variant.sku}",
            )
            for item in plan.products
            for variant in item.variants
        ),
        batch_size=2000,
    )
    variant_ids = dict(Variant.objects.filter(erp_id__startswith="DEMO-").values_list("sku", "pk"))
    price_lists = {
        spec.code: PriceList.objects.get_or_create(
            code=spec.code, defaults={"name": spec.name, "currency": spec.currency}
        )[0]
        for spec in PRICE_LISTS
    }
    variants = [variant for item in plan.products for variant in item.variants]
    Price.objects.bulk_create(
        (
            Price(
                price_list_id=price_lists[code].pk,
                variant_id=variant_ids[variant.sku],
                amount=amount,
            )
            for variant in variants
            for code, amount in variant.prices.items()
        ),
        batch_size=5000,
    )
    Stock.objects.bulk_create(
        (
            Stock(variant_id=variant_ids[variant.sku], quantity=Decimal(variant.stock))
            for variant in variants
        ),
        batch_size=5000,
    )
    partner = Partner.objects.filter(erp_id=ARTICLE_PARTNER_ERP_ID).first()
    if partner is not None:  # absent when the catalog is loaded on its own (tests)
        PartnerArticle.objects.bulk_create(
            PartnerArticle(partner=partner, variant_id=variant_ids[sku], code=code)
            for sku, code in plan.articles
        )
    listings = listing_refresh()
    return {
        "sections": len(sections),
        "brands": len(brands),
        "products": len(plan.products),
        "variants": len(variants),
        "images": len(plan.images),
        "images_drawn": drawn,
        "product_images": sum(len(item.colour_images) for item in plan.products),
        "price_lists": len(price_lists),
        "prices": sum(len(variant.prices) for variant in variants),
        "stock": len(variants),
        "partner_articles": len(plan.articles) if partner is not None else 0,
        "listings": listings,
    }
