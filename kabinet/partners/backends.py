"""The authentication backend: Django's ModelBackend, whose `get_user` — run on every
signed-in request — takes the user read with the session (kabinet.partners.sessions), or else
reads the user and its access stamp (kabinet.partners.tenancy) in one statement. Through the
ORM they were two statements and ~0.4 ms of every partner page (P1; decisions.md,
2026-12-02). Signing in, passwords and permissions are Django's.
"""

from contextvars import ContextVar
from typing import Any

from django.contrib.auth.backends import ModelBackend

from kabinet.accounts.models import User
from kabinet.partners.models import AccessStamp

# The attribute the stamp is read into (None: the user has none); `tenancy.tenant_context`
# uses it instead of asking again.
STAMP_ATTRIBUTE = "access_stamp_read"

# The user the current request's session was read with, while django.contrib.auth.get_user
# runs for that request (sessions.AuthenticationMiddleware sets and resets it).
USER_READ_WITH_SESSION: ContextVar[User | None] = ContextVar("user_read_with_session", default=None)


def user_with_stamp_sql(*, source: str, where: str, extra_columns: str = "") -> str:
    """A statement reading users (`u` in `source`) with their access stamps."""
    extra = f", {extra_columns}" if extra_columns else ""
    return (
        f"SELECT u.*, (SELECT s.stamp FROM {AccessStamp._meta.db_table} s WHERE s.user_id = u.id)"  # noqa: S608 (models' tables)
        f" AS {STAMP_ATTRIBUTE}{extra} FROM {source} WHERE {where}"
    )


USER_WITH_STAMP = user_with_stamp_sql(source=f"{User._meta.db_table} u", where="u.id = %s")


class AccessStampBackend(ModelBackend):
    def get_user(self, user_id: Any) -> User | None:
        offered = USER_READ_WITH_SESSION.get()
        if offered is not None and offered.pk == user_id:
            user = offered
        else:
            # raw(): the ORM still converts the values (dates on SQLite) and makes the instance.
            found = list(User.objects.raw(USER_WITH_STAMP, [user_id]))
            if not found:
                return None
            user = found[0]
        return user if self.user_can_authenticate(user) else None
