"""The web process settles its garbage collector once the application is loaded
(kabinet.serving), in a process of its own so that the test run keeps its own."""

import os
import subprocess
import sys
from pathlib import Path

from kabinet.serving import YOUNG_GENERATION_THRESHOLD

ROOT = Path(__file__).resolve().parents[3]
PROBE = (
    "import gc; import {module}; "
    "print(gc.get_threshold()[0], gc.get_freeze_count() > 1000, callable({module}.application))"
)
# Garbage in reference cycles, as a request leaves it, then the response's close: the
# collection is made there once it is due, not before.
BETWEEN_REQUESTS = """
import gc, weakref
import kabinet.wsgi
from django.core.signals import request_finished
from kabinet.serving import BETWEEN_REQUESTS_DUE

class Node:
    pass

def cyclic_garbage(count):
    first = Node()
    node = first
    for _ in range(count):
        node.next = Node()
        node = node.next
    node.next = first
    return weakref.ref(first)

small = cyclic_garbage(100)
request_finished.send(sender=None)
print(small() is not None)
big = cyclic_garbage(BETWEEN_REQUESTS_DUE)
print(gc.get_count()[0] >= BETWEEN_REQUESTS_DUE)
print(big() is not None)
request_finished.send(sender=None)
print(small() is None, big() is None, gc.get_count()[0] < 100)
"""


def _run(code: str) -> list[str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "kabinet.settings_test"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_wsgi_and_asgi_freeze_what_they_loaded_and_collect_the_young_less_often() -> None:
    for module in ("kabinet.wsgi", "kabinet.asgi"):
        probe = PROBE.format(module=module)
        assert _run(probe) == [str(YOUNG_GENERATION_THRESHOLD), "True", "True"]


def test_the_young_generation_is_collected_when_a_response_is_closed_once_it_is_due() -> None:
    # The small cycle outlives a close (nothing due); the big one is not enough for the
    # collector's own trigger; the close after it collects both.
    assert _run(BETWEEN_REQUESTS) == ["True", "True", "True", "True", "True", "True"]
