"""Background work of the quick order: big files, and the daily prune."""

from django.tasks import task

from kabinet.orders.quick_order.services import quick_order_process, quick_order_prune


@task(queue_name="default")
def quick_order_process_task(*, import_id: int) -> bool:
    """Match a big file (re-reads the import; does nothing if it is not processing)."""
    return quick_order_process(import_id=import_id)


@task(queue_name="default")
def quick_order_prune_daily() -> int:
    return quick_order_prune()
