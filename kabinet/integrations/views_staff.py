"""The supplier's integration pages: the ERP connections with their API tokens and 1C
password (switched on and off here), and every message to an ERP with its integration, its
delivery attempts and a retry button."""

import json

from django.contrib import messages
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kabinet.integrations.forms import (
    MAX_ID,
    IntegrationCreateForm,
    IntegrationPasswordForm,
    OutboxFilterForm,
    TokenCreateForm,
)
from kabinet.integrations.models import Integration, IntegrationKind, IntegrationToken
from kabinet.integrations.services import (
    integration_create,
    integration_set_active,
    integration_set_password,
    integration_token_create,
    integration_token_revoke,
)
from kabinet.outbox.models import MessageStatus, OutboxMessage
from kabinet.outbox.selectors import (
    OutboxFilters,
    staff_outbox_counts,
    staff_outbox_message,
    staff_outbox_page,
)
from kabinet.outbox.services import NotFailed, outbox_retry, outbox_retry_all_failed
from kabinet.partners.access import PartnerRequest, staff_required


def _integrations_page(
    request: PartnerRequest,
    *,
    form: IntegrationCreateForm | None = None,
    new_token: tuple[IntegrationToken, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    integrations = (
        Integration.objects.prefetch_related(
            Prefetch("tokens", queryset=IntegrationToken.objects.order_by("-created_at", "pk"))
        )
        .annotate(
            pending=Count(
                "outbox_messages", filter=Q(outbox_messages__status=MessageStatus.PENDING)
            ),
            failed=Count("outbox_messages", filter=Q(outbox_messages__status=MessageStatus.FAILED)),
        )
        .order_by("name")
    )
    context = {
        "integrations": integrations,
        "form": form or IntegrationCreateForm(),
        "token_form": TokenCreateForm(),
        "password_form": IntegrationPasswordForm(),
        "new_token": new_token,
        "onec": IntegrationKind.ONEC,
        "can_change": request.user.has_perm("integrations.change_integration"),
    }
    return render(request, "integrations/staff_integrations.html", context, status=status)


def _back() -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("integrations:staff_list"), status=303)


def _integration(integration_id: int) -> Integration:
    if integration_id > MAX_ID:
        raise Http404
    try:
        return Integration.objects.get(pk=integration_id)
    except Integration.DoesNotExist as exc:
        raise Http404 from exc


@staff_required("integrations.view_integration")
def integration_list(request: PartnerRequest) -> HttpResponse:
    if request.method == "POST":
        if not request.user.has_perm("integrations.add_integration"):
            return HttpResponseNotAllowed(["GET"])
        form = IntegrationCreateForm(request.POST)
        if not form.is_valid():
            return _integrations_page(request, form=form, status=400)
        integration = integration_create(
            name=form.cleaned_data["name"],
            kind=IntegrationKind(form.cleaned_data["kind"]),
            actor=request.user,
            login=form.cleaned_data["login"] or None,
            outbound_url=form.cleaned_data["outbound_url"],
        )
        messages.success(request, _("Integration %(name)s created.") % {"name": integration.name})
        return _back()
    return _integrations_page(request)


@staff_required("integrations.change_integration")
@require_POST
def integration_token_new(request: PartnerRequest, integration_id: int) -> HttpResponse:
    integration = _integration(integration_id)
    form = TokenCreateForm(request.POST)
    name = form.cleaned_data["name"] if form.is_valid() else ""
    token, raw = integration_token_create(integration=integration, name=name, actor=request.user)
    # Rendered, not redirected: the plain token is on this one page and stored nowhere.
    response = _integrations_page(request, new_token=(token, raw))
    response["Cache-Control"] = "no-store"
    return response


@staff_required("integrations.change_integration")
@require_POST
def integration_token_revoke_view(request: PartnerRequest, token_id: int) -> HttpResponse:
    if token_id > MAX_ID:
        raise Http404
    token = IntegrationToken.objects.select_related("integration").filter(pk=token_id).first()
    if token is None:
        raise Http404
    integration_token_revoke(token=token, actor=request.user)
    messages.success(request, _("Token %(prefix)s… revoked.") % {"prefix": token.prefix})
    return _back()


@staff_required("integrations.change_integration")
@require_POST
def integration_password(request: PartnerRequest, integration_id: int) -> HttpResponse:
    integration = _integration(integration_id)
    form = IntegrationPasswordForm(request.POST)
    if not form.is_valid():
        for error in form.errors.get("password", []):
            messages.error(request, str(error))
        return _back()
    integration_set_password(
        integration=integration, password=form.cleaned_data["password"], actor=request.user
    )
    messages.success(request, _("The 1C password of %(name)s is set.") % {"name": integration.name})
    return _back()


@staff_required("integrations.change_integration")
@require_POST
def integration_active(request: PartnerRequest, integration_id: int) -> HttpResponse:
    integration = _integration(integration_id)
    is_active = request.POST.get("is_active") == "1"
    integration_set_active(integration=integration, is_active=is_active, actor=request.user)
    if is_active:
        text = _("%(name)s is on: its pending messages go out now.")
    else:
        text = _("%(name)s is off: its messages wait until it is switched on again.")
    messages.success(request, text % {"name": integration.name})
    return _back()


@staff_required("outbox.view_outboxmessage")
def outbox_list(request: PartnerRequest) -> HttpResponse:
    form = OutboxFilterForm(request.GET or None)
    filters = OutboxFilters()
    if form.is_valid():
        filters = OutboxFilters(
            status=form.cleaned_data["status"],
            topic=form.cleaned_data["topic"],
            partner_id=form.cleaned_data["partner"],
            integration_id=form.cleaned_data["integration"],
            before=form.cleaned_data["before"],
        )
    query = request.GET.copy()
    query.pop("before", None)
    context = {
        "form": form,
        "page": staff_outbox_page(filters=filters),
        "counts": staff_outbox_counts(),
        "querystring": query.urlencode(),
        "can_retry": request.user.has_perm("outbox.change_outboxmessage"),
    }
    if request.htmx and request.htmx.target == "results":
        return render(request, "integrations/staff_outbox.html#results", context)
    return render(request, "integrations/staff_outbox.html", context)


def _message_id_checked(message_id: int) -> int:
    if message_id > MAX_ID:
        raise Http404
    return message_id


@staff_required("outbox.view_outboxmessage")
def outbox_message(request: PartnerRequest, message_id: int) -> HttpResponse:
    try:
        message, attempts = staff_outbox_message(message_id=_message_id_checked(message_id))
    except OutboxMessage.DoesNotExist as exc:
        raise Http404 from exc
    context = {
        "message": message,
        "attempts": attempts,
        "payload_json": json.dumps(message.payload, ensure_ascii=False, indent=2),
        "can_retry": request.user.has_perm("outbox.change_outboxmessage"),
    }
    return render(request, "integrations/staff_outbox_message.html", context)


@staff_required("outbox.change_outboxmessage")
@require_POST
def outbox_message_retry(request: PartnerRequest, message_id: int) -> HttpResponse:
    message = OutboxMessage.objects.filter(pk=_message_id_checked(message_id)).first()
    if message is None:
        raise Http404
    try:
        outbox_retry(message=message, actor=request.user)
    except NotFailed:
        messages.info(request, _("This message is not failed: it is delivered or on its way."))
    else:
        messages.success(request, _("The message will be sent again shortly."))
    return HttpResponseRedirect(
        reverse("integrations:outbox_message", args=[message.pk]), status=303
    )


@staff_required("outbox.change_outboxmessage")
@require_POST
def outbox_retry_all(request: PartnerRequest) -> HttpResponse:
    count = outbox_retry_all_failed(actor=request.user)
    messages.success(
        request, _("%(count)d failed messages will be sent again shortly.") % {"count": count}
    )
    return HttpResponseRedirect(reverse("integrations:outbox"), status=303)
