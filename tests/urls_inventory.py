"""Every URL pattern of the project, flattened, so tests can check that none is forgotten."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver


@dataclass(frozen=True)
class Route:
    name: str  # "namespace:name"; the route itself when the pattern has no name
    route: str
    params: tuple[str, ...]  # captured parameters: object ids, slugs, …


def _walk(
    patterns: list[Any], prefix: str, namespace: str, params: tuple[str, ...]
) -> Iterator[Route]:
    for entry in patterns:
        own = tuple(entry.pattern.regex.groupindex)
        if isinstance(entry, URLResolver):
            ns = namespace
            if entry.namespace:
                ns = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), ns, params + own)
        elif isinstance(entry, URLPattern):
            route = prefix + str(entry.pattern)
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name or route
            yield Route(name, route, params + own)


def all_routes() -> list[Route]:
    return list(_walk(get_resolver().url_patterns, "", "", ()))
