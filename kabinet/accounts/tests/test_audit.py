"""The access audit log (R19, ACC11): what each access event writes, and who may read it."""

import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kabinet.accounts.models import AuditEvent, AuditKind, User
from kabinet.accounts.services import user_block
from kabinet.accounts.tests.factories import PASSWORD
from kabinet.partners.models import Membership, Partner
from tests.support import signed_in

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")
STAFF_AUDIT = reverse("partners:staff_audit")
COMPANY_AUDIT = reverse("partners:audit")
IP = "203.0.113.5"


def _client() -> Client:
    return Client(headers={"accept-language": "en"}, REMOTE_ADDR=IP)


def _as(user: User) -> Client:
    client = signed_in(user)
    client.defaults.update(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR=IP)
    return client


def _only_new_event(before: set[int]) -> AuditEvent:
    new = list(AuditEvent.objects.exclude(pk__in=before))
    assert len(new) == 1, [e.kind for e in new]
    return new[0]


def _ids() -> set[int]:
    return set(AuditEvent.objects.values_list("pk", flat=True))


def _assert_recent_utc(event: AuditEvent) -> None:
    event.refresh_from_db()
    assert event.created_at.utcoffset() == timedelta(0)
    assert abs((timezone.now() - event.created_at).total_seconds()) < 60


def _rows(page: str) -> list[list[str]]:
    """The audit table as lists of cell texts."""
    body = re.search(r'data-testid="audit-events">.*?<tbody>(.*?)</tbody>', page, re.S)
    assert body, page
    rows = re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S)
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)
        ]
        for r in rows
        if "No events match." not in r
    ]


def test_sign_in_writes_one_event(partner_user: User) -> None:
    before = _ids()
    client = _client()
    response = client.post(LOGIN, {"username": partner_user.email, "password": PASSWORD})
    assert response.status_code == 302
    event = _only_new_event(before)
    assert event.kind == AuditKind.SIGN_IN
    assert event.actor == event.subject == partner_user
    assert event.subject_email == partner_user.email
    assert event.ip_address == IP
    _assert_recent_utc(event)


def test_sign_in_of_a_partner_user_names_his_company(
    partner_user: User, partner_admin: User, partner_a: Partner
) -> None:
    _client().post(LOGIN, {"username": partner_user.email, "password": PASSWORD})
    event = AuditEvent.objects.get(kind=AuditKind.SIGN_IN)
    assert event.partner_id == partner_a.pk
    rows = _rows(_as(partner_admin).get(COMPANY_AUDIT).content.decode())
    assert ["signed in", partner_user.email] in [row[1:4:2] for row in rows]


def test_failed_sign_in_writes_what_was_typed_but_never_the_password(partner_user: User) -> None:
    typed_password = "Secret-Guess-Number-7"
    for typed in ("User@Alpha.example", "nobody@alpha.example"):
        before = _ids()
        response = _client().post(LOGIN, {"username": typed, "password": typed_password})
        assert response.status_code == 200
        event = _only_new_event(before)
        assert event.kind == AuditKind.SIGN_IN_FAILED
        assert event.subject_email == typed.lower()
        assert event.actor is None
        assert event.ip_address == IP
        assert typed_password not in json.dumps(event.details) + event.subject_email
        _assert_recent_utc(event)


def test_sign_out_writes_one_event(partner_user: User) -> None:
    client = _client()
    client.post(LOGIN, {"username": partner_user.email, "password": PASSWORD})
    before = _ids()
    assert client.post(reverse("accounts:logout")).status_code == 302
    event = _only_new_event(before)
    assert event.kind == AuditKind.SIGN_OUT
    assert event.actor == event.subject == partner_user
    assert event.ip_address == IP
    _assert_recent_utc(event)


def test_refused_sign_in_writes_one_event(partner_user: User, partner_admin: User) -> None:
    user_block(user=partner_user, reason="left", actor=partner_admin)
    before = _ids()
    response = _client().post(LOGIN, {"username": partner_user.email, "password": PASSWORD})
    assert response.status_code == 200
    event = _only_new_event(before)
    assert event.kind == AuditKind.SIGN_IN_DENIED
    assert event.subject == partner_user
    assert event.details == {"why": "blocked"}
    assert event.ip_address == IP
    _assert_recent_utc(event)


@pytest.fixture
def company_events(
    partner_admin: User,
    partner_user: User,
    partner_a: Partner,
    other_partner_user: User,
    partner_b: Partner,
) -> None:
    """Access events of both companies, made through their admins' pages."""
    admin_a = _as(partner_admin)
    membership = Membership.objects.get(user=partner_user, partner=partner_a)
    block = reverse("partners:member_block", kwargs={"membership_id": membership.pk})
    assert admin_a.post(block, {"reason": "holiday"}).status_code == 302
    security = reverse("partners:security")
    assert admin_a.post(security, {"require_mfa": "on"}).status_code == 302
    admin_b = _as(other_partner_user)
    admin_b.defaults["REMOTE_ADDR"] = "198.51.100.66"
    assert admin_b.post(security, {"require_mfa": "on"}).status_code == 302
    assert AuditEvent.objects.filter(partner_id=partner_a.pk).count() == 2
    assert AuditEvent.objects.filter(partner_id=partner_b.pk).count() == 1


def test_staff_see_every_event_and_filter_them(
    company_events: None, staff_manager: User, partner_a: Partner, partner_b: Partner
) -> None:
    client = _as(staff_manager)
    everything = _rows(client.get(STAFF_AUDIT).content.decode())
    assert len(everything) == AuditEvent.objects.count() >= 3

    blocked = _rows(client.get(STAFF_AUDIT, {"kind": AuditKind.BLOCKED}).content.decode())
    assert [row[1] for row in blocked] == ["blocked"]
    assert blocked[0][2:5] == ["admin@alpha.example", "user@alpha.example", "Alpha Medical"]
    assert blocked[0][5] == IP

    by_email = _rows(client.get(STAFF_AUDIT, {"email": "USER@alpha"}).content.decode())
    assert {row[3] for row in by_email} == {"user@alpha.example"}

    only_b = _rows(client.get(STAFF_AUDIT, {"partner": partner_b.pk}).content.decode())
    assert [(row[1], row[4], row[5]) for row in only_b] == [
        ("company two-factor policy changed", "Beta Clinic", "198.51.100.66")
    ]
    only_a = _rows(client.get(STAFF_AUDIT, {"partner": partner_a.pk}).content.decode())
    assert len(only_a) == 2
    assert {row[4] for row in only_a} == {"Alpha Medical"}


def test_staff_filter_by_dates(company_events: None, staff_manager: User) -> None:
    old = AuditEvent.objects.get(kind=AuditKind.BLOCKED)
    day = timezone.localdate() - timedelta(days=40)
    noon = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
    AuditEvent.objects.filter(pk=old.pk).update(created_at=noon)
    client = _as(staff_manager)

    def kinds(**query: date) -> list[str]:
        params = {name: value.isoformat() for name, value in query.items()}
        return [row[1] for row in _rows(client.get(STAFF_AUDIT, params).content.decode())]

    assert kinds(since=day - timedelta(days=1), until=day + timedelta(days=1)) == ["blocked"]
    assert kinds(until=day) == ["blocked"]
    assert "blocked" not in kinds(since=day + timedelta(days=1))
    assert len(kinds(since=timezone.localdate())) == AuditEvent.objects.count() - 1


def test_audit_page_shows_utc_times(company_events: None, staff_manager: User) -> None:
    AuditEvent.objects.filter(kind=AuditKind.BLOCKED).update(
        created_at=datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
    )
    page = _as(staff_manager).get(STAFF_AUDIT, {"kind": AuditKind.BLOCKED}).content.decode()
    assert "Time (UTC)" in page
    assert _rows(page)[0][0] == "2026-01-10 12:00:00"


def test_only_staff_with_the_permission_see_the_staff_log(
    company_events: None, staff_editor: User, partner_admin: User
) -> None:
    assert _as(staff_editor).get(STAFF_AUDIT).status_code == 403
    assert _as(partner_admin).get(STAFF_AUDIT).status_code == 404
    anonymous = _client().get(STAFF_AUDIT)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(LOGIN)


def test_a_partner_admin_sees_only_his_company_events(
    company_events: None, partner_admin: User, partner_a: Partner, partner_b: Partner
) -> None:
    client = _as(partner_admin)
    page = client.get(COMPANY_AUDIT).content.decode()
    rows = _rows(page)
    assert len(rows) == AuditEvent.objects.filter(partner_id=partner_a.pk).count() == 2
    assert {row[1] for row in rows} == {"blocked", "company two-factor policy changed"}
    assert "admin@beta.example" not in page
    assert "198.51.100.66" not in page

    # Naming the other company in the query changes nothing.
    widened = client.get(COMPANY_AUDIT, {"partner": partner_b.pk}).content.decode()
    assert _rows(widened) == rows
    assert "198.51.100.66" not in widened
    assert _rows(client.get(COMPANY_AUDIT, {"email": "beta"}).content.decode()) == []


def test_a_partner_user_without_the_users_right_cannot_read_the_log(
    company_events: None, partner_admin: User, partner_a: Partner
) -> None:
    reader = User.objects.create_user(email="reader@alpha.example", password=PASSWORD)
    Membership.objects.create(user=reader, partner=partner_a, rights=["orders"])
    assert _as(reader).get(COMPANY_AUDIT).status_code == 403
