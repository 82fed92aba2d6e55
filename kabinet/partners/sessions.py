"""The session store (SESSION_ENGINE), which reads a request's session and its signed-in user
in one statement, and the authentication middleware that hands that user to Django.

Every signed-in page needs both. Read apart — the session, then the user with its access
stamp (kabinet.partners.backends) — they were two round trips to the database, each about
as long as a whole hello-world request (P1; decisions.md, 2026-12-03). The session row
(kabinet.accounts.models.Session) keeps the user's id beside the data, so the read joins the
user and its stamp. Django's checks are unchanged: `django.contrib.auth.get_user` still
compares the session's auth hash with the user it is given and asks the backend, which takes
the user read here instead of querying again. Writes, expiry and key rotation stay Django's.
"""

from collections.abc import Callable
from typing import Any

from django.contrib import auth
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.middleware import AuthenticationMiddleware as DjangoAuthentication
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends import db
from django.db import connections, router
from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from kabinet.accounts.models import Session, User
from kabinet.partners.backends import USER_READ_WITH_SESSION, user_with_stamp_sql, users_read

SESSION_WITH_USER = user_with_stamp_sql(
    extra_columns="ses.session_data",
    source=f"{Session._meta.db_table} ses LEFT JOIN {User._meta.db_table} u ON u.id = ses.user_id",
    where="ses.session_key = %s AND ses.expire_date > %s",
)


class SessionStore(db.SessionStore):
    # The user the session row names, as read with it (None: none, or not read yet).
    user_read: User | None = None

    @classmethod
    def get_model_class(cls) -> type[Session]:
        return Session

    def create_model_instance(self, data: dict[str, Any]) -> Session:
        session = super().create_model_instance(data)
        assert isinstance(session, Session)
        user_id = data.get(auth.SESSION_KEY)
        session.user_id = int(user_id) if user_id is not None else None
        return session

    def load(self) -> dict[str, Any]:
        self.user_read = None
        database = router.db_for_read(Session)
        now = connections[database].ops.adapt_datetimefield_value(timezone.now())  # as saved
        rows = users_read(SESSION_WITH_USER, [self.session_key, now], database)
        if not rows:  # unknown or expired: a new session, as Django's store does
            self._session_key = None
            return {}
        user, (session_data,) = rows[0]
        data: dict[str, Any] = self.decode(session_data)
        self.user_read = user
        return data


def _user(request: HttpRequest) -> AbstractBaseUser | AnonymousUser:
    """As django.contrib.auth.middleware.get_user, offering the backend the user read with the
    session for the length of the call."""
    cached: AbstractBaseUser | AnonymousUser | None = getattr(request, "_cached_user", None)
    if cached is not None:
        return cached
    session = request.session
    session.get(auth.SESSION_KEY)  # reads the session, and with it the user, if not yet read
    token = USER_READ_WITH_SESSION.set(getattr(session, "user_read", None))
    try:
        user = auth.get_user(request)
    finally:
        USER_READ_WITH_SESSION.reset(token)
    request._cached_user = user  # type: ignore[attr-defined]  # where Django keeps it
    return user


class AuthenticationMiddleware(DjangoAuthentication):
    """Django's, with `request.user` from `_user`."""

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)
        get_user: Callable[[], Any] = lambda: _user(request)  # noqa: E731
        request.user = SimpleLazyObject(get_user)  # type: ignore[assignment]
