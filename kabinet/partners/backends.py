"""The authentication backend: Django's ModelBackend, whose `get_user` — run on every
signed-in request — takes the user read with the session (kabinet.partners.sessions), or else
reads the user and its access stamp (kabinet.partners.tenancy) in one statement. Through the
ORM they were two statements and ~0.4 ms of every partner page (P1; decisions.md,
2026-12-02). Signing in, passwords and permissions are Django's.
"""

from collections.abc import Iterable, Sequence
from contextvars import ContextVar
from typing import Any
from weakref import WeakKeyDictionary

from django.contrib.auth.backends import ModelBackend
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.sql import Query
from django.db.models.sql.compiler import SQLCompiler

from kabinet.accounts.models import User
from kabinet.partners.models import AccessStamp

# The attribute the stamp is read into (None: the user has none); `tenancy.tenant_context`
# uses it instead of asking again.
STAMP_ATTRIBUTE = "access_stamp_read"

# The user the current request's session was read with, while django.contrib.auth.get_user
# runs for that request (sessions.AuthenticationMiddleware sets and resets it).
USER_READ_WITH_SESSION: ContextVar[User | None] = ContextVar("user_read_with_session", default=None)


# The user's columns, named in their order: `users_read` makes the instances from them.
USER_FIELDS = tuple(User._meta.concrete_fields)
USER_ATTNAMES = [field.attname for field in USER_FIELDS]
USER_COLUMNS = ", ".join(f'u."{field.column}"' for field in USER_FIELDS)
USER_ID_INDEX = USER_FIELDS.index(User._meta.pk)


def user_with_stamp_sql(*, source: str, where: str, extra_columns: str = "") -> str:
    """A statement reading users (`u` in `source`, LEFT JOINed or not) with their access
    stamps, for `users_read`; `extra_columns` follow the stamp."""
    extra = f", {extra_columns}" if extra_columns else ""
    return (
        f"SELECT {USER_COLUMNS}, (SELECT s.stamp FROM {AccessStamp._meta.db_table} s"  # noqa: S608 (models' tables)
        f" WHERE s.user_id = u.id) AS {STAMP_ATTRIBUTE}{extra} FROM {source} WHERE {where}"
    )


USER_WITH_STAMP = user_with_stamp_sql(source=f"{User._meta.db_table} u", where="u.id = %s")

# Per connection: an ORM compiler for User and the converters it finds for the user's columns
# (SQLite: dates, date-times, booleans), looked up once.
_compilers: WeakKeyDictionary[BaseDatabaseWrapper, tuple[SQLCompiler, dict[int, Any]]] = (
    WeakKeyDictionary()
)


def _user_compiler(database: str) -> tuple[SQLCompiler, dict[int, Any]]:
    connection = connections[database]
    found = _compilers.get(connection)
    if found is None:
        compiler = Query(User).get_compiler(using=database)
        columns = [field.get_col(User._meta.db_table) for field in USER_FIELDS]
        found = (compiler, compiler.get_converters(columns))
        _compilers[connection] = found
    return found


def users_read(
    sql: str, params: Sequence[Any], database: str = DEFAULT_DB_ALIAS
) -> list[tuple[User | None, tuple[Any, ...]]]:
    """Run a `user_with_stamp_sql` statement: per row, the user (None where the LEFT JOIN
    found none) as the ORM would make it, with its stamp in STAMP_ATTRIBUTE, and the row's
    extra columns. Not `raw()`: matching its columns to the fields by name, every time, was
    most of the time of reading the signed-in user (~0.4 ms of every page, P1)."""
    with connections[database].cursor() as cursor:
        cursor.execute(sql, params)
        rows: Iterable[Sequence[Any]] = cursor.fetchall()
    compiler, converters = _user_compiler(database)
    if converters:
        rows = compiler.apply_converters(rows, converters)
    count = len(USER_FIELDS)
    read: list[tuple[User | None, tuple[Any, ...]]] = []
    for row in rows:
        extra = tuple(row[count + 1 :])
        if row[USER_ID_INDEX] is None:
            read.append((None, extra))
            continue
        user = User.from_db(database, USER_ATTNAMES, row[:count])
        setattr(user, STAMP_ATTRIBUTE, row[count])
        read.append((user, extra))
    return read


class AccessStampBackend(ModelBackend):
    def get_user(self, user_id: Any) -> User | None:
        offered = USER_READ_WITH_SESSION.get()
        if offered is not None and offered.pk == user_id:
            user = offered
        else:
            found = users_read(USER_WITH_STAMP, [user_id])
            if not found or found[0][0] is None:
                return None
            user = found[0][0]
        return user if self.user_can_authenticate(user) else None
