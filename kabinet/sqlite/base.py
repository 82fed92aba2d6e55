"""SQLite, with LIKE that ignores case beyond ASCII.

SQLite's built-in LIKE folds only A-Z, so on the embedded database a search for "казанская"
would miss "Казанская аптека" (PostgreSQL's ILIKE has no such gap). Overriding the `like`
SQL function gives Django's `icontains`/`istartswith` lookups the same meaning on both.
`upper` and `lower` are overridden likewise, so `Upper("sku")` folds Cyrillic codes as
PostgreSQL does (the quick order matches codes case-insensitively with it).
"""

import re
import sqlite3
from functools import lru_cache
from typing import Any

from django.db.backends.sqlite3 import base


@lru_cache(maxsize=512)
def _like_pattern(pattern: str, escape: str | None) -> re.Pattern[str]:
    parts: list[str] = []
    chars = iter(pattern)
    for char in chars:
        if escape and char == escape:
            parts.append(re.escape(next(chars, "")))
        elif char == "%":
            parts.append(".*")
        elif char == "_":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), re.DOTALL | re.IGNORECASE)


def unicode_like(pattern: str | None, value: Any, escape: str | None = None) -> bool | None:
    if pattern is None or value is None:
        return None
    return _like_pattern(pattern, escape).fullmatch(str(value)) is not None


def unicode_upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


def unicode_lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params: dict[str, Any]) -> sqlite3.Connection:
        connection: sqlite3.Connection = super().get_new_connection(conn_params)
        connection.create_function("like", 2, unicode_like, deterministic=True)
        connection.create_function("like", 3, unicode_like, deterministic=True)
        connection.create_function("upper", 1, unicode_upper, deterministic=True)
        connection.create_function("lower", 1, unicode_lower, deterministic=True)
        return connection
