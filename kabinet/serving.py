"""What a long-running web process does once its application is loaded.

The garbage collector: Django, the app's modules and their caches stay for the process's
life, yet every full collection walked them all again (~100 ms in a process with data set L's
benchmark, now and then in the middle of a request). Frozen, the objects loaded at start are
out of the collector's sight (and, with gunicorn's --preload, shared copy-on-write by the
workers).

Every request leaves reference cycles behind (the request and its lazy user, its messages
storage and htmx details point back at it), so everything hanging off a request — a catalog
page's rows, its context — is freed by the collector, not by reference counting. Left to
itself, the collector ran its young collection in the middle of about every 30th catalog
request and made it ~3 ms slower (decisions.md, 2026-12-06). So the young generation is
collected between requests instead: when a collection is due, once the response has gone
out. Django sends `request_finished` from the response's close(), which a WSGI server calls
after writing the last byte (gunicorn after its access log has timed the request), and
which the ASGI handler calls after sending the body. The collector's own trigger stays, much
higher, for the rare request that makes a great many objects (an export, a big import): its
garbage is still collected as it goes.
"""

import gc
from typing import Any

from django.core.signals import request_finished

# A young collection is due once this many more container objects were made than freed:
# about every 30th catalog page. The collector's default is 700 (decisions.md, 2026-12-02).
YOUNG_GENERATION_THRESHOLD = 7_000
# The collector's own trigger, for a request far bigger than a page.
IN_REQUEST_YOUNG_THRESHOLD = 100_000


def collect_between_requests(**kwargs: Any) -> None:
    """`request_finished` receiver: the collection the collector would have made in the
    middle of the next requests, made now that the response is out. The older generations
    are collected as the collector itself does it: the middle one every 10th young
    collection (its threshold), the oldest every 10th of those."""
    young, middle, oldest = gc.get_count()
    if young < YOUNG_GENERATION_THRESHOLD:
        return
    _, middle_threshold, oldest_threshold = gc.get_threshold()
    if middle < middle_threshold:
        gc.collect(0)
    elif oldest < oldest_threshold:
        gc.collect(1)
    else:
        gc.collect(2)


def settle_for_serving() -> None:
    gc.collect()
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(IN_REQUEST_YOUNG_THRESHOLD, middle, oldest)
    request_finished.connect(collect_between_requests, dispatch_uid="kabinet.serving")
