"""Background work of the catalog: listings recomputed after the ERP's syncs."""

from django.tasks import task

from kabinet.catalog.sync import listings_refresh_stale


@task(queue_name="default")
def listings_refresh_stale_task() -> int:
    """Recompute the listings the syncs queued (catalog.sync; nothing to do is fine: several
    syncs committed in a row enqueue several runs, and the first does the work)."""
    return listings_refresh_stale()
