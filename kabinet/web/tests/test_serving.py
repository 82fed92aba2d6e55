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


def test_wsgi_and_asgi_freeze_what_they_loaded_and_collect_the_young_less_often() -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "kabinet.settings_test"}
    for module in ("kabinet.wsgi", "kabinet.asgi"):
        probe = PROBE.format(module=module)
        result = subprocess.run(
            [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.split() == [str(YOUNG_GENERATION_THRESHOLD), "True", "True"]
