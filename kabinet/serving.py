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
also collected between requests: once half of a collection is due, after the response has
gone out, so that a page's request does not reach the collector's own trigger. Django sends
`request_finished` from the response's close(), which a WSGI server calls after writing the
last byte (gunicorn after its access log has timed the request), and which the ASGI handler
calls after sending the body. The collector's own trigger stays where it was, for a request
that makes many objects (an import, an ERP sync): its garbage is collected as it goes.
"""

import gc
from typing import Any

from django.core.signals import request_finished

# The collector's young threshold: a collection every 7,000 more container objects made
# than freed. Its default is 700 (decisions.md, 2026-12-02).
YOUNG_GENERATION_THRESHOLD = 7_000
# Collected between requests from half of that: a catalog page leaves ~230, so about every
# 15th page's close collects, and no page's request starts near the collector's trigger.
BETWEEN_REQUESTS_DUE = YOUNG_GENERATION_THRESHOLD // 2


def collect_between_requests(**kwargs: Any) -> None:
    """`request_finished` receiver: the collection the collector would soon have made in
    the middle of a request, made now that the response is out. The older generations
    are collected as the collector itself does it: the middle one every 10th young
    collection (its threshold), the oldest every 10th of those."""
    young, middle, oldest = gc.get_count()
    if young < BETWEEN_REQUESTS_DUE:
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
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, middle, oldest)
    request_finished.connect(collect_between_requests, dispatch_uid="kabinet.serving")
