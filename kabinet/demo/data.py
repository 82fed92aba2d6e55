"""The demo data set: a medical-goods supplier and its partners.

Every sign-in listed here is printed by `manage.py seed_demo` and must appear in README.md
(a test checks that the two agree).
"""

from dataclasses import dataclass
from typing import Any

DEMO_PASSWORD = "kabinet-demo-2026"
SUPPLIER_NAME = "МедТехСнаб"


@dataclass(frozen=True)
class DemoSignIn:
    role: str
    company: str
    email: str


STAFF = [
    # email, full name, roles
    ("admin@medtech.example", "Алексей Администратов", ["administrator"]),
    ("manager@medtech.example", "Ирина Соколова", ["manager"]),
    ("manager2@medtech.example", "Дмитрий Орлов", ["manager"]),
    ("approver@medtech.example", "Наталья Белова", ["approver"]),
    ("editor@medtech.example", "Мария Редакторова", ["content_editor"]),
    ("support@medtech.example", "Павел Поддержкин", ["support"]),
]

STAFF_ROLE_TITLES = {
    "administrator": "staff: administrator",
    "manager": "staff: manager",
    "approver": "staff: approver",
    "content_editor": "staff: content editor",
    "support": "staff: support",
}

# Partners: key, name, city, head company key, manager e-mail, ERP id.
PARTNERS = [
    ("zdorovie", "Группа клиник «Здоровье»", "Москва", None, "manager@medtech.example"),
    (
        "zdorovie-north",
        "Клиника «Здоровье» Север",
        "Санкт-Петербург",
        "zdorovie",
        "manager@medtech.example",
    ),
    ("zdorovie-south", "Клиника «Здоровье» Юг", "Краснодар", "zdorovie", "manager@medtech.example"),
    ("farmaplus", "Аптечная сеть «Фарма Плюс»", "Новосибирск", None, "manager2@medtech.example"),
    ("baltic", "SIA Baltic Medical", "Rīga", None, "manager2@medtech.example"),
    # Created by the ERP exchange, no key user yet: shown as inactive (PRT2).
    ("dentapro", "Стоматология «Дента Про»", "Екатеринбург", None, "manager@medtech.example"),
]

# Counterparties: partner key, name, country, tax ID, KPP or registration number, address.
COUNTERPARTIES = [
    (
        "zdorovie",
        "ООО «Здоровье Холдинг»",
        "RU",
        "7701234560",
        "770101001",
        "125009, Москва, ул. Тверская, 7",
    ),
    (
        "zdorovie-north",
        "ООО «Клиника Здоровье Север»",
        "RU",
        "7812345675",
        "781201001",
        "191186, Санкт-Петербург, Невский пр., 28",
    ),
    (
        "zdorovie-south",
        "ООО «Клиника Здоровье Юг»",
        "RU",
        "5023456783",
        "231001001",
        "350000, Краснодар, ул. Красная, 112",
    ),
    (
        "farmaplus",
        "ООО «Фарма Плюс»",
        "RU",
        "5409876540",
        "540901001",
        "630099, Новосибирск, Красный пр., 25",
    ),
    (
        "farmaplus",
        "ООО «Фарма Плюс Логистик»",
        "RU",
        "6630123450",
        "663001001",
        "620014, Екатеринбург, ул. Малышева, 51",
    ),
    (
        "baltic",
        "SIA Baltic Medical",
        "LV",
        "40003000002",
        "LV40003000002",
        "Brīvības iela 40, Rīga, LV-1050",
    ),
    (
        "dentapro",
        "ООО «Дента Про»",
        "RU",
        "7719876544",
        "771901001",
        "620075, Екатеринбург, ул. Ленина, 50",
    ),
]

# Agreements: counterparty tax ID, number, currency, price list, deferral days, main.
AGREEMENTS = [
    ("7701234560", "МТС-2025/014", "RUB", "Дилерская", 30, True),
    ("7812345675", "МТС-2025/015", "RUB", "Дилерская", 30, True),
    ("5023456783", "МТС-2025/016", "RUB", "Дилерская", 14, True),
    ("5409876540", "МТС-2024/101", "RUB", "Оптовая", 45, True),
    ("6630123450", "МТС-2025/102", "RUB", "Оптовая", 0, False),
    ("40003000002", "MTS-EU-2025/7", "EUR", "Export EUR", 60, True),
    ("7719876544", "МТС-2026/003", "RUB", "Розничная", 0, True),
]

# Delivery addresses: partner key, title, postal code, city, address, default.
ADDRESSES = [
    ("zdorovie", "Центральный склад", "129626", "Москва", "пр. Мира, 102, стр. 3", True),
    ("zdorovie", "Клиника на Арбате", "119002", "Москва", "ул. Арбат, 20", False),
    ("zdorovie-north", "Клиника", "191186", "Санкт-Петербург", "Невский пр., 28", True),
    ("zdorovie-south", "Клиника", "350000", "Краснодар", "ул. Красная, 112", True),
    ("farmaplus", "Склад", "630108", "Новосибирск", "ул. Станционная, 38", True),
    ("farmaplus", "Аптека № 4", "630005", "Новосибирск", "ул. Гоголя, 15", False),
    ("baltic", "Warehouse", "LV-1073", "Rīga", "Krasta iela 52", True),
    ("dentapro", "Клиника", "620075", "Екатеринбург", "ул. Ленина, 50", True),
]

# Partner users: email, full name, phone, [(partner key, role, rights)].
PARTNER_USERS: list[tuple[str, str, str, list[tuple[str, str, list[str]]]]] = [
    (
        "olga@zdorovie.example",
        "Ольга Смирнова",
        "+7 916 123-45-67",
        [("zdorovie", "partner_admin", []), ("zdorovie-north", "partner_admin", [])],
    ),
    (
        "sergey@zdorovie.example",
        "Сергей Кузнецов",
        "+7 918 222-33-44",
        [("zdorovie-south", "partner_admin", [])],
    ),
    (
        "ivan@zdorovie.example",
        "Иван Петров",
        "+7 916 765-43-21",
        [
            ("zdorovie", "partner_user", ["orders", "materials", "support"]),
            ("zdorovie-south", "partner_user", ["orders", "reports"]),
        ],
    ),
    (
        "anna@farmaplus.example",
        "Анна Волкова",
        "+7 913 555-66-77",
        [("farmaplus", "partner_admin", [])],
    ),
    (
        "petr@farmaplus.example",
        "Пётр Соловьёв",
        "+7 913 888-99-00",
        [("farmaplus", "partner_user", ["orders", "finance"])],
    ),
    (
        "janis@balticmed.example",
        "Jānis Bērziņš",
        "+371 2612 3456",
        [("baltic", "partner_admin", [])],
    ),
]

# An invitation waiting for the key user of the partner that has none yet (PRT2, ACC5).
# The 1C exchange (INT2): 1C:Trade Management signs in to /exchange/1c/ with this login and
# the demo password; listed with the sign-ins (role "1C exchange", the login as the e-mail).
ONEC_INTEGRATION_NAME = "1C:Управление торговлей 11"
ONEC_LOGIN = "1c@medtech.example"
ONEC_ROLE = "1C exchange"

PENDING_INVITATION = ("dentapro", "Виктор Зайцев", "viktor@dentapro.example")

# Contacts without an account: partner key, name, position, email, phone.
CONTACTS = [
    ("zdorovie", "Елена Морозова", "Главный бухгалтер", "buh@zdorovie.example", "+7 495 100-20-30"),
    (
        "zdorovie",
        "Андрей Лебедев",
        "Заведующий складом",
        "sklad@zdorovie.example",
        "+7 495 100-20-31",
    ),
    ("farmaplus", "Татьяна Никитина", "Директор", "director@farmaplus.example", "+7 383 200-30-40"),
    ("baltic", "Līga Ozola", "Purchasing manager", "liga@balticmed.example", "+371 6700 1122"),
    ("dentapro", "Виктор Зайцев", "Главный врач", "info@dentapro.example", "+7 343 300-40-50"),
]

INFO_PAGES: list[dict[str, Any]] = [
    {
        "slug": "portal-features",
        "position": 1,
        "title_ru": "Возможности портала",
        "title_en": "What the portal does",
        "summary_ru": "Заказы по контрактным ценам, счета, оплаты и отчёты — круглосуточно.",
        "summary_en": "Orders at contract prices, invoices, payments and reports, day and night.",
        "body_ru": (
            "В личном кабинете партнёра вы видите каталог с вашими ценами и остатками, "
            "оформляете заказы и черновики, загружаете заказ из файла.\n\n"
            "Здесь же — счета, оплаты, акты сверки, отчёты о продажах и связь с вашим "
            "менеджером."
        ),
        "body_en": (
            "In the partner portal you see the catalogue with your prices and stock, place "
            "orders and drafts, and upload an order from a spreadsheet.\n\n"
            "Invoices, payments, reconciliation statements, sales reports and your manager are "
            "here too."
        ),
    },
    {
        "slug": "partnership",
        "position": 2,
        "title_ru": "Преимущества партнёрства",
        "title_en": "Why partner with us",
        "summary_ru": "Отсрочка платежа, персональные цены, бонусы за выполнение плана.",
        "summary_en": "Payment deferral, personal prices and bonuses for meeting the plan.",
        "body_ru": (
            "Партнёры МедТехСнаб получают персональные прайс-листы, отсрочку платежа до 60 дней "
            "и бонусы за выполнение плана закупок.\n\n"
            "Более 2 000 позиций медицинской одежды, расходных материалов и оборудования со "
            "склада в Москве."
        ),
        "body_en": (
            "MedTechSnab partners get personal price lists, up to 60 days of payment deferral "
            "and bonuses for meeting their purchase plan.\n\n"
            "Over 2,000 items of medical clothing, consumables and equipment from our Moscow "
            "warehouse."
        ),
    },
    {
        "slug": "how-to-join",
        "position": 3,
        "title_ru": "Как стать партнёром",
        "title_en": "How to become a partner",
        "summary_ru": "Напишите нам — менеджер пришлёт приглашение в кабинет.",
        "summary_en": "Write to us and a manager will send you an invitation.",
        "body_ru": (
            "Напишите на partners@medtech.example: менеджер заключит договор и пришлёт "
            "приглашение ключевому пользователю вашей компании."
        ),
        "body_en": (
            "Write to partners@medtech.example: a manager will sign the agreement and send an "
            "invitation to your company's key user."
        ),
    },
]


def sign_ins() -> list[DemoSignIn]:
    """The table printed by seed_demo and listed in README.md."""
    partner_names = {key: name for key, name, *_ in PARTNERS}
    rows = [
        DemoSignIn(STAFF_ROLE_TITLES[roles[0]], SUPPLIER_NAME, email)
        for email, _name, roles in STAFF
    ]
    for email, _name, _phone, memberships in PARTNER_USERS:
        role = "partner admin" if memberships[0][1] == "partner_admin" else "partner user"
        companies = ", ".join(partner_names[key] for key, *_ in memberships)
        rows.append(DemoSignIn(role, companies, email))
    return rows


def integration_sign_ins() -> list[DemoSignIn]:
    """Machine sign-ins (not users): printed by seed_demo and listed in README.md too."""
    return [DemoSignIn(ONEC_ROLE, SUPPLIER_NAME, ONEC_LOGIN)]
