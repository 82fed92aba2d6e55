"""The exchange API's contract: token auth, idempotency keys, per-item answers, stable error
codes, nothing half-applied. Real requests through Django's test client; nothing mocked."""

import json
from typing import Any

import pytest
from django.test import Client

from kabinet.accounts.models import AuditEvent, AuditKind, User
from kabinet.integrations.models import InboundRequest, Integration
from kabinet.integrations.services import integration_token_revoke
from kabinet.partners.models import Partner

pytestmark = pytest.mark.django_db


def post(token: str, path: str, body: Any, key: str | None = "k1") -> Any:
    headers: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    if key is not None:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    data = body if isinstance(body, str) else json.dumps(body)
    return Client().post(f"/api/v1/{path}", data, content_type="application/json", **headers)


HOLDING = {
    "items": [
        {"erp_id": "P-2", "name": "Клиника Север", "parent_erp_id": "P-1", "city": "Томск"},
        {"erp_id": "P-1", "name": "Группа клиник", "city": "Новосибирск"},
        {"erp_id": "P-3", "name": "Сирота", "parent_erp_id": "NOPE"},
    ]
}


def test_a_batch_creates_inactive_cards_and_answers_per_item(token: str) -> None:
    response = post(token, "partners", HOLDING)

    assert response.status_code == 200
    body = response.json()
    assert body["counts"] == {"created": 2, "error": 1}
    assert [(r["index"], r["status"], r["code"]) for r in body["results"]] == [
        (0, "created", ""),
        (1, "created", ""),
        (2, "error", "unknown_parent"),
    ]
    head = Partner.objects.with_activity().get(erp_id="P-1")
    sub = Partner.objects.with_activity().get(erp_id="P-2")
    assert sub.parent == head
    assert sub.city == "Томск"
    assert not head.is_active
    assert not sub.is_active
    assert not Partner.objects.filter(erp_id="P-3").exists()
    event = AuditEvent.objects.get(kind=AuditKind.ERP_EXCHANGE)
    assert event.details["counts"] == {"created": 2, "error": 1}


def test_a_repeated_key_replays_the_first_answer_and_changes_nothing(token: str) -> None:
    first = post(token, "partners", HOLDING).json()
    Partner.objects.filter(erp_id="P-1").update(name="Renamed here")

    again = post(token, "partners", HOLDING)

    assert again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first
    assert Partner.objects.get(erp_id="P-1").name == "Renamed here"
    assert AuditEvent.objects.filter(kind=AuditKind.ERP_EXCHANGE).count() == 1


def test_the_same_key_with_another_body_is_refused(token: str) -> None:
    post(token, "partners", HOLDING)
    other = {"items": [{"erp_id": "P-9", "name": "Другой"}]}

    response = post(token, "partners", other)

    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert not Partner.objects.filter(erp_id="P-9").exists()


def test_a_resync_without_changes_writes_nothing(token: str) -> None:
    post(token, "partners", HOLDING, key="first")
    response = post(token, "partners", HOLDING, key="second")

    assert response.json()["counts"] == {"unchanged": 2, "error": 1}
    assert AuditEvent.objects.filter(kind=AuditKind.ERP_EXCHANGE).count() == 1


def test_an_update_changes_the_card_and_the_holding(token: str) -> None:
    post(token, "partners", HOLDING, key="first")
    change = {"items": [{"erp_id": "P-2", "name": "Клиника Север", "city": "Омск"}]}

    response = post(token, "partners", change, key="second")

    assert response.json()["results"][0]["status"] == "updated"
    card = Partner.objects.get(erp_id="P-2")
    assert card.city == "Омск"
    assert card.parent is None


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("{not json", "invalid_json"),
        ({"items": [{"erp_id": "P-1", "name": "nul\u0000here"}]}, "nul_character"),
        ({"items": [{"erp_id": "", "name": "x"}]}, "invalid_payload"),
        ({"items": [{"erp_id": "P-1", "name": "x"}, {"name": "no id"}]}, "invalid_payload"),
        ({"things": []}, "invalid_payload"),
    ],
)
def test_a_malformed_payload_is_refused_whole(token: str, body: Any, code: str) -> None:
    response = post(token, "partners", body)

    assert response.status_code in (400, 422)
    assert response.json()["code"] == code
    assert not Partner.objects.filter(erp_id__startswith="P-").exists()
    assert not InboundRequest.objects.exists()


def test_a_write_without_an_idempotency_key_is_refused(token: str) -> None:
    response = post(token, "partners", HOLDING, key=None)

    assert response.status_code == 400
    assert response.json()["code"] == "idempotency_key_required"
    assert not Partner.objects.filter(erp_id__startswith="P-").exists()


@pytest.mark.parametrize("kind", ["missing", "wrong", "revoked", "inactive"])
def test_without_a_valid_token_nothing_happens(
    integration: Integration, token: str, staff_manager: User, kind: str
) -> None:
    if kind == "revoked":
        integration_token_revoke(token=integration.tokens.get(), actor=staff_manager)
    if kind == "inactive":
        Integration.objects.filter(pk=integration.pk).update(is_active=False)
    raw = {"missing": "", "wrong": "kab_" + "x" * 43}.get(kind, token)
    client = Client()
    headers: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {raw}"} if raw else {}

    response = client.post(
        "/api/v1/partners",
        json.dumps(HOLDING),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k",
        **headers,
    )

    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"
    assert not Partner.objects.filter(erp_id__startswith="P-").exists()


def test_tokens_are_stored_as_digests(integration: Integration, token: str) -> None:
    stored = integration.tokens.get()
    assert token not in (stored.digest, stored.prefix)
    assert token.startswith(stored.prefix)


def test_the_api_documents_itself() -> None:
    schema = Client().get("/api/openapi.json")
    assert schema.status_code == 200
    assert "/api/v1/partners" in schema.json()["paths"]
    docs = Client().get("/api/docs")
    assert docs.status_code == 200
    assert b"swagger-ui-bundle.js" in docs.content
