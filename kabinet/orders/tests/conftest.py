from typing import Any

import pytest

from kabinet.catalog.models import PriceList
from kabinet.catalog.tests.factories import price_list_of_agreement
from kabinet.partners.models import Agreement, Partner


@pytest.fixture
def agreement_a(partner_a: Partner) -> Agreement:
    return partner_a.agreements.get(is_main=True)


@pytest.fixture
def price_list_a(agreement_a: Agreement) -> PriceList:
    """The price list partner A's main agreement names."""
    return price_list_of_agreement(agreement_a)


@pytest.fixture(autouse=True)
def _english(settings: Any) -> None:
    """Messages are asserted in English (the source language)."""
    settings.LANGUAGE_CODE = "en"
