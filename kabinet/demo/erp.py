"""The demo's ERP: the fake ERP that `make run` starts (kabinet/integrations/erp/fake_erp.py),
so submitting an order in the demo shows it delivered, with no real ERP and no network."""

import os

from kabinet.integrations.models import Integration, IntegrationKind
from kabinet.integrations.services import integration_create

DEMO_ERP_NAME = "Demo ERP (fake, local)"


def demo_erp_url() -> str:
    return f"http://127.0.0.1:{os.environ.get('FAKE_ERP_PORT', '8001')}/outbox"


def demo_erp_ensure() -> Integration:
    """The demo's ERP integration, made on the first run; its delivery URL follows
    FAKE_ERP_PORT on every run (the signing secret stays: the fake ERP reads it from it)."""
    integration = Integration.objects.filter(name=DEMO_ERP_NAME).first()
    if integration is None:
        return integration_create(
            name=DEMO_ERP_NAME,
            kind=IntegrationKind.ERP_API,
            actor=None,
            outbound_url=demo_erp_url(),
        )
    if integration.outbound_url != demo_erp_url():
        Integration.objects.filter(pk=integration.pk).update(outbound_url=demo_erp_url())
    return integration
