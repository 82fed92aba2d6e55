from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from kabinet.content.models import InfoPage
from kabinet.content.selectors import info_page_get_public


@login_not_required
def info_page(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        page = info_page_get_public(slug=slug)
    except InfoPage.DoesNotExist as exc:
        raise Http404 from exc
    return render(request, "content/info_page.html", {"page": page})
