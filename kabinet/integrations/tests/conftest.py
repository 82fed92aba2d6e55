import json
from typing import Any

import pytest
from django.test import Client

from kabinet.accounts.models import User
from kabinet.integrations.models import Integration, IntegrationKind
from kabinet.integrations.services import integration_create, integration_token_create


@pytest.fixture
def integration(staff_manager: User) -> Integration:
    return integration_create(name="ERP", kind=IntegrationKind.ERP_API, actor=staff_manager)


@pytest.fixture
def token(integration: Integration, staff_manager: User) -> str:
    return integration_token_create(integration=integration, name="main", actor=staff_manager)[1]


class ExchangeClient:
    """Posts to the exchange API as an ERP does: bearer token, JSON, an idempotency key
    (a fresh one per call unless given)."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.calls = 0

    def post(self, path: str, body: Any, key: str | None = None) -> Any:
        self.calls += 1
        headers: dict[str, Any] = {
            "HTTP_AUTHORIZATION": f"Bearer {self.token}",
            "HTTP_IDEMPOTENCY_KEY": key or f"call-{self.calls}",
        }
        data = body if isinstance(body, str) else json.dumps(body)
        return Client().post(f"/api/v1/{path}", data, content_type="application/json", **headers)


@pytest.fixture
def erp(token: str) -> ExchangeClient:
    return ExchangeClient(token)
