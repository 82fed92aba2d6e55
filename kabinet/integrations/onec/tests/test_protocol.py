"""The 1C exchange protocol at /exchange/1c/: sign-in, the cookie, init, chunked uploads, safe
file names and archives. Real requests through Django's test client; nothing mocked."""

import base64
import io
import stat
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from pytest_django import Settings

from kabinet.integrations.models import Integration, IntegrationKind
from kabinet.integrations.onec.client_1c import ExchangeFailed, OneCClient
from kabinet.integrations.onec.tests.conftest import LOGIN, PASSWORD, SAMPLES, URL
from kabinet.integrations.onec.views import COOKIE_NAME
from kabinet.integrations.services import integration_create

pytestmark = pytest.mark.django_db


def basic(login: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{login}:{password}".encode()).decode()


def test_checkauth_answers_the_cookie_1c_sends_back(onec: Integration) -> None:
    response = Client().get(
        URL, {"type": "catalog", "mode": "checkauth"}, HTTP_AUTHORIZATION=basic(LOGIN, PASSWORD)
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=windows-1251"
    status, name, value = response.content.decode("cp1251").splitlines()
    assert (status, name) == ("success", COOKIE_NAME)
    assert value
    assert "Set-Cookie" not in response  # 1C takes the cookie from the body, browsers never


@pytest.mark.parametrize(
    "authorization",
    [basic(LOGIN, "wrong"), basic("nobody@test.example", PASSWORD), "Basic !!!", "", "Bearer x"],
)
def test_wrong_credentials_fail_with_a_reason(onec: Integration, authorization: str) -> None:
    headers: dict[str, Any] = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    response = Client().get(URL, {"type": "catalog", "mode": "checkauth"}, **headers)

    assert response.status_code == 401
    lines = response.content.decode("cp1251").splitlines()
    assert lines[0] == "failure"
    assert len(lines) == 2
    assert lines[1]
    assert response["WWW-Authenticate"].startswith("Basic")


def test_an_erp_api_integration_cannot_sign_in_to_the_1c_exchange(db: None) -> None:
    integration_create(
        name="ERP", kind=IntegrationKind.ERP_API, actor=None, login="erp", password="erp-secret-1"
    )
    response = Client().get(
        URL,
        {"type": "catalog", "mode": "checkauth"},
        HTTP_AUTHORIZATION=basic("erp", "erp-secret-1"),
    )
    assert response.status_code == 401


def test_an_inactive_integration_cannot_sign_in(onec: Integration) -> None:
    Integration.objects.filter(pk=onec.pk).update(is_active=False)
    response = Client().get(
        URL, {"type": "catalog", "mode": "checkauth"}, HTTP_AUTHORIZATION=basic(LOGIN, PASSWORD)
    )
    assert response.status_code == 401


@pytest.mark.parametrize("cookie", [None, "forged", "tampered"])
def test_every_other_mode_needs_the_cookie(one_c: OneCClient, cookie: str | None) -> None:
    one_c.checkauth()
    client = Client()
    if cookie == "forged":
        client.cookies[COOKIE_NAME] = "eyJpIjoxLCJzIjoiMDAwMCJ9:1abc:forged"
    elif cookie == "tampered":
        client.cookies[COOKIE_NAME] = one_c.cookie.split("=", 1)[1][:-2] + "xx"
    for mode in ("init", "import", "query", "success"):
        response = client.get(URL, {"type": "catalog", "mode": mode, "filename": "import.xml"})
        assert response.status_code == 401, mode
        assert response.content.decode("cp1251").startswith("failure\n")


def test_the_cookie_of_a_deactivated_integration_stops_working(
    one_c: OneCClient, onec: Integration
) -> None:
    one_c.checkauth()
    one_c.init()
    Integration.objects.filter(pk=onec.pk).update(is_active=False)
    with pytest.raises(ExchangeFailed, match="HTTP 401"):
        one_c.init()


def test_init_says_zip_and_file_limit(one_c: OneCClient, settings: Settings) -> None:
    settings.ONEC_FILE_LIMIT = 4096
    one_c.checkauth()
    one_c.init()
    assert (one_c.zip, one_c.file_limit) == (True, 4096)

    settings.ONEC_ZIP = False
    one_c.init()
    assert one_c.zip is False


def test_a_file_arrives_in_chunks_and_is_appended(
    one_c: OneCClient, settings: Settings, exchange_dir: Path
) -> None:
    settings.ONEC_FILE_LIMIT = 1000
    data = (SAMPLES / "import.xml").read_bytes()
    one_c.checkauth()
    one_c.init()

    requests = one_c.upload("catalog", "import.xml", data)

    assert requests == len(data) // 1000 + 1
    (stored,) = exchange_dir.glob("*/*/import.xml")
    assert stored.read_bytes() == data
    # A new init starts the exchange again from an empty directory.
    one_c.init()
    assert not stored.exists()


def test_a_chunk_over_file_limit_is_refused_with_413(one_c: OneCClient, settings: Settings) -> None:
    settings.ONEC_FILE_LIMIT = 100
    one_c.checkauth()
    one_c.init()
    with pytest.raises(ExchangeFailed, match="HTTP 413"):
        one_c._text("catalog", "file", body=b"x" * 500, filename="import.xml")


@pytest.mark.parametrize(
    "name",
    ["../import.xml", "/etc/passwd", "C:\\1c\\import.xml", "a/../../b.xml", ".state.json", ""],
)
def test_unsafe_file_names_are_refused(one_c: OneCClient, name: str, exchange_dir: Path) -> None:
    one_c.checkauth()
    one_c.init()
    with pytest.raises(ExchangeFailed, match="HTTP 400"):
        one_c.upload("catalog", name, b"<x/>")
    assert not list(exchange_dir.parent.glob("*.xml"))


def test_files_in_folders_are_kept_like_1c_sends_pictures(
    one_c: OneCClient, exchange_dir: Path
) -> None:
    one_c.checkauth()
    one_c.init()
    one_c.upload("catalog", "import_files/ab/ab12.jpg", b"\xff\xd8picture")
    assert list(exchange_dir.glob("*/*/import_files/ab/ab12.jpg"))


def _zip(entries: list[tuple[str | zipfile.ZipInfo, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return buffer.getvalue()


def _symlink(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


@pytest.mark.parametrize(
    ("archive", "reason"),
    [
        (_zip([("../import.xml", b"<x/>")]), "not allowed"),
        (_zip([("/abs/import.xml", b"<x/>")]), "not allowed"),
        (_zip([(_symlink("import.xml"), b"/etc/passwd")]), "symbolic link"),
        (_zip([(f"f{n}.xml", b"") for n in range(30)]), "more than"),
        # 50 MB of zeros in a few kilobytes: refused by the declared size, and were the header
        # lying, by the bytes counted while unpacking.
        (_zip([("import.xml", b"\0" * 50_000_000)]), "more than allowed"),
        (b"PK\x03\x04 not really a zip", "not a zip"),
    ],
)
def test_bad_archives_are_refused_and_leave_nothing(
    one_c: OneCClient,
    settings: Settings,
    archive: bytes,
    reason: str,
    exchange_dir: Path,
) -> None:
    settings.ONEC_ZIP_MAX_ENTRIES = 20
    settings.ONEC_ZIP_MAX_BYTES = 10_000_000
    one_c.checkauth()
    one_c.init()
    one_c.upload("catalog", "siteexchange.zip", archive)

    with pytest.raises(ExchangeFailed, match=reason):
        one_c.import_file("import.xml")
    leftovers = [p for p in exchange_dir.rglob("*") if p.is_file() and p.name != ".state.json"]
    assert leftovers == []


def test_an_archive_whose_header_lies_about_sizes_is_stopped_while_unpacking(
    one_c: OneCClient, settings: Settings, exchange_dir: Path
) -> None:
    settings.ONEC_ZIP_MAX_BYTES = 1_000_000
    data = bytearray(_zip([("import.xml", b"\0" * 5_000_000)]))
    # Rewrite the central directory's uncompressed size to 1 kB.
    central = data.rfind(b"PK\x01\x02")
    data[central + 24 : central + 28] = (1000).to_bytes(4, "little")
    one_c.checkauth()
    one_c.init()
    one_c.upload("catalog", "siteexchange.zip", bytes(data))

    with pytest.raises(ExchangeFailed, match="failure"):
        one_c.import_file("import.xml")
    assert not list(exchange_dir.rglob("import.xml"))


def test_unknown_modes_and_types_fail(one_c: OneCClient) -> None:
    one_c.checkauth()
    with pytest.raises(ExchangeFailed, match="Unknown mode"):
        one_c._text("catalog", "explode")
    with pytest.raises(ExchangeFailed, match="Unknown exchange type"):
        one_c._text("reports", "init")


def test_the_integration_command_creates_it_and_changes_its_password(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.core.management import call_command

    from kabinet.integrations.services import basic_authenticate

    monkeypatch.setenv("ONEC_PASSWORD", "first-password-1")
    call_command("onec_integration", "--login", "1c@cmd.example", "--name", "1C cmd")
    monkeypatch.setenv("ONEC_PASSWORD", "second-password-2")
    call_command("onec_integration", "--login", "1c@cmd.example")

    assert basic_authenticate("1c@cmd.example", "first-password-1") is None
    integration = basic_authenticate("1c@cmd.example", "second-password-2")
    assert integration is not None
    assert integration.kind == IntegrationKind.ONEC


def test_password_guessing_is_locked_out(onec: Integration, settings: Settings) -> None:
    settings.ONEC_LOCKOUT_FAILURES = 3
    client = Client()
    params = {"type": "catalog", "mode": "checkauth"}
    statuses = [
        client.get(URL, params, HTTP_AUTHORIZATION=basic(LOGIN, f"guess-{n}")).status_code
        for n in range(4)
    ]
    right = client.get(URL, params, HTTP_AUTHORIZATION=basic(LOGIN, PASSWORD))

    assert statuses == [401, 401, 401, 429]
    assert right.status_code == 429  # even the right password, until the lockout ends
