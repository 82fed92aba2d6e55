"""The pages under /catalog/my-codes/: the partner's own article codes (ORD2).

Every page with an id finds the object among the current partner's (an upload: among the
user's own) or answers 404, whatever the method; only then is the method checked. The
partner is always the request's, never a posted one (R3).
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from kabinet.catalog.models import ArticleUpload, PartnerArticle
from kabinet.catalog.own_codes.forms import CodeSearchForm, CodeUploadForm
from kabinet.catalog.own_codes.matching import REASONS
from kabinet.catalog.own_codes.selectors import (
    article_changes,
    article_upload_get,
    entries_of,
    partner_article_get,
    partner_article_list,
    partner_article_rows,
)
from kabinet.catalog.own_codes.services import (
    article_upload_create,
    article_upload_discard,
    partner_article_delete,
    partner_articles_apply,
)
from kabinet.catalog.selectors import MAX_ID
from kabinet.orders.quick_order import files
from kabinet.orders.quick_order.matching import line_labels
from kabinet.partners.access import PartnerRequest, method_refused, require_right
from kabinet.partners.models import Partner
from kabinet.partners.rights import Right
from kabinet.web.spreadsheets import xlsx_response

PAGE_SIZE = 50
SHOWN_REJECTED = 200  # rows listed in the report; the rest are counted
SHOWN_ENTRIES = 50


def _partner(request: PartnerRequest) -> Partner:
    assert request.partner is not None  # guaranteed by @require_right
    return request.partner


def _list_url(q: str = "", page: str = "") -> str:
    params = {key: value for key, value in (("q", q), ("page", page)) if value}
    url = reverse("catalog:own_codes")
    return f"{url}?{urlencode(params)}" if params else url


def _upload(request: PartnerRequest, upload_id: int, *, heavy: bool = False) -> ArticleUpload:
    if upload_id > MAX_ID:
        raise Http404
    try:
        return article_upload_get(
            partner=_partner(request), user=request.user, upload_id=upload_id, heavy=heavy
        )
    except ArticleUpload.DoesNotExist as exc:
        raise Http404 from exc


# --- The table -----------------------------------------------------------------------------


@require_right(Right.ORDERS)
def code_list(request: PartnerRequest) -> HttpResponse:
    if refusal := method_refused(request, "GET"):
        return refusal
    form = CodeSearchForm(request.GET)
    term = form.term()
    articles = partner_article_list(partner=_partner(request), search=term)
    page = Paginator(articles, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "term": term,
        "page": page,
        "querystring": urlencode({"q": term}) if term else "",
    }
    return render(request, "catalog/own_codes.html", context)


@require_right(Right.ORDERS)
def code_delete(request: PartnerRequest, article_id: int) -> HttpResponse:
    partner = _partner(request)
    if article_id > MAX_ID:
        raise Http404
    try:
        article = partner_article_get(partner=partner, article_id=article_id)
    except PartnerArticle.DoesNotExist as exc:
        raise Http404 from exc
    if refusal := method_refused(request, "POST"):
        return refusal
    partner_article_delete(
        partner=partner, article_id=article.pk, actor=request.user, request=request
    )
    messages.success(request, _("Code %(code)s deleted.") % {"code": article.code})
    page = request.POST.get("page", "")
    return HttpResponseRedirect(
        _list_url(request.POST.get("q", "")[:100], page if page.isdigit() else "")
    )


@require_right(Right.ORDERS)
def code_export(request: PartnerRequest) -> HttpResponseBase:
    if refusal := method_refused(request, "GET"):
        return refusal
    return xlsx_response(
        _("my-codes.xlsx"),
        sheet=_("My codes"),
        header=[_("Your code"), _("SKU"), _("EAN"), _("Product")],
        rows=partner_article_rows(partner=_partner(request)),
    )


@require_right(Right.ORDERS)
def code_template(request: PartnerRequest) -> HttpResponseBase:
    if refusal := method_refused(request, "GET"):
        return refusal
    return xlsx_response(
        _("my-codes-template.xlsx"),
        sheet=_("My codes"),
        header=[_("Your code"), _("SKU or EAN")],
        rows=[],
    )


# --- Upload, report, confirmation ----------------------------------------------------------


def _upload_page(
    request: PartnerRequest, form: CodeUploadForm | None = None, status: int = 200, error: str = ""
) -> HttpResponse:
    context = {"form": form or CodeUploadForm(), "error": error, "max_rows": files.MAX_DATA_ROWS}
    return render(request, "catalog/own_codes_upload.html", context, status=status)


def _too_large(request: PartnerRequest) -> HttpResponse:
    error = _("The file is larger than %(size)s MB.") % {"size": files.MAX_UPLOAD_BYTES // 2**20}
    return _upload_page(request, status=413, error=error)


@require_right(Right.ORDERS)
def code_upload(request: PartnerRequest) -> HttpResponse:
    if refusal := method_refused(request, "GET", "POST"):
        return refusal
    if request.method == "GET":
        return _upload_page(request)
    # R11: 413 from the size the client declared. (Django has streamed a large body to a
    # temporary file, not memory, for the CSRF check; the reverse proxy's body limit keeps
    # anything far larger from being read at all: README, Production.)
    if files.body_too_large(request.META.get("CONTENT_LENGTH")):
        return _too_large(request)
    form = CodeUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _upload_page(request, form, status=400)
    uploaded = form.cleaned_data["file"]
    if uploaded.size > files.MAX_UPLOAD_BYTES:
        return _too_large(request)
    try:
        table = files.upload_read(uploaded)
    except ValidationError as exc:
        status = 413 if exc.code == "too_large" else 400
        return _upload_page(request, form, status, " ".join(exc.messages))
    upload = article_upload_create(
        partner=_partner(request),
        file_name=files.file_name_clean(uploaded.name or "") or "codes",
        table=table,
        actor=request.user,
    )
    return HttpResponseRedirect(reverse("catalog:own_codes_report", args=[upload.pk]))


@require_right(Right.ORDERS)
def upload_report(request: PartnerRequest, upload_id: int) -> HttpResponse:
    """What the upload would do, before anything is done."""
    upload = _upload(request, upload_id, heavy=True)
    if refusal := method_refused(request, "GET"):
        return refusal
    entries = entries_of(upload)
    changes = article_changes(partner=_partner(request), entries=entries)
    shown = entries[:SHOWN_ENTRIES]
    labels = line_labels(entry.variant_id for entry in shown)
    context = {
        "upload": upload,
        "changes": changes,
        "recognised": upload.rows_read - len(upload.rejected),
        "rejected_count": len(upload.rejected),
        "rejected_rows": [
            {"row": row, "code": code, "target": target, "reason": REASONS.get(reason, reason)}
            for row, code, target, reason in upload.rejected[:SHOWN_REJECTED]
        ],
        "more_rejected": max(0, len(upload.rejected) - SHOWN_REJECTED),
        "entries": [(entry, *labels.get(entry.variant_id, ("", ""))) for entry in shown],
        "entry_count": len(entries),
        "more_entries": max(0, len(entries) - SHOWN_ENTRIES),
    }
    return render(request, "catalog/own_codes_report.html", context)


@require_right(Right.ORDERS)
def upload_apply(request: PartnerRequest, upload_id: int) -> HttpResponse:
    upload = _upload(request, upload_id)
    if refusal := method_refused(request, "POST"):
        return refusal
    report_url = reverse("catalog:own_codes_report", args=[upload.pk])
    mode = request.POST.get("mode", "")
    if mode not in ("merge", "replace"):
        messages.error(request, _("Choose to merge the codes or to replace all of them."))
        return HttpResponseRedirect(report_url)
    try:
        applied = partner_articles_apply(
            partner=_partner(request),
            upload_id=upload.pk,
            mode=mode,  # type: ignore[arg-type]  # checked above
            actor=request.user,
            request=request,
        )
    except ArticleUpload.DoesNotExist as exc:  # applied by a second click meanwhile
        raise Http404 from exc
    except ValidationError as exc:
        messages.error(
            request, _("Nothing was changed. %(errors)s") % {"errors": " ".join(exc.messages)}
        )
        return HttpResponseRedirect(report_url)
    messages.success(
        request,
        _(
            "Codes saved: %(added)s added, %(replaced)s replaced, %(removed)s removed, "
            "%(unchanged)s unchanged."
        )
        % {
            "added": applied.added,
            "replaced": applied.replaced,
            "removed": applied.removed,
            "unchanged": applied.unchanged,
        },
    )
    return HttpResponseRedirect(reverse("catalog:own_codes"))


@require_right(Right.ORDERS)
def upload_discard(request: PartnerRequest, upload_id: int) -> HttpResponse:
    upload = _upload(request, upload_id)
    if refusal := method_refused(request, "POST"):
        return refusal
    article_upload_discard(partner=_partner(request), upload_id=upload.pk, actor=request.user)
    messages.info(request, _("The file was discarded; your codes are as they were."))
    return HttpResponseRedirect(reverse("catalog:own_codes"))
