"""The committed .mo catalogs match their .po sources, and the Russian one is complete."""

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support import require_service

LOCALE = Path(__file__).resolve().parent.parent / "kabinet" / "locale"


@pytest.mark.parametrize("language", ["ru", "en"])
def test_compiled_catalog_is_up_to_date(language: str, tmp_path: Path) -> None:
    require_service(shutil.which("msgfmt") is not None, "gettext's msgfmt")
    po = LOCALE / language / "LC_MESSAGES" / "django.po"
    compiled = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check-format", "-o", str(compiled), str(po)], check=True)
    assert compiled.read_bytes() == po.with_suffix(".mo").read_bytes(), (
        f"{po.with_suffix('.mo')} is stale: run `make messages`"
    )


def test_russian_catalog_has_no_untranslated_or_fuzzy_entries() -> None:
    require_service(shutil.which("msgattrib") is not None, "gettext's msgattrib")
    po = str(LOCALE / "ru" / "LC_MESSAGES" / "django.po")
    for flag in ("--untranslated", "--only-fuzzy"):
        result = subprocess.run(["msgattrib", flag, po], capture_output=True, text=True, check=True)
        assert "msgid" not in result.stdout, f"{flag} entries in {po}:\n{result.stdout[:2000]}"
