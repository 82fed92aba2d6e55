import time
from collections.abc import Callable

from django.contrib.auth.decorators import login_not_required
from django.core.cache import caches
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django_tasks_db.models import DBTaskResult

from kabinet.accounts.access import access_exempt
from kabinet.accounts.forms import SignInForm
from kabinet.content.selectors import info_page_list_for_home
from kabinet.partners import selectors as partner_selectors
from kabinet.partners.access import PartnerRequest


@login_not_required
def home(request: PartnerRequest) -> HttpResponse:
    """Anonymous visitors: the public home page with sign-in (ACC1). Others: their start page."""
    if not request.user.is_authenticated:
        public = {"form": SignInForm(request), "pages": info_page_list_for_home()}
        return render(request, "web/home_public.html", public)
    context: dict[str, object] = {}
    if request.partner is not None:
        context["profile"] = partner_selectors.partner_profile(partner=request.partner)
    return render(request, "web/home.html", context)


def _check(probe: Callable[[], dict[str, object]]) -> dict[str, object]:
    started = time.perf_counter()
    try:
        result = {"ok": True, **probe()}
    except Exception as exc:
        result = {"ok": False, "error": exc.__class__.__name__}
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def _database() -> dict[str, object]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"vendor": connection.vendor}


def _cache() -> dict[str, object]:
    cache = caches["default"]
    cache.set("healthz", "1", timeout=10)
    if cache.get("healthz") != "1":
        raise RuntimeError("cache did not return what was stored")
    return {"backend": cache.__class__.__name__}


def _tasks() -> dict[str, object]:
    ready = DBTaskResult.objects.ready()
    oldest = ready.order_by("enqueued_at").values_list("enqueued_at", flat=True).first()
    return {
        "queued": ready.count(),
        "failed": DBTaskResult.objects.failed().count(),
        "oldest_queued_seconds": round((timezone.now() - oldest).total_seconds()) if oldest else 0,
    }


@login_not_required
@access_exempt
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Database, cache and task queue state, for load balancers and monitoring."""
    checks = {"database": _check(_database), "cache": _check(_cache), "tasks": _check(_tasks)}
    healthy = all(check["ok"] for check in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503
    )
