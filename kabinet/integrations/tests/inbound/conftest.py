"""The ERP's side of the exchange, for the inbound operations' tests: a token and real
HTTP requests through Django's test client."""

import json
from typing import Any

import pytest
from django.test import Client

from kabinet.accounts.models import User
from kabinet.integrations.models import IntegrationKind
from kabinet.integrations.services import integration_create, integration_token_create


@pytest.fixture
def token(staff_manager: User) -> str:
    integration = integration_create(name="ERP", kind=IntegrationKind.ERP_API, actor=staff_manager)
    return integration_token_create(integration=integration, name="main", actor=staff_manager)[1]


class Erp:
    """Posts batches the way an ERP does; every call uses a fresh idempotency key unless
    one is given."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.client = Client()
        self.sent = 0

    def post(self, path: str, body: Any, key: str | None = None) -> Any:
        self.sent += 1
        data = body if isinstance(body, str) else json.dumps(body, default=str)
        return self.client.post(
            f"/api/v1/{path}",
            data,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {self.token}",
            HTTP_IDEMPOTENCY_KEY=key or f"test-{self.sent}",
        )

    def results(self, path: str, body: Any, key: str | None = None) -> list[tuple[str, str]]:
        """(status, code) per item; the request must have been answered 200."""
        response = self.post(path, body, key)
        assert response.status_code == 200, response.content
        return [(r["status"], r["code"]) for r in response.json()["results"]]


@pytest.fixture
def erp(token: str) -> Erp:
    return Erp(token)
