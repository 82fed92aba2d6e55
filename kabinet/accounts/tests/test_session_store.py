"""The database session store's read (kabinet.accounts.sessions), on each database."""

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from kabinet.accounts.sessions import SessionStore

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
