"""The database session store (used when there is no Redis), its read one SQL statement.

Every signed-in page loads its session. Through the ORM (`Session.objects.get`) that read
cost ~0.4 ms more than the database took to answer it (P1; decisions.md, 2026-12-02). Writes,
expiry and key rotation stay Django's. With Redis, `cached_db` reads sessions from the cache
and only falls back to the database on a miss, so it keeps Django's store.
"""

from typing import Any

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone


class SessionStore(db.SessionStore):
    def load(self) -> dict[str, Any]:
        connection = connections[router.db_for_read(self.model)]
        now = connection.ops.adapt_datetimefield_value(timezone.now())  # as the ORM writes it
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT session_data FROM {self.model._meta.db_table}"  # noqa: S608 (a model's table)
                " WHERE session_key = %s AND expire_date > %s",
                [self.session_key, now],
            )
            row = cursor.fetchone()
        if row is None:  # unknown or expired: a new session, as Django's store does
            self._session_key = None
            return {}
        data: dict[str, Any] = self.decode(row[0])
        return data
