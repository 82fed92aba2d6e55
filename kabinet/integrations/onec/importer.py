"""`type=catalog&mode=import`: one uploaded file imported in steps.

1C repeats the import call while the answer is `progress`, so a long file is imported a
batch at a time within a time budget per call (ONEC_IMPORT_SECONDS), the position kept in the
session's state. Each batch commits on its own (the services are idempotent upserts: a batch
repeated after a crash between its commit and the saved position changes nothing more).
The file is re-read from its start at each call and the items already done are skipped:
parsing is fast next to applying, and no parser state has to survive between requests.
"""

import time
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import PurePosixPath
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from kabinet.integrations.onec import apply, commerceml
from kabinet.integrations.onec.storage import ExchangeFiles, StorageError


@dataclass(frozen=True)
class Answer:
    status: str  # success | progress | failure
    text: str = ""


def kind_of(filename: str) -> str | None:
    name = PurePosixPath(filename.replace("\\", "/")).name.lower()
    if not name.endswith(".xml"):
        return None
    if name.startswith("import"):
        return "catalog"
    if name.startswith(("offers", "prices", "rests")):
        return "offers"
    return None


def import_step(files: ExchangeFiles, filename: str, *, source: str) -> Answer:
    try:
        files.unpack_archives()
        path = files.path(filename)
    except StorageError as error:
        return Answer("failure", str(error))
    kind = kind_of(filename)
    if kind is None:
        return Answer(
            "failure",
            _("Kabinet imports import*.xml and offers*.xml, not %(name)s.") % {"name": filename},
        )
    if not path.is_file():
        return Answer("failure", _("The file %(name)s was not uploaded.") % {"name": filename})
    state = files.state()
    imports: dict[str, Any] = state.setdefault("imports", {})
    progress: dict[str, Any] = imports.setdefault(filename, {"done": 0, "finished": False})
    tally = apply.Tally()
    tally.merge(progress.get("tally", {}))
    if progress["finished"]:
        return Answer("success", tally.summary())
    deadline = time.monotonic() + float(settings.ONEC_IMPORT_SECONDS)
    try:
        if kind == "catalog":
            finished = _catalog_step(files, path, state, progress, tally, source, deadline)
        else:
            finished = _offers_step(files, path, state, progress, tally, source, deadline)
    except commerceml.CommerceMLError as error:
        return Answer("failure", str(error))
    finally:
        progress["tally"] = tally.as_dict()
        files.save_state(state)
    if not finished:
        return Answer("progress", _("%(done)d items imported") % {"done": progress["done"]})
    return Answer("success", _summary(tally))


def _summary(tally: apply.Tally) -> str:
    lines = [tally.summary()]
    lines.extend(tally.errors)
    return "\n".join(line for line in lines if line)


def _batches[T](items: Iterator[T], skip: int) -> Iterator[list[T]]:
    size = int(settings.ONEC_IMPORT_BATCH)
    for _skipped in islice(items, skip):
        pass
    while batch := list(islice(items, size)):
        yield batch


def _catalog_step(
    files: ExchangeFiles,
    path: Any,
    state: dict[str, Any],
    progress: dict[str, Any],
    tally: apply.Tally,
    source: str,
    deadline: float,
) -> bool:
    header, products = commerceml.read_catalog(path)
    properties: dict[str, commerceml.Property] = {}
    if header.classifier is not None:
        properties = header.classifier.properties
        # Remembered: a changes-only file of a later exchange names them by id only.
        memory = files.memory()
        memory.setdefault("price_types", {}).update(
            {t.erp_id: [t.name, t.currency] for t in header.classifier.price_types}
        )
        files.save_memory(memory)
        if progress["done"] == 0 and not progress.get("classifier_done"):
            with transaction.atomic():
                apply.apply_classifier(header.classifier, source=source, tally=tally)
            progress["classifier_done"] = True
    else:
        properties = {
            pid: commerceml.Property(pid, name, values)
            for pid, (name, values) in files.memory().get("properties", {}).items()
        }
    finished = True
    articles: dict[str, list[str]] = {}
    for batch in _batches(products, progress["done"]):
        with transaction.atomic():
            apply.apply_products(batch, properties, source=source, tally=tally)
        for product in batch:
            if product.article or product.barcode:
                articles[product.erp_id] = [product.article, product.barcode]
        progress["done"] += len(batch)
        if time.monotonic() > deadline:
            finished = False
            break
    memory = files.memory()
    if header.classifier is not None:
        memory["properties"] = {
            pid: [p.name, p.values] for pid, p in header.classifier.properties.items()
        }
    memory.setdefault("articles", {}).update(articles)
    files.save_memory(memory)
    progress["finished"] = finished
    return finished


def _offers_step(
    files: ExchangeFiles,
    path: Any,
    state: dict[str, Any],
    progress: dict[str, Any],
    tally: apply.Tally,
    source: str,
    deadline: float,
) -> bool:
    _header, types, offers = commerceml.read_offers(path)
    memory = files.memory()
    known: dict[str, list[str]] = memory.setdefault("price_types", {})
    for price_type in types:
        known[price_type.erp_id] = [price_type.name, price_type.currency]
    files.save_memory(memory)
    price_types = {
        erp_id: commerceml.PriceType(erp_id, name, currency)
        for erp_id, (name, currency) in known.items()
    }
    if types and progress["done"] == 0 and not progress.get("price_types_done"):
        with transaction.atomic():
            apply.apply_price_types(types, source=source, tally=tally)
        progress["price_types_done"] = True
    articles: dict[str, list[str]] = memory.get("articles", {})
    for batch in _batches(offers, progress["done"]):
        with transaction.atomic():
            ready = apply.apply_offer_variants(batch, articles, source=source, tally=tally)
            apply.apply_prices_and_stock(batch, price_types, ready, source=source, tally=tally)
        progress["done"] += len(batch)
        if time.monotonic() > deadline:
            return False
    progress["finished"] = True
    return True
