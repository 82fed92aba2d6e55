"""Reading and writing CommerceML 2, the XML that 1C exchanges with web sites.

Reading is streaming (`lxml.etree.iterparse`, each finished element cleared), so a catalog of
hundreds of megabytes is read in constant memory, and safe (R12): no DTD is loaded, no entity
is resolved, nothing is fetched from the network, and a document with a DOCTYPE at all is
refused before its first element is read — CommerceML never has one, and a DOCTYPE is where
billion-laughs and external-entity attacks live.

Elements are matched by local name, so files with the `urn:1C.ru:commerceml_2` namespace
(1C:Trade Management 11) and without it (older configurations, Bitrix samples) read the
same; the encoding comes from the XML declaration (UTF-8 or windows-1251).

What is read maps to small dataclasses of CommerceML's own terms (`Group`, `Product`,
`Offer`, `OrderUpdate`); `onec.apply` turns them into the catalog's and orders' services.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _
from lxml import etree

NAMESPACE = "urn:1C.ru:commerceml_2"
SCHEMA_VERSION = "2.05"
# The prolog (declaration, comments, a DOCTYPE if any) is read before the first element.
PROLOG_BYTES = 64 * 1024
_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_TRUE = {"true", "1", "да", "yes"}


class CommerceMLError(Exception):
    """The file is not CommerceML we can read; the message says why, for 1C's log."""


@dataclass(frozen=True)
class Group:
    erp_id: str
    name: str
    parent_erp_id: str | None
    position: int


@dataclass(frozen=True)
class Property:
    erp_id: str
    name: str
    # Reference ("Справочник") properties: value id → value text.
    values: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Classifier:
    groups: list[Group]
    properties: dict[str, Property]
    price_types: list["PriceType"]


@dataclass(frozen=True)
class Product:
    erp_id: str
    name: str
    article: str = ""
    barcode: str = ""
    group_erp_id: str | None = None
    description: str = ""
    manufacturer: str = ""
    # property id → value as sent (a reference value's id, or text)
    property_values: dict[str, str] = field(default_factory=dict)
    requisites: dict[str, str] = field(default_factory=dict)
    characteristics: dict[str, str] = field(default_factory=dict)
    deleted: bool = False


@dataclass(frozen=True)
class PriceType:
    erp_id: str
    name: str
    currency: str


@dataclass(frozen=True)
class OfferPrice:
    price_type_erp_id: str
    amount: Decimal
    currency: str = ""


@dataclass(frozen=True)
class Offer:
    erp_id: str  # "product" or "product#variant"
    name: str = ""
    article: str = ""
    barcode: str = ""
    characteristics: dict[str, str] = field(default_factory=dict)
    prices: tuple[OfferPrice, ...] = ()
    quantity: Decimal | None = None
    deleted: bool = False

    @property
    def product_erp_id(self) -> str:
        return self.erp_id.partition("#")[0]


@dataclass(frozen=True)
class OrderUpdate:
    """An order document 1C sends back (type=sale, mode=file): what it says of the order."""

    erp_id: str
    number: str
    site_number: str
    requisites: dict[str, str]


# --- the safe streaming reader ---------------------------------------------------------------


def _local(tag: object) -> str:
    if not isinstance(tag, str):
        return ""  # comments and processing instructions
    return tag.rpartition("}")[2]


def check_prolog(path: Path) -> None:
    """Refuse a DOCTYPE or an entity declaration before any parsing (R12). Markup in the
    text of a CommerceML file is escaped (`&lt;`), so a raw `<!DOCTYPE` is only ever markup."""
    with path.open("rb") as file:
        head = file.read(PROLOG_BYTES)
    if _DOCTYPE.search(head):
        raise CommerceMLError(_dtd_refused())


def _dtd_refused() -> str:
    return _("The file declares a DTD or entities, which CommerceML never has: refused.")


def _events(path: Path, tags: tuple[str, ...] | None = None) -> Iterator[tuple[str, Any]]:
    check_prolog(path)
    context = etree.iterparse(
        str(path),
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    first = True
    try:
        for event, element in context:
            if first:
                first = False
                docinfo = element.getroottree().docinfo
                if docinfo.doctype or docinfo.internalDTD is not None:
                    raise CommerceMLError(_dtd_refused())
                if _local(element.tag) != "КоммерческаяИнформация":
                    raise CommerceMLError(_("Not a CommerceML file: no КоммерческаяИнформация."))
            yield event, element
    except etree.XMLSyntaxError as error:
        raise CommerceMLError(
            _("The XML is not well-formed: %(error)s") % {"error": error}
        ) from error


def _release(element: Any) -> None:
    """Free a processed element and the siblings before it: memory stays flat."""
    element.clear(keep_tail=False)
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


def _child(element: Any, name: str) -> Any | None:
    for child in element:
        if _local(child.tag) == name:
            return child
    return None


def _children(element: Any, name: str) -> Iterator[Any]:
    for child in element:
        if _local(child.tag) == name:
            yield child


def _text(element: Any, name: str) -> str:
    child = _child(element, name)
    if child is None or child.text is None:
        return ""
    return child.text.strip()


def _decimal(text: str) -> Decimal | None:
    text = text.replace("\xa0", "").replace(" ", "").replace(",", ".")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _is_true(text: str) -> bool:
    return text.strip().lower() in _TRUE


def _pairs(element: Any | None, container: str, item: str, key: str, value: str) -> dict[str, str]:
    """{key: value} of e.g. ЗначенияРеквизитов/ЗначениеРеквизита/(Наименование, Значение)."""
    result: dict[str, str] = {}
    box = _child(element, container) if element is not None else None
    if box is None:
        return result
    for entry in _children(box, item):
        name = _text(entry, key)
        if name:
            result[name] = _text(entry, value)
    return result


def _changes_only(element: Any) -> bool:
    attribute = element.get("СодержитТолькоИзменения")
    if attribute is not None:
        return _is_true(attribute)
    return False


# --- import.xml ------------------------------------------------------------------------------


@dataclass
class CatalogFile:
    """What the first pass over import.xml or offers.xml found before its items."""

    changes_only: bool = False
    classifier: Classifier | None = None


def _groups(box: Any, parent: str | None, into: list[Group]) -> None:
    for position, element in enumerate(_children(box, "Группа")):
        erp_id = _text(element, "Ид")
        if not erp_id:
            continue
        into.append(Group(erp_id, _text(element, "Наименование") or erp_id, parent, position))
        nested = _child(element, "Группы")
        if nested is not None:
            _groups(nested, erp_id, into)


def _properties(box: Any) -> dict[str, Property]:
    result: dict[str, Property] = {}
    for element in box:
        if _local(element.tag) not in {"Свойство", "СвойствоНоменклатуры"}:
            continue
        erp_id = _text(element, "Ид")
        if not erp_id:
            continue
        values: dict[str, str] = {}
        options = _child(element, "ВариантыЗначений")
        if options is not None:
            for option in options:
                value_id = _text(option, "ИдЗначения") or _text(option, "Ид")
                if value_id:
                    values[value_id] = _text(option, "Значение")
        result[erp_id] = Property(erp_id, _text(element, "Наименование") or erp_id, values)
    return result


def _price_types(box: Any) -> list[PriceType]:
    types = []
    for element in _children(box, "ТипЦены"):
        erp_id = _text(element, "Ид")
        if erp_id:
            types.append(
                PriceType(
                    erp_id, _text(element, "Наименование") or erp_id, _text(element, "Валюта")
                )
            )
    return types


def _classifier(element: Any) -> Classifier:
    groups: list[Group] = []
    box = _child(element, "Группы")
    if box is not None:
        _groups(box, None, groups)
    properties = _child(element, "Свойства")
    price_types = _child(element, "ТипыЦен")
    return Classifier(
        groups=groups,
        properties=_properties(properties) if properties is not None else {},
        price_types=_price_types(price_types) if price_types is not None else [],
    )


def _product(element: Any) -> Product:
    groups = _child(element, "Группы")
    manufacturer = _child(element, "Изготовитель")
    barcode = _text(element, "Штрихкод")
    characteristics = _pairs(
        element, "ХарактеристикиТовара", "ХарактеристикаТовара", "Наименование", "Значение"
    )
    return Product(
        erp_id=_text(element, "Ид"),
        name=_text(element, "Наименование"),
        article=_text(element, "Артикул"),
        barcode=barcode,
        group_erp_id=(_text(groups, "Ид") or None) if groups is not None else None,
        description=_text(element, "Описание"),
        manufacturer=_text(manufacturer, "Наименование") if manufacturer is not None else "",
        property_values=_pairs(element, "ЗначенияСвойств", "ЗначенияСвойства", "Ид", "Значение"),
        requisites=_pairs(
            element, "ЗначенияРеквизитов", "ЗначениеРеквизита", "Наименование", "Значение"
        ),
        characteristics=characteristics,
        deleted=_text(element, "Статус") == "Удален"
        or _is_true(_text(element, "ПометкаУдаления"))
        or element.get("Статус") == "Удален",
    )


def read_catalog(path: Path) -> tuple[CatalogFile, Iterator[Product]]:
    """import.xml: the classifier (read whole: it is small) and then the products, one at a
    time. The products iterator must be consumed after the header is used."""
    header = CatalogFile()
    events = _events(path)
    items = _catalog_items(events, header)
    # Run up to the first product (or the end), so the header is complete.
    first = next(items, None)

    def products() -> Iterator[Product]:
        if first is not None:
            yield first
            yield from items

    return header, products()


def _catalog_items(events: Iterator[tuple[str, Any]], header: CatalogFile) -> Iterator[Product]:
    for event, element in events:
        name = _local(element.tag)
        if event == "start":
            if name == "Каталог" and _changes_only(element):
                header.changes_only = True
            continue
        if name == "Классификатор":
            header.classifier = _classifier(element)
            _release(element)
        elif name == "СодержитТолькоИзменения":
            parent = element.getparent()
            if parent is not None and _local(parent.tag) in {"Каталог", "ПакетПредложений"}:
                header.changes_only = header.changes_only or _is_true(element.text or "")
        elif name == "Товар":
            parent = element.getparent()
            if parent is not None and _local(parent.tag) == "Товары":
                product = _product(element)
                _release(element)
                if product.erp_id:
                    yield product


# --- offers.xml (and prices.xml, rests.xml of newer schema versions) --------------------------


def _offer(element: Any) -> Offer:
    prices: list[OfferPrice] = []
    box = _child(element, "Цены")
    if box is not None:
        for price in _children(box, "Цена"):
            amount = _decimal(_text(price, "ЦенаЗаЕдиницу"))
            type_id = _text(price, "ИдТипаЦены")
            if amount is not None and type_id:
                prices.append(OfferPrice(type_id, amount, _text(price, "Валюта")))
    quantity = _decimal(_text(element, "Количество"))
    rests = _child(element, "Остатки")
    if rests is not None:
        # Per warehouse (or one total): Kabinet keeps one quantity per variant.
        total = Decimal(0)
        found = False
        for rest in _children(rests, "Остаток"):
            own = _decimal(_text(rest, "Количество"))
            values = (
                [own]
                if own is not None
                else [_decimal(_text(store, "Количество")) for store in _children(rest, "Склад")]
            )
            for value in values:
                if value is not None:
                    total += value
                    found = True
        if found:
            quantity = total
    characteristics = _pairs(
        element, "ХарактеристикиТовара", "ХарактеристикаТовара", "Наименование", "Значение"
    )
    return Offer(
        erp_id=_text(element, "Ид"),
        name=_text(element, "Наименование"),
        article=_text(element, "Артикул"),
        barcode=_text(element, "Штрихкод"),
        characteristics=characteristics,
        prices=tuple(prices),
        quantity=quantity,
        deleted=_text(element, "Статус") == "Удален" or _is_true(_text(element, "ПометкаУдаления")),
    )


def read_offers(path: Path) -> tuple[CatalogFile, list[PriceType], Iterator[Offer]]:
    """offers.xml: the price types (read whole) and then the offers, one at a time."""
    header = CatalogFile()
    price_types: list[PriceType] = []
    events = _events(path)
    items = _offer_items(events, header, price_types)
    first = next(items, None)

    def offers() -> Iterator[Offer]:
        if first is not None:
            yield first
            yield from items

    return header, price_types, offers()


def _offer_items(
    events: Iterator[tuple[str, Any]], header: CatalogFile, price_types: list[PriceType]
) -> Iterator[Offer]:
    for event, element in events:
        name = _local(element.tag)
        if event == "start":
            if name == "ПакетПредложений" and _changes_only(element):
                header.changes_only = True
            continue
        if name == "ТипыЦен":
            price_types.extend(_price_types(element))
            _release(element)
        elif name == "Классификатор":
            header.classifier = _classifier(element)
            price_types.extend(header.classifier.price_types)
            _release(element)
        elif name == "СодержитТолькоИзменения":
            header.changes_only = header.changes_only or _is_true(element.text or "")
        elif name == "Предложение":
            offer = _offer(element)
            _release(element)
            if offer.erp_id:
                yield offer


# --- orders from 1C (type=sale, mode=file) ---------------------------------------------------


def read_orders(path: Path) -> Iterator[OrderUpdate]:
    for event, element in _events(path):
        if event != "end" or _local(element.tag) != "Документ":
            continue
        requisites = _pairs(
            element, "ЗначенияРеквизитов", "ЗначениеРеквизита", "Наименование", "Значение"
        )
        update = OrderUpdate(
            erp_id=_text(element, "Ид"),
            number=_text(element, "Номер"),
            site_number=requisites.get("Номер по данным сайта", "")
            or requisites.get("Номер заказа на сайте", "")
            or _text(element, "НомерНаСайте"),
            requisites=requisites,
        )
        _release(element)
        yield update


# --- orders to 1C (type=sale, mode=query) ----------------------------------------------------


@dataclass(frozen=True)
class DocumentLine:
    erp_id: str
    sku: str
    name: str
    quantity: Decimal
    price: Decimal
    amount: Decimal
    characteristics: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Counterparty:
    erp_id: str
    name: str
    tax_id: str = ""
    kpp: str = ""
    address: str = ""


@dataclass(frozen=True)
class Document:
    number: str
    at: datetime
    currency: str
    total: Decimal
    counterparty: Counterparty
    lines: list[DocumentLine]
    comment: str = ""
    requisites: dict[str, str] = field(default_factory=dict)


def _sub(parent: Any, name: str, text: object = None, **attributes: str) -> Any:
    element = etree.SubElement(parent, name, attributes)
    if text is not None:
        element.text = str(text)
    return element


def _requisites(parent: Any, values: dict[str, str]) -> None:
    box = _sub(parent, "ЗначенияРеквизитов")
    for name, value in values.items():
        entry = _sub(box, "ЗначениеРеквизита")
        _sub(entry, "Наименование", name)
        _sub(entry, "Значение", value)


def write_orders(documents: list[Document], *, now: datetime, encoding: str) -> bytes:
    """The orders as 1C's exchange reads them (Документ with ХозОперация «Заказ товара»)."""
    root = etree.Element(
        "КоммерческаяИнформация",
        {"ВерсияСхемы": SCHEMA_VERSION, "ДатаФормирования": now.strftime("%Y-%m-%dT%H:%M:%S")},
    )
    for document in documents:
        element = _sub(root, "Документ")
        _sub(element, "Ид", document.number)
        _sub(element, "Номер", document.number)
        _sub(element, "Дата", document.at.strftime("%Y-%m-%d"))
        _sub(element, "ХозОперация", "Заказ товара")
        _sub(element, "Роль", "Продавец")
        _sub(element, "Валюта", document.currency)
        _sub(element, "Курс", "1")
        _sub(element, "Сумма", f"{document.total:.2f}")
        counterparties = _sub(element, "Контрагенты")
        counterparty = _sub(counterparties, "Контрагент")
        _sub(counterparty, "Ид", document.counterparty.erp_id)
        _sub(counterparty, "Наименование", document.counterparty.name)
        _sub(counterparty, "ПолноеНаименование", document.counterparty.name)
        _sub(counterparty, "Роль", "Покупатель")
        if document.counterparty.tax_id:
            _sub(counterparty, "ИНН", document.counterparty.tax_id)
        if document.counterparty.kpp:
            _sub(counterparty, "КПП", document.counterparty.kpp)
        if document.counterparty.address:
            address = _sub(counterparty, "АдресРегистрации")
            _sub(address, "Представление", document.counterparty.address)
        _sub(element, "Время", document.at.strftime("%H:%M:%S"))
        if document.comment:
            _sub(element, "Комментарий", document.comment)
        goods = _sub(element, "Товары")
        for line in document.lines:
            good = _sub(goods, "Товар")
            _sub(good, "Ид", line.erp_id)
            _sub(good, "Артикул", line.sku)
            _sub(good, "Наименование", line.name)
            _sub(
                good,
                "БазоваяЕдиница",
                "шт",
                Код="796",
                НаименованиеПолное="Штука",
                МеждународноеСокращение="PCE",
            )
            _sub(good, "ЦенаЗаЕдиницу", f"{line.price:.2f}")
            _sub(good, "Количество", _quantity(line.quantity))
            _sub(good, "Сумма", f"{line.amount:.2f}")
            if line.characteristics:
                box = _sub(good, "ХарактеристикиТовара")
                for name, value in line.characteristics.items():
                    entry = _sub(box, "ХарактеристикаТовара")
                    _sub(entry, "Наименование", name)
                    _sub(entry, "Значение", value)
            _requisites(good, {"ВидНоменклатуры": "Товар", "ТипНоменклатуры": "Товар"})
        _requisites(element, document.requisites)
    body = etree.tostring(root, xml_declaration=True, encoding=encoding, pretty_print=True)
    assert isinstance(body, bytes)  # an encoding other than "unicode" gives bytes
    return body


def _quantity(value: Decimal) -> str:
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
