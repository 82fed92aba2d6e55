"""Pull mode (GET /api/v1/events, POST /api/v1/events/ack): an ERP that cannot receive
calls polls pending messages oldest first and acknowledges them, idempotently; each
integration sees and acknowledges only its own copies (isolation between integrations)."""

import uuid
from typing import Any

import pytest
from django.test import Client

from kabinet.accounts.models import User
from kabinet.integrations.models import Integration, IntegrationKind
from kabinet.integrations.services import integration_create, integration_token_create
from kabinet.outbox.models import MessageStatus, OutboxMessage
from kabinet.partners.models import Partner
from kabinet.partners.services import contact_create

pytestmark = pytest.mark.django_db


def _token(integration: Integration) -> str:
    return integration_token_create(integration=integration, name="t", actor=None)[1]


@pytest.fixture
def token() -> str:
    return _token(integration_create(name="Poller", kind=IntegrationKind.ERP_API, actor=None))


def _get(token: str, query: str = "") -> Any:
    return Client().get(f"/api/v1/events{query}", HTTP_AUTHORIZATION=f"Bearer {token}")


def _ack(token: str, keys: list[str]) -> Any:
    return Client().post(
        "/api/v1/events/ack",
        {"keys": keys},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def test_poll_oldest_first_then_acknowledge_idempotently(token: str, partner_a: Partner) -> None:
    for name in ("First", "Second", "Third"):
        contact_create(partner=partner_a, full_name=name)
    first_page = _get(token, "?limit=2").json()
    assert first_page["more"] is True
    names = [event["payload"]["contact"]["full_name"] for event in first_page["events"]]
    assert names == ["First", "Second"]
    assert first_page["events"][0]["topic"] == "partner.contact_changed"
    keys = [event["key"] for event in first_page["events"]]

    unknown = str(uuid.uuid4())
    answer = _ack(token, [*keys, unknown])
    assert answer.status_code == 200
    assert answer.json()["counts"] == {"acknowledged": 2, "unknown_key": 1}
    again = _ack(token, keys).json()
    assert again["counts"] == {"already_acknowledged": 2}

    rest = _get(token).json()
    assert [e["payload"]["contact"]["full_name"] for e in rest["events"]] == ["Third"]
    assert rest["more"] is False
    delivered = OutboxMessage.objects.filter(status=MessageStatus.DELIVERED)
    assert {str(key) for key in delivered.values_list("key", flat=True)} == set(keys)


def test_a_push_integration_does_not_poll_and_a_bad_token_is_refused(
    staff_manager: User,
) -> None:
    pushed = integration_create(
        name="Pushed",
        kind=IntegrationKind.ERP_API,
        actor=staff_manager,
        outbound_url="http://127.0.0.1:9/outbox",
    )
    response = _get(_token(pushed))
    assert (response.status_code, response.json()["code"]) == (409, "push_mode")
    assert _get("kab_wrong").status_code == 401
    assert _ack("kab_wrong", [str(uuid.uuid4())]).status_code == 401


def test_bad_ack_bodies_are_refused(token: str) -> None:
    assert _ack(token, []).status_code == 422
    assert _ack(token, ["not-a-uuid"]).status_code == 422
    assert _get(token, "?limit=0").status_code == 422
    assert _get(token, "?limit=5000").status_code == 422


def test_an_unknown_query_parameter_is_refused(token: str) -> None:
    response = _get(token, "?limt=5")
    assert (response.status_code, response.json()["code"]) == (422, "unknown_parameter")


def test_each_integration_polls_and_acknowledges_only_its_own_messages(
    partner_a: Partner,
) -> None:
    mine = integration_create(name="Mine", kind=IntegrationKind.ERP_API, actor=None)
    theirs = integration_create(name="Theirs", kind=IntegrationKind.ERP_API, actor=None)
    my_token, their_token = _token(mine), _token(theirs)
    contact_create(partner=partner_a, full_name="Anna")
    my_events = _get(my_token).json()["events"]
    their_events = _get(their_token).json()["events"]
    my_keys = {event["key"] for event in my_events}
    their_keys = {event["key"] for event in their_events}
    assert len(my_keys) == len(their_keys) >= 1
    assert not my_keys & their_keys, "each has its own copy, with its own key"
    assert {e["payload"]["contact"]["full_name"] for e in their_events} >= {"Anna"}

    # Acknowledging the other integration's keys: unknown, and their messages unchanged.
    before = list(OutboxMessage.objects.filter(integration=theirs).order_by("pk").values())
    answer = _ack(my_token, sorted(their_keys)).json()
    assert answer["counts"] == {"unknown_key": len(their_keys)}
    assert list(OutboxMessage.objects.filter(integration=theirs).order_by("pk").values()) == before
    assert not OutboxMessage.objects.filter(integration=theirs).exclude(status="pending").exists()

    # Acknowledging its own leaves the other's copies pending, still in their poll.
    assert _ack(my_token, sorted(my_keys)).json()["counts"] == {"acknowledged": len(my_keys)}
    assert _get(my_token).json()["events"] == []
    assert {event["key"] for event in _get(their_token).json()["events"]} == their_keys
