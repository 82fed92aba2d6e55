"""What every exchange operation shares: stable error answers, the per-item batch answer,
and applying a write exactly once per idempotency key (see kabinet.integrations.erp.api)."""

import hashlib
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Schema, Status
from ninja.errors import HttpError
from ninja.security import HttpBearer

from kabinet.integrations.models import InboundRequest, Integration
from kabinet.integrations.services import token_authenticate
from kabinet.partners.sync import BatchOutcome

IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Integration | None:
        return token_authenticate(token)


class ApiError(HttpError):
    def __init__(self, status_code: int, code: str, message: str) -> None:
        super().__init__(status_code, message)
        self.code = code


class ErrorOut(Schema):
    code: str
    message: str
    detail: list[dict[str, Any]] | None = None


class ItemOut(Schema):
    index: int
    erp_id: str
    status: str
    code: str = ""
    message: str = ""


class BatchOut(Schema):
    counts: dict[str, int]
    results: list[ItemOut]


ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 413: ErrorOut, 422: ErrorOut}
BATCH_RESPONSES: dict[int, Any] = {200: BatchOut, **ERRORS}


class RowErrorOut(Schema):
    index: int
    key: dict[str, str]
    code: str
    message: str


class RowsOut(Schema):
    """The answer to a bulk load of rows (prices, stock): counts, and only the rejected rows
    (a 10,000-row load that went well answers with a few bytes)."""

    counts: dict[str, int]
    errors: list[RowErrorOut]


ROWS_RESPONSES: dict[int, Any] = {200: RowsOut, **ERRORS}


class _KeyTaken(Exception):
    """A concurrent request with the same idempotency key committed first."""


def exchange(
    request: HttpRequest,
    response: HttpResponse,
    *,
    operation: str,
    apply: Callable[[], BatchOutcome | dict[str, Any]],
) -> Status[dict[str, Any]]:
    """Apply one write request exactly once per idempotency key; see the module docstring."""
    integration: Integration = request.auth  # type: ignore[attr-defined]
    key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
    if not key:
        raise ApiError(
            400,
            "idempotency_key_required",
            _("Send an Idempotency-Key header with every write request."),
        )
    if len(key) > MAX_KEY_LENGTH:
        raise ApiError(
            400,
            "idempotency_key_too_long",
            _("The Idempotency-Key is longer than %(max)d characters.") % {"max": MAX_KEY_LENGTH},
        )
    digest = hashlib.sha256(request.body).hexdigest()
    while True:
        stored = InboundRequest.objects.filter(integration=integration, key=key).first()
        if stored is not None:
            if stored.body_digest != digest or stored.operation != operation:
                raise ApiError(
                    422,
                    "idempotency_key_reused",
                    _("This Idempotency-Key was used for a different request."),
                )
            response["Idempotent-Replayed"] = "true"
            return Status(stored.status_code, stored.response)
        try:
            with transaction.atomic():
                outcome = apply()
                body = batch_body(outcome) if isinstance(outcome, BatchOutcome) else outcome
                try:
                    with transaction.atomic():
                        InboundRequest.objects.create(
                            integration=integration,
                            key=key,
                            operation=operation,
                            body_digest=digest,
                            status_code=200,
                            response=body,
                        )
                except IntegrityError as error:
                    raise _KeyTaken from error
        except _KeyTaken:
            continue  # its changes rolled back; answer with the winner's stored response
        return Status(200, body)


def batch_body(outcome: BatchOutcome) -> dict[str, Any]:
    return {
        "counts": outcome.counts(),
        "results": [
            {
                "index": item.index,
                "erp_id": item.erp_id,
                "status": item.status,
                "code": item.code,
                "message": item.message,
            }
            for item in outcome.items
        ],
    }
