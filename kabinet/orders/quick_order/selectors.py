"""Reads of the quick order, always of one user's import in one partner."""

from kabinet.accounts.models import User
from kabinet.catalog.models import PartnerArticle
from kabinet.orders.models import QuickOrderImport
from kabinet.partners.models import Partner

# What the pages read without the file's rows and the report (which can be megabytes).
HEAVY_FIELDS = ("rows", "head", "lines", "rejected")


def quick_order_get(
    *, partner: Partner, user: User, import_id: int, fields: tuple[str, ...] = ()
) -> QuickOrderImport:
    """The user's own import with the agreement; the heavy JSON fields only when named in
    `fields`. QuickOrderImport.DoesNotExist for another user's or partner's (the views'
    404)."""
    deferred = [name for name in HEAVY_FIELDS if name not in fields]
    return (
        QuickOrderImport.objects.of_user(partner=partner, user_id=user.pk)
        .select_related("agreement")
        .defer(*deferred)
        .get(pk=import_id)
    )


def quick_order_exists(*, partner: Partner, user: User, import_id: int) -> bool:
    return (
        QuickOrderImport.objects.of_user(partner=partner, user_id=user.pk)
        .filter(pk=import_id)
        .exists()
    )


def partner_article_count(*, partner: Partner) -> int:
    """How many own article codes the partner has (the upload page's hint)."""
    return PartnerArticle.objects.filter(partner=partner).count()
