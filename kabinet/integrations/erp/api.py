"""The exchange API an ERP calls (INT1): versioned JSON under /api/v1/, OpenAPI at /api/docs.

Every request authenticates with an integration's bearer token and, when it writes, carries
an `Idempotency-Key`: the first answer to a key is stored in the same transaction as the
changes, so a repeat gets that answer again (with `Idempotent-Replayed: true`) and changes
nothing, and the same key with a different body is refused (422, idempotency_key_reused).
Errors always have a stable `code` and a human `message`.
"""

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser

from kabinet.integrations.erp import (
    events,
    inbound,
    inbound_catalog,
    inbound_finance,
    inbound_orders,
    inbound_partners,
)
from kabinet.integrations.erp.exchange import ApiError, TokenAuth


class NulCharacter(ValueError):
    """A string in the body holds U+0000, which no database text column can store."""


def _refuse_nul(value: Any) -> None:
    if isinstance(value, str):
        if "\x00" in value:
            raise NulCharacter
    elif isinstance(value, dict):
        for key, item in value.items():
            _refuse_nul(key)
            _refuse_nul(item)
    elif isinstance(value, list):
        for item in value:
            _refuse_nul(item)


class ExchangeParser(Parser):
    """JSON, and no NUL characters anywhere (PostgreSQL refuses them in text: a 500)."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        data = super().parse_body(request)
        _refuse_nul(data)
        return data


api = NinjaAPI(
    parser=ExchangeParser(),
    title="Kabinet exchange API",
    version="1",
    description=(
        "Two-way exchange with the supplier's ERP. See docs/erp-exchange.md for payloads, "
        "idempotency and outbox semantics."
    ),
    urls_namespace="exchange_api",
    auth=TokenAuth(),
)


@api.exception_handler(ApiError)
def _api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    return api.create_response(
        request, {"code": exc.code, "message": exc.message}, status=exc.status_code
    )


@api.exception_handler(AuthenticationError)
def _unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = api.create_response(
        request,
        {"code": "unauthorized", "message": _("A valid, unrevoked API token is required.")},
        status=401,
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    detail = [
        {
            "loc": list(error.get("loc", ())),
            "msg": str(error.get("msg", "")),
            "type": error.get("type", ""),
        }
        for error in exc.errors
    ]
    return api.create_response(
        request,
        {
            "code": "invalid_payload",
            "message": _("The request does not match the schema; nothing was applied."),
            "detail": detail,
        },
        status=422,
    )


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400 and isinstance(exc.__cause__, NulCharacter):
        message = _("Text may not contain NUL characters; nothing was applied.")
        code = "nul_character"
    elif exc.status_code == 400 and exc.__cause__ is not None:  # ninja could not parse the body
        message = _("The request body is not valid JSON; nothing was applied.")
        code = "invalid_json"
    else:
        code, message = f"http_{exc.status_code}", str(exc)
    return api.create_response(request, {"code": code, "message": message}, status=exc.status_code)


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    message = _(
        "The request body is larger than %(size)s bytes; send the items in smaller batches."
    ) % {"size": settings.DATA_UPLOAD_MAX_MEMORY_SIZE}
    return api.create_response(
        request, {"code": "payload_too_large", "message": message}, status=413
    )


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(
        request, {"code": "not_found", "message": _("Not found.")}, status=404
    )


api.add_router("/v1/", inbound.router)
api.add_router("/v1/", inbound_catalog.router)
api.add_router("/v1/", inbound_partners.router)
api.add_router("/v1/", inbound_orders.router)
api.add_router("/v1/", inbound_finance.router)
api.add_router("/v1/", events.router)


def urlpatterns() -> list[URLPattern | URLResolver]:
    """The API's URLs, exempt from the session-based checks (LoginRequiredMiddleware, the
    password-change and second-factor redirects): an ERP has no session, and every operation
    authenticates with its token instead. The docs page and schema are public."""
    patterns, _app_name, _namespace = api.urls
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            pattern.callback.login_required = False  # type: ignore[attr-defined]
            pattern.callback.access_exempt = True  # type: ignore[attr-defined]
    return patterns
