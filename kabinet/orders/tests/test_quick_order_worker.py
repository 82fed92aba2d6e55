"""A big order file processed by a real `db_worker` process (the production path, P4)."""

import subprocess
import time
from pathlib import Path

import pytest
from django.tasks import TaskResultStatus
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from kabinet.accounts.models import User
from kabinet.catalog.models import PriceList
from kabinet.orders.models import CartLine, QuickOrderImport
from kabinet.orders.quick_order.services import INLINE_ROWS
from kabinet.orders.tests.factories import priced_variants
from kabinet.orders.tests.quick_order_files import xlsx_bytes
from tests.processes import WAIT_SECONDS, process_env, worker

ROWS = INLINE_ROWS * 2


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_big_file_is_read_by_the_worker_while_the_page_shows_progress(
    tmp_path: Path, user_client_a: Client, partner_user: User, price_list_a: PriceList
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    variants = priced_variants(price_list_a, 500)
    rows: list[list[object]] = [["Артикул", "Количество"]]
    rows += [[variants[n % 500].sku, 1] for n in range(ROWS - 10)]
    rows += [[f"UNKNOWN-{n}", 1] for n in range(10)]
    user_client_a.post(
        reverse("orders:quick_order"), {"file": SimpleUploadedFile("big.xlsx", xlsx_bytes(rows))}
    )
    item = QuickOrderImport.objects.get()
    env = process_env(tmp_path)
    with worker(tmp_path, env, max_tasks=1) as process:
        response = user_client_a.post(
            reverse("orders:quick_order_map", args=[item.pk]),
            {"header": "on", "code": "0", "kind": "any", "quantity": "1", "price": ""},
        )
        assert response.status_code == 302
        assert 'hx-trigger="every 1s"' in user_client_a.get(response["Location"]).content.decode()
        try:
            process.wait(timeout=WAIT_SECONDS)
        except subprocess.TimeoutExpired:
            pytest.fail((tmp_path / "worker.log").read_text(errors="replace"))
    output = (tmp_path / "worker.log").read_text(errors="replace")
    [result] = DBTaskResult.objects.all()
    assert result.status == TaskResultStatus.SUCCESSFUL, output
    item.refresh_from_db()
    assert (item.status, item.progress_done, item.progress_total) == ("ready", ROWS, ROWS)
    assert (item.rows_read, item.rows_recognised, item.rows_rejected) == (ROWS, ROWS - 10, 10)
    assert len(item.lines) == 500
    progress = reverse("orders:quick_order_progress", args=[item.pk])
    done = user_client_a.get(progress, headers={"HX-Request": "true"})
    assert done["HX-Redirect"] == reverse("orders:quick_order_result", args=[item.pk])
    assert not CartLine.objects.exists(), "the worker never touches the cart"
    began = time.perf_counter()
    user_client_a.post(reverse("orders:quick_order_apply", args=[item.pk]), {"mode": "merge"})
    assert time.perf_counter() - began < 5
    assert CartLine.objects.filter(cart__user=partner_user).count() == 500
