"""Counting what a request wrote: a re-sync with no changes must write nothing."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection
from django.test.utils import CaptureQueriesContext

# The exchange's own bookkeeping: the idempotency record of the request itself.
_BOOKKEEPING = ("integrations_inboundrequest",)


@contextmanager
def data_writes() -> Iterator[list[str]]:
    """The INSERT, UPDATE and DELETE statements run inside the block, but the idempotency
    record's: after the block, the list holds them."""
    found: list[str] = []
    with CaptureQueriesContext(connection) as captured:
        yield found
    for query in captured.captured_queries:
        sql = query["sql"].lstrip().upper()
        if sql.startswith(("INSERT", "UPDATE", "DELETE")) and not any(
            table.upper() in sql for table in _BOOKKEEPING
        ):
            found.append(query["sql"])
