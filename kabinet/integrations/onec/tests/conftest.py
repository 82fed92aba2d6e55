"""A 1C integration, a private exchange directory per test, and a client that speaks the
1C protocol over Django's test client (the same `OneCClient` the live test drives over HTTP)."""

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from django.core.cache import cache
from django.test import Client
from pytest_django import Settings

from kabinet.integrations.models import Integration, IntegrationKind
from kabinet.integrations.onec.client_1c import OneCClient, Transport
from kabinet.integrations.services import integration_create

LOGIN = "1c@test.example"
PASSWORD = "1c-exchange-secret"
SAMPLES = Path(__file__).resolve().parents[1] / "samples"
URL = "/exchange/1c/"
TEST_CLIENT_IP = "127.0.0.1"


@pytest.fixture(autouse=True)
def _no_lockout() -> None:
    """Failed sign-ins of earlier tests (same address, shared cache) do not lock this one out."""
    cache.delete(f"onec:checkauth-failures:{TEST_CLIENT_IP}")


@pytest.fixture(autouse=True)
def exchange_dir(settings: Settings, tmp_path: Path) -> Path:
    settings.ONEC_EXCHANGE_DIR = tmp_path / "onec"
    return tmp_path / "onec"


@pytest.fixture
def onec(db: None) -> Integration:
    return integration_create(
        name="1C:УТ 11", kind=IntegrationKind.ONEC, actor=None, login=LOGIN, password=PASSWORD
    )


def django_transport(client: Client) -> Transport:
    def send(
        method: str, params: dict[str, str], body: bytes | None, headers: dict[str, str]
    ) -> tuple[int, bytes]:
        extra: dict[str, Any] = {
            "HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items()
        }
        # The tests read the answers' reasons in English, whatever the default language.
        extra.setdefault("HTTP_ACCEPT_LANGUAGE", "en")
        if method == "POST":
            response = client.generic(
                "POST",
                f"{URL}?{urlencode(params)}",
                body or b"",
                content_type="application/octet-stream",
                **extra,
            )
        else:
            response = client.get(URL, params, **extra)
        return response.status_code, response.content

    return send


@pytest.fixture
def one_c(onec: Integration) -> OneCClient:
    return OneCClient(django_transport(Client()), login=LOGIN, password=PASSWORD)
