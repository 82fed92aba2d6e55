"""The quick order pages under /cart/quick-order/ (ORD5).

    upload  →  map the columns (with a preview, redrawn over htmx as the mapping changes)
            →  the report (a progress bar first for big files)  →  merge into / replace the cart

Every page with an import id finds it among the user's own imports in the current partner
or answers 404, whatever the method (another user's, another partner's, a missing one alike);
only then is the method checked. Nothing reaches the cart before "Add to cart" or "Replace".
"""

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import (
    Http404,
    HttpResponse,
    HttpResponseRedirect,
)
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kabinet.catalog.selectors import MAX_ID
from kabinet.catalog.views import current_agreement
from kabinet.orders.models import QuickOrderImport
from kabinet.orders.quick_order import files, report
from kabinet.orders.quick_order.forms import (
    MappingForm,
    UploadForm,
    column_labels,
    mapping_initial,
)
from kabinet.orders.quick_order.matching import (
    REASONS,
    WARNINGS,
    Mapping,
    line_labels,
    rows_match,
)
from kabinet.orders.quick_order.selectors import partner_article_count, quick_order_get
from kabinet.orders.quick_order.services import (
    INLINE_ROWS,
    mapping_check,
    quick_order_apply,
    quick_order_map,
    quick_order_upload,
)
from kabinet.orders.services import MAX_LINES
from kabinet.partners.access import PartnerRequest, method_refused, require_right
from kabinet.partners.models import Partner
from kabinet.partners.rights import Right
from kabinet.web.spreadsheets import XLSX_TYPE

Status = QuickOrderImport.Status
SHOWN_REJECTED = 200  # rows listed on the report page; the XLSX report has them all
SHOWN_LINES = 100


def _partner(request: PartnerRequest) -> Partner:
    assert request.partner is not None  # guaranteed by @require_right
    return request.partner


def _import(request: PartnerRequest, import_id: int, *fields: str) -> QuickOrderImport:
    if import_id > MAX_ID:
        raise Http404
    try:
        return quick_order_get(
            partner=_partner(request), user=request.user, import_id=import_id, fields=fields
        )
    except QuickOrderImport.DoesNotExist as exc:
        raise Http404 from exc


def _download(content: bytes, file_name: str, content_type: str) -> HttpResponse:
    """R11: downloads are attachments, never sniffed into something a browser runs."""
    response = HttpResponse(content, content_type=content_type)
    response.headers["Content-Disposition"] = _disposition(file_name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _disposition(file_name: str) -> str:
    from django.utils.http import content_disposition_header

    header = content_disposition_header(as_attachment=True, filename=file_name)
    assert header is not None
    return header


# --- Upload --------------------------------------------------------------------------------


def _upload_page(
    request: PartnerRequest, form: UploadForm | None = None, status: int = 200, error: str = ""
) -> HttpResponse:
    partner = _partner(request)
    return render(
        request,
        "orders/quick_order/upload.html",
        {
            "form": form or UploadForm(),
            "error": error,
            "article_count": partner_article_count(partner=partner),
            "max_rows": files.MAX_DATA_ROWS,
            "inline_rows": INLINE_ROWS,
        },
        status=status,
    )


def _too_large(request: PartnerRequest) -> HttpResponse:
    error = _("The file is larger than %(size)s MB.") % {"size": files.MAX_UPLOAD_BYTES // 2**20}
    return _upload_page(request, status=413, error=error)


@require_right(Right.ORDERS)
def upload(request: PartnerRequest) -> HttpResponse:
    if refusal := method_refused(request, "GET", "POST"):
        return refusal
    if request.method == "GET":
        return _upload_page(request)
    # R11: 413 from the size the client declared. (Django has streamed a large body to a
    # temporary file, not memory, for the CSRF check; the reverse proxy's body limit keeps
    # anything far larger from being read at all: README, Production.)
    if files.body_too_large(request.META.get("CONTENT_LENGTH")):
        return _too_large(request)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _upload_page(request, form, status=400)
    uploaded = form.cleaned_data["file"]
    if uploaded.size > files.MAX_UPLOAD_BYTES:
        return _too_large(request)
    partner = _partner(request)
    agreement = current_agreement(request, partner)[1]
    if agreement is None:
        return _upload_page(request, form, 400, _("Your company has no agreement to order under."))
    try:
        table = files.upload_read(uploaded)
    except ValidationError as exc:
        status = 413 if exc.code == "too_large" else 400
        return _upload_page(request, form, status, " ".join(exc.messages))
    item = quick_order_upload(
        partner=partner,
        user=request.user,
        agreement=agreement,
        file_name=files.file_name_clean(uploaded.name or "") or "order",
        table=table,
    )
    return HttpResponseRedirect(reverse("orders:quick_order_map", args=[item.pk]))


@require_right(Right.ORDERS)
def template_xlsx(request: PartnerRequest) -> HttpResponse:
    if refusal := method_refused(request, "GET"):
        return refusal
    return _download(report.template_xlsx(), _("quick-order.xlsx"), XLSX_TYPE)


@require_right(Right.ORDERS)
def template_csv(request: PartnerRequest) -> HttpResponse:
    if refusal := method_refused(request, "GET"):
        return refusal
    return _download(report.template_csv(), _("quick-order.csv"), "text/csv; charset=utf-8")


# --- Mapping -------------------------------------------------------------------------------


def _mapping_form(item: QuickOrderImport, data: object = None) -> MappingForm:
    mapping = Mapping.from_json(item.mapping)
    columns = column_labels(item.head, item.column_count, item.column_offset, header=mapping.header)
    if data is not None:
        return MappingForm(data, columns=columns)
    return MappingForm(initial=mapping_initial(mapping), columns=columns)


def _preview(
    request: PartnerRequest, item: QuickOrderImport, form: MappingForm
) -> dict[str, object]:
    """The first rows as the mapping reads them: code, quantity, price and what became of
    each (matched against the catalog like the whole file will be)."""
    if not form.is_valid():
        return {"preview_error": " ".join(str(e) for e in form.errors.values())}
    mapping = form.mapping()
    try:
        mapping_check(mapping, item.column_count)
    except ValidationError as exc:
        return {"preview_error": " ".join(exc.messages)}
    outcome = rows_match(
        partner=_partner(request), agreement=item.agreement, rows=item.head, mapping=mapping
    )
    found = {line.first_row: line for line in outcome.lines}
    labels = line_labels(line.variant_id for line in outcome.lines)
    rejected = {rejection.row: rejection.reason for rejection in outcome.rejected}
    rows = []
    for row in item.head[1:] if mapping.header else item.head:
        number = int(row[0])
        cells = [str(cell) for cell in row[1:]]

        def cell(index: int | None, cells: list[str] = cells) -> str:
            return cells[index] if index is not None and index < len(cells) else ""

        line = found.get(number)
        sku, name = labels.get(line.variant_id, ("", "")) if line else ("", "")
        rows.append(
            {
                "number": number,
                "code": cell(mapping.code),
                "quantity": cell(mapping.quantity),
                "price": cell(mapping.price),
                "line": line,
                "sku": sku,
                "name": name,
                "reason": REASONS.get(rejected.get(number, ""), ""),
            }
        )
    return {"preview_rows": rows, "preview_mapping": mapping, "currency": outcome.currency}


@require_right(Right.ORDERS)
def mapping(request: PartnerRequest, import_id: int) -> HttpResponse:
    item = _import(request, import_id, "head")
    if refusal := method_refused(request, "GET", "POST"):
        return refusal
    if item.status in (Status.PROCESSING, Status.APPLIED):
        return HttpResponseRedirect(reverse("orders:quick_order_result", args=[item.pk]))
    status = 200
    if request.method == "POST":
        form = _mapping_form(item, request.POST)
        if form.is_valid():
            try:
                quick_order_map(
                    partner=_partner(request),
                    user=request.user,
                    import_id=item.pk,
                    mapping=form.mapping(),
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                return HttpResponseRedirect(reverse("orders:quick_order_result", args=[item.pk]))
        status = 400
    else:  # bound to the stored mapping, so that the preview can read it
        form = _mapping_form(item, mapping_initial(Mapping.from_json(item.mapping)))
    context = {"item": item, "form": form, **_preview(request, item, form)}
    return render(request, "orders/quick_order/map.html", context, status=status)


@require_right(Right.ORDERS)
def preview(request: PartnerRequest, import_id: int) -> HttpResponse:
    """The htmx answer to a change of the mapping: the preview table only."""
    item = _import(request, import_id, "head")
    if refusal := method_refused(request, "GET"):
        return refusal
    form = _mapping_form(item, request.GET)
    context = {"item": item, **_preview(request, item, form)}
    return render(request, "orders/quick_order/map.html#preview", context)


# --- Report and confirmation ---------------------------------------------------------------


def _reasons_shown(rejected: list[list[object]]) -> list[dict[str, object]]:
    return [
        {"row": row, "code": code, "quantity": quantity, "reason": REASONS.get(str(key), key)}
        for row, code, quantity, key in rejected[:SHOWN_REJECTED]
    ]


def _lines_shown(lines: list[list[Any]]) -> list[dict[str, object]]:
    shown = []
    labels = line_labels(line[0] for line in lines[:SHOWN_LINES])
    for line in lines[:SHOWN_LINES]:
        variant_id, quantity, price, expected, first_row, count, warning = line
        sku, name = labels.get(int(variant_id), ("", ""))
        shown.append(
            {
                "sku": sku,
                "name": name,
                "quantity": quantity,
                "price": Decimal(str(price)),
                "expected": expected,
                "first_row": first_row,
                "rows": count,
                "warning": WARNINGS.get(str(warning), "") if warning else "",
            }
        )
    return shown


@require_right(Right.ORDERS)
def result(request: PartnerRequest, import_id: int) -> HttpResponse:
    item = _import(request, import_id, "lines", "rejected")
    if refusal := method_refused(request, "GET"):
        return refusal
    if item.status == Status.UPLOADED:
        return HttpResponseRedirect(reverse("orders:quick_order_map", args=[item.pk]))
    line_count = len(item.lines)
    context = {
        "item": item,
        "rejected_rows": _reasons_shown(item.rejected),
        "more_rejected": max(0, len(item.rejected) - SHOWN_REJECTED),
        "lines": _lines_shown(item.lines),
        "line_count": line_count,
        "more_lines": max(0, line_count - SHOWN_LINES),
        "warning_count": sum(1 for line in item.lines if line[6]),
        "too_many_lines": line_count > MAX_LINES,
        "max_lines": MAX_LINES,
    }
    return render(request, "orders/quick_order/result.html", context)


@require_right(Right.ORDERS)
def progress(request: PartnerRequest, import_id: int) -> HttpResponse:
    """The progress bar, polled every second while a big file is processed; once it is
    done, htmx is sent to the report."""
    item = _import(request, import_id)
    if refusal := method_refused(request, "GET"):
        return refusal
    response = render(request, "orders/quick_order/result.html#progress", {"item": item})
    if item.status != Status.PROCESSING:
        response.headers["HX-Redirect"] = reverse("orders:quick_order_result", args=[item.pk])
    return response


@require_right(Right.ORDERS)
def apply(request: PartnerRequest, import_id: int) -> HttpResponse:
    item = _import(request, import_id)
    if refusal := method_refused(request, "POST"):
        return refusal
    mode = request.POST.get("mode", "")
    if mode not in ("merge", "replace"):
        messages.error(request, _("Choose to add to the cart or to replace it."))
        return HttpResponseRedirect(reverse("orders:quick_order_result", args=[item.pk]))
    try:
        written = quick_order_apply(
            partner=_partner(request),
            user=request.user,
            import_id=item.pk,
            mode=mode,  # type: ignore[arg-type]  # checked above
        )
    except ValidationError as exc:
        messages.error(
            request, _("The cart was not changed. %(errors)s") % {"errors": " ".join(exc.messages)}
        )
        return HttpResponseRedirect(reverse("orders:quick_order_result", args=[item.pk]))
    if mode == "replace":
        text = ngettext(
            "The cart now holds the %(count)s line of the file.",
            "The cart now holds the %(count)s lines of the file.",
            written,
        )
    else:
        text = ngettext(
            "%(count)s line of the file added to the cart.",
            "%(count)s lines of the file added to the cart.",
            written,
        )
    messages.success(request, text % {"count": written})
    return HttpResponseRedirect(reverse("orders:cart"))


@require_right(Right.ORDERS)
def report_download(request: PartnerRequest, import_id: int) -> HttpResponse:
    item = _import(request, import_id, "lines", "rejected")
    if refusal := method_refused(request, "GET"):
        return refusal
    if item.status not in (Status.READY, Status.APPLIED):
        return HttpResponseRedirect(reverse("orders:quick_order_result", args=[item.pk]))
    stem = item.file_name.rsplit(".", 1)[0] or "order"
    name = _("%(file)s-report.xlsx") % {"file": stem}
    return _download(report.report_xlsx(item), name, XLSX_TYPE)
