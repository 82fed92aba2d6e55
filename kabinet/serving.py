"""What a long-running web process does once its application is loaded.

The garbage collector: Django, the app's modules and their caches stay for the process's
life, yet every full collection walked them all again (~100 ms in a process with data set L's
benchmark, now and then in the middle of a request), and the young generation, collected
every 700 new objects, was collected about every second catalog request, promoting the
objects of the request in flight. Frozen, the objects loaded at start are out of the
collector's sight (and, with gunicorn's --preload, shared copy-on-write by the workers); with
a young threshold of 7,000 the collector took ~0.15 ms of a catalog request instead of ~0.5
(docs/decisions.md, 2026-12-02). Reference cycles are still collected, only less often.
"""

import gc

YOUNG_GENERATION_THRESHOLD = 7_000


def settle_for_serving() -> None:
    gc.collect()
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, middle, oldest)
