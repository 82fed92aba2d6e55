import pytest

from kabinet.catalog.models import PriceList
from kabinet.catalog.tests.factories import price_list_of_agreement
from kabinet.partners.models import Partner


@pytest.fixture
def price_list_a(partner_a: Partner) -> PriceList:
    """The price list partner A's main agreement names."""
    return price_list_of_agreement(partner_a.agreements.get(is_main=True))
