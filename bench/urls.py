"""The product's URLs plus `/bench/hello/`, a bare hello-world view that exists only in the
benchmark process (the baseline measured in the same run, QUALITY.md)."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, path

from kabinet.urls import urlpatterns as product_urlpatterns


@login_not_required
def hello(request: HttpRequest) -> HttpResponse:
    return HttpResponse("Hello, world")


urlpatterns: list[URLPattern | URLResolver] = [
    path("bench/hello/", hello, name="bench_hello"),
    *product_urlpatterns,
]
