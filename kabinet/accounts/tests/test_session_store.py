"""The session store (kabinet.partners.sessions), on each database."""

from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kabinet.accounts.models import Session, User
from kabinet.accounts.tests.factories import UserFactory
from kabinet.partners.backends import STAMP_ATTRIBUTE
from kabinet.partners.sessions import SessionStore
from tests.support import signed_in

pytestmark = pytest.mark.django_db


def _saved(**values: object) -> str:
    store = SessionStore()
    for key, value in values.items():
        store[key] = value
    store.save()
    assert store.session_key
    return store.session_key


def test_a_saved_session_reads_back() -> None:
    key = _saved(probe="value", number=3)
    store = SessionStore(key)
    assert store.load() == {"probe": "value", "number": 3}
    assert store.session_key == key


def test_an_expired_session_is_not_read_and_gets_a_new_key() -> None:
    key = _saved(probe="value")
    Session.objects.filter(pk=key).update(expire_date=timezone.now() - timedelta(seconds=1))
    store = SessionStore(key)
    assert store.load() == {}
    assert store.session_key is None  # a new one is made on save, never the old one reused
    store["probe"] = "new"
    store.save()
    assert store.session_key != key


def test_an_unknown_or_tampered_session_reads_empty() -> None:
    assert SessionStore("x" * 32).load() == {}
    key = _saved(probe="value")
    Session.objects.filter(pk=key).update(session_data="not signed")
    assert SessionStore(key).load() == {}


def test_a_signed_in_session_is_read_with_its_user_and_stamp() -> None:
    user = UserFactory.create()
    key = _saved(**{SESSION_KEY: str(user.pk), "probe": "value"})
    assert Session.objects.get(pk=key).user_id == user.pk

    store = SessionStore(key)
    with CaptureQueriesContext(connection) as queries:
        assert store.load()["probe"] == "value"
    assert len(queries.captured_queries) == 1
    assert store.user_read is not None
    assert store.user_read.pk == user.pk
    assert store.user_read.email == user.email
    assert hasattr(store.user_read, STAMP_ATTRIBUTE)


def test_a_session_without_a_user_reads_none() -> None:
    key = _saved(probe="value")
    assert Session.objects.get(pk=key).user_id is None
    store = SessionStore(key)
    assert store.load() == {"probe": "value"}
    assert store.user_read is None


def test_deleting_a_user_ends_its_sessions() -> None:
    user, other = UserFactory.create(), UserFactory.create()
    key = _saved(**{SESSION_KEY: str(user.pk)})
    kept = _saved(**{SESSION_KEY: str(other.pk)})
    user.delete()
    assert not Session.objects.filter(pk=key).exists()
    assert SessionStore(key).load() == {}
    assert Session.objects.filter(pk=kept).exists()


def test_a_signed_in_page_reads_session_and_user_in_one_statement() -> None:
    user = UserFactory.create()
    client = signed_in(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("accounts:security"))
    assert response.status_code == 200
    assert response.wsgi_request.user.pk == user.pk
    reads = [q["sql"] for q in queries.captured_queries if User._meta.db_table in q["sql"]]
    assert len(reads) == 1, reads
    assert Session._meta.db_table in reads[0]


def test_the_user_read_with_a_session_still_has_its_auth_hash_checked() -> None:
    """The user comes with the session, but Django's check of the session's hash against it
    stays: a changed password ends the session on the next request."""
    user = UserFactory.create()
    client = signed_in(user)
    page = reverse("accounts:security")
    assert client.get(page).status_code == 200
    user.set_password("another-long-password-1")
    user.save()
    response = client.get(page)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert SESSION_KEY not in client.session


def test_the_user_read_with_the_session_has_every_value_the_orm_reads() -> None:
    """`backends.users_read` makes the user itself (not `raw()`): every field as the ORM's
    own read gives it, dates, date-times and booleans included (SQLite converts them)."""
    user = UserFactory.create(
        full_name="Анна Петрова",
        is_staff=True,
        blocked_reason="",
        access_expires_on=timezone.localdate() + timedelta(days=30),
        expiry_warned_on=timezone.localdate(),
        must_change_password=True,
    )
    User.objects.filter(pk=user.pk).update(blocked_at=timezone.now(), is_active=False)
    key = _saved(**{SESSION_KEY: str(user.pk)})
    store = SessionStore(key)
    store.load()
    read = store.user_read
    assert read is not None
    expected = User.objects.get(pk=user.pk)
    for field in User._meta.concrete_fields:
        value = getattr(read, field.attname)
        assert value == getattr(expected, field.attname), field.name
        assert type(value) is type(getattr(expected, field.attname)), field.name
    assert read._state.adding is False
    assert read._state.db == "default"
