"""The authentication backend: Django's ModelBackend, whose `get_user` — run on every
signed-in request — reads the user and its access stamp (kabinet.partners.tenancy) in one
statement. Two statements through the ORM were ~0.4 ms of every partner page (P1;
decisions.md, 2026-12-02). Signing in, passwords and permissions are Django's.
"""

from typing import Any

from django.contrib.auth.backends import ModelBackend

from kabinet.accounts.models import User
from kabinet.partners.models import AccessStamp

# The attribute the stamp is read into (None: the user has none); `tenancy.tenant_context`
# uses it instead of asking again.
STAMP_ATTRIBUTE = "access_stamp_read"

USER_WITH_STAMP = (
    f"SELECT u.*, (SELECT s.stamp FROM {AccessStamp._meta.db_table} s WHERE s.user_id = u.id)"  # noqa: S608 (models' tables)
    f" AS {STAMP_ATTRIBUTE} FROM {User._meta.db_table} u WHERE u.id = %s"
)


class AccessStampBackend(ModelBackend):
    def get_user(self, user_id: Any) -> User | None:
        # raw(): the ORM still converts the values (dates on SQLite) and makes the instance.
        found = list(User.objects.raw(USER_WITH_STAMP, [user_id]))
        if not found:
            return None
        user = found[0]
        return user if self.user_can_authenticate(user) else None
