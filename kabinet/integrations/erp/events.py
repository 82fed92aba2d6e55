"""Pull mode: an ERP that cannot receive calls polls the outbox and acknowledges what it
applied (an integration with a delivery URL is pushed to instead, and refused here).

    GET  /api/v1/events?limit=100   pending messages, oldest first (the envelope the relay
                                    would POST; `more` says whether more are waiting)
    POST /api/v1/events/ack         {"keys": [...]}: mark them delivered; idempotent, so the
                                    ERP can repeat an acknowledgement it is unsure of.
A message stays in the poll answers until it is acknowledged: process by `key` (your
idempotency key) and acknowledge after committing. An integration sees and acknowledges only
its own messages: another integration's key is `unknown_key` and stays as it is.
"""

import uuid
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from kabinet.integrations.erp.exchange import ERRORS, ApiError, ErrorOut
from kabinet.integrations.erp.relay import envelope
from kabinet.integrations.models import Integration
from kabinet.outbox.models import MessageStatus, OutboxMessage
from kabinet.outbox.services import outbox_acknowledge

MAX_LIMIT = 1000
router = Router(tags=["outbound (pull)"])


class EventObject(Schema):
    type: str
    id: str


class EventOut(Schema):
    key: str = Field(description="The idempotency key: apply each key once.")
    topic: str
    created_at: str
    object: EventObject
    payload: dict[str, Any]


class EventsOut(Schema):
    events: list[EventOut]
    more: bool


class EventsQuery(Schema):
    limit: int = Field(100, ge=1, le=MAX_LIMIT)


class AckIn(Schema):
    keys: list[uuid.UUID] = Field(min_length=1, max_length=MAX_LIMIT)


class AckItemOut(Schema):
    key: str
    status: str = Field(description="acknowledged, already_acknowledged or unknown_key")


class AckOut(Schema):
    counts: dict[str, int]
    results: list[AckItemOut]


PULL_ERRORS: dict[int, Any] = {**ERRORS, 409: ErrorOut}


def _pulling(request: HttpRequest) -> Integration:
    integration: Integration = request.auth  # type: ignore[attr-defined]
    if integration.outbound_url:
        raise ApiError(
            409,
            "push_mode",
            _("This integration receives messages at its delivery URL; it does not poll."),
        )
    return integration


@router.get("/events", response={200: EventsOut, **PULL_ERRORS}, operation_id="events_poll")
def events_poll(request: HttpRequest, query: Query[EventsQuery]) -> dict[str, Any]:
    integration = _pulling(request)
    if unknown := sorted(set(request.GET) - {"limit"}):
        # A misspelt parameter (`limt=`) must not silently mean the default.
        raise ApiError(
            422,
            "unknown_parameter",
            _("Unknown query parameters: %(names)s.") % {"names": ", ".join(unknown)[:200]},
        )
    messages = list(
        OutboxMessage.objects.filter(
            integration=integration, status=MessageStatus.PENDING
        ).order_by("created_at", "pk")[: query.limit + 1]
    )
    return {
        "events": [envelope(message) for message in messages[: query.limit]],
        "more": len(messages) > query.limit,
    }


@router.post("/events/ack", response={200: AckOut, **PULL_ERRORS}, operation_id="events_ack")
def events_ack(request: HttpRequest, payload: AckIn) -> dict[str, Any]:
    integration = _pulling(request)
    keys = list(dict.fromkeys(payload.keys))
    outcomes = outbox_acknowledge(integration=integration, keys=keys)
    counts: dict[str, int] = {}
    for status in outcomes.values():
        counts[status] = counts.get(status, 0) + 1
    return {
        "counts": counts,
        "results": [{"key": str(key), "status": status} for key, status in outcomes.items()],
    }
